"""Head kernels side by side with an earlier commit's: one GlobalPointer training step and its span search,
the CRF loss (forward and backward) and CRF decoding (Viterbi + marginals + spans), on random inputs, one
thread. The earlier heads are `zhner/nn/heads/*.py` as of `--against REV`, loaded beside the current ones;
rounds interleave and the median counts. Appends to benchmarks/results/heads.jsonl.

    python benchmarks/heads.py --against 49cab83
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "heads.jsonl"


def heads_at(rev: str, name: str):
    """The module zhner/nn/heads/<name>.py as of commit `rev`, importable beside the current one."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:zhner/nn/heads/{name}.py"], check=True,
                            capture_output=True, text=True).stdout
    spec = importlib.util.spec_from_loader(f"zhner.nn.heads._{name}_{rev}", loader=None)
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "zhner.nn.heads"
    exec(compile(source, f"{rev}:{name}.py", "exec"), module.__dict__)
    return module


def cases(gp, crf):
    """(name, callable) pairs over one module pair; inputs are fixed by the seed."""
    torch.manual_seed(0)
    out = []
    for types, t in ((431, 50), (10, 50)):
        head = gp.GlobalPointer(256, [f"t{i}" for i in range(types)])
        h = torch.randn(32, t, 256)
        batch = {"mask": torch.ones(32, t, dtype=torch.bool),
                 "spans": torch.tensor([[b, (7 * b + k) % types, k, k + 2] for b in range(32) for k in range(3)])}
        out.append((f"GlobalPointer step, 32 × {t}, {types} types",
                    lambda head=head, h=h, batch=batch: head.loss(h.requires_grad_(), batch).backward()))
        with torch.inference_mode():          # like a trained model's: three spans per text above 0
            scores = head.scores(h, batch["mask"]) - 5
            b, c, i, j = batch["spans"].unbind(1)
            scores[b, c, i, j] = 3.0
        out.append((f"GlobalPointer decoding, 32 × {t}, {types} types", torch.inference_mode()(
            lambda head=head, scores=scores, batch=batch: head.decode_outputs(scores, batch))))
    for types, rows in ((3, 1), (3, 64), (431, 32)):
        tagger = crf.CRF(256, [f"t{i}" for i in range(types)])
        with torch.no_grad():
            for p in (tagger.start, tagger.end, tagger.trans):
                p.normal_()
        h = torch.randn(rows, 50, 256)
        mask = torch.ones(rows, 50, dtype=torch.bool)
        mask[rows // 2:, 25:] = False
        em = tagger.proj(h).detach() * 5
        out.append((f"CRF decoding, {rows} × 50" + (f", {types} types" if types > 3 else ""), torch.inference_mode()(
            lambda tagger=tagger, em=em, mask=mask: tagger.decode_outputs(em, {"mask": mask}))))
    tagger = crf.CRF(256, ["PER", "LOC", "ORG"])
    h = torch.randn(32, 50, 256)
    batch = {"mask": torch.ones(32, 50, dtype=torch.bool), "tags": torch.randint(0, 13, (32, 50))}
    out.append(("CRF loss + backward, 32 × 50", lambda: tagger.loss(h.requires_grad_(), batch).backward()))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--against", required=True, help="the earlier commit")
    p.add_argument("--rounds", type=int, default=9)
    args = p.parse_args()
    torch.set_num_threads(1)
    from zhner.nn.heads import crf, globalpointer
    now, then = cases(globalpointer, crf), cases(heads_at(args.against, "globalpointer"), heads_at(args.against, "crf"))
    for (name, new), (_, old) in zip(now, then):
        repeat = 1 if "step" in name and "431" in name else 10 if "431" in name else 20
        seconds = {"new": [], "old": []}
        for f in (new, old):
            f()                                                          # warm-up
        for _ in range(args.rounds):
            for which, f in (("old", old), ("new", new)):
                start = time.perf_counter()
                for _ in range(repeat):
                    f()
                seconds[which].append((time.perf_counter() - start) / repeat)
        old_s, new_s = statistics.median(seconds["old"]), statistics.median(seconds["new"])
        row = {"case": name, "against": args.against, "old_ms": 1000 * old_s, "new_ms": 1000 * new_s,
               "speedup": old_s / new_s, "rounds": args.rounds}
        print(f"{name}: {row['old_ms']:.2f} ms → {row['new_ms']:.2f} ms ({row['speedup']:.2f}×)", flush=True)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        with open(RESULTS, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
