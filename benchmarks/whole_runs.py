"""What `whole_runs` (spans widened to whole Latin words and numbers, `spans.trim`) changes: F1 without and with
it on labelled sets, and the texts whose spans change on any; appends to benchmarks/results/whole_runs.jsonl.
The flag is set for the run whatever the model's training data said (`spans.keeps_runs`).

    python benchmarks/whole_runs.py [--threads 1] [--gold MODEL FILE ...] [--texts MODEL FILE ...]

MODEL `bundled` is the bundled model. Default: the bundled model on MSRA test and the THUCNews titles.
"""
import argparse
import json
import time
from pathlib import Path

import torch

import zhner
from zhner.corpora import read_texts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


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
                    *(("bundled", str(DATA / f"corpus_thucnews_titles/{s}.txt"), False) for s in ("dev", "test"))]
    for name, path, labelled in jobs:
        model = zhner.load(None if name == "bundled" else name)
        gold = zhner.read_corpus(path).examples if labelled else None
        texts = [ex.text for ex in gold] if labelled else read_texts(path)
        row = {"model": name, "data": str(Path(path).resolve().relative_to(DATA)), "texts": len(texts),
               "trained_whole_runs": model.whole_runs}
        pred = {}
        for flag in (False, True):
            model.whole_runs = flag
            pred[flag] = model.predict(texts, batch_size=64)
            row[f"spans_{'with' if flag else 'without'}"] = sum(map(len, pred[flag]))
            if labelled:
                row[f"f1_{'with' if flag else 'without'}"] = zhner.evaluate(gold, pred[flag]).micro.f1
        row["texts_changed"] = sum(a != b for a, b in zip(pred[False], pred[True]))
        row["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        with open(ROOT / "benchmarks" / "results" / "whole_runs.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
