"""Shared fixtures: every test is isolated from the user's environment, home and plugins,
and HTTP is replayed from cassettes in the top-level cassettes/ folder (record mode none)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from hypothesis import settings as _hypothesis_settings

pytest_plugins = ["browser"]  # the `browser` fixture: headless Chromium for pages (tests/browser.py)

# CI runs the property tests on a fixed seed: a red build then always means a change broke
# something, never that a random draw found an old corner. Locally they explore freely.
_hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    _hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
SECRET_ENV_PREFIXES = ("POSTGEN_", "OPENAI_", "X_", "TWITTER_", "REDDIT_", "LINKEDIN_", "YOUTUBE_", "MASTODON_", "BLUESKY_")

# The real environment as it was before any test isolated itself: only used when a maintainer
# re-records cassettes with POSTGEN_RECORD=1 (see docs/recording.md).
_REAL_ENV = dict(os.environ)


def recording_keys(fake: dict[str, str]) -> dict[str, str]:
    """Test credentials: fakes on replay; the maintainer's real ones while re-recording."""
    if _REAL_ENV.get("POSTGEN_RECORD") != "1":
        return dict(fake)
    return {name: _REAL_ENV.get(name, value) for name, value in fake.items()}


# Headers, form fields and body keys that could carry a secret; scrubbed when recording.
FILTER_HEADERS = [
    ("authorization", "REDACTED"),
    ("cookie", "REDACTED"),
    ("set-cookie", "REDACTED"),
    ("x-api-key", "REDACTED"),
    ("openai-organization", "REDACTED"),
]
FILTER_POST_DATA = [("password", "REDACTED"), ("username", "REDACTED"), ("client_secret", "REDACTED"), ("refresh_token", "REDACTED")]


def _scrub_response(response):
    """Replace tokens in recorded bodies (Reddit's access_token, OAuth answers)."""
    import json

    body = response.get("body", {}).get("string")
    if not body:
        return response
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        return response
    if isinstance(data, dict):
        changed = False
        for key in ("access_token", "refresh_token", "id_token"):
            if key in data:
                data[key] = "REDACTED"
                changed = True
        if changed:
            response["body"]["string"] = json.dumps(data).encode()
    return response


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No keys, no config, no external plugins, a throwaway home and working directory."""
    for key in list(os.environ):
        if key.startswith(SECRET_ENV_PREFIXES):
            monkeypatch.delenv(key, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    yield work
    reset_plugin_manager()


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(CASSETTES / request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="module")
def vcr_config():
    # record_mode is NOT set here: pytest-recording's --record-mode (default none) decides.
    return {
        "filter_headers": FILTER_HEADERS,
        "filter_post_data_parameters": FILTER_POST_DATA,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture
def named_cassette(request, vcr_cassette_dir, vcr_config):
    """`with named_cassette("test_publish_duplicate") as cassette:` for tests parametrized over
    cassettes; honours --record-mode like @pytest.mark.vcr does."""
    import vcr

    mode = request.config.getoption("--record-mode") or "none"
    recorder = vcr.VCR(cassette_library_dir=vcr_cassette_dir, record_mode=mode, **vcr_config)
    return lambda name: recorder.use_cassette(f"{name}.yaml")


class Cli:
    """Run `postgen` in-process: `cli("status", "--json")` -> click Result."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        from postgen.cli import make_cli

        return self.runner.invoke(make_cli(), list(args), input=input, env=env, catch_exceptions=False)


@pytest.fixture
def cli():
    return Cli()
