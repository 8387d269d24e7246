"""Fixtures for the review page tests: a real run (the offline generator's 15 posts) and the review
server on 127.0.0.1 in a thread, stopped after the test. Import the fixtures into a test module."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def run_path(cli) -> Path:
    result = cli("run", "--dry-run")
    assert result.exit_code == 0, result.output
    return next(Path("runs").glob("*.md")).resolve()


def change_file(path: Path, post_id: str, **fields: Any) -> None:
    """Another command (or a person's editor) changes a post in the file."""
    from postgen import runfile

    with runfile.editing(path, "test") as handle:
        post = handle.run.post(post_id)
        for name, value in fields.items():
            setattr(post, name, value)


def publish_in_file(path: Path, post_id: str) -> None:
    from postgen.models import PostState, Publication

    change_file(path, post_id, state=PostState.published, attempts=1,
                publication=Publication(remote_id="1", url="https://x.com/i/web/status/1"))


@dataclass
class Served:
    server: Any
    path: Path

    @property
    def port(self) -> int:
        return self.server.port

    def request(self, method: str, target: str, body: dict | None = None, headers: dict | None = None,
                host: str = "127.0.0.1") -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(host, self.port, timeout=10)
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Content-Type": "application/json"} if data is not None else {}
        connection.request(method, target, body=data, headers=sent | (headers or {}))
        response = connection.getresponse()
        answer = (response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        connection.close()
        return answer

    def post(self, post_id: str, action: str, body: dict, key: str | None = None) -> tuple[int, dict]:
        status, _headers, raw = self.request("POST", f"/api/posts/{post_id}/{action}", body,
                                             {"X-Postgen-Review": self.server.key if key is None else key})
        return status, json.loads(raw)

    def version(self, post_id: str) -> str:
        """The post's version as the page sees it (the run file brought up to its journal)."""
        from postgen.pages.review import version

        return version(self.server.review.load().post(post_id))


@pytest.fixture
def served(run_path):
    from postgen.config import load_config
    from postgen.pages.edits import Review
    from postgen.pages.server import ReviewServer

    server = ReviewServer(Review(run_path, load_config(None)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(server, run_path)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
