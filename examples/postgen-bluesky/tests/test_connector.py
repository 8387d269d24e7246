"""The Bluesky connector against cassettes in the AT Protocol's real shapes (lexicons
com.atproto.server.createSession, com.atproto.repo.createRecord / uploadBlob / getRecord /
listRecords, com.atproto.identity.resolveHandle, app.bsky.feed.post, app.bsky.feed.getPosts with
app.bsky.feed.defs#postView, app.bsky.richtext.facet, app.bsky.embed.external).

Request bodies are matched (conftest's json_body, which skips `createdAt`), so each cassette is
also an assertion about exactly what the connector sends.
"""

from __future__ import annotations


import pytest

from postgen import Post, PublishError

DID = "did:plc:7x4kq2m3vbnw5yj6ztr3lhpe"
POST_URI = f"at://{DID}/app.bsky.feed.post/3lbvx2k7ms22c"
POST_CID = "bafyreihx3r3nmtwqkbtdbxolgm3ljc4wmwyw5lbc3dgvzjxrmdxvc7a6ka"
REPLY_URI = f"at://{DID}/app.bsky.feed.post/3lbvx2kbqbk2c"
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def make(body: str, policy: str = "none", **kw) -> Post:
    return Post(id="bluesky-aida", platform="bluesky", framework="aida", body=body, link=VIDEO, link_policy=policy, **kw)


def errors(problems):
    return [(p.code, p.message) for p in problems if p.severity == "error"]


# --- validate: 300 graphemes and 3000 bytes, no network ------------------------------------------


def test_validate_counts_graphemes(connector):
    family = "👨‍👩‍👧‍👧"  # one grapheme, seven code points, 25 bytes
    assert errors(connector.validate(make("a" * 299 + family))) == []
    assert errors(connector.validate(make("a" * 300 + family))) == [("too_long", "301 of 300 characters (graphemes)")]


def test_validate_counts_bytes_too(connector):
    text = "👨‍👩‍👧‍👧" * 121  # 121 graphemes, 3025 bytes
    assert errors(connector.validate(make(text))) == [("too_long", "3025 of 3000 bytes (UTF-8): use fewer emoji or accents")]


def test_validate_counts_the_inline_link(connector):
    body = "a" * (300 - 2 - len(VIDEO))
    assert errors(connector.validate(make(body, "inline"))) == []
    assert errors(connector.validate(make(body + "a", "inline")))[0][0] == "too_long"
    assert errors(connector.validate(make(body + "a", "first_comment"))) == []


def test_validate_empty_and_missing_link(connector):
    assert errors(connector.validate(make("  "))) == [("empty", "the post is empty")]
    no_link = Post(id="bluesky-aida", platform="bluesky", framework="aida", body="hi", link_policy="first_comment")
    assert [p.code for p in connector.validate(no_link)] == ["no_link"]


def test_measure_and_limit_are_what_the_run_summary_shows(connector):
    assert connector.limit == 300 and connector.measure("नमस्ते 🌱") == 5


# --- preview: facets, the card and the reply, with no keys ---------------------------------------


def test_preview_shows_facets_card_and_reply(post):
    from postgen.preview import format_preview

    from postgen_bluesky import BlueskyConnector

    preview = BlueskyConnector(env={}).preview(post)
    assert [p["kind"] for p in preview.parts] == ["post", "reply"]
    first, reply = preview.parts
    start = post.body.encode().index(b"#Learning")
    assert first["details"] == [
        f"facet: tag #Learning (bytes {start}-{start + 9})",
        f"card: app.bsky.embed.external for {VIDEO}: title, description and thumbnail from the page's Open Graph tags, read when publishing",
    ]
    assert (first["characters"], first["limit"]) == (85, 300)
    assert reply["text"] == VIDEO and reply["details"] == [f"facet: link {VIDEO} (bytes 0-43)"]
    shown = format_preview(preview)
    assert "-- post (85 of 300 characters):" in shown and f"-- facet: tag #Learning (bytes {start}-" in shown
    assert "-- card: app.bsky.embed.external" in shown and "-- reply (43 of 300 characters, reply to the post):" in shown


def test_preview_inline_links_the_url_in_the_text(post):
    from postgen_bluesky import BlueskyConnector

    preview = BlueskyConnector(env={}).preview(post.model_copy(update={"link_policy": "inline"}))
    [part] = preview.parts
    assert part["text"].endswith("\n\n" + VIDEO)
    assert any(d.startswith(f"facet: link {VIDEO}") for d in part["details"])
    assert any(d.startswith("card:") for d in part["details"])


def test_preview_none_has_no_card_and_no_reply(post):
    from postgen_bluesky import BlueskyConnector, BlueskyOptions

    for connector, policy in ((BlueskyConnector(env={}), "none"), (BlueskyConnector(BlueskyOptions(card=False), env={}), "first_comment")):
        parts = connector.preview(post.model_copy(update={"link_policy": policy})).parts
        assert not any(d.startswith("card:") for d in parts[0]["details"])


def test_style_names_the_limit_and_the_link_policy():
    from postgen_bluesky import BlueskyConnector, BlueskyOptions

    style = BlueskyConnector(BlueskyOptions(link_policy="inline"), env={}).style()
    assert "300 characters" in style and "added at the end" in style


# --- publish: card with thumbnail, then the link reply -------------------------------------------


@pytest.mark.vcr
def test_publish_with_card_then_reply(connector, post, vcr):
    publication = connector.publish(post)
    assert publication.remote_id == POST_URI
    assert publication.url == "https://bsky.app/profile/postgen-test.bsky.social/post/3lbvx2k7ms22c"
    assert publication.data == {"cid": POST_CID, "card": "card with thumbnail"}
    assert vcr.play_count == 5  # login, page, image, uploadBlob, createRecord

    publication = connector.publish_follow_up(post, publication)
    [reply] = publication.follow_ups
    assert (reply.kind, reply.remote_id, reply.state) == ("reply", REPLY_URI, "published")
    assert vcr.play_count == 6  # the session is reused; the reply's refs come from data["cid"]

    again = connector.publish_follow_up(post, publication)  # already there: no second reply
    assert again.follow_ups == publication.follow_ups and vcr.play_count == 6


@pytest.mark.vcr
def test_publish_without_a_readable_page_still_posts(connector, post, vcr):
    """Inline link: live in the text; the page answers 404, so no card, and the post goes out."""
    publication = connector.publish(post.model_copy(update={"link_policy": "inline"}))
    assert publication.remote_id == POST_URI
    assert publication.data == {"cid": POST_CID, "card": "no card: the page answered 404 text/html; charset=utf-8"}
    assert vcr.play_count == 3


@pytest.mark.vcr
def test_follow_up_of_a_post_resolved_by_hand_asks_for_its_cid(connector, post, vcr):
    """'publish --resolve POST --as published URL' records only the URL: the reply needs a strongRef."""
    from postgen import Publication

    by_hand = Publication(remote_id="https://bsky.app/profile/postgen-test.bsky.social/post/3lbvx2k7ms22c")
    publication = connector.publish_follow_up(post, by_hand)
    assert publication.follow_ups[0].remote_id == REPLY_URI
    assert vcr.play_count == 3  # login, getRecord, createRecord


@pytest.mark.vcr
def test_a_failed_reply_is_recorded_not_raised(connector, post, vcr):
    """The contract: publish_follow_up never raises; the ledger reads error_kind to know whether a retry is safe."""
    from postgen import Publication

    publication = connector.publish_follow_up(post, Publication(remote_id=POST_URI, data={"cid": POST_CID}))
    [reply] = publication.follow_ups
    assert (reply.state, reply.error_kind) == ("failed", "transient") and "502 UpstreamFailure" in reply.error
    assert vcr.play_count == 2


ERRORS = [
    pytest.param("auth", 401, "BLUESKY_APP_PASSWORD", id="bad_password"),
    pytest.param("auth", 400, "ExpiredToken", id="expired_token"),
    pytest.param("invalid", 400, "InvalidRequest", id="invalid_record"),
    pytest.param("rate_limited", 429, "RateLimitExceeded", id="rate_limited"),
    pytest.param("transient", 502, "UpstreamFailure", id="upstream_down"),
]


@pytest.mark.parametrize("kind,status,words", ERRORS)
@pytest.mark.vcr
def test_publish_error(connector, kind, status, words, vcr):
    with pytest.raises(PublishError) as raised:
        connector.publish(make("Learn the fundamentals. The rest is commentary."))
    assert (raised.value.kind, raised.value.status) == (kind, status)
    assert words in raised.value.message and "test-app-password" not in raised.value.message
    assert vcr.play_count == (1 if status == 401 else 2)  # one call each: never a silent retry or sleep
    if kind == "rate_limited":  # RateLimit-Reset, unix seconds
        assert raised.value.retry_at == 1795500000.0


def test_publish_without_keys_names_the_variables(post):
    from postgen_bluesky import BlueskyConnector

    with pytest.raises(PublishError) as raised:
        BlueskyConnector(env={}).publish(post)
    assert raised.value.kind == "auth" and "BLUESKY_HANDLE and BLUESKY_APP_PASSWORD" in raised.value.message


def test_a_server_that_cannot_be_reached_is_unreachable_not_unknown(env, post):
    """Connection refused: nothing left the machine, so the ledger may send again safely."""
    import socket

    from postgen_bluesky import BlueskyConnector, BlueskyOptions

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = BlueskyConnector(BlueskyOptions(service=f"http://127.0.0.1:{port}"), env=env)
    with pytest.raises(PublishError) as raised:
        connector.publish(post)
    assert raised.value.kind == "unreachable" and "connection refused" in raised.value.message
    with pytest.raises(PublishError) as lookup:  # a lookup that cannot connect cannot tell now
        connector.find_existing(post)
    assert lookup.value.kind == "transient"


# --- after a crash: find_existing and find_follow_up ---------------------------------------------


@pytest.mark.vcr
def test_find_existing_after_crash(connector, post):
    found = connector.find_existing(post)
    assert found is not None
    assert (found.remote_id, found.data) == (POST_URI, {"cid": POST_CID})  # the post, not its reply
    assert found.url.endswith("/post/3lbvx2k7ms22c")

    reply = connector.find_follow_up(post, found)
    assert reply is not None and reply.remote_id == REPLY_URI


@pytest.mark.vcr
def test_find_existing_not_there(connector, post):
    from postgen import Publication

    assert connector.find_existing(post) is None
    assert connector.find_follow_up(post, Publication(remote_id=POST_URI)) is None


# --- check: for postgen doctor --------------------------------------------------------------------


def test_check_names_missing_variables():
    from postgen_bluesky import BlueskyConnector

    health = BlueskyConnector(env={"BLUESKY_HANDLE": "a.bsky.social"}).check()
    assert not health.ok and health.missing == ["BLUESKY_APP_PASSWORD"]


@pytest.mark.vcr
def test_check_identity(connector):
    health = connector.check()
    assert health.ok and health.identity == "@postgen-test.bsky.social"


@pytest.mark.vcr
def test_check_bad_password(connector):
    health = connector.check()
    assert not health.ok
    assert health.messages[0].startswith("Bluesky answered 401 AuthenticationRequired: Invalid identifier or password")


# --- metrics: engagement for `postgen metrics` (app.bsky.feed.getPosts) ---------------------------

OURS = [f"at://{DID}/app.bsky.feed.post/3mzdc{c}x7kq2d2" for c in "234567abcdefghijklmnopqrst"]  # 26 posts
BY_HAND = "https://bsky.app/profile/postgen-test.bsky.social/post/3mzfq7u2lnk2a"  # 'publish --resolve ... URL'
OTHER_ACCOUNT = "https://bsky.app/profile/postgen-news.bsky.social/post/3mzgk5w2tbc2y"


def counts(likes, reposts, replies, quotes, bookmarks):
    return {"likeCount": likes, "repostCount": reposts, "replyCount": replies, "quoteCount": quotes, "bookmarkCount": bookmarks}


@pytest.mark.vcr
def test_metrics_in_batches_of_25(connector, vcr):
    """28 posts: getPosts takes 25 uris, so two calls (25 + 3, their exact uris matched); a post
    recorded by hand by its URL is asked for by its at-uri, our handle from the session, another
    account's resolved once."""
    from postgen import Engagement, Publication

    ids = [*OURS, BY_HAND, OTHER_ACCOUNT, OURS[0]]  # the same post twice is asked for once
    answers = connector.metrics([Publication(remote_id=i) for i in ids])
    assert vcr.play_count == 4 and vcr.all_played  # login, resolveHandle, getPosts x 2
    assert set(answers) == set(ids)
    assert answers[OURS[7]] == Engagement(engagements=29, counts=counts(22, 3, 1, 1, 2))  # no views on Bluesky
    assert answers[OURS[25]] == Engagement(engagements=76 + 1 + 1 + 1 + 0, counts=counts(76, 1, 1, 1, 0))  # second batch
    assert answers[BY_HAND] == Engagement(engagements=54, counts=counts(40, 6, 5, 1, 2))
    assert answers[OTHER_ACCOUNT].engagements == 16 and not any(a.deleted for a in answers.values())
    assert connector.metrics_cost(28) == 0.0  # reads are free


@pytest.mark.vcr
def test_metrics_a_deleted_post(connector, vcr):
    """A uri the AppView leaves out of its answer is a post that is gone: never asked again."""
    from postgen import Engagement, Publication

    answers = connector.metrics([Publication(remote_id=OURS[0]), Publication(remote_id=OURS[1])])
    assert answers == {OURS[0]: Engagement(engagements=1, counts=counts(1, 0, 0, 0, 0)), OURS[1]: Engagement(deleted=True)}
    assert vcr.play_count == 2


@pytest.mark.vcr
def test_metrics_rate_limited_before_anything_was_read(connector):
    from postgen import Publication

    with pytest.raises(PublishError) as raised:  # the pass defers the readings until RateLimit-Reset
        connector.metrics([Publication(remote_id=OURS[0]), Publication(remote_id=OURS[1])])
    assert (raised.value.kind, raised.value.status, raised.value.retry_at) == ("rate_limited", 429, 1795590000.0)


@pytest.mark.vcr
def test_metrics_rate_limited_after_the_first_batch(connector, vcr):
    """What the first 25 answered is kept; the 26th carries the 429 and waits for the next pass."""
    from postgen import Engagement, Publication

    answers = connector.metrics([Publication(remote_id=i) for i in OURS])
    assert vcr.play_count == 3
    assert all(isinstance(answers[i], Engagement) for i in OURS[:25])
    assert isinstance(answers[OURS[25]], PublishError) and answers[OURS[25]].kind == "rate_limited"
    assert answers[OURS[25]].retry_at == 1795590000.0


@pytest.mark.vcr
def test_metrics_expired_token_is_reported(connector):
    """Bluesky's answer refused the session: an auth error with its status, which `postgen
    metrics` reports as failed (unlike keys not set, which it skips)."""
    from postgen import Publication

    with pytest.raises(PublishError) as raised:
        connector.metrics([Publication(remote_id=OURS[0]), Publication(remote_id=OURS[1])])
    assert (raised.value.kind, raised.value.status) == ("auth", 400) and "ExpiredToken" in raised.value.message


def test_metrics_without_keys_says_so_before_any_call():
    from postgen import Publication

    from postgen_bluesky import BlueskyConnector

    with pytest.raises(PublishError) as raised:
        BlueskyConnector(env={}).metrics([Publication(remote_id=OURS[0])])
    assert (raised.value.kind, raised.value.status) == ("auth", None) and "BLUESKY_HANDLE" in raised.value.message
    assert BlueskyConnector(env={}).metrics([]) == {}
