"""The `zhner` command: a thin layer over the library. Bad data ends in `path:line: message`, never a traceback."""
from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

from .corpora import FORMATS, WRITE_FORMATS, CorpusError, read_corpus, write_corpus
from .spans import DataError, nested_pairs

MAX_SHOWN = 20


def _read(path, fmt="auto", lenient=False):
    corpus = read_corpus(path, fmt, lenient)
    for kind, problems in (("skipped", corpus.skipped), ("repaired", corpus.repaired)):
        if problems:
            for e in problems[:MAX_SHOWN]:
                print(f"warning: {e}", file=sys.stderr)
            reasons = Counter(e.message.split(":")[0] for e in problems)
            summary = "; ".join(f"{n}× {r}" for r, n in reasons.most_common(5))
            print(f"{path}: {kind} {len(problems)} record(s) ({summary})", file=sys.stderr)
    return corpus


def _add_input(p, name="input", flag=None, help="corpus file"):
    if flag:
        p.add_argument(flag, dest=name, required=True, help=help)
    else:
        p.add_argument(name, help=help)
    p.add_argument(f"--{name}-format" if flag else "--format", dest=f"{name}_format", default="auto",
                   choices=("auto",) + FORMATS, help="input format (default: detect)")


def cmd_convert(args):
    corpus = _read(args.input, args.input_format, args.lenient)
    write_corpus(corpus.examples, args.output, args.to)
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
    for key in ("sentences", "characters", "entities", "types", "nested_pairs"):
        print(f"  {key:<13}{stats[key]:>10}")
    print("  length       " + "  ".join(f"{k} {v}" for k, v in stats["length"].items()))
    if stats["per_type"]:
        width = max(len(k) for k in stats["per_type"])
        print(f"  {'type':<{width}}  {'entities':>8}")
        for label, n in stats["per_type"].items():
            print(f"  {label:<{width}}  {n:8d}")


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
        from .model import load
        pred = load(args.model).predict([ex.text for ex in gold], batch_size=args.batch_size)
    from .metrics import evaluate
    report = evaluate(gold, pred)
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) if args.json else report.table())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhner", description="Chinese named-entity recognition.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("convert", help="convert a corpus to another format")
    _add_input(p)
    p.add_argument("-o", "--output", default="-", help="output file (directory for ecommerce; - = stdout)")
    p.add_argument("--to", default="jsonl", choices=WRITE_FORMATS)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("stats", help="sentences, characters, entities per type, nesting, lengths")
    _add_input(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("evaluate", help="entity-level P/R/F1 of predictions (or of a model) against gold")
    _add_input(p, "gold", "--gold", "gold corpus")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--pred", help="predicted corpus, records aligned with gold")
    src.add_argument("--model", help="model directory to run on the gold texts")
    p.add_argument("--pred-format", default="auto", choices=("auto",) + FORMATS)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    for p in sub.choices.values():
        p.add_argument("--lenient", action="store_true", help="skip bad records (and count them) instead of failing")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CorpusError as e:
        for err in e.errors[:MAX_SHOWN]:
            print(f"error: {err}", file=sys.stderr)
        if len(e.errors) > MAX_SHOWN:
            print(f"error: ... {len(e.errors) - MAX_SHOWN} more", file=sys.stderr)
        print(f"{len(e.errors)} bad record(s); fix them or pass --lenient to skip them", file=sys.stderr)
        return 1
    except (DataError, ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
