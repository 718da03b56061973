"""Score the bundled model on MSRA test and time its prediction; appends to benchmarks/results/bundled.jsonl.
Other model directories given are scored and timed in the same run, one after another, for a side-by-side speed.

    python benchmarks/bundled.py [--threads 1] [MODEL_DIR ...]
"""
import argparse
import json
import time
from pathlib import Path

import torch

import zhner

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="*", help="model directories to score beside the bundled model")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: all cores)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    test = zhner.read_corpus(DATA / "msra/msra_test_bio").examples
    texts = [ex.text for ex in test]
    run = time.strftime("%Y-%m-%d %H:%M:%S")
    for name in ["bundled", *args.models]:
        model = zhner.load(None if name == "bundled" else name)
        model.predict(texts[:64])
        start = time.perf_counter()
        pred = model.predict(texts, batch_size=64)
        row = {"model": name, "run": run, "threads": torch.get_num_threads(),
               "parameters": sum(p.numel() for p in model.parameters()),
               "predict_chars_per_s": sum(map(len, texts)) / (time.perf_counter() - start)}
        report = zhner.evaluate(test, pred)
        row.update({"precision": report.micro.precision, "recall": report.micro.recall, "f1": report.micro.f1,
                    "per_type": {k: v.f1 for k, v in report.per_type.items()},
                    "finished": time.strftime("%Y-%m-%d %H:%M:%S")})
        with open(ROOT / "benchmarks" / "results" / "bundled.jsonl", "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row))


if __name__ == "__main__":
    main()
