"""Linear-chain CRF with transitions restricted to what the scheme allows.

score(y) = start[y_1] + Σ_i E[i, y_i] + Σ_i T[y_{i-1}, y_i] + end[y_n]; loss = log Z − score(gold), log Z by
the forward algorithm (PyTorch, for the gradient); decoding by Viterbi, and span scores from forward-backward
marginals, both compiled (`dp`). Disallowed transitions carry a fixed −10⁴ that is never learned.
WOL (`o_weight` < 1): softmax-margin training (Gimpel & Smith 2010): inside log Z, every path that tags O
where the gold has an entity scores ln(1/o_weight) higher, so a missed entity costs more than a spurious one.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .tagging import TagSet

NEG = -1e4


def _array(x):
    """x (a tensor or an array) as a contiguous float32 array; no copy when it already is one."""
    if isinstance(x, torch.Tensor):
        x = x.detach().float().cpu().numpy()
    return np.ascontiguousarray(x, dtype=np.float32)


def _before(trans):
    """For each tag, the tags allowed before it (T > NEG/2) as (ids, offsets): tag j's are
    ids[offsets[j]:offsets[j + 1]]."""
    allowed = trans > NEG / 2
    return np.nonzero(allowed.T)[1], np.concatenate([[0], np.cumsum(allowed.sum(0))])


def viterbi(emissions, mask, start, trans, end):
    """Best tag path per sequence: (B, T, K) emissions, (B, T) mask (a prefix of each row) -> list of id lists.
    Transitions at or below NEG/2 are disallowed; compiled (`dp.viterbi`), on the CPU whatever the device."""
    from . import dp
    em, start, trans, end = (_array(x) for x in (emissions, start, trans, end))
    lengths = mask.sum(1).cpu().numpy()
    paths = dp.viterbi(em, lengths, start, trans, end, *_before(trans), trans.max(0))
    return [paths[b, :n].tolist() for b, n in enumerate(lengths.tolist())]


def marginals(emissions, mask, start, trans, end):
    """p(y_t = k | x) (B, T, K) as a numpy array by forward-backward; 0 past each sequence's end. Compiled
    (`dp.marginals`), on the CPU whatever the device."""
    from . import dp
    em, start, trans, end = (_array(x) for x in (emissions, start, trans, end))
    return dp.marginals(em, mask.sum(1).cpu().numpy(), start, trans, end)


def log_partition(emissions, mask, start, trans, end):
    """log Z per sequence of (B, T, K) emissions, `mask` (B, T) a prefix of each row.

    Scaled recursion (as for HMMs): â_t = (â_{t-1} · exp(T − T_max)) ⊙ exp(E_t − max E_t) / c_t, with c_t
    the sum that makes â_t sum to 1, and alpha_t = log â_t + Σ_{s≤t} (log c_s + T_max + max E_s). Each step
    is four small tensor operations; the logs and the running sum are taken once, at each sequence's end."""
    t_max = trans.max()
    exp_trans = (trans - t_max).exp()
    tiny = torch.finfo(emissions.dtype).tiny
    first = start + emissions[:, 0]
    top = first.max(-1, keepdim=True).values
    a = (first - top).exp()
    norm = a.sum(-1, keepdim=True)
    a = a / norm
    rest = emissions[:, 1:]
    peak = rest.max(-1).values
    hats, norms = [a], [norm]
    for factor in (rest - peak.unsqueeze(-1)).exp().unbind(1):
        a = (a @ exp_trans) * factor
        norm = a.sum(-1, keepdim=True).clamp_min(tiny)
        a = a / norm
        hats.append(a)
        norms.append(norm)
    last = (mask.sum(1, keepdim=True) - 1).clamp(min=0)
    offset = (torch.cat(norms, -1).log() + torch.cat([top, peak + t_max], -1)).cumsum(-1).gather(1, last)
    hat = torch.stack(hats, 1).gather(1, last.unsqueeze(2).expand(-1, 1, a.size(-1))).squeeze(1)
    return torch.logsumexp(hat.clamp_min(tiny).log() + offset + end, -1)


class CRF(nn.Module):
    length_axes = (1,)              # of `outputs`, which the ONNX export makes dynamic

    def __init__(self, in_dim: int, labels, scheme: str = "BIOES", o_weight: float = 1.0, **_):
        super().__init__()
        self.tagset, self.margin = TagSet(labels, scheme), math.log(1 / o_weight)
        k = len(self.tagset)
        self.proj = nn.Linear(in_dim, k)
        self.start = nn.Parameter(torch.zeros(k))
        self.end = nn.Parameter(torch.zeros(k))
        self.trans = nn.Parameter(torch.zeros(k, k))
        start, trans, end = self.tagset.allowed()
        for name, allowed in (("start_mask", start), ("trans_mask", trans), ("end_mask", end)):
            self.register_buffer(name, torch.where(allowed, 0.0, NEG), persistent=False)

    def crf_parameters(self):
        return [self.start, self.end, self.trans]

    def potentials(self):
        return self.start + self.start_mask, self.trans + self.trans_mask, self.end + self.end_mask

    def targets(self, lengths, spans) -> dict:
        return {"tags": self.tagset.targets(lengths, spans)}

    def loss(self, h, batch):
        em, mask, tags = self.proj(h), batch["mask"], batch["tags"]
        start, trans, end = self.potentials()
        augmented = em
        if self.margin:
            missed = torch.zeros_like(em)
            missed[..., 0] = (tags > 0) * self.margin
            augmented = em + missed
        log_z = log_partition(augmented, mask, start, trans, end)
        gold = start[tags[:, 0]] + em.gather(2, tags.unsqueeze(2)).squeeze(2).masked_fill(~mask, 0).sum(1)
        steps = trans[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]
        last = tags.gather(1, (mask.sum(1, keepdim=True) - 1).clamp(min=0)).squeeze(1)
        gold = gold + steps.sum(1) + end[last]
        return (log_z - gold).sum() / mask.sum().clamp(min=1)

    def outputs(self, h, batch):
        return self.proj(h)

    def decode_outputs(self, em, batch):
        em, start, trans, end = map(_array, (em, *self.potentials()))     # converted once for both
        paths = viterbi(em, batch["mask"], start, trans, end)
        probs = marginals(em, batch["mask"], start, trans, end)
        return [self.tagset.decode(p, probs[b, np.arange(len(p)), p].tolist() if p else None)
                for b, p in enumerate(paths)]
