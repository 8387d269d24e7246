"""What the three built-in connectors share: the text actually sent, sessions with timeouts,
and turning HTTP answers into PublishErrors that say what to do."""

from __future__ import annotations

import html
import re
import time
import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from postgen.connector import PublishError
from postgen.models import FollowUp, Post, Problem, Publication
from postgen.models import utcnow as now  # one clock for the ledger and the connectors

DEFAULT_TIMEOUT = 30.0
# Policies whose link goes in a follow-up ("once": the ledger keeps it on one post of the run).
FOLLOW_UP_POLICIES = ("first_comment", "once")
MARKDOWN = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|\[[^\]\n]+\]\(https?://[^)\s]+\)|^#{1,6} \S|^```|`[^`\n]+`", re.M)


def sent_body(post: Post) -> str:
    """The body as sent: with the link appended when the policy is `inline` (and it is not there yet)."""
    body = post.body.strip()
    if post.link_policy == "inline" and post.link and post.link not in body:
        return f"{body}\n\n{post.link}" if body else post.link
    return body


def follow_up_link(post: Post) -> str | None:
    """The text of the link comment/reply, or None when the policy posts none."""
    if post.link_policy in FOLLOW_UP_POLICIES and post.link:
        return post.link
    return None


def media_detail(post: Post) -> str | None:
    """The preview line for the picture that goes with the post, if one does."""
    from postgen.media import describe

    return describe(post.media)


def uploads_ahead(post: Post) -> int:
    """How many picture uploads publishing the post will make (for the cost estimate)."""
    media = post.media
    return int(media is not None and media.state != "failed" and not (media.state == "uploaded" and media.remote_id))


def link_problems(post: Post, what: str) -> list[Problem]:
    if post.link_policy in FOLLOW_UP_POLICIES and not post.link:
        return [Problem(severity="warning", code="no_link",
                        message=f"link policy is {post.link_policy} but the post has no link: no {what} will be posted")]
    return []


def timeout_session(timeout: float = DEFAULT_TIMEOUT, *, force: bool = False) -> Any:
    """A requests.Session that puts a timeout on every request it sends (`force`: even over the
    caller's own, for libraries like prawcore that pass a fixed one)."""
    import requests

    class _Session(requests.Session):
        def request(self, method, url, **kwargs):  # type: ignore[override]
            if force or kwargs.get("timeout") is None:
                kwargs["timeout"] = timeout
            return super().request(method, url, **kwargs)

    return _Session()


def retry_in(message: str, default_seconds: int = 600) -> float:
    """Unix time to retry at, from "try again in 9 minutes" / "30 seconds" in a platform message."""
    m = re.search(r"(\d+)\s*(second|minute|hour)", message or "", re.I)
    if not m:
        return time.time() + default_seconds
    unit = {"second": 1, "minute": 60, "hour": 3600}[m.group(2).lower()]
    return time.time() + int(m.group(1)) * unit


def http_error(platform: str, status: int, detail: str, *, retry_at: float | None = None, auth_hint: str = "") -> PublishError:
    """Map an HTTP status to a PublishError kind with a message that says what to do next."""
    detail = (detail or "").strip()[:300]
    if 200 <= status < 300:  # a yes whose body cannot be read (prawcore's BadJSON): it may have landed
        return PublishError("unknown", f"{platform} answered {status} but its answer could not be read: {detail}. "
                            "The post may be there; postgen looks before trying again.", status=status)
    if status == 401:
        return PublishError("auth", f"{platform} refused the credentials (401): {detail}. {auth_hint}".strip(), status=status)
    if status == 403:
        return PublishError("permission", f"{platform} forbids this (403): {detail}. Check the app's permissions "
                            "(write access) and the account's access level.", status=status)
    if status == 429:
        when = datetime.fromtimestamp(retry_at, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") if retry_at else "later"
        return PublishError("rate_limited", f"{platform} rate limit reached (429); try again after {when}. {detail}".strip(),
                            status=status, retry_at=retry_at if retry_at is not None else time.time() + 900)
    if status >= 500:
        return PublishError("transient", f"{platform} server error ({status}): {detail}. It usually passes; "
                            "postgen backs off and tries again.", status=status)
    if status in (400, 413, 422):
        return PublishError("invalid", f"{platform} refused the post ({status}): {detail}. Fix the text "
                            "('postgen validate') and publish again.", status=status)
    return PublishError("fatal", f"{platform} answered {status}: {detail}", status=status)


def next_utc_midnight(now: float | None = None) -> float:
    """Unix time of the next 00:00 UTC, when LinkedIn's daily limits reset."""
    today = datetime.fromtimestamp(time.time() if now is None else now, timezone.utc).date()
    return datetime.combine(today + timedelta(days=1), datetime.min.time(), timezone.utc).timestamp()


def nothing_sent(exc: BaseException) -> bool:
    """True only when `exc` proves the request never left the machine: the connection was never
    made (refused, no route, DNS failure, connect timeout). requests wraps urllib3's
    NewConnectionError (NameResolutionError is one) and ConnectTimeoutError in a MaxRetryError;
    prawcore wraps the requests error in its RequestException. A reset or read timeout after the
    request went out says nothing of the kind, and neither does anything unrecognised."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError

    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        err = todo.pop()
        if not isinstance(err, BaseException) or id(err) in seen:
            continue  # None, or ssl.SSLError's `reason`, which is a string
        seen.add(id(err))
        if isinstance(err, (ProtocolError, ReadTimeoutError)):
            return False  # the connection was up: bytes may have gone out
        if isinstance(err, (NewConnectionError, ConnectTimeoutError)):
            return True
        todo.extend([getattr(err, "original_exception", None), getattr(err, "reason", None), err.__cause__])
        todo.extend(a for a in getattr(err, "args", ()) if isinstance(a, BaseException))
    return False


def network_error(platform: str, exc: BaseException) -> PublishError:
    """A call that got no answer: "unreachable" when nothing was sent (retry freely), else
    "transient" (the request may have landed: the ledger looks before sending again)."""
    if nothing_sent(exc):
        return PublishError("unreachable", f"could not connect to {platform} ({type(exc).__name__}: connection refused, "
                            "name not resolved or connect timeout); nothing was sent, postgen tries again on the next run.")
    return PublishError("transient", f"{platform} did not answer in time or the connection failed "
                        f"({type(exc).__name__}); postgen backs off and tries again.")


def lookup_error(err: PublishError, message: str) -> PublishError:
    """A failed `find_existing`: "unknown" (a person must look), except a rate limit or a 5xx/timeout,
    which only means "not now": the ledger then checks again on the next run."""
    kind = {"rate_limited": "rate_limited", "transient": "transient", "unreachable": "transient"}.get(err.kind, "unknown")
    return PublishError(kind, message, status=err.status, retry_at=err.retry_at if kind == "rate_limited" else None)


def failed_follow_up(kind: str, error: Exception | str) -> FollowUp:
    """A follow-up that did not go out, with the PublishError kind that says whether a retry is
    safe ("unreachable": nothing was sent; "transient"/"unknown": look first; others: do not)."""
    if isinstance(error, PublishError):
        return FollowUp(kind=kind, state="failed", error=error.message, error_kind=error.kind, at=now())
    return FollowUp(kind=kind, state="failed", error=str(error), error_kind="unknown", at=now())


def comparable(text: str, url_spans: Callable[[str], list[tuple[int, int]]] | None = None) -> str:
    """Text as a platform may hand it back, made comparable: entities unescaped, NFC, whitespace
    runs collapsed, and (where the platform shortens links, e.g. X's t.co) URLs masked."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    if url_spans is not None:
        for start, end in reversed(url_spans(text)):
            text = text[:start] + "<url>" + text[end:]
    return " ".join(text.split())


def readback_warning(platform: str, sent: str, stored: str | None,
                     url_spans: Callable[[str], list[tuple[int, int]]] | None = None) -> str | None:
    """A warning when the text the platform says it stored differs from what was sent (None
    when it matches, or when the platform said nothing). A display copy cut short with "…"
    counts as matching."""
    if not isinstance(stored, str):
        return None
    a, b = comparable(sent, url_spans), comparable(stored, url_spans)
    if a == b or (b.endswith("…") and len(b) > 1 and a.startswith(b[:-1].rstrip())):
        return None
    i = next((n for n, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"{platform} stored a different text than was sent (from character {i + 1}: sent {a[i:i + 40]!r}, "
            f"stored {b[i:i + 40]!r}); look at the post and edit or delete it by hand if it matters")


def published_follow_ups(publication: Publication, kind: str) -> list[FollowUp]:
    """Follow-ups of `kind` already published (failed ones are dropped: the caller may try them again)."""
    return [f for f in publication.follow_ups if f.kind == kind and f.state == "published"]


def replace_follow_ups(publication: Publication, kind: str, new: list[FollowUp]) -> Publication:
    """The publication with its `kind` follow-ups replaced by `new` (others kept, order kept)."""
    others = [f for f in publication.follow_ups if f.kind != kind]
    return publication.model_copy(update={"follow_ups": others + new})
