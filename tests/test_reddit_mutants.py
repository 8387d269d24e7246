"""Reddit connector behaviour that mutation testing (bench/mutation.py) found unchecked: Reddit's
error answers and what each makes the ledger do, flair and subreddit options that must reach the
submit call, a reply praw did not hand back, comments by deleted accounts, the link comment replacing
an earlier failed one, the exact messages that say where to set the subreddit, how metrics sum the
score and comments, and `doctor`. praw's `Reddit` object is faked (its exceptions are the real ones)."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from postgen.connector import Engagement, PublishError
from postgen.connectors.reddit import RedditConnector, RedditOptions
from postgen.models import FollowUp, Post, Publication

KEYS = {"REDDIT_CLIENT_ID": "test-id", "REDDIT_CLIENT_SECRET": "test-secret", "REDDIT_USERNAME": "postgen_bot",
        "REDDIT_PASSWORD": "test-password"}
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"


def _post(**kw) -> Post:
    kw.setdefault("link", LINK)
    return Post(id="reddit-naval", platform="reddit", framework="naval", title=kw.pop("title", " How networks learn "),
                body=kw.pop("body", "Body"), **kw)


def _connector(**options) -> RedditConnector:
    options.setdefault("subreddit", "postgen_test")
    return RedditConnector(RedditOptions(**options), env=dict(KEYS))


def _response(status: int, text: str = "", headers: dict | None = None):
    import requests
    from requests.structures import CaseInsensitiveDict

    response = requests.Response()
    response.status_code = status
    response._content = text.encode()
    response.headers = CaseInsensitiveDict(headers or {})
    return response


class FakeReddit:
    """What praw.Reddit(...) returns, as far as the connector uses it. `fail` raises from submit,
    reply or the listings; `comments` are (author name or None, body) on every submission;
    `listing` is what reddit.info() (GET /api/info) yields."""

    def __init__(self, monkeypatch, fail: BaseException | None = None, comments=(), reply_returns=True, rules=None,
                 listing=()):
        import praw

        self.listing = list(listing)  # what /api/info answers: one dict of fields per submission
        self.asked: list[list[str]] = []
        self.submitted: list[dict] = []
        self.replied: list[tuple[str, str]] = []
        self.fail, self.comments, self.reply_returns, self.rules = fail, list(comments), reply_returns, rules or {}
        self.kwargs: dict = {}
        monkeypatch.setattr(praw, "Reddit", self._make)

    def _raise(self):
        if self.fail is not None:
            raise self.fail

    def _make(self, **kwargs):
        self.kwargs = kwargs
        fake = self

        def submit(name, title, selftext="", **options):
            fake._raise()
            fake.submitted.append({"subreddit": name, "title": title, "selftext": selftext, **options})
            return SimpleNamespace(id="1gx7abc", selftext=selftext)

        def reply(submission_id, body):
            fake._raise()
            fake.replied.append((submission_id, body))
            return SimpleNamespace(id="lq2xyz9") if fake.reply_returns else None

        def comments():
            fake._raise()
            found = [SimpleNamespace(id=f"c{i}", body=body, author=None if who is None else SimpleNamespace(name=who))
                     for i, (who, body) in enumerate(fake.comments)]
            return SimpleNamespace(replace_more=lambda limit=None: [], list=lambda: found)

        def submission(id):
            return SimpleNamespace(id=id, reply=lambda body: reply(id, body), comments=comments())

        def subreddit(name):
            def requirements():
                fake._raise()
                return fake.rules
            return SimpleNamespace(submit=lambda *a, **k: submit(name, *a, **k), post_requirements=requirements)

        def me():
            fake._raise()
            return SimpleNamespace(name="postgen_bot", submissions=SimpleNamespace(new=lambda limit=100: iter([])))

        def info(fullnames):
            fake.asked.append(list(fullnames))
            fake._raise()
            return iter([SimpleNamespace(**fields) for fields in fake.listing])

        return SimpleNamespace(subreddit=subreddit, submission=submission, user=SimpleNamespace(me=me), info=info)


def _api_error(kind: str, message: str = "message", field: str = "sr"):
    from praw.exceptions import RedditAPIException

    return RedditAPIException([[kind, message, field]])


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("error,kind,says", [
    (_api_error("SUBMIT_VALIDATION_FLAIR_REQUIRED"), "config", "under [platforms.reddit]; 'postgen doctor' lists the subreddit's rules"),
    (_api_error("NO_SELFS"), "config", "choose another subreddit in [platforms.reddit]"),
    (_api_error("SUBREDDIT_NOEXIST", "that subreddit doesn't exist"), "permission", "cannot post to r/postgen_test (SUBREDDIT_NOEXIST): that subreddit doesn't exist"),
    (_api_error("SUBREDDIT_NOTALLOWED", "you aren't allowed to post there."), "permission", "(SUBREDDIT_NOTALLOWED): you aren't allowed"),
    (_api_error("TOO_LONG", "this is too long (max: 300)", "title"), "invalid", "a field is too long (title): this is too long"),
    (_api_error("BAD_SR_NAME"), "invalid", "Reddit refused the post: BAD_SR_NAME: 'message' on field 'sr'"),
])
def test_reddit_refusals_map_to_what_happens_next(monkeypatch, error, kind, says):
    FakeReddit(monkeypatch, fail=error)
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert info.value.kind == kind and says in info.value.message


def test_a_429_says_too_many_requests_and_keeps_retry_after(monkeypatch):
    from prawcore.exceptions import TooManyRequests

    FakeReddit(monkeypatch, fail=TooManyRequests(_response(429, "slow down", {"retry-after": "120"})))
    before = time.time()
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert info.value.kind == "rate_limited" and info.value.message.endswith("too many requests")
    assert info.value.message.startswith("Reddit rate limit reached (429); try again after ")
    assert before + 120 <= info.value.retry_at <= time.time() + 120


def test_a_401_without_its_header_names_reddit_and_the_keys(monkeypatch):
    FakeReddit(monkeypatch, fail=KeyError(401))
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert info.value.kind == "auth" and info.value.message.startswith("Reddit refused the credentials (401)")
    assert "REDDIT_CLIENT_ID" in info.value.message


def test_anything_else_may_have_landed_and_says_so(monkeypatch):
    FakeReddit(monkeypatch, fail=RuntimeError("connection dropped mid-answer"))
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert info.value.kind == "unknown"
    assert info.value.message == ("Reddit call failed: RuntimeError: connection dropped mid-answer; the post may be "
                                  "there, postgen looks before trying again")


def test_a_subreddit_without_text_posts_says_to_choose_another(monkeypatch):
    FakeReddit(monkeypatch, fail=_api_error("NO_SELFS", "This community doesn't allow text posts"))
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert info.value.kind == "config"
    assert info.value.message == ("r/postgen_test does not allow text posts (NO_SELFS): "
                                  "choose another subreddit in [platforms.reddit]")


def test_publishing_without_a_subreddit_says_where_to_set_it(monkeypatch):
    fake = FakeReddit(monkeypatch)
    with pytest.raises(PublishError) as info:
        RedditConnector(env=dict(KEYS)).publish(_post())
    assert info.value.kind == "config"
    assert info.value.message == 'no subreddit configured: set subreddit = "name" under [platforms.reddit]'
    assert fake.submitted == []


def test_missing_keys_are_an_auth_error():
    with pytest.raises(PublishError) as info:
        RedditConnector(RedditOptions(subreddit="s"), env={"REDDIT_CLIENT_ID": "id"}).publish(_post())
    assert info.value.kind == "auth"
    assert info.value.message == "Reddit keys missing: set REDDIT_CLIENT_SECRET, REDDIT_USERNAME, REDDIT_PASSWORD"


# --------------------------------------------------------------------------- publishing


def test_the_submit_carries_the_subreddit_title_text_and_flair(monkeypatch):
    fake = FakeReddit(monkeypatch)
    publication = _connector(subreddit="r/postgen_test", flair_id="abc-123", flair_text="Discussion").publish(_post())
    assert fake.submitted == [{"subreddit": "postgen_test", "title": "How networks learn", "selftext": "Body",
                               "url": None, "flair_id": "abc-123", "flair_text": "Discussion"}]
    assert publication.url == "https://www.reddit.com/r/postgen_test/comments/1gx7abc/"
    assert publication.published_at is not None and publication.warnings == []


def test_a_comment_that_goes_out_replaces_the_earlier_failure_and_is_dated(monkeypatch):
    fake = FakeReddit(monkeypatch)
    other = FollowUp(kind="reply", remote_id="r1")
    earlier = Publication(remote_id="1gx7abc", follow_ups=[
        other, FollowUp(kind="first_comment", state="failed", error="503", error_kind="transient")])
    before = datetime.now(timezone.utc).replace(microsecond=0)  # the ledger keeps whole seconds
    result = _connector().publish_follow_up(_post(), earlier)
    assert fake.replied == [("1gx7abc", LINK)]
    first, follow = result.follow_ups
    assert first == other
    assert (follow.kind, follow.state, follow.remote_id) == ("first_comment", "published", "lq2xyz9")
    assert follow.url == "https://www.reddit.com/r/postgen_test/comments/1gx7abc/_/lq2xyz9/"
    assert follow.at is not None and before <= follow.at <= datetime.now(timezone.utc)


def test_a_failed_comment_replaces_the_earlier_failure(monkeypatch):
    FakeReddit(monkeypatch, fail=_api_error("THREAD_LOCKED", "comments are locked"))
    earlier = Publication(remote_id="1gx7abc", follow_ups=[FollowUp(kind="first_comment", state="failed", error="503")])
    result = _connector().publish_follow_up(_post(), earlier)
    [follow] = result.follow_ups
    assert (follow.kind, follow.state, follow.error_kind) == ("first_comment", "failed", "invalid")
    assert "comments are locked" in follow.error


def test_a_reply_reddit_did_not_hand_back_and_cannot_list_is_recorded_as_sent(monkeypatch):
    fake = FakeReddit(monkeypatch, reply_returns=False)
    fake_comments = fake._make  # the listing fails after the reply went out

    def make(**kwargs):
        reddit = fake_comments(**kwargs)
        submission = reddit.submission

        def broken(id):
            made = submission(id)
            return SimpleNamespace(id=id, reply=made.reply, comments=SimpleNamespace(
                replace_more=lambda limit=None: (_ for _ in ()).throw(RuntimeError("503")), list=lambda: []))
        return SimpleNamespace(subreddit=reddit.subreddit, submission=broken, user=reddit.user)

    import praw

    monkeypatch.setattr(praw, "Reddit", make)
    publication = Publication(remote_id="1gx7abc")
    result = _connector().publish_follow_up(_post(), publication)
    [follow] = result.follow_ups
    assert (follow.kind, follow.state, follow.remote_id) == ("first_comment", "published", None)
    assert follow.url is None and follow.at is not None
    assert result.warnings == ["Reddit accepted the link comment but did not return it and it is not listed yet; check "
                               "https://www.reddit.com/r/postgen_test/comments/1gx7abc/"]
    assert fake.replied == [("1gx7abc", LINK)]


def test_a_reply_not_handed_back_is_checked_at_the_publications_own_url(monkeypatch):
    FakeReddit(monkeypatch, reply_returns=False)
    publication = Publication(remote_id="1gx7abc", url="https://www.reddit.com/r/other/comments/1gx7abc/t/")
    result = _connector().publish_follow_up(_post(), publication)
    [follow] = result.follow_ups
    assert follow.url == "https://www.reddit.com/r/other/comments/1gx7abc/t/"
    assert result.warnings[0].endswith("check https://www.reddit.com/r/other/comments/1gx7abc/t/")


def test_the_link_comment_is_found_past_deleted_accounts(monkeypatch):
    FakeReddit(monkeypatch, comments=[(None, LINK), ("someone_else", LINK), ("Postgen_Bot", f" {LINK} ")])
    found = _connector().find_follow_up(_post(), Publication(remote_id="1gx7abc"))
    assert (found.kind, found.remote_id) == ("first_comment", "c2")
    assert found.at is not None  # the ledger dates the link comment it records
    assert found.url == "https://www.reddit.com/r/postgen_test/comments/1gx7abc/_/c2/"


def test_a_comment_lookup_that_fails_says_not_now(monkeypatch):
    from prawcore.exceptions import ServerError

    FakeReddit(monkeypatch, fail=ServerError(_response(503, "Service Unavailable")))
    with pytest.raises(PublishError) as info:
        _connector().find_follow_up(_post(), Publication(remote_id="1gx7abc"))
    assert info.value.kind == "transient"
    assert info.value.message.startswith("cannot tell whether the link comment of reddit-naval is on Reddit: Reddit server error (503)")


# --------------------------------------------------------------------------- validate, style, doctor


def test_validate_limits_and_wording():
    assert _connector().validate(_post(title="t" * 300)) == []
    [title] = _connector().validate(_post(title="t" * 301))
    assert title.code == "title_too_long"
    assert _connector().validate(_post(body="b" * 40_000)) == []  # the limit itself is allowed
    [body] = _connector().validate(_post(body="b" * 40_002))
    assert body.message == "body is 40002 of 40000 characters; cut 2"
    [comment] = _connector().validate(_post(link="https://e.com/" + "a" * 10_000))
    assert (comment.severity, comment.code) == ("error", "comment_too_long")
    assert comment.message == "the link comment is over 10,000 characters"
    [no_link] = _connector().validate(_post(link=None))
    assert no_link.message.endswith("no comment with the link will be posted")


def test_style_names_the_subreddit_and_where_the_link_goes():
    assert "Reddit self post in r/postgen_test." in _connector().style()
    assert _connector().style().endswith("The video link goes in a comment.")
    assert "Reddit self post in the configured subreddit." in RedditConnector().style()
    assert _connector(link_policy="inline").style().endswith("give the substance in the post itself.")


@pytest.mark.parametrize("rules,ok,says", [
    ({}, True, None),
    ({"body_restriction_policy": "notAllowed"}, False, "error: r/postgen_test does not allow text in posts"),
    ({"body_restriction_policy": "required"}, True, None),
])
def test_doctor_reads_the_subreddits_rules(monkeypatch, rules, ok, says):
    FakeReddit(monkeypatch, rules=rules)
    health = _connector().check()
    assert health.ok is ok and health.identity == "u/postgen_bot"
    if says:
        assert says in health.messages
    assert health.messages[-1] == "new Reddit API apps need Reddit's approval (2025 policy)"


def test_doctor_without_a_subreddit_says_where_to_set_it(monkeypatch):
    FakeReddit(monkeypatch)
    health = RedditConnector(env=dict(KEYS)).check()
    assert health.ok is False and health.identity == "u/postgen_bot"
    assert health.messages[0] == 'error: no subreddit: set subreddit = "name" under [platforms.reddit]'


def test_doctor_reports_a_refused_login_and_is_not_ok(monkeypatch):
    from prawcore.exceptions import OAuthException

    FakeReddit(monkeypatch, fail=OAuthException(_response(401), "invalid_grant", None))
    health = _connector().check()
    assert health.ok is False
    assert health.messages[0].startswith("Reddit refused the login")


# --------------------------------------------------------------------------- metrics


def test_metrics_count_score_and_comments_and_never_a_negative_score(monkeypatch):
    fake = FakeReddit(monkeypatch, listing=[
        {"id": "a1", "score": 12, "upvote_ratio": 0.9, "num_comments": 3},
        {"id": "b2", "score": -4, "upvote_ratio": 0.2, "num_comments": 2},
        {"id": "c3", "score": 5, "num_comments": None},  # no comment count in the answer: the score alone
        {"id": "d4", "score": 1, "num_comments": 0, "removed_by_category": "moderator"},
    ])
    answers = _connector().metrics([Publication(remote_id=i) for i in ("a1", "t3_b2", "c3", "d4", "a1")])
    assert fake.asked == [["t3_a1", "t3_b2", "t3_c3", "t3_d4"]]
    assert answers["a1"] == Engagement(engagements=15, counts={"score": 12, "upvote_ratio": 0.9, "num_comments": 3})
    assert answers["b2"] == Engagement(engagements=2, counts={"score": -4, "upvote_ratio": 0.2, "num_comments": 2})
    assert answers["c3"] == Engagement(engagements=5, counts={"score": 5})
    assert answers["d4"] == Engagement(deleted=True)


# --------------------------------------------------------------------------- held-out sample (seed 12)


def test_style_of_a_link_post_is_the_exact_prompt():
    assert _connector(post_as="link").style() == (
        "Reddit link post (it links to the video) in r/postgen_test. A title (1-300 characters, no clickbait, "
        "no emoji spam) and a body (markdown is rendered; at most 40000 characters). Write like a community member "
        "sharing something useful, not an ad: give the substance in the post itself.")


def test_preview_is_labelled_with_the_platform_and_post():
    preview = _connector().preview(_post())
    assert (preview.platform, preview.post_id) == ("reddit", "reddit-naval")
    assert preview.parts[0] == {"kind": "post", "subreddit": "postgen_test", "title": "How networks learn", "text": "Body"}
