"""Entity-level exact-match scores.

A predicted span is correct when (example, start, end, label) equals a gold span; each example's spans
are sets, so nested and overlapping spans count independently. Micro P = tp / pred, R = tp / gold,
F1 = 2PR / (P + R); macro F1 is the unweighted mean of per-type F1. On flat BIO data this is what
seqeval's default mode computes.

Each wrong span, gold or predicted, also gets a kind from the spans on the other side (`error_kind`), and
gold spans that touch another gold span (one ends where the next begins, as in a list of names with no
separator) are counted apart, with their recall.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

KINDS = ("type", "boundary", "type and boundary", "no overlap")


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


def error_kind(span, others) -> str:
    """How a wrong (start, end, label) differs from the spans `others` on the other side: `type` if one has
    its boundaries, else `boundary` if one overlaps it with its label, else `type and boundary` if one
    overlaps it, else `no overlap`."""
    start, end, label = span
    near = [o for o in others if o[0] < end and start < o[1]]
    if any((o[0], o[1]) == (start, end) for o in near):
        return "type"
    if any(o[2] == label for o in near):
        return "boundary"
    return "type and boundary" if near else "no overlap"


def span_errors(gold: set, pred: set) -> tuple[list, list]:
    """(gold spans not predicted, predicted spans not in gold), each as (span, kind), sorted."""
    return ([(g, error_kind(g, pred)) for g in sorted(gold - pred)],
            [(p, error_kind(p, gold)) for p in sorted(pred - gold)])


def touching(spans: set) -> set:
    """The spans that begin where another ends or end where another begins."""
    starts, ends = {s for s, _, _ in spans}, {e for _, e, _ in spans}
    return {x for x in spans if x[0] in ends or x[1] in starts}


@dataclass
class Report:
    micro: Score
    per_type: dict[str, Score]
    missed: Counter = field(default_factory=Counter)    # kind -> gold spans not predicted
    wrong: Counter = field(default_factory=Counter)     # kind -> predicted spans not in gold
    touching: Score = field(default_factory=Score)      # gold spans touching another (pred unused)

    @property
    def macro_f1(self) -> float:
        return sum(s.f1 for s in self.per_type.values()) / len(self.per_type) if self.per_type else 0.0

    def to_dict(self) -> dict:
        return {"micro": self.micro.to_dict(), "macro_f1": self.macro_f1,
                "per_type": {k: v.to_dict() for k, v in sorted(self.per_type.items())},
                "errors": {"missed": {k: self.missed[k] for k in KINDS}, "wrong": {k: self.wrong[k] for k in KINDS},
                           "touching": {"support": self.touching.gold, "correct": self.touching.tp,
                                        "recall": self.touching.recall}}}

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
        heads = KINDS + ("all",)
        lines += ["", f"{'wrong spans by kind':<19}" + "".join(f"  {k:>6}" for k in heads)]
        for name, kinds in (("gold not predicted", self.missed), ("predicted not gold", self.wrong)):
            counts = [kinds[k] for k in KINDS] + [sum(kinds.values())]
            lines.append(f"{name:<19}" + "".join(f"  {n:>{max(6, len(k))}}" for k, n in zip(heads, counts)))
        rest = Score(self.micro.tp - self.touching.tp, 0, self.micro.gold - self.touching.gold)
        lines.append(f"gold spans touching another: {self.touching.gold}, recall {100 * self.touching.recall:.2f}"
                     f" (the other {rest.gold}: {100 * rest.recall:.2f})")
        return "\n".join(lines)


def evaluate(gold, pred) -> Report:
    """Score parallel sequences of span collections (or Examples) against each other."""
    gold, pred = list(gold), list(pred)
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} examples but predictions have {len(pred)}")
    report = Report(Score(), {})
    for g, p in zip(gold, pred):
        g, p = span_set(g), span_set(p)
        for bucket, spans in (("gold", g), ("pred", p), ("tp", g & p)):
            setattr(report.micro, bucket, getattr(report.micro, bucket) + len(spans))
            for *_, label in spans:
                score = report.per_type.setdefault(label, Score())
                setattr(score, bucket, getattr(score, bucket) + 1)
        missed, wrong = span_errors(g, p)
        report.missed.update(kind for _, kind in missed)
        report.wrong.update(kind for _, kind in wrong)
        near = touching(g)
        report.touching.gold += len(near)
        report.touching.tp += len(near & p)
    return report


def span_set(spans) -> set:
    """{(start, end, label)} of an Example or a collection of spans."""
    return {(s.start, s.end, s.label) for s in getattr(spans, "spans", spans)}


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
