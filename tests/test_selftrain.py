import json
import subprocess
import sys

from helpers import tiny_corpus
from zhner import Span, write_corpus
from zhner.selftrain import agree


def test_agreement_keeps_identical_nonempty_sets_above_threshold():
    a = [[Span(0, 2, "PER", 0.9)], [Span(0, 2, "PER")], [], [Span(1, 3, "LOC", 0.5)]]
    b = [[Span(0, 2, "PER", 0.8)], [Span(0, 2, "LOC")], [], [Span(1, 3, "LOC", 0.4)]]
    assert agree(a, b) == [0, 3]
    assert agree(a, b, threshold=0.6) == [0]


def test_self_train_rounds_and_resume(tmp_path):
    write_corpus(tiny_corpus(60), tmp_path / "gold.jsonl")
    (tmp_path / "unlabelled.txt").write_text("\n".join(ex.text for ex in tiny_corpus(80, seed=5)) + "\n",
                                            encoding="utf-8")
    out = tmp_path / "run"
    args = [sys.executable, "-m", "zhner", "self-train", "--unlabelled", str(tmp_path / "unlabelled.txt"),
            "--data.train", str(tmp_path / "gold.jsonl"), "--model.hidden", "32", "--model.head", "globalpointer",
            "--train.epochs", "12", "--train.lr", "1e-2", "--train.threads", "1", "--train.output", str(out)]
    first = subprocess.run(args + ["--rounds", "1"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    state = json.loads((out / "state.json").read_text())
    assert [r["round"] for r in state["rounds"]] == [0, 1] and state["rounds"][1]["pseudo_texts_used"] > 0
    second = subprocess.run(args + ["--rounds", "2"], capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "round 0: done before" in second.stderr and "round 1: done before" in second.stderr
    state = json.loads((out / "state.json").read_text())
    assert [r["round"] for r in state["rounds"]] == [0, 1, 2]
    assert state["rounds"][2]["pseudo_texts_used"] == state["rounds"][1]["agreed_texts"] > 0
    assert (out / "round2" / "model" / "model.safetensors").exists() and "best: round" in second.stdout
