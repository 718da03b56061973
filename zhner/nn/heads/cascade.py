"""Cascade: (a) untyped span tagging, a CRF or softmax over the BIO/BIOES tags of a single label, whose
cost does not grow with the number of types; (b) typing each span: p(type | span) = softmax(W r), with
r = [h_start; h_end] or r = h_end (the reference's choice). The type loss is the cross-entropy on gold spans
only, i.e. every non-entity position is masked out of it. A predicted span's score is
p(span) · p(type | span)."""
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

    def type_logits(self, h, rows, starts, ends):
        r = h[rows, ends] if self.repr == "end" else torch.cat([h[rows, starts], h[rows, ends]], -1)
        return self.typer(r)

    def loss(self, h, batch):
        loss = self.tagger.loss(h, batch)
        if len(batch["spans"]):
            b, c, i, j = batch["spans"].to(h.device).unbind(1)
            loss = loss + F.cross_entropy(self.type_logits(h, b, i, j), c)
        return loss

    @torch.no_grad()
    def decode(self, h, batch):
        untyped = self.tagger.decode(h, batch)
        flat = [(b, s) for b, spans in enumerate(untyped) for s in spans]
        out = [[] for _ in untyped]
        if flat:
            idx = torch.tensor([(b, s.start, s.end - 1) for b, s in flat], device=h.device)
            probs = self.type_logits(h, idx[:, 0], idx[:, 1], idx[:, 2]).softmax(-1).cpu()
            best, label = probs.max(-1)
            for (b, s), p, c in zip(flat, best.tolist(), label.tolist()):
                out[b].append(Span(s.start, s.end, self.labels[c], s.score * p))
        return out
