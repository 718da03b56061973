"""Dask batch prediction on a LocalCluster of 2 worker processes."""
import json
import subprocess
import sys

import pytest

from helpers import tiny_corpus
from zhner.model import load


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from zhner import write_corpus
    from zhner.config import load_config
    from zhner.training import train
    folder = tmp_path_factory.mktemp("dask")
    write_corpus(tiny_corpus(), folder / "train.jsonl")
    return train(load_config(None, {"data.train": str(folder / "train.jsonl"), "model.hidden": "32",
                                    "train.epochs": "8", "train.lr": "1e-2", "train.threads": "1",
                                    "train.output": str(folder / "run")})).model_dir


def test_local_cluster_shards_manifest_and_rerun(model_dir, tmp_path):
    from dask.distributed import Client, LocalCluster
    from zhner.distributed import run
    inputs = tmp_path / "in"
    (inputs / "sub").mkdir(parents=True)
    texts = [ex.text for ex in tiny_corpus(25, seed=7)]
    (inputs / "a.txt").write_text("\n".join(texts[:12]) + "\n", encoding="utf-8")
    (inputs / "sub" / "b.jsonl").write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n"
                                                    for t in texts[12:]) + "not json\n", encoding="utf-8")
    (inputs / "c.txt").write_bytes("好的\n".encode() + b"\xff\xfe\n" + "".encode())
    out = tmp_path / "out"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        stats = run(str(inputs), out, str(model_dir), shard_size=5, client=client)
        assert stats == {"shards": 7, "ran": 7, "skipped": 0, "records": 28, "errors": 2}
        workers = {w["id"] for w in client.scheduler_info()["workers"].values()}
        assert len(workers) == 2
        records = [json.loads(line) for p in sorted(out.glob("*.jsonl")) for line in p.read_text().splitlines()]
        by_text = {r["text"]: r["spans"] for r in records if "text" in r}
        expected = load(model_dir).predict(texts)
        assert [[(s["start"], s["end"], s["label"]) for s in by_text[t]] for t in texts] == \
            [[(s.start, s.end, s.label) for s in p] for p in expected]
        errors = [r for r in records if "error" in r]
        assert {(e["line"], "b.jsonl" in e["error"]) for e in errors} == {(14, True), (2, False)}
        first = sorted(out.glob("a.txt.*.jsonl"))[0]
        first.unlink()
        again = run(str(inputs), out, str(model_dir), shard_size=5, client=client)
        assert (again["ran"], again["skipped"]) == (1, 6) and first.exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["shards"]) == 7 and sum(s["records"] for s in manifest["shards"]) == 28


def test_cli_with_local_cluster(model_dir, tmp_path):
    (tmp_path / "x.txt").write_text("昨天张伟去了北京市，张伟很开心。\n", encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "--model", str(model_dir), "--input",
                          str(tmp_path / "*.txt"), "--output", str(tmp_path / "out"), "--dask", "local:2"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "1 shards (1 run, 0 already done), 1 records" in res.stderr
    twice = subprocess.run([sys.executable, "-m", "zhner", "predict", "--model", str(model_dir), "--model",
                            str(model_dir), "--input", str(tmp_path / "*.txt"), "--output", str(tmp_path / "out2"),
                            "--dask", "local:2"], capture_output=True, text=True)      # one model twice: an ensemble
    assert twice.returncode == 0, twice.stderr
    assert (tmp_path / "out2" / "x.txt.00000.jsonl").read_text() == (tmp_path / "out" / "x.txt.00000.jsonl").read_text()
