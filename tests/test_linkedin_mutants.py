"""LinkedIn connector behaviour that mutation testing (bench/mutation.py) found unchecked: how each
error answer maps to what the ledger does next, where the author and the comment URN come from,
when a refused picture is left out (and when an error stands), what the Images API is sent, how
post analytics map to readings (deleted, deferred, raised once), and what `doctor` says. LinkedIn
is faked at requests' transport adapter with answers in the shapes of the recorded cassettes
(cassettes/test_connector_linkedin/, cassettes/test_media/, cassettes/test_metrics_platforms/)."""

from __future__ import annotations

import json
import time
from datetime import date
from urllib.parse import urlsplit

import pytest

from postgen.connector import PublishError
from postgen.connectors import _common as common
from postgen.connector import Engagement, MediaFile
from postgen.connectors.linkedin import ANALYTICS_HINT, LinkedInConnector, LinkedInOptions
from postgen.models import FollowUp, Media, Post, Publication

TOKEN = {"LINKEDIN_ACCESS_TOKEN": "test-token"}
PERSON = "urn:li:person:782bbtaQ"
ORG = "urn:li:organization:2414183"
SHARE = "urn:li:share:7265000000000000001"
COMMENT = "urn:li:comment:(urn:li:activity:7265000000000000001,7265000000000000501)"
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"
DUPLICATE = {"errorDetailType": "com.linkedin.common.error.BadRequest", "status": 422,
             "message": "com.linkedin.content.common.exception.BadRequestResponseException: Content is a duplicate of "
                        "urn:li:share:7265000000000000000",
             "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected", "input": {},
                                               "code": "DUPLICATE_POST"}]}}
TOO_LONG = {"errorDetailType": "com.linkedin.common.error.BadRequest", "status": 400,
            "message": "com.linkedin.content.common.exception.BadRequestResponseException: Size of array cannot be "
                       "higher than the maxLength",
            "errorDetails": {"inputErrors": [{"description": "Size of array cannot be higher than the maxLength",
                                              "input": {}, "code": "FIELD_ARRAY_SIZE_TOO_HIGH"}]}}


def _response(request, status: int, body=None, headers: dict | None = None):
    import requests
    from requests.structures import CaseInsensitiveDict

    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(headers or {})
    response._content = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    response.encoding = "utf-8"
    response.request, response.url = request, request.url
    return response


class FakeLinkedIn:
    """Answers (status, body, headers) per "METHOD /path", in order; records every request."""

    def __init__(self, monkeypatch, answers: dict[str, list[tuple]]):
        from requests.adapters import HTTPAdapter

        self.answers = {k: list(v) for k, v in answers.items()}
        self.requests: list = []

        def send(adapter, request, **kwargs):
            # the API, and the upload URLs the Images API hands out
            assert urlsplit(request.url).netloc in ("api.linkedin.com", "www.linkedin.com"), request.url
            self.requests.append(request)
            key = f"{request.method} {urlsplit(request.url).path}"
            assert self.answers.get(key), f"unexpected {key}"
            return _response(request, *self.answers[key].pop(0))

        monkeypatch.setattr(HTTPAdapter, "send", send)

    def calls(self) -> list[str]:
        return [f"{r.method} {urlsplit(r.url).path}" for r in self.requests]


def _post(**kw) -> Post:
    kw.setdefault("link", LINK)
    return Post(id="linkedin-naval", platform="linkedin", framework="naval", body=kw.pop("body", "A post (with parens)"), **kw)


def _connector(author: str | None = PERSON, env: dict | None = None, **options) -> LinkedInConnector:
    options.setdefault("version", "202610")
    return LinkedInConnector(LinkedInOptions(author=author, **options), env=dict(TOKEN if env is None else env))


def _error(status: int, body=None, headers: dict | None = None) -> PublishError:
    import requests

    return _connector()._error(_response(requests.Request("POST", "https://api.linkedin.com/rest/posts").prepare(),
                                         status, body, headers))


# --------------------------------------------------------------------------- error answers


def test_a_duplicate_names_the_post_linkedin_has():
    error = _error(422, DUPLICATE)
    assert (error.kind, error.status) == ("duplicate", 422)
    assert error.remote_id == "urn:li:share:7265000000000000000"
    assert error.url == "https://www.linkedin.com/feed/update/urn:li:share:7265000000000000000"
    assert "BadRequestResponseException" not in error.message  # the Java prefix is noise to a person


def test_a_duplicate_that_names_no_post_has_no_url():
    body = {**DUPLICATE, "message": "Content is a duplicate"}
    error = _error(422, body)
    assert error.kind == "duplicate" and error.remote_id is None and error.url is None


def test_a_duplicate_is_read_from_the_error_codes():
    """Only `errorDetails.inputErrors[].code` says DUPLICATE_POST (the text around it differs)."""
    error = _connector()._error(_FakeAnswer(422, {"status": 422, "message": "Content is a duplicate of urn:li:share:5",
                                                  "errorDetails": {"inputErrors": [{"code": "DUPLICATE_POST"}]}}))
    assert error.kind == "duplicate" and error.remote_id == "urn:li:share:5"


class _FakeAnswer:
    """A response whose raw text does not repeat its codes (a gateway that re-wraps JSON)."""

    def __init__(self, status: int, data, headers: dict | None = None):
        self.status_code, self._data, self.headers, self.text = status, data, headers or {}, "(re-encoded)"

    def json(self):
        return self._data


def test_too_long_is_read_from_the_error_code_when_the_message_does_not_say_length():
    error = _connector()._error(_FakeAnswer(400, TOO_LONG))
    assert (error.kind, error.status) == ("invalid", 400)
    assert "postgen validate" in error.message and "3000 characters after escaping" in error.message


def test_a_retired_version_is_read_from_the_code_in_any_answer():
    error = _connector()._error(_FakeAnswer(400, {"status": 400, "code": "NONEXISTENT_VERSION",
                                                  "message": "Requested version 20231001 is not active"}))
    assert error.kind == "retired_version" and 'version = "YYYYMM"' in error.message


@pytest.mark.parametrize("text,kind", [("ERROR :: /commentary :: DUPLICATE_POST", "duplicate"),
                                       ("NONEXISTENT_VERSION: version 202301 is not active", "retired_version")])
def test_a_code_named_only_in_the_answers_text_counts(text, kind):
    answer = _FakeAnswer(400, {"status": 400, "message": "see text"})
    answer.text = text
    assert _connector()._error(answer).kind == kind


def test_codes_without_an_error_details_object_are_ignored():
    for data in ({"errorDetails": ["x"]}, {"errorDetails": {"inputErrors": [{"code": ""}, "x", {"code": None}]}}):
        assert _connector()._error(_FakeAnswer(400, data)).kind == "invalid"


def test_retry_after_in_seconds_is_used_when_linkedin_sends_it():
    error = _error(429, {"status": 429, "message": "Too Many Requests"}, {"Retry-After": "120"})
    assert error.kind == "rate_limited"
    assert 110 <= error.retry_at - time.time() <= 121
    assert "LinkedIn" in error.message


def test_an_http_date_retry_after_falls_back_to_midnight_for_a_429_only():
    assert _error(429, {"message": "x"}, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}).retry_at == common.next_utc_midnight()
    assert _error(503, {"message": "x"}).retry_at is None


def test_an_unreachable_linkedin_is_named_in_the_message(monkeypatch):
    import requests

    monkeypatch.setattr(requests.Session, "request", lambda *a, **k: (_ for _ in ()).throw(requests.ConnectTimeout("slow")))
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert "LinkedIn" in info.value.message


def test_no_token_says_which_variable_and_how_to_get_one():
    with pytest.raises(PublishError) as info:
        _connector(env={}).publish(_post())
    assert info.value.kind == "auth"
    assert info.value.message.startswith("LINKEDIN_ACCESS_TOKEN is not set. ") and "60 days" in info.value.message


# --------------------------------------------------------------------------- publishing


def test_the_author_comes_from_linkedin_author_without_asking_linkedin(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"POST /rest/posts": [(201, None, {"x-restli-id": SHARE})]})
    _connector(author=None, env={**TOKEN, "LINKEDIN_AUTHOR": ORG}).publish(_post())
    assert fake.calls() == ["POST /rest/posts"]
    assert json.loads(fake.requests[0].body)["author"] == ORG


def test_every_call_carries_the_token_version_and_protocol(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ"})],
                                      "POST /rest/posts": [(201, None, {"x-restli-id": SHARE})]})
    publication = _connector(author=None).publish(_post())
    assert publication.url == f"https://www.linkedin.com/feed/update/{SHARE}" and publication.published_at
    for request in fake.requests:
        assert request.headers["Authorization"] == "Bearer test-token"
        assert request.headers["LinkedIn-Version"] == "202610"
        assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    body = json.loads(fake.requests[1].body)
    assert body["author"] == PERSON and body["commentary"] == r"A post \(with parens\)"


def test_a_201_without_the_post_urn_is_an_unknown_outcome(monkeypatch):
    FakeLinkedIn(monkeypatch, {"POST /rest/posts": [(201, None, {})]})
    with pytest.raises(PublishError) as info:
        _connector().publish(_post())
    assert info.value.kind == "unknown"
    assert info.value.message == "LinkedIn answered 201 without the post URN (x-restli-id); check the feed"


@pytest.mark.parametrize("answer,urn", [
    ((201, {"commentUrn": "ignored"}, {"x-restli-id": COMMENT}), COMMENT),
    ((201, {"commentUrn": COMMENT, "$URN": "urn:other"}, {}), COMMENT),
    ((201, {"$URN": COMMENT}, {}), COMMENT),
    ((201, b"not json", {}), None),
])
def test_the_comment_urn_comes_from_the_header_or_the_body(monkeypatch, answer, urn):
    fake = FakeLinkedIn(monkeypatch, {"POST /rest/socialActions/urn%3Ali%3Ashare%3A7265000000000000001/comments": [answer]})
    result = _connector().publish_follow_up(_post(), Publication(remote_id=SHARE))
    [follow] = result.follow_ups
    assert (follow.kind, follow.state, follow.remote_id) == ("first_comment", "published", urn)
    assert follow.url == f"https://www.linkedin.com/feed/update/{SHARE}"
    assert json.loads(fake.requests[0].body) == {"actor": PERSON, "object": SHARE, "message": {"text": LINK}}


def test_a_comment_that_goes_out_replaces_the_failed_one(monkeypatch):
    FakeLinkedIn(monkeypatch, {"POST /rest/socialActions/urn%3Ali%3Ashare%3A7265000000000000001/comments":
                               [(201, None, {"x-restli-id": COMMENT})]})
    earlier = Publication(remote_id=SHARE, follow_ups=[FollowUp(kind="first_comment", state="failed", error="500"),
                                                       FollowUp(kind="thread", remote_id="t")])
    result = _connector().publish_follow_up(_post(), earlier)
    assert [(f.kind, f.state) for f in result.follow_ups] == [("thread", "published"), ("first_comment", "published")]


def test_no_link_means_no_comment(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {})
    publication = Publication(remote_id=SHARE)
    assert _connector().publish_follow_up(_post(link=None), publication) == publication
    assert fake.requests == []


# --------------------------------------------------------------------------- lookups (company pages)


@pytest.mark.parametrize("element,urn", [
    ({"actor": ORG, "message": {"text": LINK}, "commentUrn": COMMENT, "$URN": "b", "id": "c"}, COMMENT),
    ({"actor": ORG, "message": {"text": LINK}, "$URN": COMMENT, "id": "c"}, COMMENT),
    ({"actor": ORG, "message": {"text": f" {LINK}\n"}, "id": "123"}, "123"),
    ({"actor": ORG, "message": {"text": LINK}}, None),
])
def test_the_link_comment_is_found_by_its_page_and_text(monkeypatch, element, urn):
    path = "GET /rest/socialActions/urn%3Ali%3Ashare%3A7265000000000000001/comments"
    FakeLinkedIn(monkeypatch, {path: [(200, {"elements": [{"actor": "urn:li:person:x", "message": {"text": LINK}, "id": "no"},
                                                          element]})]})
    found = _connector(author=ORG).find_follow_up(_post(), Publication(remote_id=SHARE))
    assert (found.kind, found.remote_id) == ("first_comment", urn)
    assert found.url == f"https://www.linkedin.com/feed/update/{SHARE}"


def test_a_members_comments_cannot_be_read_and_the_message_says_where_to_look():
    with pytest.raises(PublishError) as info:
        _connector().find_follow_up(_post(), Publication(remote_id=SHARE))
    assert info.value.kind == "unknown"
    assert info.value.message.startswith("LinkedIn does not let apps read a member's comments")
    assert f"https://www.linkedin.com/feed/update/{SHARE}" in info.value.message


def test_a_member_is_told_to_look_at_their_activity_and_decide():
    with pytest.raises(PublishError) as info:
        _connector().find_existing(_post())
    assert "record or retry by hand" in info.value.message


def test_a_page_lookup_linkedin_refuses_names_the_post_and_the_scope(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /rest/posts": [(403, {"status": 403, "code": "ACCESS_DENIED",
                                                          "message": "Not enough permissions to access: GET /rest/posts"})]})
    with pytest.raises(PublishError) as info:
        _connector(author=ORG).find_existing(_post())
    assert info.value.kind == "unknown"
    assert info.value.message.startswith("cannot tell whether linkedin-naval is on LinkedIn: LinkedIn forbids this (403)")
    assert info.value.message.endswith("The token needs the r_organization_social scope (and the member a role on the page).")


def test_the_organization_from_the_environment_is_the_one_looked_up(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"GET /rest/posts": [(200, {"elements": [{"id": SHARE, "commentary": r"A post \(with parens\)"}]})]})
    found = _connector(author=None, env={**TOKEN, "LINKEDIN_AUTHOR": ORG}).find_existing(_post())
    assert found.remote_id == SHARE
    assert "author=urn%3Ali%3Aorganization%3A2414183" in fake.requests[0].url


# --------------------------------------------------------------------------- preview, validate, style


def test_preview_counts_the_escaped_commentary_and_shows_the_comment():
    preview = _connector().preview(_post())
    assert preview.platform == "linkedin" and preview.post_id == "linkedin-naval"
    assert preview.parts[0] == {"kind": "post", "text": r"A post \(with parens\)", "characters": 22, "limit": 3000}
    assert preview.parts[1] == {"kind": "first_comment", "text": LINK}
    assert preview.estimated_cost_usd == 0.0
    assert any("LinkedIn-Version 202610" in n for n in preview.notes)
    assert any("personal accounts" in n for n in preview.notes)
    assert len(_connector().preview(_post(link=None)).notes) == 1


def test_too_long_mentions_escaping_only_when_escaping_made_it_longer():
    [plain] = _connector().validate(_post(body="a" * 3001))
    assert plain.message == "3001 of 3000 characters; cut 1"
    [escaped] = _connector().validate(_post(body="(" * 1501))
    assert escaped.message == "3002 of 3000 characters (1501 before escaping reserved characters); cut 2"


def test_validate_says_what_is_wrong_in_words():
    [empty] = _connector().validate(_post(body="  "))
    assert (empty.code, empty.message) == ("empty", "the post is empty")
    [no_link] = _connector().validate(_post(link=None))
    assert no_link.code == "no_link" and no_link.message.endswith("no first comment will be posted")


def test_style_tells_the_generator_the_rules():
    style = _connector().style()
    assert "3000 characters" in style and "markdown is not rendered" in style
    assert style.endswith("The video link goes in the first comment, not the post.")
    assert "first comment" not in _connector(link_policy="inline").style()


# --------------------------------------------------------------------------- doctor


def _months_ago(n: int) -> str:
    today = date.today()
    total = today.year * 12 + today.month - 1 - n
    return f"{total // 12}{total % 12 + 1:02d}"


@pytest.mark.parametrize("age,ok,first", [(10, True, "LinkedIn-Version"), (11, True, "warning:"), (12, True, "warning:"),
                                          (13, False, "error:")])
def test_the_version_age_boundaries(age, ok, first):
    health = LinkedInConnector(LinkedInOptions(version=_months_ago(age)), env={}).check()
    assert health.messages[0].startswith(first)
    assert health.ok is False  # no token
    if not ok:
        assert health.messages[0].endswith("probably retired (426 NONEXISTENT_VERSION): bump version in [platforms.linkedin]")


def test_doctor_with_a_token_linkedin_refuses_is_not_ok(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(401, {"status": 401, "code": "REVOKED_ACCESS_TOKEN",
                                                           "message": "The token used in the request has been revoked"})]})
    health = _connector(author=None).check()
    assert health.ok is False and "revoked" in health.messages[-1]


def test_doctor_names_the_member_and_confirms_the_version_with_their_urn(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ"})],
                                      "GET /rest/posts": [(200, {"elements": []})]})
    health = _connector(author=None, version=_months_ago(1)).check()
    assert health.ok and health.identity == "? (urn:li:person:782bbtaQ)"
    assert "author=urn%3Ali%3Aperson%3A782bbtaQ" in fake.requests[1].url
    assert health.messages[-1] == f"LinkedIn-Version {_months_ago(1)} accepted"


def test_doctor_confirms_with_the_page_from_the_environment(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ", "name": "Ada"})],
                                      "GET /rest/posts": [(200, {"elements": []})]})
    health = _connector(author=None, env={**TOKEN, "LINKEDIN_AUTHOR": ORG}).check()
    assert "author=urn%3Ali%3Aorganization%3A2414183" in fake.requests[1].url
    assert health.messages[-1].endswith("; the page's posts can be looked up after a crash")


def test_a_recent_version_is_not_reworded_when_linkedin_accepts_it(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ"})], "GET /rest/posts": [(200, {})]})
    health = _connector(author=None, version=_months_ago(2)).check()
    assert health.messages[0] == f"LinkedIn-Version {_months_ago(2)} (2 months old)"


def test_a_version_check_linkedin_cannot_answer_now_is_a_warning_not_a_failure(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ"})],
                               "GET /rest/posts": [(504, {"status": 504, "message": "Gateway Timeout"})]})
    health = _connector(author=None, version=_months_ago(2)).check()
    assert health.ok is True
    assert health.messages[-1].startswith(f"warning: could not confirm LinkedIn-Version {_months_ago(2)}: LinkedIn server error (504)")


def test_a_version_linkedin_refuses_is_not_ok_whatever_its_age(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ"})],
                               "GET /rest/posts": [(426, {"status": 426, "code": "NONEXISTENT_VERSION", "message": "x"})]})
    health = _connector(author=None, version=_months_ago(2)).check()
    assert health.ok is False and health.messages[-1].startswith("error: LinkedIn-Version")


def test_doctor_tells_a_page_whose_posts_cannot_be_read_which_scope_to_add(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /v2/userinfo": [(200, {"sub": "782bbtaQ"})],
                               "GET /rest/posts": [(403, {"status": 403, "code": "ACCESS_DENIED", "message": "no"})]})
    health = _connector(author=ORG, version=_months_ago(2)).check()
    assert health.ok is True
    assert health.messages[-1] == (f"LinkedIn-Version {_months_ago(2)} accepted (GET /rest/posts answered 403); the page's "
                                   "posts cannot be read, so after a crash postgen asks you instead of looking: add the "
                                   "r_organization_social scope")


def test_an_ageing_version_warns_to_bump_it_soon():
    health = LinkedInConnector(LinkedInOptions(version=_months_ago(11)), env={}).check()
    assert health.messages[0] == (f"warning: LinkedIn-Version {_months_ago(11)} is 11 months old; LinkedIn retires versions "
                                  "after about a year: bump version in [platforms.linkedin] soon")


# --------------------------------------------------------------------------- pictures

IMAGE = "urn:li:image:D4E10AQFoyyAjHPMQuQ"
UPLOAD = "https://www.linkedin.com/dms-uploads/sp/v2/D4E10AQFoyyAjHPMQuQ/uploaded-image/0"


def _with_picture(**kw) -> Post:
    media = Media(sources=["thumb.jpg"], alt="Where AI capabilities come from", state="uploaded", remote_id=IMAGE)
    return _post(media=media, **kw)


def test_a_picture_is_initialized_for_the_author_and_its_bytes_put_to_the_upload_url(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"POST /rest/images": [(200, {"value": {"uploadUrl": UPLOAD, "image": IMAGE}})],
                                      "PUT /dms-uploads/sp/v2/D4E10AQFoyyAjHPMQuQ/uploaded-image/0": [(201, None)]})
    uploaded = _connector().upload_media(_post(), MediaFile(data=b"\x89PNG", mime_type="image/png", alt="a title"))
    assert uploaded.remote_id == IMAGE and uploaded.expires_at is None
    init, put = fake.requests
    assert init.url == "https://api.linkedin.com/rest/images?action=initializeUpload"
    assert json.loads(init.body) == {"initializeUploadRequest": {"owner": PERSON}}
    assert (put.method, put.url, put.body, put.headers["Content-Type"]) == ("PUT", UPLOAD, b"\x89PNG", "image/png")


@pytest.mark.parametrize("answer,error", [({"value": {"image": IMAGE}}, "KeyError"), (b"<html>", "JSONDecodeError"),
                                          ({"value": None}, "TypeError")])
def test_an_initialize_answer_without_an_upload_url_is_an_unknown_outcome(monkeypatch, answer, error):
    FakeLinkedIn(monkeypatch, {"POST /rest/images": [(200, answer)]})
    with pytest.raises(PublishError) as info:
        _connector().upload_media(_post(), MediaFile(data=b"x", mime_type="image/png", alt="a"))
    assert info.value.kind == "unknown"
    assert info.value.message == f"LinkedIn's initializeUpload answer has no uploadUrl and image ({error})"


def test_the_picture_goes_with_the_post_and_its_alt_text(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {"POST /rest/posts": [(201, None, {"x-restli-id": SHARE})]})
    publication = _connector().publish(_with_picture())
    assert publication.warnings == []
    body = json.loads(fake.requests[0].body)
    assert body["content"] == {"media": {"altText": "Where AI capabilities come from", "id": IMAGE}}


def test_a_refused_picture_is_left_out_and_the_post_goes_with_a_warning(monkeypatch):
    refused = (400, {"status": 400, "message": "Invalid image urn:li:image:D4E10AQFoyyAjHPMQuQ"})
    fake = FakeLinkedIn(monkeypatch, {"POST /rest/posts": [refused, (201, None, {"x-restli-id": SHARE})]})
    publication = _connector().publish(_with_picture())
    assert publication.remote_id == SHARE
    assert fake.calls() == ["POST /rest/posts", "POST /rest/posts"]
    first, second = (json.loads(r.body) for r in fake.requests)
    assert "content" in first and "content" not in second
    assert second["commentary"] == first["commentary"] and second["author"] == PERSON
    assert publication.warnings == ["posted without the picture: LinkedIn refused the post (400): Invalid image "
                                    "urn:li:image:D4E10AQFoyyAjHPMQuQ. Fix the text ('postgen validate') and publish again."]


@pytest.mark.parametrize("post,answer,kind", [
    (_with_picture(), (503, {"status": 503, "message": "Service Unavailable"}), "transient"),  # not about the picture
    (_with_picture(), (403, {"status": 403, "message": "Not enough permissions to post an image"}), "permission"),
    (_post(), (400, {"status": 400, "message": "Invalid image"}), "invalid"),  # no picture to leave out
])
def test_only_a_refused_picture_is_left_out_other_errors_stand(monkeypatch, post, answer, kind):
    fake = FakeLinkedIn(monkeypatch, {"POST /rest/posts": [answer, (201, None, {"x-restli-id": SHARE})]})
    with pytest.raises(PublishError) as info:
        _connector().publish(post)
    assert info.value.kind == kind
    assert fake.calls() == ["POST /rest/posts"]


# --------------------------------------------------------------------------- metrics

ANALYTICS_PATH = "GET /rest/memberCreatorPostAnalytics"


def _reading(n: int | None):
    return (200, {"elements": [] if n is None else [{"count": n, "metricType": {"com.linkedin.adsexternalapi.memberanalytics"
                                                                                ".v1.CreatorPostAnalyticsMetricTypeV1": "X"}}]})


def test_a_post_linkedin_no_longer_has_reads_as_deleted(monkeypatch):
    FakeLinkedIn(monkeypatch, {ANALYTICS_PATH: [(404, {"status": 404, "message": "Not found"})]})
    assert _connector().metrics([Publication(remote_id=SHARE)]) == {SHARE: Engagement(deleted=True)}


def test_missing_analytics_permission_says_how_to_get_it_and_keeps_the_403(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {ANALYTICS_PATH: [(403, {"status": 403, "message": "Not enough permissions"})]})
    with pytest.raises(PublishError) as info:
        _connector().metrics([Publication(remote_id=SHARE), Publication(remote_id="urn:li:share:2")])
    assert (info.value.kind, info.value.status) == ("permission", 403)
    assert info.value.message.startswith(ANALYTICS_HINT + " (LinkedIn forbids this (403): Not enough permissions.")
    assert len(fake.requests) == 1


def test_an_expired_token_on_the_first_post_stops_the_reading(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {ANALYTICS_PATH: [(401, {"status": 401, "message": "Expired"})] * 8})
    with pytest.raises(PublishError) as info:
        _connector().metrics([Publication(remote_id=SHARE), Publication(remote_id="urn:li:share:2")])
    assert info.value.kind == "auth" and "60 days" in info.value.message
    assert len(fake.requests) == 1


def test_a_server_error_on_the_first_post_defers_every_post(monkeypatch):
    fake = FakeLinkedIn(monkeypatch, {ANALYTICS_PATH: [(500, {"status": 500, "message": "boom"})] * 8})
    out = _connector().metrics([Publication(remote_id=SHARE), Publication(remote_id="urn:li:share:2")])
    assert [(urn, e.kind) for urn, e in out.items()] == [(SHARE, "transient"), ("urn:li:share:2", "transient")]
    assert len(fake.requests) == 1


def test_analytics_that_are_not_json_are_transient(monkeypatch):
    FakeLinkedIn(monkeypatch, {ANALYTICS_PATH: [(200, b"<html>maintenance</html>")]})
    out = _connector().metrics([Publication(remote_id=SHARE)])
    assert out[SHARE].kind == "transient"
    assert out[SHARE].message == "LinkedIn analytics answered with something that is not JSON"


def test_only_an_integer_count_is_a_reading(monkeypatch):
    odd = (200, {"elements": ["x", {"count": "12"}, {"metricType": "IMPRESSION"}, {"count": 2140}]})
    fake = FakeLinkedIn(monkeypatch, {ANALYTICS_PATH: [odd, _reading(61), _reading(None), _reading(3)]})
    out = _connector().metrics([Publication(remote_id=SHARE)])
    assert out[SHARE] == Engagement(engagements=64, impressions=2140, counts={"impression": 2140, "reaction": 61, "reshare": 3})
    assert [r.url.split("&queryType=")[1] for r in fake.requests] == [
        "IMPRESSION&aggregation=TOTAL", "REACTION&aggregation=TOTAL", "COMMENT&aggregation=TOTAL", "RESHARE&aggregation=TOTAL"]
    assert "entity=(share:urn%3Ali%3Ashare%3A7265000000000000001)" in fake.requests[0].url


# --------------------------------------------------------------------------- held-out sample (seed 12)


def test_style_is_the_exact_prompt_for_each_link_policy():
    rules = ('LinkedIn. Up to 3000 characters; the first two lines show before "see more", so the hook goes there. '
             "Plain text: markdown is not rendered (no **bold**, no # headings, no [text](url)). "
             "Line breaks and emoji are fine. 3-5 #hashtags at the end at most.")
    assert _connector().style() == rules + " The video link goes in the first comment, not the post."
    assert _connector(link_policy="inline").style() == rules


def test_preview_notes_say_the_version_escaping_and_that_a_comment_may_be_refused():
    assert _connector().preview(_post()).notes == [
        "LinkedIn-Version 202610; reserved characters are backslash-escaped in what is sent",
        "comments through the API may be refused for personal accounts; a refusal is recorded, the post stays"]


def test_a_member_is_told_exactly_why_and_where_to_look_for_their_post():
    with pytest.raises(PublishError) as info:
        _connector().find_existing(_post())
    assert info.value.kind == "unknown"
    assert info.value.message == ("LinkedIn does not let apps read a member's own posts (r_member_social is for approved "
                                  "partners): look at https://www.linkedin.com/in/me/recent-activity/all/ and record "
                                  "or retry by hand")


def test_a_lookup_answer_that_is_not_json_leaves_the_post_unknown(monkeypatch):
    FakeLinkedIn(monkeypatch, {"GET /rest/posts": [(200, b"<html>gateway</html>")]})
    with pytest.raises(PublishError) as info:
        _connector(author=ORG).find_existing(_post())
    assert info.value.kind == "unknown"
    assert info.value.message == "cannot tell whether linkedin-naval is on LinkedIn: its answer was not JSON"
