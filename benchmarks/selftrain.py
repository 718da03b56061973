"""Issue-5 benchmark: self-training with agreement (`zhner.selftrain`), scored on held-out gold.

- `cluener-10`, `cluener-30`: 10% / 30% of CLUENER train labelled (seeded shuffle), the rest of train as
  unlabelled text; every round's model scored on CLUENER dev (round 0 = supervised only, same labelled data).
  `cluener-10-supervised`, `cluener-30-supervised`: the same labelled data alone with a long epoch budget
  (round 0 has the rounds' budget, so it sees far fewer updates than rounds trained on pseudo-labels too).
- `cmeee`: the fixed split's train labelled, CMeEE_test.json (3000 records, no labels) unlabelled; scored on
  the split's test file.
- `closest` / `random`: from the CLUENER-10% unlabelled pool, the N texts closest to the labelled set (SIF
  sentence vectors over word2vec word vectors of train text) against N random ones, one round each.
- `char` / `word`: CLUENER fully labelled, character level against word level (jieba words), F1 and speed.

Early stopping and the choice of the best round use a 10% slice of the labelled data, never the scored set.
Appends JSON lines to benchmarks/results/selftrain.jsonl; finished experiments are skipped on a rerun.

    python benchmarks/selftrain.py --experiments cluener-10,cluener-10-supervised,cluener-30,cmeee,closest,random,char,word
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "selftrain.jsonl"
RUNS = ROOT / "runs" / "bench" / "selftrain"


def cluener_split(fraction: float, seed: int):
    from zhner import read_corpus
    examples = read_corpus(DATA / "cluener2020/train.json").examples
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    cut = int(fraction * len(examples))
    return [examples[i] for i in order[:cut]], [examples[i].text for i in order[cut:]]


def config(train_file, out, args, **extra):
    from zhner.config import load_config
    return load_config(ROOT / "configs" / "bench_base.toml", {
        "data.train": str(train_file), "data.dev_fraction": "0.1", "train.epochs": str(args.epochs),
        "train.patience": "3", "train.seed": str(args.seed), "train.output": str(out), **extra})


def score(model, gold) -> dict:
    """Micro P/R/F1 of a loaded model on gold examples."""
    from zhner import evaluate
    report = evaluate(gold, model.predict([ex.text for ex in gold], batch_size=64)).micro
    return {"precision": report.precision, "recall": report.recall, "f1": report.f1}


def score_rounds(out: Path, gold) -> list[dict]:
    from zhner.model import load
    state = json.loads((out / "state.json").read_text())
    return [{**r, **score(load(out / f"round{r['round']}" / "model"), gold)} for r in state["rounds"]]


def run(name, args) -> dict:
    from zhner import read_corpus, write_corpus
    from zhner.model import load
    from zhner.selftrain import self_train
    from zhner.training import train
    out = RUNS / name
    out.mkdir(parents=True, exist_ok=True)
    start = time.time()
    if name.endswith("-supervised"):            # the same labelled data, trained as long as it keeps improving
        labelled, _ = cluener_split(int(name.split("-")[1]) / 100, args.seed)
        write_corpus(labelled, out / "labelled.jsonl")
        result = train(config(out / "labelled.jsonl", out, args, **{"train.epochs": str(args.long_epochs),
                                                                     "train.patience": "5"}))
        gold = read_corpus(DATA / "cluener2020/dev.json").examples
        return {**score(load(result.model_dir), gold), "best_epoch": result.best_epoch,
                "long_epochs": args.long_epochs, "seconds": time.time() - start}
    if name.startswith("cluener-") or name in ("closest", "random"):
        fraction = 0.1 if name in ("closest", "random") else int(name.split("-")[1]) / 100
        labelled, unlabelled = cluener_split(fraction, args.seed)
        write_corpus(labelled, out / "labelled.jsonl")
        gold = read_corpus(DATA / "cluener2020/dev.json").examples
        rounds = args.rounds
        if name in ("closest", "random"):
            unlabelled, rounds = pick(name, labelled, unlabelled, args), 1
        self_train(config(out / "labelled.jsonl", out, args), unlabelled, rounds)
        return {"rounds": score_rounds(out, gold), "labelled": len(labelled), "unlabelled": len(unlabelled),
                "seconds": time.time() - start}
    if name == "cmeee":
        unlabelled = [ex.text for ex in read_corpus(DATA / "cmeee/CMeEE_test.json").examples]
        gold = read_corpus(DATA / "cmeee/split_test.json").examples
        self_train(config(DATA / "cmeee/split_train.json", out, args), unlabelled, args.rounds)
        return {"rounds": score_rounds(out, gold), "unlabelled": len(unlabelled), "seconds": time.time() - start}
    level = {} if name == "char" else {"model.level": "word", "model.bigram_dim": "0"}
    result = train(config(DATA / "cluener2020/train.json", out, args, **level))
    gold = read_corpus(DATA / "cluener2020/dev.json").examples
    model = load(result.model_dir)
    tick = time.time()
    scores = score(model, gold)
    return {**scores, "seconds_per_epoch": result.seconds_per_epoch,
            "predict_chars_per_s": sum(len(ex.text) for ex in gold) / (time.time() - tick),
            "seconds": time.time() - start}


def pick(name, labelled, pool, args) -> list[str]:
    """N unlabelled texts: the closest to the labelled set by SIF sentence vectors, or a random sample."""
    if name == "random":
        return random.Random(args.seed).sample(pool, args.pick)
    from zhner.features.sentences import closest, sentence_vectors
    from zhner.features.vectors import load_vectors
    vectors = RUNS / "word_vectors.txt"
    if not vectors.exists():
        subprocess.run([sys.executable, "-m", "zhner", "vectors", "train", str(DATA / "cluener2020/train.json"),
                        "--kind", "word", "--dim", "50", "-o", str(vectors)], check=True)
    kv = load_vectors(vectors)
    texts = [ex.text for ex in labelled]
    vecs = sentence_vectors(texts + pool, kv, "sif")
    return [pool[i] for i in closest(vecs[len(texts):], vecs[:len(texts)], args.pick)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--experiments", default="cluener-10,cluener-30,cmeee,closest,random,char,word")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--long-epochs", type=int, default=40, help="epoch budget of the `-supervised` baselines")
    p.add_argument("--pick", type=int, default=3000, help="texts chosen by `closest` / `random`")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--results", type=Path, default=RESULTS)
    args = p.parse_args()
    args.results.parent.mkdir(parents=True, exist_ok=True)
    done = {json.loads(line)["experiment"] for line in args.results.read_text().splitlines()} \
        if args.results.exists() else set()
    for name in args.experiments.split(","):
        if name in done:
            print(f"skip {name}: already in {args.results}")
            continue
        row = {"experiment": name, **run(name, args), "epochs": args.epochs, "seed": args.seed,
               "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
