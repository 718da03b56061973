"""Plain text: one text per line, no labels (input for prediction). A blank line is an empty text, so
output records stay aligned with input lines."""
from __future__ import annotations

from ..spans import DataError, Example
from .base import iter_lines


def read(path):
    for _, line in iter_lines(path):
        yield line if isinstance(line, DataError) else Example(line)


def write(examples, f):
    for ex in examples:
        f.write(ex.text.replace("\n", " ") + "\n")
