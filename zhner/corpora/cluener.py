"""CLUENER2020 JSON lines: `{"text", "label": {type: {mention: [[start, end_inclusive], ...]}}}`."""
from __future__ import annotations

import json

from ..spans import DataError
from .base import build_example, json_records


def read(path):
    def build(obj, text, lineno):
        labels = obj.get("label") or {}
        if not isinstance(labels, dict):
            raise DataError('"label" must be an object {type: {mention: [[start, end], ...]}}', path, lineno)
        raw = []
        for label, mentions in labels.items():
            if not isinstance(mentions, dict):
                raise DataError(f'"label.{label}" must be an object {{mention: [[start, end], ...]}}', path, lineno)
            for mention, positions in mentions.items():
                if not isinstance(positions, list) or not all(isinstance(p, list) and len(p) == 2 for p in positions):
                    raise DataError(f"positions of {mention!r} must be a list of [start, end] pairs", path, lineno)
                for start, end in positions:
                    end = end + 1 if isinstance(end, int) and not isinstance(end, bool) else end
                    raw.append((start, end, label, mention))
        return build_example(text, raw, path, lineno)
    return json_records(path, build)


def write(examples, f):
    for ex in examples:
        label: dict = {}
        for s in ex.spans:
            label.setdefault(s.label, {}).setdefault(ex.mention(s), []).append([s.start, s.end - 1])
        f.write(json.dumps({"text": ex.text, "label": label}, ensure_ascii=False) + "\n")
