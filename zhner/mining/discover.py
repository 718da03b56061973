"""New-word discovery (METHODS.md §4, step 1): two streaming passes over a corpus, vectorised with numpy.

Characters other than CJK ideographs, ASCII letters and digits are boundaries. An n-gram (n ≤ 4) packs into
one 64-bit key, 16 bits a character, so counting a chunk of text is `np.unique` over keys. A candidate word w
(2 ≤ |w| ≤ max_n) needs count(w) ≥ min_count and a cohesion, the minimum over split points w = ab of
PMI = log(count(w) · N / (count(a) · count(b))) (N = number of characters), of at least min_pmi.
Memory is bounded: when the table holds more than `max_entries` n-grams, the least frequent are dropped until
about half of it is left (surviving counts are then lower bounds, as in lossy counting); the corpus itself
is read in chunks, never held whole.
With min_entropy > 0, a second pass collects each candidate's neighbouring characters for the boundary
entropies H = −Σ p(c) log p(c), and a word must reach min_entropy on both sides (otherwise the entropies are
not computed: NaN). With `recount`, a last pass segments every run of word characters by maximum probability
over the candidates and single characters (p(w) = count(w) / N), vectorised across runs; a candidate's count
becomes the number of times it is a segment, so fragments of a longer word (京大 inside 北京大学) lose the
counts the longer word takes. A segment never cuts a run of Latin letters and digits (no 00ml out of 500ml).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from ..files import atomic_text

MAX_N = 4                      # 4 characters × 16 bits = one uint64 key
CHUNK_CHARS = 1_000_000
SHIFT = np.uint64(16)
EMPTY = (np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64))    # a table with no n-gram


def _codes(text: str) -> np.ndarray:
    """Code points (int64), 0 for every character that cannot be part of a word."""
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    low = cp | 32                                                   # ASCII letters folded to lower case
    word = ((cp >= 0x3400) & (cp <= 0x9FFF)) | ((cp >= 0xF900) & (cp <= 0xFAFF)) | ((cp >= 48) & (cp <= 57)) | \
        ((low >= 97) & (low <= 122) & (cp < 128))
    return np.where(word, cp, 0)


def _grams(cp: np.ndarray, max_n: int):
    """Yield (n, keys, valid) for n = 1..max_n: the n-gram starting at each position, valid if no boundary."""
    key, valid = cp.astype(np.uint64), cp != 0
    for n in range(1, max_n + 1):
        if n > 1:
            m = len(cp) - n + 1
            if m <= 0:
                return
            nxt = cp[n - 1:]
            key = (key[:m] << SHIFT) | nxt.astype(np.uint64)
            valid = valid[:m] & (nxt != 0)
        yield n, key, valid


def _merge(table, keys, counts):
    """Add sorted unique (keys, counts) to a table of the same form. A stable sort of the two sorted runs
    is a linear merge."""
    if table is None or not len(keys):
        return (keys, counts) if table is None else table
    keys, counts = np.concatenate([table[0], keys]), np.concatenate([table[1], counts])
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.concatenate([[True], keys[1:] != keys[:-1]]))
    return keys[starts], np.add.reduceat(counts, starts) if len(starts) else counts[:0]


def _lookup(table, queries) -> np.ndarray:
    """Counts of `queries` in a table (0 where absent)."""
    keys, counts = table
    if not len(keys):
        return np.zeros(len(queries), dtype=np.int64)
    idx = np.minimum(np.searchsorted(keys, queries), len(keys) - 1)
    return np.where(keys[idx] == queries, counts[idx], 0)


class _KeyIndex:
    """Where each query sits in a sorted array of unique keys (−1 if absent): a direct hash table of about
    16 slots a key, with binary search only for queries that land on a slot two keys share."""

    def __init__(self, keys: np.ndarray):
        self.keys, self.bits = keys, max(10, int(np.ceil(np.log2(max(len(keys), 1) * 16))))
        slots = self._slot(keys)
        self.table = np.full(1 << self.bits, -1, dtype=np.int32)
        self.table[slots] = np.arange(len(keys), dtype=np.int32)
        self.table[np.bincount(slots, minlength=len(self.table)) > 1] = -2

    def _slot(self, q):
        return ((q * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - self.bits)).astype(np.int64)

    def find(self, q: np.ndarray) -> np.ndarray:
        idx = self.table[self._slot(q)].astype(np.int64)
        hit = np.flatnonzero(idx >= 0)
        idx[hit] = np.where(self.keys[idx[hit]] == q[hit], idx[hit], -1)
        shared = np.flatnonzero(idx == -2)
        if len(shared):
            at = np.minimum(np.searchsorted(self.keys, q[shared]), len(self.keys) - 1)
            idx[shared] = np.where(self.keys[at] == q[shared], at, -1)
        return idx


def _chunks(texts: Iterable[str]):
    """Code-point arrays of about CHUNK_CHARS characters; texts are separated by a boundary."""
    buf, size = [], 0
    for text in texts:
        buf.append(text)
        size += len(text) + 1
        if size >= CHUNK_CHARS:
            yield _codes("\n".join(buf) + "\n")
            buf, size = [], 0
    if buf:
        yield _codes("\n".join(buf) + "\n")


def count_ngrams(texts, max_n: int = 4, max_entries: int = 5_000_000, progress=None, totals=None) -> dict:
    """{n: (sorted keys, counts)} for every n-gram with n ≤ max_n, pruned to stay under max_entries. A dict
    given as `totals` gets the exact number of n-grams seen for each n (what pruning leaves a lower bound)."""
    tables = {n: None for n in range(1, max_n + 1)}
    for cp in _chunks(texts):
        for n, key, valid in _grams(cp, max_n):
            if totals is not None:
                totals[n] = totals.get(n, 0) + int(valid.sum())
            if n == 1:                                          # code points: a histogram, no sort
                counts = np.bincount(cp, minlength=1 << 16)
                counts[0] = 0
                keys = np.flatnonzero(counts).astype(np.uint64)
                counts = counts[keys.astype(np.int64)]
            elif n == 2:                                        # 32 bits: sorts twice as fast
                keys, counts = np.unique(key[valid].astype(np.uint32), return_counts=True)
                keys = keys.astype(np.uint64)
            else:
                keys, counts = np.unique(key[valid], return_counts=True)
            tables[n] = _merge(tables[n], keys, counts)
        if sum(len(t[0]) for t in tables.values() if t is not None) > max_entries:
            pooled = np.concatenate([tables[n][1] for n in range(2, max_n + 1) if tables[n] is not None])
            room = max(max_entries // 2 - len(tables[1][0]), 1)          # keep about `room` n-grams
            floor = np.partition(pooled, len(pooled) - room)[len(pooled) - room] if room < len(pooled) else 0
            strict = (pooled >= floor).sum() > max_entries - len(tables[1][0])   # ties at the floor overflow
            for n in range(2, max_n + 1):
                if tables[n] is not None:
                    keep = tables[n][1] > floor if strict else tables[n][1] >= floor
                    tables[n] = (tables[n][0][keep], tables[n][1][keep])
        if progress is not None:
            progress.update(len(cp))
    return {n: t if t is not None else EMPTY for n, t in tables.items()}


def words_of(keys: np.ndarray, n: int) -> list[str]:
    """Decode packed n-gram keys into strings."""
    chars = np.stack([(keys >> np.uint64(16 * (n - 1 - i))) & np.uint64(0xFFFF) for i in range(n)], 1)
    return chars.astype(np.uint32).view(f"<U{n}").ravel().tolist() if len(keys) else []


def pack(cp: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Keys of the substrings cp[s : s + n] (every n ≤ MAX_N), character by character."""
    keys = np.zeros(len(starts), dtype=np.uint64)
    for k in range(MAX_N):
        chars = cp[np.minimum(starts + k, starts + lengths - 1)].astype(np.uint64)
        keys = np.where(lengths > k, (keys << SHIFT) | chars, keys)
    return keys


def key_of(word: str) -> int:
    key = 0
    for c in word:
        key = (key << 16) | ord(c)
    return key


def _cohesive(tables, n, min_count, min_pmi, total):
    """(keys, counts, pmi) of the n-grams with count ≥ min_count and minimum PMI ≥ min_pmi."""
    keys, counts = tables[n]
    keep = counts >= min_count
    keys, counts = keys[keep], counts[keep]
    pmi = np.full(len(keys), np.inf)
    for k in range(1, n):
        bits = np.uint64(16 * (n - k))
        left = _lookup(tables[k], keys >> bits)
        right = _lookup(tables[n - k], keys & ((np.uint64(1) << bits) - np.uint64(1)))
        known = (left > 0) & (right > 0)
        value = np.log(counts * total / np.maximum(left * right, 1))
        pmi = np.minimum(pmi, np.where(known, value, np.inf))
    keep = pmi >= min_pmi
    return keys[keep], counts[keep], pmi[keep]


def _entropy(pairs, size) -> np.ndarray:
    """Entropy of the neighbour distribution of each candidate, from (candidate << 16 | char) pair counts."""
    keys, counts = pairs
    owner = (keys >> SHIFT).astype(np.int64)
    totals = np.bincount(owner, weights=counts, minlength=size)
    p = counts / np.maximum(totals[owner], 1)
    return -np.bincount(owner, weights=p * np.log(p), minlength=size)


def _segment_runs(cp, logp_by_len, max_n):
    """Maximum-probability segmentation of every run of word characters in `cp`, vectorised across runs:
    best[t] = max over k of best[t − k] + log p(the k characters ending at t). `logp_by_len[k - 1]` gives, for
    each end position, the log-probability of the k-gram ending there (−inf if it is not a word). Runs are
    first cut wherever no candidate word spans the seam (the best path must cut there too), so the dynamic
    programme only sees short pieces. Returns (end positions, lengths) of the segments, lone characters
    outside every candidate left out."""
    diff = np.zeros(len(cp) + 2, dtype=np.int64)               # pieces: characters chained by candidates
    for k in range(1, max_n):
        ends = np.flatnonzero(np.isfinite(logp_by_len[k]))     # a (k+1)-gram joins its k inner seams
        diff += np.bincount(ends - k + 1, minlength=len(diff)) - np.bincount(ends + 1, minlength=len(diff))
    joined = np.cumsum(diff)[:len(cp)] > 0                     # joined[t]: t − 1 and t are in one piece
    starts = np.flatnonzero(~joined)
    lengths = np.diff(np.append(starts, len(cp)))
    starts, lengths = starts[lengths >= 2], lengths[lengths >= 2]   # a lone character is a segment of 1
    ends_out, lens_out = [], []
    order = np.argsort(lengths, kind="stable")
    i = 0
    while i < len(order):                                        # buckets of similar length, ≤ 1M cells
        width = int(lengths[order[i]])
        j = i + 1
        while j < len(order) and lengths[order[j]] <= 2 * width and (j - i + 1) * 2 * width <= 1_000_000:
            j += 1
        rows = order[i:j]
        i = j
        s, ln = starts[rows], lengths[rows]
        w = int(ln.max())
        pos = s[:, None] + np.arange(w)[None]
        live = np.arange(w)[None] < ln[:, None]
        pos = np.where(live, pos, 0)
        lp = [np.where(live & (np.arange(w)[None] >= k), logp_by_len[k][pos], -np.inf) for k in range(max_n)]
        best = np.full((len(rows), w + 1), -np.inf)
        best[:, 0] = 0.0
        back = np.zeros((len(rows), w + 1), dtype=np.int8)
        for t in range(1, w + 1):
            top, length = best[:, t - 1] + lp[0][:, t - 1], np.ones(len(rows), dtype=np.int8)
            for k in range(1, min(max_n, t)):
                option = best[:, t - k - 1] + lp[k][:, t - 1]
                better = option > top
                top = np.where(better, option, top)
                length[better] = k + 1
            best[:, t], back[:, t] = top, length
        at = ln.copy()
        while True:
            active = np.flatnonzero(at > 0)
            if not len(active):
                break
            k = back[active, at[active]].astype(np.int64)
            ends_out.append(s[active] + at[active] - 1)
            lens_out.append(k)
            at[active] -= k
    if not ends_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(ends_out), np.concatenate(lens_out)


def _scan(source, tables, found, total, max_n, neighbours: bool, recount: bool, progress=None):
    """One pass over the corpus: the candidates' (left, right) neighbour-pair tables and/or the table of
    segment counts from maximum-probability segmentation over the candidates and single characters."""
    offsets = np.cumsum([0] + [len(found[n][0]) for n in range(2, max_n + 1)])
    left = right = segments = None
    char_logp = np.full(1 << 16, np.log(0.5 / total))       # characters pass 1 did not see: p = 0.5 / N
    char_logp[tables[1][0].astype(np.int64)] = np.log(tables[1][1] / total)
    word_logp = {n: np.log(found[n][1] / total) for n in range(2, max_n + 1)}
    index = {n: _KeyIndex(found[n][0]) for n in range(2, max_n + 1)}
    for cp in _chunks(source()):
        logp_by_len, pairs = [], {"left": [], "right": []}
        if recount:
            latin = (cp > 0) & (cp < 128)
            inner = np.zeros(len(cp) + 1, dtype=bool)          # inner[t]: t − 1 and t are in one Latin/digit run
            inner[1:-1] = latin[1:] & latin[:-1]
        for n, key, valid in _grams(cp, max_n):
            if n == 1:
                if recount:
                    logp_by_len.append(np.where(valid, char_logp[cp], -np.inf))
                continue
            idx = index[n].find(key)
            hit = valid & (idx >= 0)
            if recount:
                whole = hit & ~(inner[:len(key)] | inner[n:n + len(key)])   # cuts no Latin/digit run
                lp = np.full(len(cp), -np.inf)                  # indexed by the n-gram's last character
                lp[n - 1:][whole] = word_logp[n][idx[whole]]
                logp_by_len.append(lp)
            if neighbours:
                where = np.flatnonzero(hit)
                owner = (offsets[n - 2] + idx[where]).astype(np.uint64) << SHIFT
                before = np.where(where > 0, cp[np.maximum(where - 1, 0)], 0)
                after = np.where(where + n < len(cp), cp[np.minimum(where + n, len(cp) - 1)], 0)
                pairs["left"].append(owner[before > 0] | before[before > 0].astype(np.uint64))
                pairs["right"].append(owner[after > 0] | after[after > 0].astype(np.uint64))
        if neighbours:
            left = _merge(left, *np.unique(np.concatenate(pairs["left"]), return_counts=True))
            right = _merge(right, *np.unique(np.concatenate(pairs["right"]), return_counts=True))
        if recount:
            ends, lens = _segment_runs(cp, logp_by_len, max_n)
            keys = pack(cp, ends - (lens - 1), lens)
            segments = _merge(segments, *np.unique(keys[lens >= 2], return_counts=True))
        if progress is not None:
            progress.update(len(cp))
    size = int(offsets[-1])
    return _entropy(left or EMPTY, size), _entropy(right or EMPTY, size), segments or EMPTY


def discover(texts: Iterable[str] | Callable[[], Iterable[str]], max_n: int = 4, min_count: int = 5,
             min_pmi: float = 1.0, min_entropy: float = 0.0, max_entries: int = 5_000_000, progress=None,
             recount: bool = True, method: str = "ngram", min_proba: float = 1e-6) -> list[dict]:
    """Candidate words ranked by count: {"word", "count", "pmi", "left_entropy", "right_entropy"}.
    `texts` is read up to three times: give a list, or a function returning a fresh iterable (to stream from
    disk). method "ngram" is this module's; "cut" is the reference's (`cut.py`: min_pmi, min_proba and
    max_entries apply, no entropies)."""
    if method == "cut":
        from .cut import discover_cut
        return discover_cut(texts, min_proba, min_pmi, max_entries, progress)
    if method != "ngram":
        raise ValueError(f"method must be 'ngram' or 'cut', not {method!r}")
    if not 2 <= max_n <= MAX_N:
        raise ValueError(f"max_n must be between 2 and {MAX_N}, not {max_n}")
    source = texts if callable(texts) else (lambda: texts)
    tables = count_ngrams(source(), max_n, max_entries, progress)
    total = int(tables[1][1].sum()) or 1
    found = {n: _cohesive(tables, n, min_count, min_pmi, total) for n in range(2, max_n + 1)}
    entropies = {n: (np.full(len(found[n][0]), np.nan),) * 2 for n in found}
    if min_entropy:
        h_left, h_right, _ = _scan(source, tables, found, total, max_n, True, False, progress)
        at = 0
        for n in range(2, max_n + 1):
            size = len(found[n][0])
            hl, hr = h_left[at:at + size], h_right[at:at + size]
            at += size
            keep = np.minimum(hl, hr) >= min_entropy
            found[n] = tuple(a[keep] for a in found[n])
            entropies[n] = (hl[keep], hr[keep])
    if recount:                                 # segment with the words that passed every test
        segments = _scan(source, tables, found, total, max_n, False, True, progress)[2]
    words = []
    for n in range(2, max_n + 1):
        keys, counts, pmi = found[n]
        if recount:
            counts = _lookup(segments, keys)
        for w, c, p, hl, hr in zip(words_of(keys, n), counts.tolist(), pmi.tolist(), *(e.tolist() for e in
                                                                                       entropies[n])):
            if c >= min_count:
                words.append({"word": w, "count": c, "pmi": p, "left_entropy": hl, "right_entropy": hr})
    words.sort(key=lambda r: (-r["count"], r["word"]))
    return words


def write_tsv(words, path):
    """`word<TAB>count<TAB>pmi<TAB>left_entropy<TAB>right_entropy`: readable as a zhner lexicon (count = z(w))."""
    with atomic_text(path) as f:
        f.writelines(f"{r['word']}\t{r['count']}\t{r['pmi']:.4f}\t{r['left_entropy']:.4f}\t{r['right_entropy']:.4f}\n"
                     for r in words)
