"""zhner's BiLSTM (two one-way LSTMs over end-padded texts, which PyTorch runs with oneDNN's fused LSTM)
against the packed `nn.LSTM(bidirectional=True)` it replaced, in one process, one thread, the two run one after
another in each of 3 rounds (median counts):
- predict: the bundled model on all of MSRA test (batches of 64), spans compared;
- training: `configs/msra.toml` without its vector files (they only initialise the tables), one epoch on MSRA
  train's first `--limit` records, seconds per epoch from the run's log (held-out scoring included).
Each row also records the CPU and one matrix product (2,752 × 256 by 256 × 1,024) through PyTorch's BLAS (MKL
in the PyPI wheels) and through oneDNN (`torch.utils.mkldnn`), the cause of the difference where it is large.
Appends to benchmarks/results/bilstm.jsonl.

    python benchmarks/bilstm.py [--limit 3000] [--rounds 3]
"""
import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from report import commit, identical_texts, machine
from zhner import evaluate, read_corpus
from zhner.config import load_config
from zhner.model import load
from zhner.nn.encoders import BiLSTM
from zhner.training import train

ROOT = Path(__file__).resolve().parents[1]
MSRA = ROOT.parent / "shared" / "data" / "msra"
ONE_WAY = BiLSTM.forward


def packed(self, batch):
    """The encoder before session 33: one bidirectional nn.LSTM over packed sequences."""
    x = self.embed(batch)
    lengths = batch["mask"].sum(1).clamp(min=1).cpu()
    out, _ = self.lstm(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    return self.dropout(pad_packed_sequence(out, batch_first=True, total_length=x.size(1))[0])


def gflops(f, flop, n=30):
    f()
    t = time.perf_counter()
    for _ in range(n):
        f()
    return flop * n / (time.perf_counter() - t) / 1e9


def gemm_probe() -> dict:
    from torch.utils.mkldnn import to_mkldnn
    a, linear = torch.randn(2752, 256), torch.nn.Linear(256, 1024, bias=False).eval()
    onednn, a_onednn = to_mkldnn(torch.nn.Sequential(linear)), a.to_mkldnn()
    flop = 2 * 2752 * 256 * 1024
    with torch.no_grad():
        return {"blas_gflops": gflops(lambda: linear(a), flop), "onednn_gflops": gflops(lambda: onednn(a_onednn), flop)}


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--limit", type=int, default=3000, help="MSRA train records of the training rows")
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)
    gold = read_corpus(MSRA / "msra_test_bio").examples
    texts = [ex.text for ex in gold]
    model = load(None, onnx=False)
    model.predict(texts[:64])
    seconds = {"packed": [], "one_way": []}
    spans, epochs, f1 = {}, {"packed": [], "one_way": []}, {}
    for _ in range(args.rounds):
        for name, forward in (("packed", packed), ("one_way", ONE_WAY)):
            BiLSTM.forward = forward
            t = time.perf_counter()
            spans[name] = model.predict(texts)
            seconds[name].append(time.perf_counter() - t)
            with tempfile.TemporaryDirectory() as tmp:
                cfg = load_config(ROOT / "configs" / "msra.toml", {
                    "data.train": str(MSRA / "msra_train_bio"), "data.limit": str(args.limit),
                    "model.char_vectors": "", "model.bigram_vectors": "", "model.word_vectors": "",
                    "train.epochs": "1", "train.min_steps": "0", "train.threads": "1", "train.output": tmp})
                train(cfg)
                log = json.loads((Path(tmp) / "log.jsonl").read_text().splitlines()[0])
                epochs[name].append(log["seconds"])
                f1[name] = log["dev_f1"]
    BiLSTM.forward = ONE_WAY
    row = {"bench": "bilstm", "commit": commit(), "machine": machine(), **gemm_probe(), "rounds": args.rounds,
           "predict_texts": len(texts), "limit": args.limit,
           "identical_texts": identical_texts(spans["packed"], spans["one_way"])}
    for name in seconds:
        row[f"{name}_predict_seconds"] = statistics.median(seconds[name])
        row[f"{name}_predict_f1"] = evaluate(gold, spans[name]).micro.f1
        row[f"{name}_epoch_seconds"] = statistics.median(epochs[name])
        row[f"{name}_dev_f1"] = f1[name]
    print(json.dumps(row))
    with open(ROOT / "benchmarks" / "results" / "bilstm.jsonl", "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
