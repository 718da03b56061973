"""A lexicon (word -> frequency) and SoftLexicon matching (Ma et al. 2020).

For character i, B/M/E/S are the lexicon words in the text that begin at i, contain i inside, end at i,
or are exactly character i. Each set is later pooled as v(S) = 4/Z · Σ_{w∈S} z(w) e(w), Z = Σ over all
four sets of z(w), with z(w) the word's frequency in the lexicon (`counted`: in a text collection).
Sources: `jieba` (jieba's dictionary), files of `word [frequency ...]` / `word<TAB>score` lines
(a user dictionary, the output of `zhner mine`; a word without a frequency counts 1), or word2vec files,
whose words count 1 (SoftLexicon's own lexicon is the vocabulary of its ctb.50d word vectors).
"""
from __future__ import annotations

from pathlib import Path

from ..spans import DataError
from .vectors import load_vectors, vectors_format
from .vocab import normalize


class Lexicon:
    def __init__(self, words: dict[str, float], max_len: int = 8):
        self.words = {w: f for w, f in words.items() if 0 < len(w) <= max_len}
        self.max_len = max(map(len, self.words), default=1)

    def __len__(self):
        return len(self.words)

    @classmethod
    def from_sources(cls, sources, max_len: int = 8, read_vectors=load_vectors) -> "Lexicon":
        """The union of `sources`, each word at its highest frequency; `read_vectors(path)` reads a word2vec
        source (a caller that also uses the file as word vectors passes its own, to read it once)."""
        words: dict[str, float] = {}
        for source in sources:
            path = Path(source)
            if source == "jieba":
                import jieba
                path = Path(jieba.get_dict_file().name)
            if not path.is_file():
                raise DataError("no such lexicon file", path)
            if vectors_format(path):
                for word in read_vectors(source).index_to_key:
                    word = "".join(normalize(c) for c in word)
                    words[word] = max(words.get(word, 0.0), 1.0)
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
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

    def hits(self, text: str):
        """The lexicon words in `text`: (start, end, word, frequency), by start, then end."""
        norm = "".join(normalize(c) for c in text)
        words = self.words
        for i in range(len(norm)):
            for j in range(i + 1, min(len(norm), i + self.max_len) + 1):
                f = words.get(norm[i:j])
                if f is not None:
                    yield i, j, norm[i:j], f

    def match(self, text: str) -> list[tuple[list, list, list, list]]:
        """Per character, the (word, frequency) lists of its B, M, E and S sets."""
        sets = [([], [], [], []) for _ in text]
        for i, j, w, f in self.hits(text):
            if j - i == 1:
                sets[i][3].append((w, f))
                continue
            sets[i][0].append((w, f))
            sets[j - 1][2].append((w, f))
            for k in range(i + 1, j - 1):
                sets[k][1].append((w, f))
        return sets

    def counted(self, texts) -> "Lexicon":
        """The lexicon with SoftLexicon's frequencies: z(w) = 1 + the number of times w occurs in `texts`
        not inside a longer lexicon word (so a short word is not always rarer than the words that cover
        it); the 1 keeps words the texts lack from weighing nothing in new text."""
        counts = dict.fromkeys(self.words, 1.0)
        for text in texts:
            reach = 0                                   # the furthest end of a hit starting earlier
            for i, j, w, _ in sorted(self.hits(text), key=lambda h: (h[0], -h[1])):
                if j > reach:
                    counts[w] += 1
                reach = max(reach, j)
        return Lexicon(counts, self.max_len)
