"""The ledger's rules one by one: lock, rate limits, back-off, isolation, approval, resolve, events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from ledger_fakes import FakeConnector, FakePlatform, make_run

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.connector import PublishError
from postgen.models import PostState, utcnow


def publisher(platforms: dict[str, FakePlatform], config=None, sleeps=None, fired=None):
    return ledger.Publisher(
        config or parse_config({}),
        connector_for=lambda name: FakeConnector(name, platforms[name]),
        sleep=(sleeps.append if sleeps is not None else (lambda s: None)),
        fire=(fired.append if fired is not None else (lambda o: None)),
    )


def test_second_publisher_on_the_same_run_is_refused_clearly(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    with runfile.locked(path):
        with pytest.raises(runfile.RunLocked, match="another postgen process is working on this run"):
            publisher({"x": x}).publish_run(path)
    assert x.create_calls == 0
    assert [o.status for o in publisher({"x": x}).publish_run(path)] == ["published"]


def test_rate_limit_within_max_wait_waits_for_the_reset_then_publishes(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    x.errors.append(PublishError("rate_limited", "Too Many Requests", status=429, retry_at=utcnow().timestamp() + 30))
    sleeps: list[float] = []
    outcomes = publisher({"x": x}, sleeps=sleeps).publish_run(path)
    assert [o.status for o in outcomes] == ["published"]
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30  # the reset it was given, not a guess
    assert x.copies("x-hormozi") == 1


def test_rate_limit_beyond_max_wait_defers_until_the_reset(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval"), ("reddit", "aida")])
    x, reddit = FakePlatform("x"), FakePlatform("reddit")
    reset = utcnow().timestamp() + 900
    x.errors.append(PublishError("rate_limited", "Too Many Requests", status=429, retry_at=reset))
    sleeps: list[float] = []
    outcomes = {o.post_id: o for o in publisher({"x": x, "reddit": reddit}, sleeps=sleeps).publish_run(path)}
    assert sleeps == []
    assert outcomes["x-hormozi"].status == "deferred"
    assert outcomes["x-hormozi"].until == datetime.fromtimestamp(int(reset), timezone.utc)
    assert outcomes["x-naval"].status == "deferred" and x.create_calls == 1  # no hammering the limit
    assert outcomes["reddit-aida"].status == "published"
    assert ledger.exit_code(outcomes.values()) == 3
    post = runfile.load(path).post("x-hormozi")
    assert post.state is PostState.ready and post.deferred_until is not None
    assert runfile.load(path).post("x-naval").deferred_until == post.deferred_until  # same limit, same reset
    # Next pass before the reset: still deferred, nothing sent.
    again = publisher({"x": x, "reddit": reddit}).publish_run(path)
    assert {o.post_id: o.status for o in again} == {"x-hormozi": "deferred", "x-naval": "deferred"}
    assert x.create_calls == 1
    # After the reset both go out, once each.
    with time_machine.travel(reset + 1, tick=False):
        later = publisher({"x": x, "reddit": reddit}).publish_run(path)
    assert {o.post_id: o.status for o in later} == {"x-hormozi": "published", "x-naval": "published"}
    assert x.copies("x-hormozi") == 1 and x.copies("x-naval") == 1


def test_server_errors_back_off_exponentially_then_publish(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    li = FakePlatform("linkedin")
    li.errors += [PublishError("transient", "Service Unavailable", status=503)] * 2
    sleeps: list[float] = []
    outcomes = publisher({"linkedin": li}, sleeps=sleeps).publish_run(path)
    assert [o.status for o in outcomes] == ["published"]
    assert sleeps[:2] == [2.0, 4.0]
    assert li.create_calls == 3 and li.copies("linkedin-hormozi") == 1
    assert runfile.load(path).post("linkedin-hormozi").attempts == 3


def test_server_errors_are_bounded_and_the_post_waits_for_the_next_run(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors += [PublishError("transient", "Internal Server Error", status=500)] * 5
    config = parse_config({"publish": {"max_attempts": 3}})
    outcomes = publisher({"x": x}, config=config).publish_run(path)
    assert outcomes[0].status == "deferred" and "after 3 attempts" in outcomes[0].reason
    assert x.create_calls == 3
    assert runfile.load(path).post("x-hormozi").state is PostState.ready  # the server said no: safe to send later


def test_timeout_on_a_platform_that_cannot_look_up_asks_a_person(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")], link=None)
    li = FakePlatform("linkedin")
    li.errors.append(PublishError("transient", "Read timed out"))  # no status: it may have landed
    outcomes = publisher({"linkedin": li}).publish_run(path)
    assert outcomes[0].status == "unresolved" and "--resolve linkedin-hormozi" in outcomes[0].reason
    assert li.create_calls == 1
    assert runfile.load(path).post("linkedin-hormozi").state is PostState.publishing


def test_other_client_errors_fail_the_post_with_its_reason(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.errors.append(PublishError("invalid", "SUBMIT_VALIDATION_FLAIR_REQUIRED: flair required", status=400))
    outcomes = publisher({"reddit": reddit}).publish_run(path)
    assert outcomes[0].status == "failed" and "flair required" in outcomes[0].reason
    post = runfile.load(path).post("reddit-hormozi")
    assert post.state is PostState.failed and "flair required" in post.last_error
    assert publisher({"reddit": reddit}).publish_run(path)[0].status == "skipped"  # not retried unasked


def test_one_platform_failing_never_stops_the_others(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi"), ("x", "hormozi"), ("x", "naval"), ("reddit", "hormozi")])
    li, x, reddit = FakePlatform("linkedin"), FakePlatform("x"), FakePlatform("reddit")
    li.errors.append(PublishError("auth", "token expired (LINKEDIN_ACCESS_TOKEN)", status=401))
    x.errors.append(RuntimeError("connector bug"))  # not even a PublishError
    outcomes = {o.post_id: o for o in publisher({"linkedin": li, "x": x, "reddit": reddit}).publish_run(path)}
    assert outcomes["linkedin-hormozi"].status == "failed" and "401" in outcomes["linkedin-hormozi"].reason
    assert outcomes["x-hormozi"].status == "failed" and "connector bug" in outcomes["x-hormozi"].reason
    assert outcomes["x-naval"].status == "published"
    assert outcomes["reddit-hormozi"].status == "published"
    # An account problem leaves the post ready: fixing the key is enough.
    assert runfile.load(path).post("linkedin-hormozi").state is PostState.ready


def test_hand_edited_post_over_the_limit_is_not_sent(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("The hormozi post for x", "y" * 300 + " The hormozi post for x"), encoding="utf-8")
    x = FakePlatform("x")
    outcomes = publisher({"x": x}).publish_run(path)
    assert outcomes[0].status == "failed" and "of 280 characters" in outcomes[0].reason
    assert x.create_calls == 0
    assert runfile.load(path).post("x-hormozi").state is PostState.failed


def test_duplicate_refusal_is_looked_up_and_recorded(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    run = runfile.load(path)
    x.created.append({"post": "x-hormozi", "text": run.post("x-hormozi").body, "id": "999", "url": "https://x.com/me/status/999"})
    outcomes = publisher({"x": x}).publish_run(path)
    assert outcomes[0].status == "published" and outcomes[0].url == "https://x.com/me/status/999"
    assert x.copies("x-hormozi") == 1


def test_linkedin_duplicate_that_cannot_be_looked_up_asks_a_person(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    li = FakePlatform("linkedin")
    li.created.append({"post": "linkedin-hormozi", "text": runfile.load(path).post("linkedin-hormozi").body,
                       "id": "urn:li:share:1", "url": "https://www.linkedin.com/feed/update/urn:li:share:1"})
    outcomes = publisher({"linkedin": li}).publish_run(path)
    assert outcomes[0].status == "unresolved" and "--resolve" in outcomes[0].reason


def test_approval_gate(tmp_path):
    config = parse_config({"publish": {"require_approval": True}})
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")])
    with runfile.editing(path) as handle:
        handle.run.post("x-naval").approved = True
    x = FakePlatform("x")
    outcomes = {o.post_id: o for o in publisher({"x": x}, config=config).publish_run(path)}
    assert outcomes["x-naval"].status == "published"
    assert outcomes["x-hormozi"].status == "skipped" and "postgen approve" in outcomes["x-hormozi"].reason
    assert x.copies("x-hormozi") == 0


def test_resolve_published_records_url_and_id_and_queues_the_follow_up(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    with runfile.editing(path) as handle:
        handle.run.post("linkedin-hormozi").state = PostState.publishing
    url = "https://www.linkedin.com/feed/update/urn:li:share:7001"
    post = ledger.resolve(path, "linkedin-hormozi", "published", url)
    assert post.state is PostState.published and post.publication.remote_id == "urn:li:share:7001"
    assert post.follow_up_pending
    li = FakePlatform("linkedin")
    outcomes = publisher({"linkedin": li}).publish_run(path)
    assert outcomes[0].status == "published" and li.create_calls == 0 and li.comments_on("linkedin-hormozi") == 1


def test_resolve_failed_and_refusals(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    with pytest.raises(ValueError, match="needs the post's URL"):
        ledger.resolve(path, "x-hormozi", "published", "not a url")
    with pytest.raises(ValueError, match="no post 'x-nope'"):
        ledger.resolve(path, "x-nope", "failed")
    assert ledger.resolve(path, "x-hormozi", "failed").state is PostState.failed
    ledger.resolve(path, "x-hormozi", "published", "https://x.com/me/status/42")
    with pytest.raises(ValueError, match="recorded as published"):
        ledger.resolve(path, "x-hormozi", "failed")
    assert runfile.load(path).post("x-hormozi").publication.remote_id == "42"


def test_every_outcome_fires_an_event(tmp_path):
    from postgen.plugins import get_plugin_manager
    from postgen import hookimpl

    seen = []

    class Notifier:
        @hookimpl
        def postgen_event(self, event):
            seen.append(event)

    get_plugin_manager().register(Notifier(), name="notifier")
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval"), ("reddit", "aida")], link=None)
    with runfile.editing(path) as handle:
        handle.run.post("x-naval").state = PostState.draft
    x, reddit = FakePlatform("x"), FakePlatform("reddit")
    reddit.errors.append(PublishError("rate_limited", "RATELIMIT", status=429, retry_at=utcnow().timestamp() + 3600))
    pub = ledger.Publisher(parse_config({}), connector_for=lambda n: FakeConnector(n, {"x": x, "reddit": reddit}[n]),
                           sleep=lambda s: None)
    pub.publish_run(path)
    kinds = {(e.kind, e.post_id) for e in seen}
    assert kinds == {("post_published", "x-hormozi"), ("post_skipped", "x-naval"), ("post_deferred", "reddit-aida")}
    published = next(e for e in seen if e.kind == "post_published")
    assert published.run_id and published.data["url"].startswith("https://x.com/")


def test_follow_up_failure_is_reported_and_fires(tmp_path):
    from postgen.models import FollowUp

    class RefusingComments(FakeConnector):
        def publish_follow_up(self, post, publication):
            publication.follow_ups.append(FollowUp(kind="first_comment", state="failed", error="403 comments not allowed",
                                                   error_kind="permission"))
            return publication

    fired = []
    from postgen import events

    path = make_run(tmp_path, [("linkedin", "hormozi")])
    li = FakePlatform("linkedin")
    original = events.fire
    events.fire = fired.append
    try:
        pub = ledger.Publisher(parse_config({}), connector_for=lambda n: RefusingComments(n, li), sleep=lambda s: None,
                               fire=lambda o: None)
        outcome = pub.publish_run(path)[0]
    finally:
        events.fire = original
    assert outcome.status == "published" and "403 comments not allowed" in outcome.reason
    assert [e.kind for e in fired] == ["follow_up_failed"]
    # The post is out; its link is not, and only a person can settle that: the exit code says so,
    # and the report says how.
    assert outcome.follow_up == "decide" and ledger.exit_code([outcome]) == 1
    assert f"--resolve linkedin-hormozi --follow-up done" in outcome.reason


def test_disabled_platform_is_skipped(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("reddit", "naval")])
    x, reddit = FakePlatform("x"), FakePlatform("reddit")
    config = parse_config({"platforms": {"enabled": ["x"]}})
    outcomes = {o.post_id: o for o in publisher({"x": x, "reddit": reddit}, config=config).publish_run(path)}
    assert outcomes["x-hormozi"].status == "published"
    assert outcomes["reddit-naval"].status == "skipped" and "not enabled" in outcomes["reddit-naval"].reason
    assert reddit.create_calls == 0


def test_named_failed_post_still_needs_approval(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").state = PostState.failed
    x = FakePlatform("x")
    config = parse_config({"publish": {"require_approval": True}})
    outcomes = publisher({"x": x}, config=config).publish_run(path, post_ids=["x-hormozi"])
    assert outcomes[0].status == "skipped" and x.create_calls == 0


def test_a_5xx_that_landed_on_reddit_is_never_sent_again_unchecked(tmp_path):
    """Reddit accepts copies: after a 5xx (a gateway may answer after the post landed) the ledger
    must look before resending; while it cannot look, it waits instead of guessing."""
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    lookups = {"fail": False}

    class LandsThenBadGateway(FakeConnector):
        def publish(self, post):
            super().publish(post)  # the platform has it...
            lookups["fail"] = True  # ...its listing is down from now on...
            raise PublishError("transient", "Bad Gateway", status=502)  # ...and the answer is an error

        def find_existing(self, post):
            if lookups["fail"]:
                raise PublishError("transient", "Service Unavailable", status=503)
            return super().find_existing(post)

    def run_once():
        return ledger.Publisher(parse_config({}), connector_for=lambda name: LandsThenBadGateway(name, reddit),
                                sleep=lambda s: None, fire=lambda o: None).publish_run(path)

    first = run_once()
    assert first[0].status == "deferred"
    assert reddit.create_calls == 1 and reddit.copies("reddit-hormozi") == 1
    assert runfile.load(path).post("reddit-hormozi").state is PostState.publishing  # outcome unknown, kept so
    lookups["fail"] = False
    second = run_once()
    assert second[0].status == "published"
    assert reddit.create_calls == 1 and reddit.copies("reddit-hormozi") == 1


def test_on_reddit_a_5xx_is_looked_up_again_next_run_before_any_resend(tmp_path):
    """Reddit accepts copies and its listing may lag: a 5xx is never followed by a resend in the same pass."""
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    reddit.errors.append(PublishError("transient", "Service Unavailable", status=503))
    first = publisher({"reddit": reddit}).publish_run(path)
    assert first[0].status == "deferred" and "looked up again on the next run" in first[0].reason
    assert reddit.create_calls == 1
    assert runfile.load(path).post("reddit-hormozi").state is PostState.publishing
    # At once (a person running it again): the listing may still lag, so it waits.
    again = publisher({"reddit": reddit}).publish_run(path)
    assert again[0].status == "deferred" and "listing can lag" in again[0].reason and reddit.create_calls == 1
    with time_machine.travel(utcnow() + timedelta(minutes=11), tick=False):
        second = publisher({"reddit": reddit}).publish_run(path)
    assert second[0].status == "published"
    assert reddit.create_calls == 2 and reddit.copies("reddit-hormozi") == 1
