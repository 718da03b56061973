"""What the span-edge rules of `spans.trim` change: F1 on labelled sets and the texts whose spans change, with
neither rule, with `whole_runs` (edges widened to whole Latin words and numbers; forced on whatever the model's
training data said, `spans.keeps_runs`) and with emoji cut from the edges (`spans.EMOJI`); appends to
benchmarks/results/edges.jsonl. Blanks are cut in every variant.

    python benchmarks/edges.py [--threads 1] [--gold MODEL FILE ...] [--texts MODEL FILE ...]

MODEL `bundled` is the bundled model. Default: the bundled model on MSRA test, the THUCNews titles and the
online-shopping reviews.
"""
import argparse
import json
import time
from pathlib import Path

import regex
import torch

import zhner
from zhner import spans
from zhner.corpora import read_texts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
NOTHING = regex.compile(r"(?!)")
VARIANTS = {"neither": (False, NOTHING), "whole_runs": (True, NOTHING), "emoji": (False, spans.EMOJI)}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gold", nargs=2, action="append", metavar=("MODEL", "FILE"), help="a labelled set")
    p.add_argument("--texts", nargs=2, action="append", metavar=("MODEL", "FILE"), help="unlabelled texts")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    jobs = [(m, f, True) for m, f in args.gold or []] + [(m, f, False) for m, f in args.texts or []]
    jobs = jobs or [("bundled", str(DATA / "msra/msra_test_bio"), True),
                    *(("bundled", str(DATA / f"corpus_thucnews_titles/{s}.txt"), False) for s in ("dev", "test")),
                    ("bundled", str(DATA / "corpus_online_shopping_reviews/online_shopping_10_cats.csv"), False)]
    emoji = spans.EMOJI
    for name, path, labelled in jobs:
        model = zhner.load(None if name == "bundled" else name)
        gold = zhner.read_corpus(path).examples if labelled else None
        texts = [ex.text for ex in gold] if labelled else read_texts(path)
        row = {"model": name, "data": str(Path(path).resolve().relative_to(DATA)), "texts": len(texts),
               "trained_whole_runs": model.whole_runs}
        pred = {}
        for variant, (whole_runs, pattern) in VARIANTS.items():
            model.whole_runs, spans.EMOJI = whole_runs, pattern
            pred[variant] = model.predict(texts, batch_size=64)
            row[variant] = {"spans": sum(map(len, pred[variant])),
                            "texts_changed": sum(a != b for a, b in zip(pred["neither"], pred[variant]))}
            if labelled:
                row[variant]["f1"] = zhner.evaluate(gold, pred[variant]).micro.f1
        spans.EMOJI = emoji
        row["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(ROOT / "benchmarks" / "results" / "edges.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
