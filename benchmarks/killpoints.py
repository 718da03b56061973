"""Issue-8 figure: SIGKILL `zhner train` at random moments, then check what is on disk and resume.

For each kill: every model directory left (`model/`, `checkpoint/model/`) must load; `--resume` (or a fresh
start when the kill came before the first checkpoint) must end with weights identical to an uninterrupted
run with the same seed. Appends one JSON line to benchmarks/results/reliability.jsonl.

    python benchmarks/killpoints.py --kills 20
"""
from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "reliability.jsonl"
QUIET = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def command(out, args, *extra):
    return [sys.executable, "-m", "zhner", "train", "--data.train", str(DATA / "msra/msra_train_bio"),
            "--data.limit", str(args.limit), "--model.hidden", "64", "--model.bigram_dim", "50",
            "--train.epochs", str(args.epochs), "--train.patience", "0", "--train.threads", "1",
            "--train.output", str(out), *extra]


def weights(out):
    return load_file(Path(out) / "checkpoint" / "model" / "model.safetensors")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--limit", type=int, default=2000, help="MSRA training sentences")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    p.add_argument("--results", default=str(RESULTS))
    args = p.parse_args()
    from zhner.model import load
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        start = time.time()
        subprocess.run(command(tmp / "straight", args), check=True, **QUIET)
        duration = time.time() - start
        reference = weights(tmp / "straight")
        rows = []
        for k in range(args.kills):
            out, at = tmp / f"kill{k}", rng.uniform(0, duration)
            proc = subprocess.Popen(command(out, args), **QUIET)
            time.sleep(at)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            left = [d for d in (out / "model", out / "checkpoint" / "model") if d.exists()]
            loadable = 0
            for d in left:
                try:
                    load(d)
                    loadable += 1
                except Exception as e:                                # counted, and shown
                    print(f"kill {k} at {at:.1f}s: {d} does not load: {e}", file=sys.stderr)
            resumed = (out / "checkpoint" / "trainer.json").exists()
            subprocess.run(command(out, args, *(["--resume"] if resumed else [])), check=True, **QUIET)
            final = weights(out)
            identical = final.keys() == reference.keys() and all((final[n] == reference[n]).all() for n in final)
            rows.append({"at_s": round(at, 2), "dirs_left": len(left), "loadable": loadable, "resumed": resumed,
                         "identical": bool(identical)})
            print(json.dumps(rows[-1]), flush=True)
    summary = {"bench": "killpoints", "kills": args.kills, "run_seconds": round(duration, 1),
               "limit": args.limit, "epochs": args.epochs,
               "dirs_left": sum(r["dirs_left"] for r in rows), "loadable": sum(r["loadable"] for r in rows),
               "resumed": sum(r["resumed"] for r in rows), "identical": sum(r["identical"] for r in rows),
               "kill_times_s": [r["at_s"] for r in rows], "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    with open(args.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(summary) + "\n")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
