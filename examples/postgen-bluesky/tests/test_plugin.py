"""The package as postgen sees it: its entry point, lazy imports, and cassettes free of secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent


def installed() -> bool:
    try:
        metadata.distribution("postgen-bluesky")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="postgen-bluesky is not installed (pip install -e examples/postgen-bluesky)")
def test_entry_point_makes_postgen_load_it():
    [ep] = [ep for ep in metadata.entry_points(group="postgen") if ep.name == "bluesky"]
    assert ep.value == "postgen_bluesky"

    from postgen.checks import connector_for
    from postgen.registry import connectors

    assert "bluesky" in connectors.names()
    assert connector_for("bluesky").label == "BLUESKY"


def test_registers_one_connector():
    import postgen_bluesky

    registered = []
    postgen_bluesky.postgen_register_connectors(register=registered.append)
    assert registered == [postgen_bluesky.BlueskyConnector]


def test_importing_the_plugin_imports_no_http_or_unicode_tables():
    code = "import sys, postgen_bluesky; print(*(m in sys.modules for m in ('requests', 'grapheme', 'urllib3')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]


def test_no_secret_in_any_cassette():
    for path in (HERE / "cassettes").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "Bearer" not in text and "test-app-password" not in text, path
        for interaction in yaml.safe_load(text.replace("!!binary", ""))["interactions"]:
            body = interaction["request"]["body"]
            if isinstance(body, str) and body.startswith("{") and "password" in body:
                assert json.loads(body)["password"] == "REDACTED", path
            answer = interaction["response"]["body"]["string"]
            if isinstance(answer, str) and "accessJwt" in answer:
                assert json.loads(answer)["accessJwt"] == json.loads(answer)["refreshJwt"] == "REDACTED", path


CONFIG = """
runs_dir = "runs"

[[sources]]
type = "local"
path = "builtin:sample"

[generator]
name = "offline"

[platforms]
enabled = ["bluesky"]

[schedule.slots]
bluesky = ["12:00"]
"""


@pytest.mark.skipif(not installed(), reason="postgen-bluesky is not installed (pip install -e examples/postgen-bluesky)")
@pytest.mark.vcr
def test_postgen_metrics_saves_the_reading_in_the_run_file(isolated, env, monkeypatch, vcr):
    """The whole path with the package installed: a run's two posts recorded published by their
    URLs, and two days later `postgen metrics latest` reads both in one getPosts call and saves
    each reading (24h) in the run file."""
    from datetime import datetime, timedelta, timezone

    import time_machine
    from click.testing import CliRunner

    from postgen import runfile
    from postgen.cli import make_cli

    def postgen(*args: str) -> str:
        result = CliRunner().invoke(make_cli(), list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    (isolated / "postgen.toml").write_text(CONFIG, encoding="utf-8")
    postgen("run", "--dry-run")
    out = {"bluesky-naval": "3lbvx2k7ms22c", "bluesky-aida": "3lbxa4mtyfc2h"}
    for post, rkey in out.items():
        postgen("publish", "latest", "--resolve", post, "--as", "published", f"https://bsky.app/profile/{env['BLUESKY_HANDLE']}/post/{rkey}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=2)):
        shown = postgen("metrics", "latest")
    assert vcr.play_count == 2  # login, one getPosts for both
    assert "READ" in shown and "38 engagements" in shown and "11 engagements" in shown
    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    [naval] = run.post("bluesky-naval").metrics
    assert (naval.age, naval.engagements, naval.impressions) == ("24h", 38, None)
    assert naval.counts == {"likeCount": 23, "repostCount": 6, "replyCount": 4, "quoteCount": 2, "bookmarkCount": 3}
    assert run.post("bluesky-aida").metrics[0].engagements == 11
    assert all(not p.metrics for p in run.posts if p.id not in out)  # the others were never published
