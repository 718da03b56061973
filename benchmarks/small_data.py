"""The recipes on small data: their epoch budget against `train.min_steps` (a floor on the number of batches).
`configs/cluener.toml` and `configs/msra.toml` train on slices of CLUENER train (the first N texts of a shuffle
with seed 0, scored on CLUENER dev) and on MSRA train's first N records (`--data.limit N`, scored on MSRA test),
with the vectors of `configs/cluener.toml`'s header for every run (the text of all CLUENER and the unlabelled
corpora; an MSRA slice run scores how the budget carries, not MSRA's best). One run per row, one thread each:

    zhner train --config configs/R.toml DATA VECTORS OVERRIDES --train.threads 1 --train.output runs/bench/small/NAME
    zhner evaluate --threads 1 --json --model runs/bench/small/NAME/model --gold TEST

A run whose model exists is scored again, not retrained. Appends to benchmarks/results/small_data.jsonl.

    python benchmarks/small_data.py [--only NAME,...] [--jobs 2]
"""
import argparse
import json
import os
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from report import commit

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "runs" / "bench" / "small"
VECTORS = [f"--vectors={k}=runs/vectors/cluener/{k}.txt" for k in ("char", "bigram", "word")]
# name: (recipe, data (cluener:N or msra:N), overrides); min_steps 0 is the budget before session 32; runs
# of commit 572cad3 (min_steps without patience growing in step) are in the results file with that commit
RUNS = {
    "cluener1350-e6": ("cluener", "cluener:1350", {"train.min_steps": 0}),
    "cluener1350-e46": ("cluener", "cluener:1350", {"train.min_steps": 0, "train.epochs": 46}),
    "cluener1350-e46-p0": ("cluener", "cluener:1350", {"train.min_steps": 0, "train.epochs": 46,
                                                        "train.patience": 0}),
    "cluener1350-s1900": ("cluener", "cluener:1350", {"train.min_steps": 1900}),
    "cluener1350-s4000-p0": ("cluener", "cluener:1350", {"train.min_steps": 4000, "train.patience": 0}),
    "cluener3800-e6": ("cluener", "cluener:3800", {"train.min_steps": 0}),
    "cluener3800-s1900": ("cluener", "cluener:3800", {"train.min_steps": 1900}),
    "msra-recipe-cluener1350-e8": ("msra", "cluener:1350", {"train.min_steps": 0}),
    "msra-recipe-cluener1350-s1900": ("msra", "cluener:1350", {"train.min_steps": 1900}),
    "msra-recipe-cluener1350-s2000": ("msra", "cluener:1350", {"train.min_steps": 2000}),
    "msra-recipe-cluener1350-s2000-p0": ("msra", "cluener:1350", {"train.min_steps": 2000, "train.patience": 0}),
    "msra1350-e8": ("msra", "msra:1350", {"train.min_steps": 0}),
    "msra1350-s1900": ("msra", "msra:1350", {"train.min_steps": 1900}),
    "msra1350-s1900-p0": ("msra", "msra:1350", {"train.min_steps": 1900, "train.patience": 0}),
    "cluener1350-recipe": ("cluener", "cluener:1350", {}),     # the recipes as they are (min_steps 1900)
    "msra-recipe-cluener1350-recipe": ("msra", "cluener:1350", {}),
    "msra1350-recipe": ("msra", "msra:1350", {}),
}


def data_args(data: str) -> tuple[list[str], Path]:
    """The training-data arguments of a slice, and its test file."""
    corpus, n = data.split(":")
    if corpus == "msra":
        return ["--data.train", str(DATA / "msra/msra_train_bio"), "--data.limit", n], DATA / "msra/msra_test_bio"
    path = OUT / f"cluener_{n}.json"
    if not path.exists():
        lines = (DATA / "cluener2020/train.json").read_text(encoding="utf-8").splitlines()
        random.Random(0).shuffle(lines)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines[:int(n)]) + "\n", encoding="utf-8")
    return ["--data.train", str(path)], DATA / "cluener2020/dev.json"


def run(name: str, train_args: list[str], test: Path) -> dict:
    recipe, data, overrides = RUNS[name]
    out = OUT / name
    command = ["zhner", "train", "--config", f"configs/{recipe}.toml", *train_args, *VECTORS,
               *(f"--{k}={v}" for k, v in overrides.items()), "--train.threads", "1", "--train.output", str(out)]
    if not (out / "model").exists():
        subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    score = json.loads(subprocess.run(["zhner", "evaluate", "--threads", "1", "--json", "--model", str(out / "model"),
                                       "--gold", str(test)], cwd=ROOT, check=True, capture_output=True,
                                      text=True).stdout)["micro"]
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    best = max(log, key=lambda r: r["dev_f1"])
    return {"name": name, "recipe": recipe, "data": data, "test": test.name, "overrides": overrides,
            "epochs_run": len(log), "best_epoch": best["epoch"], "best_dev_f1": best["dev_f1"],
            "seconds_per_epoch": sum(r["seconds"] for r in log) / len(log),
            "precision": score["precision"], "recall": score["recall"], "f1": score["f1"],
            "command": " ".join(command), "time": time.strftime("%Y-%m-%d %H:%M"), "commit": commit()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(RUNS), help="comma-separated run names")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (one thread each)")
    p.add_argument("--results", default=str(ROOT / "benchmarks/results/small_data.jsonl"))
    args = p.parse_args()
    names = args.only.split(",")
    train_args, tests = zip(*(data_args(RUNS[name][1]) for name in names))    # slices written before any run
    with ThreadPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run, names, train_args, tests))
    with open(args.results, "a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            print(f"{row['name']}: F1 {100 * row['f1']:.2f} ({row['epochs_run']} epochs, best {row['best_epoch']})")


if __name__ == "__main__":
    main()
