"""Corpus comparison (METHODS.md §4, step 2): which words are characteristic of the domain corpus.

The background frequencies are rescaled to the domain total; over the union of both vocabularies, with
t = f_domain + f_background, a = Σ f_domain / Σ t and m = mean(t):
    score(w) = (f_domain(w) + m · a) / (t(w) + m),
the smoothed share of w's occurrences that fall in the domain (the reference's formula). Single characters
are dropped; the ranking is by score, then by domain frequency.
"""
from __future__ import annotations


def compare(domain: dict[str, float], background: dict[str, float]) -> list[tuple[str, float, float, float]]:
    """[(word, score, f_domain, f_background rescaled)] ranked best first."""
    d_total, b_total = sum(domain.values()), sum(background.values())
    scale = d_total / b_total if b_total else 0.0
    words = set(domain) | set(background)
    totals = {w: domain.get(w, 0.0) + background.get(w, 0.0) * scale for w in words}
    mean = sum(totals.values()) / max(1, len(totals))
    share = d_total / max(1e-12, sum(totals.values()))
    rows = [(w, (domain.get(w, 0.0) + mean * share) / (totals[w] + mean), domain.get(w, 0.0),
             background.get(w, 0.0) * scale) for w in words if len(w) >= 2]
    rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
    return rows


def read_counts(path) -> dict[str, float]:
    """word<TAB>count (first two columns) from a `zhner mine discover` TSV or any word-count file."""
    counts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").replace("\t", " ").split()
            if len(parts) >= 2:
                try:
                    counts[parts[0]] = float(parts[1])
                except ValueError:
                    continue
    return counts
