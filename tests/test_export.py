"""ONNX parity: an exported model predicts the same spans as PyTorch, on real test sentences."""
import itertools

import pytest

from helpers import tiny_corpus
from zhner import read_corpus, write_corpus
from zhner.config import load_config
from zhner.export import export_onnx
from zhner.model import load
from zhner.training import train


CASES = list(itertools.product(["bilstm", "idcnn"], ["softmax", "crf", "globalpointer", "efficient_globalpointer"]))
CASES += [("bilstm", "cascade"), ("idcnn", "cascade-end"), ("transformer", "crf"), ("transformer", "globalpointer"),
          ("transformer", "cascade")]


@pytest.mark.parametrize("encoder,head", CASES)
def test_onnx_predicts_identical_spans(encoder, head, tmp_path, data_dir, tiny_bert):
    write_corpus(tiny_corpus(), tmp_path / "train.jsonl")
    extra = {"model.word_dim": "8", "model.postag_dim": "4", "model.lexicon_dim": "8"} \
        if encoder == "bilstm" and head == "crf" else {}
    if head == "cascade-end":
        head, extra = "cascade", {"model.cascade_repr": "end"}
    if encoder == "transformer":
        extra = {"model.transformer": str(tiny_bert), "train.encoder_lr": "1e-3"}
    result = train(load_config(None, {"data.train": str(tmp_path / "train.jsonl"), "model.encoder": encoder,
                                      "model.head": head, "model.hidden": "32", "model.bigram_dim": "8",
                                      "model.max_length": "64", "train.epochs": "8", "train.lr": "1e-2",
                                      "train.threads": "1", "train.output": str(tmp_path / "run"), **extra}))
    torch_model = load(result.model_dir)
    onnx_dir = export_onnx(torch_model, tmp_path / "onnx")
    assert not torch_model.training                     # exporting leaves the model as it found it: eval mode
    assert load(onnx_dir).onnx is not None and load(onnx_dir, onnx=False).onnx is None
    assert not load(onnx_dir).onnx.session.get_session_options().enable_mem_pattern   # kept per shape: grows
    texts = [ex.text for ex in read_corpus(data_dir / "msra/msra_test_bio").examples[:200]]
    texts += ["", "昨天张伟去了北京市，张伟很开心。" * 12]
    ours = torch_model.predict(texts, batch_size=16)
    assert sum(map(len, ours)) > 0
    mixed = [t for t in texts if 0 < len(t) <= 64][:40]      # one batch, lengths unsorted, as a server's
    key = lambda spans: [[(s.start, s.end, s.label) for s in p] for p in spans]       # noqa: E731
    for threads in (1, 3):              # rows grouped by length; with 3 threads, the groups run at once
        onnx_model = load(onnx_dir, threads=threads)
        assert key(onnx_model.predict(texts, batch_size=16)) == key(ours)
        assert key(onnx_model.decode(onnx_model.make_batch(mixed))) == \
            key(torch_model.decode(torch_model.make_batch(mixed)))


def test_quantized_export_is_close(tmp_path, data_dir):
    """int8 weights trade exactness for speed: spans agree on nearly every sentence, F1 moves little."""
    from zhner import evaluate
    gold = read_corpus(data_dir / "msra/msra_test_bio").examples[:300]
    texts = [ex.text for ex in gold]
    exact = load(None, onnx=False).predict(texts)
    quantized = load(export_onnx(load(None, onnx=False), tmp_path / "q", quantize=True)).predict(texts)
    assert (tmp_path / "q" / "model.onnx").stat().st_size < 0.5 * (tmp_path / "q" / "model.safetensors").stat().st_size
    agree = sum([(s.start, s.end, s.label) for s in a] == [(s.start, s.end, s.label) for s in b]
                for a, b in zip(exact, quantized))
    assert agree >= 0.95 * len(texts)
    assert abs(evaluate(gold, exact).micro.f1 - evaluate(gold, quantized).micro.f1) < 0.02


def test_export_checks_itself_against_pytorch(tmp_path, data_dir):
    import subprocess
    import sys

    import torch

    from zhner.export import check_export
    model = load(None, onnx=False)
    out = export_onnx(model, tmp_path / "onnx")
    texts = [ex.text for ex in read_corpus(data_dir / "msra/msra_test_bio").examples[:100]]
    r = check_export(model, out, texts)
    assert (r["texts"], r["same"]) == (100, 100) and r["spans"] > 100 and r["score_diff"] < 1e-4
    with torch.no_grad():                           # a graph that no longer matches its model is caught
        model.head.proj.weight.add_(torch.randn_like(model.head.proj.weight))
    r = check_export(model, out, texts)
    assert r["same"] < 100
    check = tmp_path / "check.txt"
    check.write_text("\n".join(texts[:20]), encoding="utf-8")
    res = subprocess.run([sys.executable, "-m", "zhner", "export", "--onnx", tmp_path / "cli", "--check", check],
                         capture_output=True, text=True)
    assert res.returncode == 0 and f"on 20 texts of {check}: 20 with the same spans" in res.stderr


def test_a_missing_or_broken_graph_is_a_data_error(tmp_path):
    import shutil

    import zhner
    from zhner import DataError
    out = export_onnx(load(None, onnx=False), tmp_path / "onnx")
    assert zhner.load(out, threads=2).onnx.threads == 2 and zhner.load(out, onnx=False).onnx is None
    with pytest.raises(DataError, match="no model.onnx"):
        zhner.load(None, onnx=True)
    broken = shutil.copytree(out, tmp_path / "broken")
    (broken / "model.onnx").write_bytes((out / "model.onnx").read_bytes()[:100_000])
    with pytest.raises(DataError, match="unreadable ONNX graph") as e:
        load(broken)
    assert str(broken / "model.onnx") in str(e.value)
