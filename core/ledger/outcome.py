"""What a pass reports: one Outcome per post, the exit code a scheduler reads, and the events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable, Literal

Status = Literal["published", "failed", "deferred", "skipped", "unresolved"]
# What happens next to a published post's follow-ups: "" nothing, "retry" a later pass sends or
# looks them up on its own, "decide" a person must settle them (`--resolve POST --follow-up ...`).
FollowUpNext = Literal["", "retry", "decide"]
EVENT_FOR: dict[str, str] = {
    "published": "post_published",
    "failed": "post_failed",
    "unresolved": "post_failed",
    "deferred": "post_deferred",
    "skipped": "post_skipped",
}
EXIT_OK, EXIT_FAILED, EXIT_DEFERRED = 0, 1, 3


class Unresolved(Exception):
    """The platform cannot tell whether a post exists: a person must decide."""


class Replan(Exception):
    """Raised by a `durable` hook at an intent: the intent could not be made durable (someone else
    moved the ledger). Nothing was sent; the Publisher reloads the run and plans again."""


class RecordFailed(Exception):
    """Raised by a `durable` hook at an outcome: it could not be recorded beyond this machine. The
    pass stops; the outcome is kept in the local run file and journal for the next pass."""


def resolve_hint(run_id: str, post_id: str) -> str:
    return f"postgen publish {run_id} --resolve {post_id} --as published URL   (or --as failed)"


def follow_up_hint(run_id: str, post_id: str) -> str:
    return f"postgen publish {run_id} --resolve {post_id} --follow-up done [URL] | retry | skip"


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
    follow_up: FollowUpNext = ""

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
            "follow_up": self.follow_up or None,
        }


def exit_code(outcomes: Iterable[Outcome]) -> int:
    """0 all done, 1 something failed or needs a decision (a follow-up too), 3 something waits
    for a later pass (a deferred post, a follow-up to retry) and nothing failed."""
    outcomes = list(outcomes)
    statuses = {o.status for o in outcomes}
    follow_ups = {o.follow_up for o in outcomes}
    if statuses & {"failed", "unresolved"} or "decide" in follow_ups:
        return EXIT_FAILED
    if "deferred" in statuses or "retry" in follow_ups:
        return EXIT_DEFERRED
    return EXIT_OK


def fire_event_kind(kind: str, run_id: str, post_id: str, message: str, data: dict) -> None:
    from ..events import Event, fire

    fire(Event(kind, run_id=run_id, post_id=post_id, message=message, data=data))


def fire_event(outcome: Outcome) -> None:
    """post_published / post_failed / post_deferred / post_skipped for one outcome."""
    fire_event_kind(EVENT_FOR[outcome.status], outcome.run_id, outcome.post_id, outcome.reason, outcome.to_dict())
