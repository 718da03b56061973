"""Semantic expansion from seed words (METHODS.md §4, step 3).

Breadth-first search over word2vec nearest neighbours: a neighbour of a word found at depth d joins when its
cosine similarity to (word vector + centre − negative) is ≥ min_sim + (max_sim − min_sim)(1 − e^{−α·d}), so
the bar rises with the distance from the seeds; the centre is the mean vector of `centre_words`, the
negative the mean of `negative_words`; `keep(word)` (the rule filters) must accept it; at most `max_size`.
"""
from __future__ import annotations

import math
from collections import deque

import numpy as np


def expand(kv, seeds, centre_words=(), negative_words=(), min_sim: float = 0.6, max_sim: float = 1.0,
           alpha: float = 0.25, topn: int = 200, max_size: int = 10_000, keep=lambda w: True) -> list[tuple]:
    """[(word, depth, similarity)] in the order found; seeds first with depth 0."""
    def mean(words):
        vecs = [kv[w] for w in words if w in kv.key_to_index]
        return np.mean(vecs, 0) if vecs else np.zeros(kv.vector_size, dtype=np.float32)
    centre, negative = mean(centre_words), mean(negative_words)
    found = {w: (0, 1.0) for w in seeds if w in kv.key_to_index}
    queue = deque((w, 0) for w in found)
    while queue and len(found) < max_size:
        word, depth = queue.popleft()
        bar = min_sim + (max_sim - min_sim) * (1 - math.exp(-alpha * depth))
        for other, sim in kv.similar_by_vector(kv[word] + centre - negative, topn=topn):
            if sim < bar or other in found or not keep(other):
                continue
            found[other] = (depth + 1, float(sim))
            queue.append((other, depth + 1))
            if len(found) >= max_size:
                break
    return [(w, d, s) for w, (d, s) in found.items()]
