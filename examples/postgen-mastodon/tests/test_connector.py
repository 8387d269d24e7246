"""The Mastodon connector against hand-written cassettes in the real API's shapes.

Request bodies are matched too (match_on includes "body"), so a cassette is also an assertion
about exactly what the connector sends.
"""

from __future__ import annotations

import time

import pytest
from postgen import Post, PublishError

BODY = ["method", "scheme", "host", "port", "path", "query", "body"]


# --- validate: Mastodon's rule, counted by Mastodon.py -------------------------------------


def make(body: str, **kw) -> Post:
    return Post(id="mastodon-aida", platform="mastodon", framework="aida", body=body, **kw)


def codes(problems):
    return [p.code for p in problems if p.severity == "error"]


def test_validate_500_characters(connector):
    assert codes(connector.validate(make("a" * 500, link_policy="none"))) == []
    problems = connector.validate(make("a" * 501, link_policy="none"))
    assert codes(problems) == ["too_long"]
    assert "501 of 500 characters" in problems[0].message


def test_validate_counts_every_url_as_23(connector):
    url = "https://example.com/" + "x" * 200  # 220 characters, counts 23
    body = "a" * 476 + " " + url  # 476 + 1 + 23 = 500
    assert codes(connector.validate(make(body, link_policy="none"))) == []
    assert codes(connector.validate(make("a" + body, link_policy="none"))) == ["too_long"]


def test_validate_counts_graphemes_not_code_points(connector):
    family = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # one grapheme, five code points
    assert codes(connector.validate(make("a" * 499 + family, link_policy="none"))) == []


def test_validate_counts_the_inline_link(connector):
    link = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    body = "a" * 476  # + "\n\n" + link (23) = 501
    assert codes(connector.validate(make(body, link=link, link_policy="inline"))) == ["too_long"]
    assert codes(connector.validate(make(body, link=link, link_policy="first_comment"))) == []


def test_limit_is_an_option():
    from postgen_mastodon import MastodonConnector, MastodonOptions

    wide = MastodonConnector(MastodonOptions(limit=1000), env={})
    assert codes(wide.validate(make("a" * 900, link_policy="none"))) == []
    assert "of 1000 characters" in wide.validate(make("a" * 1001, link_policy="none"))[0].message
    with pytest.raises(ValueError):
        MastodonOptions(limit=0)


def test_validate_empty_and_missing_link(connector):
    assert codes(connector.validate(make("  ", link_policy="none"))) == ["empty"]
    warnings = [p.code for p in connector.validate(make("hi", link_policy="first_comment"))]
    assert warnings == ["no_link"]


# --- preview: what would be sent, with no keys and no network -------------------------------


def test_preview_first_comment_is_a_reply(post):
    from postgen_mastodon import MastodonConnector

    preview = MastodonConnector(env={}).preview(post)
    assert [p["kind"] for p in preview.parts] == ["post", "reply"]
    assert preview.parts[0]["text"] == post.body
    assert preview.parts[1]["text"] == post.link
    assert preview.estimated_cost_usd == 0.0


@pytest.mark.parametrize("policy,last", [("inline", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"), ("none", "#Leverage")])
def test_preview_inline_and_none_send_one_status(post, policy, last):
    from postgen_mastodon import MastodonConnector

    preview = MastodonConnector(env={}).preview(post.model_copy(update={"link_policy": policy}))
    assert [p["kind"] for p in preview.parts] == ["post"]
    assert preview.parts[0]["text"].endswith(last)


def test_style_names_the_limit_and_link_policy():
    from postgen_mastodon import MastodonConnector, MastodonOptions

    style = MastodonConnector(MastodonOptions(limit=640, link_policy="inline"), env={}).style()
    assert "640 characters" in style and "added at the end" in style


# --- publish and the link reply ---------------------------------------------------------------


@pytest.mark.vcr(match_on=BODY)
def test_publish_with_link_reply(connector, post, vcr):
    publication = connector.publish(post)
    assert publication.remote_id == "113529000000000101"
    assert publication.url == "https://mastodon.example/@postgen/113529000000000101"
    assert publication.published_at.isoformat().startswith("2026-11-24T06:00:00")

    publication = connector.publish_follow_up(post, publication)
    [reply] = publication.follow_ups
    assert (reply.kind, reply.remote_id, reply.state) == ("reply", "113529000000000102", "published")
    assert vcr.play_count == 2

    again = connector.publish_follow_up(post, publication)  # already there: no second reply
    assert again.follow_ups == publication.follow_ups and vcr.play_count == 2


@pytest.mark.vcr(match_on=BODY)
def test_publish_inline_link(env, post, vcr):
    from postgen_mastodon import MastodonConnector, MastodonOptions

    connector = MastodonConnector(MastodonOptions(visibility="unlisted", link_policy="inline"), env=env)
    post = post.model_copy(update={"link_policy": "inline"})
    publication = connector.publish(post)
    assert connector.publish_follow_up(post, publication).follow_ups == []
    assert publication.remote_id == "113529000000000201" and vcr.play_count == 1


def test_publish_sends_an_idempotency_key(post):
    from postgen_mastodon import _key

    assert _key(post.id, post.body) == _key(post.id, post.body)
    assert _key(post.id, post.body) != _key(post.id, post.body + "!")


ERRORS = [
    pytest.param("invalid", 422, id="too_long"),
    pytest.param("auth", 401, id="revoked_token"),
    pytest.param("permission", 403, id="missing_scope"),
    pytest.param("rate_limited", 429, id="rate_limited"),
    pytest.param("transient", 503, id="server_down"),
]


@pytest.mark.parametrize("kind,status", ERRORS)
@pytest.mark.vcr(match_on=BODY)
def test_publish_error(connector, post, kind, status, vcr):
    with pytest.raises(PublishError) as raised:
        connector.publish(post)
    assert vcr.play_count == 1  # one call: never a silent retry or sleep
    assert (raised.value.kind, raised.value.status) == (kind, status)
    assert "test-token" not in raised.value.message
    if kind == "rate_limited":  # X-RateLimit-Reset is 15 minutes after the Date header
        assert raised.value.retry_at == pytest.approx(time.time() + 900, abs=60)
    if kind == "auth":
        assert "MASTODON_ACCESS_TOKEN" in raised.value.message


def test_publish_without_keys_names_the_variables(post):
    from postgen_mastodon import MastodonConnector

    with pytest.raises(PublishError) as raised:
        MastodonConnector(env={}).publish(post)
    assert raised.value.kind == "auth"
    assert "MASTODON_API_BASE_URL and MASTODON_ACCESS_TOKEN" in raised.value.message


# --- find_existing: reconcile after a crash ---------------------------------------------------


@pytest.mark.vcr
def test_find_existing_after_crash(connector, post):
    found = connector.find_existing(post)
    assert found is not None
    assert found.remote_id == "113529000000000101"  # the post, not the link reply before it
    assert found.url == "https://mastodon.example/@postgen/113529000000000101"


@pytest.mark.vcr
def test_find_existing_not_there(connector, post):
    assert connector.find_existing(post) is None


def test_html_text_spells_links_out():
    from postgen_mastodon import _html_text, _squash

    content = ('<p>Hi &amp; bye</p><p><a href="https://x.example/a"><span class="invisible">https://</span>'
               '<span class="">x.example/a</span></a><br />#<span>Tag</span></p>')
    assert _squash(_html_text(content)) == "Hi & bye https://x.example/a #Tag"


# --- check: for postgen doctor ------------------------------------------------------------------


def test_check_names_missing_variables():
    from postgen_mastodon import MastodonConnector

    health = MastodonConnector(env={"MASTODON_API_BASE_URL": "https://mastodon.example"}).check()
    assert not health.ok and health.missing == ["MASTODON_ACCESS_TOKEN"]


@pytest.mark.vcr
def test_check_identity(connector):
    health = connector.check()
    assert health.ok and health.identity == "@postgen"


@pytest.mark.vcr
def test_check_bad_token(connector):
    health = connector.check()
    assert not health.ok
    assert health.messages == ["Mastodon answered 401: The access token is invalid"]


def test_a_failed_reply_is_recorded_not_raised(post):
    """The contract: publish_follow_up never raises; error_kind tells the ledger whether a retry is safe."""
    from postgen import Publication
    from postgen_mastodon import MastodonConnector

    publication = MastodonConnector(env={}).publish_follow_up(post, Publication(remote_id="113529000000000101"))
    [reply] = publication.follow_ups
    assert (reply.kind, reply.state, reply.error_kind) == ("reply", "failed", "auth")
    assert "MASTODON_ACCESS_TOKEN" in reply.error


# --- metrics: engagement for `postgen metrics` --------------------------------------------------


@pytest.mark.vcr
def test_metrics_favourites_boosts_replies(connector, vcr):
    from postgen import Engagement, Publication

    answers = connector.metrics([Publication(remote_id="113529000000000101"), Publication(remote_id="113529000000000777")])
    assert answers["113529000000000101"] == Engagement(
        engagements=33, counts={"favourites_count": 23, "reblogs_count": 6, "replies_count": 4})  # no views on Mastodon
    assert answers["113529000000000777"] == Engagement(deleted=True)  # left out of the batch, then a 404 alone
    assert vcr.play_count == 2


@pytest.mark.vcr
def test_metrics_rate_limited(connector):
    from postgen import Publication

    with pytest.raises(PublishError) as raised:
        connector.metrics([Publication(remote_id="113529000000000101"), Publication(remote_id="113529000000000777")])
    assert raised.value.kind == "rate_limited" and raised.value.retry_at is not None
