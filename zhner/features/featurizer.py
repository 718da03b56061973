"""Featurizer: texts -> the input tensors of a model, and the vocabularies behind them.

A model works on units: characters, or with `level = "word"` the segmenter's words (the `chars` table then
holds word ids; spans are mapped to unit indices and back to character offsets). Training and prediction
segment the same way; a gold entity that does not start and end on word boundaries cannot be a target and is
left out of training (`misaligned` counts them, and training reports the count).
Per character i of a text: its id (`chars`), the id of the bigram c_i c_{i+1} (`bigrams`), the id of the
segmenter's word that contains it (`words`, word-level features), the tagger's part of speech of the word
around it with its place in that word (`postags`: B-nr, E-nr, ...), and the lexicon words of its
SoftLexicon B/M/E/S sets with pooling weights 4·z(w)/Z (`lex_ids`, `lex_weights`: B × T × 4 × K).
"""
from __future__ import annotations

import sys
from collections import Counter
from functools import partial
from pathlib import Path

import torch

from ..schemes import encode
from ..spans import DataError, Span
from .lexicon import Lexicon
from .segment import Segmenter
from .vectors import extend_vocab, initialise, load_vectors
from .vocab import Vocab, bigrams, normalize

MAX_PER_SET = 8
MEMO_SIZE = 100_000            # texts whose lexicon rows are kept (a few KB each)


def _say(msg):
    print(msg, file=sys.stderr, flush=True)


class Featurizer:
    def __init__(self, cfg, chars: Vocab, bigram_vocab: Vocab | None = None, words: Vocab | None = None,
                 lexicon: Lexicon | None = None, lexicon_words: Vocab | None = None, postags: Vocab | None = None,
                 pretrained: dict | None = None, segmenter: Segmenter | None = None):
        self.cfg, self.chars, self.bigrams, self.words, self.postags = cfg, chars, bigram_vocab, words, postags
        self._memo: dict[str, str] = {}
        self._lex_memo: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.lexicon, self.lexicon_words = lexicon, lexicon_words
        self.pretrained = pretrained or {}      # path -> vectors read by `build`, until training has used them
        self.word_level = cfg.level == "word"
        self.segmenter = segmenter or (Segmenter(cfg.segmenter, cfg.user_dict or None)
                                       if words is not None or postags is not None or self.word_level else None)

    # -- building from training texts -------------------------------------------------------------------
    @classmethod
    def build(cls, cfg, texts) -> "Featurizer":
        """Vocabularies from the training texts, extended with the tokens of any pretrained vectors. Each
        vectors file is read, and each text segmented, once: the featurizer keeps the segmenter's cache, and
        `init_embeddings` takes the vectors from `pretrained`."""
        texts, pretrained = list(texts), {}
        seg = Segmenter(cfg.segmenter, cfg.user_dict or None) \
            if cfg.level == "word" or cfg.word_dim or cfg.postag_dim else None
        vectors = partial(_read_once, pretrained)
        if cfg.level == "word":
            words = Vocab.build(([t[s:e].lower() for s, e in seg.cut(t)] for t in texts), cfg.min_freq, cfg.max_words)
            if cfg.word_vectors:
                words = extend_vocab(words, vectors(cfg.word_vectors), cfg.max_words)
            return cls(cfg, words, pretrained=pretrained, segmenter=seg)
        chars = Vocab.build(([normalize(c) for c in t] for t in texts), cfg.min_freq)
        if cfg.char_vectors:
            chars = extend_vocab(chars, vectors(cfg.char_vectors))
        bigram_vocab = None
        if cfg.bigram_dim:
            bigram_vocab = Vocab.build((bigrams(t) for t in texts), cfg.min_freq, cfg.max_bigrams)
            if cfg.bigram_vectors:
                bigram_vocab = extend_vocab(bigram_vocab, vectors(cfg.bigram_vectors), cfg.max_bigrams)
        words = lexicon = lexicon_words = postags = None
        word_vectors = vectors(cfg.word_vectors) if cfg.word_vectors and (cfg.word_dim or cfg.lexicon_dim) else None
        if cfg.word_dim:
            words = Vocab.build(([t[s:e].lower() for s, e in seg.cut(t)] for t in texts), cfg.min_freq,
                                cfg.max_words)
            if word_vectors is not None:
                words = extend_vocab(words, word_vectors, cfg.max_words)
        if cfg.postag_dim:
            postags = Vocab.build(_postags(seg.tag(t)) for t in texts)
        if cfg.lexicon_dim:
            lexicon = Lexicon.from_sources(cfg.lexicon or ["jieba"], cfg.lexicon_max_len, vectors)
            if cfg.lexicon_frequency == "data":
                lexicon = lexicon.counted(texts)
            matched = Counter(w for t in texts for sets in lexicon.match(t) for ws in sets for w, _ in ws)
            lexicon_words = Vocab(w for w, _ in matched.most_common(cfg.max_words or None))
            if word_vectors is not None:        # lexicon words of new text get their vectors too
                lexicon_words = extend_vocab(lexicon_words, word_vectors, cfg.max_words, lexicon.words)
        return cls(cfg, chars, bigram_vocab, words, lexicon, lexicon_words, postags, pretrained, seg)

    def init_embeddings(self, embed, texts) -> None:
        """Copy pretrained vectors into `embed`'s tables and report their coverage of the training text."""
        cfg, texts = self.cfg, list(texts)
        if self.word_level:
            jobs = [(cfg.word_vectors, embed.chars, self.chars,
                     lambda t: [t[s:e].lower() for s, e in self.segmenter.cut(t)])]
        else:
            jobs = [(cfg.char_vectors, embed.chars, self.chars, lambda t: [normalize(c) for c in t]),
                    (cfg.bigram_vectors, embed.bigrams, self.bigrams, bigrams),
                    (cfg.word_vectors, embed.words, self.words,
                     lambda t: [t[s:e].lower() for s, e in self.segmenter.cut(t)]),
                    (cfg.word_vectors, embed.lexicon, self.lexicon_words,
                     lambda t: [w for sets in self.lexicon.match(t) for ws in sets for w, _ in ws])]
        for path, table, vocab, tokenize in jobs:
            if path and table is not None:
                counts = Counter(tok for t in texts for tok in tokenize(t))
                cov = initialise(table, vocab, _read_once(self.pretrained, path), counts)
                _say(f"vectors {path}: cover {100 * cov['types']:.1f}% of {len(vocab) - 2} vocabulary entries, "
                     f"{100 * cov['occurrences']:.1f}% of training occurrences")

    # -- units ----------------------------------------------------------------------------------------
    def units(self, text: str) -> list[tuple[int, int]] | None:
        """Word (start, end) offsets in word mode; None for characters."""
        return self.segmenter.cut(text) if self.word_level else None

    def misaligned(self, examples) -> tuple[int, int]:
        """(gold spans whose ends are not word boundaries, all gold spans)."""
        bad = total = 0
        for ex in examples:
            bounds = {p for s, e in self.units(ex.text) for p in (s, e)}
            total += len(ex.spans)
            bad += sum(s.start not in bounds or s.end not in bounds for s in ex.spans)
        return bad, total

    @staticmethod
    def to_units(units, spans):
        """Character spans -> unit spans; spans that do not align with unit boundaries are left out."""
        if units is None:
            return spans
        start = {s: i for i, (s, _) in enumerate(units)}
        end = {e: i + 1 for i, (_, e) in enumerate(units)}
        return [type(s)(start[s.start], end[s.end], s.label, s.score) for s in spans
                if s.start in start and s.end in end]

    @staticmethod
    def to_chars(units, spans):
        if units is None:
            return spans
        return [type(s)(units[s.start][0], units[s.end - 1][1], s.label, s.score) for s in spans]

    # -- tensors --------------------------------------------------------------------------------------
    def tensors(self, texts, units=None) -> dict:
        if units is not None:
            t = max([len(u) for u in units] + [1])
            lengths = torch.tensor([len(u) for u in units])
            ids = torch.zeros(len(texts), t, dtype=torch.long)
            for b, (text, us) in enumerate(zip(texts, units)):
                if us:
                    ids[b, :len(us)] = torch.tensor(self.chars.ids(text[s:e].lower() for s, e in us))
            return {"mask": torch.arange(t)[None] < lengths[:, None], "chars": ids}
        t = max(1, max(map(len, texts), default=1))
        lengths = torch.tensor([len(x) for x in texts])
        out = {"mask": torch.arange(t)[None] < lengths[:, None]}
        normalized = [self._normalized(x) for x in texts]
        out["chars"] = self._ids(normalized, t, self.chars.ids)
        if self.bigrams is not None:
            out["bigrams"] = self._ids(normalized, t, lambda x: self.bigrams.ids(bigrams(x)))
        if self.words is not None:
            out["words"] = self._ids(texts, t, self._word_ids)
        if self.postags is not None:
            out["postags"] = self._ids(texts, t, lambda x: self.postags.ids(_postags(self.segmenter.tag(x))))
        if self.lexicon is not None:
            out["lex_ids"], out["lex_weights"] = self._lexicon(texts, t)
        return out

    @staticmethod
    def _ids(texts, t, fn):
        return torch.tensor([fn(text) + [0] * (t - len(text)) for text in texts], dtype=torch.long)

    def _normalized(self, text) -> list[str]:
        """Normalised characters, memoised per raw character (normalising is the slow part)."""
        memo = self._memo
        out = []
        for c in text:
            n = memo.get(c)
            if n is None:
                n = memo[c] = normalize(c)
            out.append(n)
        return out

    def _word_ids(self, text):
        ids = []
        for s, e in self.segmenter.cut(text):
            ids += [self.words.stoi.get(text[s:e].lower(), 1)] * (e - s)
        return ids

    def _lexicon(self, texts, t):
        rows = [self._lexicon_rows(x) for x in texts]
        k = int(max([r[0][:, 2].max().item() + 1 for r in rows if len(r[0])] + [1]))
        ids = torch.zeros(len(texts), t, 4, k, dtype=torch.long)
        weights = torch.zeros(len(texts), t, 4, k)
        if any(len(r[0]) for r in rows):
            batch = torch.cat([torch.full((len(r[0]),), b, dtype=torch.long) for b, r in enumerate(rows)])
            index, weight = (torch.cat(parts) for parts in zip(*rows))
            where = (batch, *index[:, :3].long().unbind(1))
            ids[where], weights[where] = index[:, 3].long(), weight
        return ids, weights

    def _lexicon_rows(self, text) -> tuple[torch.Tensor, torch.Tensor]:
        """The text's lexicon features: int32 rows (position, set, rank, word id) and their float32 weights
        4·z(w)/Z, the MAX_PER_SET most frequent words of each set; memoised per text (training sees each
        text every epoch)."""
        hit = self._lex_memo.get(text)
        if hit is None:
            get, index, weight = self.lexicon_words.stoi.get, [], []
            for i, sets in enumerate(self.lexicon.match(text)):
                total = sum(f for ws in sets for _, f in ws)
                for s, ws in enumerate(sets):
                    for j, (w, f) in enumerate(sorted(ws, key=lambda x: -x[1])[:MAX_PER_SET]):
                        index.append((i, s, j, get(w, 1)))
                        weight.append(4 * f / total)
            hit = (torch.tensor(index, dtype=torch.int32).reshape(-1, 4), torch.tensor(weight, dtype=torch.float32))
            if len(self._lex_memo) >= MEMO_SIZE:
                self._lex_memo.clear()
            self._lex_memo[text] = hit
        return hit

    # -- files ----------------------------------------------------------------------------------------
    def save(self, folder: Path):
        self.chars.save(folder / "chars.json")
        for name, vocab in (("bigrams", self.bigrams), ("words", self.words), ("postags", self.postags),
                            ("lexicon_words", self.lexicon_words)):
            if vocab is not None:
                vocab.save(folder / f"{name}.json")
        if self.lexicon is not None:
            self.lexicon.save(folder / "lexicon.tsv")
        if self.cfg.user_dict and (self.words is not None or self.postags is not None):
            (folder / "user_dict.txt").write_text(Path(self.cfg.user_dict).read_text(encoding="utf-8"),
                                                  encoding="utf-8")

    @classmethod
    def load(cls, cfg, folder: Path) -> "Featurizer":
        """The vocabularies `cfg` needs, from a model directory; DataError names a missing or broken file."""
        char_level = cfg.level == "char"

        def vocab(name, needed=True):
            path = folder / f"{name}.json"
            if not needed:
                return None
            if not path.is_file():
                raise DataError("missing from the model directory", path)
            return Vocab.load(path)
        if (folder / "user_dict.txt").exists():
            cfg.user_dict = str(folder / "user_dict.txt")
        lexicon = None
        if cfg.lexicon_dim:
            if not (folder / "lexicon.tsv").is_file():
                raise DataError("missing from the model directory", folder / "lexicon.tsv")
            lexicon = Lexicon.from_sources([folder / "lexicon.tsv"], cfg.lexicon_max_len)
        return cls(cfg, vocab("chars"), vocab("bigrams", char_level and cfg.bigram_dim > 0),
                   vocab("words", char_level and cfg.word_dim > 0), lexicon,
                   vocab("lexicon_words", lexicon is not None), vocab("postags", char_level and cfg.postag_dim > 0))


def _read_once(cache: dict, path: str):
    """The vectors of `path`, read on first use and kept in `cache`."""
    if path not in cache:
        cache[path] = load_vectors(path)
    return cache[path]


def _postags(words) -> list[str]:
    """Per character: its word's part of speech, BIOES-tagged by its place in the word (the words tile the
    text), e.g. 李强 (nr) -> B-nr, E-nr."""
    return encode(words[-1][1] if words else 0, [Span(s, e, tag) for s, e, tag in words], "BIOES")
