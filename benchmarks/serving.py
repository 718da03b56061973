"""Issue-7 benchmark: the REST server under load on loopback, ONNX Runtime vs PyTorch, Dask 1 vs 2 workers.
Appends JSON lines to benchmarks/results/serving.jsonl; `report.py` renders them.

    python benchmarks/serving.py [--model DIR] [--requests 2000] [--skip-server] [--skip-onnx] [--skip-dask]
    python benchmarks/serving.py --skip-server --skip-dask --onnx-models bundled,transformer
    python benchmarks/serving.py --sustained 20000 --clients 64 --skip-server --skip-onnx --skip-dask

`--sustained N` (issue 8) sends N requests from `--clients` keep-alive clients while one abusive client
(none with `--no-abuse`) cycles through oversized bodies, deeply nested JSON, wrong content types, stalled
bodies and hang-ups; it records the good clients' errors and latency, what the abuser was answered, and the
server's RSS sampled every 0.5 s (highest and median sample per quarter of the run). The texts are MSRA test
sentences cut to 50 characters, or with `--varied` each to a random length (1 to the whole sentence), so the
model sees batches of every shape.
"""
from __future__ import annotations

import argparse
import itertools
from collections import Counter
from functools import partial
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from report import identical_texts
from zhner.config import Limits

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

    def client(k):
        nonlocal errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(k, requests, clients):
            body = json.dumps({"text": texts[i % len(texts)]}, ensure_ascii=False).encode()
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


def start_server(args, texts, *extra):
    """A `zhner serve` subprocess on a free port, once /health answers and 200 requests of `texts` from 4
    clients have warmed it up: (process, port)."""
    port = free_port()
    cmd = [sys.executable, "-m", "zhner", "serve", "--port", str(port), *extra] + \
        (["--model", args.model] if args.model else [])
    server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
    load_clients(port, texts, 4, 200)
    return server, port


def abuse(port, stop: threading.Event, answers: Counter):
    """Until `stop`: oversized, deeply nested, wrongly typed, stalled and abandoned requests; counts replies."""
    head = "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n"
    bodies = [("oversized", "application/json", b'{"text": "' + b"x" * 3_000_000 + b'"}'),
              ("nested", "application/json", b"[" * 100_000 + b"]" * 100_000),
              ("wrong type", "text/plain", b"text=abc"),
              ("stalled", "application/json", None), ("hang-up", "application/json", b'{"text": "abc"}')]
    while not stop.is_set():
        for name, ctype, body in bodies:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                if body is None:                                     # promises 100 bytes, sends 10
                    s.sendall(head.format(ctype, 100).encode() + b'{"text": "')
                elif name == "hang-up":
                    s.sendall(head.format(ctype, len(body)).encode() + body[:5])
                    answers[name] += 1
                    continue
                else:
                    try:
                        s.sendall(head.format(ctype, len(body)).encode() + body)
                    except OSError:                                  # the server answered early and closed
                        pass
                res = http.client.HTTPResponse(s)
                try:
                    res.begin()
                    answers[f"{name} -> {res.status}"] += 1
                except OSError:
                    answers[f"{name} -> connection closed"] += 1


def bench_sustained(args):
    import psutil
    rng = random.Random(0)
    texts = [t[:rng.randint(1, len(t))] for t in msra_texts()] if args.varied else \
        [t[:50] for t in msra_texts() if len(t) >= 50]
    server, port = start_server(args, texts, "--body-timeout-s", "2", "--primitive-cache", str(args.primitive_cache))
    proc = psutil.Process(server.pid)
    try:
        rss, stop, answers = [], threading.Event(), Counter()
        sampler = threading.Thread(target=lambda: [rss.append(proc.memory_info().rss / 2 ** 20) or time.sleep(0.5)
                                                   for _ in iter(stop.is_set, True)])
        abuser = threading.Thread(target=abuse, args=(port, stop, answers)) if not args.no_abuse else None
        sampler.start()
        if abuser:
            abuser.start()
        row = load_clients(port, texts, args.clients, args.sustained)
        stop.set()
        sampler.join()
        if abuser:
            abuser.join()
        tenth, quarter = max(1, len(rss) // 10), max(1, len(rss) // 4)
        quarters = [rss[k * quarter:(k + 1) * quarter] or rss[-1:] for k in range(4)]
        row.update({"bench": "sustained", "model": args.model or "bundled",
                    "text_chars": "1–all" if args.varied else 50,
                    "onednn_cache": str(args.primitive_cache),
                    "rss_start_mb": rss[0], "rss_end_mb": rss[-1], "rss_max_mb": max(rss),
                    "rss_first_tenth_mb": max(rss[:tenth]), "rss_last_tenth_mb": max(rss[-tenth:]),
                    "rss_samples": len(rss), "abuse": dict(answers),
                    "rss_quarters_mb": [max(q) for q in quarters],
                    "rss_quarter_medians_mb": [statistics.median(q) for q in quarters]})
        record(row)
    finally:
        server.terminate()
        server.wait(10)


def bench_server(args):
    """1, 8 and 32 clients against a fresh server for each `--server-threads` setting (`zhner serve --threads`)."""
    import psutil
    texts = [t[:50] for t in msra_texts() if len(t) >= 50]
    run = time.strftime("%Y-%m-%d %H:%M:%S")
    for threads in map(int, args.server_threads.split(",")):
        server, port = start_server(args, texts, "--threads", str(threads))
        try:
            proc = psutil.Process(server.pid)
            rss_before = proc.memory_info().rss / 2 ** 20
            for clients in (1, 8, 32):
                row = load_clients(port, texts, clients, args.requests)
                row.update({"bench": "server", "text_chars": 50, "rss_mb": proc.memory_info().rss / 2 ** 20,
                            "rss_before_mb": rss_before, "server_threads": threads, "run": run})
                record(row)
        finally:
            server.terminate()
            server.wait(10)


def small_transformer(folder: Path) -> Path:
    """A BERT-CRF over characters for the ONNX rows: a randomly initialised 4-layer, 256-wide BERT built
    locally (vocabulary: MSRA train characters seen twice) and trained with `zhner train` on 10,000 MSRA
    sentences for 2 epochs. Nothing is downloaded; the F1 is low, the speed is what the row measures."""
    if (folder / "train" / "model" / "config.json").exists():
        return folder / "train" / "model"
    from collections import Counter
    from zhner import read_corpus
    from zhner.config import load_config
    from zhner.nn.encoders import random_bert
    from zhner.training import train
    counts = Counter(c for ex in read_corpus(DATA / "msra/msra_train_bio").examples for c in ex.text)
    chars = sorted(c for c, n in counts.items() if n >= 2 and not c.isspace())
    bert = random_bert(folder / "bert", chars, hidden=256, layers=4, heads=4, intermediate=1024)
    cfg = load_config(None, {"data.train": str(DATA / "msra/msra_train_bio"), "data.limit": "10000",
                             "data.dev_fraction": "0.05", "model.encoder": "transformer",
                             "model.transformer": str(bert), "model.head": "crf", "model.max_length": "256",
                             "train.epochs": "2", "train.encoder_lr": "5e-4", "train.lr": "2e-3",
                             "train.threads": "1", "train.output": str(folder / "train")})
    return train(cfg).model_dir


def bench_onnx(args):
    """PyTorch vs ONNX Runtime (float32, and int8 weights) on MSRA test, side by side at 1 and 2 threads,
    for each model of `--onnx-models` (`transformer`: the BERT-CRF of `small_transformer`); each speed is the
    median of `--onnx-rounds` rounds that run the three one after another."""
    import torch
    from zhner import evaluate, read_corpus
    from zhner.export import OnnxRunner, export_onnx
    from zhner.model import load
    gold = read_corpus(DATA / "msra/msra_test_bio").examples
    texts = [ex.text for ex in gold]
    chars = sum(map(len, texts))
    for source in args.onnx_models.split(","):
        path = None if source == "bundled" else \
            small_transformer(ROOT / "runs" / "onnx_transformer") if source == "transformer" else Path(source)
        with tempfile.TemporaryDirectory() as tmp:
            fp32, int8 = export_onnx(load(path, onnx=False), Path(tmp) / "fp32"), Path(tmp) / "int8"
            export_onnx(load(path, onnx=False), int8, quantize=True)
            for threads, batch in itertools.product(map(int, args.onnx_threads.split(",")),
                                                    map(int, args.onnx_batches.split(","))):
                torch.set_num_threads(threads)
                models = {"pytorch": load(fp32, onnx=False), "onnx": load(fp32), "onnx_int8": load(int8)}
                for name in ("onnx", "onnx_int8"):
                    models[name].onnx = OnnxRunner(Path(models[name].onnx.path), threads)
                row, spans = {"bench": "onnx", "model": source, "encoder": models["pytorch"].cfg.encoder,
                              "head": models["pytorch"].cfg.head, "threads": threads, "batch": batch,
                              "arrival": args.onnx_arrival,
                              "texts": len(texts), "chars": chars}, {}
                seconds = {name: [] for name in models}
                for m in models.values():                           # warm-up
                    m.predict(texts[:64])
                for _ in range(args.onnx_rounds):                   # interleaved: the machine's drift hits all
                    for name, m in models.items():
                        t = time.perf_counter()
                        if args.onnx_arrival:   # one call per `batch` texts in file order, like a server's
                            spans[name] = [p for k in range(0, len(texts), batch)
                                           for p in m.predict(texts[k:k + batch], batch_size=batch)]
                        else:                   # sorted by length over all texts
                            spans[name] = m.predict(texts, batch_size=batch)
                        seconds[name].append(time.perf_counter() - t)
                for name in models:
                    row[f"{name}_chars_per_s"] = chars / statistics.median(seconds[name])
                    row[f"{name}_f1"] = evaluate(gold, spans[name]).micro.f1
                row["rounds"] = args.onnx_rounds
                for name in ("onnx", "onnx_int8"):
                    row[f"{name}_identical_texts"] = identical_texts(spans["pytorch"], spans[name])
                    row[f"{name}_speedup"] = row[f"{name}_chars_per_s"] / row["pytorch_chars_per_s"]
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
    p.add_argument("--server-threads", default="1,2", help="comma-separated `zhner serve --threads` settings")
    p.add_argument("--sustained", type=int, default=0, help="requests of the sustained-load run (0: skip it)")
    p.add_argument("--clients", type=int, default=64, help="concurrent clients of the sustained-load run")
    p.add_argument("--no-abuse", action="store_true", help="the sustained-load run without the abusive client")
    p.add_argument("--varied", action="store_true", help="the sustained-load run with texts of every length")
    p.add_argument("--primitive-cache", type=int, default=Limits().primitive_cache,
                   help="`zhner serve --primitive-cache` of the sustained-load run")
    p.add_argument("--onnx-models", default="bundled",
                   help="comma-separated for the ONNX rows: bundled, transformer, or model directories")
    p.add_argument("--onnx-threads", default="1,2", help="comma-separated thread counts for the ONNX rows")
    p.add_argument("--onnx-batches", default="64", help="comma-separated texts per `predict` call for the ONNX rows")
    p.add_argument("--onnx-arrival", action="store_true",
                   help="ONNX rows: predict each `batch` texts in file order (mixed lengths) instead of all at once")
    p.add_argument("--onnx-rounds", type=int, default=3, help="interleaved rounds; the median time counts")
    p.add_argument("--results", default=str(RESULTS))
    for part in ("server", "onnx", "dask"):
        p.add_argument(f"--skip-{part}", action="store_true")
    args = p.parse_args()
    global record
    record = partial(record, path=args.results)
    if args.sustained:
        bench_sustained(args)
    if not args.skip_server:
        bench_server(args)
    if not args.skip_onnx:
        bench_onnx(args)
    if not args.skip_dask:
        bench_dask(args)


if __name__ == "__main__":
    main()
