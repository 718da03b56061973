"""Issue-6 benchmark: zhner mine discover vs nlp-zero's Word_Finder (the reference's library).

Quality: precision@100/@500 of words ranked by count against the labelled entity strings (length ≥ 2) of the
e-commerce titles. Speed and memory: wall time and peak RSS, each system in its own process, on the reviews
corpus, on a file of 20 copies of it (both systems stream it from disk), and (zhner alone) on a file of
≥ 1 GB made of every text in ../shared/data repeated, under an n-gram budget (`--max-entries`); overlap of
each zhner top-1000 list with nlp-zero's. zhner runs both methods: "zhner" (n-grams by minimum PMI,
min_pmi = 0.5, min_count = max(3, 1e-6 · characters), n ≤ 4) and "zhner-cut" (the reference's method at
nlp-zero's thresholds: min_proba = 1e-6, min_pmi = 0.5). Appends to benchmarks/results/mining.jsonl.

    python benchmarks/mining.py [--scale 20] [--gigabyte] [--max-entries 2000000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rss import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "mining.jsonl"
SYSTEMS = ("nlp-zero", "zhner", "zhner-cut")
CORPORA = {"titles": "ecommerce_wavewangyue", "reviews": "corpus_online_shopping_reviews/online_shopping_10_cats.csv"}
EVERY_TEXT = ["corpus_online_shopping_reviews/online_shopping_10_cats.csv::review", "corpus_thucnews_titles/dev.txt::0",
              "corpus_thucnews_titles/test.txt::0", "ecommerce_wavewangyue/train", "ecommerce_wavewangyue/test",
              "cluener2020/train.json", "cmeee/split_train.json", "cmeee/CMeEE_test.json", "msra/msra_train_bio"]


def texts(name):
    from zhner import read_corpus
    from zhner.corpora import read_texts
    if name == "titles":
        folder = DATA / CORPORA["titles"]
        return [ex.text for split in ("train", "test") for ex in read_corpus(folder / split)]
    return read_texts(DATA / CORPORA["reviews"], "review")


class Lines:
    """A text file as a re-iterable stream of lines (both systems read big corpora this way)."""

    def __init__(self, path):
        self.path = path

    def __iter__(self):
        with open(self.path, encoding="utf-8") as f:
            yield from (line.rstrip("\n") for line in f)


def run_one(system, corpus, max_entries):
    """In a child process: rank words, return them with time and peak RSS. `corpus` is a name or a file."""
    data = Lines(corpus) if Path(corpus).is_file() else texts(corpus)
    chars = sum(len(t) for t in data)
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
        source = (lambda: iter(data)) if isinstance(data, Lines) else data
        method = "cut" if system == "zhner-cut" else "ngram"
        words = [r["word"] for r in discover(source, max_n=4, min_count=max(3, int(1e-6 * chars)), min_pmi=0.5,
                                             max_entries=max_entries, method=method, min_proba=1e-6)]
    seconds = time.perf_counter() - start
    return {"system": system, "corpus": Path(corpus).name if Path(corpus).is_file() else corpus, "seconds": seconds,
            "chars": chars, "peak_rss_mb": peak_rss_mb(),
            "words": len(words), "max_entries": max_entries if system != "nlp-zero" else None, "top": words[:1000]}


def child(system, corpus, max_entries):
    out = subprocess.run([sys.executable, __file__, "--child", system, corpus, "--max-entries", str(max_entries)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def record(rows, gold=None):
    with open(RESULTS, "a", encoding="utf-8") as f:
        for r in rows:
            reference = [o for o in rows if o["system"] == "nlp-zero" and o["corpus"] == r["corpus"]]
            row = {k: v for k, v in r.items() if k != "top"}
            if reference and r["system"] != "nlp-zero":
                row["overlap_top1000"] = len(set(r["top"]) & set(reference[0]["top"])) / 1000
            if gold is not None:
                row.update({f"precision_at_{k}": sum(w in gold for w in r["top"][:k]) / k for k in (100, 500)})
            row["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(json.dumps(row, ensure_ascii=False), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--child", nargs=2, metavar=("SYSTEM", "CORPUS"), help=argparse.SUPPRESS)
    p.add_argument("--scale", type=int, default=0, help="also run both systems on N copies of the reviews")
    p.add_argument("--gigabyte", action="store_true", help="also run zhner on ≥ 1 GB of text")
    p.add_argument("--skip-base", action="store_true", help="skip the titles and reviews runs")
    p.add_argument("--max-entries", type=int, default=5_000_000, help="zhner's n-gram budget")
    args = p.parse_args()
    if args.child:
        print(json.dumps(run_one(*args.child, args.max_entries), ensure_ascii=False))
        return
    from zhner import read_corpus
    from zhner.corpora import iter_texts
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not args.skip_base:
        folder = DATA / CORPORA["titles"]
        gold = {ex.mention(s) for split in ("train", "test") for ex in read_corpus(folder / split) for s in ex.spans
                if s.end - s.start >= 2}
        record([child(s, "titles", args.max_entries) for s in SYSTEMS], gold)
        record([child(s, "reviews", args.max_entries) for s in SYSTEMS])
    with tempfile.TemporaryDirectory() as tmp:
        if args.scale:
            big = Path(tmp) / f"reviews_x{args.scale}.txt"
            block = "".join(t.replace("\n", " ") + "\n" for t in texts("reviews"))
            with open(big, "w", encoding="utf-8") as f:
                for _ in range(args.scale):
                    f.write(block)
            del block
            record([child(s, str(big), args.max_entries) for s in SYSTEMS])
            big.unlink()
        if args.gigabyte:
            big = Path(tmp) / "every_text_1gb.txt"
            block = "".join(t.replace("\n", " ") + "\n" for spec in EVERY_TEXT for t in iter_texts(DATA / spec))
            copies = -(-(1 << 30) // len(block.encode("utf-8")))
            with open(big, "w", encoding="utf-8") as f:
                for _ in range(copies):
                    f.write(block)
            del block
            record([child(s, str(big), args.max_entries) for s in SYSTEMS[1:]])


if __name__ == "__main__":
    main()
