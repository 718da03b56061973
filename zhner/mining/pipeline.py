"""`zhner mine run --config mine.toml`: discover words in the domain and background corpora, compare them,
filter them by rules, and (with seed words) expand semantically with word2vec trained on the domain corpus
segmented by its own discovered lexicon. Writes under `output`: domain.tsv, background.tsv, compared.tsv,
terms.tsv (the lexicon to use) and, with seeds, expanded.tsv.

    output = "runs/mine"
    [domain]      inputs = ["reviews.csv::review"]
    [background]  inputs = ["news.txt::0"]
    [discover]    method = "ngram", max_n = 4, min_count = 5, min_pmi = 0.5, min_entropy = 0.0, max_entries = 5000000,
                  min_proba = 1e-6      # method "cut": the reference's Word_Finder (min_pmi, min_proba)
    [compare]     top = 20000
    [filter]      rules = ""           # a TOML rules file; empty = the built-in defaults
    [expand]      seeds = [...], centre = [...], negative = [...], min_sim = 0.6, max_sim = 1.0, alpha = 0.25,
                  max_size = 10000, dim = 100, epochs = 5
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from ..files import atomic_text

SCHEMA = {
    "output": str,
    "domain": {"inputs": list},
    "background": {"inputs": list},
    "discover": {"method": str, "max_n": int, "min_count": int, "min_pmi": float, "min_entropy": float,
                 "max_entries": int, "min_proba": float},
    "compare": {"top": int},
    "filter": {"rules": str},
    "expand": {"seeds": list, "centre": list, "negative": list, "min_sim": float, "max_sim": float,
               "alpha": float, "max_size": int, "dim": int, "epochs": int},
}


def _check(values: dict, schema: dict, where: str):
    for key, value in values.items():
        if key not in schema:
            raise ValueError(f"{where}: unknown key {key!r} (known: {', '.join(schema)})")
        expected = schema[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ValueError(f"{where}: [{key}] must be a table")
            _check(value, expected, f"{where} [{key}]")
        elif not isinstance(value, expected) and not (expected is float and isinstance(value, int)):
            raise ValueError(f"{where}: {key} must be {expected.__name__}, got {value!r}")


def _texts(specs, lenient=True):
    from ..corpora import read_texts
    return [t for spec in specs for t in read_texts(spec, lenient=lenient)]


def run(config_path) -> Path:
    from ..features.segment import Segmenter
    from .compare import compare, read_counts
    from .discover import discover, write_tsv
    from .expand import expand
    from .filters import Rules
    config_path = Path(config_path)
    cfg = tomllib.loads(config_path.read_text(encoding="utf-8"))
    _check(cfg, SCHEMA, str(config_path))
    if not cfg.get("domain", {}).get("inputs"):
        raise ValueError(f"{config_path}: [domain] inputs is required")
    out = Path(cfg.get("output", "runs/mine"))
    out.mkdir(parents=True, exist_ok=True)
    opts = {"max_n": 4, "min_count": 5, "min_pmi": 0.5, "min_entropy": 0.0, "max_entries": 5_000_000,
            **cfg.get("discover", {})}
    domain_texts = _texts(cfg["domain"]["inputs"])
    write_tsv(discover(domain_texts, **opts), out / "domain.tsv")
    domain = read_counts(out / "domain.tsv")
    rules = Rules.load(cfg.get("filter", {}).get("rules") or None)
    if cfg.get("background", {}).get("inputs"):
        write_tsv(discover(_texts(cfg["background"]["inputs"]), **opts), out / "background.tsv")
        rows = compare(domain, read_counts(out / "background.tsv"))
    else:
        rows = [(w, n, n, 0.0) for w, n in sorted(domain.items(), key=lambda x: -x[1]) if len(w) >= 2]
    top = cfg.get("compare", {}).get("top", 0) or len(rows)
    with atomic_text(out / "compared.tsv") as f:
        f.writelines(f"{w}\t{fd:g}\t{score:.6f}\t{fb:.2f}\n" for w, score, fd, fb in rows[:top])
    kept = [(w, score, fd) for w, score, fd, _ in rows[:top] if rules.keep(w)]
    with atomic_text(out / "terms.tsv") as f:
        f.writelines(f"{w}\t{fd:g}\t{score:.6f}\n" for w, score, fd in kept)
    print(f"{len(domain)} domain words, {len(rows)} compared, {len(kept)} terms after the rules", file=sys.stderr)
    ex = cfg.get("expand", {})
    if ex.get("seeds"):
        from gensim.models import Word2Vec
        seg = Segmenter("lexicon", str(out / "domain.tsv"))
        sentences = [[t[s:e] for s, e in seg.cut(t) if not t[s:e].isspace()] for t in domain_texts]
        kv = Word2Vec(sentences, vector_size=ex.get("dim", 100), sg=1, negative=10, min_count=2,
                      epochs=ex.get("epochs", 5), workers=2, seed=42).wv
        found = expand(kv, ex["seeds"], ex.get("centre", ()), ex.get("negative", ()), ex.get("min_sim", 0.6),
                       ex.get("max_sim", 1.0), ex.get("alpha", 0.25), max_size=ex.get("max_size", 10_000),
                       keep=rules.keep)
        with atomic_text(out / "expanded.tsv") as f:
            f.writelines(f"{w}\t{int(domain.get(w, 1))}\t{d}\t{s:.4f}\n" for w, d, s in found)
        print(f"expanded {len(ex['seeds'])} seeds to {len(found)} words", file=sys.stderr)
    return out
