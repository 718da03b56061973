"""Character-per-line CoNLL: `char<TAB or spaces>tag`, a blank line between sentences.

Covers MSRA (BIO, tab), Resume `*.char.bmes` (BMES, space) and Weibo (`字0<TAB>tag`: a character followed
by its word-position digit, which is dropped). A tab-separated line may carry a space character as its token.
Invalid tag transitions are errors; in lenient mode the sentence is kept, repaired as `zhner.schemes` documents.
"""
from __future__ import annotations

import re

from ..schemes import decode, parse_tag
from ..spans import DataError, Example
from .base import iter_lines, tags_for

_WEIBO_TOKEN = re.compile(r"^(.)\d$")


def _split(line: str):
    if "\t" in line:
        token, _, tag = line.rpartition("\t")
    else:
        parts = line.rsplit(None, 1)
        token, tag = (parts if len(parts) == 2 else (None, line))
    if token is None:
        raise ValueError(f"expected 'char<TAB>tag', got {line!r}")
    tag = tag.strip()
    if len(token) != 1:
        m = _WEIBO_TOKEN.match(token)
        if not m:
            raise ValueError(f"expected one character before the tag, got {token!r}")
        token = m.group(1)
    parse_tag(tag)
    return token, tag


def _sentence(chars, tags, linenos, path, error):
    if error is not None:
        return error
    spans, problems = decode(tags)
    example = Example("".join(chars), spans)
    if problems:
        pos, msg = problems[0]
        more = f" (+{len(problems) - 1} more in this sentence)" if len(problems) > 1 else ""
        err = DataError(f"invalid tag sequence: {msg}{more}", path, linenos[min(pos, len(linenos) - 1)])
        err.repaired = example
        return err
    return example


def read(path):
    chars, tags, linenos, error = [], [], [], None
    for lineno, line in iter_lines(path):
        if isinstance(line, DataError):
            error = error or line
            continue
        if not line.strip() or line.startswith("-DOCSTART-"):
            if chars or error:
                yield _sentence(chars, tags, linenos, path, error)
            chars, tags, linenos, error = [], [], [], None
            continue
        try:
            token, tag = _split(line)
        except ValueError as e:
            error = error or DataError(str(e), path, lineno)
            continue
        chars.append(token)
        tags.append(tag)
        linenos.append(lineno)
    if chars or error:
        yield _sentence(chars, tags, linenos, path, error)


def write(examples, f, scheme: str = "BIO"):
    """Line breaks inside a text cannot be written one per line; they are written as spaces (offsets kept)."""
    for i, ex in enumerate(examples, 1):
        for ch, tag in zip(ex.text, tags_for(ex, i, scheme)):
            if ch in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029":
                ch = " "
            f.write(f"{ch}\t{tag}\n")
        f.write("\n")
