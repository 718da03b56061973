"""The one data model: character spans over raw text.

`Span(start, end, label)` uses character offsets into the raw text with `end` exclusive, so
`text[span.start:span.end]` is the mention. Spans may nest and overlap. `score` is carried along
but ignored by equality and hashing, so gold and predicted spans compare on position and label only.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import regex


@dataclass(frozen=True, order=True)
class Span:
    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)

    def to_dict(self, text: str | None = None) -> dict:
        d = {"start": self.start, "end": self.end, "label": self.label}
        if text is not None:
            d["text"] = text[self.start:self.end]
        if self.score is not None:
            d["score"] = round(float(self.score), 4)
        return d


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[Span, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "spans", tuple(sorted(self.spans)))

    def mention(self, span: Span) -> str:
        return self.text[span.start:span.end]

    def to_dict(self) -> dict:
        return {"text": self.text, "spans": [s.to_dict() for s in self.spans]}


STDIN = "-"         # the path that names standard input


class DataError(ValueError):
    """A problem in input data, located as `path:line: message` (line is 1-based, 0 if unknown)."""

    def __init__(self, message: str, path: str = "<input>", line: int = 0):
        super().__init__(message)
        self.message, self.path, self.line = message, str(path), line

    def __str__(self) -> str:
        path = "<stdin>" if self.path == STDIN else self.path
        return f"{path}:{self.line}: {self.message}" if self.line else f"{path}: {self.message}"


def check_span(text: str, start, end, label, mention: str | None = None) -> Span:
    """Build a Span after checking it against `text`; raise ValueError with a readable reason."""
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) or isinstance(end, bool):
        raise ValueError(f"span offsets must be integers, got start={start!r} end={end!r}")
    if not isinstance(label, str) or not label.strip():
        raise ValueError(f"span [{start}, {end}) has an empty or non-string label {label!r}")
    if start >= end:
        raise ValueError(f"span [{start}, {end}) {label}: start must be < end")
    if start < 0 or end > len(text):
        raise ValueError(f"span [{start}, {end}) {label} is outside the text (length {len(text)})")
    if mention is not None and text[start:end] != mention:
        raise ValueError(f"span [{start}, {end}) {label}: text has {text[start:end]!r}, record says {mention!r}")
    return Span(start, end, label)


def overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\uFE0F\u20E3]")   # and skin tones, VS16, keycap


def _blank(ch: str) -> bool:
    """White space, invisible characters (controls such as NUL, format characters such as the zero-width space,
    the BOM and the emoji joiner) and emoji: characters no gold span starts or ends with."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or EMOJI.match(ch) is not None


def half_width(ch: str) -> str:
    """A full-width ASCII character (U+FF01-FF5E, e.g. Ａ, １) as the ASCII character it stands for; others as is."""
    return chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch


def _run_class(ch: str) -> str | None:
    """"L" for a Latin letter, "D" for a digit (half or full width), None for anything else."""
    ch = half_width(ch)
    if ch < "\u0250" and ch.isalpha():                  # Basic Latin to Latin Extended-B
        return "L"
    return "D" if "0" <= ch <= "9" else None


def inside_run(text: str, i: int) -> bool:
    """Offset `i` lies between two Latin letters or two digits, so a span edge there cuts a word or number."""
    return 0 < i < len(text) and (kind := _run_class(text[i - 1])) is not None and kind == _run_class(text[i])


def keeps_runs(examples) -> bool:
    """No span starts or ends inside a run of Latin letters or of digits (`inside_run`). True of MSRA train;
    CLUENER train (19 of 23,972 spans, "vs|ac米兰"), CMeEE (6) and the e-commerce titles (139, "vivo|x27") cut."""
    return not any(inside_run(ex.text, s.start) or inside_run(ex.text, s.end) for ex in examples for s in ex.spans)


def trim(text: str, spans, whole_runs: bool = False) -> list[Span]:
    """Spans with blank characters (`_blank`) cut from both ends, and spans of blanks alone dropped; with
    `whole_runs`, an edge inside a run of Latin letters or of digits moves out to the run's end ("Tim Cook",
    not "im Cook"); of spans that become equal, the highest score stays. No gold span of MSRA, CLUENER, CMeEE
    or the e-commerce titles starts or ends with a blank, and none of MSRA's cuts a run, but a model that never
    saw a space, a control, an emoji or a Latin name in training (MSRA) tags them like their neighbours."""
    best: dict[Span, Span] = {}
    for s in spans:
        start, end = s.start, s.end
        while start < end and _blank(text[start]):
            start += 1
        while end > start and _blank(text[end - 1]):
            end -= 1
        if start == end:
            continue
        while whole_runs and inside_run(text, start):
            start -= 1
        while whole_runs and inside_run(text, end):
            end += 1
        t = s if (start, end) == (s.start, s.end) else Span(start, end, s.label, s.score)
        if t not in best or (t.score or 0) > (best[t].score or 0):
            best[t] = t
    return sorted(best.values())


def flatten(example: Example) -> tuple[Example, int]:
    """Keep the longest non-overlapping spans (a tagging scheme cannot hold nested ones); also the number dropped."""
    kept = []
    for s in sorted(example.spans, key=lambda s: (s.start - s.end, s.start)):
        if not any(overlaps(s, k) for k in kept):
            kept.append(s)
    return Example(example.text, kept), len(example.spans) - len(kept)


def nested_pairs(spans) -> int:
    """Number of unordered pairs of distinct spans that overlap (nested or crossing)."""
    spans = sorted(set(spans))
    count = 0
    for i, a in enumerate(spans):
        for b in spans[i + 1:]:
            if b.start >= a.end:
                break
            count += 1
    return count
