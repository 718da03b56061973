"""torchrun with 2 processes (gloo): both ranks end with identical weights (also with FGM, whose first
backward skips the all-reduce); only rank 0 writes files."""
import re
import shutil
import subprocess
import sys

import pytest

from helpers import tiny_corpus
from zhner import write_corpus


@pytest.mark.parametrize("extra", [[], ["--train.adversarial", "1.0"]], ids=["plain", "fgm"])
def test_torchrun_two_ranks(extra, tmp_path):
    write_corpus(tiny_corpus(80), tmp_path / "train.jsonl")
    out = tmp_path / "run"
    torchrun = shutil.which("torchrun") or f"{sys.executable} -m torch.distributed.run"
    cmd = torchrun.split() + ["--standalone", "--nproc_per_node", "2", "-m", "zhner", "train",
                              "--data.train", str(tmp_path / "train.jsonl"), "--model.hidden", "32",
                              "--model.head", "cascade", "--train.epochs", "3", "--train.batch_size", "8",
                              "--train.output", str(out)] + extra
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    sums = dict(re.findall(r"rank (\d): final weights checksum (-?[\d.]+)", res.stderr))
    assert set(sums) == {"0", "1"} and sums["0"] == sums["1"]
    assert "rank 1 of 2" in res.stderr and res.stderr.count("epoch 3:") == 1   # only rank 0 evaluates
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint", "curve.png", "log.jsonl", "model"]
    assert len((out / "log.jsonl").read_text().splitlines()) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "train.jsonl"]
