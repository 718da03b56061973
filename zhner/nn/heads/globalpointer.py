"""GlobalPointer (Su 2021) and Efficient GlobalPointer: score every span [i, j], i ≤ j, per type.

GlobalPointer: q_{i,α} = W_{q,α} h_i, k_{j,α} = W_{k,α} h_j, RoPE on both, s_α(i, j) = q_{i,α}ᵀ k_{j,α} / √d.
Efficient GlobalPointer: one shared q/k, s_α(i, j) = q_iᵀ k_j / √d + w_{α,s}ᵀ[q_i; k_i] + w_{α,e}ᵀ[q_j; k_j].
Loss (multi-label categorical cross-entropy, per sentence and type):
  log(1 + Σ_{P_α} e^{−s}) + log(1 + Σ_{Q_α} e^{s}), P_α gold spans, Q_α every other valid span.
WOL: the gold-span term of type α is weighted by w_α (`pos_weight`, or `pos_weight_by_type[α]`).
A span is predicted when s > threshold; nested spans come out as they are. With `flat`, only the best
non-overlapping spans are kept. Gold spans are given per batch as (batch, type, start, end) indices.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ...config import ConfigError
from ...spans import Span, overlaps


def rope(x):
    """Rotary position embedding on the last dim of (B, T, ..., d): rotate pairs (x_2m, x_2m+1) by i·θ_m,
    θ_m = 10000^(−2m/d), so that (R_i q)ᵀ (R_j k) depends on j − i only. Computed as a complex product, the
    pair read as x_2m + x_2m+1·√−1 times cos iθ_m + sin iθ_m·√−1: one pass over x. ONNX has no complex
    numbers, so an export traces the same rotation as x ⊙ cos + swap(x) ⊙ (∓sin), swap exchanging each pair."""
    t, d = x.size(1), x.size(-1)
    pos = torch.arange(t, dtype=torch.float32, device=x.device)
    theta = torch.pow(10000.0, -torch.arange(0, d, 2, dtype=torch.float32, device=x.device) / d)
    shape = (1, t, *([1] * (x.dim() - 3)), -1)
    if torch.onnx.is_in_onnx_export():
        angle = (pos[:, None] * theta.repeat_interleave(2)[None]).view(shape)
        sign = torch.tensor([-1.0, 1.0], device=x.device).repeat(d // 2)
        swapped = torch.stack([x[..., 1::2], x[..., 0::2]], -1).flatten(-2)
        return x * angle.cos() + swapped * (angle.sin() * sign)
    angle = (pos[:, None] * theta[None]).view(shape)
    pairs = torch.view_as_complex(x.contiguous().unflatten(-1, (d // 2, 2)))
    return torch.view_as_real(pairs * torch.polar(torch.ones_like(angle), angle)).flatten(-2)


def span_index(labels, spans):
    """Gold spans as an (N, 4) tensor of (row, type, start, end_inclusive): sparse, densified per batch."""
    index = {label: i for i, label in enumerate(labels)}
    rows = [(b, index[s.label], s.start, s.end - 1) for b, ss in enumerate(spans) for s in ss]
    return torch.tensor(rows, dtype=torch.long).view(-1, 4)


def span_mask(mask):
    """(B, 1, T, T) True where i ≤ j and both positions are real characters."""
    t = mask.size(1)
    upper = torch.ones(t, t, dtype=torch.bool, device=mask.device).triu()
    return (mask[:, None, :, None] & mask[:, None, None, :] & upper)


def multilabel_crossentropy(scores, spans, pos_weight=1.0):
    """(1/B) Σ over (row, type α) of w_α·log(1 + Σ_pos e^{−s}) + log(1 + Σ_neg e^{s}). `scores` (B, C, T, T)
    are already −∞-like outside valid spans (as `scores()` returns them); `spans` (N, 4) index the gold ones.
    The positive term touches the N gold scores only; `pos_weight` is w for every type or a (C,) tensor of
    w_α; w > 1 makes a missed entity cost more than a spurious one (WOL for GlobalPointer)."""
    bsz, c, t, _ = scores.shape
    s = scores.flatten(2)
    b, k, i, j = spans.to(s.device).unbind(1)
    row, col = b * c + k, i * t + j
    neg = s.index_put((b, k, col), torch.tensor(torch.finfo(s.dtype).min / 4, device=s.device))
    total = torch.logaddexp(torch.logsumexp(neg, -1), torch.zeros(())).sum()
    if len(spans):
        v = -s[b, k, col]
        shift = torch.zeros(bsz * c, device=s.device).scatter_reduce(0, row, v.detach(), "amax")
        acc = torch.exp(-shift).index_add(0, row, torch.exp(v - shift[row]))
        weight = torch.as_tensor(pos_weight, dtype=s.dtype, device=s.device).expand(c).repeat(bsz)
        total = total + (weight * (shift + acc.log())).sum()
    return total / bsz


class _SpanHead(nn.Module):
    length_axes = (2, 3)            # of `outputs` (B × heads × T × T), which the ONNX export makes dynamic

    def __init__(self, labels, threshold: float = 0.0, flat: bool = False, pos_weight: float = 1.0,
                 pos_weight_by_type: dict | None = None):
        super().__init__()
        self.labels, self.threshold, self.flat = list(labels), threshold, flat
        by_type = pos_weight_by_type or {}
        unknown = sorted(set(by_type) - set(self.labels))
        if unknown:
            raise ConfigError(f"model.pos_weight_by_type: no type {', '.join(map(repr, unknown))} in the data "
                              f"(types: {', '.join(self.labels)})")
        weights = [by_type.get(label, pos_weight) for label in self.labels]
        self.register_buffer("pos_weight", torch.tensor(weights), persistent=False)

    def targets(self, lengths, spans) -> dict:
        return {"spans": span_index(self.labels, spans)}

    def loss(self, h, batch):
        return multilabel_crossentropy(self.scores(h, batch["mask"]), batch["spans"], self.pos_weight)

    def outputs(self, h, batch):
        return self.scores(h, batch["mask"])

    def decode_outputs(self, scores, batch):
        """Spans scoring above the threshold, kept only where `span_mask` holds: an ONNX runner pads its groups'
        scores back with values the threshold may pass. The mask is read at the hits, not and-ed with every
        (B, C, T, T) score."""
        hits = (scores > self.threshold).nonzero()
        row, _, start, end = hits.unbind(1)
        hits = hits[span_mask(batch["mask"])[row, 0, start, end]]
        values = scores[tuple(hits.t())].sigmoid().tolist()
        out = [[] for _ in range(scores.size(0))]
        for (b, c, i, j), p in zip(hits.tolist(), values):
            out[b].append(Span(i, j + 1, self.labels[c], p))
        return [self._flatten(spans) if self.flat else sorted(spans) for spans in out]

    @staticmethod
    def _flatten(spans):
        kept = []
        for s in sorted(spans, key=lambda s: -s.score):
            if not any(overlaps(s, k) for k in kept):
                kept.append(s)
        return sorted(kept)


class GlobalPointer(_SpanHead):
    def __init__(self, in_dim: int, labels, head_size: int = 64, rope: bool = True, threshold: float = 0.0,
                 flat: bool = False, pos_weight: float = 1.0, pos_weight_by_type: dict | None = None, **_):
        super().__init__(labels, threshold, flat, pos_weight, pos_weight_by_type)
        self.head_size, self.use_rope = head_size, rope
        self.proj = nn.Linear(in_dim, len(self.labels) * head_size * 2)

    def scores(self, h, mask):
        b, t, _ = h.shape
        qk = self.proj(h).view(b, t, len(self.labels), 2, self.head_size)
        if self.use_rope:
            qk = rope(qk)                                     # q and k of every type in one pass
        q, k = qk.unbind(3)
        s = torch.einsum("bmcd,bncd->bcmn", q, k) / math.sqrt(self.head_size)
        return s.masked_fill(~span_mask(mask), torch.finfo(s.dtype).min / 4)


class EfficientGlobalPointer(_SpanHead):
    def __init__(self, in_dim: int, labels, head_size: int = 64, rope: bool = True, threshold: float = 0.0,
                 flat: bool = False, pos_weight: float = 1.0, pos_weight_by_type: dict | None = None, **_):
        super().__init__(labels, threshold, flat, pos_weight, pos_weight_by_type)
        self.head_size, self.use_rope = head_size, rope
        self.proj = nn.Linear(in_dim, head_size * 2)
        self.bias = nn.Linear(head_size * 2, len(self.labels) * 2)

    def scores(self, h, mask):
        p = self.proj(h)
        q, k = p[..., 0::2], p[..., 1::2]
        if self.use_rope:
            q, k = rope(q), rope(k)
        s = torch.einsum("bmd,bnd->bmn", q, k) / math.sqrt(self.head_size)
        bias = self.bias(p).transpose(1, 2) / 2                       # (B, 2C, T)
        s = s[:, None] + bias[:, 0::2, :, None] + bias[:, 1::2, None, :]
        return s.masked_fill(~span_mask(mask), torch.finfo(s.dtype).min / 4)
