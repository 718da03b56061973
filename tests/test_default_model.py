"""The bundled model works offline right after install."""
import subprocess
import sys

import zhner


def test_bundled_model_finds_people_places_organisations():
    model = zhner.load()
    text = "国务院总理李强在北京会见了世界银行行长彭安杰。"
    found = {(text[s.start:s.end], s.label) for s in model.predict([text])[0]}
    assert {("李强", "PER"), ("北京", "LOC"), ("世界银行", "ORG")} <= found
    assert model.predict(["", "好", "中" * 100_000])[:2] == [[], []]


def test_cli_predict_without_model_argument():
    res = subprocess.run([sys.executable, "-m", "zhner", "predict", "毛泽东出生于湖南湘潭。"], capture_output=True,
                         text=True)
    assert res.returncode == 0 and "PER" in res.stdout and "毛泽东" in res.stdout and "LOC" in res.stdout
