"""The picture's upload: its own ledger step, before the post, so a post never waits on it twice.

Intent (`Post.media.state = "uploading"`, saved), the call (`Connector.upload_media`), the
outcome (the media id and its expiry, saved) – then the post, which attaches the id. A pass that
resumes after a crash finds the id and does not upload again; an upload whose outcome is unknown
(the process died during the call) is simply done again, because an uploaded picture is seen by
nobody until a post uses it, and the platforms let unused uploads lapse.

An upload failure never holds the post back: after `attempts` tries (waiting between those that
may pass), or at once when the platform refuses the picture itself, the post goes as text and its
publication carries a note saying why. A later pass tries the picture again only while the post
is unsent and the failure was one that passes (a 5xx, a rate limit, keys being fixed).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Callable

from .connector import Connector, PublishError, supports_media
from .models import Post, utcnow

RETRY = ("transient", "unreachable", "unknown", "rate_limited")  # may pass: try again (now or later)
LATER = RETRY + ("auth", "retired_version", "config")  # worth trying on a later pass while the post is unsent
MARGIN = timedelta(minutes=10)  # an id this close to expiring is uploaded again


def needs_upload(post: Post, connector: Connector) -> bool:
    """Whether the post's picture must be uploaded before the post is sent."""
    media = post.media
    if media is None or not supports_media(connector):
        return False
    if media.state == "uploaded":
        return media.expires_at is not None and media.expires_at - MARGIN <= utcnow()
    if media.state == "failed":
        return media.error_kind in LATER
    return True  # pending, or uploading (an outcome a crash left unknown: nobody sees an unused upload)


def without_picture(post: Post) -> str | None:
    """The note for a post that goes out without its picture, or None."""
    media = post.media
    if media is None or media.state != "failed":
        return None
    return f"posted without the picture: {media.error}"


def ensure_uploaded(
    post: Post,
    connector: Connector,
    *,
    record: Callable[[str], Post],
    wait: Callable[[float], None],
    delay: Callable[[int], float],
    attempts: int,
    max_wait: float,
    base_dir: Path | str = ".",
) -> Post:
    """Upload the post's picture if it needs it. `record(moment)` saves the run ("intent" before
    the call, "outcome" after it) and returns the post as saved. Returns the post, its picture
    uploaded or failed (then `without_picture(post)` says why)."""
    from .media import MediaError, load

    if not needs_upload(post, connector):
        return post
    assert post.media is not None
    try:
        file = load(post.media, base_dir)
    except MediaError as exc:
        post.media.state, post.media.error, post.media.error_kind = "failed", str(exc), "load"
        return record("outcome")
    for attempt in range(1, attempts + 1):
        media = post.media
        assert media is not None
        media.state, media.error, media.error_kind = "uploading", None, None
        media.attempts += 1
        post = record("intent")
        media = post.media
        assert media is not None
        try:
            uploaded = connector.upload_media(post, file)
        except PublishError as exc:
            media.state, media.error, media.error_kind = "failed", exc.message, exc.kind
            post = record("outcome")
            pause = _pause(exc, attempt, delay)
            if exc.kind in RETRY and attempt < attempts and pause is not None and pause <= max_wait:
                wait(pause)
                continue
            return post
        except Exception as exc:  # a connector bug: the post still goes, as text
            media.state, media.error, media.error_kind = "failed", f"{type(exc).__name__}: {exc}", "fatal"
            return record("outcome")
        media.state, media.remote_id, media.expires_at = "uploaded", uploaded.remote_id, uploaded.expires_at
        media.note = uploaded.note
        return record("outcome")
    return post


def _pause(exc: PublishError, attempt: int, delay: Callable[[int], float]) -> float | None:
    if exc.kind == "rate_limited":
        return max(0.0, exc.retry_at - utcnow().timestamp()) if exc.retry_at is not None else None
    return delay(attempt)
