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
