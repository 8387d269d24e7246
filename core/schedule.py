"""Give each post of a new run a time slot from the config's schedule.

Slots are per platform, in the config's time zone: "08:30" is every day at 08:30, "tue 15:00"
every Tuesday at 15:00. Posts of a platform take that platform's free slots in framework order,
starting after the run was created; a slot already held by a post of an earlier run (or by
another post of this run) is skipped, so no two posts of one platform share a slot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .adaptive import framework_order
from .models import Post, PostState, Run

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT = re.compile(r"^\s*(?:(?P<day>[A-Za-z]{3})[a-z]*\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})\s*$")
HORIZON_DAYS = 3 * 366  # give up rather than loop forever on a strange schedule


@dataclass(frozen=True)
class Slot:
    weekday: int | None  # 0 = Monday; None = every day
    at: time


def parse_slot(text: str) -> Slot:
    """'HH:MM' (daily) or 'mon HH:MM' (weekly). ValueError says what is allowed."""
    match = SLOT.match(text)
    day = match["day"].lower() if match and match["day"] else None
    if not match or (day is not None and day not in WEEKDAYS) or int(match["h"]) > 23 or int(match["m"]) > 59:
        raise ValueError(f"schedule slot {text!r}: use 'HH:MM' (daily) or 'mon HH:MM' (weekly, mon..sun)")
    return Slot(WEEKDAYS.index(day) if day else None, time(int(match["h"]), int(match["m"])))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        from .config import ConfigError

        raise ConfigError(f"schedule.timezone: unknown time zone {name!r} (use an IANA name like 'Europe/Paris' or 'UTC')") from None


def slot_times(slots: list[Slot], tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Every slot time strictly after `after`, in order, as aware datetimes in `tz`."""
    start: date = after.astimezone(tz).date()
    ordered = sorted(slots, key=lambda s: s.at)
    for offset in range(HORIZON_DAYS):
        day = start + timedelta(days=offset)
        for slot in ordered:
            if slot.weekday is not None and slot.weekday != day.weekday():
                continue
            # Through UTC and back: a wall time skipped by a DST change lands on a real instant.
            when = datetime.combine(day, slot.at, tzinfo=tz).astimezone(timezone.utc).astimezone(tz)
            if when > after:
                yield when


def _taken(runs_dir: Path | None, run_id: str) -> dict[str, set[datetime]]:
    """Slots held by posts of other runs, per platform, in UTC (failed posts hold none)."""
    from . import runfile

    taken: dict[str, set[datetime]] = {}
    if runs_dir is None:
        return taken
    for path in runfile.list_runs(runs_dir):
        if path.stem == run_id:
            continue
        try:
            other = runfile.load(path)
        except runfile.RunFileError:
            continue  # 'postgen status' reports unreadable files; scheduling need not stop
        for post in other.posts:
            if post.scheduled_at is not None and post.state is not PostState.failed:
                taken.setdefault(post.platform, set()).add(_utc(post.scheduled_at))
    return taken


def _utc(when: datetime) -> datetime:
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _ordered(posts: list[Post], framework_order: list[str]) -> list[Post]:
    rank = {name: i for i, name in enumerate(framework_order)}
    return sorted(posts, key=lambda p: (rank.get(p.framework, len(rank)), posts.index(p)))


def _capped(run: Run, platform: str, ordered: list[Post], config) -> list[Post]:
    """The first `[publish] max_posts_per_platform` posts; the rest get no slot (--due never sends
    them; a person still may, by name), and the run says which."""
    cap = config.publish.max_posts_per_platform
    if cap is None or len(ordered) <= cap:
        return ordered
    held = [p.id for p in ordered[cap:]]
    run.warnings.append(f"{platform}: {', '.join(held)} get no slot (publish.max_posts_per_platform = {cap}); "
                        f"to send one anyway: postgen publish {run.id} --post ID")
    return ordered[:cap]


def assign(run: Run, config, runs_dir=None) -> None:
    """Set `scheduled_at` on each post of `run` from the config's schedule (slots taken by other runs skipped).

    Posts that already have a time keep it; failed and published posts get none. A platform with
    no slots leaves its posts unscheduled, with a warning on the run.
    """
    settings = config.schedule
    tz = zone(settings.timezone)
    runs_dir = Path(runs_dir) if runs_dir is not None else config.runs_path
    taken = _taken(runs_dir, run.id)
    for post in run.posts:
        if post.scheduled_at is not None:
            taken.setdefault(post.platform, set()).add(_utc(post.scheduled_at))
    created = run.created if run.created.tzinfo else run.created.replace(tzinfo=timezone.utc)
    platforms = list(dict.fromkeys(p.platform for p in run.posts))
    for platform in platforms:
        waiting = [
            p for p in run.posts
            if p.platform == platform and p.scheduled_at is None and p.state not in (PostState.failed, PostState.published)
        ]
        if not waiting:
            continue
        texts = settings.slots.get(platform) or []
        if not texts:
            run.warnings.append(
                f"no schedule slots for {platform} (schedule.slots.{platform}): its posts are unscheduled; "
                f"publish them with 'postgen publish {run.id} --platform {platform}'"
            )
            continue
        slots = [parse_slot(t) for t in texts]
        held = taken.setdefault(platform, set())
        free = (when for when in slot_times(slots, tz, created) if _utc(when) not in held)
        for post in _capped(run, platform, _ordered(waiting, framework_order(config, run, platform, runs_dir)), config):
            when = next(free, None)
            if when is None:
                break
            post.scheduled_at = when
            held.add(_utc(when))
