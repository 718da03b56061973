"""BIO and BIOES tagging schemes (BMES+O is BIOES with `M` for `I`).

Tags are `O` or `<prefix>-<label>` with prefix in B, I, M, E, S; a bare prefix (`B`, `I`, ...) gets
the label `ENT`. `M` is read as `I`.

Repair policy when decoding an invalid sequence (the conlleval / seqeval default, so scores agree):
- `I-X` or `E-X` that does not continue an open entity of type X starts a new entity of type X;
- in BIOES, an entity left open (no `E-X`/`S-X`) ends before the next tag that does not continue it.
Every repair is reported as a problem `(position, message)`; the repaired spans are returned.
"""
from __future__ import annotations

from functools import lru_cache

from .spans import Span

SCHEMES = ("BIO", "BIOES")
UNTYPED = "ENT"


@lru_cache(maxsize=65536)
def parse_tag(tag: str) -> tuple[str, str | None]:
    """`'B-PER'` -> `('B', 'PER')`, `'O'` -> `('O', None)`, `'M-X'` -> `('I', 'X')`. ValueError if malformed."""
    if tag == "O":
        return "O", None
    prefix, _, label = tag.partition("-")
    if prefix not in ("B", "I", "M", "E", "S") or (_ and not label):
        raise ValueError(f"invalid tag {tag!r} (expected O or B-/I-/M-/E-/S-<label>)")
    return ("I" if prefix == "M" else prefix), (label or UNTYPED)


def detect_scheme(tags) -> str:
    """BIOES if any tag uses E-, S- or M-, else BIO."""
    return "BIOES" if any(t[:1] in ("E", "S", "M") for t in tags) else "BIO"


def encode(length: int, spans, scheme: str = "BIO") -> list[str]:
    """Spans -> one tag per character. Raises ValueError on overlapping spans (not representable)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; choose from {SCHEMES}")
    tags = ["O"] * length
    last_end = -1
    for s in sorted(spans):
        if s.start < last_end:
            raise ValueError(f"overlapping spans cannot be tagged with {scheme}: {s} (nested entities need a "
                             "span format such as jsonl or cmeee)")
        last_end = s.end
        if scheme == "BIOES" and s.end - s.start == 1:
            tags[s.start] = f"S-{s.label}"
            continue
        tags[s.start] = f"B-{s.label}"
        for i in range(s.start + 1, s.end):
            tags[i] = f"I-{s.label}"
        if scheme == "BIOES":
            tags[s.end - 1] = f"E-{s.label}"
    return tags


def decode(tags, scheme: str | None = None) -> tuple[list[Span], list[tuple[int, str]]]:
    """Tags -> (spans, problems), applying the module's repair policy to invalid sequences."""
    tags = list(tags)
    scheme = scheme or detect_scheme(tags)
    spans: list[Span] = []
    problems: list[tuple[int, str]] = []
    start, label, prev = None, None, "O"

    def close(end: int):
        nonlocal start, label
        if start is not None:
            spans.append(Span(start, end, label))
        start, label = None, None

    for i, tag in enumerate(tags):
        prefix, lab = parse_tag(tag)
        continues = prefix in ("I", "E") and start is not None and lab == label and prev in ("B", "I")
        if scheme == "BIOES" and start is not None and prev in ("B", "I") and not continues:
            problems.append((i, f"{label} entity opened at {start} is not closed by E-{label} or S-{label}"))
        if prefix in ("I", "E") and not continues:
            problems.append((i, f"{tag} does not continue an entity of type {lab} (after {tags[i - 1] if i else 'start'}); "
                                "starting a new entity"))
        if not continues:
            close(i)
            if prefix != "O":
                start, label = i, lab
        if prefix in ("E", "S"):
            close(i + 1)
        prev = prefix
    if scheme == "BIOES" and start is not None and prev in ("B", "I"):
        problems.append((len(tags), f"{label} entity opened at {start} is not closed at the end of the sequence"))
    close(len(tags))
    return spans, problems
