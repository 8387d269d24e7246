"""What a pass decides (ledger.plan) and how the Publisher records and reports it (ledger.send),
pinned where mutation testing (bench/mutation.py) found it unchecked: which posts `select` takes
up or skips and with what words, the burst rule's moved posts, the "once" link, the daily spend
cap at its edge, the counts `postgen pending` reports (past an unreadable run), and the outcomes,
events and journal lines the Publisher writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from ledger_fakes import FakeConnector, FakePlatform, make_run, journal_lines as lines, publisher

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.connector import Preview
from postgen.ledger import plan
from postgen.models import FollowUp, Post, PostState, Publication, Run, Video

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
RUN_ID = "2026-11-02-abc"


def post(platform="x", framework="hormozi", **fields) -> Post:
    fields.setdefault("state", PostState.ready)
    return Post(id=Post.make_id(platform, framework), platform=platform, framework=framework,
                title="t" if platform == "reddit" else None, body=f"The {framework} post.", **fields)


def run_of(*posts: Post) -> Run:
    return Run(id=RUN_ID, created=NOW - timedelta(days=1),
               video=Video(id="abc123XYZ_0", url="https://www.youtube.com/watch?v=abc123XYZ_0", title="A talk"),
               posts=list(posts))


def published(platform="x", framework="hormozi", follow_ups=(), **fields) -> Post:
    return post(platform, framework, state=PostState.published,
                publication=Publication(remote_id="1", url=f"https://{platform}.example/1", follow_ups=list(follow_ups)),
                **fields)


# --------------------------------------------------------------------------- select


def test_is_due_only_once_the_scheduled_time_has_come():
    assert plan.is_due(post(scheduled_at=NOW), NOW)
    assert not plan.is_due(post(scheduled_at=NOW + timedelta(minutes=1)), NOW)
    assert not plan.is_due(post(), NOW)


def test_policy_hands_select_the_configs_gate():
    config = parse_config({"publish": {"require_approval": True, "max_posts_per_platform": 2},
                           "platforms": {"enabled": ["x"]}})
    assert plan.policy(config) == {"require_approval": True, "enabled": ["x"], "max_posts_per_platform": 2}


def test_select_keeps_to_the_named_platforms_and_posts_in_schedule_order():
    early, late = post("x", "hormozi", scheduled_at=NOW - timedelta(hours=2)), post("x", "naval", scheduled_at=NOW - timedelta(hours=1))
    other, unslotted = post("reddit", "hormozi"), post("x", "aida")
    run = run_of(unslotted, late, other, early)
    act, skipped = plan.select(run, now=NOW, platforms=["x"])
    assert [p.id for p in act] == [early.id, late.id, unslotted.id] and skipped == []
    act, skipped = plan.select(run, now=NOW, post_ids=[late.id])  # the earlier post is passed over, not the end
    assert [p.id for p in act] == [late.id] and skipped == []


def test_select_skips_a_disabled_platforms_ready_post_with_where_to_turn_it_on():
    run = run_of(post("reddit"), post("x"))
    act, skipped = plan.select(run, now=NOW, enabled=["x"])
    assert [p.id for p in act] == ["x-hormozi"]
    [o] = skipped
    assert (o.run_id, o.post_id, o.platform, o.status) == (RUN_ID, "reddit-hormozi", "reddit", "skipped")
    assert o.reason == "platform reddit is not enabled (platforms.enabled in postgen.toml)"


def test_select_takes_up_a_post_cut_off_mid_publish_and_only_that():
    cut, ready = post("x", "hormozi", state=PostState.publishing), post("x", "naval")
    act, skipped = plan.select(run_of(cut, ready), now=NOW, post_ids=[cut.id])
    assert [p.id for p in act] == [cut.id] and skipped == []


def test_select_takes_up_a_published_posts_pending_follow_up_and_reports_a_named_finished_one():
    pending_link = published("x", "hormozi", follow_up_pending=True)
    done = published("x", "naval")
    act, skipped = plan.select(run_of(pending_link, done), now=NOW, post_ids=[pending_link.id, done.id])
    assert [p.id for p in act] == [pending_link.id]
    [o] = skipped
    assert (o.post_id, o.status, o.reason) == (done.id, "skipped", "already published: https://x.example/1")


def test_select_hands_a_follow_up_only_a_person_can_settle_to_that_person():
    stuck = published("x", "hormozi", follow_ups=[FollowUp(kind="first_comment", state="failed", error="boom", error_kind="unresolved")])
    act, [o] = plan.select(run_of(stuck), now=NOW)
    assert act == [] and o.follow_up == "decide" and o.run_id == RUN_ID
    assert o.reason.startswith("published, but its link follow-up needs you: first_comment failed (unresolved): boom")


def test_select_says_how_to_retry_a_failed_post_and_leaves_it_out_of_a_due_pass():
    failed = post("x", "hormozi", state=PostState.failed, last_error="too long", scheduled_at=NOW - timedelta(hours=1))
    act, [o] = plan.select(run_of(failed), now=NOW)
    assert act == [] and o.reason == "failed earlier: too long; fix it, then publish it with --post x-hormozi"
    assert plan.select(run_of(failed), now=NOW, due=True) == ([], [])
    act, skipped = plan.select(run_of(failed), now=NOW, post_ids=[failed.id])
    assert [p.id for p in act] == [failed.id] and skipped == []


def test_the_per_platform_cap_holds_back_only_an_unslotted_unnamed_post_outside_a_due_pass():
    slotted, unslotted = post("x", "hormozi", scheduled_at=NOW - timedelta(hours=1)), post("x", "naval")
    act, [o] = plan.select(run_of(slotted, unslotted), now=NOW, max_posts_per_platform=1)
    assert [p.id for p in act] == [slotted.id] and o.post_id == unslotted.id
    assert o.reason == ("held back: publish.max_posts_per_platform = 1 gave it no slot; "
                        f"to send it anyway: postgen publish {RUN_ID} --post x-naval")
    assert [p.id for p in plan.select(run_of(slotted, unslotted), now=NOW)[0]] == [slotted.id, unslotted.id]
    act, skipped = plan.select(run_of(slotted, unslotted), now=NOW, max_posts_per_platform=1, post_ids=[unslotted.id])
    assert [p.id for p in act] == [unslotted.id] and skipped == []


def test_approval_gate_skips_an_unapproved_post_with_the_command_to_approve_it():
    yes, no = post("x", "hormozi", approved=True), post("x", "naval")
    act, [o] = plan.select(run_of(yes, no), now=NOW, require_approval=True)
    assert [p.id for p in act] == [yes.id]
    assert (o.post_id, o.reason) == (no.id, f"not approved (publish.require_approval is on): postgen approve {RUN_ID} x-naval")


def test_a_rate_limited_post_waits_until_its_time_and_goes_at_it():
    until = NOW + timedelta(minutes=5)
    act, [o] = plan.select(run_of(post(deferred_until=until)), now=NOW)
    assert act == [] and (o.status, o.reason, o.until) == ("deferred", "rate limited earlier", until)
    act, skipped = plan.select(run_of(post(deferred_until=NOW)), now=NOW)
    assert [p.id for p in act] == ["x-hormozi"] and skipped == []


def test_describe_follow_ups_names_one_left_out_by_hand():
    p = published(follow_ups=[FollowUp(kind="first_comment", state="skipped")])
    assert plan.describe_follow_ups(p) == "first_comment: left out by hand"


# --------------------------------------------------------------------------- no bursts


class Book:
    """A SlotBook stand-in: one slot window begun at `start`, free slots handed out in order."""

    def __init__(self, start, free):
        self.start, self.free = start, list(free)

    def window_start(self, platform, now):
        return self.start

    def take(self, platform, now):
        return self.free.pop(0) if self.free else None


def test_a_post_too_late_is_moved_with_its_old_and_new_time_in_words():
    config = parse_config({"publish": {"max_lateness_minutes": 60}})
    old, new = datetime(2026, 11, 2, 10, 30, tzinfo=timezone.utc), datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
    late = post(scheduled_at=old)
    [o] = plan.reschedule_late(run_of(late), now=NOW, config=config, book=Book(None, [new]))
    assert (o.run_id, o.post_id, o.platform, o.status, o.until) == (RUN_ID, late.id, "x", "deferred", new)
    assert o.reason == ("not sent in a burst: 90 minutes late (more than [publish] max_lateness_minutes = 60); "
                        "moved from Mon 2026-11-02 10:30 UTC to the next free slot")
    assert late.scheduled_at == new


def test_a_late_post_with_no_slot_left_is_unscheduled_and_told_how_to_send_it():
    config = parse_config({"publish": {"max_lateness_minutes": 60}})
    late = post(scheduled_at=NOW - timedelta(minutes=30))
    start = NOW - timedelta(minutes=10)
    [o] = plan.reschedule_late(run_of(late), now=NOW, config=config, book=Book(start, []))
    assert (o.post_id, o.status, o.until) == (late.id, "skipped", None)
    assert o.reason == ("not sent: the next x slot (Mon 2026-11-02 11:50 UTC) has begun since its time (one post per "
                        "platform per slot), and schedule.slots has none for x to move it to; it is unscheduled now: "
                        "publish it by hand with --post x-hormozi")
    assert late.scheduled_at is None


# --------------------------------------------------------------------------- "once" links and spend


def test_a_once_link_rides_on_the_first_post_of_its_platform_only():
    a = post("x", "hormozi", link="https://l", link_policy="once", scheduled_at=NOW)
    b = post("x", "naval", link="https://l", link_policy="once", scheduled_at=NOW + timedelta(hours=1))
    assert plan.effective(run_of(a, b), a).link_policy == "first_comment"
    assert plan.effective(run_of(a, b), a, {"x"}).link_policy == "none"
    assert [(p.id, p.link_policy) for p in plan.outgoing(run_of(b, a))] == [(a.id, "first_comment"), (b.id, "none")]


def _spend(tmp_path, cap):
    return plan.Spend(parse_config({"publish": {"max_cost_usd_per_day": cap}, "runs_dir": str(tmp_path)}), tmp_path, NOW)


def test_a_cost_that_fills_the_daily_cap_to_the_cent_fits_despite_float_rounding(tmp_path):
    spend = _spend(tmp_path, 0.3)
    spend.add(0.1)
    assert spend.refuses(0.2) is None  # 0.1 + 0.2 is 0.30000000000000004
    assert spend.refuses(0.201) == ("daily spend cap: it would cost about $0.201 and $0.100 of $0.30 is spent today "
                                    "([publish] max_cost_usd_per_day); it waits for tomorrow's budget "
                                    "(after Tue 2026-11-03 00:00 UTC) or a higher cap")


# --------------------------------------------------------------------------- postgen pending


class Priced(FakeConnector):
    """A post costs 2 cents, 4 with its link comment."""

    def preview(self, post):
        return Preview(post_id=post.id, platform=self.name, parts=[],
                       estimated_cost_usd=0.04 if post.link_policy == "first_comment" else 0.02)


def _pending(tmp_path, monkeypatch, publish: dict, posts, **run_fields):
    import postgen.checks

    config = parse_config({"publish": publish, "runs_dir": str(tmp_path), "platforms": {"enabled": ["x"]}})
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config: Priced(name, FakePlatform(name)) if name == "x" else 1 / 0)
    path = make_run(tmp_path, posts, **run_fields)
    return config, path


def test_pending_counts_what_fits_the_cap_with_one_once_link_per_platform(tmp_path, monkeypatch):
    # The first post carries the link (4 cents), the second does not (2 cents): 6 cents fit a 6 cent cap.
    config, path = _pending(tmp_path, monkeypatch, {"max_cost_usd_per_day": 0.06, "max_lateness_minutes": 100000},
                            [("x", "hormozi"), ("x", "naval")], link_policy="once", scheduled_at=NOW - timedelta(minutes=5))
    assert plan.pending(config, NOW) == {"due": 2, "waiting": 2, "threshold": config.publish.pending_threshold,
                                         "generate": 2 < config.publish.pending_threshold, "unscheduled": 0, "unreadable": []}
    config = parse_config({"publish": {"max_cost_usd_per_day": 0.05, "max_lateness_minutes": 100000}, "runs_dir": str(tmp_path),
                           "platforms": {"enabled": ["x"]}})
    assert plan.pending(config, NOW)["due"] == 1  # the second would go over


def test_pending_counts_every_unfinished_post_and_unapproved_ones_as_waiting(tmp_path, monkeypatch):
    config, path = _pending(tmp_path, monkeypatch, {}, [("x", "hormozi"), ("x", "naval"), ("x", "aida")])
    with runfile.editing(path) as handle:
        handle.run.posts[0].state = handle.run.posts[1].state = PostState.publishing
        handle.run.posts[2].scheduled_at = NOW + timedelta(days=1)
    counts = plan.pending(config, NOW)
    assert (counts["due"], counts["waiting"], counts["unscheduled"]) == (2, 1, 2)


# --------------------------------------------------------------------------- the Publisher


def journal(path: Path, post_id: str) -> list[tuple[str, str, str]]:
    return [(line["event"], line["what"], line["result"]) for line in lines(path) if line["post"] == post_id]


def err(kind, message="nope", **kw):
    from postgen.connector import PublishError

    return PublishError(kind, message, **kw)


def test_the_journal_says_how_a_post_and_its_link_comment_went_out(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    [o] = publisher({"x": FakePlatform("x")}).publish_run(path)
    assert (o.run_id, o.post_id, o.platform, o.status, o.reason) == (runfile.load(path).id, "x-hormozi", "x", "published", "")
    assert journal(path, "x-hormozi") == [("intent", "post", "intent"), ("outcome", "post", "published"),
                                          ("intent", "follow_up", "intent"), ("outcome", "follow_up", "published")]


def test_a_rate_limit_defers_the_post_and_blocks_the_platform_for_the_pass(tmp_path):
    from postgen.models import utcnow

    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None,
                    scheduled_at=datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc))
    x = FakePlatform("x")
    reset = int(utcnow().timestamp()) + 3600
    x.errors = [err("rate_limited", "Too Many Requests", status=429, retry_at=reset)]
    first, second = publisher({"x": x}).publish_run(path)
    assert (first.platform, first.status, first.reason) == ("x", "deferred", "rate limited by x; retry on the next run after the reset")
    assert (second.platform, second.status, second.until) == ("x", "deferred", first.until)
    assert x.create_calls == 1  # the second was not knocked
    assert runfile.load(path).post("x-naval").deferred_until == first.until
    assert journal(path, "x-naval") == [("outcome", "post", "rate_limited")]


def test_a_rate_limit_whose_reset_has_passed_is_retried_at_once_and_saved_before(tmp_path):
    from postgen.models import utcnow

    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors = [err("rate_limited", "Too Many Requests", status=429, retry_at=utcnow().timestamp() - 5)]
    slept = []
    [o] = publisher({"x": x}, sleep=slept.append).publish_run(path)
    assert o.status == "published" and slept == [0.0]  # no negative sleep, no needless second
    assert [r for _, _, r in journal(path, "x-hormozi")] == ["intent", "rate_limited", "intent", "published"]


def test_an_account_refusal_fails_the_post_and_does_not_try_the_platforms_others(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None)
    x = FakePlatform("x")
    x.errors = [err("auth", "Unauthorized", status=401)]
    first, second = publisher({"x": x}).publish_run(path)
    assert (first.status, first.reason) == ("failed", "auth (401): Unauthorized")
    assert (second.status, second.reason) == ("failed", "not tried: x refused x-hormozi: auth (401): Unauthorized")
    assert journal(path, "x-naval") == []  # nothing changed for the untried post
    assert runfile.load(path).post("x-naval").deferred_until is None


def test_an_unreachable_platform_leaves_the_post_ready_for_the_next_run(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors = [err("unreachable", "connection refused")]
    [o] = publisher({"x": x}).publish_run(path)
    assert (o.platform, o.status, o.reason) == ("x", "deferred", "not sent: connection refused; tried again on the next run")
    assert runfile.load(path).post("x-hormozi").state is PostState.ready
    assert [r for _, _, r in journal(path, "x-hormozi")] == ["intent", "not_sent"]


def test_timeouts_up_to_max_attempts_leave_the_post_to_be_looked_up(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors = [err("unknown", "read timed out")] * 3
    [o] = publisher({"x": x}).publish_run(path)
    assert (o.status, o.reason) == ("deferred", "unknown: read timed out (after 3 attempts); looked up on the next run before any resend")


def test_a_timeout_on_a_platform_that_takes_copies_waits_out_its_listing_lag(tmp_path):
    config = parse_config({"publish": {"listing_lag_minutes": 7}})
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.errors = [err("unknown", "read timed out")]
    [o] = publisher({"reddit": reddit}, config).publish_run(path)
    assert (o.platform, o.status) == ("reddit", "deferred")
    assert o.reason == ("unknown: read timed out; not found on reddit yet, which accepts copies: it is looked up again on "
                        "the next run (at least 7 minutes after the attempt) before any resend")


def test_a_duplicate_refusal_records_the_copy_the_platform_has(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    [o] = publisher({"x": x}).publish_run(path)
    with runfile.editing(path) as handle:  # the run file lost it; X still has it
        p = handle.run.post("x-hormozi")
        p.state, p.publication, p.attempts = PostState.ready, None, 0
    (path.parent / "ledger" / f"{path.stem}.jsonl").unlink()
    [again] = publisher({"x": x}).publish_run(path)
    assert (again.status, again.url) == ("published", o.url) and x.copies("x-hormozi") == 1
    assert [r for _, _, r in journal(path, "x-hormozi")] == ["intent", "found"]


class NoLookup(FakeConnector):
    def find_existing(self, post):
        return None


def test_a_duplicate_refusal_that_cannot_be_found_asks_a_person(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors = [err("duplicate", "duplicate content", status=403)]
    [o] = publisher({"x": x}, connector=NoLookup).publish_run(path)
    assert (o.platform, o.status) == ("x", "unresolved")
    assert o.reason.startswith("x says it already has this post (duplicate content) but it cannot be found. Look on x, then: ")
    assert [r for _, _, r in journal(path, "x-hormozi")] == ["intent", "unknown"]


def test_a_post_that_fails_its_checks_is_marked_failed_and_not_sent(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").body = "y" * 400
    x = FakePlatform("x")
    [o] = publisher({"x": x}).publish_run(path)
    assert (o.status, o.reason) == ("failed", "not sent: 400 of 280 characters")
    assert runfile.load(path).post("x-hormozi").state is PostState.failed and x.create_calls == 0


class Broken(FakeConnector):
    def preview(self, post):
        raise RuntimeError("bug")

    def validate(self, post):
        raise RuntimeError("connector bug")


def test_a_connector_bug_fails_only_its_post_and_names_the_platform(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    [o] = publisher({"x": FakePlatform("x")}, connector=Broken).publish_run(path)
    assert (o.platform, o.status) == ("x", "failed") and "connector bug" in o.reason


class Down(FakeConnector):
    def find_existing(self, post):
        raise err("transient", "503 Service Unavailable", status=503)


def _cut_off(path):
    with runfile.editing(path) as handle:
        p = handle.run.post(handle.run.posts[0].id)
        p.state, p.attempts = PostState.publishing, 1


def test_a_cut_off_post_whose_platform_cannot_be_asked_now_waits_for_the_next_pass(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    _cut_off(path)
    [o] = publisher({"reddit": FakePlatform("reddit")}, connector=Down).publish_run(path)
    assert (o.status, o.reason) == ("deferred", "outcome unknown (the last publish stopped mid-call); could not check "
                                                "reddit now: 503 Service Unavailable; will check again next time")
    assert [r for _, _, r in journal(path, "reddit-hormozi")] == ["unknown"]


def test_a_cut_off_post_found_on_the_platform_is_recorded_with_its_cost(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link_policy="once")
    x = FakePlatform("x")
    publisher({"x": x}, connector=Priced).publish_run(path)
    with runfile.editing(path) as handle:  # as if cut off mid-call: the platform has it, the run file does not
        p = handle.run.posts[0]
        p.state, p.publication, p.link_policy = PostState.publishing, None, "once"
    [o] = publisher({"x": x}, connector=Priced).publish_run(path)
    assert o.status == "published" and x.copies("x-hormozi") == 1
    assert [l["cost_usd"] for l in lines(path) if l["result"] == "found"] == [0.04]  # its estimate, link comment included


def test_a_cut_off_post_not_yet_listed_waits_out_the_lag(tmp_path):
    from postgen.models import utcnow

    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        p = handle.run.posts[0]
        p.state, p.attempts, p.last_attempt_at = PostState.publishing, 1, utcnow()
    reddit = FakePlatform("reddit")
    [o] = publisher({"reddit": reddit}).publish_run(path)
    assert o.status == "deferred" and o.reason.startswith("outcome unknown; not found on reddit yet") and reddit.create_calls == 0


def test_the_second_once_post_of_a_platform_goes_without_the_link(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link_policy="once")
    x = FakePlatform("x")
    publisher({"x": x}).publish_run(path)
    run = runfile.load(path)
    assert [p.link_policy for p in run.posts] == ["first_comment", "none"] and len(x.comments) == 1


def test_a_failed_link_comment_is_recorded_as_a_failed_first_comment(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.comment_errors = [(err("permission", "You cannot reply"), False)]
    [o] = publisher({"x": x}).publish_run(path)
    run = runfile.load(path)
    [f] = run.post("x-hormozi").publication.follow_ups
    assert (f.kind, f.state, f.error_kind) == ("first_comment", "failed", "permission")
    assert o.status == "published" and o.follow_up == "decide"
    assert o.reason == ("link follow-up failed: first_comment: You cannot reply -> needs you (postgen cannot know whether "
                        f"it is there): postgen publish {run.id} --resolve x-hormozi --follow-up done [URL] | retry | skip")
    assert journal(path, "x-hormozi")[-1] == ("outcome", "follow_up", "failed")


class Raising(FakeConnector):
    def publish_follow_up(self, post, publication):
        raise err("invalid", "comment too long")


def test_a_follow_up_call_that_raises_is_recorded_under_the_posts_link_kind(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    [o] = publisher({"x": FakePlatform("x")}, connector=Raising).publish_run(path)
    [f] = runfile.load(path).post("x-hormozi").publication.follow_ups
    assert (f.kind, f.state, f.error) == ("first_comment", "failed", "comment too long")


def test_two_failed_follow_ups_are_listed_apart_in_the_outcome():
    p = published("x", "hormozi", follow_ups=[FollowUp(kind="thread", state="failed", error="a", error_kind="permission"),
                                              FollowUp(kind="first_comment", state="failed", error="b", error_kind="invalid")])
    o = publisher({})._follow_up_outcome(run_of(p), p, [])
    assert o.reason.startswith("link follow-up failed: thread: a -> needs you") and "; first_comment: b -> needs you" in o.reason
    assert len(o.follow_up_errors) == 2


def test_a_cut_off_link_comment_is_looked_up_not_resent(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.can_find_comments = True
    publisher({"x": x}).publish_run(path)
    with runfile.editing(path) as handle:  # the comment landed, the record of it did not
        handle.run.posts[0].publication.follow_ups[0].state = "publishing"
    [o] = publisher({"x": x}).publish_run(path)
    assert o.status == "published" and len(x.comments) == 1
    assert ("outcome", "follow_up", "found") in journal(path, "x-hormozi")[4:]


def test_a_cut_off_link_comment_on_a_platform_that_cannot_tell_goes_to_a_person(tmp_path, monkeypatch):
    events = []
    monkeypatch.setattr(ledger.send, "fire_event_kind", lambda kind, run_id, post_id, message, data: events.append((kind, post_id)))
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    li = FakePlatform("linkedin")
    publisher({"linkedin": li}).publish_run(path)
    with runfile.editing(path) as handle:
        handle.run.posts[0].publication.follow_ups[0].state = "publishing"
    [o] = publisher({"linkedin": li}).publish_run(path)
    [f] = runfile.load(path).posts[0].publication.follow_ups
    assert (f.state, f.error_kind) == ("failed", "unresolved")
    assert f.error == "outcome unknown (postgen stopped while posting it) and linkedin cannot tell; check the post and settle it"
    assert journal(path, "linkedin-hormozi")[-1] == ("outcome", "follow_up", "unknown") and len(li.comments) == 1
    assert events == [("follow_up_failed", "linkedin-hormozi")]  # a person is told, though nothing failed in this pass


class Pictures(FakeConnector):
    def upload_media(self, post, media):
        from postgen.connector import UploadedMedia

        return UploadedMedia(remote_id="1880028106020515840")


def test_a_pictures_upload_is_journalled_as_its_own_media_step(isolated):
    import shutil

    from postgen.models import Media

    work = Path.cwd()
    shutil.copy(Path(__file__).parent / "data" / "tiny-thumbnail.png", work / "tiny-thumbnail.png")
    path = make_run(work / "runs", [("x", "hormozi")], link=None, media=Media(sources=["tiny-thumbnail.png"], alt="A talk"))
    [o] = publisher({"x": FakePlatform("x")}, connector=Pictures).publish_run(path)
    assert o.status == "published"
    assert journal(path, "x-hormozi")[:2] == [("intent", "media", "intent"), ("outcome", "media", "uploaded")]
    assert runfile.load(path).post("x-hormozi").media.remote_id == "1880028106020515840"


def test_a_replan_asked_after_an_outcome_stops_the_pass(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")

    def durable(paths, moment):
        if moment == "outcome":
            raise ledger.Replan("the branch moved")

    with pytest.raises(ledger.RecordFailed, match="the durable hook asked to re-plan after an outcome"):
        publisher({"x": x}, durable=durable).publish_run(path)
    assert x.create_calls == 1


def test_a_replan_asked_at_an_intent_withdraws_it_and_plans_again_instead_of_stopping(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    refusals = {"left": 1}

    def durable(paths, moment):
        if moment == "intent" and refusals["left"]:
            refusals["left"] -= 1
            raise ledger.Replan("the branch moved")

    [o] = publisher({"x": x}, durable=durable).publish_run(path)
    assert o.status == "published" and x.create_calls == 1
    assert [r for _, _, r in journal(path, "x-hormozi")] == ["intent", "withdrawn", "intent", "published"]


def test_a_post_edited_while_its_intent_was_recorded_is_withdrawn_not_sent(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    edits = {"left": 1}

    def durable(paths, moment):
        if moment == "intent" and edits["left"]:
            edits["left"] -= 1
            run = runfile.load(paths[0])  # as a git pull would bring a person's edit in
            run.post("x-hormozi").body = "Edited by a person meanwhile."
            runfile.save(paths[0], run)

    [o] = publisher({"x": x}, durable=durable).publish_run(path)
    assert o.status == "published" and x.create_calls == 1
    assert x.created[0]["text"].startswith("Edited by a person meanwhile.")
    assert [r for _, _, r in journal(path, "x-hormozi")][:3] == ["intent", "withdrawn", "intent"]


def test_the_runs_own_video_link_in_the_text_is_not_a_foreign_link(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.posts[0].body = "Watch: https://www.youtube.com/watch?v=abc123XYZ_0"
    [o] = publisher({"x": FakePlatform("x")}).publish_run(path)
    assert o.status == "published"


class LookupDown(FakeConnector):
    def find_existing(self, post):
        raise err("transient", "Service Unavailable", status=503)


def test_a_platform_that_takes_copies_and_cannot_be_asked_gets_nothing(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    [o] = publisher({"reddit": reddit}, connector=LookupDown).publish_run(path)
    assert (o.status, o.reason) == ("deferred", "not sent: could not check reddit for an earlier copy (Service Unavailable); "
                                                "it takes copies, so the post waits: checked again next run")
    assert reddit.create_calls == 0


def _comment_cut_off(path, at):
    with runfile.editing(path) as handle:
        f = handle.run.posts[0].publication.follow_ups[0]
        f.state, f.at = "publishing", at


class FollowUpLookupDown(FakeConnector):
    def find_follow_up(self, post, publication):
        raise err("rate_limited", "Too Many Requests")


def test_a_cut_off_link_comment_that_cannot_be_looked_up_now_is_asked_again_next_run(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    publisher({"x": x}).publish_run(path)
    _comment_cut_off(path, None)
    [o] = publisher({"x": x}, connector=FollowUpLookupDown).publish_run(path)
    assert (o.status, o.follow_up, o.url) == ("published", "retry", "https://x.com/me/status/1001")
    assert o.reason == ("its link follow-up's outcome is unknown and x could not be asked now (Too Many Requests): "
                        "asked again on the next run")


def test_a_cut_off_link_comment_not_listed_yet_waits_out_the_lag(tmp_path):
    from postgen.models import utcnow

    config = parse_config({"publish": {"listing_lag_minutes": 10}})
    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.can_find_comments = True
    publisher({"reddit": reddit}, config).publish_run(path)
    reddit.comments.clear()  # the comment did not land (or is not listed yet)
    _comment_cut_off(path, utcnow())
    [o] = publisher({"reddit": reddit}, config).publish_run(path)
    assert (o.platform, o.status, o.follow_up) == ("reddit", "published", "retry") and o.until is not None
    assert o.reason.startswith("its link follow-up is not on reddit yet, whose listing can lag: looked up again after ")
    assert reddit.comments == []


class BlindResend(FakeConnector):
    def find_follow_up(self, post, publication):
        raise err("invalid", "cannot search comments")


def test_a_link_comment_that_failed_with_a_5xx_is_sent_again_where_copies_are_refused(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.comment_errors = [(err("transient", "Bad Gateway", status=502), False)]
    publisher({"x": x}).publish_run(path)
    [o] = publisher({"x": x}, connector=BlindResend).publish_run(path)
    assert (o.status, o.reason) == ("published", "") and len(x.comments) == 1
    [f] = runfile.load(path).posts[0].publication.follow_ups
    assert f.state == "published"


def test_a_cut_off_link_comment_that_is_not_there_is_journalled_not_found_then_sent(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.can_find_comments = True
    publisher({"x": x}).publish_run(path)
    x.comments.clear()  # it never landed
    _comment_cut_off(path, None)
    [o] = publisher({"x": x}).publish_run(path)
    assert o.status == "published" and len(x.comments) == 1
    assert journal(path, "x-hormozi")[-3:] == [("outcome", "follow_up", "not_found"), ("intent", "follow_up", "intent"),
                                               ("outcome", "follow_up", "published")]


def test_the_real_wait_sleeps_for_the_seconds_it_is_given(monkeypatch):
    """Every other test replaces postgen.ledger.sleep; this one checks the real one passes the
    seconds on to time.sleep (a rate-limit wait in production goes through it)."""
    import time

    import postgen.ledger

    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)
    postgen.ledger.sleep(2.5)
    assert slept == [2.5]


# --------------------------------------------------------------------------- held-out sample (seed 12)


def test_reschedule_late_for_named_posts_moves_only_those(tmp_path):
    config = parse_config({"publish": {"max_lateness_minutes": 60}})
    old, new = NOW - timedelta(minutes=90), datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc)
    named, other = post(framework="hormozi", scheduled_at=old), post(framework="naval", scheduled_at=old)
    [o] = plan.reschedule_late(run_of(named, other), now=NOW, config=config, book=Book(None, [new]), post_ids=[named.id])
    assert (o.post_id, o.until) == (named.id, new)
    assert (named.scheduled_at, other.scheduled_at) == (new, old)


def test_pending_reads_every_run_after_one_it_cannot_read(tmp_path, monkeypatch):
    config, path = _pending(tmp_path, monkeypatch, {"max_lateness_minutes": 100000}, [("x", "hormozi")],
                            scheduled_at=NOW - timedelta(minutes=5))
    (tmp_path / "2000-01-01-broken.md").write_text("not a run file\n")  # sorts before the good run
    counts = plan.pending(config, NOW)
    assert (counts["due"], counts["waiting"], len(counts["unreadable"])) == (1, 1, 1)


class LandsThenTimesOut(FakeConnector):
    """The platform takes the first post, then the call times out before the answer arrives."""

    def publish(self, post):
        publication = super().publish(post)
        if self.platform.create_calls == 1:
            raise err("unknown", "read timed out")
        return publication


def test_a_post_found_after_a_timeout_is_journalled_as_found(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    [o] = publisher({"x": x}, connector=LandsThenTimesOut).publish_run(path)
    assert (o.status, o.url) == ("published", x.url_of("x-hormozi")) and x.copies("x-hormozi") == 1
    assert [r for _, _, r in journal(path, "x-hormozi")] == ["intent", "found"]


def test_a_timeout_on_a_platform_that_takes_copies_names_the_run_in_its_outcome(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.errors = [err("unknown", "read timed out")]
    [o] = publisher({"reddit": reddit}).publish_run(path)
    assert (o.run_id, o.post_id, o.status) == (runfile.load(path).id, "reddit-hormozi", "deferred")


class TwoProblems(FakeConnector):
    def validate(self, post):
        from postgen.models import Problem

        return [Problem(severity="error", code="too_long", message="400 of 280 characters"),
                Problem(severity="error", code="no_link", message="the link is missing")]


def test_every_error_a_check_finds_is_listed_in_the_failed_outcome(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    [o] = publisher({"x": x}, connector=TwoProblems).publish_run(path)
    assert (o.status, o.reason) == ("failed", "not sent: 400 of 280 characters; the link is missing")
    assert runfile.load(path).post("x-hormozi").last_error == "400 of 280 characters; the link is missing"
    assert x.create_calls == 0


def test_each_outcome_is_announced_as_it_happens(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None)
    x = FakePlatform("x")
    fired = []
    outcomes = ledger.Publisher(parse_config({}), connector_for=lambda name: FakeConnector(name, x),
                                sleep=lambda s: None, fire=fired.append).publish_run(path)
    assert fired == outcomes and [o.post_id for o in fired] == ["x-hormozi", "x-naval"]


def test_posts_held_back_by_a_ledger_that_keeps_moving_are_announced_too(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None)
    x = FakePlatform("x")
    fired = []

    def durable(paths, moment):
        if moment == "intent":
            raise ledger.Replan("push rejected: the branch moved")

    outcomes = ledger.Publisher(parse_config({}), connector_for=lambda name: FakeConnector(name, x), sleep=lambda s: None,
                                fire=fired.append, durable=durable).publish_run(path)
    assert fired == outcomes and [(o.post_id, o.status) for o in fired] == [("x-hormozi", "deferred"), ("x-naval", "deferred")]
