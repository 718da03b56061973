"""Batch prediction over many files on a Dask cluster.

Inputs are text files (one text per line) or JSONL files (a "text" field per line), given as a directory
(every *.txt / *.jsonl inside, recursively) or a glob. Each file is cut into shards of `shard_size` lines
(byte offsets found by one scan); each shard is one task that reads its lines, tags them and writes
`<output>/<file>.<k>.jsonl` through a temporary name, so a shard file exists only when complete. Output
records are `{"line", "text", "spans"}`, or `{"line", "error"}` for a line that cannot be read: every input
line is accounted for. Workers load the model once and keep it. A rerun skips shards already written.
`<output>/manifest.json` lists every shard: input, lines, output, records, errors.
"""
from __future__ import annotations

import glob
import json
import os
from pathlib import Path

from .files import atomic_text

_MODELS: dict = {}


def input_files(spec: str) -> list[Path]:
    path = Path(spec)
    if path.is_dir():
        files = [p for p in sorted(path.rglob("*")) if p.suffix in (".txt", ".jsonl") and p.is_file()]
    else:
        files = [Path(p) for p in sorted(glob.glob(spec)) if Path(p).is_file()]
    if not files:
        raise FileNotFoundError(f"{spec}: no .txt or .jsonl input files")
    return files


def plan(files, output: Path, shard_size: int) -> list[dict]:
    """One entry per shard: file, byte offset, first line (1-based), line count, output path."""
    shards = []
    names = {}
    for f in files:
        stem = f.name if f.name not in names else f"{f.parent.name}_{f.name}"
        names[stem] = f
        offset, line, start_offset, start_line, count = 0, 1, 0, 1, 0
        with open(f, "rb") as fh:
            for raw in fh:
                if count == shard_size:
                    shards.append(_shard(f, start_offset, start_line, count, output, stem, len(shards)))
                    start_offset, start_line, count = offset, line, 0
                offset += len(raw)
                line += 1
                count += 1
        if count:
            shards.append(_shard(f, start_offset, start_line, count, output, stem, len(shards)))
    return shards


def _shard(f, offset, line, count, output, stem, k):
    return {"input": str(f), "offset": offset, "first_line": line, "lines": count,
            "output": str(output / f"{stem}.{k:05d}.jsonl")}


def _texts(shard):
    """(line number, text or error message, is_error) for each line of the shard."""
    jsonl = shard["input"].endswith(".jsonl")
    with open(shard["input"], "rb") as fh:
        fh.seek(shard["offset"])
        for i in range(shard["lines"]):
            raw, lineno = fh.readline(), shard["first_line"] + i
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
                if jsonl:
                    obj = json.loads(line)
                    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                        raise ValueError('expected an object with a string "text"')
                    line = obj["text"]
                yield lineno, line, False
            except (UnicodeDecodeError, ValueError) as e:
                yield lineno, f"{shard['input']}:{lineno}: {type(e).__name__}: {e}", True


def predict_shard(shard: dict, model_path: str | list[str] | None, batch_size: int = 64) -> dict:
    """Runs on a worker: tag one shard and write its output file."""
    from .model import load
    key = str(model_path or "")
    if key not in _MODELS:
        _MODELS[key] = load(model_path)
    model = _MODELS[key]
    rows = list(_texts(shard))
    good = [(n, t) for n, t, bad in rows if not bad]
    spans = dict(zip([n for n, _ in good], model.predict([t for _, t in good], batch_size=batch_size)))
    out = Path(shard["output"])
    with atomic_text(out) as f:
        for n, t, bad in rows:
            record = {"line": n, "error": t} if bad else \
                {"line": n, "text": t, "spans": [s.to_dict(t) for s in spans[n]]}
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return {**shard, "records": len(rows), "errors": len(rows) - len(good)}


def client_for(spec: str):
    from dask.distributed import Client, LocalCluster
    if spec.startswith("local"):
        _, _, n = spec.partition(":")
        cluster = LocalCluster(n_workers=int(n or os.cpu_count() or 1), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        return Client(cluster)
    return Client(spec)


def run(inputs: str, output, model_path: str | list[str] | None, cluster: str = "local:2", shard_size: int = 10_000,
        batch_size: int = 64, client=None) -> dict:
    """Tag every input shard on the cluster; returns counts of shards run and skipped."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    shards = plan(input_files(inputs), output, shard_size)
    todo = [s for s in shards if not Path(s["output"]).exists()]
    own = client is None
    client = client or client_for(cluster)
    try:
        futures = client.map(predict_shard, todo, model_path=model_path, batch_size=batch_size, pure=False)
        done = {r["output"]: r for r in client.gather(futures)}
    finally:
        if own:
            cluster_obj = client.cluster
            client.close()
            if cluster_obj is not None:
                cluster_obj.close()
    previous = {}
    manifest_path = output / "manifest.json"
    if manifest_path.exists():
        previous = {s["output"]: s for s in json.loads(manifest_path.read_text())["shards"]}
    entries = [done.get(s["output"]) or previous.get(s["output"]) or s for s in shards]
    with atomic_text(manifest_path) as f:
        json.dump({"inputs": inputs, "model": model_path, "shards": entries}, f, ensure_ascii=False, indent=1)
    return {"shards": len(shards), "ran": len(todo), "skipped": len(shards) - len(todo),
            "records": sum(e.get("records", 0) for e in entries), "errors": sum(e.get("errors", 0) for e in entries)}
