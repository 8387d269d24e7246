"""LinkedIn connector: little-text escaping (property-tested), validation, Posts API cassettes."""

from __future__ import annotations

import re
import time
from datetime import date, datetime, timezone

import pytest
from conftest import recording_keys
from hypothesis import given, settings
from hypothesis import strategies as st

from postgen.connector import PublishError
from postgen.connectors import _common as common
from postgen.connectors.linkedin import (
    MENTION, RESERVED, LinkedInConnector, LinkedInOptions, _is_hashtag, escape, unescape, version_age_months,
)
from postgen.models import FollowUp, Post, Publication
from postgen.preview import format_preview, preview_to_dict

TOKEN = recording_keys({"LINKEDIN_ACCESS_TOKEN": "test-token"})
AUTHOR = "urn:li:person:782bbtaQ"
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"
TEXT = "Where AI capabilities come from (and their limits)"


@pytest.fixture(scope="module")
def vcr_config(vcr_config):
    return {**vcr_config, "match_on": ["method", "scheme", "host", "port", "path", "query", "body"]}


def _post(body: str = TEXT, **kw) -> Post:
    kw.setdefault("link", LINK)
    return Post(id="linkedin-garyvee", platform="linkedin", framework="garyvee", body=body, **kw)


def _connector(**options) -> LinkedInConnector:
    options.setdefault("author", AUTHOR)
    options.setdefault("version", "202610")  # cassettes carry this LinkedIn-Version header
    return LinkedInConnector(LinkedInOptions(**options), env=dict(TOKEN))


@pytest.mark.parametrize("text,sent", [
    ("(and their limits)", r"\(and their limits\)"),
    ("a > b * c_d ~ e | {f} [g] <h> @i", r"a \> b \* c\_d \~ e \| \{f\} \[g\] \<h\> \@i"),
    ("back\\slash", "back\\\\slash"),
    ("#hashtags stay, so does #AI and #1", "#hashtags stay, so does #AI and #1"),
    ("issue#5 and # alone", r"issue\#5 and \# alone"),
    ("hi @[Ada Lovelace](urn:li:person:abc123) (x)", r"hi @[Ada Lovelace](urn:li:person:abc123) \(x\)"),
    ("no reserved characters → ✓ 🔥", "no reserved characters → ✓ 🔥"),
])
def test_escape(text, sent):
    assert escape(text) == sent
    assert unescape(sent) == text


def _unescaped_reserved(sent: str) -> list[int]:
    """Positions of reserved characters in `sent` that are neither escaped nor hashtag/mention syntax."""
    bad = []
    mentions = [range(m.start(), m.end()) for m in MENTION.finditer(sent)]
    i = 0
    original_prev = ""
    while i < len(sent):
        if any(i in r for r in mentions):
            i += 1
            original_prev = sent[i - 1]
            continue
        ch = sent[i]
        if ch == "\\" and i + 1 < len(sent) and sent[i + 1] in RESERVED:
            original_prev = sent[i + 1]
            i += 2
            continue
        if ch in RESERVED:
            hashtag = ch == "#" and not (original_prev.isalnum() or original_prev == "_") and i + 1 < len(sent) \
                and sent[i + 1].isalnum()
            if not hashtag:
                bad.append(i)
        original_prev = ch
        i += 1
    return bad


little = st.lists(st.sampled_from(list(RESERVED) + list("ab1 _#@é\n→") + ["(x)"]), max_size=60).map("".join)
with_mentions = st.lists(st.one_of(little, st.just("@[Ada L](urn:li:person:a1B2)"), st.just("#AI")), max_size=6).map("".join)


@settings(max_examples=200, deadline=None)
@given(st.one_of(little, with_mentions, st.text(max_size=40)))
def test_escape_properties(text):
    sent = escape(text)
    assert unescape(sent) == text  # nothing lost: the person's text comes back
    assert _unescaped_reserved(sent) == []  # nothing LinkedIn would cut at
    assert escape(text) == sent  # deterministic


def test_hashtag_rule():
    assert _is_hashtag("#AI", 0) and _is_hashtag("x #AI", 2)
    assert not _is_hashtag("a#AI", 1) and not _is_hashtag("# AI", 0) and not _is_hashtag("#", 0)


def test_validate_counts_after_escaping():
    body = "(" * 1600  # 1600 characters, 3200 once escaped
    [problem] = [p for p in _connector().validate(_post(body)) if p.severity == "error"]
    assert problem.code == "too_long"
    assert problem.message == "3200 of 3000 characters (1600 before escaping reserved characters); cut 200"
    assert _connector().validate(_post("a" * 3000)) == []


def test_markdown_warns():
    problems = _connector().validate(_post("**Bold** claim\n\n# Heading\n[watch](https://x.y/z)"))
    assert [(p.severity, p.code) for p in problems] == [("warning", "markdown")]


def test_escaping_only_in_what_is_sent():
    post = _post()
    preview = _connector().preview(post)
    assert preview.parts[0]["text"] == r"Where AI capabilities come from \(and their limits\)"
    assert post.body == TEXT  # the run file's text is untouched
    assert preview.parts[1] == {"kind": "first_comment", "text": LINK}  # comments are not little text
    shown = format_preview(preview)
    assert r"\(and their limits\)" in shown and LINK in shown and "estimate" in shown
    assert preview_to_dict(preview)["parts"][0]["kind"] == "post"


def test_inline_policy_puts_link_in_commentary():
    preview = _connector().preview(_post(link_policy="inline"))
    assert [p["kind"] for p in preview.parts] == ["post"]
    assert preview.parts[0]["text"].endswith("\n\n" + LINK)


def test_options_validated():
    with pytest.raises(ValueError):
        LinkedInOptions(version="2026-10")
    with pytest.raises(ValueError):
        LinkedInOptions(author="ada")


def test_version_age():
    assert version_age_months("202610", date(2026, 11, 24)) == 1
    assert version_age_months("202501", date(2026, 11, 24)) == 22


def _months_ago(n: int) -> str:
    today = date.today()
    total = today.year * 12 + today.month - 1 - n
    return f"{total // 12}{total % 12 + 1:02d}"


@pytest.mark.parametrize("age,word", [(1, "months old"), (11, "warning"), (14, "error")])
def test_check_version_age_without_token(age, word):
    version = _months_ago(age)
    assert version_age_months(version) == age
    health = LinkedInConnector(LinkedInOptions(version=version), env={}).check()
    assert health.missing == ["LINKEDIN_ACCESS_TOKEN"] and not health.ok
    assert word in health.messages[0]
    # with the token the version alone decides: tested with the identity cassette below


@pytest.mark.vcr
def test_publish_with_first_comment():
    connector = _connector()
    post = _post()
    publication = connector.publish(post)
    assert publication.remote_id == "urn:li:share:7265000000000000001"
    assert publication.url == "https://www.linkedin.com/feed/update/urn:li:share:7265000000000000001"
    publication = connector.publish_follow_up(post, publication)
    [follow] = publication.follow_ups
    assert (follow.kind, follow.state) == ("first_comment", "published")
    assert follow.remote_id.startswith("urn:li:comment:")


@pytest.mark.vcr
def test_publish_author_from_userinfo():
    connector = LinkedInConnector(LinkedInOptions(version="202610"), env=dict(TOKEN))
    assert connector.publish(_post()).remote_id == "urn:li:share:7265000000000000001"


@pytest.mark.parametrize("name,kind,words", [
    ("test_publish_expired_token", "auth", "60 days"),
    ("test_publish_forbidden", "permission", "403"),
    ("test_publish_duplicate", "duplicate", "422 DUPLICATE_POST): Content is a duplicate of urn:li:share:"),
    ("test_publish_retired_version", "retired_version", "version = "),
    ("test_publish_too_long", "invalid", "too long (400): ShareCommentary text length (3012 characters)"),
    ("test_publish_rate_limited", "rate_limited", "429"),
    ("test_publish_server_error", "transient", "504"),
])
def test_publish_errors(name, kind, words, named_cassette):
    with named_cassette(name) as cassette:
        with pytest.raises(PublishError) as info:
            _connector().publish(_post())
        assert cassette.all_played
    assert info.value.kind == kind
    assert words in info.value.message
    assert "test-token" not in info.value.message
    if kind == "rate_limited":  # no Retry-After: LinkedIn's daily limits reset at 00:00 UTC
        assert info.value.retry_at == common.next_utc_midnight()
        assert datetime.fromtimestamp(info.value.retry_at, timezone.utc).strftime("%H:%M:%S") == "00:00:00"
        assert 0 < info.value.retry_at - time.time() <= 86400
    if kind == "duplicate":
        assert info.value.remote_id == "urn:li:share:7265000000000000000"  # the existing post, named by LinkedIn


@pytest.mark.vcr
def test_comment_refused_is_recorded():
    connector = _connector()
    post = _post()
    publication = connector.publish_follow_up(post, connector.publish(post))
    assert publication.remote_id == "urn:li:share:7265000000000000001"
    [follow] = publication.follow_ups
    assert (follow.kind, follow.state) == ("first_comment", "failed")
    assert "Not enough permissions" in follow.error


def test_timeout_is_transient_and_every_request_has_one(monkeypatch):
    import requests

    seen = {}

    def boom(self, method, url, **kwargs):
        seen.update(kwargs)
        raise requests.ReadTimeout("slow")

    monkeypatch.setattr(requests.Session, "request", boom)
    with pytest.raises(PublishError) as info:
        _connector(timeout=12).publish(_post())
    assert info.value.kind == "transient" and seen["timeout"] == 12


def test_find_existing_says_unknown():
    """A member's own posts cannot be read (r_member_social is for approved partners): a person looks."""
    with pytest.raises(PublishError) as info:
        _connector().find_existing(_post())
    assert info.value.kind == "unknown" and "recent-activity" in info.value.message
    with pytest.raises(PublishError) as info:
        _connector().find_follow_up(_post(), Publication(remote_id="urn:li:share:7265000000000000001"))
    assert info.value.kind == "unknown" and "urn:li:share:7265000000000000001" in info.value.message


ORG = "urn:li:organization:2414183"


@pytest.mark.vcr
def test_find_existing_organization():
    """A company page's posts can be read (r_organization_social): the one with the same commentary."""
    found = _connector(author=ORG).find_existing(_post())
    assert found == Publication(remote_id="urn:li:share:7265000000000000001",
                                url="https://www.linkedin.com/feed/update/urn:li:share:7265000000000000001")


@pytest.mark.vcr
def test_find_existing_organization_forbidden():
    with pytest.raises(PublishError) as info:
        _connector(author=ORG).find_existing(_post())
    assert info.value.kind == "unknown" and "r_organization_social" in info.value.message


@pytest.mark.vcr
def test_find_follow_up_organization():
    """The link comment by the page itself (a stranger's comment with the same link is not it)."""
    found = _connector(author=ORG).find_follow_up(_post(), Publication(remote_id="urn:li:share:7265000000000000001"))
    assert (found.kind, found.state) == ("first_comment", "published")
    assert found.remote_id == "urn:li:comment:(urn:li:activity:7265000000000000002,7265000000000000003)"


def test_nothing_to_look_for_once_the_comment_is_on_record():
    recorded = Publication(remote_id="urn:li:share:1", follow_ups=[FollowUp(kind="first_comment", remote_id="c")])
    assert _connector().find_follow_up(_post(), recorded) is None
    assert _connector().find_follow_up(_post(link_policy="none"), Publication(remote_id="urn:li:share:1")) is None


def test_second_pass_does_not_post_the_first_comment_again(named_cassette):
    """publish_follow_up again on a publication whose comment is on record sends nothing (the
    cassette holds one comment; a second POST would not even reach it)."""
    with named_cassette("test_publish_with_first_comment") as cassette:
        connector = _connector()
        post = _post()
        publication = connector.publish_follow_up(post, connector.publish(post))
        assert [f.state for f in publication.follow_ups] == ["published"]
        assert connector.publish_follow_up(post, publication) == publication
        assert cassette.play_count == 2 and cassette.all_played


@pytest.mark.vcr
def test_check_identity():
    """Identity, then a GET under /rest/ that carries the version: LinkedIn refusing the read
    (403) means it took the version."""
    health = _connector(version=_months_ago(1), author=None).check()
    assert health.ok and health.identity == "Postgen Test (urn:li:person:782bbtaQ)"
    assert health.messages[-1].startswith(f"LinkedIn-Version {_months_ago(1)} accepted (GET /rest/posts answered 403)")


def test_check_an_old_version_linkedin_still_accepts_is_a_warning(named_cassette):
    """The calendar says retired, LinkedIn's answer says accepted: it can publish, bump soon."""
    with named_cassette("test_check_identity"):
        health = _connector(version=_months_ago(14), author=None).check()
    assert health.ok
    assert health.messages[0].startswith(f"warning: LinkedIn-Version {_months_ago(14)} is 14 months old; LinkedIn still accepts it")


@pytest.mark.vcr
def test_check_retired_version():
    health = _connector(version="202507", author=None).check()
    assert not health.ok
    assert health.messages[-1].startswith("error: LinkedIn-Version 202507 is retired (426 NONEXISTENT_VERSION)")


def test_default_version_is_documented_and_current():
    """The default is a version LinkedIn documents (its docs' "li-lms-2026-08" view), not 202610,
    whose existence nobody checked, nor 202601, which LinkedIn sunsets on 2027-01-15."""
    assert LinkedInOptions().version == "202608"


@pytest.mark.vcr
def test_check_expired_token():
    health = _connector().check()
    assert not health.ok and any("60 days" in m for m in health.messages)


def test_registered():
    from postgen.registry import connectors

    assert connectors.get("linkedin") is LinkedInConnector and LinkedInConnector.label == "LINKEDIN"
    assert re.search(r"3000", LinkedInConnector().style())


@pytest.mark.parametrize("body", [b'["upstream error"]', b'"Bad Gateway"', b"null"])
def test_an_error_whose_json_is_not_an_object_still_maps(body):
    """A gateway's 502 with a JSON array or string body raised AttributeError, which left the post
    `publishing` and, LinkedIn having no lookup, asked a person about a post never created."""
    import requests

    response = requests.Response()
    response.status_code = 502
    response._content = body
    error = _connector()._error(response)
    assert error.kind == "transient" and "502" in error.message
