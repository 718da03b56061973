"""Issue-6 benchmark: zhner mine discover vs nlp-zero's Word_Finder (the reference's library).
Quality: precision@100/@500 of words ranked by count against the labelled entity strings (length ≥ 2) of the
e-commerce titles. Speed and memory: wall time and peak RSS on the reviews corpus, each system in its own
process; overlap of the two top-1000 lists. Appends to benchmarks/results/mining.jsonl.

    python benchmarks/mining.py
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "mining.jsonl"
CORPORA = {"titles": "ecommerce_wavewangyue", "reviews": "corpus_online_shopping_reviews/online_shopping_10_cats.csv"}


def texts(name):
    from zhner import read_corpus
    from zhner.corpora import read_texts
    if name == "titles":
        folder = DATA / CORPORA["titles"]
        return [ex.text for split in ("train", "test") for ex in read_corpus(folder / split)]
    return read_texts(DATA / CORPORA["reviews"], "review")


def run_one(system, corpus):
    """In a child process: rank words, return them with time and peak RSS."""
    data = texts(corpus)
    start = time.perf_counter()
    if system == "nlp-zero":
        import collections
        import collections.abc
        collections.Iterable = collections.abc.Iterable          # nlp-zero predates Python 3.10
        from nlp_zero import Word_Finder
        finder = Word_Finder(min_proba=1e-6, min_pmi=0.5)
        finder.train(data)
        finder.find(data)
        words = [w for w, _ in sorted(finder.words.items(), key=lambda x: (-x[1], x[0])) if len(w) >= 2]
    else:
        from zhner.mining.discover import discover
        words = [r["word"] for r in discover(data, max_n=4, min_count=3, min_pmi=0.5)]
    seconds = time.perf_counter() - start
    return {"system": system, "corpus": corpus, "seconds": seconds, "chars": sum(map(len, data)),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "words": len(words),
            "top": words[:1000]}


def main():
    if len(sys.argv) == 3:
        print(json.dumps(run_one(sys.argv[1], sys.argv[2]), ensure_ascii=False))
        return
    from zhner import read_corpus
    folder = DATA / CORPORA["titles"]
    gold = {ex.mention(s) for split in ("train", "test") for ex in read_corpus(folder / split) for s in ex.spans
            if s.end - s.start >= 2}
    rows = {}
    for corpus in CORPORA:
        for system in ("nlp-zero", "zhner"):
            out = subprocess.run([sys.executable, __file__, system, corpus], capture_output=True, text=True, check=True)
            rows[system, corpus] = json.loads(out.stdout.strip().splitlines()[-1])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with open(RESULTS, "a", encoding="utf-8") as f:
        for (system, corpus), r in rows.items():
            other = rows["zhner" if system == "nlp-zero" else "nlp-zero", corpus]
            row = {k: v for k, v in r.items() if k != "top"}
            row["overlap_top1000"] = len(set(r["top"]) & set(other["top"])) / 1000
            if corpus == "titles":
                row.update({f"precision_at_{k}": sum(w in gold for w in r["top"][:k]) / k for k in (100, 500)})
            row["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
