"""Sentence vectors from static word (or char) vectors, and picking the unlabelled texts closest to a set.

- mean:  v(s) = mean of the vectors of its tokens found in the vectors file;
- tfidf: weights tf(w, s) · log(N / df(w)) over the given texts;
- sif:   weights a / (a + p(w)) with p(w) the token's relative frequency in the given texts (a = 1e-3), then
         the projection on the first principal component of all sentence vectors is removed (Arora et al. 2017).
Tokens without a vector are skipped; a text with none gets the zero vector.
"""
from __future__ import annotations

import math
from collections import Counter

import numpy as np

from .vectors import tokens

METHODS = ("mean", "tfidf", "sif")


def sentence_vectors(texts, kv, method: str = "sif", kind: str = "word", segmenter=None, a: float = 1e-3):
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")
    if kind == "word" and segmenter is None:
        from .segment import Segmenter
        segmenter = Segmenter()
    toks = [[t for t in tokens(text, kind, segmenter) if t in kv.key_to_index] for text in texts]
    counts = Counter(t for ts in toks for t in ts)
    total = max(1, sum(counts.values()))
    df = Counter(t for ts in toks for t in set(ts))
    out = np.zeros((len(toks), kv.vector_size), dtype=np.float32)
    for i, ts in enumerate(toks):
        if not ts:
            continue
        if method == "mean":
            weights = {t: 1.0 for t in ts}
        elif method == "tfidf":
            weights = {t: math.log(len(toks) / df[t]) for t in ts}
        else:
            weights = {t: a / (a + counts[t] / total) for t in ts}
        out[i] = sum(weights[t] * kv[t] for t in ts) / len(ts)
    if method == "sif" and len(out) > 1:
        u = np.linalg.svd(out, full_matrices=False)[2][0]
        out -= np.outer(out @ u, u)
    return out


def closest(pool: np.ndarray, reference: np.ndarray, n: int) -> list[int]:
    """Indices of the n pool vectors with the highest cosine similarity to the reference set's centroid."""
    centroid = reference.mean(0)
    norms = np.linalg.norm(pool, axis=1) * (np.linalg.norm(centroid) or 1.0)
    sims = pool @ centroid / np.where(norms == 0, 1.0, norms)
    return sorted(np.argsort(-sims, kind="stable")[:n].tolist())
