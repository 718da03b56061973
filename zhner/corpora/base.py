"""Shared reading helpers: line-by-line UTF-8 decoding that locates bad bytes, and the JSON record check."""
from __future__ import annotations

import json
import re
import sys
from contextlib import nullcontext
from pathlib import Path

from ..schemes import encode
from ..spans import STDIN, DataError, Example, check_span

_peeked: list[bytes] = []           # lines of standard input that `peek_stdin` read and no reader has yet


def peek_stdin() -> bytes:
    """Standard input up to its first non-blank line (for format detection), kept for the reader after."""
    while not b"".join(_peeked).strip():
        line = sys.stdin.buffer.readline()
        if not line:
            break
        _peeked.append(line)
    return b"".join(_peeked)


def _stdin_lines():
    while _peeked:
        yield _peeked.pop(0)
    yield from sys.stdin.buffer


def check_file(path: Path) -> None:
    if str(path) == STDIN:
        return
    if not path.exists():
        raise DataError("no such file", path)
    if path.is_dir():
        raise DataError("is a directory, expected a file", path)


def read_bytes(path) -> bytes:
    path = Path(path)
    check_file(path)
    data = b"".join(_stdin_lines()) if str(path) == STDIN else path.read_bytes()
    if not data.strip():
        raise DataError("file is empty", path)
    return data


def iter_lines(path):
    """Yield `(lineno, line)` or `(lineno, DataError)` for a line that is not valid UTF-8, reading the file
    (`-`: standard input) as a stream; a BOM is dropped. A file with nothing but white space is an error."""
    path = Path(path)
    check_file(path)
    blank = True
    with nullcontext(_stdin_lines()) if str(path) == STDIN else open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            blank = blank and not raw.strip()
            try:
                yield lineno, raw.decode("utf-8").rstrip("\n").rstrip("\r")
            except UnicodeDecodeError as e:
                yield lineno, not_utf8(path, lineno, e.start + 1)
    if blank:
        raise DataError("file is empty", path)


def not_utf8(path, lineno: int, column: int) -> DataError:
    return DataError(f"not valid UTF-8 at column {column} (convert the file to UTF-8, e.g. iconv -f gbk -t utf-8)",
                     path, lineno)


def decode_lenient(path) -> str:
    """Whole file as text (BOM dropped); bytes that are not UTF-8 become U+DC80..U+DCFF (`surrogateescape`),
    which `bad_bytes` finds, so one bad record does not cost the rest of the file."""
    return read_bytes(path).decode("utf-8-sig", "surrogateescape")


_ESCAPED = re.compile("[\udc80-\udcff]")


def bad_bytes(text: str, start: int = 0, end: int | None = None) -> int:
    """Offset of the first byte `decode_lenient` could not decode in text[start:end], or -1."""
    m = _ESCAPED.search(text, start, len(text) if end is None else end)
    return m.start() if m else -1


def json_records(path, build):
    """For each non-blank line of a JSON-lines file: `build(obj, text, lineno)` -> Example, or the DataError
    of that line (bad UTF-8, bad JSON, no string "text", or whatever `build` raises)."""
    for lineno, line in iter_lines(path):
        if isinstance(line, DataError):
            yield line
            continue
        if not line.strip():
            continue
        try:
            obj = parse_json_line(line, path, lineno)
            yield build(obj, get_text(obj, path, lineno), lineno)
        except DataError as e:
            yield e


def parse_json_line(line: str, path, lineno):
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise DataError(f"bad JSON: {e.msg} at column {e.colno}", path, lineno) from None
    if not isinstance(obj, dict):
        raise DataError(f"expected a JSON object, got {type(obj).__name__}", path, lineno)
    return obj


def get_text(obj: dict, path, lineno) -> str:
    text = obj.get("text")
    if not isinstance(text, str):
        raise DataError('record has no string field "text"', path, lineno)
    return text


def build_example(text: str, raw_spans, path, lineno) -> Example:
    """`raw_spans` are `(start, end_exclusive, label, mention_or_None)`; every one is checked against the text."""
    spans = []
    for start, end, label, mention in raw_spans:
        try:
            spans.append(check_span(text, start, end, label, mention))
        except ValueError as e:
            raise DataError(str(e), path, lineno) from None
    return Example(text, spans)


def tags_for(example: Example, index: int, scheme: str) -> list[str]:
    """Tags of one record for a writer; ValueError names the record (1-based) when spans overlap."""
    try:
        return encode(len(example.text), example.spans, scheme)
    except ValueError as e:
        raise ValueError(f"record {index}: {e}") from None
