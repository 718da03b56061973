"""Canonical JSONL: one `{"text": ..., "spans": [{"start", "end", "label"}]}` per line, end exclusive."""
from __future__ import annotations

import json

from ..spans import DataError
from .base import build_example, json_records


def read(path):
    def build(obj, text, lineno):
        raw = obj.get("spans", [])
        if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
            raise DataError('"spans" must be a list of objects', path, lineno)
        for s in raw:
            if "start" not in s or "end" not in s or "label" not in s:
                raise DataError(f'span {s} needs "start", "end" and "label"', path, lineno)
        return build_example(text, [(s["start"], s["end"], s["label"], s.get("text")) for s in raw], path, lineno)
    return json_records(path, build)


def write(examples, f):
    for ex in examples:
        d = {"text": ex.text, "spans": [s.to_dict(ex.text) for s in ex.spans]}
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
