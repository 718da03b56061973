"""New-word discovery by cutting text at weak seams: the reference's own method (nlp-zero's `Word_Finder`,
METHODS.md §4 step 1), streamed and vectorised with numpy.

Pass 1 counts characters and adjacent pairs (`count_ngrams`, n ≤ 2). A pair ab is strong if
p(ab) = count(ab) / pairs > min_proba and PMI = log p(ab) − log p(a) − log p(b) > min_pmi
(p(a) = count(a) / characters). Pass 2 cuts every run of word characters at each seam that is not a strong
pair and counts the pieces (any length, single characters included); a piece is a word if
count / pieces > min_proba. Last, de-redundancy, longest words first: w is removed and its count given to
its best split into the other words (maximum probability, a lone character outside the lexicon scoring −100)
when log p(w) − Σ log p(part) < |w| − 1. A run of ASCII letters and digits is never split.
Memory is bounded as in `count_ngrams`: the piece tables are pruned to about half when they pass max_entries.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from math import log

import numpy as np

from .discover import EMPTY, MAX_N, SHIFT, _chunks, _merge, count_ngrams, pack, words_of

NULL = -100.0          # log-probability of a character outside the lexicon, as in the reference


def _strong_pairs(tables, totals, min_proba, min_pmi) -> np.ndarray:
    """Sorted keys of the strong adjacent pairs (probabilities over the exact totals, pruned or not)."""
    (chars, char_counts), (pairs, pair_counts) = tables[1], tables[2]
    if not len(pairs):
        return pairs
    logp_char = np.full(1 << 16, -np.inf)
    logp_char[chars.astype(np.int64)] = np.log(char_counts / totals[1])
    logp = np.log(pair_counts / totals[2])
    a, b = (pairs >> SHIFT).astype(np.int64), (pairs & np.uint64(0xFFFF)).astype(np.int64)
    return pairs[(logp > np.log(min_proba)) & (logp - logp_char[a] - logp_char[b] > min_pmi)]


def _pieces(cp, strong):
    """(starts, lengths) of the pieces of a chunk: runs of word characters cut at every weak seam."""
    key = (cp[:-1].astype(np.uint64) << SHIFT) | cp[1:].astype(np.uint64)
    at = np.minimum(np.searchsorted(strong, key), max(len(strong) - 1, 0))
    joined = np.zeros(len(cp) + 1, dtype=bool)        # joined[t]: characters t − 1 and t are one piece
    if len(strong):
        joined[1:-1] = (cp[:-1] > 0) & (cp[1:] > 0) & (strong[at] == key)
    word = cp > 0
    starts = np.flatnonzero(word & ~joined[:-1])
    ends = np.flatnonzero(word & ~joined[1:])
    return starts, ends - starts + 1


def _prune(table, long, budget):
    """Drop the least frequent pieces until about half the budget is left (counts become lower bounds)."""
    pooled = np.concatenate([table[1], np.fromiter(long.values(), dtype=np.int64, count=len(long))])
    room = budget // 2
    floor = np.partition(pooled, len(pooled) - room)[len(pooled) - room]
    keep = table[1] > floor
    return (table[0][keep], table[1][keep]), Counter({w: c for w, c in long.items() if c > floor})


def _split(word, counts, prefixes, log_total):
    """Maximum-probability split of `word` into entries of `counts` (a piece is only extended while it is a
    prefix of some entry); ASCII letter/digit parts re-joined."""
    n = len(word)
    best, back = [0.0] + [-np.inf] * n, [0] * (n + 1)
    for start in range(n):
        for end in range(start + 1, n + 1):
            piece = word[start:end]
            if end - start > 1 and piece not in prefixes:
                break
            c = counts.get(piece, 0)
            if c or end - start == 1:
                score = best[start] + (log(c) - log_total if c else NULL)
                if score > best[end]:
                    best[end], back[end] = score, start
    parts, end = [], n
    while end:
        parts.append(word[back[end]:end])
        end = back[end]
    joined = []
    for part in reversed(parts):
        if joined and joined[-1][-1].isascii() and joined[-1][-1].isalnum() and part.isascii() and part.isalnum():
            joined[-1] += part
        else:
            joined.append(part)
    return joined


def _deduplicate(counts: dict) -> dict:
    """The reference's de-redundancy, longest words first (see the module docstring). Returns the score
    log p(w) − Σ log p(part) of each word kept."""
    total, scores = sum(counts.values()), {}
    prefixes = {w[:k] for w in counts for k in range(2, len(w) + 1)}
    for w in sorted(counts, key=len, reverse=True):
        if len(w) == 1:
            continue
        num = counts.pop(w)
        score = log(num) - log(total)
        total -= num
        parts = _split(w, counts, prefixes, log(total))
        score -= sum(log(counts[p]) - log(total) if counts.get(p) else NULL for p in parts)
        if score < len(w) - 1:
            for p in parts:
                counts[p] = counts.get(p, 0) + num
                total += num
        else:
            counts[w], scores[w] = num, score
            total += num
    return scores


def discover_cut(texts: Iterable[str] | Callable[[], Iterable[str]], min_proba: float = 1e-6, min_pmi: float = 0.5,
                 max_entries: int = 5_000_000, progress=None) -> list[dict]:
    """Words (length ≥ 2) ranked by count, as `discover` gives them: pmi is the de-redundancy score
    log p(w) − Σ log p(part), the entropies are NaN. `texts` is read twice: give a list or a function returning a fresh iterable."""
    source = texts if callable(texts) else (lambda: texts)
    totals = {}
    strong = _strong_pairs(count_ngrams(source(), 2, max_entries, progress, totals), totals, min_proba, min_pmi)
    table, long, total = None, Counter(), 0
    for cp in _chunks(source()):
        starts, lengths = _pieces(cp, strong)
        total += len(starts)
        short = lengths <= MAX_N
        table = _merge(table, *np.unique(pack(cp, starts[short], lengths[short]), return_counts=True))
        if (~short).any():
            text = cp.astype(np.uint32).tobytes().decode("utf-32-le")
            long.update(text[a:a + n] for a, n in zip(starts[~short].tolist(), lengths[~short].tolist()))
        if len(table[0]) + len(long) > max_entries:
            table, long = _prune(table, long, max_entries)
        if progress is not None:
            progress.update(len(cp))
    table = table or EMPTY
    floor = min_proba * total
    counts = {}
    for n in range(1, MAX_N + 1):
        size = (table[0] >> np.uint64(16 * (n - 1))) > 0
        if n < MAX_N:
            size &= (table[0] >> np.uint64(16 * n)) == 0
        keep = size & (table[1] > floor)
        counts.update(zip(words_of(table[0][keep], n), table[1][keep].tolist()))
    counts.update((w, c) for w, c in long.items() if c > floor)
    scores = _deduplicate(counts)
    words = [{"word": w, "count": c, "pmi": scores[w], "left_entropy": np.nan, "right_entropy": np.nan}
             for w, c in counts.items() if len(w) >= 2]
    words.sort(key=lambda r: (-r["count"], r["word"]))
    return words
