"""Fixtures for the postgen-mastodon tests: fake credentials, a post, cassettes beside the tests.

Re-record against a real (throwaway) account: delete the cassette, then
    MASTODON_API_BASE_URL=https://your.server MASTODON_ACCESS_TOKEN=... pytest --record-mode=once
The filters below keep the token out of the cassettes and rename your server to mastodon.example;
CI replays them (record mode none) with fake keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
BASE_URL = "https://mastodon.example"
CREDENTIALS = ("MASTODON_API_BASE_URL", "MASTODON_ACCESS_TOKEN")
REAL = {name: os.environ[name] for name in CREDENTIALS if os.environ.get(name)}  # read before isolation
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real keys and no other plugins leak into a test."""
    for key in list(os.environ):
        if key.startswith(("MASTODON_", "POSTGEN_")):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "mastodon")
    monkeypatch.chdir(tmp_path)
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    yield
    reset_plugin_manager()


@pytest.fixture
def env(record_mode) -> dict[str, str]:
    """When recording, the real keys; when replaying, obvious fakes."""
    if record_mode != "none" and len(REAL) == len(CREDENTIALS):
        return dict(REAL)
    return {"MASTODON_API_BASE_URL": BASE_URL, "MASTODON_ACCESS_TOKEN": "test-token"}


@pytest.fixture
def connector(env):
    from postgen_mastodon import MastodonConnector

    return MastodonConnector(env=env)


@pytest.fixture
def post():
    from postgen import Post

    return Post(
        id="mastodon-naval",
        platform="mastodon",
        framework="naval",
        body="Leverage is a multiplier. Learn once, earn forever.\n\n#Learning #Leverage",
        link=VIDEO,
        link_policy="first_comment",
    )


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(HERE / "cassettes" / request.module.__name__.rsplit(".", 1)[-1])


def _rename_server(request):
    """Cassettes name no real server: your instance becomes mastodon.example."""
    real = REAL.get("MASTODON_API_BASE_URL", "").rstrip("/")
    if real:
        request.uri = request.uri.replace(real, BASE_URL)
    return request


def _scrub(response):
    """Tokens never reach a cassette, even if an OAuth answer is recorded by accident."""
    import json

    body = response.get("body", {}).get("string")
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return response
    if isinstance(data, dict) and "access_token" in data:
        data["access_token"] = "REDACTED"
        response["body"]["string"] = json.dumps(data).encode()
    return response


@pytest.fixture(scope="module")
def vcr_config():
    # No record_mode here: --record-mode on the command line decides (default none: replay only).
    return {
        "filter_headers": [("authorization", "REDACTED"), ("cookie", "REDACTED"), ("set-cookie", "REDACTED")],
        "filter_post_data_parameters": [("client_secret", "REDACTED"), ("password", "REDACTED")],
        "before_record_request": _rename_server,
        "before_record_response": _scrub,
        "decode_compressed_response": True,
    }
