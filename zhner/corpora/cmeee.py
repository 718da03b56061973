"""CMeEE: a JSON list of `{"text", "entities": [{"start_idx", "end_idx" (inclusive), "type", "entity"}]}`.

Records are decoded one by one so an error names the line where its record starts; a record holding bytes
that are not UTF-8 is an error of its own, a syntax error ends the file there (records before it are kept in
lenient mode).
"""
from __future__ import annotations

import json

from ..spans import DataError
from .base import bad_bytes, build_example, decode_lenient, get_text, not_utf8

_decoder = json.JSONDecoder()


def _records(path):
    """Yield `(lineno, obj)`; a syntax error is yielded as a DataError and stops the scan."""
    text = decode_lenient(path)
    pos = len(text) - len(text.lstrip())
    if not text.startswith("[", pos):
        yield 1, DataError("expected a JSON list of records starting with '['", path, 1)
        return
    pos += 1
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text):
            yield text.count("\n") + 1, DataError("bad JSON: the list is not closed with ']'", path, text.count("\n") + 1)
            return
        if text[pos] == "]":
            return
        lineno = text.count("\n", 0, pos) + 1
        start = pos
        try:
            obj, pos = _decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            bad = bad_bytes(text, start, e.pos + 1)
            yield e.lineno, _not_utf8(text, bad, path) if bad >= 0 else \
                DataError(f"bad JSON: {e.msg} at column {e.colno}", path, e.lineno)
            return
        bad = bad_bytes(text, start, pos)
        yield lineno, (_not_utf8(text, bad, path) if bad >= 0 else obj)


def _not_utf8(text, offset, path) -> DataError:
    return not_utf8(path, text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))


def read(path):
    for lineno, obj in _records(path):
        if isinstance(obj, DataError):
            yield obj
            continue
        try:
            if not isinstance(obj, dict):
                raise DataError(f"expected a JSON object, got {type(obj).__name__}", path, lineno)
            text = get_text(obj, path, lineno)
            ents = obj.get("entities", [])
            if not isinstance(ents, list) or not all(isinstance(e, dict) for e in ents):
                raise DataError('"entities" must be a list of objects', path, lineno)
            raw = []
            for e in ents:
                if not all(k in e for k in ("start_idx", "end_idx", "type")):
                    raise DataError(f'entity {e} needs "start_idx", "end_idx" and "type"', path, lineno)
                end = e["end_idx"]
                end = end + 1 if isinstance(end, int) and not isinstance(end, bool) else end
                raw.append((e["start_idx"], end, e["type"], e.get("entity")))
            yield build_example(text, raw, path, lineno)
        except DataError as e:
            yield e


def write(examples, f):
    records = [{"text": ex.text, "entities": [
        {"start_idx": s.start, "end_idx": s.end - 1, "type": s.label, "entity": ex.mention(s)} for s in ex.spans]}
        for ex in examples]
    json.dump(records, f, ensure_ascii=False, indent=1)
    f.write("\n")
