"""REST server on FastAPI: `POST /predict`, `GET /health`, `GET /model`, OpenAPI docs at `/docs`, and the
entity viewer: `GET /` (a page to type text into) backed by `POST /render` (entities as HTML).

Requests are micro-batched: texts from concurrent requests wait at most `max_wait_ms` to be tagged
together in one `model.predict` call (run on one worker thread, so the event loop stays responsive).
Limits answer with JSON errors, never a 500: body larger than `max_body_bytes` → 413; a body not received
within `body_timeout_s` (a slow or stalled client) → 408; a text longer than `max_chars`, more than
`max_texts` texts, or a body with more than `MAX_CONTAINERS` JSON arrays and objects (a request has two)
→ 422; more than `max_queue` texts waiting → 503. A client that disconnects mid-request costs nothing but
its own request.
Long texts are windowed by the model, not truncated.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import asdict

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field, model_validator

from . import __version__
from .config import Limits
from .spans import Example
from .viz import render_docs, viewer


class PredictRequest(BaseModel):
    text: str | None = Field(None, description="one text")
    texts: list[str] | None = Field(None, description="several texts")

    @model_validator(mode="after")
    def one_of(self):
        if (self.text is None) == (self.texts is None):
            raise ValueError('give exactly one of "text" or "texts"')
        return self


class Overloaded(Exception):
    pass


class Batcher:
    """Collects texts from concurrent requests into batches for one predict call at a time."""

    def __init__(self, model, limits: Limits):
        self.model, self.limits = model, limits
        self.queue: asyncio.Queue = asyncio.Queue()
        self.waiting = 0
        # one model call at a time, always on the same thread: spread over a pool's threads (each with its own
        # glibc malloc arena) the server's memory grew faster under sustained load (benchmarks/NOTES.md)
        self.worker = ThreadPoolExecutor(1, thread_name_prefix="zhner-predict")

    async def submit(self, texts: list[str]):
        if self.waiting + len(texts) > self.limits.max_queue:
            raise Overloaded()
        self.waiting += len(texts)
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, future))
        return await future

    async def run(self):
        loop = asyncio.get_running_loop()
        while True:
            items = [await self.queue.get()]
            count = len(items[0][0])
            deadline = loop.time() + self.limits.max_wait_ms / 1000
            while count < self.limits.batch_size:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    items.append(await asyncio.wait_for(self.queue.get(), timeout))
                except asyncio.TimeoutError:
                    break
                count += len(items[-1][0])
            texts = [t for batch, _ in items for t in batch]
            try:
                spans = await loop.run_in_executor(self.worker, self.model.predict, texts, self.limits.batch_size)
            except Exception as e:                           # a model failure fails these requests only
                for _, future in items:
                    if not future.done():
                        future.set_exception(e)
                spans = None
            finally:
                self.waiting -= len(texts)
            if spans is not None:
                pos = 0
                for batch, future in items:
                    if not future.done():
                        future.set_result(spans[pos:pos + len(batch)])
                    pos += len(batch)


JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
MAX_CONTAINERS = 64          # a request holds at most two (an object and its list of texts)


class BodyLimit:
    """ASGI middleware: a request body over `max_bytes` (declared or streamed) gets 413 before any parsing,
    one not received within `timeout_s` gets 408, one with more than MAX_CONTAINERS JSON arrays and objects
    outside strings (say, 100,000 nested brackets) gets 422 before the JSON parser sees it. The body is read
    here and replayed to the app."""

    def __init__(self, app, max_bytes: int, timeout_s: float):
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_big = _error(413, ["body"], f"body larger than {self.max_bytes} bytes")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            return await too_big(scope, receive, send)
        body, more = bytearray(), True                  # grown in place: no new buffer per chunk
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        while more:
            try:
                message = await asyncio.wait_for(receive(), deadline - asyncio.get_running_loop().time())
            except asyncio.TimeoutError:
                return await _error(408, ["body"], f"body not received within {self.timeout_s:g} s")(
                    scope, receive, send)
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await too_big(scope, receive, send)
        body = bytes(body)
        skeleton = JSON_STRING.sub(b"", body)
        if skeleton.count(b"[") + skeleton.count(b"{") > MAX_CONTAINERS:
            return await _error(422, ["body"], f"more than {MAX_CONTAINERS} JSON arrays and objects; a request "
                                               "has an object with a text or a list of texts")(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


class SafeJSONResponse(JSONResponse):
    """UTF-8 JSON; a text holding lone surrogates (valid in JSON, not in UTF-8) is sent with \\u escapes."""

    def render(self, content) -> bytes:
        try:
            return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(content, separators=(",", ":")).encode("ascii")


def _error(status: int, loc: list, msg: str) -> JSONResponse:
    return SafeJSONResponse({"detail": [{"loc": loc, "msg": msg}]}, status_code=status)


def create_app(model=None, limits: Limits | None = None) -> FastAPI:
    """An app serving `model` (a loaded NERModel, a model directory, a list of them for an ensemble, or None for
    the bundled model); a directory exported to ONNX runs on `limits.threads` cores with onnxruntime (torch's
    threads are the process's: `app_from_env`); `limits.primitive_cache` applies if no oneDNN kernel has run in
    this process yet."""
    from .model import NERModel, load
    limits = limits or Limits()
    # oneDNN caches a kernel per input shape and reads the capacity when it first runs one (benchmarks/NOTES.md)
    os.environ["ONEDNN_PRIMITIVE_CACHE_CAPACITY"] = str(limits.primitive_cache)
    model = model if isinstance(model, NERModel) else load(model, threads=limits.threads)
    model.predict(["北京"])      # before the first request: loads numba's CRF decoder (compiles it after install)
    batcher = Batcher(model, limits)

    @asynccontextmanager
    async def lifespan(_app):
        task = asyncio.create_task(batcher.run())
        yield
        task.cancel()
        batcher.worker.shutdown(cancel_futures=True)     # waits for a model call under way

    app = FastAPI(title="zhner", version=__version__, lifespan=lifespan, default_response_class=SafeJSONResponse,
                  description="Chinese named-entity recognition. Spans use character offsets, end exclusive.")

    @app.exception_handler(RequestValidationError)
    async def invalid(_request, exc: RequestValidationError):
        """422 with where and what, without echoing the input back."""
        return SafeJSONResponse({"detail": [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                                            for e in exc.errors()]}, status_code=422)

    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, timeout_s=limits.body_timeout_s)

    @app.get("/health")
    async def health():
        return {"status": "ok", "waiting": batcher.waiting}

    @app.get("/model")
    async def model_info():
        return {"labels": model.labels, "config": asdict(model.cfg), "whole_runs": model.whole_runs,
                "models": len(getattr(model, "members", [model])), "version": __version__}

    async def tag(body: PredictRequest):
        """(texts, spans) or an error response."""
        texts = [body.text] if body.text is not None else body.texts
        if len(texts) > limits.max_texts:
            return _error(422, ["body", "texts"], f"{len(texts)} texts; at most {limits.max_texts} per request")
        for i, text in enumerate(texts):
            if len(text) > limits.max_chars:
                loc = ["body", "text"] if body.text is not None else ["body", "texts", i]
                return _error(422, loc, f"text of {len(text)} characters; at most {limits.max_chars}")
        try:
            return texts, await batcher.submit(texts)
        except Overloaded:
            return _error(503, ["server"], "too many texts waiting; retry later")

    @app.post("/predict")
    async def predict(body: PredictRequest):
        """Entities of one text (`text`) or several (`texts`): character offsets, end exclusive."""
        result = await tag(body)
        if isinstance(result, JSONResponse):
            return result
        return {"results": [{"text": t, "spans": [s.to_dict(t) for s in ss]} for t, ss in zip(*result)]}

    @app.post("/render")
    async def render(body: PredictRequest):
        """The same entities as HTML: nested, colour-coded <mark> elements."""
        result = await tag(body)
        if isinstance(result, JSONResponse):
            return result
        return {"html": render_docs(Example(t, ss) for t, ss in zip(*result))}

    @app.get("/", response_class=HTMLResponse)
    async def index():
        return viewer(model.labels)

    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` with several workers: model and limits from ZHNER_* variables
    (ZHNER_MODEL: directories joined by os.pathsep, several for an ensemble)."""
    import torch
    limits = Limits(**{k: type(v)(os.environ[f"ZHNER_{k.upper()}"]) for k, v in asdict(Limits()).items()
                       if f"ZHNER_{k.upper()}" in os.environ})
    if limits.threads:     # more threads than one per worker mostly spin against the event loop and each other
        torch.set_num_threads(limits.threads)
    return create_app([p for p in os.environ.get("ZHNER_MODEL", "").split(os.pathsep) if p] or None, limits)
