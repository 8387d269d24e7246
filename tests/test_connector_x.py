"""X connector: twitter-text conformance, threads, preview cost, tweepy publishing from cassettes."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import recording_keys
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postgen.connector import PublishError
from postgen.connectors._twitter_text import parse_tweet
from postgen.connectors.x import XConnector, XOptions, split_thread, strip_number, weighted_length
from postgen.models import FollowUp, Post, Publication

DATA = yaml.safe_load((Path(__file__).parent / "data" / "twitter_text_weighted.yml").read_text(encoding="utf-8"))
KEYS = recording_keys({"X_API_KEY": "test-key", "X_API_SECRET": "test-secret", "X_ACCESS_TOKEN": "test-token", "X_ACCESS_TOKEN_SECRET": "test-token-secret"})
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"


@pytest.fixture(scope="module")
def vcr_config(vcr_config):
    return {**vcr_config, "match_on": ["method", "scheme", "host", "port", "path", "query", "body"]}


def _cases(section):
    return [pytest.param(c, id=c["description"][:60]) for c in DATA[section]]


@pytest.mark.parametrize("case", _cases("WeightedTweetsWithDiscountedEmojiCounterTest") + _cases("UnicodeDirectionalMarkerCounterTest"))
def test_conformance_v3(case):
    result = parse_tweet(case["text"])
    assert result.weighted_length == case["expected"]["weightedLength"]
    assert result.valid == case["expected"]["valid"]
    assert weighted_length(case["text"]) == case["expected"]["weightedLength"]


@pytest.mark.parametrize("case", _cases("WeightedTweetsCounterTest"))
def test_conformance_v2_without_emoji_discount(case):
    result = parse_tweet(case["text"], discount_emoji=False)
    assert (result.weighted_length, result.valid) == (case["expected"]["weightedLength"], case["expected"]["valid"])


def test_all_conformance_sections_present():
    assert [len(DATA[k]) for k in ("WeightedTweetsCounterTest", "WeightedTweetsWithDiscountedEmojiCounterTest",
                                   "UnicodeDirectionalMarkerCounterTest")] == [20, 22, 2]


@pytest.mark.parametrize("text", ["🫶🏽", "👩\u200d👩\u200d👧\u200d👦", "🫠", "🇺🇦", "#️⃣", "🧑🏾\u200d💻"])
def test_newer_emoji_count_two(text):
    # twitter-text-parser's Unicode 12 table counts 🫶🏽 as 4 and a ZWJ family as 8
    assert weighted_length(text) == 2
    assert weighted_length(f"a{text}b") == 4


@pytest.mark.parametrize("text,expected", [
    ("see example.com now", 4 + 23 + 4),
    ("see foo.co.jp", 4 + 23),
    ("node.js and e.g. this", 21),
    ("go to foo.io", 6 + 23),  # a bare ccTLD domain is a link (twitter-text 3: "Extract short URLs without protocol on ccTLD domains without path")
    ("go to foo.io/x", 6 + 23),
    ("t.co", 23),
    ("(https://example.com/a_(b))", 2 + 23),
    ("End with https://example.com/path.", 9 + 23 + 1),
])
def test_urls_count_23(text, expected):
    assert weighted_length(text) == expected


def _post(body: str, **kw) -> Post:
    return Post(id="x-naval", platform="x", framework="naval", body=body, **kw)


def test_validate_reports_weighted_length_and_cut():
    body = "→ " * 150  # arrows weigh 2: 150*2 + 150 spaces (the last stripped)
    problems = XConnector().validate(_post(body.strip(), link=LINK))
    errors = [p for p in problems if p.severity == "error"]
    assert [p.code for p in errors] == ["too_long"]
    assert errors[0].message.startswith("449 of 280 weighted characters; cut 169")


def test_validate_ok_and_premium_limit():
    assert XConnector().validate(_post("short", link=LINK)) == []
    long = "word " * 100
    assert [p.code for p in XConnector().validate(_post(long, link=LINK))] == ["too_long"]
    assert XConnector(XOptions(long_posts="premium")).validate(_post(long, link=LINK)) == []


def test_inline_link_counts_23_in_validation():
    text = "a" * 260
    assert XConnector().validate(_post(text, link=LINK, link_policy="first_comment")) == []
    problems = XConnector().validate(_post(text, link=LINK, link_policy="inline"))
    assert problems[0].message.startswith(f"{260 + 2 + 23} of 280")


def test_first_comment_without_link_warns():
    problems = XConnector().validate(_post("hello"))
    assert [(p.severity, p.code) for p in problems] == [("warning", "no_link")]


def test_thread_policy_splits_at_sentences():
    body = " ".join(f"Sentence number {i} is here and it is fine." for i in range(12))
    connector = XConnector(XOptions(long_posts="thread", limit=120))
    parts = connector.parts(_post(body))
    assert len(parts) > 1
    assert all(weighted_length(p) <= 120 for p in parts)
    assert all(strip_number(p).endswith(".") for p in parts)  # cut at sentence ends
    assert parts[0].endswith(f" 1/{len(parts)}")
    assert [p.code for p in connector.validate(_post(body, link=LINK))] == ["thread"]


words = st.lists(st.sampled_from(list("abcdefghij") + ["é", "語", "🔥", "👩\u200d💻", "!"]), min_size=1, max_size=12).map("".join)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(words, min_size=1, max_size=15), min_size=1, max_size=25),
       st.sampled_from([" ", "\n", "\n\n"]), st.integers(min_value=40, max_value=280))
def test_thread_split_properties(sentence_words, joiner, limit):
    text = joiner.join(" ".join(ws) + "." for ws in sentence_words)
    parts = split_thread(text, limit)
    assert all(weighted_length(p) <= limit for p in parts)
    assert " ".join(strip_number(p) for p in parts).split() == text.split()
    if len(parts) > 1:
        assert [p.rsplit(" ", 1)[1] for p in parts] == [f"{i}/{len(parts)}" for i in range(1, len(parts) + 1)]


def test_preview_shows_parts_reply_and_url_cost():
    connector = XConnector()
    preview = connector.preview(_post("Plain text post.", link=LINK))
    assert [p["kind"] for p in preview.parts] == ["post", "reply"]
    assert preview.parts[1]["text"] == LINK
    # the plain post costs the plain price, the reply with a URL ~13x
    assert preview.estimated_cost_usd == pytest.approx(0.015 + 0.20)
    assert any("estimate" in n for n in preview.notes)
    cheap = XConnector(XOptions(price_post_usd=0.01, price_post_with_url_usd=0.13))
    assert cheap.preview(_post("Plain", link_policy="none")).estimated_cost_usd == pytest.approx(0.01)
    assert cheap.preview(_post("Plain", link=LINK, link_policy="inline")).estimated_cost_usd == pytest.approx(0.13)


def test_style_mentions_limit_and_weights():
    style = XConnector().style()
    assert "280" in style and "23" in style


def test_registered_as_plugin():
    from postgen.registry import connectors

    assert connectors.get("x") is XConnector
    assert XConnector.label == "X/TWITTER"


# -- publishing (cassettes) -----------------------------------------------------------------------------

@pytest.mark.vcr
def test_publish_with_link_reply():
    connector = XConnector(env=KEYS)
    post = _post("Gradient descent is a ball rolling downhill.", link=LINK)
    publication = connector.publish(post)
    assert publication.remote_id == "1861000000000000001"
    assert publication.url == "https://x.com/i/web/status/1861000000000000001"
    assert publication.follow_ups == []
    publication = connector.publish_follow_up(post, publication)
    assert [(f.kind, f.state, f.remote_id) for f in publication.follow_ups] == [("reply", "published", "1861000000000000002")]
    # a second call does not post the reply again (the cassette has no third answer)
    assert connector.publish_follow_up(post, publication) == publication


@pytest.mark.vcr
def test_publish_thread_then_link(monkeypatch):
    connector = XConnector(XOptions(long_posts="thread", limit=20), env=KEYS)
    post = _post("part one. part two.", link=LINK)
    monkeypatch.setattr(XConnector, "parts", lambda self, p: ["part one 1/2", "part two 2/2"])
    publication = connector.publish_follow_up(post, connector.publish(post))
    assert [(f.kind, f.remote_id) for f in publication.follow_ups] == [
        ("thread", "1861000000000000003"), ("reply", "1861000000000000002")]


@pytest.mark.parametrize("name,kind,words", [
    ("test_publish_unauthorized", "auth", "Re-create the access token"),
    ("test_publish_forbidden_permission", "permission", "\"Read and write\", then regenerate the access token"),
    ("test_publish_duplicate", "duplicate", "already exists"),
    ("test_publish_too_long", "invalid", "too long"),
    ("test_publish_rate_limited", "rate_limited", "2026-11-18"),
    ("test_publish_server_error", "transient", "503"),
])
def test_publish_errors(name, kind, words, named_cassette):
    with named_cassette(name) as cassette:
        with pytest.raises(PublishError) as info:
            XConnector(env=KEYS).publish(_post("hello"))
        assert cassette.all_played
    assert info.value.kind == kind
    assert words in info.value.message
    if kind == "rate_limited":
        assert info.value.retry_at == 1795000000
    assert "test-secret" not in info.value.message and "test-token" not in info.value.message


def test_timeout_is_transient(monkeypatch):
    import requests

    seen = {}

    def boom(self, method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ConnectTimeout("timed out")

    monkeypatch.setattr(requests.Session, "request", boom)
    with pytest.raises(PublishError) as info:
        XConnector(XOptions(timeout=7), env=KEYS).publish(_post("hello"))
    assert info.value.kind == "transient"
    assert seen["timeout"] == 7


@pytest.mark.vcr
def test_reply_refused_is_recorded():
    connector = XConnector(env=KEYS)
    post = _post("Gradient descent is a ball rolling downhill.", link=LINK)
    publication = connector.publish_follow_up(post, connector.publish(post))
    assert publication.remote_id == "1861000000000000001"
    [follow] = publication.follow_ups
    assert (follow.kind, follow.state) == ("reply", "failed")
    assert "not allowed" in follow.error


def test_missing_keys_fail_the_follow_up_not_the_post():
    publication = Publication(remote_id="1")
    result = XConnector(env={}).publish_follow_up(_post("x", link=LINK), publication)
    assert [(f.kind, f.state) for f in result.follow_ups] == [("reply", "failed")]
    assert "X_API_KEY" in result.follow_ups[0].error


@pytest.mark.vcr
def test_find_existing_found():
    """The post, not a newer reply with the same text (the timeline holds replies too)."""
    post = _post("Learn it here & now: https://example.com/a-long-link-that-x-shortens")
    found = XConnector(env=KEYS).find_existing(post)
    assert found is not None and found.remote_id == "1861000000000000001"


@pytest.mark.vcr
def test_find_existing_long_post():
    """A long (Premium) post's `text` is cut short: the lookup reads `note_tweet.text`."""
    body = ("A long post for Premium accounts. " * 12).strip()
    found = XConnector(XOptions(long_posts="premium"), env=KEYS).find_existing(_post(body, link_policy="none"))
    assert found is not None and found.remote_id == "1861000000000000011"


@pytest.mark.vcr
def test_find_follow_up_found():
    """The link reply: a reply to this post (not to another one) with the link, t.co-shortened."""
    post = _post("Gradient descent is a ball rolling downhill.", link=LINK)
    found = XConnector(env=KEYS).find_follow_up(post, Publication(remote_id="1861000000000000001"))
    assert found is not None
    assert (found.kind, found.state, found.remote_id) == ("reply", "published", "1861000000000000002")
    assert found.url == "https://x.com/i/web/status/1861000000000000002"


@pytest.mark.vcr
def test_find_follow_up_missing():
    post = _post("Gradient descent is a ball rolling downhill.", link=LINK)
    assert XConnector(env=KEYS).find_follow_up(post, Publication(remote_id="1861000000000000001")) is None


def test_find_follow_up_asks_for_the_next_thread_part(monkeypatch):
    """After a thread part went out, the next one is looked for as a reply to it; with the
    whole thread and the link reply on record there is nothing to look for."""
    monkeypatch.setattr(XConnector, "parts", lambda self, p: ["a 1/3", "b 2/3", "c 3/3"])
    timeline = [{"id": "t3", "text": "c 3/3", "referenced_tweets": [{"type": "replied_to", "id": "t2"}]},
                {"id": "x", "text": "c 3/3", "referenced_tweets": [{"type": "replied_to", "id": "root"}]}]
    monkeypatch.setattr(XConnector, "_recent", lambda self, what: timeline)
    connector = XConnector(env=KEYS)
    post = _post("abc", link=LINK)
    done = [FollowUp(kind="thread", remote_id="t2")]
    found = connector.find_follow_up(post, Publication(remote_id="root", follow_ups=done))
    assert (found.kind, found.remote_id) == ("thread", "t3")
    assert connector.find_follow_up(post, Publication(remote_id="root")) is None  # "b 2/3" is not there
    complete = done + [FollowUp(kind="thread", remote_id="t3"), FollowUp(kind="reply", remote_id="r")]
    monkeypatch.setattr(XConnector, "_recent", lambda self, what: pytest.fail("nothing left to look for"))
    assert connector.find_follow_up(post, Publication(remote_id="root", follow_ups=complete)) is None


@pytest.mark.vcr
def test_publish_readback_same():
    """X answers with the text it stored: entities escaped, links t.co-shortened. Not a difference."""
    publication = XConnector(env=KEYS).publish(_post("Ship it & see <3 https://example.com/a-long-link-that-x-shortens",
                                                     link_policy="none"))
    assert publication.remote_id == "1861000000000000013" and publication.warnings == []


@pytest.mark.vcr
def test_publish_readback_differs():
    publication = XConnector(env=KEYS).publish(_post("Gradient descent is a ball rolling downhill.", link=LINK))
    assert publication.remote_id == "1861000000000000001"
    [warning] = publication.warnings
    assert warning.startswith("X stored a different text than was sent (from character 35: sent ' downhill.', stored ''")


@pytest.mark.vcr
def test_find_existing_not_found():
    assert XConnector(env=KEYS).find_existing(_post("Never posted")) is None


@pytest.mark.vcr
def test_check_identity():
    health = XConnector(env=KEYS).check()
    assert health.ok and health.identity == "@postgen_test"
    assert not any(m.startswith("warning:") for m in health.messages)  # OAuth 1.0a keys do not expire


@pytest.mark.vcr
def test_check_bearer_token():
    """An OAuth 2 user token works today and expires in 2 hours: doctor says so."""
    health = XConnector(env={"X_BEARER_TOKEN": "test-bearer"}).check()
    assert health.ok and health.identity == "@postgen_test"
    [warning] = [m for m in health.messages if m.startswith("warning:")]
    assert "expires 2 hours" in warning and "X_ACCESS_TOKEN_SECRET" in warning


@pytest.mark.vcr
def test_check_bad_token():
    health = XConnector(env=KEYS).check()
    assert not health.ok and "401" in health.messages[0]


def test_check_missing_names_only():
    health = XConnector(env={"X_API_KEY": "test-key"}).check()
    assert not health.ok
    assert health.missing == ["X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET"]
    assert "test-key" not in repr(health)
    assert XConnector(env={}).check().missing == list(KEYS)


def test_follow_up_keeps_published_thread_parts(monkeypatch):
    """A retried follow-up continues after the parts already posted."""
    calls = []

    def fake_tweet(self, client, user_auth, text, reply_to=None):
        calls.append((text, reply_to))
        return f"id-{len(calls)}"

    monkeypatch.setattr(XConnector, "_tweet", fake_tweet)
    monkeypatch.setattr(XConnector, "_client", lambda self: (object(), True))
    monkeypatch.setattr(XConnector, "parts", lambda self, p: ["a 1/3", "b 2/3", "c 3/3"])
    publication = Publication(remote_id="root", follow_ups=[FollowUp(kind="thread", remote_id="t2")])
    result = XConnector(env=KEYS).publish_follow_up(_post("abc", link=LINK), publication)
    assert calls == [("c 3/3", "t2"), (LINK, "root")]
    assert [f.remote_id for f in result.follow_ups] == ["t2", "id-1", "id-2"]


@pytest.mark.vcr
def test_publish_daily_cap():
    """A 429 for the 24-hour posting cap: the reset to wait for is the exhausted limit's, not the
    15-minute window's (which would have the ledger knock again every run all day)."""
    with pytest.raises(PublishError) as info:
        XConnector(env=KEYS).publish(_post("hello"))
    assert info.value.kind == "rate_limited" and info.value.retry_at == 1795080000
