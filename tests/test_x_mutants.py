"""X connector behaviour that mutation testing (bench/mutation.py) found unchecked: threads that
must cut a word or keep a paragraph break, the fewest parts that fit, errors and resets, thread
follow-ups that must keep what already went out, what the lookups return, doctor's answers, the
picture (its upload, the post that goes without it) and what a preview costs. X is faked at
requests' transport adapter, in the shapes of the recorded cassettes (cassettes/test_connector_x/)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from postgen.connector import PublishError
from postgen.connectors.x import XConnector, XOptions, _reset, split_thread, strip_number, weighted_length
from postgen.models import FollowUp, Post, Publication

KEYS = {"X_API_KEY": "test-key", "X_API_SECRET": "test-secret", "X_ACCESS_TOKEN": "test-token",
        "X_ACCESS_TOKEN_SECRET": "test-token-secret"}
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"


def _post(body: str, **kw) -> Post:
    kw.setdefault("link", LINK)
    return Post(id="x-naval", platform="x", framework="naval", body=body, **kw)


def _response(request, status: int, body=None, headers: dict | None = None):
    import requests
    from requests.structures import CaseInsensitiveDict

    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json", **(headers or {})})
    response._content = json.dumps(body).encode() if body is not None else b""
    response.encoding = "utf-8"
    response.request, response.url = request, request.url
    return response


class FakeX:
    """POST /2/tweets answers from `errors` first (status, body, headers), then creates; GET
    /2/users/me and /2/users/:id/tweets (newest first) answer from what was created."""

    def __init__(self, monkeypatch, timeline: list[dict] | None = None):
        from requests.adapters import HTTPAdapter

        self.errors: list[tuple] = []
        self.me_error: tuple | None = None  # (status, body) for GET /2/users/me
        self.upload: dict = {"id": "1880028106020515840", "media_key": "3_1880028106020515840"}
        self.created: list[dict] = []
        self.timeline = timeline
        self.requests: list = []
        self.timeouts: list = []
        self.stored: dict[str, str] = {}  # sent text -> the text X says it stored

        def send(adapter, request, **kwargs):
            assert urlsplit(request.url).netloc == "api.twitter.com", request.url
            self.requests.append(request)
            self.timeouts.append(kwargs.get("timeout"))
            return self.handle(request)

        monkeypatch.setattr(HTTPAdapter, "send", send)

    def handle(self, request):
        url = urlsplit(request.url)
        if request.method == "POST" and url.path == "/2/tweets":
            if self.errors:
                return _response(request, *self.errors.pop(0))
            body = json.loads(request.body)
            tweet = {"id": str(1861000000000000001 + len(self.created)), "text": self.stored.get(body["text"], body["text"]),
                     "edit_history_tweet_ids": []}
            if body.get("media"):  # X ends a post with a picture with the picture's own t.co link
                tweet["text"] += " https://t.co/Pic7Ur3Lnk"
            if body.get("reply"):
                tweet["referenced_tweets"] = [{"type": "replied_to", "id": body["reply"]["in_reply_to_tweet_id"]}]
            self.created.append(tweet)
            return _response(request, 201, {"data": {k: v for k, v in tweet.items() if k != "referenced_tweets"}})
        if request.method == "POST" and url.path == "/2/media/upload":
            return _response(request, 200, {"data": self.upload})
        if request.method == "POST" and url.path == "/2/media/metadata":
            return _response(request, 200, {"data": {"associated_metadata": True}})
        if request.method == "GET" and url.path == "/2/tweets":  # metrics: the created posts, the rest not found
            ids = parse_qs(url.query)["ids"][0].split(",")
            found = [{"id": t["id"], "text": t["text"], "edit_history_tweet_ids": [t["id"]],
                      "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0,
                                         "bookmark_count": 1, "impression_count": 40}}
                     for t in self.created if t["id"] in ids]
            gone = [{"value": i, "detail": f"Could not find tweet with ids: [{i}].", "title": "Not Found Error",
                     "resource_type": "tweet", "parameter": "ids", "resource_id": i,
                     "type": "https://api.twitter.com/2/problems/resource-not-found"}
                    for i in ids if i not in {t["id"] for t in found}]
            return _response(request, 200, {"data": found, **({"errors": gone} if gone else {})})
        if url.path == "/2/users/me":
            if self.me_error:
                return _response(request, *self.me_error)
            return _response(request, 200, {"data": {"id": "2244994945", "name": "Postgen Test", "username": "postgen_test"}})
        if url.path == "/2/users/2244994945/tweets":
            assert "note_tweet" in parse_qs(url.query)["tweet.fields"][0]
            data = self.timeline if self.timeline is not None else list(reversed(self.created))
            return _response(request, 200, {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {}})
        raise AssertionError(f"unexpected {request.method} {url.path}")

    def replies_to(self, tweet_id: str) -> list[str]:
        return [t["text"] for t in self.created if t.get("referenced_tweets", [{}])[0].get("id") == tweet_id]


# --------------------------------------------------------------------------- threads


def test_a_word_longer_than_a_part_is_cut_and_nothing_is_lost():
    word = "a" * 601
    parts = split_thread(word, 280)
    assert parts == [word[:276] + " 1/3", word[276:552] + " 2/3", word[552:] + " 3/3"]


def test_a_long_word_amid_sentences_keeps_its_neighbours_whole():
    text = "Short start. " + "b" * 300 + " and the end.\n\nNext paragraph."
    parts = [strip_number(p) for p in split_thread(text, 280)]
    assert all(weighted_length(p) <= 276 for p in parts)
    assert "".join(parts).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert parts[0] == "Short start."  # the long word does not fit beside it
    assert parts[-1].endswith("and the end.\n\nNext paragraph.")  # the paragraph break survives


def test_a_long_sentence_is_split_at_spaces_not_at_its_paragraph_break():
    sentence = " ".join(f"word{i:02d}" for i in range(60))  # 419 characters, no sentence break
    parts = [strip_number(p) for p in split_thread(sentence + "\n\nAfter.", 280)]
    assert "\n" not in parts[0] and parts[0].startswith("word00 word01 ")
    assert " ".join(parts).split() == (sentence + " After.").split()


def test_paragraph_breaks_inside_a_part_are_kept():
    text = ("First paragraph has one sentence.\n\nSecond one too.\nA line after it. " * 6).strip()
    parts = split_thread(text, 280)
    assert len(parts) > 1
    assert "sentence.\n\nSecond one too.\nA line" in parts[0]


def test_as_few_parts_as_fit_with_two_digit_numbers():
    """60 sentences of 54 characters: five fit a part under " 12/12" (274 of 280): 12 parts."""
    sentence = "Sentence {:02d} says one clear thing about the talks here."
    assert len(sentence.format(0)) == 54
    parts = split_thread(" ".join(sentence.format(i) for i in range(60)), 280)
    assert len(parts) == 12 and parts[-1].endswith(" 12/12")
    assert all(weighted_length(p) <= 280 for p in parts)


def test_a_two_part_thread_needs_a_follow_up_whatever_the_link_policy():
    connector = XConnector(XOptions(long_posts="thread"), env=KEYS)
    post = _post("One sentence here. " * 10 + "x" * 100, link_policy="none")
    assert len(connector.parts(post)) == 2
    assert connector.needs_follow_up(post)
    assert not connector.needs_follow_up(_post("short", link_policy="none"))


def test_thread_parts_over_the_limit_are_an_error():
    """A limit so small that one emoji (weight 2) and its number do not fit."""
    [problem] = XConnector(XOptions(limit=5, long_posts="thread"), env=KEYS).validate(_post("🔥🔥🔥", link_policy="none"))
    assert (problem.severity, problem.code) == ("error", "too_long")
    assert problem.message.startswith("thread parts [1, 2, 3] are over 5 weighted characters")


def test_validate_names_each_problem():
    connector = XConnector(XOptions(limit=20), env=KEYS)
    problems = connector.validate(_post("ok \ufeff", link="https://example.com/" + "a" * 40))
    assert [(p.severity, p.code) for p in problems] == [("error", "invalid_character"), ("error", "link_too_long")]
    assert problems[1].message == "the link reply is too long for X"


# --------------------------------------------------------------------------- preview and style


def test_style_says_where_the_link_goes():
    style = XConnector(env=KEYS).style()
    assert "every URL counts 23 whatever its length." in style
    assert style.endswith("Do not put the video link in the post unless told: it goes in a reply to the post.")
    assert XConnector(XOptions(link_policy="inline"), env=KEYS).style().endswith("unless told: see the link policy.")


def test_preview_warns_that_a_reply_may_be_refused_only_when_there_is_one():
    assert any("may refuse replies" in n for n in XConnector(env=KEYS).preview(_post("hi")).notes)
    assert len(XConnector(env=KEYS).preview(_post("hi", link=None)).notes) == 1


# --------------------------------------------------------------------------- errors


def test_a_429_without_an_exhausted_limit_waits_for_the_window():
    headers = {"x-rate-limit-remaining": "3", "x-rate-limit-reset": "1795000000",
               "x-user-limit-24hour-remaining": "5", "x-user-limit-24hour-reset": "1795080000"}
    assert _reset(headers) == 1795000000
    assert _reset({}) is None
    assert _reset({"x-rate-limit-remaining": "0", "x-rate-limit-reset": "soon"}) is None


@pytest.mark.parametrize("status,body,kind,says", [
    (403, {"title": "Forbidden", "status": 403, "type": "https://api.twitter.com/2/problems/oauth1-permissions",
           "detail": "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."},
     "permission", "regenerate the access token"),
    (400, {"title": "Invalid Request", "detail": "Tweet text is too long.", "status": 400}, "invalid", "too long (400)"),
    (400, {"title": "Invalid Request", "detail": "Tweet needs a LENGTH under 280", "status": 400}, "invalid", "too long (400)"),
    (400, {"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.", "status": 400},
     "invalid", "X refused the post (400)"),
    (401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"}, "auth", "update the X_* env vars."),
])
def test_x_answers_map_to_what_happens_next(monkeypatch, status, body, kind, says):
    fake = FakeX(monkeypatch)
    fake.errors.append((status, body))
    with pytest.raises(PublishError) as info:
        XConnector(env=KEYS).publish(_post("hello"))
    assert (info.value.kind, info.value.status) == (kind, status)
    assert says in info.value.message


def test_a_problem_answer_that_is_not_an_object_has_no_type():
    import requests

    from postgen.connectors.x import _problem_type

    response = requests.Response()
    response._content = b'["upstream error"]'
    assert _problem_type(response) == ""
    response._content = b"<html>"
    assert _problem_type(response) == ""


def test_missing_keys_are_an_auth_error_naming_them():
    with pytest.raises(PublishError) as info:
        XConnector(env={"X_API_KEY": "k"}).publish(_post("hello"))
    assert info.value.kind == "auth" and "set X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET" in info.value.message


def test_an_unreadable_answer_may_have_landed(monkeypatch):
    from requests.adapters import HTTPAdapter

    monkeypatch.setattr(HTTPAdapter, "send", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("half an answer")))
    with pytest.raises(PublishError) as info:
        XConnector(env=KEYS).publish(_post("hello"))
    assert info.value.kind == "unknown"
    assert info.value.message.endswith("the post may be there, postgen looks before trying again")


def test_a_network_failure_names_x(monkeypatch):
    import requests

    monkeypatch.setattr(requests.Session, "request", lambda *a, **k: (_ for _ in ()).throw(requests.ReadTimeout("slow")))
    with pytest.raises(PublishError) as info:
        XConnector(env=KEYS).publish(_post("hello"))
    assert info.value.message.startswith("X did not answer in time")


# --------------------------------------------------------------------------- follow-ups


def test_thread_parts_and_the_link_reply_are_recorded_with_where_and_when(monkeypatch):
    fake = FakeX(monkeypatch)
    connector = XConnector(XOptions(long_posts="thread"), env=KEYS)
    post = _post(("One sentence here. " * 20).strip())
    published = connector.publish(post)
    assert published.published_at is not None  # the connector says when, not only the ledger
    publication = connector.publish_follow_up(post, published)
    kinds = [(f.kind, f.state) for f in publication.follow_ups]
    assert kinds == [("thread", "published"), ("reply", "published")]
    for follow in publication.follow_ups:
        assert follow.url == f"https://x.com/i/web/status/{follow.remote_id}" and follow.at is not None
    root = publication.remote_id
    assert fake.replies_to(root) == [connector.parts(post)[1], LINK]


def test_a_retried_reply_replaces_the_failed_one(monkeypatch):
    FakeX(monkeypatch)
    failed = Publication(remote_id="1", follow_ups=[FollowUp(kind="reply", state="failed", error="503")])
    result = XConnector(env=KEYS).publish_follow_up(_post("hello"), failed)
    assert [(f.kind, f.state) for f in result.follow_ups] == [("reply", "published")]


def test_thread_parts_missing_behind_a_published_reply_go_out_and_the_reply_does_not(monkeypatch):
    fake = FakeX(monkeypatch)
    connector = XConnector(XOptions(long_posts="thread"), env=KEYS)
    post = _post(("One sentence here. " * 20).strip())
    publication = Publication(remote_id="1", follow_ups=[FollowUp(kind="reply", remote_id="9")])
    result = connector.publish_follow_up(post, publication)
    assert [t["text"] for t in fake.created] == connector.parts(post)[1:]
    assert [(f.kind, f.remote_id) for f in result.follow_ups if f.kind == "reply"] == [("reply", "9")]


def test_without_keys_a_thread_keeps_its_published_parts_and_records_the_next_as_failed():
    connector = XConnector(XOptions(long_posts="thread"), env={})
    post = _post(" ".join(f"Sentence {i} of the thread says one clear thing about the talk." for i in range(9)))
    assert len(connector.parts(post)) == 3
    done = FollowUp(kind="thread", remote_id="t2")
    result = connector.publish_follow_up(post, Publication(remote_id="1", follow_ups=[done]))
    assert [(f.kind, f.state, f.remote_id) for f in result.follow_ups] == [("thread", "published", "t2"),
                                                                            ("thread", "failed", None)]
    assert result.follow_ups[1].error_kind == "auth"


def test_a_refused_thread_part_is_recorded_as_a_thread_failure_and_the_reply_waits(monkeypatch):
    fake = FakeX(monkeypatch)
    connector = XConnector(XOptions(long_posts="thread"), env=KEYS)
    post = _post(("One sentence here. " * 20).strip())
    fake.errors.append((503, {"title": "Service Unavailable", "status": 503, "detail": "Service Unavailable"}))
    result = connector.publish_follow_up(post, Publication(remote_id="1"))
    assert [(f.kind, f.state, f.error_kind) for f in result.follow_ups] == [("thread", "failed", "transient")]
    assert fake.created == []


# --------------------------------------------------------------------------- lookups


def test_find_existing_returns_the_posts_url(monkeypatch):
    FakeX(monkeypatch, timeline=[{"id": "1861000000000000007", "text": "hello", "edit_history_tweet_ids": []}])
    found = XConnector(env=KEYS).find_existing(_post("hello"))
    assert found == Publication(remote_id="1861000000000000007", url="https://x.com/i/web/status/1861000000000000007")


# --------------------------------------------------------------------------- more threads


def test_a_thread_of_over_99_parts_is_numbered_with_three_digits_and_the_split_finishes():
    """Two words fit a part under " 9/9" (125 parts), one under " 999/999": 250 parts."""
    import signal

    def too_slow(*_):
        raise AssertionError("split_thread did not finish")

    words = [f"w{i:03d}" for i in range(250)]
    old = signal.signal(signal.SIGALRM, too_slow)
    signal.setitimer(signal.ITIMER_REAL, 5)
    try:
        parts = split_thread(" ".join(words), 13)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert parts == [f"{w} {i}/250" for i, w in enumerate(words, 1)]


def test_a_thread_under_ten_parts_fills_each_part_up_to_its_number():
    """Under " 9/9" a part holds limit - 4 characters: 20-character sentences, 13 to a part of 280."""
    sentence = "Sentence {:02d} is here."
    assert len(sentence.format(0)) == 20
    text = " ".join(sentence.format(i) for i in range(26))
    parts = split_thread(text, 280)
    assert [weighted_length(strip_number(p)) for p in parts] == [272, 272]
    assert parts[1].endswith("Sentence 25 is here. 2/2")


# --------------------------------------------------------------------------- validation and style


def test_an_empty_post_is_one_error():
    problems = XConnector(env=KEYS).validate(_post("  \n ", link_policy="none"))
    assert [(p.severity, p.code, p.message) for p in problems] == [("error", "empty", "the post is empty")]


def test_the_invalid_character_error_says_what_to_delete():
    [problem] = XConnector(env=KEYS).validate(_post("ok \uffff", link_policy="none"))
    assert (problem.severity, problem.code) == ("error", "invalid_character")
    assert problem.message == "the post contains U+FFFE, U+FEFF or U+FFFF, which X refuses; delete them"


def test_a_post_over_the_limit_says_how_much_to_cut_and_how_to_thread_it():
    [problem] = XConnector(XOptions(limit=10), env=KEYS).validate(_post("twelve chars", link_policy="none"))
    assert (problem.severity, problem.code) == ("error", "too_long")
    assert problem.message == '12 of 10 weighted characters; cut 2 (or set long_posts = "thread" in [platforms.x])'
    [premium] = XConnector(XOptions(long_posts="premium"), env=KEYS).validate(_post("a" * 25_001, link_policy="none"))
    assert premium.message == "25001 of 25000 weighted characters; cut 1"


def test_a_first_comment_post_without_a_link_warns_that_no_reply_goes_out():
    [problem] = XConnector(env=KEYS).validate(_post("hello", link=None))
    assert (problem.severity, problem.code) == ("warning", "no_link")
    assert problem.message == "link policy is first_comment but the post has no link: no reply with the link will be posted"


@pytest.mark.parametrize("long_posts,policy", [
    ("shorten", "The whole post must fit in 280 weighted characters."),
    ("thread", "Long posts become a numbered thread; each part fits 280 weighted characters."),
    ("premium", "Long posts are allowed up to 25000 weighted characters (Premium)."),
])
def test_style_states_the_long_post_policy(long_posts, policy):
    style = XConnector(XOptions(long_posts=long_posts), env=KEYS).style()
    assert f" {policy} Plain text only: no markdown (**bold** shows as asterisks). Short lines, one idea. " \
           "At most 1-2 hashtags. Do not put the video link in the post unless told: " in style


# --------------------------------------------------------------------------- preview


def test_preview_lists_thread_parts_the_picture_and_the_link_reply_with_their_cost():
    from postgen.models import Media

    connector = XConnector(XOptions(long_posts="thread"), env=KEYS)
    post = _post(("One sentence here. " * 20).strip(), media=Media(sources=["builtin:x.png"], alt="A ball"))
    preview = connector.preview(post)
    assert (preview.post_id, preview.platform) == ("x-naval", "x")
    texts = connector.parts(post)
    assert preview.parts == [
        {"kind": "post", "text": texts[0], "weighted_length": weighted_length(texts[0]), "limit": 280,
         "details": ["image: x.png (alt text: 'A ball')"]},
        {"kind": "thread", "text": texts[1], "weighted_length": weighted_length(texts[1]), "limit": 280},
        {"kind": "reply", "text": LINK, "weighted_length": 23, "in_reply_to": "the post"},
    ]
    # two posts at $0.015, the link reply at $0.20, the picture's upload $0.015 and alt text $0.005
    assert preview.estimated_cost_usd == 0.25
    assert preview.notes[0] == (
        "estimated X API cost $0.250: 3 post(s) at $0.015 each, $0.2 when it contains a URL, the picture's "
        "upload and alt text $0.020 (estimates; set price_post_usd / price_post_with_url_usd / "
        "price_media_upload_usd in [platforms.x] from your X developer console)")


# --------------------------------------------------------------------------- errors and doctor


def test_a_duplicate_is_its_own_kind_with_xs_words(monkeypatch):
    fake = FakeX(monkeypatch)
    fake.errors.append((403, {"title": "Forbidden", "type": "about:blank", "status": 403,
                              "detail": "You are not allowed to create a Tweet with duplicate content."}))
    with pytest.raises(PublishError) as info:
        XConnector(env=KEYS).publish(_post("hello"))
    assert (info.value.kind, info.value.status) == ("duplicate", 403)
    assert info.value.message == ("X says this post already exists (403 duplicate content): "
                                  "You are not allowed to create a Tweet with duplicate content.")


def test_doctor_warns_that_a_bearer_token_expires(monkeypatch):
    FakeX(monkeypatch)
    health = XConnector(env={"X_BEARER_TOKEN": "test-bearer"}).check()
    assert (health.platform, health.ok, health.identity) == ("x", True, "@postgen_test")
    assert health.messages == [
        "long posts: shorten, limit 280",
        "warning: X_BEARER_TOKEN is an OAuth 2 user token: it expires 2 hours after it was issued and postgen "
        "does not refresh it, so unattended runs (CI, publish --due) will fail with 401. For those set "
        "X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET (OAuth 1.0a user keys, which do not expire)"]


def test_doctor_reports_refused_keys_as_not_ok(monkeypatch):
    fake = FakeX(monkeypatch)
    fake.me_error = (401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
    health = XConnector(env=KEYS).check()
    assert (health.platform, health.ok) == ("x", False)
    assert health.messages[0].startswith("X refused the credentials (401): Unauthorized.")


def test_a_failed_follow_up_lookup_names_what_it_looked_for(monkeypatch):
    fake = FakeX(monkeypatch)
    fake.me_error = (503, {"title": "Service Unavailable", "status": 503, "detail": "Service Unavailable"})
    connector = XConnector(XOptions(long_posts="thread"), env=KEYS)
    post = _post(("One sentence here. " * 20).strip())
    with pytest.raises(PublishError) as info:
        connector.find_follow_up(post, Publication(remote_id="1"))
    assert info.value.kind == "transient"
    assert info.value.message.startswith("cannot tell whether the thread of x-naval is on X: X server error (503)")


# --------------------------------------------------------------------------- the picture


def test_an_uploaded_picture_without_an_expiry_has_none(monkeypatch):
    from postgen.connector import MediaFile

    fake = FakeX(monkeypatch)
    uploaded = XConnector(env=KEYS).upload_media(_post("hello"), MediaFile(data=b"\x89PNG...", mime_type="image/png", alt="A ball"))
    assert (uploaded.remote_id, uploaded.expires_at, uploaded.note) == ("1880028106020515840", None, None)
    fake.upload = {"id": "1880028106020515840", "expires_after_secs": 86400}
    uploaded = XConnector(env=KEYS).upload_media(_post("hello"), MediaFile(data=b"\x89PNG...", mime_type="image/png", alt="A ball"))
    assert uploaded.expires_at is not None


def test_a_picture_x_refuses_at_posting_time_leaves_a_text_post_and_a_warning(monkeypatch):
    from postgen.models import Media

    fake = FakeX(monkeypatch)
    fake.errors.append((400, {"title": "Invalid Request", "status": 400, "detail": "Your media IDs are invalid."}))
    media = Media(sources=["builtin:x.png"], alt="A ball", state="uploaded", remote_id="1880028106020515840")
    publication = XConnector(env=KEYS).publish(_post("hello", media=media))
    sent = [json.loads(r.body) for r in fake.requests if urlsplit(r.url).path == "/2/tweets"]
    assert sent == [{"text": "hello", "media": {"media_ids": ["1880028106020515840"]}}, {"text": "hello"}]
    assert publication.remote_id == "1861000000000000001"
    assert publication.warnings == ["posted without the picture: X refused the post (400): Your media IDs are invalid.. "
                                    "Fix the text ('postgen validate') and publish again."]


def test_a_post_with_its_picture_reads_back_as_sent(monkeypatch):
    from postgen.models import Media

    fake = FakeX(monkeypatch)
    media = Media(sources=["builtin:x.png"], alt="A ball", state="uploaded", remote_id="1880028106020515840")
    publication = XConnector(env=KEYS).publish(_post("hello", media=media))
    assert fake.created[0]["text"] == "hello https://t.co/Pic7Ur3Lnk" and publication.warnings == []


def test_other_refusals_of_a_post_with_a_picture_are_not_retried(monkeypatch):
    from postgen.models import Media

    fake = FakeX(monkeypatch)
    fake.errors.append((400, {"title": "Invalid Request", "status": 400, "detail": "One or more parameters was invalid."}))
    media = Media(sources=["builtin:x.png"], alt="A ball", state="uploaded", remote_id="1880028106020515840")
    with pytest.raises(PublishError):
        XConnector(env=KEYS).publish(_post("hello", media=media))
    assert len(fake.requests) == 1


def test_posts_are_signed_with_the_users_oauth1_keys_or_sent_with_the_bearer_token(monkeypatch):
    """X creates posts only in a user's context: OAuth 1.0a signed with the four keys, or the
    OAuth 2 user token as a bearer token."""
    fake = FakeX(monkeypatch)
    XConnector(env=KEYS).publish(_post("hello"))
    auth = fake.requests[-1].headers["Authorization"]
    assert auth.startswith("OAuth ") and 'oauth_consumer_key="test-key"' in auth and 'oauth_token="test-token"' in auth
    XConnector(env={"X_BEARER_TOKEN": "test-bearer"}).publish(_post("hello again"))
    assert fake.requests[-1].headers["Authorization"] == "Bearer test-bearer"


def test_metrics_count_engagements_and_mark_a_deleted_post(monkeypatch):
    from postgen.connector import Engagement

    fake = FakeX(monkeypatch)
    connector = XConnector(env=KEYS)
    live = connector.publish(_post("hello"))
    answers = connector.metrics([live, Publication(remote_id="1861000000000000999")])
    assert answers["1861000000000000999"] == Engagement(deleted=True)
    assert (answers[live.remote_id].engagements, answers[live.remote_id].impressions) == (7, 40)
    assert "ids=1861000000000000001%2C1861000000000000999" in fake.requests[-1].url


def test_every_call_to_x_has_the_configured_timeout(monkeypatch):
    fake = FakeX(monkeypatch)
    XConnector(XOptions(timeout=7), env=KEYS).publish(_post("hello"))
    assert fake.timeouts == [7]


def test_doctor_with_oauth1_keys_says_only_the_long_post_policy(monkeypatch):
    FakeX(monkeypatch)
    health = XConnector(XOptions(long_posts="thread"), env=KEYS).check()
    assert (health.ok, health.messages) == (True, ["long posts: thread, limit 280"])


def test_a_post_stored_differently_than_sent_carries_a_warning(monkeypatch):
    fake = FakeX(monkeypatch)
    fake.stored["Ship it today."] = "Ship it tomorrow."
    publication = XConnector(env=KEYS).publish(_post("Ship it today.", link_policy="none"))
    assert publication.warnings == [
        "X stored a different text than was sent (from character 11: sent 'day.', stored 'morrow.'); "
        "look at the post and edit or delete it by hand if it matters"]
