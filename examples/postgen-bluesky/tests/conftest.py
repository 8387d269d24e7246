"""Fixtures for the postgen-bluesky tests: fake credentials, cassettes beside the tests, and a
body matcher that ignores the one thing that differs on every run, the record's `createdAt`.

Re-record against a throwaway account: delete the cassette, then
    BLUESKY_HANDLE=you.bsky.social BLUESKY_APP_PASSWORD=xxxx-xxxx-xxxx-xxxx pytest --record-mode=once
The filters below replace the app password in the login body and the session tokens in its
answer before anything is written; CI replays the cassettes (record mode none) with fake keys.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
CREDENTIALS = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
REAL = {name: os.environ[name] for name in CREDENTIALS if os.environ.get(name)}  # read before isolation
HANDLE = "postgen-test.bsky.social"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
VOLATILE = ("createdAt",)  # a new timestamp on every run: not part of what a cassette asserts


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real keys and no other plugins leak into a test."""
    for key in list(os.environ):
        if key.startswith(("BLUESKY_", "POSTGEN_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "bluesky")
    monkeypatch.chdir(tmp_path)
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    yield tmp_path
    reset_plugin_manager()


@pytest.fixture
def env(record_mode) -> dict[str, str]:
    """When recording, the real keys; when replaying, obvious fakes."""
    if record_mode != "none" and len(REAL) == len(CREDENTIALS):
        return dict(REAL)
    return {"BLUESKY_HANDLE": HANDLE, "BLUESKY_APP_PASSWORD": "test-app-password"}


@pytest.fixture
def connector(env):
    from postgen_bluesky import BlueskyConnector

    return BlueskyConnector(env=env)


@pytest.fixture
def post():
    from postgen import Post

    return Post(id="bluesky-naval", platform="bluesky", framework="naval", link=VIDEO, link_policy="first_comment",
                body="Learn the fundamentals. The rest is commentary.\n\nUnderstanding compounds. 🌱 #Learning")


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(HERE / "cassettes" / request.module.__name__.rsplit(".", 1)[-1])


# [docs:start timestamps]
def _without_volatile(value):
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


def json_body(recorded, sent) -> None:
    """Bodies must match, except for timestamps: JSON is compared with VOLATILE keys dropped at
    any depth; anything else (an image upload) byte for byte. Raises AssertionError on a mismatch."""
    a, b = recorded.body or b"", sent.body or b""
    try:
        a, b = _without_volatile(json.loads(a)), _without_volatile(json.loads(b))
    except ValueError:
        pass
    assert a == b, f"body differs: {a!r} != {b!r}"


def pytest_recording_configure(config, vcr):
    vcr.register_matcher("json_body", json_body)
# [docs:end timestamps]


def _scrub(response):
    """Session tokens never reach a cassette."""
    body = response.get("body", {}).get("string")
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return response
    if isinstance(data, dict) and {"accessJwt", "refreshJwt"} & set(data):
        data.update({k: "REDACTED" for k in ("accessJwt", "refreshJwt") if k in data})
        response["body"]["string"] = json.dumps(data).encode()
    return response


@pytest.fixture(scope="module")
def vcr_config():
    # No record_mode here: --record-mode on the command line decides (default none: replay only).
    return {
        "filter_headers": [("authorization", "REDACTED"), ("cookie", "REDACTED"), ("set-cookie", "REDACTED")],
        "filter_post_data_parameters": [("password", "REDACTED")],  # the app password in createSession's JSON
        "before_record_response": _scrub,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "json_body"],
        "decode_compressed_response": True,
    }
