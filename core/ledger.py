"""The publishing ledger: every post goes out at most once, even if the process dies mid-call.

Per post, in the run file: `draft -> ready -> publishing -> published | failed`. Before each call
that creates something (the post, then its link follow-up) the intent is saved durably; after
it, the outcome, at once. A post found in `publishing` has an unknown outcome: the platform is
asked (`find_existing`) before anything is retried, and when it cannot tell, a person decides
(`postgen publish RUN --resolve POST --as published URL|--as failed`). Nothing is ever guessed.

One publisher per run: the whole pass over a run holds the run's lock file.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Literal

from . import runfile
from .connector import Connector, PublishError
from .models import FollowUp, Post, PostState, Publication, Run, utcnow

Status = Literal["published", "failed", "deferred", "skipped", "unresolved"]
EVENT_FOR: dict[str, str] = {
    "published": "post_published",
    "failed": "post_failed",
    "unresolved": "post_failed",
    "deferred": "post_deferred",
    "skipped": "post_skipped",
}
# Refusals about the account or the config, not the post: nothing was created, the post stays
# ready (fixing the key or postgen.toml is enough), and the platform's other posts are not tried
# again in this pass.
ACCOUNT_KINDS = ("auth", "permission", "retired_version", "config")
BACKOFF_BASE, BACKOFF_CAP = 2.0, 60.0
EXIT_OK, EXIT_FAILED, EXIT_DEFERRED = 0, 1, 3


def sleep(seconds: float) -> None:
    """Module-level so tests replace it and never wait."""
    time.sleep(seconds)


def backoff(attempt: int) -> float:
    """Seconds to wait after the `attempt`-th transient failure: 2, 4, 8... capped at a minute."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))


def resolve_hint(run_id: str, post_id: str) -> str:
    return f"postgen publish {run_id} --resolve {post_id} --as published URL   (or --as failed)"


def content_digest(post: Post) -> str:
    """What a publish sends, fingerprinted: the ledger saves it with the intent, so an edit made
    while the outcome is unknown shows (the platform would be searched for the wrong text)."""
    import hashlib
    import json

    sent = [(post.title or "").strip(), post.body.strip(), post.link, post.link_policy]
    return hashlib.sha256(json.dumps(sent, ensure_ascii=False).encode()).hexdigest()[:16]


def needs_follow_up(post: Post, connector: Connector | None = None) -> bool:
    """Whether a follow-up (the link comment or reply, X thread parts) goes out after the post
    itself; the connector knows (without one: the link comment only)."""
    ask = getattr(connector, "needs_follow_up", None)  # a duck-typed plugin connector may lack it
    if ask is not None:
        return bool(ask(post))
    return post.link_policy == "first_comment" and bool(post.link)


@dataclass
class Outcome:
    """What happened to one post in one pass; the report table and the events are made of these."""

    run_id: str
    post_id: str
    platform: str
    status: Status
    reason: str = ""
    url: str | None = None
    until: datetime | None = None
    follow_up_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "run": self.run_id,
            "post": self.post_id,
            "platform": self.platform,
            "status": self.status,
            "reason": self.reason,
            "url": self.url,
            "until": self.until.isoformat() if self.until else None,
            "follow_up_errors": self.follow_up_errors,
        }


def exit_code(outcomes: Iterable[Outcome]) -> int:
    """0 all done, 1 something failed or needs a decision, 3 something deferred (and nothing failed)."""
    statuses = {o.status for o in outcomes}
    if statuses & {"failed", "unresolved"}:
        return EXIT_FAILED
    if "deferred" in statuses:
        return EXIT_DEFERRED
    return EXIT_OK


# --------------------------------------------------------------------------- selection


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def is_due(post: Post, now: datetime) -> bool:
    return post.scheduled_at is not None and _aware(post.scheduled_at) <= now


def select(
    run: Run,
    *,
    now: datetime,
    due: bool = False,
    platforms: Iterable[str] = (),
    post_ids: Iterable[str] = (),
    require_approval: bool = False,
    enabled: Iterable[str] | None = None,
) -> tuple[list[Post], list[Outcome]]:
    """The posts this pass acts on, and the ones it skips with why.

    Unfinished business (a post in `publishing`, a published post whose follow-up is pending)
    is always taken up (it was due and approved when it started), unless its platform has since
    been disabled. A failed post is retried only
    when named with --post (a person fixed it); with --due it is left out silently.
    """
    platforms, post_ids = set(platforms), set(post_ids)
    enabled = set(enabled) if enabled is not None else None
    act: list[Post] = []
    skipped: list[Outcome] = []

    def skip(post: Post, reason: str, status: Status = "skipped", until: datetime | None = None) -> None:
        skipped.append(Outcome(run.id, post.id, post.platform, status, reason, until=until))

    posts = sorted(run.posts, key=lambda p: (p.scheduled_at is None, _aware(p.scheduled_at) if p.scheduled_at else now))
    for post in posts:
        if platforms and post.platform not in platforms:
            continue
        if post_ids and post.id not in post_ids:
            continue
        named = post.id in post_ids
        disabled = enabled is not None and post.platform not in enabled
        not_enabled = f"platform {post.platform} is not enabled (platforms.enabled in postgen.toml)"
        if post.state is PostState.publishing:
            if disabled:  # a lookup that finds nothing would send it: not to a platform turned off
                skip(post, f"{not_enabled}; its last publish has an unknown outcome: {resolve_hint(run.id, post.id)}")
            else:
                act.append(post)
        elif post.state is PostState.published:
            unfinished = post.follow_up_pending or any(
                f.state == "publishing" for f in (post.publication.follow_ups if post.publication else [])
            )
            if unfinished and disabled:
                skip(post, f"{not_enabled}; its link follow-up waits until it is")
            elif unfinished:
                act.append(post)
            elif named:
                url = post.publication.url if post.publication else None
                skip(post, f"already published{': ' + url if url else ''}")
        elif due and not is_due(post, now):
            continue
        elif post.state is PostState.failed and not named:
            if not due:
                skip(post, f"failed earlier: {post.last_error or 'see its problems'}; fix it, then publish it with --post {post.id}")
        elif post.state is PostState.draft:
            skip(post, "still a draft: run 'postgen validate' on the run first")
        elif disabled:
            skip(post, not_enabled)
        elif require_approval and not post.approved:
            skip(post, f"not approved (publish.require_approval is on): postgen approve {run.id} {post.id}")
        elif post.deferred_until is not None and _aware(post.deferred_until) > now:
            skip(post, "rate limited earlier", status="deferred", until=post.deferred_until)
        else:
            act.append(post)
    return act, skipped


# --------------------------------------------------------------------------- publishing


def policy(config) -> dict:
    return {"require_approval": config.publish.require_approval, "enabled": config.platforms.enabled}


class Unresolved(Exception):
    """The platform cannot tell whether a post exists: a person must decide."""


class Replan(Exception):
    """Raised by `durable` at an intent: someone else moved the ledger first (CI: the push was
    rejected). Nothing was sent; the run is read again from disk and planned again."""


class RecordFailed(Exception):
    """Raised by `durable`: the ledger could not be made durable (CI: every push failed). Stop the
    pass; what was recorded is kept locally (and saved for a person, see docs/ci.md)."""


class Publisher:
    """Publishes selected posts of runs through their connectors, keeping the ledger.

    `connector_for(platform)` builds a connector (default: `postgen.checks.connector_for` with
    the config's options); `sleep` waits (tests pass a recorder); `fire` sends events.
    """

    def __init__(
        self,
        config,
        *,
        connector_for: Callable[[str], Connector] | None = None,
        sleep: Callable[[float], None] | None = None,
        fire: Callable[[Outcome], None] | None = None,
        durable: Callable[[list[Path], str], None] | None = None,
    ):
        self.config = config
        self._on_durable = durable  # CI: postgen.gitsync commits and pushes before each call
        self._connector_for = connector_for
        self._sleep = sleep
        self._fire = fire if fire is not None else fire_event
        self._connectors: dict[str, Connector] = {}
        self._blocked: dict[str, Outcome] = {}  # platform -> why its other posts are not tried

    # ---- helpers

    def connector(self, platform: str) -> Connector:
        if platform not in self._connectors:
            if self._connector_for is not None:
                self._connectors[platform] = self._connector_for(platform)
            else:
                from . import checks

                self._connectors[platform] = checks.connector_for(platform, self.config)
        return self._connectors[platform]

    def wait(self, seconds: float) -> None:
        (self._sleep or sleep)(max(0.0, seconds))

    @property
    def settings(self):
        return self.config.publish

    def policy(self) -> dict:
        """The config's say in `select`: the approval gate and the enabled platforms."""
        return policy(self.config)

    def _durable(self, handle: runfile.RunHandle, post: Post, moment: str) -> Post:
        """Hand the saved run file to `durable` ("intent": before a creating call; "outcome": after
        one is recorded), then read the run again: a git sync may have merged a person's edits."""
        if self._on_durable is None:
            return post
        self._on_durable([handle.path], moment)
        handle.run = runfile.load(handle.path)
        return handle.run.post(post.id)

    # ---- a run

    def publish_run(self, path: Path | str, only: Iterable[str] | None = None, **selection) -> list[Outcome]:
        """Hold the run's lock, load it fresh (a person's edits count), publish what is selected.

        `only`: the post ids a person confirmed; nothing outside them is sent, even if it fell due
        while they read the list."""
        path = Path(path)
        with runfile.locked(path, "publish"):
            handle = runfile.RunHandle(path, runfile.load(path))
            posts, outcomes = select(handle.run, now=utcnow(), **self.policy(), **selection)
            for outcome in outcomes:
                self._fire(outcome)
            done: set[str] = set()
            while True:
                # Planned again from the run as it is now: `durable` may have re-read it.
                posts, _ = select(handle.run, now=utcnow(), **self.policy(), **selection)
                posts = [p for p in posts if p.id not in done and (only is None or p.id in set(only))]
                if not posts:
                    break
                done.add(posts[0].id)
                try:
                    outcome = self.publish_post(handle, posts[0])
                except Replan:  # nothing was sent; someone else's ledger came first
                    handle.run = runfile.load(path)
                    done.discard(posts[0].id)
                    continue
                except RecordFailed as exc:
                    exc.outcomes = outcomes  # what this pass did before it stopped
                    raise
                self._fire(outcome)
                outcomes.append(outcome)
        return outcomes

    def publish_post(self, handle: runfile.RunHandle, post: Post) -> Outcome:
        """One post, start to finish. Any surprise stays with this post: the others go on."""
        run = handle.run
        blocked = self._blocked.get(post.platform)
        if blocked is not None:
            if blocked.status == "deferred" and blocked.until and post.state is PostState.ready:
                post.deferred_until = blocked.until  # same limit: do not knock before the reset
                handle.save()
            return Outcome(run.id, post.id, post.platform, blocked.status, blocked.reason, until=blocked.until)
        try:
            connector = self.connector(post.platform)
            outcome = self._publish(handle, post, connector)
        except (Replan, RecordFailed):
            raise
        except Unresolved as exc:
            outcome = Outcome(run.id, post.id, post.platform, "unresolved", str(exc))
        except Exception as exc:  # a connector bug must not stop the other posts
            outcome = Outcome(run.id, post.id, post.platform, "failed", f"{type(exc).__name__}: {exc}")
        self._durable(handle, post, "outcome")  # whatever this post's pass saved
        return outcome

    def _publish(self, handle: runfile.RunHandle, post: Post, connector: Connector) -> Outcome:
        run = handle.run
        if post.state is PostState.publishing:
            if post.sent_digest and post.sent_digest != content_digest(post):
                post.last_error = (f"outcome unknown (the last publish stopped mid-call) and the post was edited since: "
                                   f"{post.platform} may hold the earlier text, which postgen cannot look up")
                handle.save()
                raise Unresolved(f"{post.last_error}. Look on {post.platform}, then: {resolve_hint(run.id, post.id)}")
            try:
                found = connector.find_existing(post)
            except PublishError as exc:
                return self._cannot_tell(handle, post, exc, "the last publish stopped mid-call")
            if found is not None:
                post = self._record(handle, post, found, connector)
                return self._finish(handle, post, connector)
            # Not there: the call never landed, so sending it is safe.
        if post.state is PostState.published:
            return self._finish(handle, post, connector)

        from . import checks

        post.problems = checks.check_post(post, run, connector, self.config)
        errors = post.errors
        if errors:
            post.state = PostState.failed
            post.last_error = "; ".join(p.message for p in errors)
            handle.save()
            return Outcome(run.id, post.id, post.platform, "failed", f"not sent: {post.last_error}")
        return self._create(handle, post, connector)

    def _cannot_tell(self, handle: runfile.RunHandle, post: Post, exc: PublishError, why: str) -> Outcome:
        """find_existing could not answer: wait for a later pass, or ask a person."""
        run = handle.run
        if exc.kind in ("rate_limited", "transient"):
            post.last_error = f"outcome unknown ({why}); could not check {post.platform} now: {exc.message}"
            handle.save()
            until = datetime.fromtimestamp(exc.retry_at, timezone.utc) if exc.retry_at else None
            return Outcome(run.id, post.id, post.platform, "deferred", post.last_error + "; will check again next time", until=until)
        post.state = PostState.publishing
        post.last_error = f"outcome unknown ({why}) and {post.platform} cannot tell: {exc.message}"
        handle.save()
        raise Unresolved(f"{post.last_error}. Look on {post.platform}, then: {resolve_hint(run.id, post.id)}")

    def _create(self, handle: runfile.RunHandle, post: Post, connector: Connector) -> Outcome:
        run = handle.run
        post = self._upload(handle, post, connector)
        attempt = 0
        while True:
            attempt += 1
            post.state = PostState.publishing  # the intent, durable before the call
            post.sent_digest = content_digest(post)
            post.attempts += 1
            post.last_attempt_at = utcnow()
            post.deferred_until = None
            handle.save()
            post = self._durable(handle, post, "intent")
            try:
                publication = connector.publish(post)
            except PublishError as exc:
                if exc.kind == "duplicate":
                    # The answer may name the post it has (LinkedIn): enough where a lookup is impossible.
                    named = Publication(remote_id=exc.remote_id, url=exc.url) if exc.remote_id else None
                    try:
                        found = connector.find_existing(post) or named
                    except PublishError as lookup:
                        if named is None:
                            return self._cannot_tell(handle, post, lookup, f"{post.platform} says it already has this post")
                        found = named
                    if found is None:
                        post.last_error = f"{post.platform} says it already has this post ({exc.message}) but it cannot be found"
                        handle.save()
                        raise Unresolved(f"{post.last_error}. Look on {post.platform}, then: {resolve_hint(run.id, post.id)}") from None
                    post = self._record(handle, post, found, connector)
                    return self._finish(handle, post, connector)
                if exc.kind == "rate_limited":
                    post.state = PostState.ready  # a 429 created nothing
                    wait = exc.retry_at - utcnow().timestamp() if exc.retry_at is not None else None
                    if wait is not None and wait <= self.settings.max_wait_seconds and attempt < self.settings.max_attempts:
                        handle.save()
                        self.wait(wait)
                        continue
                    until = datetime.fromtimestamp(exc.retry_at, timezone.utc).replace(microsecond=0) if exc.retry_at else None
                    post.deferred_until = until
                    post.last_error = f"rate limited: {exc.message}"
                    handle.save()
                    reason = f"rate limited by {post.platform}; " + (
                        "retry on the next run after the reset" if until else "no reset time given; retry on the next run"
                    )
                    outcome = Outcome(run.id, post.id, post.platform, "deferred", reason, until=until)
                    self._blocked[post.platform] = outcome
                    return outcome
                if exc.kind == "unreachable":  # nothing left the machine: not sent, no lookup needed
                    post.state = PostState.ready
                    post.last_error = f"unreachable: {exc.message}"
                    handle.save()
                    return Outcome(run.id, post.id, post.platform, "deferred", f"not sent: {exc.message}")
                if exc.kind in ("transient", "unknown"):
                    # A timeout may have landed: ask before any retry.
                    server_said_no = exc.kind == "transient" and exc.status is not None and 500 <= exc.status < 600
                    # A 5xx usually means nothing was created, but a gateway can answer 5xx after the
                    # post landed: sending again unchecked is safe only where the platform itself
                    # refuses a duplicate (X, LinkedIn). Elsewhere (Reddit) the ledger looks first.
                    blind_retry_ok = server_said_no and connector.refuses_duplicates
                    if attempt >= self.settings.max_attempts:
                        post.state = PostState.ready if blind_retry_ok else PostState.publishing
                        post.last_error = f"{exc.kind}: {exc.message} (after {attempt} attempts)"
                        handle.save()
                        return Outcome(run.id, post.id, post.platform, "deferred",
                                       f"{post.last_error}; trying again on the next run")
                    self.wait(backoff(attempt))
                    try:
                        found = connector.find_existing(post)
                    except PublishError as lookup:
                        if not blind_retry_ok:
                            return self._cannot_tell(handle, post, lookup, f"the call ended with {exc.kind}: {exc.message}")
                        found = None  # the platform would refuse a copy: sending again is safe
                    if found is not None:
                        post = self._record(handle, post, found, connector)
                        return self._finish(handle, post, connector)
                    if not connector.refuses_duplicates:
                        # This platform takes copies, and its listing can lag behind a post that has
                        # just landed: look again on the next run rather than risk a second copy now.
                        post.state = PostState.publishing
                        post.last_error = (f"{exc.kind}: {exc.message}; not found on {post.platform} yet, "
                                           "which accepts copies: it is looked up again on the next run before any resend")
                        handle.save()
                        return Outcome(run.id, post.id, post.platform, "deferred", post.last_error)
                    continue
                post.last_error = f"{exc.kind}" + (f" ({exc.status})" if exc.status else "") + f": {exc.message}"
                if exc.kind in ACCOUNT_KINDS:
                    post.state = PostState.ready  # the post is fine; the account or keys are not
                    handle.save()
                    outcome = Outcome(run.id, post.id, post.platform, "failed", post.last_error)
                    self._blocked[post.platform] = Outcome(
                        run.id, post.id, post.platform, "failed", f"not tried: {post.platform} refused {post.id}: {post.last_error}"
                    )
                    return outcome
                post.state = PostState.failed
                handle.save()
                return Outcome(run.id, post.id, post.platform, "failed", post.last_error)
            post = self._record(handle, post, publication, connector)
            return self._finish(handle, post, connector)

    def _upload(self, handle: runfile.RunHandle, post: Post, connector: Connector) -> Post:
        """The post's picture, uploaded once as its own step (intent, call, outcome) before the post."""
        from . import uploads

        def record(moment: str) -> Post:  # the upload's intent and outcome, saved and made durable
            handle.save()
            return self._durable(handle, handle.run.post(post.id), moment)

        return uploads.ensure_uploaded(post, connector, record=record, wait=self.wait, delay=backoff,
                                       attempts=self.settings.max_attempts, max_wait=self.settings.max_wait_seconds,
                                       base_dir=self.config.base_dir)

    def _record(self, handle: runfile.RunHandle, post: Post, publication: Publication, connector: Connector) -> Post:
        """The platform has it: write that down before anything else happens."""
        from .uploads import without_picture

        if publication.published_at is None:
            publication = publication.model_copy(update={"published_at": utcnow()})
        notes = [n for n in (without_picture(post), post.media.note if post.media else None) if n]
        if notes:
            publication = publication.model_copy(update={"warnings": [*publication.warnings, *notes]})
        post.publication = publication
        post.state = PostState.published
        post.last_error = None
        post.deferred_until = None
        post.follow_up_pending = needs_follow_up(post, connector) and not publication.follow_ups
        handle.save()
        return self._durable(handle, post, "outcome")

    def _finish(self, handle: runfile.RunHandle, post: Post, connector: Connector) -> Outcome:
        """The link follow-up, once: intent saved first; one found mid-flight is never re-sent."""
        run = handle.run
        publication = post.publication
        assert publication is not None
        errors: list[str] = []
        stuck = [f for f in publication.follow_ups if f.state == "publishing"]
        if stuck:
            for follow_up in stuck:
                follow_up.state = "failed"
                follow_up.error = (
                    "outcome unknown: postgen stopped while posting it; check the post and add it by hand if it is missing"
                )
                errors.append(f"{follow_up.kind}: {follow_up.error}")
            post.follow_up_pending = False
            handle.save()
        elif post.follow_up_pending:
            before = publication.model_copy(deep=True)
            publication.follow_ups.append(FollowUp(kind=post.link_policy, state="publishing", at=utcnow()))
            handle.save()
            post = self._durable(handle, post, "intent")
            try:
                result = connector.publish_follow_up(post, before.model_copy(deep=True))
            except PublishError as exc:  # the contract says record, not raise; be forgiving
                result = before.model_copy(deep=True)
                result.follow_ups.append(FollowUp(kind=post.link_policy, state="failed", error=exc.message, at=utcnow()))
            for follow_up in result.follow_ups[len(before.follow_ups):]:
                follow_up.at = follow_up.at or utcnow()
            post.publication = result
            post.follow_up_pending = False
            handle.save()
            post = self._durable(handle, post, "outcome")
            known = len(before.follow_ups)
            errors = [f"{f.kind}: {f.error}" for f in result.follow_ups[known:] if f.state == "failed"]
        for error in errors:
            fire_event_kind("follow_up_failed", run.id, post.id, error, {"platform": post.platform})
        url = post.publication.url if post.publication else None
        reason = "link follow-up failed: " + "; ".join(errors) if errors else ""
        warnings = post.publication.warnings if post.publication else []  # read-back: it differs from what was sent
        reason = "; ".join(([reason] if reason else []) + warnings)
        return Outcome(run.id, post.id, post.platform, "published", reason, url=url, follow_up_errors=errors)


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


def resolve(path: Path | str, post_id: str, as_: Literal["published", "failed"], url: str | None = None,
            config=None) -> Post:
    """Record a person's decision about a post whose outcome postgen could not know.

    With `config`, the post's connector says whether a follow-up is still to go out."""
    with runfile.editing(path, "resolve") as handle:
        try:
            post = handle.run.post(post_id)
        except KeyError:
            ids = ", ".join(p.id for p in handle.run.posts)
            raise ValueError(f"no post {post_id!r} in {handle.run.id} (posts: {ids})") from None
        if as_ == "published":
            if not url or not re.match(r"https?://", url):
                raise ValueError("--as published needs the post's URL (https://...) as it appears on the platform")
            if post.state is PostState.published and post.publication is not None:
                # Recording it again would drop its follow-ups and send the link comment twice.
                if post.publication.url == url:
                    return post
                raise ValueError(f"{post_id} is already recorded as published ({post.publication.url}); "
                                 "to correct the URL, edit the post's publication in the run file's state block")
            post.publication = Publication(remote_id=remote_id_from_url(url), url=url, published_at=post.last_attempt_at or utcnow())
            post.state = PostState.published
            post.follow_up_pending = needs_follow_up(post, _connector_or_none(post.platform, config))
            post.last_error = None
        else:
            if post.state is PostState.published:
                raise ValueError(f"{post_id} is recorded as published ({post.publication.url if post.publication else ''}); not marking it failed")
            post.state = PostState.failed
            post.last_error = "marked failed by hand (its outcome was unknown)"
        post.deferred_until = None
        return post


def _connector_or_none(platform: str, config) -> Connector | None:
    """The connector for a decision's bookkeeping; a missing or broken one must not block it."""
    if config is None:
        return None
    from . import checks

    try:
        return checks.connector_for(platform, config)
    except Exception:
        return None


# --------------------------------------------------------------------------- events


def fire_event_kind(kind: str, run_id: str, post_id: str, message: str, data: dict) -> None:
    from .events import Event, fire

    fire(Event(kind, run_id=run_id, post_id=post_id, message=message, data=data))


def fire_event(outcome: Outcome) -> None:
    """post_published / post_failed / post_deferred / post_skipped for one outcome."""
    fire_event_kind(EVENT_FOR[outcome.status], outcome.run_id, outcome.post_id, outcome.reason, outcome.to_dict())
