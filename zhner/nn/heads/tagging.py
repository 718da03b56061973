"""Tag sets and the transitions a scheme allows, shared by the token-level heads."""
from __future__ import annotations

import torch

from ...schemes import decode, encode, parse_tag


class TagSet:
    """Tags of `scheme` over `labels`: O, then B-/I-(/E-/S-) per label."""

    def __init__(self, labels, scheme: str = "BIOES"):
        self.labels, self.scheme = list(labels), scheme
        prefixes = "BIES" if scheme == "BIOES" else "BI"
        self.tags = ["O"] + [f"{p}-{label}" for label in self.labels for p in prefixes]
        self.index = {t: i for i, t in enumerate(self.tags)}

    def __len__(self):
        return len(self.tags)

    def allowed(self):
        """(start, transitions, end) boolean masks: which tag may open a sentence, follow another, close it."""
        parsed = [parse_tag(t) for t in self.tags]
        opens = lambda p: p in ("O", "B", "S")                       # may follow O / a closed entity
        closed = lambda p: p in ("O", "E", "S") if self.scheme == "BIOES" else True
        n = len(self.tags)
        trans = torch.zeros(n, n, dtype=torch.bool)
        for i, (pi, li) in enumerate(parsed):
            for j, (pj, lj) in enumerate(parsed):
                inside = pi in ("B", "I") and pj in (("I", "E") if self.scheme == "BIOES" else ("I",)) and li == lj
                trans[i, j] = inside or (closed(pi) and opens(pj))
        start = torch.tensor([opens(p) for p, _ in parsed])
        end = torch.tensor([closed(p) for p, _ in parsed])
        return start, trans, end

    def targets(self, lengths, spans, untyped: bool = False):
        """Gold tag ids (B, T) for spans (per text); `untyped` tags every span with the single label."""
        tags = torch.zeros(len(lengths), max(lengths, default=1) or 1, dtype=torch.long)
        for b, (n, ss) in enumerate(zip(lengths, spans)):
            if untyped:
                ss = [type(s)(s.start, s.end, self.labels[0]) for s in ss]
            tags[b, :n] = torch.tensor([self.index[t] for t in encode(n, ss, self.scheme)], dtype=torch.long)
        return tags

    def decode(self, ids, probs=None):
        """Tag ids -> spans; the score of a span is the mean probability of its tags when `probs` is given."""
        spans, _ = decode([self.tags[i] for i in ids], self.scheme)
        if probs is None:
            return spans
        return [type(s)(s.start, s.end, s.label, float(sum(probs[s.start:s.end]) / (s.end - s.start)))
                for s in spans]
