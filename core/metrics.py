"""Engagement readings: which published posts are due one, fetching them per platform in batches,
and saving each reading into its run file under the run's lock.

A post is read at the ages in `[metrics] ages` (default 24 h, 72 h, 7 d after it went out), once
per age. A pass that comes late (the daily job missed a day) takes one reading for the oldest age
already reached; the younger ones it missed stay missed, and `Reading.at` keeps the true age.
Nothing here publishes, and nothing is fetched while a person could be waiting on a lock: the runs
are locked for the few seconds of one pass, then saved atomically.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Literal

from .models import Post, PostState, Reading, Run, utcnow

AGE = re.compile(r"^\s*(\d+)\s*(m|h|d|w)\s*$")
UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
Status = Literal["read", "deleted", "deferred", "unavailable", "skipped", "failed", "would_read"]
# PublishError kinds that mean "not now": the reading waits for a later pass, the pass goes on.
LATER = ("rate_limited", "transient", "unreachable")


def parse_age(text: str) -> timedelta:
    """'90m', '24h', '7d', '2w'. ValueError says what is allowed."""
    match = AGE.match(str(text))
    if not match or int(match[1]) == 0:
        raise ValueError(f"metrics age {text!r}: use a number and a unit, e.g. '90m', '24h', '7d' or '2w'")
    return timedelta(seconds=int(match[1]) * UNITS[match[2]])


def ages(config) -> list[tuple[str, timedelta]]:
    return [(label, parse_age(label)) for label in config.metrics.ages]


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def published_at(post: Post) -> datetime | None:
    """When the post went out: the platform's time, else the ledger's last attempt."""
    when = (post.publication.published_at if post.publication else None) or post.last_attempt_at
    return _aware(when) if when else None


def due_age(post: Post, buckets: list[tuple[str, timedelta]], now: datetime) -> str | None:
    """The age bucket a reading taken `now` would answer for `post`, or None when none is due
    (not published, gone, too young, or its latest reached age is already read)."""
    if post.state is not PostState.published or post.publication is None or any(r.deleted for r in post.metrics):
        return None
    start = published_at(post)
    if start is None:
        return None
    reached = [label for label, delta in buckets if now - start >= delta]
    if not reached:
        return None
    done = {r.age for r in post.metrics}
    later = [label for label, _ in buckets][len(reached):]
    if reached[-1] in done or any(label in done for label in later):
        return None
    return reached[-1]


def merge_readings(ours: Run, theirs: Run) -> bool:
    """Add to `theirs` (the version of a run kept in a merge, e.g. a person's) every reading of
    `ours` it lacks; True when something was added. Readings are only ever added, never changed."""
    changed = False
    for post in theirs.posts:
        try:
            mine = ours.post(post.id)
        except KeyError:
            continue
        known = {(r.age, r.at) for r in post.metrics}
        new = [r for r in mine.metrics if (r.age, r.at) not in known]
        if new:
            post.metrics = sorted([*post.metrics, *new], key=lambda r: r.at)
            changed = True
    return changed


@dataclass
class Outcome:
    """What one pass did for one post; the report table and --json are made of these."""

    run_id: str
    post_id: str
    platform: str
    status: Status
    age: str | None = None
    reason: str = ""
    until: datetime | None = None
    engagements: int | None = None
    impressions: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "post": self.post_id, "platform": self.platform, "status": self.status,
                "age": self.age, "reason": self.reason, "until": self.until.isoformat() if self.until else None,
                "engagements": self.engagements, "impressions": self.impressions}


@dataclass
class Pass:
    outcomes: list[Outcome] = field(default_factory=list)
    estimated_cost_usd: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 every due reading taken (or unavailable for a stated reason), 1 something failed,
        3 some readings deferred (rate limit, server trouble, a run locked by a publisher)."""
        statuses = {o.status for o in self.outcomes}
        if "failed" in statuses:
            return 1
        return 3 if "deferred" in statuses else 0


@dataclass
class _Due:
    path: Path
    run: Run
    post: Post
    age: str


def _when(retry_at: float | None) -> datetime | None:
    return datetime.fromtimestamp(retry_at, timezone.utc).replace(microsecond=0) if retry_at else None


def _classify(err: Exception, platform: str) -> tuple[Status, str, datetime | None]:
    """A PublishError (or a connector's bug) as the status of the readings it kept from being taken."""
    from .connector import PublishError

    if not isinstance(err, PublishError):
        return "failed", f"{platform} connector failed: {type(err).__name__}: {err}", None
    if err.kind == "unsupported":
        return "skipped", err.message, None
    if err.kind == "permission":
        return "unavailable", err.message, None
    if err.kind == "auth" and err.status is None:  # raised before any call: keys not set
        return "skipped", f"keys not set: {err.message}", None
    if err.kind in LATER:
        return "deferred", err.message, _when(err.retry_at)
    return "failed", err.message, None


def _due(paths: list[Path], buckets, now: datetime, outcomes: list[Outcome]) -> list[_Due]:
    from . import runfile

    due: list[_Due] = []
    for path in paths:
        try:
            run = runfile.load(path)
        except runfile.RunFileError as exc:
            outcomes.append(Outcome(path.stem, "-", "-", "failed", reason=f"run file skipped, fix it: {exc}"))
            continue
        due.extend(_Due(path, run, p, age) for p in run.posts if (age := due_age(p, buckets, now)) is not None)
    return due


def collect(config, paths: list[Path], *, now: datetime | None = None, dry_run: bool = False,
            connector_for: Callable[[str], Any] | None = None) -> Pass:
    """One metrics pass over the run files at `paths`: read every post due a reading, batched per
    platform, and save the readings. `dry_run`: say what would be read and what it would cost."""
    from . import runfile
    from .checks import connector_for as default_connector_for

    now = now or utcnow()
    buckets = ages(config)
    result = Pass()
    make = connector_for or (lambda platform: default_connector_for(platform, config))
    planned = _due(paths, buckets, now, result.outcomes)
    platforms = list(dict.fromkeys(d.post.platform for d in planned))
    if dry_run:
        for platform in platforms:
            items = [d for d in planned if d.post.platform == platform]
            try:
                result.estimated_cost_usd += make(platform).metrics_cost(len(items))
            except Exception:  # a platform whose connector is gone: nothing to estimate
                pass
            result.outcomes.extend(Outcome(d.run.id, d.post.id, platform, "would_read", d.age) for d in items)
        result.estimated_cost_usd = round(result.estimated_cost_usd, 6)
        return result

    with ExitStack() as stack:
        handles: dict[Path, runfile.RunHandle] = {}
        for path in dict.fromkeys(d.path for d in planned):
            try:
                stack.enter_context(runfile.locked(path, "metrics"))
                handles[path] = runfile.RunHandle(path, runfile.load(path))
            except (runfile.RunLocked, runfile.RunFileError) as exc:
                locked = isinstance(exc, runfile.RunLocked)
                for d in (d for d in planned if d.path == path):
                    result.outcomes.append(Outcome(d.run.id, d.post.id, d.post.platform, "deferred" if locked else "failed",
                                                   d.age, reason=str(exc)))
        spend = _spend(config, now)
        # Re-read under the lock: a publisher may have changed the run since the plan.
        due = [_Due(path, h.run, p, age) for path, h in handles.items() for p in h.run.posts
               if (age := due_age(p, buckets, now)) is not None]
        changed: set[Path] = set()
        for platform in dict.fromkeys(d.post.platform for d in due):
            items = [d for d in due if d.post.platform == platform]
            answers = _read(platform, items, make, result, spend)
            for d in items:
                answer = answers.get(d.post.publication.remote_id)  # type: ignore[union-attr]
                outcome = Outcome(d.run.id, d.post.id, platform, "deferred", d.age)
                if answer is None:
                    outcome.reason = f"{platform} did not answer for this post; asked again next pass"
                elif isinstance(answer, Exception):
                    outcome.status, outcome.reason, outcome.until = _classify(answer, platform)
                else:
                    d.post.metrics.append(Reading(age=d.age, at=now, engagements=answer.engagements,
                                                  impressions=answer.impressions, counts=dict(answer.counts),
                                                  deleted=answer.deleted))
                    changed.add(d.path)
                    outcome.status = "deleted" if answer.deleted else "read"
                    outcome.engagements, outcome.impressions = (None, None) if answer.deleted else (answer.engagements, answer.impressions)
                result.outcomes.append(outcome)
        for path in changed:
            handles[path].save()
    result.estimated_cost_usd = round(result.estimated_cost_usd, 6)
    return result


def _spend(config, now: datetime) -> Any:
    """Today's spend against `[publish] max_cost_usd_per_day` (the ledger's account of what posts
    cost), or None without a cap."""
    if config.publish.max_cost_usd_per_day is None:
        return None
    from .ledger.plan import Spend

    return Spend(config, config.runs_path, now)


def _read(platform: str, items: list[_Due], make: Callable[[str], Any], result: Pass, spend: Any = None) -> dict[str, Any]:
    """One platform's answers by remote id: an Engagement, or the error that kept it from being read."""
    from .config import ConfigError
    from .connector import PublishError
    from .registry import connectors

    publications = [d.post.publication for d in items]
    try:
        if platform not in connectors:
            raise PublishError("unsupported", f"no connector for {platform} is installed (see 'postgen plugins')")
        connector = make(platform)
        ask = getattr(connector, "metrics", None)  # a duck-typed plugin connector may lack it
        if ask is None:
            raise PublishError("unsupported", f"{platform} does not report engagement")
        price = getattr(connector, "metrics_cost", lambda n: 0.0)
        refused = spend.refuses(float(price(len(publications)))) if spend is not None else None
        if refused:  # reads are billed like posts: the day's cap holds for them too
            raise PublishError("rate_limited", f"reading {len(publications)} posts: {refused}", retry_at=spend.tomorrow.timestamp())
        answers = dict(ask(publications))
        cost = float(price(sum(1 for a in answers.values() if not isinstance(a, Exception))))  # what was read is billed
        result.estimated_cost_usd += cost
        if spend is not None:
            spend.add(cost)
        return answers
    except ConfigError as exc:
        return {p.remote_id: PublishError("config", str(exc)) for p in publications}  # type: ignore[union-attr]
    except Exception as exc:  # one error for all of them: each post records it
        return {p.remote_id: exc for p in publications}  # type: ignore[union-attr]
