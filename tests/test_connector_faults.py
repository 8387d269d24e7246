"""Network faults at the socket, through each connector's real HTTP stack (tweepy, requests,
praw/prawcore, urllib3): what proves nothing was sent is "unreachable" (the ledger resends
without a lookup); anything after the request went out stays "transient" (it may have landed)."""

from __future__ import annotations

import socket

import pytest

from postgen.connector import PublishError
from postgen.connectors import _common as common
from postgen.connectors.linkedin import LinkedInConnector, LinkedInOptions
from postgen.connectors.reddit import RedditConnector, RedditOptions
from postgen.connectors.x import XConnector
from postgen.models import Post, Publication

LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"
KEYS = {
    "x": {"X_API_KEY": "test-key", "X_API_SECRET": "test-secret", "X_ACCESS_TOKEN": "test-token",
          "X_ACCESS_TOKEN_SECRET": "test-token-secret"},
    "linkedin": {"LINKEDIN_ACCESS_TOKEN": "test-token"},
    "reddit": {"REDDIT_CLIENT_ID": "test-id", "REDDIT_CLIENT_SECRET": "test-secret", "REDDIT_USERNAME": "postgen_bot",
               "REDDIT_PASSWORD": "test-password"},
}


def _connector(platform: str):
    if platform == "x":
        return XConnector(env=KEYS["x"])
    if platform == "linkedin":
        return LinkedInConnector(LinkedInOptions(author="urn:li:person:782bbtaQ"), env=KEYS["linkedin"])
    return RedditConnector(RedditOptions(subreddit="postgen_test"), env=KEYS["reddit"])


def _post(platform: str) -> Post:
    return Post(id=f"{platform}-naval", platform=platform, framework="naval", body="Body", link=LINK,
                title="A title" if platform == "reddit" else None)


@pytest.fixture(autouse=True)
def no_retry_sleep(monkeypatch):
    import prawcore.sessions

    monkeypatch.setattr(prawcore.sessions.time, "sleep", lambda s: None)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _refused(monkeypatch):
    """Every connection goes to a closed port on this machine: the kernel really refuses it."""
    import urllib3.util.connection as connection

    real, port = connection.create_connection, _closed_port()
    monkeypatch.setattr(connection, "create_connection", lambda address, *a, **k: real(("127.0.0.1", port), *a, **k))


def _raising(error: BaseException):
    def install(monkeypatch):
        import urllib3.util.connection as connection

        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(connection, "create_connection", fail)
    return install


FAULTS = {
    "connection_refused": _refused,
    "dns_failure": _raising(socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
    "connect_timeout": _raising(socket.timeout("timed out")),
}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("platform", ("x", "linkedin", "reddit"))
def test_nothing_sent_is_unreachable(monkeypatch, platform, fault):
    FAULTS[fault](monkeypatch)
    with pytest.raises(PublishError) as info:
        _connector(platform).publish(_post(platform))
    assert info.value.kind == "unreachable", info.value.message
    assert "nothing was sent" in info.value.message


def _after_sending(error):
    """The connection was made and the request written; then the answer never came."""
    def install(monkeypatch):
        from urllib3.connectionpool import HTTPConnectionPool

        def fail(self, conn, method, url, **kwargs):
            raise error(self, url)

        monkeypatch.setattr(HTTPConnectionPool, "_make_request", fail)
    return install


def _reset(pool, url):
    from urllib3.exceptions import ProtocolError

    return ProtocolError("Connection aborted.", ConnectionResetError(104, "Connection reset by peer"))


def _read_timeout(pool, url):
    from urllib3.exceptions import ReadTimeoutError

    return ReadTimeoutError(pool, url, "Read timed out. (read timeout=30)")


@pytest.mark.parametrize("error", (_reset, _read_timeout), ids=("reset", "read_timeout"))
@pytest.mark.parametrize("platform", ("x", "linkedin", "reddit"))
def test_a_fault_after_sending_is_not_unreachable(monkeypatch, platform, error):
    _after_sending(error)(monkeypatch)
    with pytest.raises(PublishError) as info:
        _connector(platform).publish(_post(platform))
    assert info.value.kind == "transient", info.value.message


@pytest.mark.parametrize("platform", ("x", "linkedin", "reddit"))
def test_unreachable_follow_up_is_recorded_with_its_kind(monkeypatch, platform):
    """A follow-up that could not connect is failed with error_kind "unreachable": the ledger may
    send it again without looking first."""
    _refused(monkeypatch)
    remote = {"x": "1861000000000000001", "linkedin": "urn:li:share:7265000000000000001", "reddit": "1gx7abc"}[platform]
    result = _connector(platform).publish_follow_up(_post(platform), Publication(remote_id=remote))
    [follow] = result.follow_ups
    assert (follow.state, follow.error_kind) == ("failed", "unreachable")


@pytest.mark.parametrize("platform", ("x", "reddit"))
def test_an_unreachable_lookup_means_not_now(monkeypatch, platform):
    """find_existing that cannot connect is "transient": ask again on a later pass, not a person."""
    _refused(monkeypatch)
    with pytest.raises(PublishError) as info:
        _connector(platform).find_existing(_post(platform))
    assert info.value.kind == "transient"


def test_nothing_sent_reads_only_connection_errors():
    import requests
    from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError
    from prawcore.exceptions import RequestException

    refused = requests.ConnectionError(MaxRetryError(None, "/2/tweets", NewConnectionError(None, "refused")))
    assert common.nothing_sent(refused)
    assert common.nothing_sent(RequestException(refused, (), {}))  # prawcore's wrapping
    assert common.nothing_sent(requests.ConnectionError(MaxRetryError(None, "/", NameResolutionError("h", None, OSError()))))
    reset = requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError(104, "reset")))
    assert not common.nothing_sent(reset)
    assert not common.nothing_sent(requests.ConnectionError("something else"))
    assert not common.nothing_sent(ValueError("no"))
    assert common.network_error("X", reset).kind == "transient"


def test_next_utc_midnight():
    assert common.next_utc_midnight(1795000000) == 1795046400  # 2026-11-18 11:06:40 -> 2026-11-19 00:00 UTC
    assert common.next_utc_midnight(1795046400) == 1795046400 + 86400  # at midnight: the next one
