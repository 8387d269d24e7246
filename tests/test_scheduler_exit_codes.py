"""Exit codes a scheduler can trust: nothing to do is not a failure, a platform without keys does
not hold back the others, and an imported run gets slots like a generated one."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import time_machine
from ledger_fakes import FakeConnector, FakePlatform, make_run

from postgen import runfile

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


def test_run_twice_on_the_shipped_config_exits_0_and_next_agrees(cli, isolated):
    shutil.copy(ROOT / "postgen.toml", isolated / "postgen.toml")
    first = cli("run")
    assert first.exit_code == 0, first.output
    again = cli("run")
    assert again.exit_code == 0, again.output
    assert "notice: nothing generated: no video to pick" in again.output
    assert len(runfile.list_runs(isolated / "runs")) == 1
    nxt = cli("next")
    assert nxt.exit_code == 0 and "nothing new to pick" in nxt.output


def test_a_failing_source_is_still_a_problem(cli, isolated):
    (isolated / "postgen.toml").write_text('[[sources]]\ntype = "queue"\npath = "missing.txt"\n', encoding="utf-8")
    assert cli("next").exit_code == 1
    assert cli("run").exit_code == 2


def test_import_then_due_dry_run_after_the_slot_shows_its_posts(cli, isolated):
    result = cli("import", str(DATA / "legacy_run.md"))
    assert result.exit_code == 0, result.output
    assert "'postgen publish --due' sends each at its slot" in result.output
    path = runfile.list_runs(isolated / "runs")[0]
    run = runfile.load(path)
    ready = [p for p in run.posts if p.state.value == "ready"]
    assert ready and all(p.scheduled_at is not None for p in ready)  # slots, from now on
    assert all(p.scheduled_at > run.created for p in ready)
    first = min(ready, key=lambda p: p.scheduled_at)
    assert json.loads(cli("pending", "--json").output)["waiting"] == len(ready)
    with time_machine.travel(first.scheduled_at + timedelta(minutes=5), tick=False):
        dry = cli("publish", "--due", "--dry-run")
        counts = json.loads(cli("pending", "--json").output)
    assert f"{run.id} {first.id}: would publish" in dry.output
    assert counts["due"] >= 1


def test_a_platform_without_keys_is_skipped_not_failed_and_the_others_publish(cli, isolated, monkeypatch):
    import postgen.checks
    from postgen.connectors.x import XConnector

    reddit = FakePlatform("reddit")
    monkeypatch.setattr(postgen.checks, "connector_for",
                        lambda name, config=None: XConnector() if name == "x" else FakeConnector(name, reddit))
    path = make_run(isolated / "runs", [("x", "hormozi"), ("reddit", "hormozi")])
    result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 0, result.output
    assert "SKIPPED" in result.output and "skipped: X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET not set" in result.output
    assert reddit.copies("reddit-hormozi") == 1
    assert runfile.load(path).post("x-hormozi").state.value == "ready"


def test_doctor_says_publishing_goes_on_for_the_ready_platforms(cli, isolated):
    (isolated / "postgen.toml").write_text('[platforms]\nenabled = ["x", "reddit"]\n[platforms.reddit]\nsubreddit = "t"\n',
                                           encoding="utf-8")
    result = cli("doctor")
    assert result.exit_code == 1  # problems found: honest
    assert "publishes nowhere; the posts of the others are skipped and stay ready" in result.output
    data = json.loads(cli("doctor", "--json").output)
    assert data["publishable"] == [] and [p["platform"] for p in data["platforms"]] == ["x", "reddit"]
