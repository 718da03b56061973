import json
import shutil
import subprocess
import sys

from zhner.model import DEFAULT_MODEL


def zhner(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "zhner", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_stats_json(data_dir):
    out = zhner("stats", data_dir / "cmeee/CMeEE_dev.json", "--json")
    stats = json.loads(out.stdout)
    counts = stats["sentences"], stats["entities"], stats["nested_pairs"], stats["touching"]
    assert counts == (5000, 20300, 1225, 1569)
    assert stats["per_type"]["bod"] == 5883


def test_convert_then_evaluate_is_perfect(data_dir, tmp_path):
    out = tmp_path / "dev.jsonl"
    assert zhner("convert", data_dir / "cluener2020/dev.json", "-o", out).returncode == 0
    res = zhner("evaluate", "--gold", data_dir / "cluener2020/dev.json", "--pred", out, "--json")
    assert json.loads(res.stdout)["micro"]["f1"] == 1.0


def test_convert_to_tags_names_the_records_with_overlapping_spans(data_dir, tmp_path):
    """CLUENER train's record 1507 has two companies inside a book title; BIOES cannot hold that."""
    out = tmp_path / "train.bioes"
    res = zhner("convert", data_dir / "cluener2020/train.json", "--to", "bioes", "-o", out)
    assert res.returncode == 1 and not out.exists()
    assert "train.json: 1 record(s) with overlapping spans, which bioes tags cannot hold (record 1507)" in res.stderr
    res = zhner("convert", data_dir / "cluener2020/train.json", "--to", "bioes", "-o", out, "--lenient")
    assert res.returncode == 0 and "kept the longest, dropped 2 span(s)" in res.stderr
    stats = json.loads(zhner("stats", out, "--json").stdout)
    assert (stats["sentences"], stats["entities"], stats["nested_pairs"]) == (10748, 23972 - 2, 0)


def test_evaluate_writes_the_wrong_spans_of_each_record(tmp_path):
    gold, pred = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    gold.write_text('{"text": "李鹏乔石在北京", "spans": [{"start": 0, "end": 2, "label": "PER"}, '
                    '{"start": 2, "end": 4, "label": "PER"}, {"start": 5, "end": 7, "label": "LOC"}]}\n'
                    '{"text": "上海", "spans": [{"start": 0, "end": 2, "label": "LOC"}]}\n')
    pred.write_text('{"text": "李鹏乔石在北京", "spans": [{"start": 0, "end": 4, "label": "PER"}, '
                    '{"start": 5, "end": 7, "label": "LOC"}]}\n{"text": "上海", "spans": [{"start": 0, "end": 2, '
                    '"label": "LOC"}]}\n')
    res = zhner("evaluate", "--gold", gold, "--pred", pred, "--errors", tmp_path / "errors.jsonl")
    assert res.returncode == 0 and "gold spans touching another: 2, recall 0.00 (the other 2: 100.00)" in res.stdout
    lines = [json.loads(x) for x in (tmp_path / "errors.jsonl").read_text(encoding="utf-8").splitlines()]
    assert lines == [{"record": 1, "text": "李鹏乔石在北京",
                      "missed": [{"start": 0, "end": 2, "label": "PER", "text": "李鹏", "kind": "boundary"},
                                 {"start": 2, "end": 4, "label": "PER", "text": "乔石", "kind": "boundary"}],
                      "wrong": [{"start": 0, "end": 4, "label": "PER", "text": "李鹏乔石", "kind": "boundary"}]}]
    res = zhner("evaluate", "--gold", gold, "--json")                  # no --pred or --model: the bundled model
    assert res.returncode == 0 and json.loads(res.stdout)["micro"]["support"] == 4


def test_models_given_twice_predict_as_an_ensemble(tmp_path):
    """Two copies of one model are that model; a model with other labels cannot join it."""
    texts = ["国务院总理李强在北京会见了世界银行行长彭安杰。", "华为公司在深圳发布了新手机。"]
    alone = zhner("predict", *texts)
    twice = zhner("predict", "--model", DEFAULT_MODEL, "--model", DEFAULT_MODEL, *texts)
    assert twice.returncode == 0 and twice.stdout == alone.stdout and "彭安杰" in alone.stdout
    other = tmp_path / "other"
    shutil.copytree(DEFAULT_MODEL, other)
    meta = json.loads((other / "config.json").read_text(encoding="utf-8"))
    meta["labels"] = ["GPE" if label == "LOC" else label for label in meta["labels"]]
    (other / "config.json").write_text(json.dumps(meta), encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "张三在北京", "spans": [{"start": 0, "end": 2, "label": "PER"}]}\n', encoding="utf-8")
    res = zhner("evaluate", "--gold", gold, "--model", DEFAULT_MODEL, "--model", other)
    assert res.returncode == 1 and "error: an ensemble needs models with the same labels" in res.stderr


def test_bad_file_gives_path_line_and_nonzero_exit(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ab", "spans": []}\n{"text": "ab", "spans": [{"start": 1, "end": 1, "label": "X"}]}\n')
    res = zhner("stats", bad)
    assert res.returncode == 1 and f"{bad}:2: " in res.stderr and "Traceback" not in res.stderr
    res = zhner("stats", bad, "--lenient", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["skipped"] == 1 and "skipped 1 record" in res.stderr
    res = zhner("stats", tmp_path / "missing.json")
    assert res.returncode == 1 and "no such file" in res.stderr and "Traceback" not in res.stderr


def test_train_predict_evaluate_from_the_command_line(tmp_path):
    from helpers import tiny_corpus
    from zhner import write_corpus
    write_corpus(tiny_corpus(), tmp_path / "train.jsonl")
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'[data]\ntrain = "{tmp_path / "train.jsonl"}"\n[model]\nhead = "globalpointer"\n'
                      f'hidden = 32\n[train]\nepochs = 12\nlr = 1e-2\nthreads = 1\noutput = "{tmp_path / "run"}"\n')
    vectors = tmp_path / "chars.txt"
    vectors.write_text("2 32\n张 " + " ".join(["0.1"] * 32) + "\n伟 " + " ".join(["0.2"] * 32) + "\n",
                       encoding="utf-8")
    res = zhner("train", "--config", recipe, "--train.patience", "0", "--vectors", f"char={vectors}",
                "--model.char_dim", "32")
    assert "chars.txt: cover" in res.stderr
    assert res.returncode == 0 and "best dev F1" in res.stdout, res.stderr
    model = tmp_path / "run" / "model"
    res = zhner("predict", "--model", model, "昨天王芳去了上海市，王芳很开心。", "--format", "jsonl")
    record = json.loads(res.stdout)
    assert {(s["text"], s["label"]) for s in record["spans"]} >= {("王芳", "PER"), ("上海市", "GPE")}

    inp = tmp_path / "in.txt"
    inp.write_bytes("昨天李娜去了深圳市。\n".encode() + "坏".encode("gbk") + b"\n\n" + "昨天刘洋去了北京市。\n".encode())
    out = tmp_path / "out.jsonl"
    res = zhner("predict", "--model", model, "--input", inp, "--output", out)
    assert res.returncode == 1 and f"{inp}:2: " in res.stderr and "Traceback" not in res.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in records] == ["昨天李娜去了深圳市。", "", "昨天刘洋去了北京市。"]
    assert any(s["text"] == "刘洋" for s in records[2]["spans"])
    res = zhner("predict", "--model", model, "--input", inp, "--format", "conll", "--lenient")
    assert res.returncode == 0 and "李\tB-PER" in res.stdout

    res = zhner("evaluate", "--model", model, "--gold", tmp_path / "train.jsonl", "--json")
    assert json.loads(res.stdout)["micro"]["f1"] > 0.9
    res = zhner("predict", "--model", tmp_path, "x")
    assert res.returncode == 1 and "not a zhner model directory" in res.stderr


def _popen(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "zhner", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def test_predict_answers_standard_input_as_lines_come_and_streams_the_report(tmp_path):
    import threading
    from zhner.cli import STREAM_CHUNK
    proc = _popen("predict", "--input", "-", "--html", tmp_path / "r.html", stdin=subprocess.PIPE)
    guard = threading.Timer(300, proc.kill)         # a hang fails the test instead of stalling the run; a daemon,
    guard.daemon = True                             # so pytest does not wait out the 300 s when it exits
    guard.start()
    proc.stdin.write("李强在北京。\n".encode())
    proc.stdin.flush()
    first = json.loads(proc.stdout.readline())      # answered while standard input is still open
    assert [s["text"] for s in first["spans"]] == ["李强", "北京"]
    proc.stdin.write("李强在北京。\n".encode() * STREAM_CHUNK + "坏".encode("gbk") + b"\n" + "王小明去了上海。\n".encode())
    proc.stdin.close()
    rest = proc.stdout.read().decode().splitlines()
    err = proc.stderr.read().decode()
    assert proc.wait() == 1 and len(rest) == STREAM_CHUNK + 1 and json.loads(rest[-1])["text"] == "王小明去了上海。"
    assert f"<stdin>:{STREAM_CHUNK + 2}: not valid UTF-8" in err and "Traceback" not in err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")    # written chunk by chunk, good records kept
    assert html.startswith("<!doctype html>") and html.endswith("</body></html>")
    assert html.count('<div class="doc">') == STREAM_CHUNK + 2 and html.count('data-label="PER"') == STREAM_CHUNK + 2


def test_predict_into_a_closed_pipe_stops_quietly(tmp_path):
    inp = tmp_path / "in.txt"
    inp.write_text("李强在北京。\n" * 3000, encoding="utf-8")
    proc = _popen("predict", "--input", inp)       # as in `zhner predict --input in.txt | head -1`
    assert json.loads(proc.stdout.readline())["text"] == "李强在北京。"
    proc.stdout.close()
    assert proc.wait() == 0 and proc.stderr.read() == b""


def test_standard_input_format_is_detected_like_a_file():
    jsonl = '\n{"text": "李强在北京。", "spans": []}\n{"text": 3}\n'
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "--input", "-"], input=jsonl, capture_output=True,
                         text=True)
    assert res.returncode == 1 and [json.loads(line)["text"] for line in res.stdout.splitlines()] == ["李强在北京。"]
    assert "<stdin>:3: record has no string field" in res.stderr
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "--input", "-"], input="", capture_output=True,
                         text=True)
    assert res.returncode == 1 and "<stdin>: file is empty" in res.stderr


def test_predict_points_a_directory_or_glob_to_dask(tmp_path):
    (tmp_path / "a.txt").write_text("李强在北京。\n", encoding="utf-8")
    for spec in (tmp_path, tmp_path / "*.txt"):
        res = zhner("predict", "--input", spec)
        assert res.returncode == 1 and f"{spec}: a directory or glob of files is tagged on Dask" in res.stderr
