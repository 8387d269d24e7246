"""Follow-ups that finish: a failed link comment or reply is sent again when that is safe, looked
up when it may have landed, and otherwise waits for a person, who is told how to settle it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from ledger_fakes import FakeConnector, FakePlatform, make_run

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.connector import PublishError
from postgen.models import utcnow


def publisher(platforms: dict[str, FakePlatform]):
    return ledger.Publisher(parse_config({}), connector_for=lambda name: FakeConnector(name, platforms[name]),
                            sleep=lambda s: None, fire=lambda o: None)


def later(hours: int = 1):
    return time_machine.travel(utcnow() + timedelta(hours=hours), tick=False)


@pytest.mark.parametrize("kind,platform", [("rate_limited", "reddit"), ("unreachable", "linkedin"), ("transient", "x")])
def test_a_follow_up_that_created_nothing_is_sent_on_the_next_run(tmp_path, kind, platform):
    path = make_run(tmp_path, [(platform, "hormozi")])
    fake = FakePlatform(platform)
    fake.comment_errors.append((PublishError(kind, f"{kind} on the comment"), False))
    first = publisher({platform: fake}).publish_run(path)[0]
    assert first.status == "published" and first.follow_up == "retry" and ledger.exit_code([first]) == 3
    assert "on the next run" in first.reason and fake.comments_on(f"{platform}-hormozi") == 0
    with later():
        second = publisher({platform: fake}).publish_run(path)
    assert [o.follow_up for o in second] == [""] and ledger.exit_code(second) == 0
    assert fake.comments_on(f"{platform}-hormozi") == 1 and fake.create_calls == 1
    follow_ups = runfile.load(path).post(f"{platform}-hormozi").publication.follow_ups
    assert [f.state for f in follow_ups] == ["published"]
    with later(2):  # and nothing more after that
        assert publisher({platform: fake}).publish_run(path) == []
    assert fake.comments_on(f"{platform}-hormozi") == 1


def test_a_comment_that_timed_out_but_landed_is_found_not_sent_again(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.can_find_comments = True
    reddit.comment_errors.append((PublishError("unknown", "read timed out"), True))  # it landed
    first = publisher({"reddit": reddit}).publish_run(path)[0]
    assert first.follow_up == "retry" and "looked up on the next run" in first.reason
    with later():
        second = publisher({"reddit": reddit}).publish_run(path)[0]
    assert second.follow_up == "" and reddit.comments_on("reddit-hormozi") == 1
    assert runfile.load(path).post("reddit-hormozi").publication.follow_ups[0].state == "published"


def test_a_comment_that_timed_out_and_did_not_land_is_sent_after_the_lookup(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.can_find_comments = True
    reddit.comment_errors.append((PublishError("transient", "Bad Gateway"), False))
    publisher({"reddit": reddit}).publish_run(path)
    with later():
        publisher({"reddit": reddit}).publish_run(path)
    assert reddit.comments_on("reddit-hormozi") == 1


def test_a_timeout_without_a_lookup_is_never_retried_blindly_and_a_person_settles_it(tmp_path, cli, isolated, monkeypatch):
    import postgen.checks

    reddit = FakePlatform("reddit")  # cannot look comments up
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, reddit))
    path = make_run(isolated / "runs", [("reddit", "hormozi")])
    reddit.comment_errors.append((PublishError("unknown", "read timed out"), True))
    assert cli("publish", path.stem, "--yes").exit_code == 3  # looked up on the next run
    with later():
        result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 1 and "needs you" in result.output
    assert f"postgen publish {path.stem} --resolve reddit-hormozi --follow-up done" in result.output
    assert reddit.comments_on("reddit-hormozi") == 1  # never sent again on a guess
    status = cli("status")
    assert "follow-ups:" in status.output and "needs you" in status.output
    with later(2):  # each run says so (exit 1) and sends nothing, until a person settles it
        again = cli("publish", "--due", "--yes")
    assert again.exit_code == 1 and "needs you" in again.output and reddit.comments_on("reddit-hormozi") == 1
    settled = cli("publish", path.stem, "--resolve", "reddit-hormozi", "--follow-up", "done",
                  "https://www.reddit.com/r/test/comments/abc1/t/c1/")
    assert settled.exit_code == 0 and "never sent again" in settled.output
    with later(3):
        final = cli("publish", "--due", "--yes")
    assert final.exit_code == 0 and reddit.comments_on("reddit-hormozi") == 1
    follow_up = runfile.load(path).post("reddit-hormozi").publication.follow_ups[0]
    assert follow_up.state == "published" and follow_up.url.endswith("/c1/")


def test_a_refused_comment_waits_for_a_person_who_may_retry_or_skip_it(tmp_path, cli, isolated, monkeypatch):
    import postgen.checks

    li = FakePlatform("linkedin")
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, li))
    path = make_run(isolated / "runs", [("linkedin", "hormozi"), ("linkedin", "naval")])
    li.comment_errors += [(PublishError("permission", "403: members cannot comment through the API"), False)] * 2
    first = cli("publish", path.stem, "--yes")
    assert first.exit_code == 1 and first.output.count("needs you") == 2 and "2 follow-ups need you" in first.output
    assert cli("publish", path.stem, "--resolve", "linkedin-hormozi", "--follow-up", "retry").exit_code == 0
    assert cli("publish", path.stem, "--resolve", "linkedin-naval", "--follow-up", "skip").exit_code == 0
    assert cli("publish", path.stem, "--resolve", "linkedin-naval", "--follow-up", "skip").exit_code == 2  # nothing left
    assert cli("publish", path.stem, "--resolve", "linkedin-naval", "--follow-up", "retry", "https://x").exit_code == 2
    result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 0, result.output
    assert li.comments_on("linkedin-hormozi") == 1 and li.comments_on("linkedin-naval") == 0
    run = runfile.load(path)
    assert [f.state for f in run.post("linkedin-naval").publication.follow_ups] == ["skipped"]
    assert [f.state for f in run.post("linkedin-hormozi").publication.follow_ups] == ["published"]


def test_a_second_linkedin_pass_does_not_post_the_first_comment_again(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    li = FakePlatform("linkedin")
    publisher({"linkedin": li}).publish_run(path)
    for hours in (1, 2):
        with later(hours):
            assert publisher({"linkedin": li}).publish_run(path) == []
            assert publisher({"linkedin": li}).publish_run(path, post_ids=["linkedin-hormozi"])[0].status == "skipped"
    assert li.comments_on("linkedin-hormozi") == 1 and li.create_calls == 1


def test_no_message_promises_a_retry_that_never_comes(tmp_path):
    """Each failed follow-up's report says what the next run does with it, and it does that."""
    path = make_run(tmp_path, [("reddit", "hormozi")])
    reddit = FakePlatform("reddit")
    reddit.comment_errors.append((PublishError("permission", "this community does not allow links"), False))
    outcome = publisher({"reddit": reddit}).publish_run(path)[0]
    assert "postgen backs off" not in outcome.reason and "sent again" not in outcome.reason
    assert "needs you" in outcome.reason and outcome.follow_up == "decide"
    with later():
        assert [o.follow_up for o in publisher({"reddit": reddit}).publish_run(path)] == ["decide"]
    assert reddit.comments_on("reddit-hormozi") == 0
