"""ONNX parity: an exported model predicts the same spans as PyTorch, on real test sentences."""
import itertools

import pytest

from helpers import tiny_corpus
from zhner import read_corpus, write_corpus
from zhner.config import load_config
from zhner.export import export_onnx
from zhner.model import load
from zhner.training import train


@pytest.mark.parametrize("encoder,head", list(itertools.product(
    ["bilstm", "idcnn"], ["softmax", "crf", "globalpointer", "efficient_globalpointer"])))
def test_onnx_predicts_identical_spans(encoder, head, tmp_path, data_dir):
    write_corpus(tiny_corpus(), tmp_path / "train.jsonl")
    extra = {"model.word_dim": "8", "model.lexicon_dim": "8"} if encoder == "bilstm" and head == "crf" else {}
    result = train(load_config(None, {"data.train": str(tmp_path / "train.jsonl"), "model.encoder": encoder,
                                      "model.head": head, "model.hidden": "32", "model.bigram_dim": "8",
                                      "model.max_length": "64", "train.epochs": "8", "train.lr": "1e-2",
                                      "train.threads": "1", "train.output": str(tmp_path / "run"), **extra}))
    torch_model = load(result.model_dir)
    onnx_dir = export_onnx(torch_model, tmp_path / "onnx")
    onnx_model = load(onnx_dir)
    assert onnx_model.onnx is not None and load(onnx_dir, onnx=False).onnx is None
    texts = [ex.text for ex in read_corpus(data_dir / "msra/msra_test_bio").examples[:200]]
    texts += ["", "昨天张伟去了北京市，张伟很开心。" * 12]
    ours, theirs = torch_model.predict(texts, batch_size=16), onnx_model.predict(texts, batch_size=16)
    assert [[(s.start, s.end, s.label) for s in p] for p in ours] == \
        [[(s.start, s.end, s.label) for s in p] for p in theirs]
    assert sum(map(len, ours)) > 0
