"""Heads turn encoder output H into a loss (training) and spans (prediction).

Contract: `loss(H, batch) -> scalar` and `decode(H, batch) -> list[list[Span]]` (spans with scores, offsets
into the window). Tagging heads read gold tags from `batch["tags"]`; span heads read `batch["spans"]`.
"""
from .crf import CRF
from .globalpointer import EfficientGlobalPointer, GlobalPointer
from .softmax import Softmax
from .tagging import TagSet

HEADS = {"softmax": Softmax, "crf": CRF, "globalpointer": GlobalPointer,
         "efficient_globalpointer": EfficientGlobalPointer}

__all__ = ["HEADS", "TagSet", "Softmax", "CRF", "GlobalPointer", "EfficientGlobalPointer"]
