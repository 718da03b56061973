"""ONNX export. The graph holds the encoder and the head's output tensor (softmax log-probabilities, CRF
emissions, GlobalPointer span scores, or Cascade's tagger outputs and type parts), with dynamic batch and
length; Viterbi and span search stay outside it (`decode_outputs`), as do tokenisation and features. The
exported directory is the model directory plus `model.onnx`, and `zhner.load` runs it with onnxruntime;
`check_export` compares its spans and scores with PyTorch's.
Every encoder (BiLSTM, IDCNN, transformer; char or word level, any features) × every head. A transformer is
traced with its eager attention (MatMul, Softmax), not PyTorch's fused SDPA kernel, whose traced graph ran at
0.73× PyTorch's speed in onnxruntime where the eager graph runs faster than PyTorch.
"""
from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from .files import atomic_file
from .nn.encoders import Transformer
from .windows import by_length

SAMPLES = ("国务院总理李强在北京会见了世界银行行长彭安杰。", "上海", "好",
           "据新华社报道，中国科学院和清华大学的研究人员昨天在上海举行的会议上介绍了新成果。",
           "王小明上周去了广州市天河区，又从深圳坐高铁回到武汉。" * 3, "Apple 公司 CEO 访问 北京 。")
INPUTS = ("chars", "mask", "bigrams", "words", "postags", "lex_ids", "lex_weights", "piece_input_ids",
          "piece_attention_mask", "piece_token_type_ids", "piece_index")


def _per_character(name: str) -> bool:
    """Whether input `name`'s axis 1 runs over characters (the others, word pieces)."""
    return not name.startswith("piece_") or name == "piece_index"


class _Graph(torch.nn.Module):
    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *tensors):
        batch = dict(zip(self.names, tensors))
        return self.model.head.outputs(self.model.encoder(batch), batch)


def export_onnx(model, out_dir, quantize: bool = False) -> Path:
    """Write the model directory plus `model.onnx`; `quantize` stores int8 weights (onnxruntime's dynamic
    quantization: activations are quantized at run time), which is faster on CPU but not bit-identical."""
    out_dir = Path(out_dir)
    model.save(out_dir)
    model.eval()
    batch = model.make_batch(["北京欢迎你。", "上海"])
    names = [k for k in INPUTS if k in batch]
    axes = {k: {0: "batch", 1: "length" if _per_character(k) else "pieces",
                **({3: "words_per_set"} if k.startswith("lex_") else {})} for k in names}
    axes["outputs"] = {0: "batch", **dict(zip(model.head.length_axes, ("length", "length2")))}
    bert = model.encoder.model if isinstance(model.encoder, Transformer) else None
    attention = bert.config._attn_implementation if bert is not None else None
    with atomic_file(out_dir / "model.onnx") as tmp:
        try:
            if bert is not None:       # plain MatMul/Softmax attention, which onnxruntime fuses; traced SDPA is slow
                bert.set_attn_implementation("eager")
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                graph = _Graph(model, names).eval()       # the exporter restores the wrapper's mode afterwards
                torch.onnx.export(graph, tuple(batch[k] for k in names), str(tmp), input_names=names,
                                  output_names=["outputs"], dynamic_axes=axes, opset_version=17, dynamo=False)
        finally:
            if bert is not None:
                bert.set_attn_implementation(attention)
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic
            with atomic_file(tmp) as int8:
                quantize_dynamic(str(tmp), str(int8), weight_type=QuantType.QInt8)
    return out_dir


def check_export(model, onnx_dir, texts=SAMPLES) -> dict:
    """Predict `texts` with the PyTorch model and with the exported graph: how many texts get the same spans
    (start, end, label), how many spans there are, and the largest difference between their scores."""
    from .model import load
    texts = list(texts)
    ours, theirs = model.predict(texts), load(onnx_dir).predict(texts)
    scores = [abs(a.score - b.score) for x, y in zip(ours, theirs) if x == y for a, b in zip(x, y)]
    return {"texts": len(texts), "same": sum(x == y for x, y in zip(ours, theirs)),
            "spans": sum(map(len, ours)), "score_diff": max(scores, default=0.0)}


class OnnxRunner:
    """Computes a head's outputs with onnxruntime, for `NERModel.decode`. A batch's rows are grouped by length
    (a row joins a group while it is at least 3/4 as long as the group's longest) and each group runs with
    its own padding, as `predict` cuts its batches: every encoder computes padded positions. With `threads` =
    n > 1 (0: every core this process may use) the groups, cut to at least n, are computed at once by
    one-thread runs of the same session (a run releases the GIL): on the BiLSTM the recurrence's per-step
    products are too small for onnxruntime's intra-op threads to share well (BENCHMARKS.md). onnxruntime's
    memory pattern is off: it is planned and kept per input shape, and texts of every length grew a process
    by 23 MB over 3,000 batches (5 MB without it, at the same speed)."""

    def __init__(self, path, threads: int = 0):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.enable_mem_pattern = 1, False
        self.path, self.threads = str(path), threads or len(os.sched_getaffinity(0))
        self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]
        self.length_dims = [d for d, name in enumerate(self.session.get_outputs()[0].shape)
                            if str(name).startswith("length")]
        self.pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None

    def _groups(self, lengths):
        """Row indices per group, longest rows first; at least `threads` groups when there are enough rows."""
        groups = by_length(lengths)
        while len(groups) < min(self.threads, len(lengths)):
            big = max(range(len(groups)), key=lambda g: len(groups[g]))
            half = len(groups[big]) // 2
            groups[big:big + 1] = [groups[big][:half], groups[big][half:]]
        return groups

    def _run(self, feed, rows, length):
        part = {k: v[rows][:, :length] if _per_character(k) else v[rows] for k, v in feed.items()}
        return self.session.run(None, part)[0]

    def __call__(self, batch):
        feed = {k: batch[k].cpu().numpy() for k in self.names}
        mask = batch["mask"].cpu().numpy()
        lengths = np.maximum(mask.sum(1), 1)
        groups = self._groups(lengths)
        run = lambda rows: self._run(feed, rows, int(lengths[rows[0]]))         # noqa: E731
        parts = list(self.pool.map(run, groups)) if self.pool is not None and len(groups) > 1 else map(run, groups)
        out = None
        for rows, part in zip(groups, parts):
            if out is None:
                shape = list(part.shape)
                for d in self.length_dims:
                    shape[d] = mask.shape[1]
                out = np.zeros([len(lengths)] + shape[1:], dtype=part.dtype)
            out[tuple([rows] + [slice(0, n) for n in part.shape[1:]])] = part
        return torch.from_numpy(out)
