from pathlib import Path

import pytest

from helpers import tiny_corpus

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir():
    if not DATA.exists():
        pytest.skip(f"shared data not found at {DATA}")
    return DATA


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A tiny random BERT and its vocabulary, built locally (nothing is downloaded)."""
    from zhner.nn.encoders import random_bert
    chars = sorted({c for ex in tiny_corpus() for c in ex.text})
    return random_bert(tmp_path_factory.mktemp("bert"), chars, hidden=32, layers=1, heads=2, intermediate=64,
                       max_positions=128)
