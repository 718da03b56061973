"""Self-training with agreement (the core-entity reference's "transfer learning" loop, for any config).

Round 0 trains on the gold data and tags the unlabelled texts. Round k ≥ 1 trains on gold + the pseudo-labels
of round k−1, tags the unlabelled texts again, and keeps as pseudo-labels the texts whose predicted span
sets are identical in rounds k−1 and k (optionally only if every span's score ≥ `threshold`); texts with
no predicted entity are never used. Round 1 trains
on all of round 0's predictions, as in the reference. Every round writes its model, predictions and
pseudo-labels under `<output>/round<k>/` and is recorded in `<output>/state.json`; a rerun resumes after
the last finished round. The best round by dev F1 is reported (never worse than round 0 by construction).
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from .config import Config
from .corpora import read_corpus, write_corpus
from .model import load
from .spans import Example, Span
from .training import say, split_dev, train


def _write_json(path: Path, obj):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _read_predictions(path: Path) -> list[list[Span]]:
    return [list(ex.spans) for ex in read_corpus(path, "jsonl").examples]


def agree(previous, current, threshold: float = 0.0) -> list[int]:
    """Indices of texts with at least one span whose span sets (position and label) are equal in both rounds
    and, with a threshold, all scored ≥ threshold in the current round."""
    keep = []
    for i, (a, b) in enumerate(zip(previous, current)):
        if b and set(a) == set(b) and all((s.score or 0.0) >= threshold for s in b):
            keep.append(i)
    return keep


def self_train(cfg: Config, unlabelled, rounds: int = 3, threshold: float = 0.0) -> list[dict]:
    unlabelled = list(unlabelled)                   # any iterable of texts; read once per round
    out = Path(cfg.train.output)
    out.mkdir(parents=True, exist_ok=True)
    state_path = out / "state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {"rounds": []}
    gold = read_corpus(cfg.data.train, cfg.data.format, cfg.data.lenient).examples
    if cfg.data.limit:
        gold = gold[:cfg.data.limit]
    if not (out / "gold.jsonl").exists():           # fix train/dev once so every round shares them
        if cfg.data.dev:
            dev = read_corpus(cfg.data.dev, "auto", cfg.data.lenient).examples
        else:
            gold, dev = split_dev(gold, cfg.data.dev_fraction, cfg.train.seed)
        write_corpus(dev, out / "dev.jsonl")
        write_corpus(gold, out / "gold.jsonl.tmp")
        os.replace(out / "gold.jsonl.tmp", out / "gold.jsonl")
    gold = read_corpus(out / "gold.jsonl", "jsonl").examples
    (out / "unlabelled.txt").write_text("".join(t.replace("\n", " ") + "\n" for t in unlabelled), encoding="utf-8")
    previous = None
    for k in range(rounds + 1):
        folder = out / f"round{k}"
        if k < len(state["rounds"]):
            say(f"round {k}: done before (dev F1 {100 * state['rounds'][k]['dev_f1']:.2f}), skipping")
            previous = _read_predictions(folder / "predictions.jsonl")
            continue
        folder.mkdir(exist_ok=True)
        pseudo = []
        if k == 1:
            pseudo = [Example(t, s) for t, s in zip(unlabelled, previous) if s]
        elif k > 1:
            pseudo = read_corpus(out / f"round{k - 1}" / "pseudo.jsonl", "jsonl").examples \
                if (out / f"round{k - 1}" / "pseudo.jsonl").stat().st_size else []
        write_corpus(gold + pseudo, folder / "train.jsonl")
        round_cfg = copy.deepcopy(cfg)
        round_cfg.data.train, round_cfg.data.dev, round_cfg.data.limit = str(folder / "train.jsonl"), \
            str(out / "dev.jsonl"), 0
        round_cfg.train.output = str(folder)
        result = train(round_cfg)
        predictions = load(result.model_dir).predict(unlabelled)
        write_corpus([Example(t, s) for t, s in zip(unlabelled, predictions)], folder / "predictions.jsonl")
        kept = agree(previous, predictions, threshold) if previous is not None else []
        write_corpus([Example(unlabelled[i], predictions[i]) for i in kept], folder / "pseudo.jsonl")
        row = {"round": k, "dev_f1": result.dev.micro.f1, "dev_precision": result.dev.micro.precision,
               "dev_recall": result.dev.micro.recall, "pseudo_texts_used": len(pseudo),
               "pseudo_spans_used": sum(len(e.spans) for e in pseudo), "agreed_texts": len(kept)}
        state["rounds"].append(row)
        _write_json(state_path, state)
        say(f"round {k}: dev F1 {100 * row['dev_f1']:.2f}, trained on {len(pseudo)} pseudo-labelled texts, "
            f"{len(kept)} texts agreed with the previous round")
        previous = predictions
    best = max(state["rounds"], key=lambda r: r["dev_f1"])
    state["best_round"] = best["round"]
    _write_json(state_path, state)
    return state["rounds"]
