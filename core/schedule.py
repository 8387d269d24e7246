"""Give each post a time slot from the config's schedule, and find the slot a post belongs to now.

Slots are per platform, in the config's time zone: "08:30" is every day at 08:30, "tue 15:00"
every Tuesday at 15:00. Posts of a platform take that platform's free slots in framework order,
starting after the run was created (or after `after`); a slot already held by a post of any run
is skipped, so no two posts of one platform share a slot. The ledger uses the same book of slots
to move a post that is too late to the next free one instead of sending it in a burst.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .adaptive import framework_order
from .config import ConfigError
from .models import Post, PostState, Run
from .slots import WEEKDAYS, Slot, parse_slot

__all__ = ["WEEKDAYS", "Slot", "parse_slot", "zone", "slot_times", "window_start", "SlotBook", "assign"]

HORIZON_DAYS = 3 * 366  # give up rather than loop forever on a strange schedule


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone: unknown time zone {name!r} (use an IANA name like 'Europe/Paris' or 'UTC')") from None


def _on(day: date, slot: Slot, tz: ZoneInfo) -> datetime:
    # Through UTC and back: a wall time skipped by a DST change lands on a real instant.
    return datetime.combine(day, slot.at, tzinfo=tz).astimezone(timezone.utc).astimezone(tz)


def slot_times(slots: list[Slot], tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Every slot time strictly after `after`, in order, as aware datetimes in `tz`."""
    start: date = after.astimezone(tz).date()
    ordered = sorted(slots, key=lambda s: s.at)
    for offset in range(HORIZON_DAYS):
        day = start + timedelta(days=offset)
        for slot in ordered:
            if slot.weekday is not None and slot.weekday != day.weekday():
                continue
            when = _on(day, slot, tz)
            if when > after:
                yield when


def window_start(slots: list[Slot], tz: ZoneInfo, now: datetime) -> datetime | None:
    """The latest slot time at or before `now`: the slot whose window `now` is in (None: no slots)."""
    today = now.astimezone(tz).date()
    for offset in range(8):  # weekly slots repeat within 8 days
        day = today - timedelta(days=offset)
        times = [_on(day, s, tz) for s in slots if s.weekday is None or s.weekday == day.weekday()]
        earlier = [t for t in times if t <= now]
        if earlier:
            return max(earlier)
    return None


def _utc(when: datetime) -> datetime:
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


class SlotBook:
    """The slots held per platform (by every run in the runs folder; failed posts hold none), and
    the free ones after a time. One book per pass, so two posts moved in one pass never meet."""

    def __init__(self, config, runs_dir: Path | None = None, skip_run: str | None = None):
        self.settings = config.schedule
        self.tz = zone(self.settings.timezone)
        self.held: dict[str, set[datetime]] = {}
        if runs_dir is not None:
            self._read(Path(runs_dir), skip_run)

    def _read(self, runs_dir: Path, skip_run: str | None) -> None:
        from . import runfile

        for path in runfile.list_runs(runs_dir):
            if path.stem == skip_run:
                continue
            try:
                other = runfile.load(path)
            except runfile.RunFileError:
                continue  # 'postgen status' reports unreadable files; scheduling need not stop
            self.hold_run(other)

    def hold_run(self, run: Run) -> None:
        for post in run.posts:
            if post.scheduled_at is not None and post.state is not PostState.failed:
                self.hold(post.platform, post.scheduled_at)

    def hold(self, platform: str, when: datetime) -> None:
        self.held.setdefault(platform, set()).add(_utc(when))

    def slots(self, platform: str) -> list[Slot]:
        return [parse_slot(t) for t in self.settings.slots.get(platform) or []]

    def free(self, platform: str, after: datetime) -> Iterator[datetime]:
        held = self.held.setdefault(platform, set())
        return (when for when in slot_times(self.slots(platform), self.tz, after) if _utc(when) not in held)

    def take(self, platform: str, after: datetime) -> datetime | None:
        """The first free slot of `platform` after `after`, now held; None when it has no slots."""
        when = next(self.free(platform, after), None)
        if when is not None:
            self.hold(platform, when)
        return when

    def window_start(self, platform: str, now: datetime) -> datetime | None:
        return window_start(self.slots(platform), self.tz, now)


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


def assign(run: Run, config, runs_dir=None, *, after: datetime | None = None) -> None:
    """Set `scheduled_at` on each post of `run` from the config's schedule (slots taken by other runs skipped).

    Slots start after `after` (default: when the run was created; an import passes "now").
    Posts that already have a time keep it; failed and published posts get none. A platform with
    no slots leaves its posts unscheduled, with a warning on the run.
    """
    settings = config.schedule
    runs_dir = Path(runs_dir) if runs_dir is not None else config.runs_path
    book = SlotBook(config, runs_dir, skip_run=run.id)
    book.hold_run(run)
    start = after or run.created
    start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    platforms = list(dict.fromkeys(p.platform for p in run.posts))
    for platform in platforms:
        waiting = [
            p for p in run.posts
            if p.platform == platform and p.scheduled_at is None and p.state not in (PostState.failed, PostState.published)
        ]
        if not waiting:
            continue
        if not settings.slots.get(platform):
            run.warnings.append(
                f"no schedule slots for {platform} (schedule.slots.{platform}): its posts are unscheduled; "
                f"publish them with 'postgen publish {run.id} --platform {platform}'"
            )
            continue
        free = book.free(platform, start)
        for post in _capped(run, platform, _ordered(waiting, framework_order(config, run, platform, runs_dir)), config):
            when = next(free, None)
            if when is None:
                break
            post.scheduled_at = when
            book.hold(platform, when)
