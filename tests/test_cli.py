import json
import subprocess
import sys


def zhner(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zhner", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_stats_json(data_dir):
    out = zhner("stats", data_dir / "cmeee/CMeEE_dev.json", "--json")
    stats = json.loads(out.stdout)
    assert (stats["sentences"], stats["entities"], stats["nested_pairs"]) == (5000, 20300, 1225)
    assert stats["per_type"]["bod"] == 5883


def test_convert_then_evaluate_is_perfect(data_dir, tmp_path):
    out = tmp_path / "dev.jsonl"
    assert zhner("convert", data_dir / "cluener2020/dev.json", "-o", out).returncode == 0
    res = zhner("evaluate", "--gold", data_dir / "cluener2020/dev.json", "--pred", out, "--json")
    assert json.loads(res.stdout)["micro"]["f1"] == 1.0


def test_bad_file_gives_path_line_and_nonzero_exit(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ab", "spans": []}\n{"text": "ab", "spans": [{"start": 1, "end": 1, "label": "X"}]}\n')
    res = zhner("stats", bad)
    assert res.returncode == 1 and f"{bad}:2: " in res.stderr and "Traceback" not in res.stderr
    res = zhner("stats", bad, "--lenient", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["skipped"] == 1 and "skipped 1 record" in res.stderr
    res = zhner("stats", tmp_path / "missing.json")
    assert res.returncode == 1 and "no such file" in res.stderr and "Traceback" not in res.stderr
