"""Static vectors for characters, character bigrams and words: trained with gensim Word2Vec (skip-gram,
negative sampling) on raw text (labels are never read) and loaded from any word2vec text or binary file
to initialise a model's embedding tables."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..files import atomic_file
from ..spans import DataError
from .vocab import Vocab, bigrams, normalize

KINDS = ("char", "bigram", "word")


def tokens(text: str, kind: str, segmenter=None) -> list[str]:
    """The tokens vectors are trained on; none holds white space (the word2vec text format could not)."""
    if kind == "char":
        return [normalize(c) for c in text if not c.isspace()]
    if kind == "bigram":
        return [b for b in bigrams(text) if not any(c.isspace() for c in b)]
    return [text[s:e].lower() for s, e in segmenter.cut(text) if not text[s:e].isspace()]


def train_vectors(texts, kind: str, dim: int = 100, window: int = 5, negative: int = 5, min_count: int = 2,
                  epochs: int = 5, seed: int = 42, segmenter=None, workers: int = 0):
    """Skip-gram Word2Vec over the token sequences of `texts`; returns gensim KeyedVectors. `workers`
    threads (0: one per core); with one, the same texts and seed give the same vectors in every process
    (gensim's threads otherwise update the shared weights in whatever order they run)."""
    from gensim.models import Word2Vec
    if kind not in KINDS:
        raise ValueError(f"unknown vector kind {kind!r}; choose from {', '.join(KINDS)}")
    if workers < 0:                                 # gensim would start no thread and return untrained vectors
        raise ValueError(f"workers must be ≥ 0 (0: one per core), not {workers}")
    if kind == "word" and segmenter is None:
        from .segment import Segmenter
        segmenter = Segmenter()
    sentences = [tokens(t, kind, segmenter) for t in texts]
    model = Word2Vec(sentences, vector_size=dim, window=window, negative=negative, min_count=min_count, sg=1,
                     epochs=epochs, seed=seed, workers=workers or os.cpu_count() or 1)
    return model.wv


def save_vectors(kv, path):
    with atomic_file(path) as tmp:
        kv.save_word2vec_format(str(tmp), binary=str(path).endswith(".bin"))


def vectors_format(path) -> tuple[bool, bool] | None:
    """(binary, header) of a word2vec file, or None if `path` is not one. Text files may lack the
    "count dim" header line (GloVe, and the Gigaword / ctb.50d vectors of Lattice LSTM and SoftLexicon):
    then each line is a token and at least two numbers, split by spaces (tab-separated word lists with
    numeric columns, such as `zhner mine`'s, are not vectors; nor is a word list whose first line happens
    to be two numbers, as the second line of a text file with a header holds a token and dim numbers)."""
    with open(path, "rb") as f:
        first = f.readline()
        sample = f.read(1 << 16)                      # holds a whole second line of any usual dim
    try:
        sample.decode("utf-8")
        binary = False
    except UnicodeDecodeError as e:
        binary = e.start < len(sample) - 4            # a cut multi-byte character at the end is still text
    if b"\t" in first:
        return None
    fields = first.decode("utf-8", "replace").split()
    if len(fields) == 2 and all(f.isdigit() for f in fields):          # "count dim", then count vectors
        second = sample.split(b"\n", 1)[0].decode("utf-8", "replace").split()
        return (binary, True) if binary or len(second) == int(fields[1]) + 1 or fields[0] == "0" else None
    try:
        return (False, False) if not binary and len(fields) >= 3 and [float(x) for x in fields[1:]] else None
    except ValueError:
        return None


def load_vectors(path):
    """A word2vec file, text or binary, with or without a header line (detected from its content)."""
    from gensim.models import KeyedVectors
    path = Path(path)
    if not path.is_file():
        raise DataError("no such vectors file", path)
    binary, header = vectors_format(path) or (False, True)
    try:
        return KeyedVectors.load_word2vec_format(str(path), binary=binary, no_header=not header,
                                                 unicode_errors="replace")
    except (ValueError, EOFError, UnicodeDecodeError) as e:
        raise DataError(f"not a word2vec {'binary' if binary else 'text'} file: {e}", path) from None


def extend_vocab(vocab: Vocab, kv, max_size: int = 0, among=None) -> Vocab:
    """The vocabulary plus the vectors' tokens (most frequent first; only those in `among` if given), up
    to `max_size` entries in all."""
    extra = [t for t in kv.index_to_key if t not in vocab.stoi and (among is None or t in among)]
    if max_size:
        extra = extra[:max(0, max_size - len(vocab))]
    return Vocab(vocab.itos[2:] + extra)


def initialise(embedding: torch.nn.Embedding, vocab: Vocab, kv, counts=None) -> dict:
    """Copy vectors into the rows of tokens they cover; return the coverage of types and of occurrences."""
    if kv.vector_size != embedding.embedding_dim:
        raise ValueError(f"vectors have {kv.vector_size} dimensions but the embedding has "
                         f"{embedding.embedding_dim}; set the matching *_dim in the model config")
    found = [i for i, t in enumerate(vocab.itos) if i > 1 and t in kv.key_to_index]
    with torch.no_grad():
        rows = np.stack([kv[vocab.itos[i]] for i in found]) if found else np.zeros((0, kv.vector_size))
        embedding.weight[found] = torch.as_tensor(rows, dtype=embedding.weight.dtype)
    coverage = {"types": len(found) / max(1, len(vocab) - 2)}
    if counts:
        total = sum(counts.values())
        coverage["occurrences"] = sum(n for t, n in counts.items() if t in kv.key_to_index) / max(1, total)
    return coverage
