"""Crash-safe training: SIGKILL a real run after its second epoch, resume, and end with the same weights as an
uninterrupted run with the same seed."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from helpers import tiny_corpus
from zhner import write_corpus
from zhner.model import load


def _cmd(train_file, out, *extra):
    return [sys.executable, "-m", "zhner", "train", "--data.train", str(train_file), "--model.hidden", "32",
            "--model.head", "crf", "--train.epochs", "5", "--train.patience", "0", "--train.threads", "1",
            "--train.output", str(out), *extra]


@pytest.mark.parametrize("extra", [[], ["--train.ema", "0.9"]], ids=["plain", "weight-average"])
def test_kill_and_resume_matches_uninterrupted_run(tmp_path, extra):
    write_corpus(tiny_corpus(300), tmp_path / "train.jsonl")
    straight = subprocess.run(_cmd(tmp_path / "train.jsonl", tmp_path / "a", *extra), capture_output=True,
                              text=True)
    assert straight.returncode == 0, straight.stderr

    proc = subprocess.Popen(_cmd(tmp_path / "train.jsonl", tmp_path / "b", *extra), stderr=subprocess.DEVNULL)
    log = tmp_path / "b" / "log.jsonl"
    while proc.poll() is None and not (log.exists() and len(log.read_text().splitlines()) >= 2):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert load(tmp_path / "b" / "checkpoint" / "model") is not None        # what is on disk always loads
    resumed = subprocess.run(_cmd(tmp_path / "train.jsonl", tmp_path / "b", "--resume", *extra),
                             capture_output=True, text=True)
    assert resumed.returncode == 0 and "resuming from" in resumed.stderr, resumed.stderr
    for saved in ("checkpoint/model", "model"):         # the trained weights, and the best (averaged) ones
        a = load_file(tmp_path / "a" / saved / "model.safetensors")
        b = load_file(tmp_path / "b" / saved / "model.safetensors")
        assert a.keys() == b.keys() and all((a[k] == b[k]).all() for k in a)
    if extra:                                           # the saved model is the average, not the last weights
        last = load_file(tmp_path / "a" / "checkpoint" / "model" / "model.safetensors")
        best = load_file(tmp_path / "a" / "model" / "model.safetensors")
        assert any(not torch.equal(last[k], best[k]) for k in last)
    assert (tmp_path / "a" / "log.jsonl").read_text().count("\n") == (tmp_path / "b" / "log.jsonl").read_text().count("\n") == 5


def test_atomic_directory_keeps_the_old_copy_until_the_new_one_is_whole(tmp_path):
    from zhner.files import atomic_directory, recover
    target = tmp_path / "model"
    with atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("1")
    with pytest.raises(RuntimeError), atomic_directory(target) as tmp:
        (tmp / "a.txt").write_text("2")
        raise RuntimeError("killed while writing")
    assert (target / "a.txt").read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["model"]
    (tmp_path / "model").rename(tmp_path / ".model.old")           # a kill between the two renames
    (tmp_path / ".model.k1llxd").mkdir()                           # a kill while writing
    recover(target)
    assert (target / "a.txt").read_text() == "1" and oct(target.stat().st_mode)[-3:] == "755"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    write_corpus(tiny_corpus(20), tmp_path / "train.jsonl")
    res = subprocess.run(_cmd(tmp_path / "train.jsonl", tmp_path / "none", "--resume"), capture_output=True, text=True)
    assert res.returncode == 1 and "no checkpoint" in res.stderr and "Traceback" not in res.stderr
