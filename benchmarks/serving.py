"""Issue-7 benchmark: the REST server under load on loopback, ONNX Runtime vs PyTorch, Dask 1 vs 2 workers.
Appends JSON lines to benchmarks/results/serving.jsonl; `report.py` renders them.

    python benchmarks/serving.py [--model DIR] [--requests 2000] [--skip-server] [--skip-onnx] [--skip-dask]
"""
from __future__ import annotations

import argparse
from functools import partial
import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results" / "serving.jsonl"


def msra_texts():
    from zhner import read_corpus
    return [ex.text for ex in read_corpus(DATA / "msra/msra_test_bio").examples]


def record(row, path=RESULTS):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    row["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(json.dumps(row, ensure_ascii=False))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_clients(port, texts, clients: int, requests: int):
    """`clients` threads, each with one keep-alive connection, send `requests` POST /predict in all."""
    latencies, errors, lock = [], 0, threading.Lock()
    per_client = requests // clients

    def client(k):
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(per_client):
            body = json.dumps({"text": texts[(k * per_client + i) % len(texts)]}, ensure_ascii=False).encode()
            t = time.perf_counter()
            try:
                conn.request("POST", "/predict", body, {"content-type": "application/json"})
                res = conn.getresponse()
                res.read()
                ok = res.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                latencies.append(time.perf_counter() - t)
                errors += not ok

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - start
    latencies.sort()
    return {"clients": clients, "requests": len(latencies), "errors": errors, "throughput_rps": len(latencies) / wall,
            "p50_ms": 1000 * latencies[len(latencies) // 2], "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
            "mean_ms": 1000 * statistics.mean(latencies)}


def bench_server(args):
    import psutil
    texts = [t[:50] for t in msra_texts() if len(t) >= 50]
    port = free_port()
    cmd = [sys.executable, "-m", "zhner", "serve", "--port", str(port)] + (["--model", args.model] if args.model else [])
    server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        proc = psutil.Process(server.pid)
        load_clients(port, texts, 4, 200)                                   # warm-up
        rss_before = proc.memory_info().rss / 2 ** 20
        for clients in (1, 8, 32):
            row = load_clients(port, texts, clients, args.requests)
            row.update({"bench": "server", "text_chars": 50, "rss_mb": proc.memory_info().rss / 2 ** 20,
                        "rss_before_mb": rss_before})
            record(row)
    finally:
        server.terminate()
        server.wait(10)


def bench_onnx(args):
    import torch
    from zhner.export import OnnxRunner, export_onnx
    from zhner.model import load
    texts = msra_texts()
    chars = sum(map(len, texts))
    with tempfile.TemporaryDirectory() as tmp:
        export_onnx(load(args.model, onnx=False), tmp)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            ref, onnx_model = load(tmp, onnx=False), load(tmp)
            onnx_model.onnx = OnnxRunner(Path(tmp) / "model.onnx", threads)
            row = {"bench": "onnx", "threads": threads, "texts": len(texts), "chars": chars}
            spans = {}
            for name, m in (("pytorch", ref), ("onnx", onnx_model)):
                m.predict(texts[:64])
                t = time.perf_counter()
                spans[name] = m.predict(texts, batch_size=64)
                row[f"{name}_chars_per_s"] = chars / (time.perf_counter() - t)
            row["identical_spans"] = [[(s.start, s.end, s.label) for s in p] for p in spans["pytorch"]] == \
                [[(s.start, s.end, s.label) for s in p] for p in spans["onnx"]]
            row["speedup"] = row["onnx_chars_per_s"] / row["pytorch_chars_per_s"]
            record(row)


def bench_dask(args):
    from dask.distributed import Client, LocalCluster
    from zhner.distributed import run
    texts = msra_texts()
    with tempfile.TemporaryDirectory() as tmp:
        inputs = Path(tmp) / "in"
        inputs.mkdir()
        for k in range(4):
            (inputs / f"part{k}.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                client.run(lambda: __import__("torch").set_num_threads(1))
                t = time.perf_counter()
                stats = run(str(inputs), Path(tmp) / f"out{workers}", args.model, shard_size=1000, client=client)
                seconds = time.perf_counter() - t
            record({"bench": "dask", "workers": workers, "seconds": seconds, "records": stats["records"],
                    "chars_per_s": 4 * sum(map(len, texts)) / seconds, "shards": stats["shards"]})


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default=None, help="model directory (default: the bundled model)")
    p.add_argument("--requests", type=int, default=2000, help="requests per concurrency level")
    p.add_argument("--results", default=str(RESULTS))
    for part in ("server", "onnx", "dask"):
        p.add_argument(f"--skip-{part}", action="store_true")
    args = p.parse_args()
    global record
    record = partial(record, path=args.results)
    if not args.skip_server:
        bench_server(args)
    if not args.skip_onnx:
        bench_onnx(args)
    if not args.skip_dask:
        bench_dask(args)


if __name__ == "__main__":
    main()
