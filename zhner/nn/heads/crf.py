"""Linear-chain CRF, vectorised over the batch, with transitions restricted to what the scheme allows.

score(y) = start[y_1] + Σ_i E[i, y_i] + Σ_i T[y_{i-1}, y_i] + end[y_n]; loss = log Z − score(gold), log Z by
the forward algorithm; decoding by Viterbi. Disallowed transitions carry a fixed −10⁴ that is never learned.
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


def _plan(trans, few: int = 4):
    """The allowed transitions (T > NEG/2) as (`dense`, `sparse`): `dense` lists (rows, cols, T[rows][:, cols],
    column maxima) for each group of columns sharing a predecessor set larger than `few`; `sparse` is
    (cols, preds, valid) for the other columns, preds padded to `few` (I-X: only B-X and I-X precede it)."""
    allowed = trans > NEG / 2
    sets, which = torch.unique(allowed.T, dim=0, return_inverse=True)
    dense, small = [], []
    for g, rows in enumerate(sets):
        cols = (which == g).nonzero().flatten()
        if int(rows.sum()) > few:
            rows = rows.nonzero().flatten()
            block = trans[rows][:, cols]
            dense.append((rows, cols, block, block.max(0).values))
        else:
            small.append(cols)
    sparse = None
    if small:
        cols = torch.cat(small)
        valid, preds = allowed.T[cols].to(torch.int8).topk(few, 1)
        sparse = (cols, preds, valid.bool())
    return dense, sparse


def _best_previous(score, trans, plan):
    """max_i score[:, i] + T[i, j] and its argmax, for every tag j (−10⁴-ish where nothing may precede j).

    Exact pruning in each dense group: with i* = argmax score over the group's rows, column j reaches at least
    score[i*] + T[i*, j], so row i can win somewhere only if score[i] ≥ θ = min_j (score[i*] + T[i*, j] −
    max_i' T[i', j]). Only rows above θ (usually a handful) enter the max, not all K² pairs."""
    best = torch.full_like(score, 2 * NEG)
    idx = torch.zeros(score.shape, dtype=torch.long, device=score.device)
    dense, sparse = plan
    for rows, cols, block, col_max in dense:
        s = score[:, rows]
        top, arg = s.max(1, keepdim=True)
        theta = (top + block[arg.squeeze(1)] - col_max).min(1, keepdim=True).values
        k = int((s >= theta).sum(1).max())
        values, picked = s.topk(k, 1) if k < len(rows) else (s, torch.arange(len(rows)).expand_as(s))
        b, pick = (values.unsqueeze(2) + block[picked]).max(1)
        best[:, cols], idx[:, cols] = b, rows[picked.gather(1, pick)]
    if sparse is not None:
        cols, preds, valid = sparse
        cand = (score[:, preds] + trans[preds, cols.unsqueeze(1)]).masked_fill(~valid, 3 * NEG)
        b, pick = cand.max(2)
        best[:, cols], idx[:, cols] = b, preds.gather(1, pick.T).T
    return best, idx


def viterbi(emissions, mask, start, trans, end):
    """Best tag path per sequence: (B, T, K) emissions, (B, T) mask (a prefix of each row) -> list of id lists.
    Up to 64 tags the full (B, K, K) max is cheapest; above, the pruned, structure-aware `_best_previous`.
    Every step runs over the whole batch, padding included; a sequence's path ends at its own last position."""
    plan = _plan(trans) if trans.size(0) > 64 else None
    score = start + emissions[:, 0]
    scores, history = [score], []
    for em in emissions.unbind(1)[1:]:
        best, idx = (score.unsqueeze(2) + trans).max(1) if plan is None else _best_previous(score, trans, plan)
        score = best + em
        scores.append(score)
        history.append(idx)
    cur = (_at_last(torch.stack(scores, 1), mask) + end).argmax(1).cpu().numpy()
    out, rows = np.zeros((len(cur), emissions.size(1)), dtype=np.int64), np.arange(len(cur))
    if history:     # past a sequence's end the pointers are the identity: the back-track waits at its last tag
        keep = torch.arange(trans.size(0), device=mask.device)
        history = torch.where(mask[:, 1:].T.unsqueeze(2), torch.stack(history), keep).cpu().numpy()
        for t in range(emissions.size(1) - 1, 0, -1):     # back-tracking, all sequences at once
            out[:, t] = cur
            cur = history[t - 1, rows, cur]
    out[:, 0] = cur
    lengths = mask.sum(1).cpu().numpy()
    return [out[b, :n].tolist() for b, n in enumerate(lengths.tolist())]


def forward_scores(emissions, mask, start, trans, end):
    """log Z per sequence and the forward log-potentials alpha (..., B, T, K); leading dims broadcast with
    those of start/end (..., 1, K) and trans (..., K, K), so several chains run in one loop. `mask` (..., B, T)
    is a prefix of each row; alpha past a sequence's end is computed but not used for its log Z.

    Scaled recursion (as for HMMs): â_t = (â_{t-1} · exp(T − T_max)) ⊙ exp(E_t − max E_t) / c_t, with c_t
    the sum that makes â_t sum to 1, and alpha_t = log â_t + Σ_{s≤t} (log c_s + T_max + max E_s). Each step
    is four small tensor operations; the logs and the running sum are taken once, over all steps."""
    t_max = trans.max()
    exp_trans = (trans - t_max).exp()
    tiny = torch.finfo(emissions.dtype).tiny
    first = start + emissions[..., 0, :]
    top = first.max(-1, keepdim=True).values
    a = (first - top).exp()
    norm = a.sum(-1, keepdim=True)
    a = a / norm
    rest = emissions[..., 1:, :]
    peak = rest.max(-1).values
    hats, norms = [a], [norm]
    for factor in (rest - peak.unsqueeze(-1)).exp().unbind(-2):
        a = (a @ exp_trans) * factor
        norm = a.sum(-1, keepdim=True).clamp_min(tiny)
        a = a / norm
        hats.append(a)
        norms.append(norm)
    offset = (torch.cat(norms, -1).log() + torch.cat([top, peak + t_max], -1)).cumsum(-1)
    alphas = torch.stack(hats, -2).clamp_min(tiny).log() + offset.unsqueeze(-1)
    return torch.logsumexp(_at_last(alphas, mask) + end, -1), alphas


def _at_last(values, mask):
    """values (..., B, T, K) at each sequence's last position -> (..., B, K); `mask` (..., B, T) is a prefix of
    each row (position 0 for an empty one)."""
    last = (mask.sum(-1) - 1).clamp(min=0)
    return values.gather(-2, last[..., None, None].expand(*last.shape, 1, values.size(-1))).squeeze(-2)


class CRF(nn.Module):
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
        log_z, _ = forward_scores(augmented, mask, start, trans, end)
        gold = start[tags[:, 0]] + em.gather(2, tags.unsqueeze(2)).squeeze(2).masked_fill(~mask, 0).sum(1)
        steps = trans[tags[:, :-1], tags[:, 1:]] * mask[:, 1:]
        last = tags.gather(1, (mask.sum(1, keepdim=True) - 1).clamp(min=0)).squeeze(1)
        gold = gold + steps.sum(1) + end[last]
        return (log_z - gold).sum() / mask.sum().clamp(min=1)

    def outputs(self, h, batch):
        return self.proj(h)

    @torch.no_grad()
    def decode(self, h, batch):
        return self.decode_outputs(self.outputs(h, batch), batch)

    def decode_outputs(self, em, batch):
        mask = batch["mask"]
        start, trans, end = self.potentials()
        paths = viterbi(em, mask, start, trans, end)
        marginals = self.marginals(em, mask, start, trans, end).cpu().numpy()
        return [self.tagset.decode(p, marginals[b, np.arange(len(p)), p].tolist() if p else None)
                for b, p in enumerate(paths)]

    def marginals(self, em, mask, start, trans, end):
        """p(y_i = k | x) by forward-backward, clamped to ≤ 1 (float32 rounding of a sure tag gives 1 + 1e-5);
        0 past each sequence's end."""
        lengths = mask.sum(1)
        positions = torch.arange(mask.size(1), device=mask.device)
        idx = (lengths.unsqueeze(1) - 1 - positions).clamp(min=0)
        rev_em = em.gather(1, idx.unsqueeze(2).expand_as(em))
        rev_mask = positions.unsqueeze(0) < lengths.unsqueeze(1)
        # the forward pass and the backward pass (a forward pass over the reversed sequences) in one loop
        log_z, alphas = forward_scores(torch.stack([em, rev_em]), torch.stack([mask, rev_mask]),
                                       torch.stack([start, end]).unsqueeze(1), torch.stack([trans, trans.t()]),
                                       torch.stack([end, start]).unsqueeze(1))
        alpha, beta_rev, log_z = alphas[0], alphas[1], log_z[0]
        beta = beta_rev.gather(1, idx.unsqueeze(2).expand_as(beta_rev)) - em
        return (alpha + beta - log_z.view(-1, 1, 1)).exp().clamp_max(1.0) * mask.unsqueeze(2)
