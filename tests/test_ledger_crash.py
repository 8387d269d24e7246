"""The heart of the ledger: kill publishing at every step, publish again, and count what the
platform holds. No post may be created twice, none may be lost, and a follow-up whose outcome
is unknown is reported, never re-sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from ledger_fakes import BEHAVIOURS, Crash, FakeConnector, FakePlatform, make_run

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.ledger.journal import Journal
from postgen.models import PostState

TESTS = Path(__file__).resolve().parent
FRAMEWORKS = ("hormozi", "naval")


class Tracer:
    """Counts every point where the process could die; raises Crash at the chosen one."""

    def __init__(self, crash_at: int | None = None):
        self.crash_at = crash_at
        self.steps: list[str] = []

    def __call__(self, name: str) -> None:
        self.steps.append(name)
        if self.crash_at is not None and len(self.steps) == self.crash_at:
            raise Crash(name)


@pytest.fixture
def traced_save(monkeypatch):
    """Route every run-file save through the current tracer (a crash there loses that save)."""
    original = runfile.save
    holder: dict = {"tracer": None, "clock": datetime.now(timezone.utc).replace(microsecond=0)}

    def save(path, run):
        if holder["tracer"] is not None:
            holder["tracer"]("save")
        original(path, run)

    monkeypatch.setattr(runfile, "save", save)
    write = Journal._write

    def journal_write(self, line):  # after the run file's save, before the call: the other crash point
        if holder["tracer"] is not None:
            holder["tracer"]("journal")
        write(self, line)

    monkeypatch.setattr(Journal, "_write", journal_write)
    return holder


def one_pass(path: Path, platform: FakePlatform, tracer: Tracer | None, holder, **selection):
    """One pass, an hour after the previous one (as the hourly job: a lagging listing has caught up)."""
    holder["tracer"] = tracer
    holder["clock"] += timedelta(hours=1)
    publisher = ledger.Publisher(
        parse_config({}),
        connector_for=lambda name: FakeConnector(name, platform, tracer),
        sleep=lambda seconds: None,
        fire=lambda outcome: None,
    )
    try:
        with time_machine.travel(holder["clock"], tick=False):
            return publisher.publish_run(path, **selection)
    finally:
        holder["tracer"] = None


def settle(path: Path, platform: FakePlatform, holder) -> list[ledger.Outcome]:
    """Publish again after the crash; where postgen asks for a decision, decide as a person
    who looked at the platform would, and publish again."""
    outcomes = one_pass(path, platform, None, holder)
    for _ in range(3):
        unresolved = [o for o in outcomes if o.status == "unresolved"]
        if not unresolved:
            break
        for o in unresolved:
            assert "--resolve" in o.reason  # the user is told exactly what to do
            url = platform.url_of(o.post_id)
            if url:
                ledger.resolve(path, o.post_id, "published", url)
            else:
                ledger.resolve(path, o.post_id, "failed")
        outcomes = one_pass(path, platform, None, holder, post_ids=[o.post_id for o in unresolved])
        outcomes += one_pass(path, platform, None, holder)
    return outcomes


def assert_once_each(path: Path, platform: FakePlatform) -> None:
    run = runfile.load(path)
    for post in run.posts:
        assert platform.copies(post.id) == 1, f"{post.id} exists {platform.copies(post.id)} times on the platform"
        assert post.state is PostState.published, f"{post.id} is {post.state.value}: lost"
        assert post.publication.url == platform.url_of(post.id)
        comments = platform.comments_on(post.id)
        assert comments <= 1, f"{post.id}: link follow-up posted {comments} times"
        final = [f for f in post.publication.follow_ups if f.state != "publishing"]
        assert len(final) == 1 and len(post.publication.follow_ups) == 1
        if comments == 0:  # never silently lost: the ledger says it is missing
            assert final[0].state == "failed" and "unknown" in final[0].error
        if final[0].state == "published":
            assert comments == 1


def _steps_of_a_clean_pass(tmp_path: Path, behaviour: str, holder) -> list[str]:
    path = make_run(tmp_path / "clean", [(behaviour, fw) for fw in FRAMEWORKS])
    platform = FakePlatform(behaviour)
    tracer = Tracer()
    outcomes = one_pass(path, platform, tracer, holder)
    assert [o.status for o in outcomes] == ["published", "published"]
    assert_once_each(path, platform)
    return tracer.steps


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_crash_at_every_step_then_publish_again(tmp_path, behaviour, traced_save):
    steps = _steps_of_a_clean_pass(tmp_path, behaviour, traced_save)
    # Every kind of step is in there: intent saves, the create, accepted-but-unsaved, the follow-up.
    assert {"save", "journal", "publish.before", "publish.after", "follow_up.before", "follow_up.after"} <= set(steps)
    for k in range(1, len(steps) + 1):
        path = make_run(tmp_path / f"crash{k}", [(behaviour, fw) for fw in FRAMEWORKS])
        platform = FakePlatform(behaviour)
        with pytest.raises(Crash):
            one_pass(path, platform, Tracer(crash_at=k), traced_save)
        runfile.load(path)  # the file is whole after any crash
        settle(path, platform, traced_save)
        try:
            assert_once_each(path, platform)
        except AssertionError as exc:
            raise AssertionError(f"crash at step {k} ({steps[k - 1]}): {exc}") from None


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_crash_after_accept_is_reconciled_without_a_second_create(tmp_path, behaviour, traced_save):
    path = make_run(tmp_path, [(behaviour, "hormozi")], link=None)
    platform = FakePlatform(behaviour)
    def die_after_accept(name):
        if name == "publish.after":
            raise Crash(name)

    traced_save["tracer"] = None
    publisher = ledger.Publisher(parse_config({}), connector_for=lambda n: FakeConnector(n, platform, die_after_accept),
                                 sleep=lambda s: None, fire=lambda o: None)
    with pytest.raises(Crash):
        publisher.publish_run(path)
    assert runfile.load(path).post(f"{behaviour}-hormozi").state is PostState.publishing
    calls_before = platform.create_calls
    outcomes = one_pass(path, platform, None, traced_save)
    if behaviour == "linkedin":  # cannot look up: a person decides, nothing is re-sent
        assert outcomes[0].status == "unresolved"
        assert platform.create_calls == calls_before
        assert runfile.load(path).post("linkedin-hormozi").state is PostState.publishing
    else:
        assert outcomes[0].status == "published"
        assert platform.create_calls == calls_before  # found, not re-created
        assert outcomes[0].url == platform.url_of(f"{behaviour}-hormozi")
    assert platform.copies(f"{behaviour}-hormozi") == 1


SCRIPT = """
import os, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from ledger_fakes import FakeConnector, FakePlatform
import postgen.checks, postgen.ledger
platform = FakePlatform({behaviour!r}, store=Path({store!r}))
die_at = os.environ.get("DIE_AT")
def step(name):
    if name == die_at:
        os._exit(17)  # no cleanup, no finally: as a kill would
postgen.checks.connector_for = lambda name, config=None: FakeConnector(name, platform, step)
postgen.ledger.sleep = lambda s: None
from postgen.cli import main
main(["publish", {run!r}, "--yes", "--json"])
"""


@pytest.mark.parametrize("behaviour,die_at", [("reddit", "publish.after"), ("x", "follow_up.after"), ("reddit", "publish.before")])
def test_killed_process_then_second_process_reconciles(tmp_path, behaviour, die_at, isolated):
    path = make_run(tmp_path / "runs", [(behaviour, "hormozi"), (behaviour, "naval")])
    store = tmp_path / "platform.json"
    script = tmp_path / "publish.py"
    script.write_text(SCRIPT.format(tests=str(TESTS), behaviour=behaviour, store=str(store), run=str(path)))
    env = {k: v for k, v in os.environ.items()}
    first = subprocess.run([sys.executable, str(script)], env={**env, "DIE_AT": die_at}, capture_output=True, text=True, timeout=120)
    assert first.returncode == 17, first.stderr
    second = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    if die_at == "publish.before":
        # Killed after the intent, before the call: Reddit's listing may lag behind a post that
        # landed, so at once the post waits (exit 3 = deferred) rather than risk a second copy...
        assert second.returncode == 3, second.stdout + second.stderr
        waited = {o["post"]: o for o in json.loads(second.stdout)["outcomes"]}
        assert "listing can lag" in waited[f"{behaviour}-hormozi"]["reason"]
        assert waited[f"{behaviour}-naval"]["status"] == "published"
        assert FakePlatform(behaviour, store=store).copies(f"{behaviour}-hormozi") == 0
        # ...and a later pass (here: the lag configured away) sends it.
        (isolated / "postgen.toml").write_text("[publish]\nlisting_lag_minutes = 0\n", encoding="utf-8")
        second = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    # A follow-up cut off mid-call on a platform that cannot look it up needs a person: exit 1.
    assert second.returncode == (1 if die_at == "follow_up.after" else 0), second.stdout + second.stderr
    report = json.loads(second.stdout)
    statuses = {o["post"]: o["status"] for o in report["outcomes"]}
    if die_at == "publish.before":
        statuses[f"{behaviour}-naval"] = waited[f"{behaviour}-naval"]["status"]
    assert statuses == {f"{behaviour}-hormozi": "published", f"{behaviour}-naval": "published"}
    platform = FakePlatform(behaviour, store=store)
    assert_once_each(path, platform)
    if die_at == "follow_up.after":  # the comment landed, the ledger never heard: reported, not re-sent
        assert platform.comments_on(f"{behaviour}-hormozi") == 1
        follow_up = runfile.load(path).post(f"{behaviour}-hormozi").publication.follow_ups[0]
        assert follow_up.state == "failed" and "unknown" in follow_up.error
        assert report["outcomes"][0]["follow_up_errors"] and report["outcomes"][0]["follow_up"] == "decide"
        assert "--follow-up done" in report["outcomes"][0]["reason"]


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_crash_again_while_recovering(tmp_path, behaviour, traced_save):
    """Die once mid-publish, then again at every step of the recovering pass, then settle."""
    import copy
    import shutil

    steps = _steps_of_a_clean_pass(tmp_path, behaviour, traced_save)
    for k in range(1, len(steps) + 1, 2):  # every other first crash keeps this test quick
        path = make_run(tmp_path / f"first{k}", [(behaviour, fw) for fw in FRAMEWORKS])
        platform = FakePlatform(behaviour)
        with pytest.raises(Crash):
            one_pass(path, platform, Tracer(crash_at=k), traced_save)
        journal = path.parent / "ledger" / f"{path.stem}.jsonl"  # the durable state is the run file and its journal
        saved_text, saved_platform = path.read_text(encoding="utf-8"), copy.deepcopy(platform)
        saved_journal = journal.read_bytes() if journal.exists() else b""
        recovery = Tracer()
        one_pass(path, platform, recovery, traced_save)  # learn the recovering pass's steps
        for j in range(1, len(recovery.steps) + 1):
            path.write_text(saved_text, encoding="utf-8")
            journal.write_bytes(saved_journal)
            platform = copy.deepcopy(saved_platform)
            with pytest.raises(Crash):
                one_pass(path, platform, Tracer(crash_at=j), traced_save)
            settle(path, platform, traced_save)
            try:
                assert_once_each(path, platform)
            except AssertionError as exc:
                raise AssertionError(f"crash at {k} ({steps[k - 1]}), then at {j} ({recovery.steps[j - 1]}): {exc}") from None
        shutil.rmtree(path.parent)


def test_reddit_listing_lag_after_a_crash_never_resends(tmp_path, traced_save):
    """Killed right after Reddit took the submit, run again at once: Reddit's listing did not show
    the post yet, and it was sent again. Now a lookup that finds nothing waits until
    listing_lag_minutes after the attempt before anything is resent."""
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.listing_lag = timedelta(minutes=4)  # the listing shows a new post four minutes late

    def die_after_accept(name):
        if name == "publish.after":
            raise Crash(name)

    start = datetime.now(timezone.utc).replace(microsecond=0)

    def at(minutes: int, **selection):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            return ledger.Publisher(parse_config({}), connector_for=lambda n: FakeConnector(n, reddit),
                                    sleep=lambda s: None, fire=lambda o: None).publish_run(path, **selection)

    with time_machine.travel(start, tick=False), pytest.raises(Crash):
        ledger.Publisher(parse_config({}), connector_for=lambda n: FakeConnector(n, reddit, die_after_accept),
                         sleep=lambda s: None, fire=lambda o: None).publish_run(path)
    again = at(1)  # at once: not in the listing yet
    assert again[0].status == "deferred" and "listing can lag" in again[0].reason
    assert reddit.create_calls == 1 and runfile.load(path).post("reddit-hormozi").state is PostState.publishing
    assert at(3)[0].status == "deferred" and reddit.create_calls == 1
    later = at(11)  # past the lag: the listing shows it, and it is recorded
    assert later[0].status == "published" and later[0].url == reddit.url_of("reddit-hormozi")
    assert reddit.create_calls == 1 and reddit.copies("reddit-hormozi") == 1
