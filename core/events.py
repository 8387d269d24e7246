"""Events fired through the `postgen_event` hook, so plugins can notify without touching the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """Something that happened. `kind` is one of KINDS; `data` carries the details."""

    kind: str
    run_id: str | None = None
    post_id: str | None = None
    message: str = ""
    data: dict[str, Any] = field(default_factory=dict)


KINDS = (
    "run_saved",
    "post_published",
    "post_failed",
    "post_deferred",
    "post_skipped",
    "follow_up_failed",
)


def fire(event: Event) -> None:
    """Send an event to every plugin; a plugin that raises is reported, never fatal.
    Plugins get the event redacted: a notifier posts it to chat, logs it, mails it."""
    import dataclasses
    import sys

    from .plugins import each_impl
    from .redact import redact, redact_data

    event = dataclasses.replace(event, message=redact(event.message), data=redact_data(event.data))

    for plugin_name, call in each_impl("postgen_event"):
        try:
            call(event=event)
        except Exception as exc:  # a notifier must never stop publishing
            print(f"postgen: plugin {plugin_name!r} failed on event {event.kind}: {exc}", file=sys.stderr)
