"""Entity-level exact-match scores.

A predicted span is correct when (example, start, end, label) equals a gold span; each example's spans
are sets, so nested and overlapping spans count independently. Micro P = tp / pred, R = tp / gold,
F1 = 2PR / (P + R); macro F1 is the unweighted mean of per-type F1. On flat BIO data this is what
seqeval's default mode computes.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Score:
    tp: int = 0
    pred: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.pred if self.pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1,
                "support": self.gold, "predicted": self.pred, "correct": self.tp}


@dataclass
class Report:
    micro: Score
    per_type: dict[str, Score]

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.per_type.values()) / len(self.per_type) if self.per_type else 0.0

    def to_dict(self) -> dict:
        return {"micro": self.micro.to_dict(), "macro_f1": self.macro_f1,
                "per_type": {k: v.to_dict() for k, v in sorted(self.per_type.items())}}

    def table(self) -> str:
        rows = [(k, v) for k, v in sorted(self.per_type.items())] + [("micro", self.micro)]
        width = max([len(k) for k, _ in rows] + [5])
        lines = [f"{'type':<{width}}  {'P':>6}  {'R':>6}  {'F1':>6}  {'support':>7}  {'pred':>7}"]
        for name, s in rows:
            if name == "micro":
                lines.append("-" * len(lines[0]))
            lines.append(f"{name:<{width}}  {100 * s.precision:6.2f}  {100 * s.recall:6.2f}  {100 * s.f1:6.2f}"
                         f"  {s.gold:7d}  {s.pred:7d}")
        lines.append(f"{'macro F1':<{width}}  {'':>6}  {'':>6}  {100 * self.macro_f1:6.2f}")
        return "\n".join(lines)


def evaluate(gold, pred) -> Report:
    """Score parallel sequences of span collections (or Examples) against each other."""
    gold, pred = list(gold), list(pred)
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} examples but predictions have {len(pred)}")
    micro, per_type = Score(), {}
    for g, p in zip(gold, pred):
        g = {(s.start, s.end, s.label) for s in getattr(g, "spans", g)}
        p = {(s.start, s.end, s.label) for s in getattr(p, "spans", p)}
        for bucket, spans in (("gold", g), ("pred", p), ("tp", g & p)):
            setattr(micro, bucket, getattr(micro, bucket) + len(spans))
            for *_, label in spans:
                score = per_type.setdefault(label, Score())
                setattr(score, bucket, getattr(score, bucket) + 1)
    return Report(micro, per_type)


def mention_scores(gold, pred) -> dict:
    """Core-entity competition metrics on entity strings: per-sentence exact set match accuracy, and
    micro P/R/F1 over the (sentence, string) pairs. `gold`, `pred`: Examples (or (text, spans) pairs)."""
    exact, score = 0, Score()
    for g, p in zip(gold, pred):
        text = g.text
        gs = {text[s.start:s.end] for s in g.spans}
        ps = {text[s.start:s.end] for s in getattr(p, "spans", p)}
        exact += gs == ps
        score.tp, score.pred, score.gold = score.tp + len(gs & ps), score.pred + len(ps), score.gold + len(gs)
    return {"sentence_accuracy": exact / max(1, len(gold)), **score.to_dict()}
