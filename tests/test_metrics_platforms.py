"""Each built-in connector's `metrics` against hand-written cassettes in the platforms' real
shapes: X GET /2/tweets (public_metrics, 100 ids a call, a deleted post as a not-found error),
Reddit /api/info (score, upvote_ratio, num_comments; removed posts), LinkedIn
memberCreatorPostAnalytics (one metric a call; a token without r_member_postAnalytics), and the
rate limits that must defer a reading, never fail it."""

from __future__ import annotations

import time

import pytest
from conftest import recording_keys

from postgen.connector import Engagement, PublishError
from postgen.connectors.linkedin import LinkedInConnector, LinkedInOptions
from postgen.connectors.reddit import RedditConnector, RedditOptions
from postgen.connectors.x import XConnector
from postgen.models import Publication

X_KEYS = recording_keys({"X_API_KEY": "test-key", "X_API_SECRET": "test-secret", "X_ACCESS_TOKEN": "test-token",
                         "X_ACCESS_TOKEN_SECRET": "test-token-secret"})
REDDIT_KEYS = recording_keys({"REDDIT_CLIENT_ID": "test-client-id", "REDDIT_CLIENT_SECRET": "test-client-secret",
                              "REDDIT_USERNAME": "postgen_bot", "REDDIT_PASSWORD": "test-password"})
LINKEDIN_KEYS = recording_keys({"LINKEDIN_ACCESS_TOKEN": "test-token"})
X_IDS = [str(1861000000000000000 + i) for i in range(1, 151)]
SHARE, UGC, GONE = "urn:li:share:7400000000000000001", "urn:li:ugcPost:7400000000000000002", "urn:li:share:7400000000000000003"


def pubs(ids: list[str]) -> list[Publication]:
    return [Publication(remote_id=i) for i in ids]


# --- X ------------------------------------------------------------------------------------------


@pytest.mark.vcr
def test_x_reads_public_metrics_in_batches_of_100(vcr):
    answers = XConnector(env=dict(X_KEYS)).metrics(pubs(X_IDS))
    assert vcr.play_count == 2  # 150 posts: two requests, never one per post
    first = answers[X_IDS[0]]  # n = 0: 10 likes, 0 reposts, 0 replies, 0 quotes, 0 bookmarks
    assert first == Engagement(engagements=10, impressions=1000, counts={
        "retweet_count": 0, "reply_count": 0, "like_count": 10, "quote_count": 0, "bookmark_count": 0, "impression_count": 1000})
    n = 120  # in the second batch: likes 130 + reposts 1 + replies 0 + quotes 0 + bookmarks 0
    assert (answers[X_IDS[n]].engagements, answers[X_IDS[n]].impressions) == (131, 2200)
    assert answers[X_IDS[1]] == Engagement(deleted=True)  # "Could not find tweet": deleted
    assert len(answers) == 150


def test_x_estimates_the_cost_of_reads():
    assert XConnector(env={}).metrics_cost(150) == pytest.approx(0.15)  # $0.001 a post read


@pytest.mark.vcr
def test_x_rate_limit_on_the_first_batch_defers_all():
    with pytest.raises(PublishError) as raised:
        XConnector(env=dict(X_KEYS)).metrics(pubs(X_IDS))
    assert raised.value.kind == "rate_limited" and raised.value.retry_at == 1795000000


@pytest.mark.vcr
def test_x_rate_limit_after_the_first_batch_keeps_what_was_read():
    answers = XConnector(env=dict(X_KEYS)).metrics(pubs(X_IDS))
    assert all(isinstance(answers[i], Engagement) for i in X_IDS[:100])
    assert {answers[i].kind for i in X_IDS[100:]} == {"rate_limited"}


@pytest.mark.vcr
def test_x_app_without_access_is_unavailable():
    with pytest.raises(PublishError) as raised:
        XConnector(env=dict(X_KEYS)).metrics(pubs(X_IDS[:2]))
    assert raised.value.kind == "permission" and "Project" in raised.value.message


def test_x_without_keys_says_so_before_any_call():
    with pytest.raises(PublishError) as raised:
        XConnector(env={}).metrics(pubs(X_IDS[:1]))
    assert (raised.value.kind, raised.value.status) == ("auth", None)


# --- Reddit -------------------------------------------------------------------------------------


def _reddit() -> RedditConnector:
    return RedditConnector(RedditOptions(subreddit="postgen_test"), env=dict(REDDIT_KEYS))


@pytest.mark.vcr
def test_reddit_reads_score_ratio_and_comments(vcr):
    answers = _reddit().metrics(pubs(["1gx7abc", "1gx7def", "t3_1gx7ghi"]))
    assert answers["1gx7abc"] == Engagement(engagements=49, counts={"score": 42, "upvote_ratio": 0.93, "num_comments": 7})
    assert answers["1gx7def"].deleted  # deleted by its author
    assert answers["1gx7ghi"].deleted  # removed by a moderator
    assert vcr.play_count == 2  # the token, then one /api/info for all three


@pytest.mark.vcr
def test_reddit_rate_limited():
    with pytest.raises(PublishError) as raised:
        _reddit().metrics(pubs(["1gx7abc", "1gx7def", "1gx7ghi"]))
    assert raised.value.kind == "rate_limited"
    assert raised.value.retry_at == pytest.approx(time.time() + 120, abs=30)


# --- LinkedIn -----------------------------------------------------------------------------------


def _linkedin() -> LinkedInConnector:
    return LinkedInConnector(LinkedInOptions(author="urn:li:person:782bbtaQ", version="202610"), env=dict(LINKEDIN_KEYS))


@pytest.mark.vcr
def test_linkedin_reads_member_post_analytics(vcr):
    answers = _linkedin().metrics(pubs([SHARE, UGC]))
    assert answers[SHARE] == Engagement(engagements=73, impressions=2140,
                                        counts={"impression": 2140, "reaction": 61, "comment": 9, "reshare": 3})
    # a metric without a data point yet (no comments) is not a zero LinkedIn said; ugcPosts are (ugc:...)
    assert answers[UGC] == Engagement(engagements=13, impressions=830, counts={"impression": 830, "reaction": 12, "reshare": 1})
    assert vcr.play_count == 8  # one call per metric per post: LinkedIn has no batch finder


@pytest.mark.vcr
def test_linkedin_without_the_analytics_permission_is_unavailable(vcr):
    with pytest.raises(PublishError) as raised:
        _linkedin().metrics(pubs([SHARE, UGC]))
    assert raised.value.kind == "permission"
    assert "unavailable for this token" in raised.value.message and "r_member_postAnalytics" in raised.value.message
    assert vcr.play_count == 1  # asked once, not once per post


@pytest.mark.vcr
def test_linkedin_deleted_post():
    answers = _linkedin().metrics(pubs([GONE, SHARE]))
    assert answers[GONE] == Engagement(deleted=True)
    assert answers[SHARE].impressions == 2140


@pytest.mark.vcr
def test_linkedin_rate_limit_after_the_first_post_defers_the_rest():
    answers = _linkedin().metrics(pubs([SHARE, UGC]))
    assert answers[SHARE].engagements == 73
    err = answers[UGC]
    assert isinstance(err, PublishError) and err.kind == "rate_limited"
    assert err.retry_at is not None and err.retry_at % 86400 == 0  # LinkedIn's daily limits reset at 00:00 UTC


def test_base_connector_reports_no_metrics():
    from postgen.connector import Connector

    with pytest.raises(PublishError) as raised:
        Connector(env={}).metrics(pubs(["1"]))
    assert raised.value.kind == "unsupported"
    assert Connector(env={}).metrics_cost(10) == 0.0
