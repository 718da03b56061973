"""Heads turn encoder output H into a loss (training) and spans (prediction).

Contract: `targets(lengths, spans) -> dict of tensors` (the gold side of a batch, built per batch),
`loss(H, batch) -> scalar` and `decode(H, batch) -> list[list[Span]]` (spans with scores, offsets into the
window). Heads that can be exported split decoding into `outputs(H, batch)` (tensors, inside an ONNX graph)
and `decode_outputs(outputs, batch)` (dynamic programming or span search, outside it).
"""
from .cascade import Cascade
from .crf import CRF
from .globalpointer import EfficientGlobalPointer, GlobalPointer
from .softmax import Softmax
from .tagging import TagSet

HEADS = {"softmax": Softmax, "crf": CRF, "globalpointer": GlobalPointer,
         "efficient_globalpointer": EfficientGlobalPointer, "cascade": Cascade}

__all__ = ["HEADS", "TagSet", "Softmax", "CRF", "GlobalPointer", "EfficientGlobalPointer", "Cascade"]
