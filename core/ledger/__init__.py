"""The publishing ledger: every post goes out at most once, even if the process dies mid-call,
a stale copy of a run file is written back, or two jobs race.

Per post: `draft -> ready -> publishing -> published | failed`. Before each call that creates
something (the post, then its link follow-up) the intent is recorded durably; after it, the
outcome, at once: first on the run's journal (`runs/ledger/<run-id>.jsonl`, the authority on
what was sent), then in the run file (a view of it). A post found in `publishing` has an unknown
outcome: the platform is asked (`find_existing`) before anything is retried, and when it cannot
tell, a person decides (`postgen publish RUN --resolve POST --as published URL|--as failed`).
Nothing is ever guessed. One publisher per run: a pass over a run holds the run's lock file.

The rooms, one job each:
- `plan`: what a pass does (due posts, the burst rule, approval, enabled platforms, the spend
  cap, "once" links, `pending` counts);
- `send`: the Publisher (intent -> call -> outcome, follow-ups);
- `reconcile`: what an unknown or failed outcome allows next, and a person's decisions;
- `journal`: the durable record, and the run file brought up to it.
"""

from __future__ import annotations

import time

from .journal import content_digest, restore
from .outcome import (
    EVENT_FOR,
    EXIT_DEFERRED,
    EXIT_FAILED,
    EXIT_OK,
    Outcome,
    RecordFailed,
    Replan,
    Status,
    Unresolved,
    exit_code,
    fire_event,
    fire_event_kind,
    follow_up_hint,
    resolve_hint,
)
from .plan import describe_follow_ups, is_due, pending, policy, reschedule_late, select
from .reconcile import (
    REMOTE_ID_PATTERNS,
    needs_follow_up,
    remote_id_from_url,
    resolve,
    resolve_follow_up,
)
from .send import ACCOUNT_KINDS, BACKOFF_BASE, BACKOFF_CAP, Publisher, backoff


def sleep(seconds: float) -> None:
    """Module-level so tests replace it (`monkeypatch.setattr(postgen.ledger, "sleep", ...)`) and
    never wait: the Publisher looks it up here at each wait."""
    time.sleep(seconds)


__all__ = [
    "ACCOUNT_KINDS", "BACKOFF_BASE", "BACKOFF_CAP", "EVENT_FOR", "EXIT_DEFERRED", "EXIT_FAILED", "EXIT_OK",
    "Outcome", "Publisher", "RecordFailed", "REMOTE_ID_PATTERNS", "Replan", "Status", "Unresolved", "backoff",
    "content_digest", "describe_follow_ups", "exit_code", "fire_event", "fire_event_kind", "follow_up_hint",
    "is_due", "needs_follow_up", "pending", "policy", "remote_id_from_url", "reschedule_late", "resolve",
    "resolve_follow_up", "resolve_hint", "restore", "select", "sleep",
]
