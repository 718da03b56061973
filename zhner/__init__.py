"""zhner: Chinese named-entity recognition that trains in minutes on a CPU."""
import os

# oneDNN (PyTorch's CPU kernels for the LSTM and convolutions) keeps one compiled primitive per input shape, up to
# 1024 by default; with texts of every length a long-running predictor grew by hundreds of MB. 64 bounds it at no
# measured cost in speed (benchmarks/NOTES.md). Read when torch first runs such a kernel; the user's value wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")

from .corpora import Corpus, read_corpus, write_corpus
from .metrics import evaluate
from .spans import DataError, Example, Span

__version__ = "0.1.0"
__all__ = ["Span", "Example", "DataError", "Corpus", "read_corpus", "write_corpus", "evaluate", "load"]


def load(path=None, device=None, onnx=None, threads=0):
    """Load a model directory (default: the bundled MSRA model); an ONNX export runs with onnxruntime on
    `threads` cores (0: all) unless `onnx=False`; `device` moves a PyTorch model. Imports torch on first use."""
    from .model import load as _load
    return _load(path, device, onnx, threads)
