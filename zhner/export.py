"""ONNX export. The graph holds the encoder and the head's output tensor (softmax log-probabilities, CRF
emissions, GlobalPointer span scores, or Cascade's tagger outputs and type parts), with dynamic batch and
length; Viterbi and span search stay outside it (`decode_outputs`), as do tokenisation and features. The
exported directory is the model directory plus `model.onnx`, and `zhner.load` runs it with onnxruntime.
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

INPUTS = ("chars", "mask", "bigrams", "words", "lex_ids", "lex_weights", "piece_input_ids", "piece_attention_mask",
          "piece_token_type_ids", "piece_index")


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
    axes = {k: {0: "batch", 1: "pieces" if k.startswith("piece_") and k != "piece_index" else "length",
                **({3: "words_per_set"} if k.startswith("lex_") else {})} for k in names}
    axes["outputs"] = {0: "batch", 2: "length", 3: "length2"} if "globalpointer" in model.cfg.head else \
        {0: "batch", 1: "length"}
    bert = model.encoder.model if isinstance(model.encoder, Transformer) else None
    attention = bert.config._attn_implementation if bert is not None else None
    with atomic_file(out_dir / "model.onnx") as tmp:
        try:
            if bert is not None:       # plain MatMul/Softmax attention, which onnxruntime fuses; traced SDPA is slow
                bert.set_attn_implementation("eager")
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")
                torch.onnx.export(_Graph(model, names), tuple(batch[k] for k in names), str(tmp), input_names=names,
                                  output_names=["outputs"], dynamic_axes=axes, opset_version=17, dynamo=False)
        finally:
            if bert is not None:
                bert.set_attn_implementation(attention)
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic
            with atomic_file(tmp) as int8:
                quantize_dynamic(str(tmp), str(int8), weight_type=QuantType.QInt8)
    return out_dir


class OnnxRunner:
    """Computes a head's outputs with onnxruntime, for `NERModel.decode`. With `threads` = n > 1 (0: every
    core this process may use) a batch is cut into n row slices that one-thread runs of the same session
    compute at once (a run releases the GIL): on the BiLSTM the recurrence's per-step products are too small
    for onnxruntime's intra-op threads to share well (BENCHMARKS.md). onnxruntime's memory pattern is off: it
    is planned and kept per input shape, and texts of every length grew a process by 23 MB over 3,000 batches
    (5 MB without it, at the same speed)."""

    def __init__(self, path, threads: int = 0):
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.enable_mem_pattern = 1, False
        self.path, self.threads = str(path), threads or len(os.sched_getaffinity(0))
        self.session = ort.InferenceSession(self.path, options, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]
        self.pool = ThreadPoolExecutor(self.threads) if self.threads > 1 else None

    def __call__(self, batch):
        feed = {k: batch[k].cpu().numpy() for k in self.names}
        rows = len(feed[self.names[0]])
        if self.pool is None or rows < 2:
            return torch.from_numpy(self.session.run(None, feed)[0])
        cuts = np.linspace(0, rows, min(self.threads, rows) + 1).astype(int)
        parts = [{k: v[a:b] for k, v in feed.items()} for a, b in zip(cuts, cuts[1:])]
        return torch.from_numpy(np.concatenate(list(self.pool.map(lambda f: self.session.run(None, f)[0], parts))))
