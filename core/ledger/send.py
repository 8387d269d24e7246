"""Sending: one post at a time, intent -> call -> outcome, each step on the journal first.

Before each call that creates something (the post, then its follow-up) the intent is written to
the journal and the run file, and handed to the `durable` hook (CI pushes it; a refused push
means re-plan, never "send anyway"); after the call, the outcome, the same way. A post found in
`publishing` has an unknown outcome and is reconciled before anything is sent again.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterable

from .. import runfile
from ..connector import Connector, PublishError
from ..models import FollowUp, Post, PostState, Publication, Run, utcnow
from . import journal as journal_mod
from .journal import Entry, Journal, content_digest
from .outcome import (
    Outcome,
    RecordFailed,
    Replan,
    Unresolved,
    fire_event,
    fire_event_kind,
    follow_up_hint,
    resolve_hint,
)
from .plan import Spend, effective, estimate, link_carried, policy, reschedule_late, select
from .reconcile import NEXT_STEP, needs_follow_up, resend_after_server_error, retry_step

# Refusals about the account or the config, not the post: nothing was created, the post stays
# ready (fixing the key or postgen.toml is enough), and the platform's other posts are not tried
# again in this pass.
ACCOUNT_KINDS = ("auth", "permission", "retired_version", "config")
BACKOFF_BASE, BACKOFF_CAP = 2.0, 60.0
MAX_REPLANS = 5  # a branch that keeps moving under one pass: stop and let the next pass try
MAX_FOLLOW_UPS = 50  # find_follow_up answers one at a time; a thread is never longer than this
_RETRY = object()  # _after_error: call the platform again


def backoff(attempt: int) -> float:
    """Seconds to wait after the `attempt`-th transient failure: 2, 4, 8... capped at a minute."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def missing_keys(connector: Connector) -> list[str]:
    """Credential env var names a connector lacks to publish at all (its own check decides, so an
    alternative key such as X_BEARER_TOKEN counts). Checked only when one is unset."""
    env = getattr(connector, "env", {}) or {}
    if all(env.get(name) for name in getattr(connector, "credentials", ())):
        return []
    try:
        health = connector.check()
    except Exception:
        return []  # let the publish call say what is wrong
    return list(health.missing) if not health.ok else []


class Handle(runfile.RunHandle):
    """A loaded run under its lock, with its journal."""

    def __init__(self, path: Path, run: Run, journal: Journal):
        super().__init__(path, run)
        self.journal = journal

    @property
    def paths(self) -> list[Path]:
        return [self.path] + ([self.journal.path] if self.journal.path.exists() else [])


class Publisher:
    """Publishes selected posts of runs through their connectors, keeping the ledger.

    `connector_for(platform)` builds a connector (default: `postgen.checks.connector_for` with
    the config's options); `sleep` waits (tests pass a recorder); `fire` sends events;
    `durable(paths, moment)` is called after the run file and journal are saved: "intent" right
    before a call that creates something (it may raise Replan), "outcome" after an outcome is
    recorded (it may raise RecordFailed). After each call the run is read again from disk.
    RecordFailed stops the pass: it leaves `publish_run` with `.outcomes` (what the pass did
    before), and the Publisher sends nothing more.
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
        self._connector_for = connector_for
        self._sleep = sleep
        self._fire = fire if fire is not None else fire_event
        self._durable = durable
        self._connectors: dict[str, Connector] = {}
        self._blocked: dict[str, Outcome] = {}  # platform -> why its other posts are not tried
        self._missing: dict[str, list[str]] = {}  # platform -> credential names not set
        self._stopped: str | None = None  # recording failed: the pass sends nothing more
        self._spend: Spend | None = None
        self._book = None  # the pass's SlotBook, built on first need
        self.notices: list[str] = []  # things a person should read (a run file behind its journal)

    # ---- helpers

    def connector(self, platform: str) -> Connector:
        if platform not in self._connectors:
            if self._connector_for is not None:
                self._connectors[platform] = self._connector_for(platform)
            else:
                from .. import checks

                self._connectors[platform] = checks.connector_for(platform, self.config)
        return self._connectors[platform]

    def wait(self, seconds: float) -> None:
        from .. import ledger  # its module-level `sleep`, looked up now so tests can replace it

        (self._sleep or ledger.sleep)(max(0.0, seconds))

    @property
    def settings(self):
        return self.config.publish

    def policy(self) -> dict:
        """The config's say in `select`: the approval gate and the enabled platforms."""
        return policy(self.config)

    def _spend_book(self, runs_dir: Path) -> Spend:
        if self._spend is None:
            self._spend = Spend(self.config, runs_dir, utcnow())
        return self._spend

    def _open(self, path: Path) -> Handle:
        run, behind = journal_mod.load(path)
        handle = Handle(path, run, Journal.of(path, run.id))
        if behind:
            self.notices.append(f"{path.name}: the run file was behind its journal ({handle.journal.path}) for "
                                f"{', '.join(behind)}; brought up to date before publishing")
            handle.save()
        return handle

    # ---- recording

    def _commit(self, handle: Handle, post: Post, *, result: str, event: str = "outcome", what: str = "post",
                cost: float | None = None, before: dict | None = None) -> Post:
        """Run file, then journal line; then the durable hook. Returns the post as it is after
        that (the run is re-read from disk when a hook ran)."""
        entry = handle.journal.append(handle.run.id, post, event=event, what=what, result=result, cost_usd=cost,
                                      save_first=handle.save)
        if self._durable is None:
            return post
        return self._sync(handle, post.id, entry, before)

    def _reload(self, handle: Handle) -> None:
        fresh = self._open(handle.path)
        handle.run, handle.journal = fresh.run, fresh.journal

    def _sync(self, handle: Handle, post_id: str, entry: Entry, before: dict | None) -> Post:
        moment = "intent" if entry.event == "intent" else "outcome"
        try:
            self._durable(handle.paths, moment)  # type: ignore[misc]
        except Replan:
            if moment != "intent":
                raise RecordFailed("the durable hook asked to re-plan after an outcome") from None
            self._reload(handle)
            self._withdraw(handle, post_id, entry, before, "its intent could not be recorded beyond this machine")
            raise
        except RecordFailed:
            raise
        except Exception as exc:  # whatever went wrong, nothing is sent on an intent that is not durable
            raise RecordFailed(f"{type(exc).__name__}: {exc}") from exc
        self._reload(handle)
        try:
            post = handle.run.post(post_id)
        except KeyError:
            raise Replan(f"{post_id} is no longer in the run file") from None
        if moment == "intent":
            newest = handle.journal.newest(post_id)
            if newest is None or newest.id != entry.id:
                raise Replan(f"another publisher recorded {post_id} meanwhile")
            if content_digest(post, handle.run.id) != entry.digest:
                self._withdraw(handle, post_id, entry, before, "edited while its intent was being recorded")
                raise Replan(f"{post_id} was edited while its intent was being recorded")
        return post

    def _withdraw(self, handle: Handle, post_id: str, entry: Entry, before: dict | None, why: str) -> None:
        """Nothing was sent on `entry`: put the post back as it was, on the record too."""
        newest = handle.journal.newest(post_id)
        if before is None or newest is None or newest.id != entry.id:
            return
        post = handle.run.post(post_id)
        for name, value in before.items():
            setattr(post, name, value)
        handle.journal.append(handle.run.id, post, event="outcome", what=entry.what, result="withdrawn",
                              save_first=handle.save)

    @staticmethod
    def _snapshot(post: Post, deep: bool = False) -> dict:
        """The post's ledger fields (`deep`: copies, for fields that are changed in place, as the picture's)."""
        fields = {name: getattr(post, name) for name in journal_mod.LEDGER_FIELDS}
        if deep:
            fields = {k: v.model_copy(deep=True) if hasattr(v, "model_copy") else v for k, v in fields.items()}
        return fields

    # ---- a run

    def publish_run(self, path: Path | str, only: Iterable[str] | None = None, **selection) -> list[Outcome]:
        """Hold the run's lock, load it fresh (a person's edits count; the journal overlaid), move
        what is too late (with --due), publish what is selected.

        `only`: the post ids a person confirmed; nothing outside them is sent, even if it fell due
        while they read the list."""
        path = Path(path)
        if self._stopped:
            raise RecordFailed(f"not tried: {self._stopped}")
        with journal_mod.hold(path, "publish"):
            handle = self._open(path)
            outcomes = self._reschedule(handle, selection)
            posts, skipped = select(handle.run, now=utcnow(), **self.policy(), **selection)
            outcomes += skipped
            for outcome in outcomes:
                self._fire(outcome)
            chosen = [p.id for p in posts if only is None or p.id in set(only)]
            todo, done, replans = list(chosen), set(), 0
            while todo:
                post_id = todo.pop(0)
                try:
                    outcome = self.publish_post(handle, handle.run.post(post_id))
                except RecordFailed as exc:  # stop the pass; what it recorded stays in the local files
                    self._stopped = f"recording failed earlier in this pass: {exc}"
                    exc.outcomes = outcomes  # type: ignore[attr-defined]  # what this pass did before it stopped
                    raise
                except Replan as exc:
                    replans += 1
                    self._reload(handle)
                    if replans > MAX_REPLANS:
                        for pid in [post_id, *todo]:
                            p = handle.run.post(pid)
                            outcome = Outcome(handle.run.id, pid, p.platform, "deferred",
                                              f"not sent: the ledger kept moving while recording its intent ({exc}); the next pass tries again")
                            self._fire(outcome)
                            outcomes.append(outcome)
                        break
                    posts, _ = select(handle.run, now=utcnow(), **self.policy(), **selection)
                    todo = [p.id for p in posts if p.id in chosen and p.id not in done]
                    continue
                done.add(post_id)
                self._fire(outcome)
                outcomes.append(outcome)
        return outcomes

    def _reschedule(self, handle: Handle, selection: dict) -> list[Outcome]:
        """--due: posts too late to send now take the next free slot (saved at once)."""
        if not selection.get("due"):
            return []
        if self._book is None:
            from ..schedule import SlotBook

            self._book = SlotBook(self.config, handle.path.parent)
        moved = reschedule_late(handle.run, now=utcnow(), config=self.config, book=self._book,
                                platforms=selection.get("platforms", ()), post_ids=selection.get("post_ids", ()),
                                enabled=self.policy()["enabled"])
        if moved:
            handle.save()
            if self._durable is not None:
                try:
                    self._durable(handle.paths, "outcome")
                except Exception:
                    pass  # a schedule change is not a send: the next pass moves them again if it is lost
                self._reload(handle)
        return moved

    def publish_post(self, handle: Handle, post: Post) -> Outcome:
        """One post, start to finish. Any surprise stays with this post: the others go on."""
        run = handle.run
        try:
            blocked = self._blocked.get(post.platform)
            if blocked is not None:
                if blocked.status == "deferred" and blocked.until and post.state is PostState.ready:
                    post.deferred_until = blocked.until  # same limit: do not knock before the reset
                    self._commit(handle, post, result="rate_limited")
                return Outcome(run.id, post.id, post.platform, blocked.status, blocked.reason, until=blocked.until)
            connector = self.connector(post.platform)
            if post.platform not in self._missing:  # once per pass: a check may cost a call
                self._missing[post.platform] = missing_keys(connector)
            missing = self._missing[post.platform]
            if missing:  # the post stays as it is; the platform's keys are the person's to set
                return Outcome(run.id, post.id, post.platform, "skipped",
                               f"skipped: {', '.join(missing)} not set (postgen doctor); it goes out once they are")
            return self._publish(handle, post, connector)
        except (Replan, RecordFailed):
            raise
        except Unresolved as exc:
            return Outcome(run.id, post.id, post.platform, "unresolved", str(exc))
        except Exception as exc:  # a connector bug must not stop the other posts
            return Outcome(run.id, post.id, post.platform, "failed", f"{type(exc).__name__}: {exc}")

    def _publish(self, handle: Handle, post: Post, connector: Connector) -> Outcome:
        run = handle.run
        looked = False
        if post.state is PostState.publishing:
            outcome = self._reconcile(handle, post, connector)
            if outcome is not None:
                return outcome
            post, looked = handle.run.post(post.id), True
        if post.state is PostState.published:
            return self._finish(handle, post, connector)

        from .. import checks

        post.problems = checks.check_post(post, run, connector, self.config)
        errors = post.errors
        if errors:
            post.state = PostState.failed
            post.last_error = "; ".join(p.message for p in errors)
            self._commit(handle, post, result="failed")
            return Outcome(run.id, post.id, post.platform, "failed", f"not sent: {post.last_error}")
        cost = estimate(connector, effective(run, post))
        over = self._spend_book(handle.path.parent).refuses(cost)
        if over:
            return Outcome(run.id, post.id, post.platform, "deferred", f"not sent: {over}",
                           until=self._spend_book(handle.path.parent).tomorrow)
        return self._create(handle, post, connector, cost, look=not looked and self._should_look(handle, post, connector))

    # ---- unknown outcomes

    def _reconcile(self, handle: Handle, post: Post, connector: Connector) -> Outcome | None:
        """A post left in `publishing`: found (recorded), not there yet (wait), or safe to send (None)."""
        run = handle.run
        if post.sent_digest and post.sent_digest != content_digest(post, run.id):
            post.last_error = (f"outcome unknown (the last publish stopped mid-call) and the post was edited since: "
                               f"{post.platform} may hold the earlier text, which postgen cannot look up")
            self._commit(handle, post, result="unknown")
            raise Unresolved(f"{post.last_error}. Look on {post.platform}, then: {resolve_hint(run.id, post.id)}")
        try:
            found = connector.find_existing(post)
        except PublishError as exc:
            return self._cannot_tell(handle, post, exc, "the last publish stopped mid-call")
        if found is not None:
            post = self._record(handle, post, found, connector, cost=estimate(connector, effective(run, post)), result="found")
            return self._finish(handle, post, connector)
        return self._listing_lag(handle, post, connector, post.last_attempt_at)

    def _listing_lag(self, handle: Handle, post: Post, connector: Connector, since: datetime | None) -> Outcome | None:
        """Not found, on a platform whose listing lags: wait until the lag is over before any resend."""
        if not getattr(connector, "listing_lags", False) or since is None:
            return None
        until = _aware(since) + timedelta(minutes=self.settings.listing_lag_minutes)
        if utcnow() >= until:
            return None
        post.last_error = (f"outcome unknown; not found on {post.platform} yet, whose listing can lag behind a post "
                           f"that just landed: looked up again after {until:%H:%M} UTC, before any resend")
        self._commit(handle, post, result="unknown")
        return Outcome(handle.run.id, post.id, post.platform, "deferred", post.last_error, until=until)

    def _cannot_tell(self, handle: Handle, post: Post, exc: PublishError, why: str) -> Outcome:
        """find_existing could not answer: wait for a later pass, or ask a person."""
        run = handle.run
        if exc.kind in ("rate_limited", "transient"):
            post.last_error = f"outcome unknown ({why}); could not check {post.platform} now: {exc.message}"
            self._commit(handle, post, result="unknown")
            until = datetime.fromtimestamp(exc.retry_at, timezone.utc) if exc.retry_at else None
            return Outcome(run.id, post.id, post.platform, "deferred", post.last_error + "; will check again next time", until=until)
        post.state = PostState.publishing
        post.last_error = f"outcome unknown ({why}) and {post.platform} cannot tell: {exc.message}"
        self._commit(handle, post, result="unknown")
        raise Unresolved(f"{post.last_error}. Look on {post.platform}, then: {resolve_hint(run.id, post.id)}")

    def _should_look(self, handle: Handle, post: Post, connector: Connector) -> bool:
        """A stale copy must never resend: ask the platform before sending a ready post where that
        is cheap and needed. Always where it takes copies (Reddit: nothing else stops a second
        one); where it refuses copies (X reads are billed) only when the post was tried before."""
        tried = post.attempts > 0 or handle.journal.newest(post.id) is not None
        return not connector.refuses_duplicates or tried

    def _look_after_intent(self, handle: Handle, post: Post, connector: Connector, before: dict) -> Outcome | None:
        """The lookup that keeps a stale copy from resending, made once the intent is durable (so
        a job that lost the race to record it has already re-planned). None: send."""
        run = handle.run
        try:
            found = connector.find_existing(post)
        except PublishError as exc:
            if exc.kind in ("rate_limited", "transient") and not connector.refuses_duplicates:
                for name, value in before.items():  # nothing was sent: the intent is withdrawn
                    setattr(post, name, value)
                post.last_error = (f"could not check {post.platform} for an earlier copy ({exc.message}); it takes "
                                   "copies, so the post waits: checked again next run")
                self._commit(handle, post, result="withdrawn")
                return Outcome(run.id, post.id, post.platform, "deferred", f"not sent: {post.last_error}")
            return None  # cannot look: a platform that refuses copies says "duplicate"; elsewhere the journal stands alone
        if found is None:
            return None
        post = self._record(handle, post, found, connector, cost=None, result="found")
        outcome = self._finish(handle, post, connector)
        outcome.reason = ("already on the platform (sent earlier; the run file did not show it): recorded, not sent again"
                          + (f"; {outcome.reason}" if outcome.reason else ""))
        return outcome

    # ---- creating

    def _create(self, handle: Handle, post: Post, connector: Connector, cost: float, look: bool = False) -> Outcome:
        run = handle.run
        post = self._upload(handle, post, connector)
        attempt = 0
        while True:
            attempt += 1
            before = self._snapshot(post)
            post.state = PostState.publishing  # the intent, durable before the call
            post.sent_digest = content_digest(post, run.id)
            post.attempts += 1
            post.last_attempt_at = utcnow()
            post.deferred_until = None
            post = self._commit(handle, post, event="intent", result="intent", before=before)
            if look and attempt == 1:
                outcome = self._look_after_intent(handle, post, connector, before)
                if outcome is not None:
                    return outcome
            try:
                publication = connector.publish(post)
            except PublishError as exc:
                result = self._after_error(handle, post, connector, exc, attempt, cost)
                if result is _RETRY:
                    post = handle.run.post(post.id)
                    continue
                return result  # type: ignore[return-value]
            post = self._record(handle, post, publication, connector, cost=cost)
            return self._finish(handle, post, connector)

    def _upload(self, handle: Handle, post: Post, connector: Connector) -> Post:
        """The post's picture, uploaded once as a step of its own before the post (postgen.uploads):
        its intent and its outcome (the media id) go on the journal and through `durable` like any
        creating call, so a pass resumed anywhere never uploads a saved picture again."""
        from .. import uploads

        before = self._snapshot(post, deep=True)  # what a refused intent (Replan) puts back

        def record(moment: str) -> Post:
            nonlocal before
            current = handle.run.post(post.id)  # the post postgen.uploads changed (re-read after each durable step)
            if moment == "intent":
                saved = self._commit(handle, current, event="intent", what="media", result="intent", before=before)
            else:
                saved = self._commit(handle, current, what="media", result=current.media.state if current.media else "failed")
            before = self._snapshot(saved, deep=True)
            return saved

        return uploads.ensure_uploaded(post, connector, record=record, wait=self.wait, delay=backoff,
                                       attempts=self.settings.max_attempts, max_wait=self.settings.max_wait_seconds,
                                       base_dir=self.config.base_dir)

    def _after_error(self, handle: Handle, post: Post, connector: Connector, exc: PublishError, attempt: int,
                     cost: float) -> Any:
        """What a refused or failed create means; _RETRY to call again now."""
        run = handle.run
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
                self._commit(handle, post, result="unknown")
                raise Unresolved(f"{post.last_error}. Look on {post.platform}, then: {resolve_hint(run.id, post.id)}") from None
            post = self._record(handle, post, found, connector, cost=None, result="found")
            return self._finish(handle, post, connector)
        if exc.kind == "rate_limited":
            post.state = PostState.ready  # a 429 created nothing
            wait = exc.retry_at - utcnow().timestamp() if exc.retry_at is not None else None
            if wait is not None and wait <= self.settings.max_wait_seconds and attempt < self.settings.max_attempts:
                post.last_error = f"rate limited: {exc.message}; waiting {wait:.0f} s for the reset"
                self._commit(handle, post, result="rate_limited")  # saved before waiting: a kill here loses nothing
                self.wait(wait)
                return _RETRY
            until = datetime.fromtimestamp(exc.retry_at, timezone.utc).replace(microsecond=0) if exc.retry_at else None
            post.deferred_until = until
            post.last_error = f"rate limited: {exc.message}"
            self._commit(handle, post, result="rate_limited")
            reason = f"rate limited by {post.platform}; " + (
                "retry on the next run after the reset" if until else "no reset time given; retry on the next run"
            )
            outcome = Outcome(run.id, post.id, post.platform, "deferred", reason, until=until)
            self._blocked[post.platform] = outcome
            return outcome
        if exc.kind == "unreachable":  # nothing left the machine: not sent, no lookup needed
            post.state = PostState.ready
            post.last_error = f"unreachable: {exc.message}"
            self._commit(handle, post, result="not_sent")
            return Outcome(run.id, post.id, post.platform, "deferred", f"not sent: {exc.message}; tried again on the next run")
        if exc.kind in ("transient", "unknown"):
            # A timeout may have landed: ask before any retry.
            server_said_no = exc.kind == "transient" and exc.status is not None and 500 <= exc.status < 600
            blind_retry_ok = server_said_no and resend_after_server_error(connector)
            if attempt >= self.settings.max_attempts:
                post.state = PostState.ready if blind_retry_ok else PostState.publishing
                then = "trying again on the next run" if blind_retry_ok else "looked up on the next run before any resend"
                post.last_error = f"{exc.kind}: {exc.message} (after {attempt} attempts)"
                self._commit(handle, post, result="unknown" if not blind_retry_ok else "not_sent")
                return Outcome(run.id, post.id, post.platform, "deferred", f"{post.last_error}; {then}")
            self.wait(backoff(attempt))
            try:
                found = connector.find_existing(post)
            except PublishError as lookup:
                if not blind_retry_ok:
                    return self._cannot_tell(handle, post, lookup, f"the call ended with {exc.kind}: {exc.message}")
                found = None  # the platform would refuse a copy: sending again is safe
            if found is not None:
                post = self._record(handle, post, found, connector, cost=cost, result="found")
                return self._finish(handle, post, connector)
            if not connector.refuses_duplicates:
                # This platform takes copies, and its listing can lag behind a post that has just
                # landed: look again on a later pass rather than risk a second copy now.
                post.state = PostState.publishing
                lag = self.settings.listing_lag_minutes if getattr(connector, "listing_lags", False) else 0
                post.last_error = (f"{exc.kind}: {exc.message}; not found on {post.platform} yet, which accepts copies: "
                                   f"it is looked up again on the next run (at least {lag} minutes after the attempt) "
                                   "before any resend")
                self._commit(handle, post, result="unknown")
                return Outcome(run.id, post.id, post.platform, "deferred", post.last_error)
            return _RETRY
        post.last_error = f"{exc.kind}" + (f" ({exc.status})" if exc.status else "") + f": {exc.message}"
        if exc.kind in ACCOUNT_KINDS:
            post.state = PostState.ready  # the post is fine; the account or keys are not
            self._commit(handle, post, result="not_sent")
            outcome = Outcome(run.id, post.id, post.platform, "failed", post.last_error)
            self._blocked[post.platform] = Outcome(
                run.id, post.id, post.platform, "failed", f"not tried: {post.platform} refused {post.id}: {post.last_error}"
            )
            return outcome
        post.state = PostState.failed
        self._commit(handle, post, result="failed")
        return Outcome(run.id, post.id, post.platform, "failed", post.last_error)

    def _record(self, handle: Handle, post: Post, publication: Publication, connector: Connector, *,
                cost: float | None, result: str = "published") -> Post:
        """The platform has it: write that down before anything else happens."""
        from ..uploads import without_picture

        if publication.published_at is None:
            publication = publication.model_copy(update={"published_at": utcnow()})
        notes = [n for n in (without_picture(post), post.media.note if post.media else None) if n]
        if notes:  # the post went without its picture, or its alt text: a person should know
            publication = publication.model_copy(update={"warnings": [*publication.warnings, *notes]})
        post.publication = publication
        post.state = PostState.published
        post.last_error = None
        post.deferred_until = None
        if post.link_policy == "once":  # the first post of the run and platform to go out carries the link
            post.link_policy = "none" if link_carried(handle.run, post) else "first_comment"
        post.follow_up_pending = needs_follow_up(post, connector) and not publication.follow_ups
        post = self._commit(handle, post, result=result, cost=cost)
        if self._spend is not None:
            self._spend.add(cost)
        return post

    # ---- follow-ups

    def _finish(self, handle: Handle, post: Post, connector: Connector) -> Outcome:
        """The follow-ups, once each: a cut-off or doubtful one is looked up before any resend, a
        failed one is sent again on a later pass when that is safe, and the rest waits for a person."""
        pid = post.id
        new_failures: list[FollowUp] = []
        follow_ups = post.publication.follow_ups if post.publication else []
        stuck = [f for f in follow_ups if f.state == "publishing"]
        if stuck:
            waiting = self._settle_unknown(handle, post, connector, stuck, blind_ok=False)
            if waiting is not None:
                return waiting
        elif not post.follow_up_pending:
            failed = [f for f in follow_ups if f.state == "failed"]
            steps = {retry_step(f) for f in failed}
            if failed and "decide" not in steps:
                resend = [f for f in failed if retry_step(f) == "send"]
                doubtful = [f for f in failed if retry_step(f) == "lookup"]
                if doubtful:
                    blind = all(f.error_kind == "transient" for f in doubtful) and resend_after_server_error(connector)
                    waiting = self._settle_unknown(handle, post, connector, doubtful, blind_ok=blind)
                    if waiting is not None:
                        return waiting
                    post = handle.run.post(pid)
                if resend and post.publication is not None:
                    post.publication.follow_ups = [f for f in post.publication.follow_ups if f not in resend]
                    post.follow_up_pending = True
                    post = self._commit(handle, post, what="follow_up", result="retry")
        post = handle.run.post(pid)
        if post.follow_up_pending:
            post, new_failures = self._send_follow_up(handle, post, connector)
        return self._follow_up_outcome(handle.run, post, new_failures)

    def _settle_unknown(self, handle: Handle, post: Post, connector: Connector, entries: list[FollowUp],
                        blind_ok: bool) -> Outcome | None:
        """Follow-ups that may or may not have landed: ask the platform (`find_follow_up`)."""
        run = handle.run
        assert post.publication is not None
        known = post.publication.model_copy(deep=True)
        known.follow_ups = [f for f in known.follow_ups if f not in entries]
        lookup = getattr(connector, "find_follow_up", None)
        found_any = False
        try:
            if lookup is None:
                raise PublishError("unknown", f"{post.platform} cannot look follow-ups up")
            # Each call answers for the next follow-up publish_follow_up would send (a thread part,
            # the link reply): ask until it is not there.
            for _ in range(MAX_FOLLOW_UPS):
                found = lookup(post, known.model_copy(deep=True))
                if found is None:
                    break
                found.state, found.at = "published", found.at or utcnow()
                known.follow_ups.append(found)
                found_any = True
        except PublishError as exc:
            if exc.kind in ("rate_limited", "transient"):
                return Outcome(run.id, post.id, post.platform, "published",
                               f"its link follow-up's outcome is unknown and {post.platform} could not be asked now "
                               f"({exc.message}): asked again on the next run",
                               url=post.publication.url, follow_up="retry")
            if blind_ok:  # the platform refuses a copy: sending again is safe
                post.publication = known
                post.follow_up_pending = True
                self._commit(handle, post, what="follow_up", result="retry")
                return None
            for f in entries:
                f.state, f.error_kind = "failed", "unresolved"
                f.error = (f"outcome unknown ({f.error or 'postgen stopped while posting it'}) and {post.platform} cannot "
                           "tell; check the post and settle it")
            post.follow_up_pending = False
            self._commit(handle, post, what="follow_up", result="unknown")
            return None
        since = max((_aware(f.at) for f in entries if f.at), default=None)
        if not found_any and getattr(connector, "listing_lags", False) and since is not None:
            until = since + timedelta(minutes=self.settings.listing_lag_minutes)
            if utcnow() < until:
                return Outcome(run.id, post.id, post.platform, "published",
                               f"its link follow-up is not on {post.platform} yet, whose listing can lag: looked up "
                               f"again after {until:%H:%M} UTC, before any resend",
                               url=post.publication.url, until=until, follow_up="retry")
        # What was found is recorded; what is not there is safe to send (the connector sends only
        # what the publication does not hold yet).
        post.publication = known
        post.follow_up_pending = needs_follow_up(post, connector)
        self._commit(handle, post, what="follow_up", result="found" if found_any else "not_found")
        return None

    def _send_follow_up(self, handle: Handle, post: Post, connector: Connector) -> tuple[Post, list[FollowUp]]:
        assert post.publication is not None
        before = post.publication.model_copy(deep=True)
        snapshot = self._snapshot(post)
        snapshot["publication"] = before.model_copy(deep=True)
        kind = post.link_policy if post.link_policy in ("first_comment", "once") else "thread"
        post.publication.follow_ups.append(FollowUp(kind=kind, state="publishing", at=utcnow()))
        post = self._commit(handle, post, event="intent", what="follow_up", result="intent", before=snapshot)
        try:
            result = connector.publish_follow_up(post, before.model_copy(deep=True))
        except PublishError as exc:  # the contract says record, not raise; be forgiving
            result = before.model_copy(deep=True)
            result.follow_ups.append(FollowUp(kind=kind, state="failed", error=exc.message, error_kind=exc.kind, at=utcnow()))
        for follow_up in result.follow_ups:
            follow_up.at = follow_up.at or utcnow()
        new = [f for f in result.follow_ups if f.state == "failed" and f not in before.follow_ups]
        post.publication = result
        post.follow_up_pending = False
        post = self._commit(handle, post, what="follow_up", result="failed" if new else "published")
        return post, new

    def _follow_up_outcome(self, run: Run, post: Post, new_failures: list[FollowUp]) -> Outcome:
        """The published post's outcome, saying truthfully what happens next to each follow-up."""
        errors: list[str] = []
        next_ = ""
        for f in (post.publication.follow_ups if post.publication else []):
            if f.state != "failed":
                continue
            step = retry_step(f)
            then = NEXT_STEP[step] + (f": {follow_up_hint(run.id, post.id)}" if step == "decide" else "")
            errors.append(f"{f.kind}: {f.error} -> {then}")
            next_ = "decide" if step == "decide" or next_ == "decide" else "retry"
            if f in new_failures or f.error_kind == "unresolved":
                fire_event_kind("follow_up_failed", run.id, post.id, f"{f.kind}: {f.error}", {"platform": post.platform})
        url = post.publication.url if post.publication else None
        reason = "link follow-up failed: " + "; ".join(errors) if errors else ""
        warnings = post.publication.warnings if post.publication else []  # read-back: it differs from what was sent
        reason = "; ".join(([reason] if reason else []) + warnings)
        return Outcome(run.id, post.id, post.platform, "published", reason, url=url, follow_up_errors=errors,
                       follow_up=next_)  # type: ignore[arg-type]
