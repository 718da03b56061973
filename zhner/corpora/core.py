"""Core-entity data: JSON lines `{"text": ..., "entities": ["entity string", ...]}` (untyped).

Occurrence policy: every occurrence of every listed string is labelled `CORE`, scanning left to right and
preferring the longer string where two would overlap (so `北京大学` wins over `北京` inside it). A listed
string that does not occur in the text is an error. Written back, a record lists its distinct mentions in
order of first occurrence.
"""
from __future__ import annotations

import json

from ..spans import DataError, Example, Span
from .base import json_records

LABEL = "CORE"


def label_occurrences(text: str, strings) -> list[Span]:
    candidates = sorted({(i, i + len(s)) for s in set(strings) if s for i in _find_all(text, s)},
                        key=lambda p: (p[0], -(p[1] - p[0])))
    spans, last = [], 0
    for start, end in candidates:
        if start >= last:
            spans.append(Span(start, end, LABEL))
            last = end
    return spans


def _find_all(text, s):
    i = text.find(s)
    while i >= 0:
        yield i
        i = text.find(s, i + 1)


def read(path):
    def build(obj, text, lineno):
        strings = obj.get("entities", [])
        if not isinstance(strings, list) or not all(isinstance(s, str) and s for s in strings):
            raise DataError('"entities" must be a list of non-empty strings', path, lineno)
        missing = [s for s in strings if s not in text]
        if missing:
            raise DataError(f"entity {missing[0]!r} does not occur in the text", path, lineno)
        return Example(text, label_occurrences(text, strings))
    return json_records(path, build)


def write(examples, f):
    for ex in examples:
        mentions = list(dict.fromkeys(ex.mention(s) for s in ex.spans))
        f.write(json.dumps({"text": ex.text, "entities": mentions}, ensure_ascii=False) + "\n")
