"""zhner: Chinese named-entity recognition that trains in minutes on a CPU."""
from .corpora import Corpus, read_corpus, write_corpus
from .metrics import evaluate
from .spans import DataError, Example, Span

__version__ = "0.1.0"
__all__ = ["Span", "Example", "DataError", "Corpus", "read_corpus", "write_corpus", "evaluate", "load"]


def load(path=None):
    """Load a model directory (default: the bundled MSRA model). Imports torch on first use."""
    from .model import load as _load
    return _load(path)
