"""A lexicon (word -> frequency) and SoftLexicon matching (Ma et al. 2020).

For character i, B/M/E/S are the lexicon words in the text that begin at i, contain i inside, end at i,
or are exactly character i. Each set is later pooled as v(S) = 4/Z · Σ_{w∈S} z(w) e(w), Z = Σ over all
four sets of z(w), with z(w) the word's frequency in the lexicon.
Sources: `jieba` (jieba's dictionary), or files of `word [frequency ...]` / `word<TAB>score` lines
(a user dictionary, the output of `zhner mine`); a word without a frequency counts 1.
"""
from __future__ import annotations

from pathlib import Path

from ..spans import DataError
from .vocab import normalize


class Lexicon:
    def __init__(self, words: dict[str, float], max_len: int = 8):
        self.words = {w: f for w, f in words.items() if 0 < len(w) <= max_len}
        self.max_len = max(map(len, self.words), default=1)

    def __len__(self):
        return len(self.words)

    @classmethod
    def from_sources(cls, sources, max_len: int = 8) -> "Lexicon":
        words: dict[str, float] = {}
        for source in sources:
            path = Path(source)
            if source == "jieba":
                import jieba
                path = Path(jieba.get_dict_file().name)
            if not path.is_file():
                raise DataError("no such lexicon file", path)
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                parts = line.replace("\t", " ").split()
                if not parts:
                    continue
                word = "".join(normalize(c) for c in parts[0])
                try:
                    freq = float(parts[1]) if len(parts) > 1 else 1.0
                except ValueError:
                    freq = 1.0
                words[word] = max(words.get(word, 0.0), freq)
        return cls(words, max_len)

    def save(self, path):
        Path(path).write_text("".join(f"{w}\t{f:g}\n" for w, f in self.words.items()), encoding="utf-8")

    def match(self, text: str) -> list[tuple[list, list, list, list]]:
        """Per character, the (word, frequency) lists of its B, M, E and S sets."""
        norm = "".join(normalize(c) for c in text)
        sets = [([], [], [], []) for _ in norm]
        words = self.words
        for i in range(len(norm)):
            for j in range(i + 1, min(len(norm), i + self.max_len) + 1):
                w = norm[i:j]
                f = words.get(w)
                if f is None:
                    continue
                if j - i == 1:
                    sets[i][3].append((w, f))
                    continue
                sets[i][0].append((w, f))
                sets[j - 1][2].append((w, f))
                for k in range(i + 1, j - 1):
                    sets[k][1].append((w, f))
        return sets
