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
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast
    path = tmp_path_factory.mktemp("bert")
    chars = sorted({c for ex in tiny_corpus() for c in ex.text})
    (path / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + chars) + "\n",
                                    encoding="utf-8")
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=5 + len(chars), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(path)
    BertTokenizerFast(str(path / "vocab.txt")).save_pretrained(path)
    return path
