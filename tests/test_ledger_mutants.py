"""Ledger rules that mutation testing (bench/mutation.py) found unchecked, each through the
Publisher and the fake platforms of ledger_fakes: the stale-copy lookup that cannot answer, the
journal's record of how each outcome was learned, the messages that say what happens next, and
what another publisher's line or a person's decision changes. Also, directly: what a journal line
holds when read back from disk (torn lines, sequence, cost, UTC time), the journal file's
permissions, `.gitattributes` read as UTF-8 on any locale, which journal lines bring a
stale run file forward and which leave it, the day's spend, the exit code a scheduler reads, the
reconciling rules (retry steps, follow-up work, remote ids) and the exact messages and records of
`--resolve`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from ledger_fakes import FakeConnector, FakePlatform, make_run, journal_lines as lines, publisher

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.connector import PublishError
from postgen.ledger.journal import Journal
from postgen.models import FollowUp, PostState, Publication, utcnow


def results(path: Path, post_id: str) -> list[str]:
    return [line["result"] for line in lines(path) if line["post"] == post_id]


class LookupDown(FakeConnector):
    """find_existing answers 503 while `platform.lookup_down` is set."""

    def find_existing(self, post):
        if getattr(self.platform, "lookup_down", False):
            raise PublishError("transient", "Reddit server error (503): Service Unavailable", status=503)
        return super().find_existing(post)


# --------------------------------------------------------------------------- the stale-copy lookup


def test_a_platform_that_takes_copies_and_cannot_be_asked_gets_nothing(tmp_path):
    """Reddit is asked before every send (nothing else stops a second copy): when the listing is
    down the intent is withdrawn, nothing is sent, and the next run tries again."""
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.lookup_down = True
    [outcome] = publisher({"reddit": reddit}, connector=LookupDown).publish_run(path)
    assert outcome.status == "deferred" and outcome.reason.startswith("not sent: could not check reddit for an earlier copy")
    assert reddit.create_calls == 0
    post = runfile.load(path).post("reddit-hormozi")
    assert post.state is PostState.ready and post.attempts == 0 and post.last_attempt_at is None
    assert post.last_error.endswith("it takes copies, so the post waits: checked again next run")
    assert results(path, "reddit-hormozi") == ["intent", "withdrawn"]
    assert lines(path)[-1]["fields"]["state"] == "ready"
    reddit.lookup_down = False
    assert [o.status for o in publisher({"reddit": reddit}, connector=LookupDown).publish_run(path)] == ["published"]
    assert reddit.copies("reddit-hormozi") == 1 and runfile.load(path).post("reddit-hormozi").last_error is None


def test_a_platform_that_refuses_copies_is_sent_to_when_its_lookup_is_down(tmp_path):
    """X was tried before (its journal says so) but cannot be asked: it refuses a copy itself."""
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors.append(PublishError("unreachable", "connection refused"))
    publisher({"x": x}).publish_run(path)
    x.lookup_down = True
    assert [o.status for o in publisher({"x": x}, connector=LookupDown).publish_run(path)] == ["published"]
    assert x.copies("x-hormozi") == 1


def test_a_copy_found_by_the_stale_copy_lookup_is_recorded_as_found(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    publisher({"reddit": reddit}).publish_run(path)
    run = runfile.load(path)
    stale = path.read_text()
    # a stale copy of the run file and of its journal: the platform alone knows
    journal = path.parent / "ledger" / f"{path.stem}.jsonl"
    journal.unlink()
    path.write_text(stale.replace('"state": "published"', '"state": "ready"'))
    [outcome] = publisher({"reddit": reddit}).publish_run(path)
    assert outcome.status == "published" and outcome.reason.startswith("already on the platform")
    assert reddit.copies("reddit-hormozi") == 1
    assert results(path, "reddit-hormozi")[-1] == "found"
    assert runfile.load(path).post("reddit-hormozi").publication.remote_id == run.post("reddit-hormozi").publication.remote_id


# --------------------------------------------------------------------------- what each failure records


def test_the_journal_records_a_rate_limit_wait_then_the_send(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors.append(PublishError("rate_limited", "Too Many Requests", status=429, retry_at=utcnow().timestamp() + 20))
    publisher({"x": x}).publish_run(path)
    assert results(path, "x-hormozi") == ["intent", "rate_limited", "intent", "published"]


def test_a_rate_limit_without_a_reset_time_says_so(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors.append(PublishError("rate_limited", "Too Many Requests", status=429))
    [outcome] = publisher({"x": x}).publish_run(path)
    assert (outcome.status, outcome.platform, outcome.until) == ("deferred", "x", None)
    assert outcome.reason == "rate limited by x; no reset time given; retry on the next run"


def test_transient_failures_to_the_last_attempt_leave_a_lookup_for_the_next_run(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.errors += [PublishError("transient", "Read timed out")] * 3
    config = parse_config({"publish": {"max_attempts": 1}})
    [outcome] = publisher({"reddit": reddit}, config).publish_run(path)
    assert outcome.status == "deferred"
    assert outcome.reason == "transient: Read timed out (after 1 attempts); looked up on the next run before any resend"
    assert results(path, "reddit-hormozi")[-1] == "unknown"


def test_a_timeout_on_a_platform_that_takes_copies_waits_out_the_listing_lag(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.errors.append(PublishError("transient", "Read timed out"))
    config = parse_config({"publish": {"listing_lag_minutes": 25}})
    [outcome] = publisher({"reddit": reddit}, config).publish_run(path)
    assert outcome.status == "deferred"
    assert "it is looked up again on the next run (at least 25 minutes after the attempt) before any resend" in outcome.reason


def test_a_timeout_whose_lookup_cannot_answer_asks_a_person_with_the_cause(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")], link=None)
    li = FakePlatform("linkedin")
    li.errors.append(PublishError("unknown", "connection dropped mid-answer"))
    [outcome] = publisher({"linkedin": li}).publish_run(path)
    assert outcome.status == "unresolved"
    post = runfile.load(path).post("linkedin-hormozi")
    assert post.state is PostState.publishing
    assert post.last_error.startswith("outcome unknown (the call ended with unknown: connection dropped mid-answer)")


def test_a_duplicate_the_platform_cannot_show_is_left_for_a_person(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors.append(PublishError("duplicate", "You are not allowed to create a Tweet with duplicate content.", status=403))
    [outcome] = publisher({"x": x}).publish_run(path)
    assert outcome.status == "unresolved"
    run_id = path.stem
    assert outcome.reason.endswith(f"Look on x, then: postgen publish {run_id} --resolve x-hormozi --as published URL   (or --as failed)")
    post = runfile.load(path).post("x-hormozi")
    assert post.last_error == ("x says it already has this post (You are not allowed to create a Tweet with duplicate "
                               "content.) but it cannot be found")
    assert results(path, "x-hormozi")[-1] == "unknown"


def test_a_lookup_that_cannot_answer_after_a_crash_is_recorded_as_unknown(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("linkedin-hormozi").state = PostState.publishing
    [outcome] = publisher({"linkedin": FakePlatform("linkedin")}).publish_run(path)
    assert outcome.status == "unresolved"
    assert results(path, "linkedin-hormozi") == ["unknown"]


# --------------------------------------------------------------------------- the durable hook


def test_another_publishers_line_at_the_intent_means_plan_again(tmp_path):
    """The sync at the intent merged another writer's newer line for this post: this intent is
    not the newest, so nothing is sent on it; the pass plans again from what the journal says."""
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    other = {"done": False}

    def durable(paths, moment):
        if moment == "intent" and not other["done"]:
            other["done"] = True
            run = runfile.load(path)
            post = run.post("x-hormozi")
            Journal.of(path, run.id).append(run.id, post, event="outcome", what="post", result="not_sent")

    outcomes = publisher({"x": x}, durable=durable).publish_run(path)
    assert [o.status for o in outcomes] == ["published"]
    assert x.create_calls == 1 and x.copies("x-hormozi") == 1
    assert results(path, "x-hormozi")[:3] == ["intent", "not_sent", "intent"]


def test_an_edit_merged_at_the_intent_withdraws_the_intent_on_the_record(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    merged = {"done": False}

    def durable(paths, moment):
        if moment == "intent" and not merged["done"]:
            merged["done"] = True
            path.write_text(path.read_text().replace("The hormozi post for x", "The edited hormozi post for x"))

    publisher({"x": x}, durable=durable).publish_run(path)
    assert results(path, "x-hormozi")[:2] == ["intent", "withdrawn"]
    assert lines(path)[1]["fields"]["state"] == "ready" and lines(path)[1]["fields"]["attempts"] == 0


# --------------------------------------------------------------------------- follow-ups


def test_a_doubtful_follow_up_on_a_platform_without_lookups_is_left_for_a_person(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.comment_errors.append((PublishError("unknown", "connection dropped"), True))
    publisher({"x": x}).publish_run(path)
    [outcome] = publisher({"x": x}).publish_run(path)  # the lookup cannot tell (can_find_comments off)
    assert outcome.follow_up == "decide" and len(x.comments) == 1
    [follow] = runfile.load(path).post("x-hormozi").publication.follow_ups
    assert (follow.state, follow.error_kind) == ("failed", "unresolved")


def test_describe_follow_ups_in_words():
    from postgen.ledger.plan import describe_follow_ups
    from postgen.models import Post

    post = Post(id="x-a", platform="x", framework="a", body="b", state=PostState.published, follow_up_pending=True,
                publication=Publication(remote_id="1", follow_ups=[
                    FollowUp(kind="reply", state="publishing"),
                    FollowUp(kind="thread", state="failed", error="503", error_kind="transient"),
                    FollowUp(kind="reply", state="failed", error="odd", error_kind=None),
                    FollowUp(kind="reply", state="skipped")]))
    assert describe_follow_ups(post) == (
        "link follow-up not sent yet: goes out with the next publish; "
        "reply: cut off mid-call: looked up with the next publish before any retry; "
        "thread failed (transient): 503 -> looked up on the next run, and sent again only if it is not there; "
        "reply failed (unknown): odd -> looked up on the next run, and sent again only if it is not there; "
        "reply: left out by hand")
    assert describe_follow_ups(post.model_copy(update={"publication": None})) == ""


# --------------------------------------------------------------------------- a person decides


def test_resolving_a_once_link_post_gives_the_link_to_the_first_post_only(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link_policy="once")
    with runfile.editing(path) as handle:
        for post in handle.run.posts:
            post.state = PostState.publishing
    ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/1001")
    ledger.resolve(path, "x-naval", "published", "https://x.com/me/status/1002")
    run = runfile.load(path)
    assert run.post("x-hormozi").link_policy == "first_comment" and run.post("x-hormozi").follow_up_pending
    assert run.post("x-naval").link_policy == "none" and not run.post("x-naval").follow_up_pending


def test_a_resolved_post_is_dated_by_its_last_attempt(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")], link=None)
    attempt = utcnow().replace(microsecond=0) - timedelta(hours=3)
    with runfile.editing(path) as handle:
        post = handle.run.post("linkedin-hormozi")
        post.state, post.last_attempt_at = PostState.publishing, attempt
    post = ledger.resolve(path, "linkedin-hormozi", "published", "https://www.linkedin.com/feed/update/urn:li:share:9")
    assert post.publication.published_at == attempt
    assert post.publication.remote_id == "urn:li:share:9"


def test_resolving_without_a_lock_holder_takes_the_runs_lock(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").state = PostState.publishing
    with runfile.locked(path):
        with pytest.raises(runfile.RunLocked):
            ledger.resolve(path, "x-hormozi", "failed")
        with pytest.raises(runfile.RunLocked):
            ledger.resolve_follow_up(path, "x-hormozi", "skip")


def test_marking_a_published_post_failed_is_refused_naming_its_url(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    publisher({"x": FakePlatform("x")}).publish_run(path)
    with pytest.raises(ValueError, match=r"x-hormozi is recorded as published \(https://x.com/me/status/1001\); not marking"):
        ledger.resolve(path, "x-hormozi", "failed")


def test_follow_up_decisions_refuse_what_there_is_nothing_to_decide_about(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with pytest.raises(ValueError, match="x-hormozi is ready, not published: settle the post first"):
        ledger.resolve_follow_up(path, "x-hormozi", "done")
    publisher({"x": FakePlatform("x")}).publish_run(path)
    with pytest.raises(ValueError, match="x-hormozi has no follow-up left to settle"):
        ledger.resolve_follow_up(path, "x-hormozi", "done")
    with pytest.raises(ValueError, match="--follow-up done takes the follow-up's URL"):
        with runfile.editing(path) as handle:
            handle.run.post("x-hormozi").follow_up_pending = True
        ledger.resolve_follow_up(path, "x-hormozi", "done", "x.com/me/status/5")


def test_a_follow_up_cut_off_mid_call_is_settled_as_done_keeping_its_time(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    when = utcnow().replace(microsecond=0) - timedelta(hours=1)
    with runfile.editing(path) as handle:
        post = handle.run.post("x-hormozi")
        post.state = PostState.published
        post.publication = Publication(remote_id="1", follow_ups=[FollowUp(kind="reply", state="publishing", at=when)])
    post = ledger.resolve_follow_up(path, "x-hormozi", "done")
    [follow] = post.publication.follow_ups
    assert (follow.state, follow.at, follow.url) == ("published", when, None)
    assert not runfile.load(path).post("x-hormozi").follow_up_pending
    assert results(path, "x-hormozi") == ["follow_up_done"]


def test_a_duck_typed_connector_is_not_trusted_to_refuse_copies():
    from postgen.ledger.reconcile import resend_after_server_error

    assert resend_after_server_error(object()) is False


# --------------------------------------------------------------------------- what a pass reports


def test_an_outcome_as_json_carries_every_field_a_scheduler_reads():
    from datetime import datetime, timezone

    outcome = ledger.Outcome("2026-11-02-abc", "x-hormozi", "x", "published", "link follow-up failed", url="https://x.com/1",
                             until=datetime(2026, 11, 3, 8, 0, tzinfo=timezone.utc), follow_up_errors=["reply: 503 -> retry"],
                             follow_up="retry")
    assert outcome.to_dict() == {"run": "2026-11-02-abc", "post": "x-hormozi", "platform": "x", "status": "published",
                                 "reason": "link follow-up failed", "url": "https://x.com/1",
                                 "until": "2026-11-03T08:00:00+00:00", "follow_up_errors": ["reply: 503 -> retry"],
                                 "follow_up": "retry"}
    plain = ledger.Outcome("r", "p", "x", "skipped").to_dict()
    assert (plain["until"], plain["follow_up"], plain["follow_up_errors"]) == (None, None, [])


def test_an_outcomes_event_says_why_and_carries_the_outcome(monkeypatch):
    from postgen import events

    fired = []
    monkeypatch.setattr(events, "fire", fired.append)
    outcome = ledger.Outcome("r", "x-hormozi", "x", "deferred", "rate limited by x; retry on the next run")
    ledger.fire_event(outcome)
    [event] = fired
    assert (event.kind, event.run_id, event.post_id) == ("post_deferred", "r", "x-hormozi")
    assert event.message == "rate limited by x; retry on the next run"
    assert event.data == outcome.to_dict()


# --------------------------------------------------------------------------- what a pass decides


def _scheduled(runs: Path, posts, config, at):
    path = make_run(runs, posts, link=None)
    with runfile.editing(path) as handle:
        for post in handle.run.posts:
            post.scheduled_at = at
    return path


def test_a_post_whose_slot_was_overtaken_by_the_next_one_moves_there(tmp_path):
    from datetime import datetime, timezone

    config = parse_config({"schedule": {"slots": {"x": ["09:00", "10:00", "11:00"]}}})
    path = _scheduled(tmp_path, [("x", "hormozi")], config, datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))
    x = FakePlatform("x")
    with time_machine.travel(datetime(2026, 11, 2, 10, 5, tzinfo=timezone.utc), tick=False):  # 65 minutes: not too late
        [outcome] = publisher({"x": x}, config).publish_run(path, due=True)
    assert outcome.status == "deferred" and x.create_calls == 0
    assert "the next x slot (Mon 2026-11-02 10:00 UTC) has begun since its time (one post per platform per slot)" in outcome.reason
    assert outcome.until == datetime(2026, 11, 2, 11, 0, tzinfo=timezone.utc)


def test_a_late_post_on_a_platform_without_slots_is_unscheduled_not_sent(tmp_path):
    from datetime import datetime, timezone

    config = parse_config({"schedule": {"slots": {"x": []}}})
    path = _scheduled(tmp_path, [("x", "hormozi")], config, datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc))
    with time_machine.travel(datetime(2026, 11, 2, 18, 0, tzinfo=timezone.utc), tick=False):
        [outcome] = publisher({"x": FakePlatform("x")}, config).publish_run(path, due=True)
    assert (outcome.post_id, outcome.platform, outcome.status) == ("x-hormozi", "x", "skipped")
    assert outcome.reason.startswith("not sent: 540 minutes late")
    assert outcome.reason.endswith("schedule.slots has none for x to move it to; it is unscheduled now: publish it by hand "
                                   "with --post x-hormozi")
    assert runfile.load(path).post("x-hormozi").scheduled_at is None


def test_a_disabled_platforms_late_post_keeps_its_time(tmp_path):
    from datetime import datetime, timezone

    config = parse_config({"platforms": {"enabled": ["x"]}, "schedule": {"slots": {"reddit": ["09:00"]}}})
    at = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    path = _scheduled(tmp_path, [("reddit", "hormozi")], config, at)
    with time_machine.travel(datetime(2026, 11, 2, 18, 0, tzinfo=timezone.utc), tick=False):
        outcomes = publisher({"reddit": FakePlatform("reddit")}, config).publish_run(path, due=True)
    assert [o.status for o in outcomes] == ["skipped"] and "not enabled" in outcomes[0].reason
    assert runfile.load(path).post("reddit-hormozi").scheduled_at == at


def test_pending_counts_only_what_fits_the_spend_cap(tmp_path, monkeypatch):
    """X at $0.015 a post and $0.20 with its link reply: a $0.50 cap takes two of three today."""
    from datetime import datetime, timezone

    from postgen.ledger.plan import pending

    config = parse_config({"runs_dir": str(tmp_path), "publish": {"max_cost_usd_per_day": 0.50}})
    at = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    path = _scheduled(tmp_path, [("x", "hormozi"), ("x", "naval"), ("x", "aida")], config, at)
    with runfile.editing(path) as handle:
        for post in handle.run.posts:
            post.link = "https://youtu.be/abc123XYZ_0"
    with time_machine.travel(at + timedelta(minutes=5), tick=False):
        assert pending(config)["due"] == 2
        with runfile.editing(path) as handle:  # an unknown outcome is finished whatever it costs
            handle.run.post("x-aida").state = PostState.publishing
        assert pending(config)["due"] == 3


# --------------------------------------------------------------------------- more of what a pass records


def test_a_post_its_checks_refuse_is_recorded_failed(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").body = "x" * 300
    [outcome] = publisher({"x": FakePlatform("x")}).publish_run(path)
    assert outcome.status == "failed" and outcome.reason.startswith("not sent: 300 of 280 characters")
    assert results(path, "x-hormozi") == ["failed"]


def test_a_publication_without_a_time_is_dated_when_recorded(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    before = utcnow()
    publisher({"x": FakePlatform("x")}).publish_run(path)  # the fake returns no published_at
    published_at = runfile.load(path).post("x-hormozi").publication.published_at
    assert published_at is not None and published_at >= before.replace(microsecond=0)


def test_due_with_a_platform_moves_only_that_platforms_late_posts(tmp_path):
    from datetime import datetime, timezone

    config = parse_config({"schedule": {"slots": {"x": ["09:00"], "reddit": ["09:00"]}}})
    at = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
    path = _scheduled(tmp_path, [("x", "hormozi"), ("reddit", "naval")], config, at)
    platforms = {"x": FakePlatform("x"), "reddit": FakePlatform("reddit")}
    with time_machine.travel(datetime(2026, 11, 2, 18, 0, tzinfo=timezone.utc), tick=False):
        [outcome] = publisher(platforms, config).publish_run(path, due=True, platforms=["x"])
    assert outcome.post_id == "x-hormozi" and outcome.status == "deferred"
    assert runfile.load(path).post("reddit-naval").scheduled_at == at


def test_a_ledger_that_keeps_moving_stops_the_pass_after_five_replans(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None)
    x = FakePlatform("x")
    refused = []

    def durable(paths, moment):
        if moment == "intent":
            refused.append(moment)
            raise ledger.Replan("push rejected: the branch moved")

    outcomes = publisher({"x": x}, durable=durable).publish_run(path)
    assert [(o.post_id, o.status) for o in outcomes] == [("x-hormozi", "deferred"), ("x-naval", "deferred")]
    assert outcomes[0].reason.startswith("not sent: the ledger kept moving while recording its intent (push rejected")
    assert len(refused) == 6 and x.create_calls == 0


def test_a_follow_up_that_raises_instead_of_recording_is_recorded_failed(tmp_path):
    class Raising(FakeConnector):
        def publish_follow_up(self, post, publication):
            raise PublishError("transient", "LinkedIn server error (503)")

    path = make_run(tmp_path, [("linkedin", "hormozi")])
    [outcome] = publisher({"linkedin": FakePlatform("linkedin")}, connector=Raising).publish_run(path)
    assert outcome.status == "published" and outcome.follow_up == "retry"
    [follow] = runfile.load(path).post("linkedin-hormozi").publication.follow_ups
    assert (follow.kind, follow.state, follow.error, follow.error_kind) == (
        "first_comment", "failed", "LinkedIn server error (503)", "transient")


def test_a_follow_up_failure_fires_an_event_naming_the_post(tmp_path, monkeypatch):
    from postgen import events

    fired = []
    monkeypatch.setattr(events, "fire", fired.append)
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.comment_errors.append((PublishError("permission", "replies not allowed"), False))
    publisher({"x": x}).publish_run(path)
    [event] = [e for e in fired if e.kind == "follow_up_failed"]
    assert (event.run_id, event.post_id, event.message) == (path.stem, "x-hormozi", "first_comment: replies not allowed")
    assert event.data == {"platform": "x"}


class Threaded(FakeConnector):
    """A platform whose long posts go out as a thread: parts after the first are follow-ups,
    whatever the link policy (as X's connector says in needs_follow_up)."""

    def needs_follow_up(self, post):
        return True

    def publish_follow_up(self, post, publication):
        if any(f.kind == "thread" and f.state == "published" for f in publication.follow_ups):
            return publication
        self.platform.comments.append({"post": post.id, "on": publication.remote_id, "id": "part-2"})
        publication.follow_ups.append(FollowUp(kind="thread", remote_id="part-2"))
        return publication


def test_a_post_found_after_a_timeout_still_gets_its_thread_parts(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")

    class Landed(Threaded):
        def publish(self, post):
            if not self.platform.created:
                super().publish(post)  # it landed; the answer did not
                raise PublishError("transient", "Read timed out")
            return super().publish(post)

    [outcome] = publisher({"x": x}, connector=Landed).publish_run(path)
    assert outcome.status == "published" and x.copies("x-hormozi") == 1
    assert [c["id"] for c in x.comments] == ["part-2"]


def test_a_thread_parts_intent_says_it_is_a_thread_part(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None, link_policy="none")
    publisher({"x": FakePlatform("x")}, connector=Threaded).publish_run(path)
    intents = [l for l in lines(path) if l["event"] == "intent" and l["what"] == "follow_up"]
    assert [f["kind"] for f in intents[0]["fields"]["publication"]["follow_ups"]] == ["thread"]


def test_a_cut_off_comment_on_a_lagging_listing_waits_before_any_resend(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.can_find_comments = True
    publisher({"reddit": reddit}).publish_run(path)
    with runfile.editing(path) as handle:  # killed right after the comment's intent was saved
        post = handle.run.post("reddit-hormozi")
        post.publication.follow_ups = [FollowUp(kind="first_comment", state="publishing", at=utcnow())]
        post.follow_up_pending = True
    reddit.comments.clear()
    config = parse_config({"publish": {"listing_lag_minutes": 10}})
    [outcome] = publisher({"reddit": reddit}, config).publish_run(path)
    assert outcome.follow_up == "retry" and "whose listing can lag" in outcome.reason and outcome.until is not None
    assert reddit.comments == []
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        publisher({"reddit": reddit}, config).publish_run(path)
    assert len(reddit.comments) == 1


def test_a_follow_up_lookup_that_cannot_answer_now_is_asked_again_later(tmp_path):
    class Busy(FakeConnector):
        def find_follow_up(self, post, publication):
            raise PublishError("rate_limited", "Reddit rate limit (RATELIMIT): try again in 9 minutes")

    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.comment_errors.append((PublishError("transient", "Read timed out"), True))
    publisher({"reddit": reddit}).publish_run(path)
    [outcome] = publisher({"reddit": reddit}, connector=Busy).publish_run(path)
    assert (outcome.status, outcome.follow_up) == ("published", "retry")
    assert outcome.reason == ("its link follow-up's outcome is unknown and reddit could not be asked now (Reddit rate "
                              "limit (RATELIMIT): try again in 9 minutes): asked again on the next run")
    assert len(reddit.comments) == 1


def test_a_doubtful_reply_on_a_platform_that_refuses_copies_is_sent_again_on_the_record(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.comment_errors.append((PublishError("transient", "X server error (503)"), False))
    publisher({"x": x}).publish_run(path)
    [outcome] = publisher({"x": x}).publish_run(path)  # X cannot look replies up (here), but refuses a copy
    assert outcome.follow_up == "" and len(x.comments) == 1
    retry = [l for l in lines(path) if l["result"] == "retry"]
    assert [(l["what"], l["event"]) for l in retry] == [("follow_up", "outcome")]


# --------------------------------------------------------------------------- the journal's view


def test_a_journal_line_carries_the_ledger_fields_not_the_text(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    publisher({"x": FakePlatform("x")}).publish_run(path)
    for line in lines(path):
        assert set(line["fields"]) == set(ledger.journal.LEDGER_FIELDS)


def test_a_stale_state_brought_up_to_the_journal_keeps_the_persons_text(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    publisher({"x": FakePlatform("x")}).publish_run(path)
    text = path.read_text()
    edited = text.replace('"state": "published"', '"state": "ready"').replace("The hormozi post", "My hormozi post")
    path.write_text(edited)
    post = ledger.journal.load(path)[0].post("x-hormozi")
    assert post.state is PostState.published and post.body.startswith("My hormozi post")


def test_select_takes_up_a_follow_up_cut_off_mid_call_and_leaves_a_persons_decision_to_them():
    from datetime import datetime, timezone

    from postgen.ledger.plan import select
    from postgen.models import Post, Run, Video

    def published(post_id, follow):
        return Post(id=post_id, platform="x", framework=post_id[2:], body="b", state=PostState.published,
                    publication=Publication(remote_id="1", url="https://x.com/1", follow_ups=[follow]))

    run = Run(id="r", created=datetime(2026, 11, 2, tzinfo=timezone.utc), video=Video(id="v", url="https://youtu.be/v", title="t"),
              posts=[published("x-cut", FollowUp(kind="reply", state="publishing")),
                     published("x-refused", FollowUp(kind="reply", state="failed", error="403", error_kind="permission"))])
    act, skipped = select(run, now=datetime(2026, 11, 3, tzinfo=timezone.utc))
    assert [p.id for p in act] == ["x-cut"]
    [decide] = skipped
    assert (decide.post_id, decide.status, decide.follow_up) == ("x-refused", "skipped", "decide")


# --------------------------------------------------------------------------- the journal file


def test_a_journal_line_has_the_documented_shape(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    publisher({"x": FakePlatform("x")}).publish_run(path)
    first = lines(path)[0]
    assert set(first) == {"v", "id", "run", "post", "seq", "at", "event", "what", "result", "digest", "attempt",
                          "cost_usd", "writer", "fields"}
    assert first["v"] == 1 and first["run"] == path.stem and first["seq"] == 1


def test_the_content_digest_is_stable_across_versions():
    """Digests are saved in journals and run files: the same post must give the same digest in
    every postgen version, or a stale copy written back would no longer match its intent."""
    from postgen.ledger.journal import content_digest
    from postgen.models import Post

    post = Post(id="reddit-naval", platform="reddit", framework="naval", title=" Café talk ", body="Naïve → ideas 🔥 ",
                link="https://youtu.be/abc123XYZ_0")
    assert content_digest(post, "2026-11-02-abc123XYZ_0") == "f834ee9aabf434bc"
    inline = post.model_copy(update={"link_policy": "inline"})
    assert content_digest(inline, "2026-11-02-abc123XYZ_0") != content_digest(post, "2026-11-02-abc123XYZ_0")


@pytest.mark.parametrize("before,after", [
    (None, "# postgen: journals are append-only; a merge keeps both sides' lines\nledger/*.jsonl merge=union\n"),
    ("*.png binary", "*.png binary\n# postgen: journals are append-only; a merge keeps both sides' lines\nledger/*.jsonl merge=union\n"),
    ("*.png binary\n", "*.png binary\n# postgen: journals are append-only; a merge keeps both sides' lines\nledger/*.jsonl merge=union\n"),
    ("ledger/*.jsonl merge=union\n*.png binary", "ledger/*.jsonl merge=union\n*.png binary"),
])
def test_the_union_merge_line_is_added_to_what_gitattributes_says(tmp_path, before, after):
    from postgen.ledger.journal import ensure_attributes

    if before is not None:
        (tmp_path / ".gitattributes").write_text(before)
    assert ensure_attributes(tmp_path).read_text() == after


def test_a_new_journals_folder_entry_is_made_durable_once(tmp_path, monkeypatch):
    from postgen.ledger import journal

    synced = []
    monkeypatch.setattr(journal, "_fsync_dir", synced.append)
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    publisher({"x": FakePlatform("x")}).publish_run(path)
    assert synced == [tmp_path / "ledger"]


def test_a_folder_that_cannot_be_synced_does_not_stop_a_write(tmp_path, monkeypatch):
    import os

    from postgen.ledger import journal

    real = os.fsync

    def fsync(fd):
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(22, "Invalid argument")
        real(fd)

    monkeypatch.setattr(journal.os, "fsync", fsync)
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    assert [o.status for o in publisher({"x": FakePlatform("x")}).publish_run(path)] == ["published"]


def test_the_spend_of_a_day_is_the_schedules_day_whatever_the_machine_zone(tmp_path, monkeypatch):
    import time as time_module
    from datetime import datetime, timezone

    from postgen.ledger.plan import Spend

    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with time_machine.travel(datetime(2026, 11, 2, 23, 0, tzinfo=timezone.utc), tick=False):
        Journal.of(path, path.stem).append(path.stem, runfile.load(path).post("x-hormozi"), event="outcome",
                                           what="post", result="published", cost_usd=0.2)
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time_module.tzset()
    try:
        config = parse_config({"publish": {"max_cost_usd_per_day": 1.0}, "schedule": {"timezone": "UTC"}})
        assert Spend(config, tmp_path, datetime(2026, 11, 2, 23, 30, tzinfo=timezone.utc)).spent == 0.2
    finally:
        monkeypatch.undo()
        time_module.tzset()


def test_skipped_posts_carry_no_follow_up_step(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").state = PostState.draft
    [outcome] = publisher({"x": FakePlatform("x")}).publish_run(path)
    assert outcome.status == "skipped" and outcome.to_dict()["follow_up"] is None


def test_read_counts_every_line_it_cannot_read(tmp_path):
    from postgen.ledger.journal import read

    assert read(tmp_path / "missing.jsonl") == ([], 0)
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    publisher({"x": FakePlatform("x")}).publish_run(path)
    file = tmp_path / "ledger" / f"{path.stem}.jsonl"
    file.write_text('{"torn\n' + file.read_text() + '\n{"v": 1}\n')
    entries, bad = read(file)
    assert bad == 2 and len(entries) == 2


# --------------------------------------------------------------------------- what select says


def _select_run(posts):
    from datetime import datetime, timezone

    from postgen.models import Run, Video

    return Run(id="2026-11-02-abc", created=datetime(2026, 11, 2, tzinfo=timezone.utc),
               video=Video(id="abc", url="https://youtu.be/abc", title="t"), posts=posts)


def _p(post_id, **kw):
    from postgen.models import Post

    kw.setdefault("state", PostState.ready)
    return Post(id=post_id, platform=post_id.split("-")[0], framework=post_id.split("-")[1], body="b", **kw)


def test_select_explains_each_post_it_skips():
    from datetime import datetime, timezone

    from postgen.ledger.plan import select

    now = datetime(2026, 11, 3, tzinfo=timezone.utc)
    decided = Publication(remote_id="1", url="https://x.com/1",
                          follow_ups=[FollowUp(kind="reply", state="failed", error="403", error_kind="permission")])
    run = _select_run([
        _p("x-draft", state=PostState.draft),
        _p("x-sent", state=PostState.published, publication=Publication(remote_id="2", url="https://x.com/2")),
        _p("x-nourl", state=PostState.published, publication=Publication(remote_id="3")),
        _p("x-decide", state=PostState.published, publication=decided),
        _p("x-nolink", state=PostState.published, publication=decided.model_copy(update={"url": None})),
        _p("reddit-cut", state=PostState.publishing),
        _p("reddit-pending", state=PostState.published, follow_up_pending=True, publication=Publication(remote_id="4")),
    ])
    _, skipped = select(run, now=now, post_ids=[p.id for p in run.posts], enabled=["x"])
    why = {o.post_id: o.reason for o in skipped}
    assert why["x-draft"] == "still a draft: run 'postgen validate' on the run first"
    assert why["x-sent"] == "already published: https://x.com/2"
    assert why["x-nourl"] == "already published"
    assert why["x-decide"].endswith("Look at https://x.com/1, then: postgen publish 2026-11-02-abc --resolve x-decide "
                                    "--follow-up done [URL] | retry | skip")
    assert "Look at the post, then:" in why["x-nolink"]
    assert why["reddit-cut"].endswith("its last publish has an unknown outcome: postgen publish 2026-11-02-abc --resolve "
                                      "reddit-cut --as published URL   (or --as failed)")
    assert why["reddit-pending"] == ("platform reddit is not enabled (platforms.enabled in postgen.toml); its link "
                                     "follow-up waits until it is")


def test_due_still_finishes_unscheduled_business_after_posts_not_due_yet():
    from datetime import datetime, timezone

    from postgen.ledger.plan import select

    now = datetime(2026, 11, 3, tzinfo=timezone.utc)
    run = _select_run([_p("x-later", scheduled_at=now + timedelta(days=1)), _p("x-cut", state=PostState.publishing),
                       _p("x-now", scheduled_at=now - timedelta(minutes=5))])
    act, _ = select(run, now=now, due=True)
    assert sorted(p.id for p in act) == ["x-cut", "x-now"]


# --------------------------------------------------------------------------- the journal, line by line


def _journal_of(path: Path) -> Journal:
    return Journal.of(path, path.stem)


def test_every_line_appended_reads_back_from_disk_as_written(tmp_path):
    """What one Journal object appends, a fresh reader finds on disk: each field, the cost rounded
    to a micro-dollar, the time in UTC, the sequence advancing per post."""
    from datetime import datetime, timezone

    from postgen.ledger.journal import content_digest, read

    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    post = runfile.load(path).post("x-hormozi")
    post.attempts, post.last_attempt_at = 2, datetime(2026, 11, 2, 8, 0, tzinfo=timezone.utc)
    journal = _journal_of(path)
    journal.append(path.stem, post, event="intent", what="post", result="intent")
    post.state = PostState.published
    journal.append(path.stem, post, event="outcome", what="post", result="published", cost_usd=0.01234567)
    with (tmp_path / "ledger" / f"{path.stem}.jsonl").open("a") as fh:
        fh.write("\n   \n")  # blank lines are not torn lines
    entries, bad = read(tmp_path / "ledger" / f"{path.stem}.jsonl")
    assert bad == 0
    assert [(e.run, e.post, e.seq, e.event, e.what, e.result, e.attempt, e.cost_usd) for e in entries] == [
        (path.stem, "x-hormozi", 1, "intent", "post", "intent", 2, None),
        (path.stem, "x-hormozi", 2, "outcome", "post", "published", 2, 0.012346)]
    assert all(e.digest == content_digest(post, path.stem) for e in entries)
    assert all(e.at.endswith("+00:00") and e.when.tzinfo is not None for e in entries)
    assert entries[1].fields["state"] == "published" and entries[1].fields["last_attempt_at"] == "2026-11-02T08:00:00Z"
    assert journal.newest("x-hormozi") == entries[1] and post.ledger_seq == 2


def test_a_line_continues_the_journals_sequence_past_a_stale_run_file(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    post = runfile.load(path).post("x-hormozi")
    for _ in range(3):
        _journal_of(path).append(path.stem, post, event="outcome", what="post", result="failed")
    stale = runfile.load(path).post("x-hormozi")
    assert stale.ledger_seq == 0
    assert _journal_of(path).append(path.stem, stale, event="intent", what="post", result="intent").seq == 4


def test_a_line_appended_after_a_torn_one_stays_readable(tmp_path):
    from postgen.ledger.journal import read

    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    file = tmp_path / "ledger" / f"{path.stem}.jsonl"
    file.parent.mkdir()
    file.write_text('{"v": 1, "id": "torn')
    _journal_of(path).append(path.stem, runfile.load(path).post("x-hormozi"), event="intent", what="post", result="intent")
    entries, bad = read(file)
    assert bad == 1 and [e.result for e in entries] == ["intent"]


def test_a_journal_at_a_new_place_makes_its_folders_and_the_merge_rule(tmp_path):
    from postgen.models import Post

    journal = Journal(tmp_path / "runs" / "ledger" / "r.jsonl")
    journal.append("r", Post(id="x-a", platform="x", framework="a", body="b"), event="intent", what="post", result="intent")
    assert (tmp_path / "runs" / ".gitattributes").read_text().endswith("ledger/*.jsonl merge=union\n")
    assert len(Journal(journal.path).entries()) == 1


def test_the_spend_of_a_day_counts_the_outcomes_costs_only(tmp_path):
    from datetime import date, datetime, timezone

    from postgen.ledger.journal import spent

    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    post = runfile.load(path).post("x-hormozi")
    journal = _journal_of(path)
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc), tick=False):
        journal.append(path.stem, post, event="intent", what="post", result="intent", cost_usd=1.0)
        journal.append(path.stem, post, event="outcome", what="post", result="published", cost_usd=0.125)
        journal.append(path.stem, post, event="outcome", what="follow_up", result="published", cost_usd=0.25)
    with time_machine.travel(datetime(2026, 11, 3, 9, 0, tzinfo=timezone.utc), tick=False):
        journal.append(path.stem, post, event="outcome", what="post", result="published", cost_usd=2.0)
    assert spent(tmp_path, date(2026, 11, 2), timezone.utc) == 0.375


# --------------------------------------------------------------------------- the run file as a view


def _fail_in_journal(path: Path, post_id: str, *, save: bool) -> None:
    run = runfile.load(path)
    post = run.post(post_id)
    post.state, post.last_error = PostState.failed, "403 refused"
    _journal_of(path).append(run.id, post, event="outcome", what="post", result="failed",
                             save_first=(lambda: runfile.save(path, run)) if save else None)


def test_a_refusal_the_run_file_missed_is_brought_forward_and_restored(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    _fail_in_journal(path, "x-hormozi", save=False)
    run, behind = ledger.journal.load(path)
    post = run.post("x-hormozi")
    assert behind == ["x-hormozi"] and post.state is PostState.failed and post.ledger_seq == 1
    assert runfile.load(path).post("x-hormozi").state is PostState.ready  # load writes nothing
    assert ledger.journal.restore(path) == ["x-hormozi"]
    saved = runfile.load(path).post("x-hormozi")
    assert (saved.state, saved.last_error, saved.ledger_seq) == (PostState.failed, "403 refused", 1)
    assert ledger.journal.restore(path) == []


def test_a_person_readying_a_failed_post_at_the_journals_sequence_is_not_undone(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    _fail_in_journal(path, "x-hormozi", save=True)
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").state = PostState.ready
    run, behind = ledger.journal.load(path)
    assert behind == [] and run.post("x-hormozi").state is PostState.ready


def test_a_journal_line_this_version_cannot_read_leaves_that_post_and_not_the_others(tmp_path):
    from postgen.ledger.journal import content_digest

    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None)
    _fail_in_journal(path, "x-naval", save=False)
    hormozi = runfile.load(path).post("x-hormozi")
    bogus = dict(lines(path)[0], post="x-hormozi", id="f" * 32, digest=content_digest(hormozi, path.stem),
                 fields={"state": "vanished"})
    with (tmp_path / "ledger" / f"{path.stem}.jsonl").open("a") as fh:
        fh.write(json.dumps(bogus) + "\n")
    run, behind = ledger.journal.load(path)
    assert behind == ["x-naval"] and run.post("x-hormozi").state is PostState.ready


# --------------------------------------------------------------------------- exit codes


@pytest.mark.parametrize("outcomes,code", [
    ([], 0),
    ([("published", ""), ("skipped", "")], 0),
    ([("failed", "")], 1),
    ([("unresolved", "")], 1),
    ([("published", "decide")], 1),
    ([("deferred", ""), ("failed", "")], 1),
    ([("published", "decide"), ("published", "retry")], 1),
    ([("deferred", "")], 3),
    ([("published", "retry")], 3),
    ([("deferred", ""), ("published", "")], 3),
])
def test_the_exit_code_a_scheduler_reads(outcomes, code):
    assert ledger.outcome.exit_code(iter([ledger.Outcome("r", f"p{i}", "x", status, follow_up=follow)
                                          for i, (status, follow) in enumerate(outcomes)])) == code


# --------------------------------------------------------------------------- the reconciling rules


@pytest.mark.parametrize("kind,step", [("rate_limited", "send"), ("auth", "send"), ("transient", "lookup"),
                                       (None, "lookup"), ("permission", "decide"), ("unresolved", "decide")])
def test_what_a_later_pass_does_with_a_failed_follow_up(kind, step):
    from postgen.ledger.reconcile import retry_step

    assert retry_step(FollowUp(kind="reply", state="failed", error_kind=kind)) == step


def _published(*follow_ups, pending=False, state=PostState.published):
    from postgen.models import Post

    return Post(id="x-a", platform="x", framework="a", body="b", state=state, follow_up_pending=pending,
                publication=Publication(remote_id="1", url="https://x.com/me/status/1", follow_ups=list(follow_ups)))


def test_which_published_posts_need_a_pass_or_a_person_for_their_follow_ups():
    from postgen.ledger.reconcile import follow_up_work

    assert follow_up_work(_published()) is None
    assert follow_up_work(_published(FollowUp(kind="reply"))) is None
    assert follow_up_work(_published(pending=True)) == "work"
    assert follow_up_work(_published(FollowUp(kind="reply"), FollowUp(kind="reply", state="publishing"))) == "work"
    assert follow_up_work(_published(FollowUp(kind="reply", state="failed", error_kind="transient"))) == "work"
    assert follow_up_work(_published(FollowUp(kind="reply", state="failed", error_kind="rate_limited"),
                                     FollowUp(kind="reply", state="failed", error_kind="permission"))) == "decide"
    assert follow_up_work(_published(pending=True, state=PostState.failed)) is None


def test_whether_a_follow_up_goes_out_is_the_connectors_call_else_the_link_comments():
    from types import SimpleNamespace

    from postgen.ledger.reconcile import needs_follow_up
    from postgen.models import Post

    def post(policy, link="https://youtu.be/v", id="x-a"):
        return Post(id=id, platform="x", framework="a", body="b", link_policy=policy, link=link)

    assert [needs_follow_up(post(p)) for p in ("first_comment", "once", "none", "inline")] == [True, True, False, False]
    assert needs_follow_up(post("first_comment", link=None)) is False
    threads = SimpleNamespace(needs_follow_up=lambda p: p.id == "x-thread")
    assert needs_follow_up(post("none", id="x-thread"), threads) is True
    assert needs_follow_up(post("first_comment", id="x-a"), threads) is False


def test_only_a_connector_that_says_so_refuses_copies():
    from types import SimpleNamespace

    from postgen.ledger.reconcile import resend_after_server_error

    assert resend_after_server_error(SimpleNamespace()) is False
    assert resend_after_server_error(SimpleNamespace(refuses_duplicates=True)) is True


def test_the_remote_id_is_read_from_each_platforms_url():
    from postgen.ledger.reconcile import remote_id_from_url

    assert remote_id_from_url("https://x.com/me/status/1234567") == "1234567"
    assert remote_id_from_url("https://www.reddit.com/r/sub/comments/ab12cd/a_title/") == "ab12cd"
    assert remote_id_from_url("https://example.com/p/9") == "https://example.com/p/9"


# --------------------------------------------------------------------------- a person decides, exactly


def _doubtful(tmp_path, **fields):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    with runfile.editing(path) as handle:
        post = handle.run.post("x-hormozi")
        post.state, post.last_error = PostState.publishing, "timed out"
        for name, value in fields.items():
            setattr(post, name, value)
    return path


def test_resolving_a_post_as_published_records_it_on_the_run_file_and_the_journal(tmp_path):
    from datetime import datetime, timezone

    path = _doubtful(tmp_path, deferred_until=datetime(2026, 11, 3, tzinfo=timezone.utc))
    ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/77")
    post = runfile.load(path).post("x-hormozi")
    assert (post.state, post.publication.url, post.publication.remote_id) == (PostState.published, "https://x.com/me/status/77", "77")
    assert (post.last_error, post.deferred_until, post.follow_up_pending) == (None, None, False)
    assert results(path, "x-hormozi") == ["resolved_published"] and lines(path)[-1]["what"] == "resolve"
    assert ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/77").publication.url.endswith("/77")
    assert results(path, "x-hormozi") == ["resolved_published"]  # the same decision again records nothing


def test_resolving_a_post_as_failed_says_so_in_its_error(tmp_path):
    path = _doubtful(tmp_path)
    ledger.resolve(path, "x-hormozi", "failed")
    post = runfile.load(path).post("x-hormozi")
    assert (post.state, post.last_error) == (PostState.failed, "marked failed by hand (its outcome was unknown)")
    assert results(path, "x-hormozi") == ["resolved_failed"]


def test_resolve_messages_say_what_to_give(tmp_path):
    path = _doubtful(tmp_path)
    with pytest.raises(ValueError) as bad:
        ledger.resolve(path, "x-hormozi", "published", "x.com/me/status/77")
    assert str(bad.value) == "--as published needs the post's URL (https://...) as it appears on the platform"
    ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/77")
    with pytest.raises(ValueError) as again:
        ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/78")
    assert str(again.value) == ("x-hormozi is already recorded as published (https://x.com/me/status/77); to correct "
                                "the URL, edit the post's publication in the run file's state block")
    with pytest.raises(ValueError) as failed:
        ledger.resolve(path, "x-hormozi", "failed")
    assert str(failed.value) == "x-hormozi is recorded as published (https://x.com/me/status/77); not marking it failed"


def test_a_post_marked_published_by_hand_without_a_publication_gets_one_when_resolved(tmp_path):
    path = _doubtful(tmp_path, state=PostState.published)
    post = ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/77")
    assert post.publication.url == "https://x.com/me/status/77"


def test_resolving_asks_the_posts_own_connector_whether_a_follow_up_goes_out(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from postgen import checks

    asked = []

    def connector_for(platform, config):
        asked.append(platform)
        return SimpleNamespace(needs_follow_up=lambda post: True)

    monkeypatch.setattr(checks, "connector_for", connector_for)
    path = _doubtful(tmp_path)
    post = ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/77", config=parse_config({}))
    assert asked == ["x"] and post.follow_up_pending is True
    assert runfile.load(path).post("x-hormozi").follow_up_pending is True


def test_resolving_a_once_link_post_alone_gives_it_the_link_comment(tmp_path):
    path = _doubtful(tmp_path, link="https://youtu.be/v", link_policy="once")
    post = ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/77")
    assert (post.link_policy, post.follow_up_pending) == ("first_comment", True)


def _with_failed_follow_up(tmp_path, kind="permission"):
    path = make_run(tmp_path, [("x", "hormozi")])
    with runfile.editing(path) as handle:
        post = handle.run.post("x-hormozi")
        post.state = PostState.published
        post.publication = Publication(remote_id="1", url="https://x.com/me/status/1", follow_ups=[
            FollowUp(kind="first_comment", state="published", url="https://x.com/me/status/2"),
            FollowUp(kind="reply", state="failed", error="403 refused", error_kind=kind)])
    return path


def test_a_failed_follow_up_settled_as_done_takes_its_url(tmp_path):
    path = _with_failed_follow_up(tmp_path)
    with pytest.raises(ValueError) as bad:
        ledger.resolve_follow_up(path, "x-hormozi", "done", "x.com/me/status/3")
    assert str(bad.value) == "--follow-up done takes the follow-up's URL (https://...) as it appears on the platform"
    post = ledger.resolve_follow_up(path, "x-hormozi", "done", "https://x.com/me/status/3")
    done = runfile.load(path).post("x-hormozi").publication.follow_ups[1]
    assert (done.state, done.url, done.remote_id, done.error, done.error_kind) == ("published", "https://x.com/me/status/3", "3", None, None)
    assert post.follow_up_pending is False and results(path, "x-hormozi") == ["follow_up_done"]


def test_a_failed_follow_up_settled_as_retry_is_sent_again_and_as_skip_never(tmp_path):
    path = _with_failed_follow_up(tmp_path)
    post = ledger.resolve_follow_up(path, "x-hormozi", "retry")
    assert [f.state for f in post.publication.follow_ups] == ["published"] and post.follow_up_pending is True
    assert runfile.load(path).post("x-hormozi").follow_up_pending is True
    path = _with_failed_follow_up(tmp_path / "skip")
    post = ledger.resolve_follow_up(path, "x-hormozi", "skip")
    assert [f.state for f in post.publication.follow_ups] == ["published", "skipped"] and post.follow_up_pending is False
    assert results(path, "x-hormozi") == ["follow_up_skip"]


# --------------------------------------------------------------------------- held-out sample (seed 12)


def test_gitattributes_is_read_as_utf8_whatever_the_machines_locale(tmp_path, monkeypatch):
    import io

    from postgen.ledger.journal import ensure_attributes

    before = "# Zoë's pictures\n*.png binary\n"
    (tmp_path / ".gitattributes").write_bytes(before.encode("utf-8"))
    real = io.text_encoding
    # A machine whose locale is Latin-1 (Windows' cp1252 behaves alike): only an explicit UTF-8 reads this right.
    monkeypatch.setattr(io, "text_encoding", lambda encoding, stacklevel=2: "latin-1" if encoding is None else real(encoding))
    ensure_attributes(tmp_path)
    assert (tmp_path / ".gitattributes").read_bytes().decode("utf-8") == (
        before + "# postgen: journals are append-only; a merge keeps both sides' lines\nledger/*.jsonl merge=union\n")


def test_a_new_journal_file_is_not_executable(tmp_path):
    import os
    import stat

    old = os.umask(0o022)
    try:
        path = make_run(tmp_path, [("x", "hormozi")], link=None)
        publisher({"x": FakePlatform("x")}).publish_run(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "ledger" / f"{path.stem}.jsonl").stat().st_mode) == 0o644
