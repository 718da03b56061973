"""Cascade: (a) untyped span tagging, a CRF or softmax over the BIO/BIOES tags of a single label, whose
cost does not grow with the number of types; (b) typing each span: p(type | span) = softmax(W r), with
r = [h_start; h_end] or r = h_end (the reference's choice). The type loss is the cross-entropy on gold spans
only (every non-entity position is masked out of it), summed and divided by the number of tokens like the
tagger's loss, so that the total is the per-token −log p(tags, types). (A mean over spans instead weighs
types about tokens/spans ≈ 10× more; on the e-commerce titles that cost 13 F1 points.) A predicted span's score is
p(span) · p(type | span). Since W [h_i; h_j] + b = A_i + E_j with A = h W_startᵀ, E = h W_endᵀ + b, the
head's outputs (for ONNX) are per position: [tagger outputs | A | E]."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ...schemes import UNTYPED
from ...spans import Span
from .crf import CRF
from .globalpointer import span_index
from .softmax import Softmax


class Cascade(nn.Module):
    length_axes = (1,)              # of `outputs`, which the ONNX export makes dynamic

    def __init__(self, in_dim: int, labels, scheme: str = "BIOES", cascade_tagger: str = "crf",
                 cascade_repr: str = "start_end", o_weight: float = 1.0, **_):
        super().__init__()
        self.labels, self.repr = list(labels), cascade_repr
        self.tagger = (CRF if cascade_tagger == "crf" else Softmax)(in_dim, [UNTYPED], scheme, o_weight=o_weight)
        self.typer = nn.Linear(in_dim * (2 if cascade_repr == "start_end" else 1), len(self.labels))

    def crf_parameters(self):
        return self.tagger.crf_parameters() if isinstance(self.tagger, CRF) else []

    def targets(self, lengths, spans) -> dict:
        return {"tags": self.tagger.tagset.targets(lengths, spans, untyped=True),
                "spans": span_index(self.labels, spans)}

    def type_parts(self, h):
        """(A, E), B×L×types each, with typer([h_i; h_j]) = A_i + E_j (A = 0 for the end-only representation)."""
        w, b = self.typer.weight, self.typer.bias
        if self.repr == "end":
            return torch.zeros(*h.shape[:-1], len(self.labels), device=h.device), h @ w.T + b
        d = h.size(-1)
        return h @ w[:, :d].T, h @ w[:, d:].T + b

    def loss(self, h, batch):
        """Tagger loss + type loss. A batch without gold spans adds a type loss of 0 whose gradients reach the
        typer as zeros, not as none, so DistributedDataParallel needs no search for unused parameters."""
        b, c, i, j = batch["spans"].to(h.device).unbind(1)
        a, e = self.type_parts(h)
        typing = F.cross_entropy(a[b, i] + e[b, j], c, reduction="sum") / batch["mask"].sum().clamp(min=1)
        return self.tagger.loss(h, batch) + typing

    def outputs(self, h, batch):
        return torch.cat([self.tagger.outputs(h, batch), *self.type_parts(h)], -1)

    def decode_outputs(self, out, batch):
        n, c = len(self.tagger.tagset), len(self.labels)
        untyped = self.tagger.decode_outputs(out[..., :n], batch)
        a, e = out[..., n:n + c], out[..., n + c:]
        flat = [(b, s) for b, spans in enumerate(untyped) for s in spans]
        result = [[] for _ in untyped]
        if flat:
            b, i, j = torch.tensor([(b, s.start, s.end - 1) for b, s in flat], device=out.device).unbind(1)
            best, label = (a[b, i] + e[b, j]).softmax(-1).max(-1)
            for (b, s), p, k in zip(flat, best.tolist(), label.tolist()):
                result[b].append(Span(s.start, s.end, self.labels[k], s.score * p))
        return result
