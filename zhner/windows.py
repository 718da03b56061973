"""Texts longer than a model's window: overlapping windows for prediction, clean cuts for training.

Prediction windows of `size` characters start every `size − overlap` characters; each window owns the
core of its range (half the overlap trimmed from each inner side), the cores tile the text, and a span is
kept from the window whose core holds its start. Nothing is truncated.
"""
from __future__ import annotations

from .spans import Example, Span

BREAKS = set("。！？；，,;!?\n")
SIMILAR = 3 / 4     # texts batched together: the shortest ≥ SIMILAR × the longest (`by_length`)


def by_length(lengths, limit: int = 0) -> list[list[int]]:
    """Indices into `lengths`, longest first, in groups of ≤ `limit` (0: no limit) whose shortest is
    ≥ SIMILAR × their longest: the batches of `NERModel.predict` and the runs of `OnnxRunner`."""
    groups = []
    for i in sorted(range(len(lengths)), key=lambda k: lengths[k], reverse=True):
        if groups and (not limit or len(groups[-1]) < limit) and lengths[i] >= SIMILAR * lengths[groups[-1][0]]:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def windows(length: int, size: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """(start, end, core_start, core_end) per window; one window when the text fits."""
    if length <= size:
        return [(0, length, 0, length)]
    step = size - overlap
    starts = list(range(0, length - size, step)) + [length - size]
    out = []
    for k, s in enumerate(starts):
        core_start = 0 if k == 0 else out[-1][3]
        core_end = length if k == len(starts) - 1 else s + size - overlap // 2
        out.append((s, s + size, core_start, core_end))
    return out


def merge(length: int, size: int, overlap: int, window_spans) -> list[Span]:
    """Spans predicted per window (window offsets) -> spans over the whole text."""
    kept = set()
    for (start, _, core_start, core_end), spans in zip(windows(length, size, overlap), window_spans):
        for s in spans:
            if core_start <= s.start + start < core_end:
                kept.add(Span(s.start + start, s.end + start, s.label, s.score))
    return sorted(kept)


def chunk(example: Example, size: int) -> tuple[list[Example], int]:
    """Cut a long training example into pieces of ≤ size characters, preferring cuts after punctuation and
    never inside a gold span unless a span is longer than `size`. Returns (pieces, spans lost to cuts)."""
    text, n = example.text, len(example.text)
    if n <= size:
        return [example], 0
    inside = [False] * (n + 1)
    for s in example.spans:
        for i in range(s.start + 1, s.end):
            inside[i] = True
    cuts, pos = [0], 0
    while n - pos > size:
        candidates = [c for c in range(pos + size, pos, -1) if not inside[c]]
        preferred = [c for c in candidates if text[c - 1] in BREAKS and c > pos + size // 2]
        pos = (preferred or candidates or [pos + size])[0]
        cuts.append(pos)
    cuts.append(n)
    pieces, kept = [], 0
    for a, b in zip(cuts, cuts[1:]):
        spans = [Span(s.start - a, s.end - a, s.label) for s in example.spans if a <= s.start and s.end <= b]
        kept += len(spans)
        pieces.append(Example(text[a:b], spans))
    return pieces, len(example.spans) - kept
