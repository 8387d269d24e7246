"""What a pass decides before it sends: no bursts after a pause, the daily spend cap, one link per
run, the counts a scheduler asks for, and platforms whose keys are missing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from ledger_fakes import Crash, FakeConnector, FakePlatform, make_run

from postgen import ledger, runfile, schedule
from postgen.config import parse_config
from postgen.connector import PublishError
from postgen.models import PostState, utcnow

FIVE = ("hormozi", "garyvee", "naval", "storytelling", "aida")
MONDAY = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)


def publisher(platforms: dict[str, FakePlatform], config=None, connector=FakeConnector):
    return ledger.Publisher(config or parse_config({}), connector_for=lambda name: connector(name, platforms[name]),
                            sleep=lambda s: None, fire=lambda o: None)


def scheduled_run(runs, posts, config, **kwargs):
    path = make_run(runs, posts, created=MONDAY, **kwargs)
    with runfile.editing(path) as handle:
        schedule.assign(handle.run, config, runs_dir=runs)
    return path


def hourly(start: datetime, hours: int):
    return [start + timedelta(hours=h, minutes=17) for h in range(hours)]


# --------------------------------------------------------------------------- no bursts


def test_after_a_pause_overdue_posts_are_spread_one_per_platform_per_slot(tmp_path):
    config = parse_config({"schedule": {"slots": {"x": ["09:00", "17:00"], "reddit": ["tue 15:00", "fri 15:00"]}}})
    path = scheduled_run(tmp_path, [("x", fw) for fw in FIVE] + [("reddit", fw) for fw in FIVE[:2]], config, link=None)
    x, reddit = FakePlatform("x"), FakePlatform("reddit")
    sent_at: dict[str, list[datetime]] = {"x": [], "reddit": []}
    # The job was paused from Monday until Thursday 10:00: every X post but one is overdue, the
    # Tuesday Reddit post too. Then it runs hourly for ten days.
    for now in hourly(datetime(2026, 11, 5, 10, 0, tzinfo=timezone.utc), 24 * 10):
        with time_machine.travel(now, tick=False):
            for o in publisher({"x": x, "reddit": reddit}, config).publish_run(path, due=True):
                if o.status == "published":
                    sent_at[o.platform].append(now)
                else:
                    assert o.status == "deferred" and ("moved from" in o.reason), o
    assert all(x.copies(f"x-{fw}") == 1 for fw in FIVE) and reddit.create_calls == 2
    for platform, slots in (("x", ["09:00", "17:00"]), ("reddit", ["tue 15:00", "fri 15:00"])):
        windows = [schedule.window_start([schedule.parse_slot(s) for s in slots], timezone.utc, t) for t in sent_at[platform]]
        assert len(set(windows)) == len(windows), f"{platform}: two posts in one slot: {sent_at[platform]}"
        assert all(t - w <= timedelta(minutes=180) for t, w in zip(sent_at[platform], windows))
    # The first X post goes at the first slot after the pause, not in the same hour as the others.
    assert sent_at["x"][0] == datetime(2026, 11, 5, 17, 17, tzinfo=timezone.utc)
    run = runfile.load(path)
    assert all(p.state is PostState.published for p in run.posts)


def test_a_post_later_than_max_lateness_is_moved_to_the_next_free_slot_not_sent(tmp_path):
    config = parse_config({"schedule": {"slots": {"linkedin": ["08:30"]}}, "publish": {"max_lateness_minutes": 60}})
    path = scheduled_run(tmp_path, [("linkedin", "hormozi"), ("linkedin", "naval")], config, link=None)
    li = FakePlatform("linkedin")
    with time_machine.travel(datetime(2026, 11, 2, 9, 45, tzinfo=timezone.utc), tick=False):  # 75 minutes late
        outcomes = {o.post_id: o for o in publisher({"linkedin": li}, config).publish_run(path, due=True)}
    moved = outcomes["linkedin-hormozi"]
    assert moved.status == "deferred" and "75 minutes late" in moved.reason and "max_lateness_minutes = 60" in moved.reason
    # naval holds Tuesday 08:30: the next free slot is Wednesday's.
    assert moved.until == datetime(2026, 11, 4, 8, 30, tzinfo=timezone.utc)
    assert li.create_calls == 0 and ledger.exit_code(outcomes.values()) == 3
    assert runfile.load(path).post("linkedin-hormozi").scheduled_at == moved.until
    with time_machine.travel(datetime(2026, 11, 3, 8, 47, tzinfo=timezone.utc), tick=False):  # on time: sent
        assert [o.status for o in publisher({"linkedin": li}, config).publish_run(path, due=True)] == ["published"]
    assert li.copies("linkedin-naval") == 1 and li.copies("linkedin-hormozi") == 0


def test_dry_run_shows_the_move_and_saves_nothing(cli, isolated, monkeypatch):
    import postgen.checks

    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, FakePlatform(name)))
    config = parse_config({})
    path = scheduled_run(isolated / "runs", [("x", "hormozi")], config)
    before = path.read_bytes()
    with time_machine.travel(datetime(2026, 11, 3, 12, 0, tzinfo=timezone.utc), tick=False):
        result = cli("publish", "--due", "--dry-run")
    assert "x-hormozi: would wait (not sent in a burst" in result.output and "moved from" in result.output
    assert path.read_bytes() == before


# --------------------------------------------------------------------------- spend


def test_the_daily_spend_cap_defers_what_would_exceed_it(tmp_path):
    """X at $0.015 a post and $0.20 a reply with the link: $0.215 a post. A $0.50 cap takes two a day."""
    from postgen.connectors.x import XConnector

    class PricedX(FakeConnector):  # a fake platform, X's own price estimate
        def preview(self, post):
            return XConnector().preview(post)

    config = parse_config({"publish": {"max_cost_usd_per_day": 0.50}})
    runs = tmp_path / "runs"
    first = make_run(runs, [("x", fw) for fw in FIVE[:3]], video_id="first000001")
    x = FakePlatform("x")
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc), tick=False):
        outcomes = publisher({"x": x}, config, PricedX).publish_run(first)
    assert [o.status for o in outcomes] == ["published", "published", "deferred"]
    assert "daily spend cap" in outcomes[2].reason and "$0.430 of $0.50" in outcomes[2].reason
    assert outcomes[2].until == datetime(2026, 11, 3, 0, 0, tzinfo=timezone.utc)
    assert x.create_calls == 2 and runfile.load(first).post(f"x-{FIVE[2]}").state is PostState.ready
    # Another run, another publisher, the same day: the journal remembers what was spent.
    second = make_run(runs, [("x", "hormozi")], video_id="second00002")
    with time_machine.travel(datetime(2026, 11, 2, 17, 0, tzinfo=timezone.utc), tick=False):
        assert publisher({"x": x}, config, PricedX).publish_run(second)[0].status == "deferred"
    with time_machine.travel(datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc), tick=False):
        assert [o.status for o in publisher({"x": x}, config, PricedX).publish_run(first)] == ["published"]
    assert x.create_calls == 3


def test_link_once_puts_the_reply_under_the_first_post_of_the_run_only(tmp_path):
    path = make_run(tmp_path, [("x", fw) for fw in FIVE[:3]] + [("reddit", "hormozi")], link_policy="once")
    x, reddit = FakePlatform("x"), FakePlatform("reddit")
    publisher({"x": x, "reddit": reddit}).publish_run(path, post_ids=["x-naval"])
    publisher({"x": x, "reddit": reddit}).publish_run(path)
    assert [c["post"] for c in x.comments] == ["x-naval"] and reddit.comments_on("reddit-hormozi") == 1
    run = runfile.load(path)
    assert {p.id: p.link_policy for p in run.posts} == {
        "x-naval": "first_comment", "x-hormozi": "none", "x-garyvee": "none", "reddit-hormozi": "first_comment"}


def test_dry_run_shows_the_estimated_spend_of_the_pass_and_the_run(cli, isolated, monkeypatch):
    """Five X posts each with a link reply: 5 x ($0.015 + $0.20) = $1.075; with 'once', $0.275."""
    path = make_run(isolated / "runs", [("x", fw) for fw in FIVE])
    result = cli("publish", path.stem, "--dry-run", "--json")
    costs = json.loads(result.output)["estimated_cost_usd"]
    assert costs["pass"] == pytest.approx(1.075) and costs["runs"][path.stem] == pytest.approx(1.075)
    once = make_run(isolated / "runs", [("x", fw) for fw in FIVE], video_id="once0000001", link_policy="once")
    data = json.loads(cli("publish", once.stem, "--dry-run", "--json").output)
    assert data["estimated_cost_usd"]["pass"] == pytest.approx(0.275)
    assert sum(any(p["kind"] == "reply" for p in row["preview"]["parts"]) for row in data["posts"]) == 1
    text = cli("publish", once.stem, "--dry-run", "--post", "x-naval").output
    assert "estimated platform spend: $0.215 in this pass" in text and f"{once.stem}: $0.275 for the whole run" in text


# --------------------------------------------------------------------------- keys, waits, stale fields


def test_posts_of_a_platform_without_keys_are_skipped_and_stay_ready(tmp_path):
    from postgen.connectors.x import XConnector

    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval"), ("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    pub = ledger.Publisher(parse_config({}), sleep=lambda s: None, fire=lambda o: None,
                           connector_for=lambda name: XConnector(env={}) if name == "x" else FakeConnector(name, reddit))
    outcomes = {o.post_id: o for o in pub.publish_run(path)}
    assert outcomes["x-hormozi"].status == "skipped"
    assert outcomes["x-hormozi"].reason.startswith("skipped: X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET not set")
    assert outcomes["reddit-hormozi"].status == "published" and ledger.exit_code(outcomes.values()) == 0
    assert [p.state for p in runfile.load(path).posts if p.platform == "x"] == [PostState.ready, PostState.ready]


def test_a_crash_while_waiting_for_a_rate_limit_loses_nothing(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.errors.append(PublishError("rate_limited", "RATELIMIT", status=429, retry_at=utcnow().timestamp() + 20))

    def killed(seconds):
        raise Crash("killed while waiting")

    pub = ledger.Publisher(parse_config({}), connector_for=lambda n: FakeConnector(n, reddit), sleep=killed,
                           fire=lambda o: None)
    with pytest.raises(Crash):
        pub.publish_run(path)
    post = runfile.load(path).post("reddit-hormozi")
    assert post.state is PostState.ready and "rate limited" in post.last_error  # saved before the wait
    with time_machine.travel(utcnow() + timedelta(minutes=5), tick=False):
        assert [o.status for o in publisher({"reddit": reddit}).publish_run(path)] == ["published"]
    assert reddit.copies("reddit-hormozi") == 1
    post = runfile.load(path).post("reddit-hormozi")
    assert post.last_error is None and post.deferred_until is None


def test_no_stale_deferred_until_or_last_error_after_publish_or_resolve(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("linkedin", "naval"), ("linkedin", "aida")], link=None)
    x, li = FakePlatform("x"), FakePlatform("linkedin")
    reset = utcnow().timestamp() + 900
    x.errors.append(PublishError("rate_limited", "Too Many Requests", status=429, retry_at=reset))
    li.errors.append(PublishError("transient", "Read timed out"))  # no status: may have landed
    publisher({"x": x, "linkedin": li}).publish_run(path, post_ids=["x-hormozi", "linkedin-naval"])
    run = runfile.load(path)
    assert run.post("x-hormozi").deferred_until and run.post("x-hormozi").last_error
    assert run.post("linkedin-naval").last_error and run.post("linkedin-naval").state is PostState.publishing
    with time_machine.travel(reset + 60, tick=False):
        publisher({"x": x, "linkedin": li}).publish_run(path, post_ids=["x-hormozi"])
    ledger.resolve(path, "linkedin-naval", "published", "https://www.linkedin.com/feed/update/urn:li:share:9")
    with runfile.editing(path) as handle:
        handle.run.post("linkedin-aida").state = PostState.publishing
        handle.run.post("linkedin-aida").last_error = "outcome unknown"
        handle.run.post("linkedin-aida").deferred_until = utcnow()
    ledger.resolve(path, "linkedin-aida", "failed")
    run = runfile.load(path)
    for post_id in ("x-hormozi", "linkedin-naval"):
        assert run.post(post_id).deferred_until is None and run.post(post_id).last_error is None, post_id
    assert run.post("linkedin-aida").deferred_until is None and run.post("linkedin-aida").last_error.startswith("marked failed")


# --------------------------------------------------------------------------- pending


def test_pending_counts_what_due_would_send_and_what_waits(cli, isolated):
    (isolated / "postgen.toml").write_text(
        '[platforms]\nenabled = ["x", "linkedin"]\n[publish]\nrequire_approval = true\npending_threshold = 4\n'
        '[schedule.slots]\nx = ["09:00", "17:00"]\nlinkedin = ["08:30"]\nreddit = ["fri 15:00"]\n', encoding="utf-8")
    config = parse_config({"schedule": {"slots": {"x": ["09:00", "17:00"], "linkedin": ["08:30"], "reddit": ["fri 15:00"]}}})
    runs = isolated / "runs"
    path = scheduled_run(runs, [("x", fw) for fw in FIVE] + [("linkedin", "hormozi"), ("reddit", "naval")], config)
    with runfile.editing(path) as handle:
        for post in handle.run.posts:
            post.approved = post.id != "x-aida"
        handle.run.post("x-naval").state = PostState.failed
    unscheduled = make_run(runs, [("x", "hormozi")], video_id="imported001")  # no slots: never sent by --due
    with runfile.editing(unscheduled) as handle:
        handle.run.post("x-hormozi").approved = True
    with time_machine.travel(datetime(2026, 11, 2, 9, 10, tzinfo=timezone.utc), tick=False):
        data = json.loads(cli("pending", "--json").output)
        text = cli("pending").output
    # Due now: x-hormozi (09:00) and linkedin-hormozi (08:30). Waiting: x-garyvee, x-storytelling
    # besides those two (x-naval failed, x-aida unapproved, reddit disabled, the import unscheduled).
    assert data == {"due": 2, "waiting": 4, "threshold": 4, "generate": False, "unscheduled": 1, "unreadable": []}
    assert "2 due now, 4 waiting" in text and "1 ready posts have no slot" in text
    with runfile.editing(unscheduled) as handle:  # killed mid-publish: --due must run to reconcile it
        handle.run.post("x-hormozi").state = PostState.publishing
    with time_machine.travel(datetime(2026, 11, 2, 9, 10, tzinfo=timezone.utc), tick=False):
        assert json.loads(cli("pending", "--json").output)["due"] == 3
    with time_machine.travel(datetime(2026, 11, 2, 9, 10, tzinfo=timezone.utc), tick=False):
        dry = json.loads(cli("publish", "--due", "--dry-run", "--json").output)
    assert sorted(r["post"] for r in dry["posts"] if r["action"] == "publish") == ["linkedin-hormozi", "x-hormozi"]


def test_pending_reports_an_unreadable_run_and_still_counts(cli, isolated):
    runs = isolated / "runs"
    runs.mkdir()
    (runs / "2026-11-02-broken00001.md").write_text("---\n{\n", encoding="utf-8")
    result = cli("pending", "--json")
    data = json.loads(result.stdout)
    assert result.exit_code == 1 and data["waiting"] == 0 and data["generate"] is True and len(data["unreadable"]) == 1
