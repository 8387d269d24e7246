"""`postgen publish` and `postgen approve` from the command line, over fake platforms."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import time_machine
from ledger_fakes import FakeConnector, FakePlatform, make_run

from postgen import runfile, schedule
from postgen.commands import publish as publish_cmd
from postgen.config import parse_config
from postgen.connector import PublishError
from postgen.models import PostState


@pytest.fixture
def platforms(monkeypatch):
    """Fake X, LinkedIn and Reddit behind postgen.checks.connector_for; no sleeping."""
    fakes = {name: FakePlatform(name) for name in ("x", "linkedin", "reddit")}
    import postgen.checks
    import postgen.ledger

    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, fakes[name]))
    monkeypatch.setattr(postgen.ledger, "sleep", lambda seconds: None)
    return fakes


@pytest.fixture
def runs(isolated) -> Path:
    return isolated / "runs"


def test_refuses_without_confirmation_when_there_is_no_terminal(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi")])
    result = cli("publish", path.stem)
    assert result.exit_code == 2
    assert "refusing to publish without confirmation" in result.output and "--yes" in result.output
    assert platforms["x"].create_calls == 0
    result = cli("publish", "--due")
    assert platforms["x"].create_calls == 0


def test_asks_on_a_terminal(cli, runs, platforms, monkeypatch):
    monkeypatch.setattr(publish_cmd, "interactive", lambda: True)
    path = make_run(runs, [("x", "hormozi")])
    no = cli("publish", path.stem, input="n\n")
    assert no.exit_code == 1 and "Aborted" in no.output and platforms["x"].create_calls == 0
    yes = cli("publish", path.stem, input="y\n")
    assert yes.exit_code == 0, yes.output
    assert "x-hormozi" in yes.output and platforms["x"].copies("x-hormozi") == 1


def test_dry_run_sends_nothing_needs_no_keys_and_shows_what_would_go(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi"), ("reddit", "naval")])
    before = path.read_bytes()
    result = cli("publish", path.stem, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "The hormozi post for x" in result.output and "would publish" in result.output
    assert "nothing was sent" in result.output
    assert all(p.create_calls == 0 for p in platforms.values())
    assert path.read_bytes() == before
    data = json.loads(cli("publish", path.stem, "--dry-run", "--json").output)
    assert {r["post"]: r["action"] for r in data["posts"]} == {"x-hormozi": "publish", "reddit-naval": "publish"}
    assert data["posts"][0]["preview"]["parts"][0]["kind"] == "post"


def test_dry_run_shows_a_post_that_would_fail(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi")], )
    path.write_text(path.read_text(encoding="utf-8").replace("The hormozi post", "z" * 290), encoding="utf-8")
    result = cli("publish", path.stem, "--dry-run")
    assert result.exit_code == 1 and "would fail" in result.output and "of 280 characters" in result.output


def test_publish_reports_a_table_and_exit_codes(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi"), ("linkedin", "aida"), ("reddit", "naval")])
    platforms["linkedin"].errors.append(PublishError("invalid", "commentary over 3000", status=400))
    platforms["reddit"].errors.append(PublishError("rate_limited", "RATELIMIT", status=429, retry_at=4102444800.0))
    result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 1  # a failure outranks a deferral
    lines = {line.split()[2]: line for line in result.output.splitlines() if line.split()[:1] and line.split()[0].isupper() and len(line.split()) > 2}
    assert lines["x-hormozi"].startswith("PUBLISHED") and "https://x.com/me/status/" in lines["x-hormozi"]
    assert lines["linkedin-aida"].startswith("FAILED") and "commentary over 3000" in lines["linkedin-aida"]
    assert lines["reddit-naval"].startswith("DEFERRED") and "until 2100-01-01" in lines["reddit-naval"]
    # Only the deferral is left: exit code 3.
    again = cli("publish", path.stem, "--yes", "--json")
    data = json.loads(again.output)
    assert again.exit_code == 3 and data["exit_code"] == 3
    assert {o["post"]: o["status"] for o in data["outcomes"]} == {"reddit-naval": "deferred", "linkedin-aida": "skipped"}
    assert platforms["x"].copies("x-hormozi") == 1


def test_platform_and_post_filters(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi"), ("x", "naval"), ("reddit", "hormozi")])
    assert cli("publish", path.stem, "--platform", "reddit", "--yes").exit_code == 0
    assert platforms["reddit"].copies("reddit-hormozi") == 1 and platforms["x"].create_calls == 0
    assert cli("publish", path.stem, "--post", "x-naval", "--yes").exit_code == 0
    assert platforms["x"].copies("x-naval") == 1 and platforms["x"].copies("x-hormozi") == 0
    bad = cli("publish", path.stem, "--post", "x-nope", "--yes")
    assert bad.exit_code == 2 and "no post x-nope" in bad.output


def test_a_failed_post_is_retried_only_when_named(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi")])
    platforms["x"].errors.append(PublishError("invalid", "bad media id", status=400))
    assert cli("publish", path.stem, "--yes").exit_code == 1
    assert cli("publish", path.stem, "--yes").exit_code == 0  # skipped, not retried
    assert platforms["x"].create_calls == 1
    assert cli("publish", path.stem, "--post", "x-hormozi", "--yes").exit_code == 0
    assert platforms["x"].copies("x-hormozi") == 1


def test_lock_held_is_a_clear_error(cli, runs, platforms):
    path = make_run(runs, [("x", "hormozi")])
    with runfile.locked(path):
        result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 2 and "another postgen process is working on this run" in result.output
    assert platforms["x"].create_calls == 0


def _scheduled_run(runs: Path, video_id: str, tz: str, created: datetime, posts):
    path = make_run(runs / ".new", posts, video_id=video_id, created=created)
    run = runfile.load(path)
    schedule.assign(run, parse_config({"schedule": {"timezone": tz, "slots": {"x": ["09:00"], "linkedin": ["08:30"]}}}), runs_dir=runs)
    target = runs / path.name
    runfile.save(target, run)
    path.unlink()
    return target


def test_due_publishes_what_is_due_across_runs_and_time_zones(cli, runs, platforms):
    created = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
    # Tokyo 09:00 = 00:00 UTC (next day: Nov 3); Paris 09:00 = 08:00 UTC; New York 09:00 = 14:00 UTC.
    tokyo = _scheduled_run(runs, "tokyo000001", "Asia/Tokyo", created, [("x", "hormozi"), ("x", "naval")])
    paris = _scheduled_run(runs, "paris000001", "Europe/Paris", created, [("x", "aida"), ("linkedin", "aida")])
    ny = _scheduled_run(runs, "newyork0001", "America/New_York", created, [("x", "garyvee")])
    with time_machine.travel(datetime(2026, 11, 2, 8, 10, tzinfo=timezone.utc), tick=False):
        result = cli("publish", "--due", "--yes", "--json")
    assert result.exit_code == 0, result.output
    published = {(o["run"], o["post"]) for o in json.loads(result.output)["outcomes"] if o["status"] == "published"}
    # Paris: x 09:00 CET = 08:00 UTC, linkedin 08:30 CET = 07:30 UTC: due. New York 14:00 UTC: not yet.
    # Tokyo: created 15:00 JST, first slot 09:00 JST on the 3rd = 00:00 UTC on the 3rd: not yet.
    assert published == {(paris.stem, "x-aida"), (paris.stem, "linkedin-aida")}
    with time_machine.travel(datetime(2026, 11, 2, 14, 30, tzinfo=timezone.utc), tick=False):
        result = cli("publish", "--due", "--yes", "--json")
    published = {(o["run"], o["post"]) for o in json.loads(result.output)["outcomes"] if o["status"] == "published"}
    assert published == {(ny.stem, "x-garyvee")}
    with time_machine.travel(datetime(2026, 11, 3, 0, 10, tzinfo=timezone.utc), tick=False):
        result = cli("publish", "--due", "--yes", "--json")
    published = {(o["run"], o["post"]) for o in json.loads(result.output)["outcomes"] if o["status"] == "published"}
    assert published == {(tokyo.stem, "x-hormozi")}
    assert runfile.load(tokyo).post("x-naval").state is PostState.ready  # its slot is the 4th
    assert all(platforms["x"].copies(pid) <= 1 for pid in ("x-hormozi", "x-naval", "x-aida", "x-garyvee"))


def test_approve_and_the_gate(cli, runs, platforms, isolated):
    (isolated / "postgen.toml").write_text("[publish]\nrequire_approval = true\n", encoding="utf-8")
    path = make_run(runs, [("x", "hormozi"), ("x", "naval")])
    blocked = cli("publish", path.stem, "--yes")
    assert "not approved" in blocked.output and platforms["x"].create_calls == 0
    result = cli("approve", path.stem, "x-naval")
    assert result.exit_code == 0 and "approved x-naval" in result.output
    assert runfile.load(path).post("x-naval").approved and not runfile.load(path).post("x-hormozi").approved
    assert cli("approve", path.stem, "x-nope").exit_code == 2
    published = cli("publish", path.stem, "--yes")
    assert platforms["x"].copies("x-naval") == 1 and platforms["x"].copies("x-hormozi") == 0
    assert "SKIPPED" in published.output
    cli("approve", path.stem)
    assert runfile.load(path).post("x-hormozi").approved


def test_resolve_from_the_command_line(cli, runs, platforms):
    path = make_run(runs, [("linkedin", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("linkedin-hormozi").state = PostState.publishing
    unresolved = cli("publish", path.stem, "--yes")
    assert unresolved.exit_code == 1 and f"postgen publish {path.stem} --resolve linkedin-hormozi" in unresolved.output
    assert cli("publish", path.stem, "--resolve", "linkedin-hormozi").exit_code == 2
    assert cli("publish", path.stem, "--resolve", "linkedin-hormozi", "--as", "published").exit_code == 2
    url = "https://www.linkedin.com/feed/update/urn:li:share:123"
    result = cli("publish", path.stem, "--resolve", "linkedin-hormozi", "--as", "published", url)
    assert result.exit_code == 0 and "recorded as published" in result.output
    post = runfile.load(path).post("linkedin-hormozi")
    assert post.state is PostState.published and post.publication.url == url
    assert cli("publish", path.stem, "--yes").exit_code == 0 and platforms["linkedin"].create_calls == 0


def test_usage_errors(cli, runs, platforms):
    assert cli("publish").exit_code == 2
    assert "no such run" in cli("publish", "nope", "--yes").output
