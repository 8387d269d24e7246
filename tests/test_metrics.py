"""`postgen metrics`: which posts are due a reading at which age, one batched call per platform,
readings saved in the run file under its lock, and a pass that a 429, a missing permission or a
missing key never fails. Run files written before readings existed still load."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from postgen import runfile
from postgen.config import ConfigError, parse_config
from postgen.connector import Connector, Engagement, PublishError
from postgen.metrics import collect, due_age, parse_age
from postgen.models import Post, PostState, Publication, Reading

DATA = Path(__file__).parent / "data"
OLD = DATA / "run_before_metrics.md"  # written by postgen before this change (main at dca947f)
RUN_ID = "2026-11-02-sample-birthday-paradox"
BUCKETS = [("24h", timedelta(hours=24)), ("72h", timedelta(hours=72)), ("7d", timedelta(days=7))]
T0 = datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc)  # the first post of the fixture went out


def published(at: datetime = T0, metrics: list[Reading] | None = None) -> Post:
    return Post(id="x-aida", platform="x", framework="aida", body="b", state=PostState.published,
                publication=Publication(remote_id="1", published_at=at), metrics=metrics or [])


def reading(age: str, **kw) -> Reading:
    return Reading(age=age, at=T0, **kw)


@pytest.mark.parametrize("hours,read,expected", [
    (23, [], None),  # too young
    (25, [], "24h"),
    (80, [], "72h"),  # a late pass answers the oldest age reached; 24 h stays missed
    (80, ["24h"], "72h"),
    (80, ["72h"], None),
    (30, ["72h"], None),  # never a younger reading after an older one
    (24 * 8, ["24h", "72h"], "7d"),
    (24 * 30, ["7d"], None),  # done for good
])
def test_due_age(hours, read, expected):
    post = published(metrics=[reading(a) for a in read])
    assert due_age(post, BUCKETS, T0 + timedelta(hours=hours)) == expected


def test_nothing_is_due_for_a_post_that_is_gone_or_not_out():
    later = T0 + timedelta(days=9)
    assert due_age(published(metrics=[reading("24h", deleted=True)]), BUCKETS, later) is None
    assert due_age(published().model_copy(update={"state": PostState.ready}), BUCKETS, later) is None


def test_ages_config():
    assert parse_age("90m") == timedelta(minutes=90) and parse_age("2w") == timedelta(days=14)
    assert parse_config({"metrics": {"ages": ["1h", "24h"]}}).metrics.ages == ["1h", "24h"]
    for bad in (["24"], ["7d", "24h"], ["0h"], []):
        with pytest.raises(ConfigError, match="metrics.ages"):
            parse_config({"metrics": {"ages": bad}})


def test_a_run_file_from_before_readings_loads_and_round_trips():
    run = runfile.load(OLD)
    assert all(p.metrics == [] and p.generated is None for p in run.posts)
    post = run.post("x-hormozi")
    post.metrics = [Reading(age="24h", at=T0, engagements=12, impressions=900, counts={"like_count": 10, "reply_count": 2})]
    post.generated = "What the generator wrote\n\nwith ``` fences and \"quotes\""
    assert runfile.parse(runfile.render(run)) == run
    assert "with ``` fences" not in runfile.render(run).split("\n---\n", 1)[1]  # the state block holds it, escaped


class FakeMetrics(Connector):
    """Answers from a table; records each call's remote ids."""

    def __init__(self, name: str, answers: dict | None = None, error: PublishError | None = None):
        super().__init__(env={})
        self.name, self.answers, self.error, self.calls = name, answers or {}, error, []

    def metrics(self, publications):
        self.calls.append([p.remote_id for p in publications])
        if self.error:
            raise self.error
        return {p.remote_id: self.answers.get(p.remote_id, Engagement(engagements=5, impressions=100))
                for p in publications if p.remote_id in self.answers or not self.answers}

    def metrics_cost(self, count):
        return 0.001 * count if self.name == "x" else 0.0


@pytest.fixture
def runs_dir(isolated) -> Path:
    folder = isolated / "runs"
    folder.mkdir()
    shutil.copy(OLD, folder / f"{RUN_ID}.md")
    return folder


def _pass(runs_dir: Path, fakes: dict[str, Connector], now: datetime, **kw):
    config = parse_config({"runs_dir": str(runs_dir)})
    return collect(config, runfile.list_runs(runs_dir), now=now, connector_for=lambda name: fakes[name], **kw)


def test_a_pass_reads_saves_and_never_fails_on_limits_or_permissions(runs_dir):
    x = FakeMetrics("x")
    linkedin = FakeMetrics("linkedin", error=PublishError("permission", "LinkedIn post analytics are unavailable for this token"))
    reddit = FakeMetrics("reddit", error=PublishError("rate_limited", "slow down", retry_at=T0.timestamp() + 7 * 86400))
    now = T0 + timedelta(days=6)  # the fixture's posts went out 8 hours apart: 24 h or 72 h reached
    result = _pass(runs_dir, {"x": x, "linkedin": linkedin, "reddit": reddit}, now)
    assert result.exit_code == 3  # deferred, not failed
    assert [len(c) for c in (x.calls, linkedin.calls, reddit.calls)] == [1, 1, 1]  # one batch per platform
    assert len(x.calls[0]) == 5 and len(reddit.calls[0]) == 4  # reddit-aida was never published
    statuses = {o.post_id: o.status for o in result.outcomes}
    assert {statuses[f"x-{f}"] for f in ("hormozi", "aida")} == {"read"}
    assert {statuses[f"linkedin-{f}"] for f in ("hormozi", "aida")} == {"unavailable"}
    assert statuses["reddit-naval"] == "deferred" and "reddit-aida" not in statuses
    assert result.estimated_cost_usd == pytest.approx(0.005)
    run = runfile.load(runs_dir / f"{RUN_ID}.md")
    x_first = run.post(next(o.post_id for o in result.outcomes if o.platform == "x"))
    [saved] = x_first.metrics
    assert (saved.engagements, saved.impressions, saved.at) == (5, 100, now)
    assert saved.age == due_age(x_first.model_copy(update={"metrics": []}), BUCKETS, now)
    assert all(p.metrics == [] for p in run.posts if p.platform != "x")
    again = _pass(runs_dir, {"x": x, "linkedin": linkedin, "reddit": reddit}, now + timedelta(minutes=5))
    assert len(x.calls) == 1 and not [o for o in again.outcomes if o.platform == "x"]  # read: not asked twice


def test_later_ages_and_a_deleted_post(runs_dir):
    _pass(runs_dir, {"x": FakeMetrics("x")}, T0 + timedelta(days=6))  # X posts are 72 to 104 hours old
    gone = next(p for p in runfile.load(runs_dir / f"{RUN_ID}.md").posts if p.platform == "x")
    x = FakeMetrics("x", answers={gone.publication.remote_id: Engagement(deleted=True)})
    result = _pass(runs_dir, {"x": x}, T0 + timedelta(days=12))
    assert {o.post_id: o.status for o in result.outcomes if o.platform == "x"}[gone.id] == "deleted"
    later = _pass(runs_dir, {"x": FakeMetrics("x")}, T0 + timedelta(days=20))
    x_later = {o.post_id: o.status for o in later.outcomes if o.platform == "x"}
    assert gone.id not in x_later  # gone: never asked again
    assert set(x_later.values()) == {"read"} and len(x_later) == 4  # left out of the last answer: asked again
    run = runfile.load(runs_dir / f"{RUN_ID}.md")
    assert [(r.age, r.deleted) for r in run.post(gone.id).metrics] == [("72h", False), ("7d", True)]
    others = [p for p in run.posts if p.platform == "x" and p.id != gone.id]
    assert {tuple(r.age for r in p.metrics) for p in others} == {("72h", "7d")}
    done = _pass(runs_dir, {"x": FakeMetrics("x")}, T0 + timedelta(days=30))
    assert not [o for o in done.outcomes if o.platform == "x"]  # every age read: nothing more to ask


def test_a_run_locked_by_a_publisher_waits(runs_dir):
    x = FakeMetrics("x")
    with runfile.locked(runs_dir / f"{RUN_ID}.md"):
        result = _pass(runs_dir, {"x": x}, T0 + timedelta(days=6))
    assert x.calls == [] and result.exit_code == 3
    assert {o.status for o in result.outcomes} == {"deferred"}


def test_missing_keys_and_connectors_without_metrics_are_skipped(runs_dir):
    class Plain:  # a duck-typed plugin connector that predates metrics
        name = "reddit"

    x = FakeMetrics("x", error=PublishError("auth", "X keys missing: set X_API_KEY"))
    result = _pass(runs_dir, {"x": x, "reddit": Plain(), "linkedin": Connector(env={})}, T0 + timedelta(days=6))
    assert result.exit_code == 0
    reasons = {o.platform: (o.status, o.reason) for o in result.outcomes}
    assert reasons["x"] == ("skipped", "keys not set: X keys missing: set X_API_KEY")
    assert reasons["reddit"][0] == reasons["linkedin"][0] == "skipped"
    assert result.estimated_cost_usd == 0  # nothing was read: nothing billed


def test_a_failure_is_exit_1_and_writes_nothing(runs_dir):
    before = (runs_dir / f"{RUN_ID}.md").read_bytes()
    x = FakeMetrics("x", error=PublishError("auth", "X refused the credentials (401)", status=401))
    result = _pass(runs_dir, {"x": x}, T0 + timedelta(days=6))
    assert result.exit_code == 1
    assert (runs_dir / f"{RUN_ID}.md").read_bytes() == before


def test_dry_run_reads_nothing_and_estimates_the_cost(runs_dir):
    x = FakeMetrics("x")
    result = _pass(runs_dir, {"x": x, "linkedin": FakeMetrics("linkedin"), "reddit": FakeMetrics("reddit")},
                   T0 + timedelta(days=6), dry_run=True)
    assert x.calls == [] and {o.status for o in result.outcomes} == {"would_read"}
    assert result.estimated_cost_usd == pytest.approx(0.005)


# --- the command ---------------------------------------------------------------------------------


def test_metrics_needs_a_run_or_due(cli):
    result = cli("metrics")
    assert result.exit_code == 2 and "--due" in result.output


def test_metrics_without_keys_is_a_clean_pass(cli, runs_dir, time_machine):
    time_machine.move_to(T0 + timedelta(days=6))
    before = (runs_dir / f"{RUN_ID}.md").read_bytes()
    result = cli("metrics", "--due")
    assert result.exit_code == 0, result.output
    assert "SKIPPED" in result.output and "keys not set" in result.output
    assert (runs_dir / f"{RUN_ID}.md").read_bytes() == before


def test_metrics_json_is_stable(cli, runs_dir, time_machine):
    time_machine.move_to(T0 + timedelta(days=6))
    data = json.loads(cli("metrics", RUN_ID, "--dry-run", "--json").output)
    assert set(data) == {"dry_run", "exit_code", "estimated_cost_usd", "readings"}
    assert data["dry_run"] is True and data["exit_code"] == 0
    assert data["estimated_cost_usd"] == pytest.approx(0.005)  # five X posts at $0.001
    row = data["readings"][0]
    assert set(row) == {"run", "post", "platform", "status", "age", "reason", "until", "engagements", "impressions"}
    assert {r["status"] for r in data["readings"]} == {"would_read"} and len(data["readings"]) == 14


# --- in CI: readings committed and pushed with the ledger ----------------------------------------


def test_readings_pushed_with_git_survive_a_persons_concurrent_edit(tmp_path, monkeypatch):
    from test_gitsync import Repo, git

    from postgen import gitsync

    monkeypatch.setattr(gitsync, "sleep", lambda seconds: None)
    repo = Repo(tmp_path, posts=(("x", "hormozi"), ("x", "naval")))

    def published_on_x(path):
        with runfile.editing(path) as handle:
            for i, post in enumerate(handle.run.posts):
                post.state = PostState.published
                post.publication = Publication(remote_id=f"18610000000000000{i}", published_at=T0)

    repo.person_edits("person", published_on_x)
    job = repo.clone("job")
    sync = gitsync.GitSync(job / "runs", log=lambda line: None).start()
    result = collect(parse_config({"runs_dir": str(job / "runs")}), runfile.list_runs(job / "runs"),
                     now=T0 + timedelta(days=2), connector_for=lambda name: FakeMetrics(name))
    assert {o.status for o in result.outcomes} == {"read"}

    def rewrite(path):  # meanwhile a person fixes a typo in a published post's text and pushes
        with runfile.editing(path) as handle:
            handle.run.post("x-naval").body = "Fixed by a person."

    repo.person_edits("person", rewrite)
    sync.finish()  # the push is refused (the branch moved): merge, keeping both, and push again
    remote = repo.remote_run()
    assert remote.post("x-naval").body == "Fixed by a person."
    assert [(r.age, r.engagements) for p in remote.posts for r in p.metrics] == [("24h", 5), ("24h", 5)]
    assert git(job, "status", "--porcelain") == ""


def test_metrics_git_outside_a_checkout_is_one_line_and_takes_no_reading(cli, runs_dir):
    result = cli("metrics", "--due", "--git")
    assert result.exit_code == 2 and "git checkout" in result.output and "no reading was taken" in result.output


def test_the_generated_text_is_packed_so_edits_and_searches_meet_only_the_live_text():
    run = runfile.load(OLD)
    post = run.post("linkedin-aida")
    post.generated = post.body  # as generated, before any edit
    text = runfile.render(run)
    state, rest = text.split("\n---\n", 1)
    assert '"generated_z": "' in state and post.body.splitlines()[0] not in state
    assert runfile.parse(text) == run
    damaged = text.replace('"generated_z": "', '"generated_z": "!!', 1)
    assert runfile.parse(damaged).post("linkedin-aida").generated is None  # only history: the run still reads


def test_reads_respect_the_daily_spend_cap(runs_dir):
    fakes = {name: FakeMetrics(name) for name in ("x", "linkedin", "reddit")}
    config = parse_config({"runs_dir": str(runs_dir), "publish": {"max_cost_usd_per_day": 0.004}})
    result = collect(config, runfile.list_runs(runs_dir), now=T0 + timedelta(days=6), connector_for=lambda name: fakes[name])
    x_rows = [o for o in result.outcomes if o.platform == "x"]
    assert fakes["x"].calls == [] and {o.status for o in x_rows} == {"deferred"}  # five reads, $0.005: over the cap
    assert "max_cost_usd_per_day" in x_rows[0].reason and x_rows[0].until is not None
    assert fakes["reddit"].calls and result.estimated_cost_usd == 0  # free reads go on
