"""Score the bundled model on MSRA test and time its prediction; appends to benchmarks/results/bundled.jsonl.

    python benchmarks/bundled.py
"""
import json
import time
from pathlib import Path

import torch

import zhner

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def main():
    test = zhner.read_corpus(DATA / "msra/msra_test_bio").examples
    texts = [ex.text for ex in test]
    row = {"threads": torch.get_num_threads()}
    model = zhner.load()
    model.predict(texts[:64])
    start = time.perf_counter()
    pred = model.predict(texts, batch_size=64)
    row["predict_chars_per_s"] = sum(map(len, texts)) / (time.perf_counter() - start)
    report = zhner.evaluate(test, pred)
    row.update({"precision": report.micro.precision, "recall": report.micro.recall, "f1": report.micro.f1,
                "per_type": {k: v.f1 for k, v in report.per_type.items()},
                "finished": time.strftime("%Y-%m-%d %H:%M:%S")})
    out = ROOT / "benchmarks" / "results" / "bundled.jsonl"
    with open(out, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
