"""The `zhner` command: a thin layer over the library. Bad data ends in `path:line: message`, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import fields

from .config import Limits
from .corpora import FORMATS, WRITE_FORMATS, CorpusError, iter_records, read_corpus, write_corpus
from .files import atomic_text
from .metrics import evaluate, mention_scores, span_errors, span_set, touching
from .spans import STDIN, DataError, Example, flatten, nested_pairs

MAX_SHOWN = 20
STREAM_CHUNK = 8192        # `predict --input` tags and writes this many texts at a time


def _summary(path, kind, problems) -> str:
    """`path: skipped 3 record(s) (2× bad JSON; 1× ...)`, the five most common reasons."""
    reasons = Counter(e.message.split(":")[0] for e in problems)
    return str(DataError(f"{kind} {len(problems)} record(s) (" +
                         "; ".join(f"{n}× {r}" for r, n in reasons.most_common(5)) + ")", path))


def _read(path, fmt="auto", lenient=False):
    corpus = read_corpus(path, fmt, lenient)
    for kind, problems in (("skipped", corpus.skipped), ("repaired", corpus.repaired)):
        if problems:
            for e in problems[:MAX_SHOWN]:
                print(f"warning: {e}", file=sys.stderr)
            print(_summary(path, kind, problems), file=sys.stderr)
    return corpus


def _add_input(p, name="input", flag=None, help="corpus file"):
    if flag:
        p.add_argument(flag, dest=name, required=True, help=help)
    else:
        p.add_argument(name, help=help)
    p.add_argument(f"--{name}-format" if flag else "--format", dest=f"{name}_format", default="auto",
                   choices=("auto",) + FORMATS, help="input format (default: detect)")


def _add_threads(p):
    p.add_argument("--threads", type=int, default=0,
                   help="CPU threads for the model (default 0: all cores); on a machine busy with other work, "
                        "fewer threads than cores can be many times faster")


def cmd_convert(args):
    """A tag format (one tag per character) cannot hold overlapping spans: their records are an error naming
    them, or with --lenient keep the longest of each overlapping set, as training a tagging head does."""
    corpus = _read(args.input, args.input_format, args.lenient)
    examples = corpus.examples
    overlapping = [i for i, ex in enumerate(examples, 1) if nested_pairs(ex.spans)] \
        if args.to in ("bio", "bioes", "ecommerce") else []
    if overlapping:
        which = ", ".join(map(str, overlapping[:MAX_SHOWN])) + (", ..." if len(overlapping) > MAX_SHOWN else "")
        problem = f"{len(overlapping)} record(s) with overlapping spans, which {args.to} tags cannot hold " \
                  f"(record {which})"
        if not args.lenient:
            raise DataError(f"{problem}; --lenient keeps the longest of each overlapping set", args.input)
        flat = [flatten(ex) for ex in examples]
        examples = [ex for ex, _ in flat]
        dropped = sum(n for _, n in flat)
        print(f"warning: {DataError(f'{problem}: kept the longest, dropped {dropped} span(s)', args.input)}",
              file=sys.stderr)
    write_corpus(examples, args.output, args.to)
    if args.output != "-":
        print(f"wrote {len(corpus)} records to {args.output} ({args.to})", file=sys.stderr)


def _percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q / 100 * len(sorted_values)))] if sorted_values else 0


def corpus_stats(corpus) -> dict:
    lengths = sorted(len(ex.text) for ex in corpus)
    per_type = Counter(s.label for ex in corpus for s in ex.spans)
    return {
        "path": corpus.path, "format": corpus.format, "sentences": len(corpus), "characters": sum(lengths),
        "entities": sum(per_type.values()), "types": len(per_type), "per_type": dict(sorted(per_type.items())),
        "nested_pairs": sum(nested_pairs(ex.spans) for ex in corpus),
        "touching": sum(len(touching(span_set(ex))) for ex in corpus),
        "length": {"min": lengths[0] if lengths else 0, "mean": round(sum(lengths) / max(1, len(lengths)), 1),
                   **{f"p{q}": _percentile(lengths, q) for q in (50, 90, 95, 99)},
                   "max": lengths[-1] if lengths else 0},
        "skipped": len(corpus.skipped), "repaired": len(corpus.repaired)}


def cmd_stats(args):
    stats = corpus_stats(_read(args.input, args.input_format, args.lenient))
    if args.json:
        print(json.dumps(stats, ensure_ascii=False, indent=1))
        return
    print(f"{stats['path']} ({stats['format']})")
    for key in ("sentences", "characters", "entities", "types", "nested_pairs", "touching"):
        print(f"  {key:<13}{stats[key]:>10}")
    print("  length       " + "  ".join(f"{k} {v}" for k, v in stats["length"].items()))
    if stats["per_type"]:
        width = max(len(k) for k in stats["per_type"])
        print(f"  {'type':<{width}}  {'entities':>8}")
        for label, n in stats["per_type"].items():
            print(f"  {label:<{width}}  {n:8d}")


def _load(args):
    """`--model` (default: the bundled one; repeated: an ensemble) on `--threads` CPU threads; 0 leaves torch's
    default, all cores."""
    from .model import load
    if args.threads < 0:
        raise ValueError(f"--threads {args.threads}: give a number of threads, or 0 for all cores")
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    return load(args.model, threads=args.threads)


def _kinded(text, spans) -> list[dict]:
    """((start, end, label), kind) pairs as an error file writes them."""
    return [{"start": s, "end": e, "label": label, "text": text[s:e], "kind": kind} for (s, e, label), kind in spans]


def cmd_evaluate(args):
    gold = _read(args.gold, args.gold_format, args.lenient)
    if args.pred:
        pred = _read(args.pred, args.pred_format, args.lenient).examples
        if len(pred) != len(gold):
            raise DataError(f"has {len(pred)} records but the gold file has {len(gold)}", args.pred)
        for i, (g, p) in enumerate(zip(gold, pred), 1):
            if g.text != p.text:
                raise DataError(f"record {i}: text differs from the gold record ({p.text[:30]!r} vs {g.text[:30]!r})",
                                args.pred)
    else:
        pred = _load(args).predict([ex.text for ex in gold], batch_size=args.batch_size)
    report = evaluate(gold, pred)
    result = report.to_dict()
    if args.errors:
        with atomic_text(args.errors) as f:
            for i, (g, p) in enumerate(zip(gold, pred), 1):
                missed, wrong = span_errors(span_set(g), span_set(p))
                if missed or wrong:
                    record = {"record": i, "text": g.text, "missed": _kinded(g.text, missed),
                              "wrong": _kinded(g.text, wrong)}
                    f.write(json.dumps(record, ensure_ascii=False) + "\n")
    if args.mentions:
        result["mentions"] = mention_scores(gold, pred)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(report.table())
    if args.mentions:
        m = result["mentions"]
        print(f"entity strings: sentence exact-set accuracy {100 * m['sentence_accuracy']:.2f}  "
              f"P {100 * m['precision']:.2f}  R {100 * m['recall']:.2f}  F1 {100 * m['f1']:.2f}")


def cmd_train(args, overrides):
    from .config import load_config
    from .training import train
    for spec in args.vectors or []:
        kind, eq, path = spec.partition("=")
        if not eq or kind not in ("char", "bigram", "word"):
            raise ValueError(f"--vectors {spec!r}: expected char=PATH, bigram=PATH or word=PATH")
        overrides[f"model.{kind}_vectors"] = path
    cfg = load_config(args.config, overrides)
    result = train(cfg, resume=args.resume)
    if result.dev is None:                              # a torchrun rank other than 0
        return
    print(f"best dev F1 {100 * result.dev.micro.f1:.2f} at epoch {result.best_epoch}; model saved to {result.model_dir}")
    print(result.dev.table())


def _write_predictions(examples, f, fmt):
    from .corpora import conll, jsonl
    if fmt == "jsonl":
        jsonl.write(examples, f)
    elif fmt == "conll":                    # one tag per character: nested spans reduced to the outermost
        conll.write([flatten(ex)[0] for ex in examples], f, "BIO")
    else:
        for ex in examples:
            f.write(ex.text + "\n")
            for s in ex.spans:
                f.write(f"  {s.start:>4} {s.end:>4}  {s.label:<10} {ex.mention(s)}  ({s.score:.3f})\n")


def _texts(path, fmt, problems):
    """The texts of a corpus as they are read; unreadable records go to `problems`, the first
    MAX_SHOWN of them also to stderr. Labels are ignored, so a record with a broken tag sequence counts."""
    _, records = iter_records(path, fmt)
    for item in records:
        if isinstance(item, DataError) and getattr(item, "repaired", None) is None:
            problems.append(item)
            if len(problems) <= MAX_SHOWN:
                print(f"warning: {item}", file=sys.stderr)
            continue
        yield item.text if isinstance(item, Example) else item.repaired.text


def _many_files(spec: str) -> bool:
    """Whether `spec` names several files: a glob, or a directory that is not one e-commerce corpus."""
    from pathlib import Path

    from .corpora import ecommerce
    path = Path(spec)
    if path.is_dir():
        return not ecommerce.paths(path)[0].exists()
    return not path.exists() and any(c in spec for c in "*?[")


def _chunks(items, size: int, more=None, patience: float = 1.0):
    """Lists of up to `size` items, in order. With `more` (whether another item comes soon), a list also ends
    when none comes, or once its first item has waited `patience` seconds: a slowly written pipe gets its
    answers within about a second, a fast one still gets full lists."""
    import time
    items = iter(items)
    while True:
        chunk = []
        for item in items:
            if not chunk:
                since = time.monotonic()
            chunk.append(item)
            if len(chunk) == size or (more and (time.monotonic() - since > patience or not more())):
                break
        if not chunk:
            return
        yield chunk


def _stdin_has_more(wait: float = 0.05) -> bool:
    """Whether standard input has bytes within `wait` seconds (lines already in Python's buffer do not count;
    they end a list early, which costs a smaller batch, never an answer)."""
    import select
    return bool(select.select([sys.stdin], [], [], wait)[0])


def cmd_predict(args):
    from contextlib import nullcontext

    from . import viz
    if bool(args.texts) == bool(args.input):
        raise ValueError("give either texts to tag or --input FILE (- for standard input)")
    if args.dask:
        from .distributed import run
        if not args.output:
            raise ValueError("--dask needs --output DIR for the sharded JSONL and its manifest")
        stats = run(args.input, args.output, args.model, args.dask, args.shard_size, args.batch_size)
        print(f"{stats['shards']} shards ({stats['ran']} run, {stats['skipped']} already done), "
              f"{stats['records']} records, {stats['errors']} unreadable lines; manifest in "
              f"{args.output}/manifest.json", file=sys.stderr)
        if stats["errors"] and not args.lenient:
            raise SystemExit(1)
        return
    if args.input and _many_files(args.input):
        raise ValueError(f"{args.input}: a directory or glob of files is tagged on Dask: add --dask local:N "
                         "(N worker processes here, or tcp://scheduler:8786) and --output DIR")
    model = _load(args)
    problems = []
    texts = _texts(args.input, args.input_format, problems) if args.input else args.texts
    fmt = args.format or ("jsonl" if args.input else "pretty")
    count = 0
    with (atomic_text(args.output) if args.output else nullcontext(sys.stdout) as f,
          atomic_text(args.html) if args.html else nullcontext() as html):
        if html:
            html.write(viz.report_start(model.labels))
        more = _stdin_has_more if args.input == STDIN and sys.platform != "win32" else None   # select: POSIX
        for chunk in _chunks(texts, STREAM_CHUNK, more):
            examples = [Example(t, s) for t, s in zip(chunk, model.predict(chunk, batch_size=args.batch_size))]
            _write_predictions(examples, f, fmt)
            f.flush()
            count += len(examples)
            if html:
                html.write(viz.render_docs(examples))
        if html:
            html.write(viz.PAGE_END)
    if args.html:
        print(f"wrote an HTML report of {count} texts to {args.html}", file=sys.stderr)
    if args.output:
        print(f"wrote {count} records to {args.output}", file=sys.stderr)
    if problems:
        print(_summary(args.input, "skipped", problems), file=sys.stderr)
        if not args.lenient:
            print(f"{len(problems)} input record(s) could not be read (see warnings above); the rest were tagged",
                  file=sys.stderr)
            raise SystemExit(1)


def cmd_self_train(args, overrides):
    from .config import load_config
    from .corpora import read_texts
    from .selftrain import self_train
    cfg = load_config(args.config, overrides)
    texts = read_texts(args.unlabelled, lenient=args.lenient)
    if args.max_unlabelled:
        texts = texts[:args.max_unlabelled]
    if args.select_closest:
        from .corpora import read_corpus
        from .features.sentences import closest, sentence_vectors
        from .features.vectors import load_vectors
        if not args.vectors:
            raise ValueError("--select-closest needs --vectors (word vectors for the sentence vectors)")
        kv = load_vectors(args.vectors)
        gold = [ex.text for ex in read_corpus(cfg.data.train, cfg.data.format, cfg.data.lenient)]
        vecs = sentence_vectors(gold + texts, kv, "sif")
        texts = [texts[i] for i in closest(vecs[len(gold):], vecs[:len(gold)], args.select_closest)]
        print(f"selected the {len(texts)} unlabelled texts closest (SIF, cosine) to the labelled set", file=sys.stderr)
    rows = self_train(cfg, texts, args.rounds, args.threshold)
    best = max(rows, key=lambda r: r["dev_f1"])
    print(f"{'round':>5}  {'dev P':>6}  {'dev R':>6}  {'dev F1':>6}  {'pseudo texts':>12}  {'agreed':>7}")
    for r in rows:
        print(f"{r['round']:>5}  {100 * r['dev_precision']:6.2f}  {100 * r['dev_recall']:6.2f}  "
              f"{100 * r['dev_f1']:6.2f}  {r['pseudo_texts_used']:>12}  {r['agreed_texts']:>7}")
    print(f"best: round {best['round']}, model in {cfg.train.output}/round{best['round']}/model")


def cmd_export(args):
    from .corpora import read_texts
    from .export import SAMPLES, check_export, export_onnx
    from .model import load
    texts = read_texts(args.check, lenient=args.lenient) if args.check else SAMPLES
    model = load(args.model, onnx=False)
    out = export_onnx(model, args.onnx, args.quantize)
    print(f"wrote {out}/model.onnx{' (int8 weights)' if args.quantize else ''} (and the model files beside it)",
          file=sys.stderr)
    r = check_export(model, out, texts)
    print(f"checked with onnxruntime on {r['texts']} {'texts of ' + args.check if args.check else 'sample texts'}: "
          f"{r['same']} with the same spans as PyTorch ({r['spans']} spans), scores within {r['score_diff']:.1e}",
          file=sys.stderr)
    if r["same"] < r["texts"] and not args.quantize:
        raise ValueError(f"the exported graph gives other spans than PyTorch on {r['texts'] - r['same']} text(s); "
                         "please report this with the model's config.json")


def cmd_serve(args):
    import os

    import uvicorn
    os.environ["ZHNER_MODEL"] = os.pathsep.join(args.model or [])
    for f in fields(Limits):
        os.environ[f"ZHNER_{f.name.upper()}"] = str(getattr(args, f.name))
    uvicorn.run("zhner.serve:app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers,
                log_level="warning")


def cmd_mine_discover(args):
    from tqdm import tqdm
    from .corpora import iter_texts
    from .mining.discover import discover, write_tsv
    passes = 2 + bool(args.min_entropy and args.method == "ngram")     # the corpus is streamed once per pass

    def texts():
        return (t for spec in args.inputs for t in iter_texts(spec, lenient=args.lenient))
    with tqdm(unit="char", unit_scale=True, file=sys.stderr, disable=None, desc=f"{passes} passes") as bar:
        words = discover(texts, args.max_n, args.min_count, args.min_pmi, args.min_entropy, args.max_entries, bar,
                         method=args.method, min_proba=args.min_proba)
    write_tsv(words, args.output)
    print(f"wrote {len(words)} candidate words to {args.output}", file=sys.stderr)


def cmd_mine_compare(args):
    from .mining.compare import compare, read_counts
    rows = compare(read_counts(args.domain), read_counts(args.background))
    with atomic_text(args.output) as f:
        for word, score, fd, fb in rows[:args.top or None]:
            f.write(f"{word}\t{fd:g}\t{score:.6f}\t{fb:.2f}\n")
    print(f"wrote {min(len(rows), args.top or len(rows))} ranked words to {args.output}", file=sys.stderr)


def cmd_mine_filter(args):
    from .mining.filters import Rules
    rules = Rules.load(args.rules)
    kept = dropped = 0
    with open(args.input, encoding="utf-8") as src, atomic_text(args.output) as out:
        for line in src:
            word = line.split("\t", 1)[0].strip()
            if word and rules.keep(word):
                out.write(line if line.endswith("\n") else line + "\n")
                kept += 1
            elif word:
                dropped += 1
    print(f"kept {kept}, dropped {dropped} terms; wrote {args.output}", file=sys.stderr)


def cmd_mine_run(args):
    from .mining.pipeline import run
    out = run(args.config)
    print(f"terms in {out}/terms.tsv (use as model.lexicon or as a segmenter dictionary)", file=sys.stderr)


def cmd_mine_expand(args):
    from .features.vectors import load_vectors
    from .mining.expand import expand
    from .mining.filters import Rules
    rules = Rules.load(args.rules)
    found = expand(load_vectors(args.vectors), args.seeds, args.centre or (), args.negative or (), args.min_sim,
                   args.max_sim, args.alpha, max_size=args.max_size, keep=rules.keep)
    with atomic_text(args.output) as f:
        f.writelines(f"{w}\t1\t{d}\t{s:.4f}\n" for w, d, s in found)
    print(f"expanded {len(args.seeds)} seeds to {len(found)} words in {args.output}", file=sys.stderr)


def cmd_vectors_sentences(args):
    import numpy as np
    from .corpora import read_texts
    from .features.sentences import sentence_vectors
    from .features.vectors import load_vectors
    from .files import atomic_file
    texts = read_texts(args.input, lenient=args.lenient)
    vecs = sentence_vectors(texts, load_vectors(args.vectors), args.method, args.kind)
    with atomic_file(args.output) as tmp, open(tmp, "wb") as f:
        np.save(f, vecs, allow_pickle=False)
    print(f"wrote {vecs.shape[0]} × {vecs.shape[1]} {args.method} sentence vectors to {args.output}", file=sys.stderr)


def cmd_vectors_train(args):
    from .corpora import read_texts
    from .features.segment import Segmenter
    from .features.vectors import save_vectors, train_vectors

    def texts():                                    # read lazily: train_vectors checks its arguments first
        for spec in args.inputs:
            got = read_texts(spec, lenient=args.lenient)
            print(f"{spec}: {len(got)} texts", file=sys.stderr)
            yield from got

    segmenter = Segmenter(args.segmenter, args.user_dict) if args.kind == "word" else None
    kv = train_vectors(texts(), args.kind, args.dim, args.window, args.negative, args.min_count, args.epochs,
                       segmenter=segmenter, workers=args.workers)
    save_vectors(kv, args.output)
    print(f"wrote {len(kv)} {args.kind} vectors of {kv.vector_size} dimensions to {args.output}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhner", description="Chinese named-entity recognition.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="convert a corpus to another format")
    _add_input(p)
    p.add_argument("-o", "--output", default="-", help="output file (directory for ecommerce; - = stdout)")
    p.add_argument("--to", default="jsonl", choices=WRITE_FORMATS)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("stats", help="sentences, characters, entities per type, nesting, entities touching "
                                     "another (one ends where the next begins), lengths")
    _add_input(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("evaluate", help="entity-level P/R/F1 of predictions (or of a model) against gold")
    _add_input(p, "gold", "--gold", "gold corpus")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--pred", help="predicted corpus, records aligned with gold")
    src.add_argument("--model", action="append", help="model directory to run on the gold texts (default: the "
                     "bundled model); repeat it for an ensemble of models trained alike")
    p.add_argument("--pred-format", default="auto", choices=("auto",) + FORMATS)
    p.add_argument("--batch-size", type=int, default=64)
    _add_threads(p)
    p.add_argument("--mentions", action="store_true",
                   help="also score entity strings per sentence (core-entity metrics: exact-set accuracy, F1)")
    p.add_argument("--errors", metavar="FILE",
                   help="write each record with a wrong span as a JSON line: its gold spans not predicted "
                        "('missed') and predicted spans not in gold ('wrong'), each with its kind")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("train", help="train a model from a config file; override keys with --section.key VALUE")
    p.add_argument("--config", help="TOML recipe (see configs/)")
    p.add_argument("--resume", action="store_true", help="continue from <output>/checkpoint after a crash or kill")
    p.add_argument("--vectors", action="append", metavar="KIND=PATH",
                   help="pretrained word2vec file (text or binary) for the char, bigram or word table; repeatable")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("self-train", help="train, tag unlabelled text, retrain on pseudo-labels two rounds agree on")
    p.add_argument("--config", help="TOML recipe (see configs/)")
    p.add_argument("--unlabelled", required=True, help="unlabelled texts (any corpus; FILE::COLUMN for CSV/TSV)")
    p.add_argument("--rounds", type=int, default=3, help="rounds after the supervised round 0")
    p.add_argument("--threshold", type=float, default=0.0, help="keep pseudo-labels only if every score ≥ this")
    p.add_argument("--max-unlabelled", type=int, default=0, help="use only the first N unlabelled texts")
    p.add_argument("--select-closest", type=int, default=0,
                   help="use the N unlabelled texts whose SIF sentence vectors are closest to the labelled set")
    p.add_argument("--vectors", help="word vectors for --select-closest")
    p.set_defaults(func=cmd_self_train)

    p = sub.add_parser("predict", help="tag texts with a model (default: the bundled MSRA model)")
    p.add_argument("texts", nargs="*", help="texts to tag")
    p.add_argument("--model", action="append",
                   help="model directory (default: bundled model); repeat it for an ensemble of models trained alike")
    p.add_argument("--input", help="file of texts (one per line) or any corpus format; - reads standard input; "
                   "tagged and written in chunks")
    p.add_argument("--input-format", default="auto", choices=("auto",) + FORMATS)
    p.add_argument("--output", help="output file (default: stdout)")
    p.add_argument("--format", choices=("jsonl", "conll", "pretty"),
                   help="output format (default: pretty for texts, jsonl for --input)")
    p.add_argument("--batch-size", type=int, default=64)
    _add_threads(p)
    p.add_argument("--html", help="also write an HTML report with the entities highlighted")
    p.add_argument("--dask", help="run on Dask: local:N (a local cluster of N workers) or tcp://scheduler:8786; "
                                  "--input is then a directory or glob and --output a directory")
    p.add_argument("--shard-size", type=int, default=10_000, help="lines per Dask task")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", help="export a model to ONNX (zhner.load runs it with onnxruntime)")
    p.add_argument("--model", help="model directory (default: bundled model)")
    p.add_argument("--onnx", required=True, help="output directory")
    p.add_argument("--quantize", action="store_true",
                   help="int8 weights (dynamic quantization): faster on CPU; spans may differ slightly")
    p.add_argument("--check", help="texts (any corpus format) on which to compare the export with PyTorch "
                   "(default: a few built-in sentences); a float export that differs is an error")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("serve", help="REST server (FastAPI): POST /predict, GET /health, GET /model, /docs")
    p.add_argument("--model", action="append",
                   help="model directory (default: bundled model); repeat it for an ensemble of models trained alike")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1, help="processes, each with its own copy of the model")
    for f in fields(Limits):
        p.add_argument("--" + f.name.replace("_", "-"), type=type(f.default), default=f.default, help=f.metadata["help"])
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("mine", help="unsupervised domain-term mining")
    msub = p.add_subparsers(dest="mine_command", required=True)
    p = msub.add_parser("discover", help="new-word discovery: n-gram counts, minimum PMI, boundary entropy")
    p.add_argument("inputs", nargs="+", help="corpus files; FILE::COLUMN picks a CSV/TSV column")
    p.add_argument("-o", "--output", required=True, help="TSV: word, count, pmi, left and right entropy")
    p.add_argument("--method", choices=("ngram", "cut"), default="ngram",
                   help="ngram: n-grams by minimum PMI, recounted by segmentation; cut: the reference's "
                        "(nlp-zero's Word_Finder): text cut at weak adjacent pairs, pieces counted and de-duplicated")
    p.add_argument("--max-n", type=int, default=4, help="ngram: longest word, 2 to 4 characters")
    p.add_argument("--min-count", type=int, default=5, help="ngram")
    p.add_argument("--min-proba", type=float, default=1e-6, help="cut: least frequency of a pair and of a word")
    p.add_argument("--min-pmi", type=float, default=1.0)
    p.add_argument("--min-entropy", type=float, default=0.0, help="ngram")
    p.add_argument("--max-entries", type=int, default=5_000_000, help="n-gram table size before pruning")
    p.add_argument("--lenient", action="store_true", help="skip unreadable lines instead of failing")
    p.set_defaults(func=cmd_mine_discover)
    p = msub.add_parser("compare", help="rank words characteristic of a domain against a background corpus")
    p.add_argument("domain", help="word counts of the domain corpus (TSV from `zhner mine discover`)")
    p.add_argument("background", help="word counts of the background corpus")
    p.add_argument("-o", "--output", required=True, help="TSV: word, domain count, score, rescaled background count")
    p.add_argument("--top", type=int, default=0, help="keep the best N (0 = all)")
    p.set_defaults(func=cmd_mine_compare)
    p = msub.add_parser("filter", help="drop terms matching the rules of a TOML file (default rules built in)")
    p.add_argument("input", help="TSV whose first column is the term")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--rules", help="TOML rules (see zhner/mining/default_filters.toml)")
    p.set_defaults(func=cmd_mine_filter)
    p = msub.add_parser("expand", help="breadth-first word2vec expansion from seed words, bar rising with depth")
    p.add_argument("seeds", nargs="+")
    p.add_argument("--vectors", required=True, help="word2vec file (e.g. zhner vectors train --kind word)")
    p.add_argument("-o", "--output", required=True, help="TSV: word, 1, depth, similarity")
    p.add_argument("--centre", nargs="*", help="words whose mean vector is added to every query")
    p.add_argument("--negative", nargs="*", help="words whose mean vector is subtracted")
    p.add_argument("--min-sim", type=float, default=0.6)
    p.add_argument("--max-sim", type=float, default=1.0)
    p.add_argument("--alpha", type=float, default=0.25)
    p.add_argument("--max-size", type=int, default=10_000)
    p.add_argument("--rules", help="TOML rule filters (default: built in)")
    p.set_defaults(func=cmd_mine_expand)
    p = msub.add_parser("run", help="the whole pipeline from a TOML config (see zhner/mining/pipeline.py)")
    p.add_argument("--config", required=True)
    p.set_defaults(func=cmd_mine_run)

    p = sub.add_parser("vectors", help="static char / bigram / word vectors")
    vsub = p.add_subparsers(dest="vectors_command", required=True)
    p = vsub.add_parser("train", help="train skip-gram Word2Vec vectors on raw text (labels are never read)")
    p.add_argument("inputs", nargs="+", help="corpus files; FILE::COLUMN picks a CSV/TSV column")
    p.add_argument("--kind", choices=("char", "bigram", "word"), default="char")
    p.add_argument("-o", "--output", required=True, help="word2vec file (.bin = binary, otherwise text)")
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--min-count", type=int, default=2)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--segmenter", choices=("jieba", "lac"), default="jieba")
    p.add_argument("--user-dict", help="jieba user dictionary for --kind word")
    p.add_argument("--workers", type=int, default=0,
                   help="training threads (default: one per core); 1 writes the same file on every run")
    p.set_defaults(func=cmd_vectors_train)
    p.add_argument("--lenient", action="store_true", help="skip unreadable lines instead of failing")
    p = vsub.add_parser("sentences", help="sentence vectors (mean, TF-IDF mean, SIF) as a .npy matrix")
    p.add_argument("input", help="texts (any corpus; FILE::COLUMN for CSV/TSV)")
    p.add_argument("--vectors", required=True, help="word2vec file of word (or char) vectors")
    p.add_argument("--kind", choices=("word", "char"), default="word")
    p.add_argument("--method", choices=("mean", "tfidf", "sif"), default="sif")
    p.add_argument("-o", "--output", required=True, help=".npy file, one row per text")
    p.add_argument("--lenient", action="store_true", help="skip unreadable lines instead of failing")
    p.set_defaults(func=cmd_vectors_sentences)

    for name, p in sub.choices.items():
        if name in ("vectors", "mine"):
            continue
        p.add_argument("--lenient", action="store_true", help="skip bad records (and count them) instead of failing")
    return parser


def _overrides(extra: list[str]) -> dict:
    """`--train.epochs 5` / `--train.epochs=5` pairs -> {"train.epochs": "5"}."""
    out, i = {}, 0
    while i < len(extra):
        arg = extra[i]
        if not arg.startswith("--") or "." not in arg:
            raise SystemExit(f"zhner: error: unrecognized argument {arg!r} (overrides look like --train.epochs 5)")
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(extra):
                raise SystemExit(f"zhner: error: {arg} needs a value")
            value, i = extra[i + 1], i + 1
        out[key] = value
        i += 1
    return out


def main(argv=None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command not in ("train", "self-train"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command in ("train", "self-train"):
            args.func(args, _overrides(extra))
        else:
            args.func(args)
    except CorpusError as e:
        for err in e.errors[:MAX_SHOWN]:
            print(f"error: {err}", file=sys.stderr)
        if len(e.errors) > MAX_SHOWN:
            print(f"error: ... {len(e.errors) - MAX_SHOWN} more", file=sys.stderr)
        print(f"{len(e.errors)} bad record(s); fix them or pass --lenient to skip them", file=sys.stderr)
        return 1
    except BrokenPipeError:                 # the reader went away (`zhner predict ... | head`): stop quietly
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
