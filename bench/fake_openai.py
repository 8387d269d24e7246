"""A local OpenAI-compatible server for benchmarks and tests: fixed latency, schema-shaped answers.

It answers `POST /v1/chat/completions` after `latency` seconds with JSON that fits the request's
`response_format` JSON schema (structured output), so any postgen generator prompt works against
it. It records every request body so the bench can count what was sent, and logs when each
request arrived and its answer left. A `script` may answer a request its own way (a glitch, an
error, a slow answer). Loopback only.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

SAMPLE_STRINGS = {
    "title": "What a single video taught me about learning",
    "body": "One idea from this talk changed how I study.\n\nPractice beats rereading.\n\nWorth a watch.",
    "text": "One idea from this talk changed how I study. Practice beats rereading.",
}


def instance(schema: dict[str, Any], defs: dict[str, Any], name: str = "") -> Any:
    """A small value that satisfies a (pydantic-made) JSON schema."""
    if "$ref" in schema:
        return instance(defs[schema["$ref"].split("/")[-1]], defs, name)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return instance(options[0], defs, name)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        return {key: instance(sub, defs, key) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [instance(schema.get("items", {}), defs, name) for _ in range(max(2, schema.get("minItems", 0)))]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return SAMPLE_STRINGS.get(name, f"A short {name or 'text'} for the benchmark.")


@dataclass
class Seen:
    """One request as the server saw it, and what it answered (perf_counter times)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    arrived: float
    answered: float | None = None
    status: int | None = None


@dataclass
class Reply:
    """A scripted answer: `content` as the assistant message (usage and all), or `status` and
    `body` as they are (an error). `delay` replaces the server's latency."""

    content: str | None = None
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float | None = None


def schema_answer(body: dict[str, Any]) -> str:
    """The assistant content that fits a request's structured-output schema."""
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema") or {"type": "object", "properties": {}}
    return json.dumps(instance(schema, schema.get("$defs", {})))


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # sixteen drafts connect at once: the default backlog of 5 drops some
    daemon_threads = True


class FakeOpenAI:
    def __init__(self, latency: float = 0.2, script: Callable[[Seen], Reply | None] | None = None):
        self.latency = latency
        self.script = script  # None, or returning None: the schema-shaped answer
        self.requests: list[dict[str, Any]] = []
        self.log: list[Seen] = []
        self.first_seen: float | None = None  # perf_counter of the first request's arrival
        self.last_done: float | None = None  # ... and of the last answer sent
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                seen = Seen(self.path, dict(self.headers), body, time.perf_counter())
                with server._lock:
                    server.requests.append(body)
                    server.log.append(seen)
                    if server.first_seen is None:
                        server.first_seen = seen.arrived
                reply = (server.script(seen) if server.script else None) or Reply()
                time.sleep(server.latency if reply.delay is None else reply.delay)
                answer = reply.body
                if answer is None:
                    content = schema_answer(body) if reply.content is None else reply.content
                    answer = completion(body, content, len(server.requests))
                data = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response(reply.status)
                for name, value in {"content-type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with server._lock:
                    seen.answered, seen.status = time.perf_counter(), reply.status
                    server.last_done = seen.answered

        self.httpd = _Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def completion(request: dict[str, Any], content: str, n: int) -> dict[str, Any]:
    """A chat.completion carrying `content`, with usage estimated from the characters (4 a token)."""
    prompt_chars = sum(len(str(m.get("content", ""))) for m in request.get("messages", []))
    return {
        "id": f"chatcmpl-bench{n}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "bench"),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None}, "finish_reason": "stop", "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_chars // 4,
            "completion_tokens": len(content) // 4,
            "total_tokens": (prompt_chars + len(content)) // 4,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
    }
