"""Vocabularies of characters and character bigrams.

Lookup keys are normalised (full-width ASCII -> half-width, ideographic space -> space, lower case), one
character to one character, so offsets into the raw text never move. Ids 0 and 1 are padding and unknown.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ..spans import DataError, half_width

PAD, UNK = "<pad>", "<unk>"
END = "</s>"


def normalize(ch: str) -> str:
    ch = " " if ch == "\u3000" else half_width(ch)
    low = ch.lower()
    return low if len(low) == 1 else ch


def bigrams(text) -> list[str]:
    """Bigram starting at each character: `c_i c_{i+1}` (the last character pairs with an end mark).
    `text` is a string (normalised here) or a list of already normalised characters."""
    chars = [normalize(c) for c in text] if isinstance(text, str) else text
    return [a + b for a, b in zip(chars, chars[1:] + [END])]


class Vocab:
    def __init__(self, tokens):
        self.itos = [PAD, UNK] + [t for t in tokens if t not in (PAD, UNK)]
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def ids(self, tokens) -> list[int]:
        get = self.stoi.get
        return [get(t, 1) for t in tokens]

    @classmethod
    def build(cls, token_lists, min_freq: int = 1, max_size: int = 0) -> "Vocab":
        counts = Counter(t for tokens in token_lists for t in tokens)
        ranked = [t for t, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])) if n >= min_freq]
        return cls(ranked[:max_size] if max_size else ranked)

    def save(self, path):
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path) -> "Vocab":
        """A saved vocabulary: a JSON list of strings; anything else is a DataError naming the file."""
        try:
            itos = json.loads(Path(path).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DataError(f"unreadable vocabulary: {e}", path) from None
        if not isinstance(itos, list) or not all(isinstance(w, str) for w in itos):
            raise DataError("a vocabulary must be a JSON list of strings", path)
        return cls(itos)
