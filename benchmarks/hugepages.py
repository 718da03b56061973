"""PyTorch's transparent huge pages for tensors of 2 MB or more (THP_MEM_ALLOC_ENABLE=1; zhner does not set
it) against 4 KB pages (=0): the same `zhner` commands (training on `configs/bench_base.toml`, the benchmark
grid's settings, one thread), each run a fresh process, the two settings interleaved; the median counts. Rows
record wall seconds, peak RSS, minor page faults, and whether both settings wrote the same bytes. Appends to
benchmarks/results/hugepages.jsonl.

    python benchmarks/hugepages.py --rounds 5
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rss import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "hugepages.jsonl"


def training(tmp: Path, name: str, head: str, train: Path, limit: int) -> list[str]:
    return ["train", "--config", str(ROOT / "configs" / "bench_base.toml"), "--data.train", str(train),
            "--data.limit", str(limit), "--model.encoder", "bilstm", "--model.head", head, "--train.epochs", "1",
            "--train.output", str(tmp / name)]


def jobs(tmp: Path) -> list[tuple[str, list[str], Path]]:
    """(name, zhner arguments, the file whose bytes both settings must agree on)."""
    from zhner import read_corpus
    titles = tmp / "titles.txt"
    test = read_corpus(DATA / "ecommerce_wavewangyue" / "test").examples[:512]
    titles.write_text("".join(ex.text + "\n" for ex in test), encoding="utf-8")
    return [
        ("train GlobalPointer, 431 types, 704 titles, 1 epoch",
         training(tmp, "gp431", "globalpointer", DATA / "ecommerce_wavewangyue" / "train", 704),
         tmp / "gp431" / "model" / "model.safetensors"),
        ("predict GlobalPointer, 431 types, 512 test titles",
         ["predict", "--model", str(tmp / "gp431" / "model"), "--input", str(titles), "--threads", "1",
          "--output", str(tmp / "gp431.jsonl")], tmp / "gp431.jsonl"),
        ("train BiLSTM-CRF, MSRA 2,000 records, 1 epoch",
         training(tmp, "crf", "crf", DATA / "msra" / "msra_train_bio", 2000),
         tmp / "crf" / "model" / "model.safetensors"),
        ("predict bundled model, MSRA test (3,442 texts)",
         ["predict", "--input", str(DATA / "msra" / "msra_test_bio"), "--threads", "1",
          "--output", str(tmp / "bundled.jsonl")], tmp / "bundled.jsonl"),
    ]


def run(args: list[str], huge: bool) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and minor page faults of `zhner ARGS` in a fresh process (`--child`)."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "THP_MEM_ALLOC_ENABLE": str(int(huge))}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"zhner {' '.join(args)} failed:\n{done.stderr}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    return seconds, child["peak_rss_mb"], child["faults"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        from zhner.cli import main as zhner
        code = zhner(args.child)
        print(json.dumps({"peak_rss_mb": peak_rss_mb(),
                          "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt}))
        sys.exit(code)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv, output in jobs(Path(tmp)):
            runs, digests = {"4k": [], "2m": []}, {"4k": set(), "2m": set()}
            for _ in range(args.rounds):
                for which in ("4k", "2m"):
                    runs[which].append(run(argv, which == "2m"))
                    digests[which].add(hashlib.sha256(output.read_bytes()).hexdigest())
            med = {w: [statistics.median(x[i] for x in r) for i in range(3)] for w, r in runs.items()}
            row = {"case": name, "started": started, "rounds": args.rounds, "small_s": med["4k"][0],
                   "huge_s": med["2m"][0], "speedup": med["4k"][0] / med["2m"][0], "small_rss_mb": med["4k"][1],
                   "huge_rss_mb": med["2m"][1], "small_faults": med["4k"][2], "huge_faults": med["2m"][2],
                   "same_output": len(digests["4k"] | digests["2m"]) == 1}
            print(f"{name}: {row['small_s']:.1f} s → {row['huge_s']:.1f} s ({row['speedup']:.2f}×), peak RSS "
                  f"{row['small_rss_mb']:.0f} → {row['huge_rss_mb']:.0f} MB, same output: {row['same_output']}",
                  flush=True)
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            with open(RESULTS, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
