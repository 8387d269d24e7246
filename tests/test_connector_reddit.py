"""Reddit connector: title/body rules, praw publishing and errors from cassettes."""

from __future__ import annotations

import re
import time

import pytest
from conftest import recording_keys

from postgen.connector import PublishError
from postgen.connectors.reddit import RedditConnector, RedditOptions
from postgen.models import Post, Publication

KEYS = recording_keys({"REDDIT_CLIENT_ID": "test-client-id", "REDDIT_CLIENT_SECRET": "test-client-secret",
        "REDDIT_USERNAME": "postgen_bot", "REDDIT_PASSWORD": "test-password"})
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"


def _post(title: str | None = "How neural networks learn", body: str = "Body", **kw) -> Post:
    kw.setdefault("link", LINK)
    return Post(id="reddit-naval", platform="reddit", framework="naval", title=title, body=body, **kw)


def _connector(**options) -> RedditConnector:
    options.setdefault("subreddit", "postgen_test")
    return RedditConnector(RedditOptions(**options), env=dict(KEYS))


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """prawcore backs off between retries of a 5xx; the tests need not wait."""
    import prawcore.sessions

    monkeypatch.setattr(prawcore.sessions.time, "sleep", lambda s: None)


def test_validate_title_and_body():
    c = _connector()
    assert c.validate(_post()) == []
    assert [p.code for p in c.validate(_post(title=None))] == ["no_title"]
    [p] = c.validate(_post(title="t" * 301))
    assert p.code == "title_too_long" and p.message == "title is 301 of 300 characters; cut 1"
    [p] = c.validate(_post(body="b" * 40_001))
    assert p.code == "too_long" and "40001 of 40000" in p.message


def test_preview_shows_subreddit_title_body_and_comment():
    preview = _connector(flair_text="Discussion").preview(_post())
    assert preview.parts[0] == {"kind": "post", "subreddit": "postgen_test", "title": "How neural networks learn",
                                "text": "Body", "flair": "Discussion"}
    assert preview.parts[1] == {"kind": "first_comment", "text": LINK}
    assert preview.estimated_cost_usd == 0.0
    assert "subreddit" in RedditConnector().preview(_post()).notes[0]
    from postgen.preview import format_preview

    shown = format_preview(preview)
    assert "-- post (r/postgen_test, flair Discussion):\ntitle: How neural networks learn\nBody" in shown
    assert f"-- first_comment:\n{LINK}" in shown


def test_publish_with_comment(named_cassette):
    with named_cassette("test_publish_with_comment") as cassette:
        connector = _connector()
        post = _post()
        publication = connector.publish(post)
        assert publication.remote_id == "1gx7abc"
        assert publication.url == "https://www.reddit.com/r/postgen_test/comments/1gx7abc/"
        assert publication.warnings == []  # read back: Reddit stored the body as sent
        publication = connector.publish_follow_up(post, publication)
        assert cassette.all_played  # the submission was read back
    [follow] = publication.follow_ups
    assert (follow.kind, follow.state, follow.remote_id) == ("first_comment", "published", "lq2xyz9")


@pytest.mark.vcr
def test_publish_readback_differs():
    publication = _connector().publish(_post())
    assert publication.remote_id == "1gx7abc"
    assert publication.warnings == ["Reddit stored a different text than was sent (from character 3: sent 'dy', stored ''); "
                                    "look at the post and edit or delete it by hand if it matters"]


def test_readback_that_fails_leaves_the_post_standing():
    """Reading the submission back is one more call: when it fails the post is still published."""
    class Lazy:
        id = "1gx7abc"

        @property
        def selftext(self):
            raise RuntimeError("503")

    assert RedditConnector._readback(Lazy(), "Body") is None


@pytest.mark.vcr
def test_reply_returns_none():
    """praw's reply() answers None when Reddit does not hand the new comment back (it was made):
    it is found among the post's comments by this account and recorded, never sent again."""
    publication = Publication(remote_id="1gx7abc", url="https://www.reddit.com/r/postgen_test/comments/1gx7abc/")
    result = _connector().publish_follow_up(_post(), publication)
    [follow] = result.follow_ups
    assert (follow.kind, follow.state, follow.remote_id) == ("first_comment", "published", "lq2xyz9")
    assert result.warnings == []


@pytest.mark.vcr
def test_reply_returns_none_not_listed():
    publication = Publication(remote_id="1gx7abc", url="https://www.reddit.com/r/postgen_test/comments/1gx7abc/")
    result = _connector().publish_follow_up(_post(), publication)
    [follow] = result.follow_ups
    assert (follow.state, follow.remote_id) == ("published", None)  # made, by praw's word: not sent again
    assert "did not return it" in result.warnings[0]


@pytest.mark.vcr
def test_find_follow_up():
    found = _connector().find_follow_up(_post(), Publication(remote_id="1gx7abc"))
    assert (found.kind, found.state, found.remote_id) == ("first_comment", "published", "lq2xyz9")
    assert found.url == "https://www.reddit.com/r/postgen_test/comments/1gx7abc/_/lq2xyz9/"


@pytest.mark.vcr
def test_find_follow_up_missing():
    assert _connector().find_follow_up(_post(), Publication(remote_id="1gx7abc")) is None


def test_user_agent_follows_reddit_format(monkeypatch):
    import praw

    seen = {}
    monkeypatch.setattr(praw, "Reddit", lambda **kwargs: seen.update(kwargs) or object())
    _connector()._reddit()
    assert seen["user_agent"] == "python:postgen:v0.1.0 (by /u/postgen_bot)"
    assert re.fullmatch(r"[a-z]+:[a-z.]+:v[\d.]+ \(by /u/\w+\)", seen["user_agent"])


@pytest.mark.parametrize("name,kind,words", [
    ("test_publish_ratelimit", "rate_limited", "9 minutes"),
    ("test_publish_flair_required", "config", "flair_id"),
    ("test_publish_no_selfs", "config", "NO_SELFS"),
    ("test_publish_forbidden", "permission", "403"),
    ("test_publish_server_error", "transient", "503"),  # one call: a creating call is never retried blindly
    ("test_publish_too_many_requests", "rate_limited", "429"),
    ("test_publish_bad_client_secret", "auth", "REDDIT_CLIENT_ID"),
    ("test_publish_bad_password", "auth", "invalid_grant"),
    ("test_publish_unauthorized_without_header", "auth", "refused the credentials (401)"),
])
def test_publish_errors(name, kind, words, named_cassette):
    before = time.time()
    with named_cassette(name) as cassette:
        with pytest.raises(PublishError) as info:
            _connector().publish(_post())
        assert cassette.all_played
    assert info.value.kind == kind
    assert words in info.value.message
    assert "test-password" not in info.value.message and "test-client-secret" not in info.value.message
    if name == "test_publish_ratelimit":
        assert before + 9 * 60 <= info.value.retry_at <= time.time() + 9 * 60
    if name == "test_publish_too_many_requests":
        assert before + 120 <= info.value.retry_at <= time.time() + 120


@pytest.mark.vcr
def test_timeout_is_transient_and_not_retried(monkeypatch):
    import requests

    calls = []

    def slow(self, method, url, **kwargs):
        calls.append((method, url, kwargs.get("timeout")))
        if "access_token" in url:
            response = requests.Response()
            response.status_code = 200
            response._content = b'{"access_token": "REDACTED", "token_type": "bearer", "expires_in": 86400, "scope": "*"}'
            return response
        raise requests.ReadTimeout("slow")

    monkeypatch.setattr(requests.Session, "request", slow)
    with pytest.raises(PublishError) as info:
        _connector(timeout=9).publish(_post())
    assert info.value.kind == "transient"
    submits = [c for c in calls if "api/submit" in c[1]]
    assert len(submits) == 1 and submits[0][2] == 9


@pytest.mark.vcr
def test_comment_refused_is_recorded():
    connector = _connector()
    post = _post()
    publication = connector.publish_follow_up(post, connector.publish(post))
    assert publication.remote_id == "1gx7abc"
    [follow] = publication.follow_ups
    assert (follow.state, follow.kind) == ("failed", "first_comment") and "THREAD_LOCKED" in follow.error


@pytest.mark.vcr
def test_find_existing():
    found = _connector().find_existing(_post())
    assert found == Publication(remote_id="1gx7abc", url="https://www.reddit.com/r/postgen_test/comments/1gx7abc/")


@pytest.mark.vcr
def test_check_flair_required():
    health = _connector().check()
    assert health.identity == "u/postgen_bot"
    assert not health.ok and any("requires a flair" in m for m in health.messages)


def test_check_without_keys_or_subreddit():
    health = RedditConnector(env={}).check()
    assert not health.ok
    assert health.missing == ["REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USERNAME", "REDDIT_PASSWORD"]
    assert any("subreddit" in m for m in health.messages)


def test_publish_without_subreddit_is_a_config_error():
    with pytest.raises(PublishError) as info:
        RedditConnector(env=dict(KEYS)).publish(_post())
    assert info.value.kind == "config" and "[platforms.reddit]" in info.value.message


def test_registered():
    from postgen.registry import connectors

    assert connectors.get("reddit") is RedditConnector and RedditConnector.has_title and RedditConnector.label == "REDDIT"


@pytest.mark.vcr(match_on=["method", "scheme", "host", "port", "path", "query", "body"])
def test_publish_link_post(vcr):
    """post_as = "link": one submission, kind=link with the timed video link as its URL and the
    post's text as its body (Reddit shows the video's card and picture); no link comment."""
    connector = _connector(post_as="link")
    assert connector.options.link_policy == "none"
    post = _post(link="https://youtu.be/IHZwWFHWa-w?t=192", link_policy=connector.options.link_policy)
    assert connector.validate(post) == [] and not connector.needs_follow_up(post)
    [part] = connector.preview(post).parts
    assert part["text"] == "Body" and "a link post to https://youtu.be/IHZwWFHWa-w?t=192" in part["details"][0]
    publication = connector.publish(post)
    assert publication.remote_id == "1gx7abc" and publication.warnings == []  # the body read back as sent
    assert vcr.all_played
    assert [p.code for p in connector.validate(_post(link=None, link_policy="none"))] == ["no_link"]
    with pytest.raises(ValueError, match="a link post is the link"):
        RedditOptions(post_as="link", link_policy="first_comment")
