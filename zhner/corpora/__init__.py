"""Readers and writers for every supported corpus format, behind `read_corpus` / `write_corpus`.

Each format module has `read(path)` yielding `Example` or `DataError` per record (so one bad record never
hides the rest) and, where the format can hold spans, a writer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..files import atomic_text
from ..spans import DataError, Example
from . import cluener, cmeee, conll, core, ecommerce, jsonl, text
from .base import STDIN, peek_stdin

READERS = {"jsonl": jsonl.read, "cluener": cluener.read, "cmeee": cmeee.read, "conll": conll.read,
           "ecommerce": ecommerce.read, "core": core.read, "text": text.read}
FORMATS = tuple(READERS)
WRITE_FORMATS = ("jsonl", "bio", "bioes", "cluener", "cmeee", "ecommerce", "core", "text")


class CorpusError(DataError):
    """A corpus had bad records; `errors` lists every one as a DataError."""

    def __init__(self, errors: list[DataError]):
        self.errors = errors
        first = errors[0]
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        super().__init__(first.message + more, first.path, first.line)


@dataclass
class Corpus:
    """Examples read from `path`; `skipped` and `repaired` are the problems met in lenient mode."""
    path: str
    format: str
    examples: list[Example]
    skipped: list[DataError] = field(default_factory=list)
    repaired: list[DataError] = field(default_factory=list)

    def __iter__(self):
        return iter(self.examples)

    def __len__(self):
        return len(self.examples)

    @property
    def labels(self) -> list[str]:
        return sorted({s.label for ex in self.examples for s in ex.spans})


def detect_format(path) -> str:
    """Guess the format from the file name, then from the first non-blank line (`-`: standard input, whose
    first lines are kept for the reader)."""
    if str(path) == STDIN:
        return _sniff(peek_stdin().decode("utf-8-sig", errors="replace"), path)
    p = Path(path)
    if p.is_dir() or p.name in (ecommerce.CHARS, ecommerce.TAGS):
        if ecommerce.paths(p)[0].exists():
            return "ecommerce"
        raise DataError(f"cannot detect the format of a directory without {ecommerce.CHARS}", p)
    if not p.exists():
        raise DataError("no such file", p)
    name = p.name.lower()
    if any(name.endswith(ext) for ext in (".bmes", ".bio", ".bioes", ".conll", "_bio", ".bmeso")):
        return "conll"
    with open(p, "rb") as f:
        return _sniff(f.read(1 << 16).decode("utf-8-sig", errors="replace"), p)


def _sniff(head: str, path) -> str:
    """The format of a file that begins with `head`."""
    stripped = head.lstrip()
    if not stripped:
        raise DataError("file is empty", path)
    if stripped.startswith("["):
        return "cmeee"
    first = stripped.splitlines()[0]
    if first.startswith("{"):
        try:
            obj = json.loads(first)
        except json.JSONDecodeError:
            obj = {}
        if isinstance(obj, dict) and "label" in obj and "spans" not in obj:
            return "cluener"
        if isinstance(obj, dict) and isinstance(obj.get("entities"), list) and "spans" not in obj:
            return "core"
        return "jsonl"
    parts = first.split()
    if len(parts) == 2 and len(parts[0]) <= 2 and (parts[1] == "O" or parts[1][:2] in
                                                   ("B-", "I-", "M-", "E-", "S-")):
        return "conll"
    return "text"


def iter_records(path, format: str = "auto"):
    """The records of a corpus as they are read (`-`: standard input): an Example, or the DataError of a
    bad record (with `.repaired`, the Example, when its tag sequence could be fixed)."""
    fmt = detect_format(path) if format == "auto" else format
    if fmt not in READERS:
        raise DataError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)} or auto", path)
    return fmt, READERS[fmt](path)


def read_corpus(path, format: str = "auto", lenient: bool = False) -> Corpus:
    """Read every record. Strict mode raises CorpusError listing all bad records; lenient mode skips
    them (or keeps the repaired record for a fixable tag sequence) and lists them on the Corpus."""
    fmt, records = iter_records(path, format)
    examples, skipped, repaired = [], [], []
    for item in records:
        if isinstance(item, Example):
            examples.append(item)
        elif lenient and getattr(item, "repaired", None) is not None:
            examples.append(item.repaired)
            repaired.append(item)
        else:
            skipped.append(item)
    if skipped and not lenient:
        raise CorpusError(skipped + repaired)
    if not examples and not skipped:
        raise DataError("no records found", path)
    return Corpus(str(path), fmt, examples, skipped, repaired)


def _good_lines(path, lenient: bool):
    from .base import iter_lines
    for _, line in iter_lines(path):
        if isinstance(line, DataError):
            if not lenient:
                raise line
            continue
        yield line


def iter_texts(path, column: str | None = None, lenient: bool = False):
    """Raw non-blank texts of any corpus (labels ignored), streamed line by line where the format allows
    (text, CSV, TSV). A `.csv` file gives one column (by name or 0-based index; default: the last); with
    `column`, a tab-separated file gives that column. `path` may also be written `FILE::COLUMN`. Lines that
    are not UTF-8 are skipped in lenient mode and an error otherwise."""
    path = str(path)
    if column is None and "::" in path:
        path, _, column = path.partition("::")
    p = Path(path)
    if p.suffix.lower() == ".csv":
        import csv
        rows = csv.reader(_good_lines(p, lenient))
        header = next(rows, [])
        if column is None:
            idx = len(header) - 1
        elif column in header:
            idx = header.index(column)
        elif column.isdigit():
            idx = int(column)
        else:
            raise DataError(f"no column {column!r} (columns: {', '.join(header)})", p, 1)
        yield from (row[idx].lstrip("\ufeff") for row in rows if len(row) > idx and row[idx].strip())
    elif column is not None:
        idx = int(column)
        yield from (parts[idx] for line in _good_lines(p, lenient)
                    for parts in [line.split("\t")] if len(parts) > idx and parts[idx].strip())
    elif (fmt := detect_format(p)) == "text" and p.is_file():
        yield from (line for line in _good_lines(p, lenient) if line.strip())
    else:
        yield from (ex.text for ex in read_corpus(p, fmt, lenient) if ex.text.strip())


def read_texts(path, column: str | None = None, lenient: bool = False) -> list[str]:
    """`iter_texts` as a list."""
    return list(iter_texts(path, column, lenient))


def write_corpus(examples, path, format: str = "jsonl"):
    """Write examples as jsonl, bio/bioes (CoNLL), cluener, cmeee, ecommerce (a directory) or text."""
    if format == "ecommerce":
        return ecommerce.write_dir(examples, path)
    writers = {"jsonl": jsonl.write, "cluener": cluener.write, "cmeee": cmeee.write, "text": text.write,
               "core": core.write,
               "bio": lambda ex, f: conll.write(ex, f, "BIO"), "bioes": lambda ex, f: conll.write(ex, f, "BIOES")}
    if format not in writers:
        raise ValueError(f"unknown output format {format!r}; choose from {', '.join(WRITE_FORMATS)}")
    if str(path) == "-":
        import sys
        return writers[format](examples, sys.stdout)
    with atomic_text(path) as f:
        writers[format](examples, f)
