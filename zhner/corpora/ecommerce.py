"""Parallel files of the e-commerce titles: `input.seq.char` (space-separated characters, `[SPA]` = a space)
and `output.seq.bioattr` (one BIO tag per character), line i of each aligned. `path` is either file or
their directory; an `input.seq.char` without a tag file reads as unlabelled text.
"""
from __future__ import annotations

from pathlib import Path

from ..schemes import decode
from ..spans import DataError, Example
from .base import iter_lines, tags_for

CHARS, TAGS, SPACE = "input.seq.char", "output.seq.bioattr", "[SPA]"


def paths(path) -> tuple[Path, Path]:
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    return folder / CHARS, folder / TAGS


def _tokens(line: str) -> list[str]:
    return [" " if t == SPACE else t for t in line.split(" ")] if line else []


def read(path):
    chars_path, tags_path = paths(path)
    if not tags_path.exists():
        for _, line in iter_lines(chars_path):
            yield line if isinstance(line, DataError) else Example("".join(_tokens(line)))
        return
    tag_lines = dict(iter_lines(tags_path))
    n_chars = 0
    for lineno, line in iter_lines(chars_path):
        n_chars = lineno
        tag_line = tag_lines.get(lineno)
        if isinstance(line, DataError) or isinstance(tag_line, DataError):
            yield line if isinstance(line, DataError) else tag_line
            continue
        if tag_line is None:
            yield DataError(f"{tags_path.name} has no line {lineno}", chars_path, lineno)
            continue
        tokens, tags = _tokens(line), tag_line.split()
        if any(len(t) != 1 for t in tokens):
            bad = next(t for t in tokens if len(t) != 1)
            yield DataError(f"token {bad!r} is not one character (separate characters by single spaces)",
                            chars_path, lineno)
            continue
        if len(tokens) != len(tags):
            yield DataError(f"{len(tokens)} characters but {len(tags)} tags in {tags_path.name}", chars_path, lineno)
            continue
        try:
            spans, problems = decode(tags)
        except ValueError as e:
            yield DataError(f"{tags_path.name}: {e}", chars_path, lineno)
            continue
        example = Example("".join(tokens), spans)
        if problems:
            err = DataError(f"invalid tag sequence at character {problems[0][0]}: {problems[0][1]}", tags_path, lineno)
            err.repaired = example
            yield err
        else:
            yield example
    if len(tag_lines) > n_chars:
        yield DataError(f"{len(tag_lines) - n_chars} more lines than {chars_path.name}", tags_path, n_chars + 1)


def write_dir(examples, folder, scheme: str = "BIO"):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / CHARS, "w", encoding="utf-8") as fc, open(folder / TAGS, "w", encoding="utf-8") as ft:
        for i, ex in enumerate(examples, 1):
            fc.write(" ".join(SPACE if c == " " else c for c in ex.text) + "\n")
            ft.write(" ".join(tags_for(ex, i, scheme)) + "\n")
