"""Defects found reviewing the publishing path, each pinned by a test."""

from __future__ import annotations

import pytest
from ledger_fakes import FakeConnector, FakePlatform, make_run

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.connectors.reddit import RedditConnector, RedditOptions
from postgen.models import PostState

REDDIT_KEYS = {"REDDIT_CLIENT_ID": "test-client-id", "REDDIT_CLIENT_SECRET": "test-client-secret",
               "REDDIT_USERNAME": "postgen_bot", "REDDIT_PASSWORD": "test-password"}


def test_reddit_without_a_subreddit_leaves_the_posts_ready_for_when_the_config_is_fixed(tmp_path):
    """A missing subreddit is the config's fault, not the post's: failing all five posts meant that
    after the fix `--due` skipped them silently for good."""
    path = make_run(tmp_path, [("reddit", "hormozi"), ("reddit", "naval")])
    publisher = ledger.Publisher(parse_config({}), connector_for=lambda name: RedditConnector(RedditOptions(), env=dict(REDDIT_KEYS)),
                                 sleep=lambda s: None, fire=lambda o: None)
    outcomes = {o.post_id: o for o in publisher.publish_run(path)}
    assert outcomes["reddit-hormozi"].status == "failed" and "[platforms.reddit]" in outcomes["reddit-hormozi"].reason
    assert "not tried" in outcomes["reddit-naval"].reason
    run = runfile.load(path)
    assert [p.state for p in run.posts] == [PostState.ready, PostState.ready]


def test_an_unknown_platform_is_a_usage_error_not_a_silent_nothing(cli, isolated):
    path = make_run(isolated / "runs", [("x", "hormozi")])
    result = cli("publish", path.stem, "--platform", "twitter", "--dry-run")
    assert result.exit_code == 2 and "twitter" in result.output and "linkedin, reddit, x" in result.output
    assert cli("publish", path.stem, "--platform", "x", "--dry-run").exit_code == 0


def _fake_publisher(platforms: dict[str, FakePlatform], config=None):
    return ledger.Publisher(config or parse_config({}), connector_for=lambda name: FakeConnector(name, platforms[name]),
                            sleep=lambda s: None, fire=lambda o: None)


def test_resolving_a_post_already_published_never_sends_its_link_comment_again(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    li = FakePlatform("linkedin")
    assert [o.status for o in _fake_publisher({"linkedin": li}).publish_run(path)] == ["published"]
    assert li.comments_on("linkedin-hormozi") == 1
    url = runfile.load(path).post("linkedin-hormozi").publication.url
    # The same decision recorded twice (a command run again) is harmless...
    ledger.resolve(path, "linkedin-hormozi", "published", url)
    # ...and another URL is refused: it would drop the recorded follow-ups.
    with pytest.raises(ValueError, match="already recorded as published"):
        ledger.resolve(path, "linkedin-hormozi", "published", "https://www.linkedin.com/feed/update/urn:li:share:1")
    _fake_publisher({"linkedin": li}).publish_run(path)
    assert li.comments_on("linkedin-hormozi") == 1 and li.create_calls == 1
    post = runfile.load(path).post("linkedin-hormozi")
    assert post.publication.url == url and len(post.publication.follow_ups) == 1


def _garbled(response):
    """The platform's answer cut off mid-body (a proxy or a dropped connection): it said yes."""
    response._content = response._content[:12] if response._content else b"<html>"
    return response


def test_x_accepting_a_post_with_an_unreadable_answer_is_looked_up_not_failed(monkeypatch, tmp_path):
    """A 201 whose body cannot be read means the post is there: it was recorded `failed`, so the
    person was told to publish it again."""
    from test_ledger_crash_connectors import World

    world = World("x", monkeypatch, tmp_path)
    path = world.make_run("runs")
    handle, garble = world.platform.handle, {"once": True}

    def flaky(request):
        response = handle(request)
        if request.method == "POST" and response.status_code == 201 and garble.pop("once", False):
            return _garbled(response)
        return response

    world.platform.handle = flaky
    world.settle(path)
    world.assert_once_each(path)
    assert world.platform.create_calls == 2  # one per post: the unread one was found, not sent again


def test_reddit_accepting_a_post_with_an_unreadable_answer_is_an_unknown_outcome():
    """prawcore's BadJSON comes with a 200: Reddit took the post and accepts copies, so `failed`
    (then `--post` as the message said) posted it twice."""
    from types import SimpleNamespace

    import prawcore.exceptions

    from postgen.connectors import _common

    assert _common.http_error("Reddit", 200, "<html>").kind == "unknown"
    connector = RedditConnector(RedditOptions(subreddit="postgen_test"), env=dict(REDDIT_KEYS))
    error = connector._error(prawcore.exceptions.BadJSON(SimpleNamespace(status_code=200, text="<html>", headers={})))
    assert error.kind == "unknown" and "200" in error.message
    assert connector._error(KeyError("id")).kind == "unknown"


def test_one_unreadable_run_file_does_not_stop_due_posts_of_the_other_runs(cli, isolated, monkeypatch):
    """`publish --due` (the CI job) stopped at the first run file it could not read: a bad hand
    edit or a merge conflict in one run held back every other run's posts."""
    import postgen.checks

    x = FakePlatform("x")
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, x))
    runs = isolated / "runs"
    good = make_run(runs, [("x", "hormozi")], video_id="good0000001")
    with runfile.editing(good) as handle:
        handle.run.post("x-hormozi").scheduled_at = handle.run.created
    broken = make_run(runs, [("x", "naval")], video_id="broken00001")
    broken.write_text(broken.read_text(encoding="utf-8")[:200], encoding="utf-8")

    import time_machine
    from datetime import timedelta

    traveller = time_machine.travel(runfile.load(good).created + timedelta(minutes=10), tick=False)
    traveller.start()
    dry = cli("publish", "--due", "--dry-run")
    assert dry.exit_code == 1 and broken.name in dry.output and "would publish" in dry.output
    result = cli("publish", "--due", "--yes")
    traveller.stop()
    assert result.exit_code == 1, result.output
    assert broken.name in result.output and "never closed" in result.output
    assert x.copies("x-hormozi") == 1
    # Named, the broken run is still an input error.
    assert cli("publish", broken.stem, "--yes").exit_code == 2


def test_dry_run_says_what_it_would_do_in_words(cli, isolated):
    (isolated / "postgen.toml").write_text("[publish]\nrequire_approval = true\n", encoding="utf-8")
    path = make_run(isolated / "runs", [("x", "hormozi")])
    result = cli("publish", path.stem, "--dry-run")
    assert "x-hormozi: would skip (not approved" in result.output and "would skipped" not in result.output


def test_a_terminal_confirmation_publishes_only_the_posts_it_listed(cli, isolated, monkeypatch):
    """The list is made before the prompt, the pass after it: a post that fell due while the person
    read the list went out without being on it."""
    from datetime import datetime, timedelta, timezone

    import click
    import time_machine

    import postgen.checks
    from postgen.commands import publish as publish_cmd

    x = FakePlatform("x")
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, x))
    monkeypatch.setattr(publish_cmd, "interactive", lambda: True)
    path = make_run(isolated / "runs", [("x", "hormozi"), ("x", "naval")])
    start = datetime(2026, 11, 3, 9, 30, tzinfo=timezone.utc)
    with runfile.editing(path) as handle:
        handle.run.post("x-hormozi").scheduled_at = start - timedelta(minutes=30)
        handle.run.post("x-naval").scheduled_at = start + timedelta(minutes=30)
    with time_machine.travel(start, tick=False) as traveller:
        def slow_yes(text, **kwargs):
            traveller.shift(timedelta(hours=1))  # the person takes an hour to answer
            return True

        monkeypatch.setattr(click, "confirm", slow_yes)
        result = cli("publish", "--due")
    assert "x-hormozi" in result.output and x.copies("x-hormozi") == 1
    assert x.copies("x-naval") == 0, "published without being on the confirmed list"
    assert runfile.load(path).post("x-naval").state is PostState.ready


def test_json_output_stays_json_when_a_terminal_is_asked_first(cli, isolated, monkeypatch):
    import json

    import postgen.checks
    from postgen.commands import publish as publish_cmd

    x = FakePlatform("x")
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, x))
    monkeypatch.setattr(publish_cmd, "interactive", lambda: True)
    path = make_run(isolated / "runs", [("x", "hormozi")])
    result = cli("publish", path.stem, "--json", input="y\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["outcomes"][0]["status"] == "published"
    assert "Publish these 1 posts now?" in result.stderr


def test_a_disabled_platform_gets_nothing_sent_even_for_a_post_left_publishing(tmp_path):
    """Unfinished business was taken up whatever the config said: a post left `publishing` on a
    platform the person had since disabled was looked up, not found, and sent there."""
    path = make_run(tmp_path, [("reddit", "hormozi"), ("x", "hormozi")])
    with runfile.editing(path) as handle:
        handle.run.post("reddit-hormozi").state = PostState.publishing
    reddit, x = FakePlatform("reddit"), FakePlatform("x")
    config = parse_config({"platforms": {"enabled": ["x"]}})
    outcomes = {o.post_id: o for o in _fake_publisher({"reddit": reddit, "x": x}, config).publish_run(path)}
    assert reddit.create_calls == 0
    assert outcomes["reddit-hormozi"].status == "skipped" and "not enabled" in outcomes["reddit-hormozi"].reason
    assert outcomes["x-hormozi"].status == "published"
    assert runfile.load(path).post("reddit-hormozi").state is PostState.publishing


def test_dry_run_of_a_post_edited_while_its_outcome_is_unknown_says_a_person_must_decide(cli, isolated):
    """The real pass asks a person (the platform may hold the earlier text); the dry run said it
    would just look the post up."""
    path = make_run(isolated / "runs", [("x", "hormozi")])
    with runfile.editing(path) as handle:
        post = handle.run.post("x-hormozi")
        post.state, post.sent_digest = PostState.publishing, ledger.content_digest(post)
        post.body += " Edited afterwards."
    result = cli("publish", path.stem, "--dry-run")
    assert result.exit_code == 1
    assert "would ask you to decide" in result.output and "--resolve x-hormozi" in result.output
