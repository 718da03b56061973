import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import reduce

import pytest
from fastapi.testclient import TestClient

from helpers import tiny_corpus
from zhner import write_corpus
from zhner.config import load_config
from zhner.model import load
from zhner.serve import Limits, create_app
from zhner.training import train


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    write_corpus(tiny_corpus(), folder / "train.jsonl")
    result = train(load_config(None, {"data.train": str(folder / "train.jsonl"), "model.head": "globalpointer",
                                      "model.hidden": "32", "train.epochs": "12", "train.lr": "1e-2",
                                      "train.threads": "1", "train.patience": "0", "train.output": str(folder)}))
    return load(result.model_dir)


@pytest.fixture
def client(model):
    with TestClient(create_app(model, Limits(max_chars=200, max_texts=5, max_body_bytes=4000))) as c:
        yield c


def test_predict_one_and_many(client, model):
    texts = [ex.text for ex in tiny_corpus(4, seed=9)]
    one = client.post("/predict", json={"text": texts[0]})
    assert one.status_code == 200
    spans = one.json()["results"][0]["spans"]
    assert {s["text"] for s in spans} >= {texts[0][2:4]} and all("score" in s for s in spans)
    many = client.post("/predict", json={"texts": texts + [""]}).json()["results"]
    expected = model.predict(texts + [""])
    assert [[(s["start"], s["end"], s["label"]) for s in r["spans"]] for r in many] == \
        [[(s.start, s.end, s.label) for s in p] for p in expected]


def test_health_model_and_docs(client):
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/model").json()
    assert set(info["labels"]) == {"GPE", "LOC", "PER"} and info["config"]["head"] == "globalpointer"
    assert info["whole_runs"] is True                   # the tiny corpus has no Latin word or number to cut
    assert "/predict" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize("body,status,where", [
    ({"text": 5}, 422, "text"),
    ({"text": "a", "texts": ["b"]}, 422, "exactly one"),
    ({}, 422, "exactly one"),
    ({"texts": ["a"] * 6}, 422, "at most 5"),
    ({"texts": ["a", "长" * 201]}, 422, "at most 200"),
    ({"text": "长" * 2000}, 413, "larger than"),
    ({"text": "a", "x": reduce(lambda inner, _: [inner], range(64), [])}, 422, "more than 64 JSON arrays"),
    ({"texts": ["[{" * 40 + "文本"] * 5}, 200, "results"),   # brackets inside strings are text
])
def test_limits_give_clear_json_errors(client, body, status, where):
    res = client.post("/predict", json=body)
    assert res.status_code == status and where in json.dumps(res.json(), ensure_ascii=False)


def test_bad_json_and_streamed_body(client):
    res = client.post("/predict", content=b'{"text": ', headers={"content-type": "application/json"})
    assert res.status_code == 422
    chunks = (b'{"text": "' + b"a" * 1000 + b'"' for _ in range(5))
    res = client.post("/predict", content=chunks, headers={"content-type": "application/json"})
    assert res.status_code == 413


def test_overload_answers_503_and_shutdown_ends_the_model_thread(model):
    before = set(threading.enumerate())
    with TestClient(create_app(model, Limits(max_queue=1))) as c:
        res = c.post("/predict", json={"texts": ["昨天", "今天"]})
        assert res.status_code == 503 and "retry" in res.json()["detail"][0]["msg"]
        assert c.post("/predict", json={"text": "昨天"}).status_code == 200
        (worker,) = [t for t in set(threading.enumerate()) - before if t.name.startswith("zhner-predict")]
    worker.join(5)
    assert not worker.is_alive()


def test_concurrent_requests_are_batched_and_answered(client, model):
    texts = [ex.text for ex in tiny_corpus(40, seed=4)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda t: client.post("/predict", json={"text": t}), texts))
    assert all(a.status_code == 200 for a in answers)
    got = [[(s["start"], s["end"], s["label"]) for s in a.json()["results"][0]["spans"]] for a in answers]
    assert got == [[(s.start, s.end, s.label) for s in p] for p in model.predict(texts)]


def test_viewer_page_and_render(client):
    page = client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text and "fetch('render'" in page.text
    html = client.post("/render", json={"text": "昨天张伟去了北京市，张伟很开心。"}).json()["html"]
    assert 'data-label="PER"' in html and 'data-label="GPE"' in html and 'data-label="LOC"' in html


@pytest.fixture(scope="module")
def live_server(model):
    """The app under a real uvicorn server on a free loopback port (TestClient cannot stall or hang up)."""
    import socket
    import threading
    import time

    import uvicorn
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(model, Limits(body_timeout_s=1.0)), port=port,
                                           log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield port
    server.should_exit = True
    thread.join(10)


def _post(port, body: bytes):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/predict", body, {"content-type": "application/json"})
    res = conn.getresponse()
    return res.status, json.loads(res.read())


def test_stalled_and_vanishing_clients_do_not_harm_others(live_server):
    import socket
    head = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
    stalled = socket.create_connection(("127.0.0.1", live_server))
    stalled.sendall(head + b'{"text": "')                  # then nothing: a slow-loris client
    for cut in (len(head) // 2, len(head) + 5):             # hang up inside the headers, then inside the body
        with socket.create_connection(("127.0.0.1", live_server)) as gone:
            gone.sendall((head + b'{"text": "x"}')[:cut])
    body = json.dumps({"text": "张三在北京"}, ensure_ascii=False).encode()
    with socket.create_connection(("127.0.0.1", live_server)) as gone:   # whole request, then hang up
        gone.sendall(head.replace(b"100", str(len(body)).encode()) + body)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _post(live_server, body), range(16)))
    assert all(status == 200 and a["results"][0]["text"] == "张三在北京" for status, a in answers)
    import http.client
    stalled.settimeout(10)
    reply = http.client.HTTPResponse(stalled)
    reply.begin()
    assert reply.status == 408 and "body not received within 1 s" in reply.read().decode()
    stalled.close()
    assert _post(live_server, b'{"texts": []}') == (200, {"results": []})


def test_worker_factory_reads_model_limits_and_threads(model, tmp_path, monkeypatch):
    import torch
    from zhner.export import export_onnx
    from zhner.serve import app_from_env
    export_onnx(model, tmp_path / "onnx")
    before = torch.get_num_threads()
    monkeypatch.setenv("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "64")          # restored afterwards
    for k, v in {"MODEL": str(tmp_path / "onnx"), "THREADS": "1", "MAX_TEXTS": "2", "PRIMITIVE_CACHE": "7"}.items():
        monkeypatch.setenv(f"ZHNER_{k}", v)
    try:
        with TestClient(app_from_env()) as c:
            assert torch.get_num_threads() == 1 and os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] == "7"
            assert c.post("/predict", json={"texts": ["a", "b", "c"]}).status_code == 422
            assert c.post("/predict", json={"text": "上海"}).status_code == 200
            single = c.post("/predict", json={"texts": ["上海", "李明在北京"]}).json()
        monkeypatch.setenv("ZHNER_MODEL", os.pathsep.join([str(tmp_path / "onnx")] * 2))      # an ensemble
        with TestClient(app_from_env()) as c:
            assert c.get("/model").json()["models"] == 2
            assert c.post("/predict", json={"texts": ["上海", "李明在北京"]}).json() == single
    finally:
        torch.set_num_threads(before)
