"""What the three connectors share (connectors/_common.py), checked where mutation testing
(bench/mutation.py) found it unchecked: each HTTP answer's kind and the next step its message
names, lookups that cannot answer, follow-ups that failed, the clock of LinkedIn's reset, the
timeout every session puts on its requests, the warning for a follow-up policy without a link,
which picture uploads the cost estimate counts, how a read-back text is compared and where its
warning says it differs, and exception chains that loop. It found a real bug: a TLS failure
(ssl.SSLError's `reason` is a string) crashed network_error instead of becoming a PublishError."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from postgen.connector import PublishError
from postgen.connectors import _common as common
from postgen.models import Media, Post, Problem


@pytest.mark.parametrize("status,kind,says", [
    (200, "unknown", "Pinboard answered 200 but its answer could not be read: half a body. The post may be there; postgen looks before trying again."),
    (299, "unknown", "answered 299 but its answer could not be read"),
    (300, "fatal", "Pinboard answered 300: half a body"),
    (401, "auth", "Pinboard refused the credentials (401): half a body. Renew the key."),
    (403, "permission", "Pinboard forbids this (403): half a body. Check the app's permissions (write access) and the account's access level."),
    (400, "invalid", "Pinboard refused the post (400): half a body. Fix the text ('postgen validate') and publish again."),
    (413, "invalid", "refused the post (413)"),
    (422, "invalid", "refused the post (422)"),
    (404, "fatal", "Pinboard answered 404: half a body"),
    (499, "fatal", "answered 499"),
    (500, "transient", "Pinboard server error (500): half a body. It usually passes; postgen backs off and tries again."),
    (503, "transient", "server error (503)"),
])
def test_each_status_maps_to_what_happens_next(status, kind, says):
    error = common.http_error("Pinboard", status, "  half a body  ", auth_hint="Renew the key.")
    assert (error.kind, error.status) == (kind, status)
    assert says in error.message


def test_an_auth_error_without_a_hint_ends_cleanly():
    assert common.http_error("Pinboard", 401, "nope").message == "Pinboard refused the credentials (401): nope."


def test_a_429_says_when_and_keeps_the_reset():
    reset = datetime(2026, 12, 2, 0, 0, 5, tzinfo=timezone.utc).timestamp()
    error = common.http_error("Pinboard", 429, "slow down", retry_at=reset)
    assert error.kind == "rate_limited" and error.status == 429 and error.retry_at == reset
    assert error.message == "Pinboard rate limit reached (429); try again after 2026-12-02 00:00:05 UTC. slow down"


def test_a_429_without_a_reset_waits_a_quarter_hour():
    before = time.time()
    error = common.http_error("Pinboard", 429, "")
    assert "try again after later" in error.message
    assert before + 900 <= error.retry_at <= time.time() + 900


def test_details_are_cut_to_300_characters():
    assert common.http_error("P", 500, "x" * 1000).message.count("x") == 300


@pytest.mark.parametrize("kind,becomes", [("rate_limited", "rate_limited"), ("transient", "transient"),
                                          ("unreachable", "transient"), ("auth", "unknown"), ("invalid", "unknown")])
def test_a_lookup_that_cannot_answer_means_not_now_or_ask_a_person(kind, becomes):
    err = PublishError(kind, "inner", status=503, retry_at=1234.0)
    looked = common.lookup_error(err, "cannot tell whether it is there: inner")
    assert (looked.kind, looked.status, looked.message) == (becomes, 503, "cannot tell whether it is there: inner")
    assert looked.retry_at == (1234.0 if becomes == "rate_limited" else None)


def test_network_errors_name_the_platform_and_the_exception():
    class Slow(Exception):
        pass

    error = common.network_error("Pinboard", Slow("read timed out"))
    assert error.kind == "transient"
    assert error.message == ("Pinboard did not answer in time or the connection failed (Slow); postgen backs off and "
                             "tries again.")


def test_a_refused_connection_says_nothing_was_sent():
    import requests
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    refused = requests.ConnectionError(MaxRetryError(None, "/", NewConnectionError(None, "refused")))
    error = common.network_error("Pinboard", refused)
    assert error.kind == "unreachable" and error.message.startswith("could not connect to Pinboard (ConnectionError")
    assert error.message.endswith("nothing was sent, postgen tries again on the next run.")


def test_a_failed_follow_up_keeps_the_kind_that_says_whether_a_retry_is_safe():
    follow = common.failed_follow_up("reply", PublishError("unreachable", "refused"))
    assert (follow.kind, follow.state, follow.error, follow.error_kind) == ("reply", "failed", "refused", "unreachable")
    assert follow.at is not None
    other = common.failed_follow_up("first_comment", ValueError("odd answer"))
    assert (other.kind, other.state, other.error, other.error_kind) == ("first_comment", "failed", "odd answer", "unknown")
    assert other.at is not None


@pytest.mark.parametrize("message,seconds", [("try again in 9 minutes.", 540), ("Try again in 30 SECONDS", 30),
                                             ("wait 2 hours", 7200), ("you are doing that too much", 600)])
def test_retry_in_reads_the_wait_from_the_message(message, seconds):
    before = time.time()
    at = common.retry_in(message)
    assert before + seconds <= at <= time.time() + seconds


def test_next_utc_midnight_whatever_the_machine_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Pacific/Auckland")
    time.tzset()
    try:
        assert common.next_utc_midnight(1795000000) == 1795046400  # 2026-11-18 11:06:40 UTC: 00:00 UTC next day
        assert common.next_utc_midnight(1795040000) == 1795046400  # 2026-11-18 22:13 UTC, already the 19th in Auckland
    finally:
        monkeypatch.undo()
        time.tzset()


def test_sent_body_appends_an_inline_link_once():
    post = Post(id="x-a", platform="x", framework="a", body=" Body ", link="https://e.com/v", link_policy="inline")
    assert common.sent_body(post) == "Body\n\nhttps://e.com/v"
    assert common.sent_body(post.model_copy(update={"body": "See https://e.com/v"})) == "See https://e.com/v"
    assert common.sent_body(post.model_copy(update={"body": "  "})) == "https://e.com/v"
    assert common.sent_body(post.model_copy(update={"link_policy": "first_comment"})) == "Body"


def _post(**update):
    return Post(id="x-a", platform="x", framework="a", body="Body", **update)


def test_a_follow_up_policy_without_a_link_warns_that_nothing_follows():
    assert common.link_problems(_post(link_policy="first_comment"), "link comment") == [
        Problem(severity="warning", code="no_link",
                message="link policy is first_comment but the post has no link: no link comment will be posted")]
    assert common.link_problems(_post(link_policy="once", link="https://e.com/v"), "reply") == []
    assert common.link_problems(_post(link_policy="inline"), "reply") == []  # nothing was meant to follow
    assert common.link_problems(_post(link_policy="none"), "reply") == []


@pytest.mark.parametrize("state,remote_id,uploads", [
    (None, None, 0), ("pending", None, 1), ("uploading", None, 1), ("failed", None, 0),
    ("uploaded", "m-1", 0), ("uploaded", None, 1),
])
def test_the_cost_estimate_counts_a_picture_upload_only_when_one_is_still_to_come(state, remote_id, uploads):
    media = None if state is None else Media(sources=["https://e.com/t.jpg"], alt="A talk", state=state, remote_id=remote_id)
    assert common.uploads_ahead(_post(media=media)) == uploads


def _recording_session(session):
    import requests

    seen = []

    class Recorder(requests.adapters.BaseAdapter):
        def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
            seen.append((request.method, request.url, timeout))
            response = requests.Response()
            response.status_code, response.request, response.url, response._content = 200, request, request.url, b"{}"
            return response

        def close(self):
            pass

    session.mount("https://", Recorder())
    return seen


def test_a_session_puts_the_default_timeout_on_requests_that_set_none_and_keeps_a_callers_own():
    session = common.timeout_session()
    seen = _recording_session(session)
    session.get("https://api.example.com/a")
    session.post("https://api.example.com/b", timeout=5)
    assert seen == [("GET", "https://api.example.com/a", common.DEFAULT_TIMEOUT), ("POST", "https://api.example.com/b", 5)]


def test_a_forced_session_overrides_the_timeout_a_library_passes():
    session = common.timeout_session(12.0, force=True)
    seen = _recording_session(session)
    session.get("https://oauth.example.com/token", timeout=300)
    assert seen == [("GET", "https://oauth.example.com/token", 12.0)]


def _urls(text):
    import re

    return [m.span() for m in re.finditer(r"https?://\S+", text)]


def test_text_is_compared_as_the_platform_hands_it_back():
    assert common.comparable("Caf\u0065\u0301 &amp; tea\n\n  at https://e.com/v", _urls) == "Caf\u00e9 & tea at <url>"
    assert common.comparable("a  https://e.com/v") == "a https://e.com/v"


@pytest.mark.parametrize("stored", [
    None,
    "Café &amp; tea\n\nsee  https://e.com/v",  # entities, NFD/NFC and whitespace as the platform stores them
    "Caf\u0065\u0301 & tea see https://t.co/abc",  # the link shortened by the platform
    "Café & tea see…",  # a display copy cut short
])
def test_the_same_text_read_back_gives_no_warning(stored):
    assert common.readback_warning("X", "Café & tea\nsee https://e.com/v", stored, _urls) is None


def test_a_text_that_differs_at_its_last_character_is_reported_where_it_differs():
    assert common.readback_warning("X", "Hello world", "Hello worlx") == (
        "X stored a different text than was sent (from character 11: sent 'd', stored 'x'); look at the post and "
        "edit or delete it by hand if it matters")


def test_a_stored_text_that_is_only_an_ellipsis_is_not_a_display_copy():
    assert common.readback_warning("X", "Hello", "…") == (
        "X stored a different text than was sent (from character 1: sent 'Hello', stored '…'); look at the post and "
        "edit or delete it by hand if it matters")


def test_a_readback_warning_shows_forty_characters_of_each_side():
    warning = common.readback_warning("Reddit", "Intro " + "s" * 60, "Intro " + "t" * 60)
    assert warning.startswith("Reddit stored a different text than was sent (from character 7: "
                              f"sent {'s' * 40!r}, stored {'t' * 40!r}); ")


def test_a_stored_text_cut_short_without_an_ellipsis_is_reported_at_its_end():
    assert common.readback_warning("X", "Hello world", "Hello").startswith(
        "X stored a different text than was sent (from character 6: sent ' world', stored '');")


def test_a_chain_of_causes_that_loops_back_is_walked_once():
    class Loop(Exception):
        visits = 0

        @property
        def original_exception(self):
            Loop.visits += 1
            assert Loop.visits <= 2, "nothing_sent walks the same exceptions again and again"
            return None

    first, second = Loop("a"), Loop("b")
    first.__cause__, second.__cause__ = second, first
    assert common.network_error("Pinboard", first).kind == "transient"
    assert Loop.visits == 2


def test_a_tls_failure_is_a_network_error_not_a_crash():
    class CertError(Exception):  # what ssl raises from C: `reason` is the OpenSSL reason string
        reason = "CERTIFICATE_VERIFY_FAILED"

    import requests
    from urllib3.exceptions import MaxRetryError, SSLError

    failed = requests.exceptions.SSLError(MaxRetryError(None, "/", SSLError(CertError("certificate verify failed"))))
    assert common.network_error("Pinboard", failed).kind == "transient"


def test_a_display_copy_cut_with_a_space_before_the_ellipsis_still_matches():
    # The copy is cut at a word and shows " …": the space is the platform's, not the post's.
    assert common.readback_warning("LinkedIn", "We shipped it, finally. More soon.", "We shipped it …") is None
