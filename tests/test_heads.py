import itertools

import numpy as np
import pytest
import torch

from zhner.config import ConfigError
from zhner.nn.heads import CRF, GlobalPointer
from zhner.nn.heads.crf import log_partition, marginals, viterbi
from zhner.nn.heads.globalpointer import multilabel_crossentropy, rope


def _path_score(em, start, trans, end, path):
    s = start[path[0]] + sum(em[i, t] for i, t in enumerate(path)) + end[path[-1]]
    return s + sum(trans[a, b] for a, b in zip(path, path[1:]))


@pytest.mark.parametrize("scale", [1.0, 30.0])
def test_crf_partition_viterbi_and_marginals_match_brute_force(scale):
    torch.manual_seed(0)
    k, t = 3, 4
    em, start, trans, end = torch.randn(2, t, k) * scale, torch.randn(k), torch.randn(k, k), torch.randn(k)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    log_z = log_partition(em, mask, start, trans, end)
    paths = viterbi(em, mask, start, trans, end)
    marg = marginals(em, mask, start, trans, end)
    for b, n in enumerate([4, 2]):
        scores = {p: _path_score(em[b], start, trans, end, p) for p in itertools.product(range(k), repeat=n)}
        assert torch.allclose(log_z[b], torch.logsumexp(torch.stack(list(scores.values())), 0), rtol=1e-6)
        assert tuple(paths[b]) == max(scores, key=lambda p: scores[p])
        prob = torch.stack(list(scores.values())).double().softmax(0)
        want = torch.zeros(t, k, dtype=torch.float64)
        for p, q in zip(scores, prob):
            want[torch.arange(n), torch.tensor(p)] += q
        assert torch.allclose(torch.from_numpy(marg[b]).double(), want, atol=1e-6)


def test_crf_marginals_sum_to_one_and_respect_scheme():
    torch.manual_seed(0)
    head = CRF(8, ["PER", "LOC"], "BIOES")
    h, mask = torch.randn(2, 5, 8), torch.tensor([[1] * 5, [1, 1, 1, 0, 0]], dtype=torch.bool)
    start, trans, end = head.potentials()
    marg = marginals(head.proj(h), mask, start, trans, end)
    assert np.allclose(marg[0].sum(-1), 1, atol=1e-5) and np.allclose(marg[1, :3].sum(-1), 1, atol=1e-5)
    sure = marginals(30 * head.proj(h), mask, start, trans, end)             # one tag per step is all but certain
    assert sure.max() <= 1.0 and np.abs(sure[1, 3:]).sum() == 0              # nothing past the end
    tags = head.tagset.tags
    for path in (viterbi(head.proj(h), mask, start, trans, end)):
        from zhner.schemes import decode
        assert decode([tags[i] for i in path], "BIOES")[1] == []


def test_rope_scores_depend_on_relative_position_only():
    torch.manual_seed(0)
    q, k = torch.randn(64), torch.randn(64)
    x = torch.stack([q, k]).view(1, 1, 2, 64).expand(1, 10, 2, 64)
    r = rope(x)
    s = lambda i, j: (r[0, i, 0] @ r[0, j, 1]).item()
    assert abs(s(1, 4) - s(5, 8)) < 1e-4 and abs(s(0, 0) - s(7, 7)) < 1e-4


@pytest.mark.parametrize("exporting", [False, True])
def test_rope_rotates_each_pair_by_position_times_theta(monkeypatch, exporting):
    """Both ways of computing it (complex product; the real one an ONNX export traces) give the rotation."""
    monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: exporting)
    torch.manual_seed(0)
    x = torch.randn(2, 5, 3, 8)
    r = rope(x)
    for i in range(5):
        for m in range(4):
            a, b, angle = x[:, i, :, 2 * m], x[:, i, :, 2 * m + 1], torch.tensor(i * 10000 ** (-2 * m / 8))
            assert torch.allclose(r[:, i, :, 2 * m], a * angle.cos() - b * angle.sin(), atol=1e-6)
            assert torch.allclose(r[:, i, :, 2 * m + 1], a * angle.sin() + b * angle.cos(), atol=1e-6)


def test_multilabel_crossentropy_formula():
    invalid = torch.finfo(torch.float32).min / 4
    s = torch.tensor([[[[2.0, -1.0], [invalid, 3.0]]], [[[0.0, 1.0], [invalid, invalid]]]], requires_grad=True)
    gold = torch.tensor([[0, 0, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1]])              # (row, type, start, end)
    e = lambda x: torch.exp(torch.tensor(x))                                    # noqa: E731
    first = 2 * torch.log(1 + e(-2.0) + e(-3.0)) + torch.log(1 + e(-1.0))        # pos_weight 2
    second = 2 * torch.log(1 + e(-1.0)) + torch.log(1 + e(0.0))
    loss = multilabel_crossentropy(s, gold, pos_weight=2.0)
    assert torch.allclose(loss, (first + second) / 2)                           # mean over the batch
    loss.backward()
    assert torch.isfinite(s.grad).all()


def test_multilabel_crossentropy_per_type_weights():
    """Type 1's gold-span term weighted 3, type 0's 1: the loss is the hand sum; a GlobalPointer head builds
    the same weights from pos_weight_by_type and rejects a type the data does not have."""
    invalid = torch.finfo(torch.float32).min / 4
    s = torch.tensor([[[[-1.0, 2.0], [invalid, 0.5]], [[0.5, -2.0], [invalid, 1.0]]]])
    gold = torch.tensor([[0, 0, 0, 0], [0, 1, 0, 1]])                          # type 0: s = −1; type 1: s = −2
    e = lambda x: torch.exp(torch.tensor(x))                                    # noqa: E731
    want = torch.log(1 + e(1.0)) + torch.log(1 + e(2.0) + e(0.5)) + 3 * torch.log(1 + e(2.0)) + \
        torch.log(1 + e(0.5) + e(1.0))
    assert torch.allclose(multilabel_crossentropy(s, gold, torch.tensor([1.0, 3.0])), want)
    head = GlobalPointer(8, ["A", "B"], pos_weight=1.0, pos_weight_by_type={"B": 3.0})
    assert head.pos_weight.tolist() == [1.0, 3.0]
    with pytest.raises(ConfigError, match="no type 'C'"):
        GlobalPointer(8, ["A", "B"], pos_weight_by_type={"C": 2.0})


def test_globalpointer_flat_decoding_keeps_best_non_overlapping():
    from zhner.spans import Span
    spans = [Span(0, 4, "A", 0.9), Span(2, 6, "B", 0.95), Span(5, 7, "A", 0.6)]
    kept = GlobalPointer._flatten(spans)
    assert kept == [Span(2, 6, "B")]


def test_globalpointer_decoding_ignores_padding_and_reversed_spans():
    """Zeros where an ONNX runner pads scores back pass a negative threshold; they must not become spans."""
    head = GlobalPointer(8, ["A", "B"], threshold=-1.0)
    scores = torch.full((2, 2, 4, 4), -5.0)
    scores[1, :, 2:, :] = scores[1, :, :, 2:] = 0.0      # row 1 is 2 characters long, padded with zeros
    scores[0, 1, 3, 1] = 2.0                             # end before start
    scores[0, 0, 0, 3], scores[1, 1, 0, 1] = 2.0, 1.5
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=torch.bool)
    spans = head.decode_outputs(scores, {"mask": mask})
    assert [[(s.start, s.end, s.label) for s in row] for row in spans] == [[(0, 4, "A")], [(0, 2, "B")]]


@pytest.mark.parametrize("scheme,scale", [("BIO", 1.0), ("BIOES", 1.0), ("BIOES", 8.0)])
def test_pruned_viterbi_finds_the_best_path_with_many_tags(scheme, scale):
    torch.manual_seed(1)
    crf = CRF(4, [f"T{i}" for i in range(40)], scheme)                  # 81 / 161 tags: the pruned path
    with torch.no_grad():
        crf.trans.normal_(0, 1)
    start, trans, end = (p.detach() for p in crf.potentials())
    em = torch.randn(6, 30, len(crf.tagset)) * scale
    mask = torch.arange(30)[None] < torch.tensor([30, 1, 7, 29, 15, 2])[:, None]
    score = start + em[:, 0]
    for t in range(1, 30):                                              # the plain (B, K, K) recursion
        score = torch.where(mask[:, t, None], (score[:, :, None] + trans).max(1).values + em[:, t], score)
    for b, path in enumerate(viterbi(em, mask, start, trans, end)):
        assert len(path) == int(mask[b].sum())
        value = start[path[0]] + em[b, 0, path[0]] + end[path[-1]] + sum(
            trans[i, j] + em[b, t, j] for t, (i, j) in enumerate(zip(path, path[1:]), 1))
        assert float(value) == pytest.approx(float((score[b] + end).max()), abs=1e-3)


def test_cascade_loss_is_per_token_nll_of_tags_and_types():
    from torch.nn import functional as F
    from zhner.nn.heads.cascade import Cascade
    from zhner.spans import Span
    torch.manual_seed(0)
    head = Cascade(8, ["PER", "LOC", "ORG"], "BIOES")
    h, mask = torch.randn(2, 6, 8), torch.tensor([[1] * 6, [1, 1, 1, 1, 0, 0]], dtype=torch.bool)
    spans = [[Span(0, 2, "PER"), Span(3, 6, "ORG")], [Span(1, 3, "LOC")]]
    batch = {"mask": mask, **head.targets([6, 4], spans)}
    a, e = head.type_parts(h)
    types = sum(F.cross_entropy(a[b, i] + e[b, j - 1], torch.tensor(["PER", "LOC", "ORG"].index(s.label)),
                                reduction="sum") for b, ss in enumerate(spans) for s in ss for i, j in [(s.start, s.end)])
    assert torch.allclose(head.loss(h, batch), head.tagger.loss(h, batch) + types / 10)      # 10 real tokens
