"""ONNX export. The graph holds the encoder and the head's output tensor (softmax log-probabilities, CRF
emissions, or GlobalPointer span scores), with dynamic batch and length; Viterbi and span search stay
outside it (`decode_outputs`). The exported directory is the model directory plus `model.onnx`, and
`zhner.load` runs it with onnxruntime. Supported: BiLSTM and IDCNN encoders (char or word level, with any
features) × softmax, CRF, GlobalPointer and Efficient GlobalPointer heads.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch

INPUTS = ("chars", "mask", "bigrams", "words", "lex_ids", "lex_weights")


class _Graph(torch.nn.Module):
    def __init__(self, model, names):
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *tensors):
        batch = dict(zip(self.names, tensors))
        return self.model.head.outputs(self.model.encoder(batch), batch)


def export_onnx(model, out_dir) -> Path:
    if model.cfg.encoder == "transformer" or not hasattr(model.head, "outputs"):
        raise ValueError(f"ONNX export supports bilstm/idcnn encoders with softmax, crf and globalpointer heads, "
                         f"not {model.cfg.encoder} + {model.cfg.head}")
    out_dir = Path(out_dir)
    model.save(out_dir)
    model.eval()
    batch = model.make_batch(["北京欢迎你。", "上海"])
    names = [k for k in INPUTS if k in batch]
    axes = {k: {0: "batch", 1: "length", **({3: "words_per_set"} if k.startswith("lex_") else {})} for k in names}
    axes["outputs"] = {0: "batch", 1: "length"} if model.cfg.head in ("softmax", "crf") else \
        {0: "batch", 2: "length", 3: "length2"}
    tmp = out_dir / "model.onnx.tmp"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(_Graph(model, names), tuple(batch[k] for k in names), str(tmp), input_names=names,
                          output_names=["outputs"], dynamic_axes=axes, opset_version=17, dynamo=False)
    os.replace(tmp, out_dir / "model.onnx")
    return out_dir


class OnnxRunner:
    """Computes a head's outputs with onnxruntime, for `NERModel.decode`."""

    def __init__(self, path, threads: int = 0):
        import onnxruntime as ort
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = [i.name for i in self.session.get_inputs()]

    def __call__(self, batch):
        feed = {k: batch[k].cpu().numpy() for k in self.names}
        return torch.from_numpy(self.session.run(None, feed)[0])
