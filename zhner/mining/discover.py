"""New-word discovery (METHODS.md §4, step 1), streaming over a corpus.

Texts are cut into runs of CJK characters, letters and digits; every n-gram of a run up to `max_n + 1`
characters is counted (the extra length gives the boundary neighbours). A candidate word w (2 ≤ |w| ≤ max_n)
is kept when count(w) ≥ min_count and its cohesion, the minimum over split points w = ab of
PMI = log(count(w) · N / (count(a) · count(b))), N the number of characters, is ≥ min_pmi; optionally its
left and right boundary entropies, H = −Σ p(c) log p(c) over the characters next to it, must be ≥ min_entropy.
Memory is bounded: when the table holds more than `max_entries` n-grams, those seen fewer than k times are
dropped and k doubles (surviving counts are then lower bounds, like lossy counting).
With `recount` (the default), the corpus is then segmented by maximum probability over the candidates and
single characters (p(w) = count(w) / N) and each candidate's count becomes the number of times it is a
segment: fragments of longer words (京大 inside 北京大学) lose the counts their longer word takes.
"""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")


def count_ngrams(texts, max_n: int = 4, max_entries: int = 5_000_000, progress=None):
    """Counter of every n-gram (n ≤ max_n + 1) in the runs of the texts, pruned to stay under max_entries."""
    counts: Counter = Counter()
    floor = 1
    for text in texts:
        for run in RUNS.findall(text):
            for n in range(1, min(max_n + 1, len(run)) + 1):
                counts.update([run[i:i + n] for i in range(len(run) - n + 1)])
        if len(counts) > max_entries:
            while len(counts) > max_entries // 2:
                floor *= 2
                counts = Counter({k: v for k, v in counts.items() if v >= floor or len(k) == 1})
        if progress is not None:
            progress.update(len(text))
    return counts


def entropy(neighbours: Counter) -> float:
    total = sum(neighbours.values())
    return -sum(n / total * math.log(n / total) for n in neighbours.values()) if total else 0.0


def segment(run: str, logp: dict, max_n: int, unknown: float) -> list[str]:
    """Maximum-probability segmentation of a run: best[i] = max over words w ending at i of best[i−|w|] + log p(w)."""
    best, back = [0.0] + [-math.inf] * len(run), [0] * (len(run) + 1)
    for i in range(1, len(run) + 1):
        for k in range(1, min(max_n, i) + 1):
            lp = logp.get(run[i - k:i], unknown if k == 1 else None)
            if lp is not None and best[i - k] + lp > best[i]:
                best[i], back[i] = best[i - k] + lp, k
    words, i = [], len(run)
    while i:
        words.append(run[i - back[i]:i])
        i -= back[i]
    return words[::-1]


def discover(texts, max_n: int = 4, min_count: int = 5, min_pmi: float = 1.0, min_entropy: float = 0.0,
             max_entries: int = 5_000_000, progress=None, recount: bool = True) -> list[dict]:
    """Candidate words ranked by count: {"word", "count", "pmi", "left_entropy", "right_entropy"}."""
    texts = texts if isinstance(texts, list) or not recount else list(texts)
    counts = count_ngrams(texts, max_n, max_entries, progress)
    total = sum(v for k, v in counts.items() if len(k) == 1) or 1
    left, right = defaultdict(Counter), defaultdict(Counter)
    for gram, n in counts.items():
        if len(gram) >= 3 and counts.get(gram[1:], 0) >= min_count:
            left[gram[1:]][gram[0]] += n
        if len(gram) >= 3 and counts.get(gram[:-1], 0) >= min_count:
            right[gram[:-1]][gram[-1]] += n
    words = []
    for w, n in counts.items():
        if not 2 <= len(w) <= max_n or n < min_count:
            continue
        pmi = min(math.log(n * total / (counts[w[:k]] * counts[w[k:]])) if counts.get(w[:k]) and counts.get(w[k:])
                  else math.inf for k in range(1, len(w)))
        if pmi < min_pmi:
            continue
        le, re_ = entropy(left[w]), entropy(right[w])
        if min_entropy and min(le, re_) < min_entropy:
            continue
        words.append({"word": w, "count": n, "pmi": pmi, "left_entropy": le, "right_entropy": re_})
    if recount:
        logp = {k: math.log(v / total) for k, v in counts.items() if len(k) == 1}
        logp.update((r["word"], math.log(r["count"] / total)) for r in words)
        segments = Counter(w for text in texts for run in RUNS.findall(text)
                           for w in segment(run, logp, max_n, math.log(0.5 / total)))
        for r in words:
            r["count"] = segments.get(r["word"], 0)
        words = [r for r in words if r["count"] >= min_count]
    words.sort(key=lambda r: (-r["count"], r["word"]))
    return words


def write_tsv(words, path):
    """`word<TAB>count<TAB>pmi<TAB>left_entropy<TAB>right_entropy`: readable as a zhner lexicon (count = z(w))."""
    with open(path, "w", encoding="utf-8") as f:
        for r in words:
            f.write(f"{r['word']}\t{r['count']}\t{r['pmi']:.4f}\t{r['left_entropy']:.4f}\t{r['right_entropy']:.4f}\n")
