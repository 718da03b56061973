"""Issue-4 benchmark: the cost of building batches (featurizer + head targets) with every feature on, against
an epoch of training. Builds the featurizer of `configs/<dataset>.toml` without pretrained vectors, then
times three passes over the training pieces in batches of 32 (the first pass fills the per-text memo of
lexicon features, later passes read it) and one training epoch with the same batches. Appends to
benchmarks/results/features.jsonl.

    python benchmarks/features.py --dataset cluener
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "features.jsonl"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", default="cluener")
    args = p.parse_args()
    import torch
    from zhner.config import load_config
    from zhner.features.featurizer import Featurizer
    from zhner.model import NERModel
    from zhner.training import build_optimizer, prepare
    cfg = load_config(ROOT / "configs" / f"{args.dataset}.toml",
                      {"model.char_vectors": "", "model.bigram_vectors": "", "model.word_vectors": ""})
    cfg.data.train = str(ROOT / cfg.data.train)
    torch.set_num_threads(1)
    pieces, _ = prepare(cfg)
    start = time.perf_counter()
    featurizer = Featurizer.build(cfg.model, (ex.text for ex in pieces))
    build = time.perf_counter() - start
    model = NERModel(cfg.model, sorted({s.label for ex in pieces for s in ex.spans}), featurizer)
    batches = [pieces[i:i + 32] for i in range(0, len(pieces), 32)]
    passes = []
    for _ in range(3):
        start = time.perf_counter()
        for b in batches:
            model.make_batch([ex.text for ex in b], [ex.spans for ex in b])
        passes.append(time.perf_counter() - start)
    optimizer = build_optimizer(model, cfg)
    start = time.perf_counter()
    for b in batches:
        loss = model(model.make_batch([ex.text for ex in b], [ex.spans for ex in b]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    epoch = time.perf_counter() - start
    row = {"dataset": args.dataset, "pieces": len(pieces), "build_seconds": build, "pass_seconds": passes,
           "train_epoch_seconds": epoch, "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    with open(RESULTS, "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\n")
    print(json.dumps(row))


if __name__ == "__main__":
    main()
