"""Reconciling: what an unknown or failed outcome allows next, and a person's decisions.

The rules the Publisher follows when it cannot know (a crash mid-call, a timeout, a 5xx that
may have landed), for posts and for their follow-ups, and `resolve` / `resolve_follow_up`, which
record what a person saw on the platform. Every decision is a journal line too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from ..connector import Connector
from ..models import FollowUp, Post, PostState, Publication, utcnow

# Follow-up failures where nothing was created: sending again is safe (a later pass does).
SAFE_TO_RESEND = ("rate_limited", "unreachable", "auth", "config", "retired_version")
# Where it may have landed (a 5xx from a gateway, a timeout, a crash mid-call): look first.
LOOK_FIRST = ("transient", "unknown", "duplicate", None)
RetryStep = Literal["send", "lookup", "decide"]
NEXT_STEP: dict[str, str] = {
    "send": "sent again on the next run",
    "lookup": "looked up on the next run, and sent again only if it is not there",
    "decide": "needs you (postgen cannot know whether it is there)",
}


def needs_follow_up(post: Post, connector: Connector | None = None) -> bool:
    """Whether a follow-up (the link comment or reply, X thread parts) goes out after the post
    itself; the connector knows (without one: the link comment only)."""
    ask = getattr(connector, "needs_follow_up", None)  # a duck-typed plugin connector may lack it
    if ask is not None:
        return bool(ask(post))
    return post.link_policy in ("first_comment", "once") and bool(post.link)


def resend_after_server_error(connector: Connector) -> bool:
    """After a 5xx the post usually was not created, but a gateway can answer 5xx after it landed.
    Sending again without a positive lookup is safe only where the platform itself refuses a copy:
    X answers 403 duplicate content, LinkedIn 422 DUPLICATE_POST naming the post it has (which
    the ledger records; without the name, and with no lookup, a person decides). Elsewhere (Reddit
    takes copies) the ledger looks the post up first, on a later pass where listings lag."""
    return bool(getattr(connector, "refuses_duplicates", False))


def retry_step(follow_up: FollowUp) -> RetryStep:
    """What a later pass does with a failed follow-up, from the kind of its error."""
    kind = follow_up.error_kind
    if kind in SAFE_TO_RESEND:
        return "send"
    if kind in LOOK_FIRST:
        return "lookup"
    return "decide"  # refused ("permission", "invalid"...), or a lookup that could not tell ("unresolved")


def follow_up_work(post: Post) -> Literal["work", "decide"] | None:
    """Whether a published post's follow-ups need a pass ("work"), a person ("decide"), or nothing."""
    if post.state is not PostState.published or post.publication is None:
        return None
    follow_ups = post.publication.follow_ups
    if post.follow_up_pending or any(f.state == "publishing" for f in follow_ups):
        return "work"
    steps = {retry_step(f) for f in follow_ups if f.state == "failed"}
    if "decide" in steps:
        return "decide"
    return "work" if steps else None


# --------------------------------------------------------------------------- a person decides


REMOTE_ID_PATTERNS = (
    re.compile(r"/status(?:es)?/(\d+)"),  # X
    re.compile(r"(urn:li:[A-Za-z]+:[\w-]+)"),  # LinkedIn
    re.compile(r"/comments/([a-z0-9]+)"),  # Reddit
)


def remote_id_from_url(url: str) -> str:
    for pattern in REMOTE_ID_PATTERNS:
        match = pattern.search(url)
        if match:
            return match.group(1)
    return url


def _check_url(url: str | None, what: str) -> str:
    if not url or not re.match(r"https?://", url):
        raise ValueError(f"{what} (https://...) as it appears on the platform")
    return url


def _editing(path: Path | str, post_id: str, purpose: str):
    """Lock and load the run brought up to its journal; the post named; saved (journal first) on exit."""
    import contextlib

    from .. import runfile
    from .journal import Journal, hold, load

    @contextlib.contextmanager
    def manager():
        with hold(path, purpose):
            run, _behind = load(path)
            try:
                post = run.post(post_id)
            except KeyError:
                ids = ", ".join(p.id for p in run.posts)
                raise ValueError(f"no post {post_id!r} in {run.id} (posts: {ids})") from None
            journal = Journal.of(path, run.id)

            def record(result: str) -> None:
                journal.append(run.id, post, event="outcome", what="resolve", result=result,
                               save_first=lambda: runfile.save(path, run))

            yield run, post, record

    return manager()


def resolve(path: Path | str, post_id: str, as_: Literal["published", "failed"], url: str | None = None,
            config=None) -> Post:
    """Record a person's decision about a post whose outcome postgen could not know.

    With `config`, the post's connector says whether a follow-up is still to go out."""
    with _editing(path, post_id, "resolve") as (run, post, record):
        if as_ == "published":
            _check_url(url, "--as published needs the post's URL")
            if post.state is PostState.published and post.publication is not None:
                # Recording it again would drop its follow-ups and send the link comment twice.
                if post.publication.url == url:
                    return post
                raise ValueError(f"{post_id} is already recorded as published ({post.publication.url}); "
                                 "to correct the URL, edit the post's publication in the run file's state block")
            post.publication = Publication(remote_id=remote_id_from_url(url), url=url, published_at=post.last_attempt_at or utcnow())
            post.state = PostState.published
            if post.link_policy == "once":
                from .plan import link_carried

                post.link_policy = "none" if link_carried(run, post) else "first_comment"
            post.follow_up_pending = needs_follow_up(post, _connector_or_none(post.platform, config))
            post.last_error = None
        else:
            if post.state is PostState.published:
                raise ValueError(f"{post_id} is recorded as published ({post.publication.url if post.publication else ''}); not marking it failed")
            post.state = PostState.failed
            post.last_error = "marked failed by hand (its outcome was unknown)"
        post.deferred_until = None
        record(f"resolved_{as_}")
        return post


FollowUpDecision = Literal["done", "retry", "skip"]


def resolve_follow_up(path: Path | str, post_id: str, as_: FollowUpDecision, url: str | None = None) -> Post:
    """Settle a published post's follow-ups that failed or were cut off, as a person saw them:
    `done` (it is there, or you added it by hand: recorded, never sent again), `retry` (it is not
    there: sent with the next publish), `skip` (leave it out: never sent)."""
    with _editing(path, post_id, "resolve") as (run, post, record):
        if post.state is not PostState.published or post.publication is None:
            raise ValueError(f"{post_id} is {post.state.value}, not published: settle the post first "
                             f"(--resolve {post_id} --as published URL | --as failed)")
        open_ = [f for f in post.publication.follow_ups if f.state in ("failed", "publishing")]
        if not open_ and not post.follow_up_pending:
            raise ValueError(f"{post_id} has no follow-up left to settle")
        if as_ == "done":
            if url is not None:
                _check_url(url, "--follow-up done takes the follow-up's URL")
            for f in open_:
                f.state, f.error, f.error_kind, f.at = "published", None, None, f.at or utcnow()
                if url:
                    f.url, f.remote_id = url, remote_id_from_url(url)
            post.follow_up_pending = False
        elif as_ == "retry":
            post.publication.follow_ups = [f for f in post.publication.follow_ups if f not in open_]
            post.follow_up_pending = True
        else:
            for f in open_:
                f.state = "skipped"
            post.follow_up_pending = False
        record(f"follow_up_{as_}")
        return post


def _connector_or_none(platform: str, config) -> Connector | None:
    """The connector for a decision's bookkeeping; a missing or broken one must not block it."""
    if config is None:
        return None
    from .. import checks

    try:
        return checks.connector_for(platform, config)
    except Exception:
        return None
