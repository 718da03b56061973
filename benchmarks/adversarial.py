"""Issue-4 benchmark: the MSRA recipe with and without adversarial training (FGM, `train.adversarial = ε`),
paired by seed.

Each (seed, ε) trains `configs/msra.toml` with `--train.epochs E --train.seed S --train.threads 1
--train.adversarial ε` into runs/bench/adversarial/msra-eE-sS[-fgmε] (a run with a saved model and a `DONE`
file is reused), then scores its model on MSRA test with one thread: P / R / F1, per type, and F1 without the
longest test record (a 2,427-character list of names, where most of the recipe's seed spread lies). One JSON
line per run goes to benchmarks/results/adversarial.jsonl; recorded runs are skipped. The vectors named in
configs/msra.toml must exist (its header builds them); `--jobs 2` trains two runs at once, one per core.
`--fresh DIR` scores a run trained elsewhere instead: the recipe retrained on a new user's path.

    python benchmarks/adversarial.py --seeds 1,2,42 --epsilons 0,1 --epochs 8 --jobs 2
    python benchmarks/adversarial.py --seeds 42 --epsilons 1 --fresh ../newuser/runs/msra
    python benchmarks/report.py
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ner import commit, epoch_log, per_epoch, score as scores

ROOT = Path(__file__).resolve().parents[1]
TEST = ROOT.parent / "shared" / "data" / "msra" / "msra_test_bio"
RESULTS = ROOT / "benchmarks" / "results" / "adversarial.jsonl"
RUNS = ROOT / "runs" / "bench" / "adversarial"


def run_dir(epochs: int, seed: int, eps: float) -> Path:
    return RUNS / (f"msra-e{epochs}-s{seed}" + (f"-fgm{eps:g}" if eps else ""))


def train(epochs: int, seed: int, eps: float) -> None:
    """Train one run unless it finished before; `commit` records the code it trained with."""
    out = run_dir(epochs, seed, eps)
    if (out / "DONE").exists():
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / "commit").write_text(commit())
    command = ["zhner", "train", "--config", "configs/msra.toml", "--train.epochs", str(epochs), "--train.seed",
               str(seed), "--train.threads", "1", "--train.adversarial", f"{eps:g}", "--train.output", str(out)]
    with open(out / "train.log", "w") as log:
        subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=True,
                       env={**os.environ, "OMP_NUM_THREADS": "1"})
    (out / "DONE").write_text(" ".join(command))


def score(out: Path, gold) -> dict:
    """A finished run's model on MSRA test (`ner.score`, and F1 without the longest record) and its epoch log."""
    from zhner import evaluate, load
    pred = load(out / "model").predict([ex.text for ex in gold], batch_size=64)
    longest = max(range(len(gold)), key=lambda i: len(gold[i].text))
    rest = [i for i in range(len(gold)) if i != longest]
    log = epoch_log(out)
    best = max(log, key=lambda r: r["dev_f1"])
    return {**scores(gold, pred),
            "f1_without_longest": evaluate([gold[i] for i in rest], [pred[i] for i in rest]).micro.f1,
            "longest_chars": len(gold[longest].text), "epochs_run": len(log), "best_epoch": best["epoch"],
            "best_dev_f1": best["dev_f1"], "seconds_per_epoch": per_epoch(log, "seconds")}


def finished(path: Path) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(path.stat().st_mtime))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="1,2,42")
    p.add_argument("--epsilons", default="0,1", help="ε values; 0 trains without FGM")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--jobs", type=int, default=1, help="trainings at once (one thread each)")
    p.add_argument("--results", default=str(RESULTS))
    p.add_argument("--fresh", metavar="DIR", help="score only DIR, `configs/msra.toml` as trained by its header "
                   "in a fresh clone (its `train.output`), as the one --seeds / --epsilons / --epochs run")
    args = p.parse_args()
    results = Path(args.results)
    rows = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    done = {(r["seed"], r["epochs"], r["adversarial"]) for r in rows if not r.get("fresh")}
    todo = [(args.epochs, int(s), float(e)) for s in args.seeds.split(",") for e in args.epsilons.split(",")
            if args.fresh or (int(s), args.epochs, float(e)) not in done]
    if args.fresh and len(todo) != 1:
        p.error("--fresh scores one run: give one seed, one ε and the epochs it was trained with")
    if not args.fresh:
        with ThreadPoolExecutor(args.jobs) as pool:
            list(pool.map(lambda run: train(*run), todo))
    import torch
    from zhner import read_corpus
    torch.set_num_threads(1)
    gold = read_corpus(TEST).examples
    for epochs, seed, eps in todo:
        row = {"seed": seed, "epochs": epochs, "adversarial": eps}
        if args.fresh:
            out = Path(args.fresh).resolve()
            row.update(score(out, gold), fresh=True, commit=commit(out.parent), finished=finished(out / "log.jsonl"),
                       command="a fresh clone, the README's install, configs/msra.toml's header (see NOTES.md)")
        else:
            out = run_dir(epochs, seed, eps)
            row.update(score(out, gold), commit=(out / "commit").read_text().strip(),
                       command=(out / "DONE").read_text(), finished=finished(out / "DONE"))
        with results.open("a") as f:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(json.dumps({k: row[k] for k in ("seed", "adversarial", "f1", "f1_without_longest")}))


if __name__ == "__main__":
    main()
