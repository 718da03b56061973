"""The bundled model works offline right after install."""
import os
import subprocess
import sys

import zhner


def test_bundled_model_finds_people_places_organisations():
    model = zhner.load()
    text = "国务院总理李强在北京会见了世界银行行长彭安杰。"
    found = {(text[s.start:s.end], s.label) for s in model.predict([text])[0]}
    assert {("李强", "PER"), ("北京", "LOC"), ("世界银行", "ORG")} <= found
    assert model.predict(["", "好", "中" * 100_000])[:2] == [[], []]
    assert model.predict(t for t in [text, ""]) == model.predict([text, ""])       # any iterable, read once


def test_spans_never_start_or_end_with_blanks():
    """MSRA has no spaces or controls, so the bundled model tags them like their neighbours; spans are trimmed."""
    texts = ["国务院总理 李强 在北京会见了 世界银行 行长彭安杰。", "据新华社 北京 3月5日电 （记者 张三 ）", "   ", "\t\n ",
             "\ufeff李强\x00在北京\u200b。", "😀李强👍在北京😀天安门"]
    found = zhner.load().predict(texts)
    mentions = [{(t[s.start:s.end], s.label) for s in spans} for t, spans in zip(texts, found)]
    assert {("李强", "PER"), ("世界银行", "ORG")} <= mentions[0] and ("张三", "PER") in mentions[1]
    assert found[2:4] == [[], []] and mentions[4] == {("李强", "PER"), ("北京", "LOC")}
    assert {("李强", "PER"), ("天安门", "LOC")} <= mentions[5]         # emoji were part of the untrimmed spans
    assert all(t[s.start:s.end] == t[s.start:s.end].strip() for t, spans in zip(texts, found) for s in spans)


def test_spans_keep_latin_words_whole():
    """No MSRA train span cuts a Latin word; the model, which saw few, does ("im Cook" untrimmed)."""
    text = "苹果公司CEO Tim Cook在Apple Park发布了iPhone。"
    assert "Tim Cook" in {text[s.start:s.end] for s in zhner.load().predict([text])[0]}


def test_cli_predict_without_model_argument():
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "毛泽东出生于湖南湘潭。"], capture_output=True,
                         text=True)
    assert res.returncode == 0 and "PER" in res.stdout and "毛泽东" in res.stdout and "LOC" in res.stdout


def test_cli_threads_option():
    from argparse import Namespace

    import torch
    from zhner.cli import _load
    before = torch.get_num_threads()
    try:
        assert _load(Namespace(model=None, threads=1)).labels and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "--threads", "-1", "毛泽东"], capture_output=True,
                         text=True)
    assert res.returncode == 1 and "--threads -1" in res.stderr and "Traceback" not in res.stderr


def test_import_bounds_onednn_primitive_cache_unless_user_sets_it():
    """oneDNN caches a primitive per input shape (1024 by default: hundreds of MB over texts of every length)."""
    def capacity(**extra):
        env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"} | extra
        code = "import os, zhner; print(os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])"
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip()
    assert capacity() == "64"
    assert capacity(ONEDNN_PRIMITIVE_CACHE_CAPACITY="8") == "8"
