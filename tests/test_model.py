"""The contract every encoder × head passes: train on a tiny corpus -> save -> load -> same spans."""
import copy
import itertools
import json

import pytest
import torch

from helpers import NAMES, tiny_corpus
from zhner import Example, Span, evaluate, write_corpus
from zhner.config import ModelConfig, load_config
from zhner.features.featurizer import Featurizer
from zhner.model import Ensemble, NERModel, load
from zhner.spans import flatten
from zhner.training import FGM, train


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny.jsonl"
    write_corpus(tiny_corpus(), path)
    return path


CASES = list(itertools.product(["bilstm", "idcnn"], ["softmax", "crf", "globalpointer", "efficient_globalpointer"]))
CASES += [("bilstm", "cascade"), ("idcnn", "cascade"), ("transformer", "crf"), ("transformer", "globalpointer"),
          ("transformer", "cascade")]


@pytest.mark.parametrize("encoder,head", CASES)
def test_train_save_load_predict(encoder, head, corpus_file, tiny_bert, tmp_path):
    overrides = {"data.train": str(corpus_file), "model.encoder": encoder, "model.head": head,
                 "model.hidden": "32", "model.char_dim": "32", "model.bigram_dim": "8", "model.max_length": "20",
                 "train.epochs": "12", "train.batch_size": "8", "train.patience": "0", "train.lr": "1e-2",
                 "train.output": str(tmp_path / "run"), "data.dev_fraction": "0.2",
                 "train.threads": "1"}
    if encoder == "transformer":
        overrides.update({"model.transformer": str(tiny_bert), "train.encoder_lr": "1e-3"})
    result = train(load_config(None, overrides))
    nested = head in ("globalpointer", "efficient_globalpointer")
    model = load(result.model_dir)
    fresh = tiny_corpus(10, seed=1)
    texts = [ex.text for ex in fresh] + ["", "。", "昨天" * 40]
    first, again = model.predict(texts), load(result.model_dir).predict(texts, batch_size=3)
    gold = fresh if nested else [flatten(ex)[0] for ex in fresh]
    assert evaluate(gold, first[:10]).micro.f1 >= (0.9 if encoder != "transformer" else 0.3)
    assert first == again  # batch size changes padding, not results
    calls = []                  # texts of unlike length never share a call: every encoder computes padding
    model.decode = lambda batch, decode=model.decode: calls.append(len(batch["texts"])) or decode(batch)
    model.predict(["昨天", "昨天" * 9, "昨天" * 8])
    assert calls == [2, 1]
    assert [s.score for p in first for s in p] == pytest.approx([s.score for p in again for s in p], abs=1e-4)
    assert first[10] == [] and all(0 <= s.start < s.end <= len(t) for t, p in zip(texts, first) for s in p)
    assert model.whole_runs                 # no span of the training data cuts a Latin word or a number
    labels = {s.label for p in first for s in p}
    assert ("LOC" in labels) == nested or encoder == "transformer"  # taggers keep the outer GPE only
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(log) == 12 and (tmp_path / "run" / "curve.png").stat().st_size > 1000


def test_long_text_is_windowed_not_truncated(corpus_file, tmp_path):
    result = train(load_config(None, {"data.train": str(corpus_file), "model.hidden": "32", "model.max_length": "48",
                                      "model.head": "globalpointer", "train.epochs": "15", "train.patience": "0",
                                      "train.lr": "1e-2", "train.output": str(tmp_path), "train.threads": "1"}))
    model = load(result.model_dir)
    sentence = "昨天张伟去了北京市，张伟很开心。"
    text = sentence * (100_000 // len(sentence) + 1)
    spans = model.predict([text])[0]
    expected = {(i * len(sentence) + s.start, i * len(sentence) + s.end, s.label)
                for i in range(len(text) // len(sentence)) for s in model.predict([sentence])[0]}
    found = {(s.start, s.end, s.label) for s in spans}
    # context differs at window cuts, so not every sentence-level span reappears, but none is lost to truncation
    assert len(text) > 100_000 and len(found & expected) >= 0.5 * len(expected)
    assert {s.start // 1000 for s in spans} == set(range(len(text) // 1000 + 1))
    assert max(s.end for s in spans) > len(text) - len(sentence)


@pytest.mark.parametrize("layers", [1, 2])
def test_bilstm_equals_the_packed_bidirectional_lstm(layers):
    """Its end-padded one-way runs give nn.LSTM's packed outputs and gradients; padding comes out zero."""
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    from zhner.nn.encoders import BiLSTM

    class Given(torch.nn.Module):
        dim = 12

        def forward(self, batch):
            return batch["x"]

    torch.manual_seed(0)
    enc = BiLSTM(Given(), 8, layers).eval()
    lengths = torch.tensor([9, 3, 7, 1, 9])
    mask = torch.arange(9) < lengths[:, None]
    x = torch.randn(5, 9, 12, requires_grad=True)
    ours = enc({"x": x, "mask": mask})
    packed = enc.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))[0]
    theirs = pad_packed_sequence(packed, batch_first=True, total_length=9)[0]
    assert torch.allclose(ours, theirs, atol=1e-6) and not ours[~mask].any()
    wrt = [x, *enc.lstm.parameters()]
    for a, b in zip(torch.autograd.grad(ours.square().sum(), wrt), torch.autograd.grad(theirs.square().sum(), wrt)):
        assert torch.allclose(a, b, atol=1e-5)


def test_windows_tile_the_text():
    from zhner.windows import windows
    for length in (0, 1, 47, 48, 49, 100, 1000):
        plan = windows(length, 48, 12)
        assert plan[0][2] == 0 and plan[-1][3] == length
        for (s, e, cs, ce), nxt in zip(plan, plan[1:] + [None]):
            assert s <= cs <= ce <= e and e - s <= 48 and (nxt is None or nxt[2] == ce)


def test_trim_cuts_white_space_and_keeps_the_best_of_equal_spans():
    from zhner.spans import trim
    text = " 李强 \u3000北京\u200b\x00"
    spans = [Span(0, 4, "PER", 0.6), Span(1, 3, "PER", 0.9), Span(3, 5, "LOC", 0.5), Span(4, 9, "LOC", 0.7)]
    assert [(s.start, s.end, s.label, s.score) for s in trim(text, spans)] == \
        [(1, 3, "PER", 0.9), (5, 7, "LOC", 0.7)]
    assert trim(text, [Span(1, 3, "PER", 0.9), Span(0, 3, "PER", 0.95)])[0].score == 0.95
    assert trim(text, [Span(7, 9, "LOC")]) == []
    emoji = "😀李强👍🏻在北京\ufe0f，©"                # skin tone, variation selector and © are cut as well
    assert [emoji[s.start:s.end] for s in trim(emoji, [Span(0, 5, "PER"), Span(6, 9, "LOC"), Span(10, 11, "X")])] == \
        ["李强", "北京"]
    assert trim("漳州一一○", [Span(0, 5, "ORG")]) == [Span(0, 5, "ORG")]       # a symbol that is no emoji stays


def test_whole_runs_widens_edges_inside_latin_words_and_numbers():
    from zhner.spans import Example, Span, keeps_runs, trim
    text = "CEO Tim Cook在ＡＰＰＬＥ买了iPhone6s和32GB。"
    spans = [Span(5, 12, "PER", 0.7), Span(15, 17, "ORG"), Span(21, 25, "X"), Span(30, 31, "N")]
    assert [text[s.start:s.end] for s in trim(text, spans, whole_runs=True)] == ["Tim Cook", "ＡＰＰＬＥ", "iPhone", "32"]
    assert trim(text, spans) == sorted(spans)                               # without it, only blanks go
    assert trim(text, [Span(20, 26, "X")], whole_runs=True) == [Span(20, 26, "X")]      # "iPhone|6s" is no cut
    assert trim(text, [Span(4, 7, "PER", 0.5), Span(5, 7, "PER", 0.9)], whole_runs=True) == [Span(4, 7, "PER", 0.9)]
    assert keeps_runs([Example(text, [Span(4, 12, "PER"), Span(20, 26, "X")])])
    assert not keeps_runs([Example(text, [Span(4, 6, "PER")])]) and not keeps_runs([Example("ac米兰", [Span(1, 4, "O")])])


def test_batches_by_length_keep_every_text_once_and_respect_the_limits():
    from zhner.windows import by_length
    lengths = [5, 40, 39, 30, 29, 7, 40, 1, 6]
    groups = by_length(lengths, limit=2)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    assert groups[0] == [1, 6]                          # longest first, ties in input order
    for g in groups:
        assert len(g) <= 2 and min(lengths[i] for i in g) >= 0.75 * max(lengths[i] for i in g)
    assert [len(g) for g in by_length([40, 30, 30, 40])] == [4]
    assert by_length([]) == []


def test_weight_average_follows_its_formula_and_swaps_in_and_out():
    from zhner.training import WeightAverage
    layer = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        layer.weight.fill_(0.0)
    average, expected = WeightAverage(layer, decay=0.2), 0.0
    for t, value in enumerate([1.0, 2.0, 3.0], start=1):
        with torch.no_grad():
            layer.weight.fill_(value)
        average.update()
        d = 2 / 11 if t == 1 else 0.2               # the warm-up term (1 + t)/(10 + t), then the decay
        expected = d * expected + (1 - d) * value
    assert average.steps == 3
    with average.swapped():
        assert layer.weight.item() == pytest.approx(expected)
    assert layer.weight.item() == 3.0


@pytest.mark.parametrize("head", ["softmax", "globalpointer"])
def test_word_level_maps_word_spans_to_characters(head, corpus_file, tmp_path, capsys):
    result = train(load_config(None, {"data.train": str(corpus_file), "model.level": "word", "model.head": head,
                                      "model.hidden": "32", "model.char_dim": "32",
                                      "train.epochs": "25", "train.patience": "0", "train.lr": "1e-2",
                                      "train.threads": "1", "train.output": str(tmp_path)}))
    # jieba keeps 北京市 whole, so the nested LOC 北京 never aligns with words: counted, not a target
    expected = "0 of 108" if head == "softmax" else "54 of 162"   # taggers already dropped the nested LOC
    assert f"{expected} gold entities do not start and end on word boundaries" in capsys.readouterr().err
    model = load(result.model_dir)
    fresh = tiny_corpus(10, seed=2)
    pred = model.predict([ex.text for ex in fresh] + [""])
    report = evaluate([[s for s in ex.spans if s.label != "LOC"] for ex in fresh], pred[:10])
    assert pred[10] == [] and report.micro.f1 > 0.9, report.table()
    assert all(ex.text[s.start:s.end] in NAMES for ex, p in zip(fresh, pred) for s in p if s.label == "PER")


def test_patience_waits_for_a_first_entity(corpus_file, tmp_path):
    result = train(load_config(None, {"data.train": str(corpus_file), "model.hidden": "8",
                                      "model.head": "globalpointer", "model.threshold": "1e9",   # never predicts
                                      "train.epochs": "5", "train.patience": "1", "train.threads": "1",
                                      "train.output": str(tmp_path)}))
    log = (tmp_path / "log.jsonl").read_text().splitlines()
    assert result.dev.micro.f1 == 0 and len(log) == 5     # never found an entity, so never stopped early


def test_min_steps_stretches_the_budget_on_small_data(corpus_file, tmp_path, capsys):
    overrides = {"data.train": str(corpus_file), "model.hidden": "8", "train.batch_size": "16",
                 "train.epochs": "1", "train.patience": "1", "train.threads": "1"}
    for min_steps, epochs in ((10, 3), (2, 1)):         # 54 training texts: 4 batches of 16 per epoch
        out = tmp_path / str(min_steps)
        train(load_config(None, {**overrides, "train.min_steps": str(min_steps), "train.output": str(out)}))
        assert len((out / "log.jsonl").read_text().splitlines()) == epochs
    assert "3 epochs, patience 3: 4 batches per epoch, train.min_steps 10" in capsys.readouterr().err


BROKEN_MODELS = {
    "format version from the future": ("config.json", lambda p: p.write_text(
        p.read_text().replace('"format_version": 1', '"format_version": 99')), "format version 99 is not supported"),
    "config not JSON": ("config.json", lambda p: p.write_text("{"), "unreadable model config"),
    "unknown config key": ("config.json", lambda p: p.write_text(
        p.read_text().replace('"model": {', '"model": {"colour": 1, ')), "colour"),
    "weights truncated": ("model.safetensors", lambda p: p.write_bytes(p.read_bytes()[:1000]), "model.safetensors"),
    "weights missing": ("model.safetensors", lambda p: p.unlink(), "model.safetensors"),
    "vocabulary missing": ("chars.json", lambda p: p.unlink(), "chars.json"),
    "vocabulary truncated": ("chars.json", lambda p: p.write_text(p.read_text()[:50]), "chars.json"),
}


@pytest.mark.parametrize("case", list(BROKEN_MODELS))
def test_broken_model_directories_get_clear_errors(case, tmp_path):
    import shutil
    import subprocess
    import sys

    from zhner.model import DEFAULT_MODEL
    from zhner.spans import DataError
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, folder)
    name, change, words = BROKEN_MODELS[case]
    change(folder / name)
    with pytest.raises(DataError, match=words):
        load(folder)
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "--model", str(folder), "张三"],
                         capture_output=True, text=True)
    assert res.returncode == 1 and str(folder) in res.stderr and "Traceback" not in res.stderr, res.stderr


def test_loading_reads_no_pickle(tmp_path, monkeypatch):
    import pickle
    import shutil

    from zhner.model import DEFAULT_MODEL
    folder = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, folder)
    (folder / "pytorch_model.bin").write_bytes(b"not to be read")

    def refuse(*args, **kwargs):
        raise AssertionError("something was unpickled")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(torch, "load", refuse)
    assert load(folder).predict(["张三在北京"])[0]


def tiny_model(examples, **settings) -> NERModel:
    """An untrained model over `examples`' characters and labels (BiLSTM 16 wide, bigrams 8 unless `settings`)."""
    cfg = ModelConfig(**{"hidden": 16, "bigram_dim": 8, "max_length": 100, **settings})
    return NERModel(cfg, sorted({s.label for ex in examples for s in ex.spans}),
                    Featurizer.build(cfg, (ex.text for ex in examples)))


@pytest.mark.parametrize("encoder,head", CASES)
def test_every_trainable_parameter_gets_a_gradient(encoder, head, tiny_bert):
    """What lets DistributedDataParallel run without searching for unused parameters; also for a batch
    without gold spans."""
    examples = [flatten(ex)[0] for ex in tiny_corpus(8)] if head in ("softmax", "crf", "cascade") else tiny_corpus(8)
    model = tiny_model(examples, encoder=encoder, head=head, word_dim=8, lexicon_dim=8,
                       transformer=str(tiny_bert) if encoder == "transformer" else None)
    for spans in ([ex.spans for ex in examples], [[] for _ in examples]):
        model.zero_grad(set_to_none=True)
        model(model.make_batch([ex.text for ex in examples], spans)).backward()
        assert [n for n, p in model.named_parameters() if p.requires_grad and p.grad is None] == []


@pytest.mark.parametrize("encoder", ["bilstm", "transformer"])
def test_fgm_steps_up_the_loss_gradient_and_adds_the_second_gradient(encoder, tiny_bert):
    """With g = ∂L/∂x per example, L(x + r) - L(x) ≈ g·r = ε Σ_b ‖g_b‖ for a small ε, and the step's
    gradient is ∇L(x) + ∇L(x + r) ≈ 2 ∇L(x); outside `watching()` the model is untouched."""
    examples = [flatten(ex)[0] for ex in tiny_corpus(8)]
    model = tiny_model(examples, encoder=encoder, head="crf",
                       transformer=str(tiny_bert) if encoder == "transformer" else None).double().eval()
    batch = model.make_batch([ex.text for ex in examples], [ex.spans for ex in examples])
    clean = model(batch)
    clean.backward()
    clean_grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad(set_to_none=True)
    epsilon = 1e-4
    fgm = FGM(model, epsilon)
    with fgm.watching():
        loss = model(batch)
        loss.backward()
        g_norms = fgm.grad.flatten(1).norm(dim=1)
        adversarial = fgm.backward(model, batch)
    assert loss.item() == pytest.approx(clean.item(), rel=1e-12) and len(g_norms) == len(examples)
    assert adversarial.item() - clean.item() == pytest.approx(epsilon * g_norms.sum().item(), rel=1e-2)
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert len(grads) == len(clean_grads)
    assert all((g - 2 * c).norm() <= 1e-3 * c.norm() + 1e-12 for g, c in zip(grads, clean_grads))  # key bias: 0
    assert model(batch).item() == pytest.approx(clean.item(), rel=1e-12)


@pytest.mark.parametrize("head", ["crf", "cascade"])
def test_an_ensemble_decodes_the_mean_of_its_models_outputs_and_potentials(head):
    """Two models with one encoder and other head weights: their heads' outputs are linear in the weights, so the
    mean of the outputs is what the head with the mean weights (CRF transitions too) gives; the ensemble must
    predict as that one model does."""
    examples = [flatten(ex)[0] for ex in tiny_corpus(8)]
    torch.manual_seed(0)
    a = tiny_model(examples, head=head).eval()
    b, mean = copy.deepcopy(a), copy.deepcopy(a)
    with torch.no_grad():
        for pb, pm in zip(b.head.parameters(), mean.head.parameters()):
            step = torch.randn_like(pb)
            pb.add_(step)
            pm.add_(step / 2)
    texts = [ex.text for ex in tiny_corpus(10, seed=1)]
    together, alone, single = Ensemble([a, b]).predict(texts), mean.predict(texts), a.predict(texts)

    def where(predictions):
        return [[(s.start, s.end, s.label) for s in p] for p in predictions]
    assert where(together) == where(alone) != where(single) and sum(map(len, together)) > 5
    assert [s.score for p in together for s in p] == pytest.approx([s.score for p in alone for s in p], abs=1e-5)
    other = tiny_model(examples + [Example("上海", (Span(0, 2, "CITY"),))], head=head)
    with pytest.raises(ValueError, match="same labels"):
        Ensemble([a, other])


def test_ensemble_members_that_segment_alike_share_one_segmenter(tmp_path):
    examples = [flatten(ex)[0] for ex in tiny_corpus(8)]
    words = tmp_path / "words.txt"
    words.write_text("李明 5 nr\n", encoding="utf-8")
    a, b, c = (tiny_model(examples, word_dim=8) for _ in range(3))
    d = tiny_model(examples, word_dim=8, user_dict=str(words))
    Ensemble([a, b, c, d])
    assert b.featurizer.segmenter is a.featurizer.segmenter is c.featurizer.segmenter
    assert d.featurizer.segmenter is not a.featurizer.segmenter
