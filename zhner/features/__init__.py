"""Input features: character and bigram vocabularies (and, later, segmenters, lexicons, word vectors)."""
from .vocab import Vocab, bigrams, normalize

__all__ = ["Vocab", "bigrams", "normalize"]
