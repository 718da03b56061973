"""Hostile input: arbitrary Unicode (surrogates, controls, RTL marks, U+2028...), arbitrary bytes in files,
arbitrary tag sequences and request bodies. Nothing crashes; spans stay inside the text; errors are typed.
ZHNER_FUZZ_EXAMPLES sets the examples per test (default 60; RELIABILITY.md records a longer run)."""
import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import zhner
from zhner.corpora import FORMATS, CorpusError, read_corpus
from zhner.schemes import decode
from zhner.spans import DataError

SPECIAL = "\u200f\u202e\u2028\u2029\r\n\t\x00\x1b\ufeff\u0301\U0001F600\uff21\u3000\ud800"
texts = st.text(st.one_of(st.characters(), st.sampled_from(SPECIAL)), max_size=300)
EXAMPLES = int(os.environ.get("ZHNER_FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def model():
    return zhner.load()


@FUZZ
@given(st.lists(texts, max_size=6))
def test_predict_any_text(model, batch):
    for text, spans in zip(batch, model.predict(batch, batch_size=4)):
        assert all(0 <= s.start < s.end <= len(text) and s.label in model.labels for s in spans)


def test_predict_one_megabyte(model):
    text = ("北京欢迎你\U0001F600\u2028" * 150_000)[:1_000_000]
    spans = model.predict([text])[0]
    assert spans and all(0 <= s.start < s.end <= len(text) for s in spans)


@FUZZ
@given(st.binary(max_size=400), st.sampled_from(FORMATS))
def test_readers_survive_any_bytes(tmp_path, data, fmt):
    path = tmp_path / "f.json"
    path.write_bytes(data)
    try:
        corpus = read_corpus(path, fmt, lenient=True)
        for ex in corpus:
            assert all(0 <= s.start < s.end <= len(ex.text) for s in ex.spans)
    except DataError as e:                      # empty file, no records, not an ecommerce folder...
        assert str(e).startswith(str(path)) or "input.seq.char" in str(e)
    try:
        read_corpus(path, fmt)
    except (DataError, CorpusError):
        pass


@FUZZ
@given(st.lists(st.sampled_from(["O", "B-A", "I-A", "E-A", "S-A", "M-B", "B-B", "I-B", "B", "I"]), max_size=40),
       st.sampled_from([None, "BIO", "BIOES"]))
def test_decoders_accept_any_tag_sequence(tags, scheme):
    spans, problems = decode(tags, scheme)
    assert all(0 <= s.start < s.end <= len(tags) for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert all(0 <= i <= len(tags) for i, _ in problems)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
                           lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(["text", "texts", "x"]),
                                                                              c, max_size=3), max_leaves=12)


@FUZZ
@given(json_values)
def test_server_never_answers_500(model, body):
    from fastapi.testclient import TestClient
    from zhner.serve import Limits, create_app
    global _client
    if "_client" not in globals():
        _client = TestClient(create_app(model, Limits(max_chars=500, max_texts=8)))
        _client.__enter__()
    res = _client.post("/predict", content=json.dumps(body).encode("utf-8", "surrogatepass"),
                       headers={"content-type": "application/json"})
    assert res.status_code in (200, 413, 422, 503) and res.headers["content-type"] == "application/json"
    if res.status_code == 200:
        for r in res.json()["results"]:
            assert all(0 <= s["start"] < s["end"] <= len(r["text"]) for s in r["spans"])


def test_deeply_nested_json_is_rejected_cleanly(model):
    from fastapi.testclient import TestClient
    from zhner.serve import create_app
    with TestClient(create_app(model)) as client:
        res = client.post("/predict", content=b"[" * 100_000 + b"]" * 100_000,
                          headers={"content-type": "application/json"})
        assert res.status_code == 422 and "JSON arrays" in res.json()["detail"][0]["msg"]   # before parsing
        res = client.post("/predict", content=b"text=abc", headers={"content-type": "text/plain"})
        assert res.status_code == 422
