"""Deciding what a pass does, without sending anything.

Which posts a pass takes up (`select`: the schedule, enabled platforms, approval, unfinished
business), which `--due` posts are too late to send and move to a free slot instead (no burst
after a pause), what fits the daily spend cap, which post of a run carries a "once" link, and the
counts a scheduler asks for (`pending`).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterable

from ..models import Post, PostState, Run
from .outcome import Outcome, Status, follow_up_hint, resolve_hint
from .reconcile import follow_up_work


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def is_due(post: Post, now: datetime) -> bool:
    return post.scheduled_at is not None and _aware(post.scheduled_at) <= now


def policy(config) -> dict:
    """The config's say in `select`: the approval gate and the enabled platforms."""
    return {"require_approval": config.publish.require_approval, "enabled": config.platforms.enabled,
            "max_posts_per_platform": config.publish.max_posts_per_platform}


def select(
    run: Run,
    *,
    now: datetime,
    due: bool = False,
    platforms: Iterable[str] = (),
    post_ids: Iterable[str] = (),
    require_approval: bool = False,
    enabled: Iterable[str] | None = None,
    max_posts_per_platform: int | None = None,
) -> tuple[list[Post], list[Outcome]]:
    """The posts this pass acts on, and the ones it skips with why.

    Unfinished business (a post in `publishing`, a published post whose follow-up is pending,
    was cut off, or failed in a way a later pass may retry) is always taken up (it was due and
    approved when it started), unless its platform has since been disabled. A follow-up that only
    a person can settle is reported, not acted on. A failed post is retried only when named with
    --post (a person fixed it); with --due it is left out silently. With
    `max_posts_per_platform`, a ready post the schedule left without a slot is held back unless
    named with --post (the cap decides which variants are published at all).
    """
    platforms, post_ids = set(platforms), set(post_ids)
    enabled = set(enabled) if enabled is not None else None
    act: list[Post] = []
    skipped: list[Outcome] = []

    def skip(post: Post, reason: str, status: Status = "skipped", until: datetime | None = None, follow_up: str = "") -> None:
        skipped.append(Outcome(run.id, post.id, post.platform, status, reason, until=until, follow_up=follow_up))  # type: ignore[arg-type]

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
            work = follow_up_work(post)
            url = post.publication.url if post.publication else None
            if work == "decide":
                skip(post, f"published, but its link follow-up needs you: {describe_follow_ups(post)}. "
                           f"Look at {url or 'the post'}, then: {follow_up_hint(run.id, post.id)}", follow_up="decide")
            elif work and disabled:
                skip(post, f"{not_enabled}; its link follow-up waits until it is")
            elif work:
                act.append(post)
            elif named:
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
        elif max_posts_per_platform is not None and post.scheduled_at is None and not named and not due:
            skip(post, f"held back: publish.max_posts_per_platform = {max_posts_per_platform} gave it no slot; "
                       f"to send it anyway: postgen publish {run.id} --post {post.id}")
        elif require_approval and not post.approved:
            skip(post, f"not approved (publish.require_approval is on): postgen approve {run.id} {post.id}")
        elif post.deferred_until is not None and _aware(post.deferred_until) > now:
            skip(post, "rate limited earlier", status="deferred", until=post.deferred_until)
        else:
            act.append(post)
    return act, skipped


def describe_follow_ups(post: Post) -> str:
    """The follow-ups that are not done, in words (for status and reports)."""
    if post.publication is None:
        return ""
    from .reconcile import NEXT_STEP, retry_step

    bits = []
    if post.follow_up_pending:
        bits.append("link follow-up not sent yet: goes out with the next publish")
    for f in post.publication.follow_ups:
        if f.state == "publishing":
            bits.append(f"{f.kind}: cut off mid-call: looked up with the next publish before any retry")
        elif f.state == "failed":
            bits.append(f"{f.kind} failed ({f.error_kind or 'unknown'}): {f.error} -> {NEXT_STEP[retry_step(f)]}")
        elif f.state == "skipped":
            bits.append(f"{f.kind}: left out by hand")
    return "; ".join(bits)


# --------------------------------------------------------------------------- no bursts


def _fmt(when: datetime) -> str:
    return when.strftime("%a %Y-%m-%d %H:%M %Z").strip()


def reschedule_late(run: Run, *, now: datetime, config, book, platforms: Iterable[str] = (),
                    post_ids: Iterable[str] = (), enabled: Iterable[str] | None = None) -> list[Outcome]:
    """--due: move the ready posts that are due but too late to the next free slot of their platform.

    Too late: more than `[publish] max_lateness_minutes` past their time, or their platform's next
    slot has begun since (one post per platform per slot). So after a pause the overdue posts are
    spread over the coming slots instead of going out together. `book` is the pass's SlotBook.
    Changes `run` in memory; returns one deferred outcome per post moved.
    """
    lateness = timedelta(minutes=config.publish.max_lateness_minutes)
    platforms, post_ids = set(platforms), set(post_ids)
    enabled = set(enabled) if enabled is not None else None
    late: list[tuple[Post, str]] = []
    for post in run.posts:
        if post.state is not PostState.ready or not is_due(post, now):
            continue
        if (platforms and post.platform not in platforms) or (post_ids and post.id not in post_ids):
            continue
        if enabled is not None and post.platform not in enabled:
            continue
        when = _aware(post.scheduled_at)
        start = book.window_start(post.platform, now)
        if now - when > lateness:
            late.append((post, f"{int((now - when).total_seconds() // 60)} minutes late (more than "
                               f"[publish] max_lateness_minutes = {config.publish.max_lateness_minutes})"))
        elif start is not None and when < start:
            late.append((post, f"the next {post.platform} slot ({_fmt(start)}) has begun since its time "
                               "(one post per platform per slot)"))
    moved: list[Outcome] = []
    for post, why in sorted(late, key=lambda item: _aware(item[0].scheduled_at)):
        old = _fmt(post.scheduled_at)
        new = book.take(post.platform, now)
        if new is None:
            post.scheduled_at = None
            moved.append(Outcome(run.id, post.id, post.platform, "skipped",
                                 f"not sent: {why}, and schedule.slots has none for {post.platform} to move it to; "
                                 f"it is unscheduled now: publish it by hand with --post {post.id}"))
            continue
        post.scheduled_at = new
        moved.append(Outcome(run.id, post.id, post.platform, "deferred",
                             f"not sent in a burst: {why}; moved from {old} to the next free slot", until=new))
    return moved


# --------------------------------------------------------------------------- "once" links and spend


def link_carried(run: Run, post: Post) -> bool:
    """Whether another post of this run and platform already carries the link follow-up."""
    return any(o.id != post.id and o.platform == post.platform and o.state is PostState.published
               and o.link_policy == "first_comment" and o.link for o in run.posts)


def effective(run: Run, post: Post, planned: set[str] = frozenset()) -> Post:
    """The post as its connector should see it: a "once" link resolved to "first_comment" on the
    post that will carry it (no other post of the run and platform has, nor is `planned` to) and
    to "none" on the others."""
    if post.link_policy != "once":
        return post
    taken = link_carried(run, post) or post.platform in planned
    return post.model_copy(update={"link_policy": "none" if taken else "first_comment"})


SENDABLE = (PostState.ready, PostState.publishing, PostState.published)


def outgoing(run: Run) -> list[Post]:
    """The run's posts that go (or went) out, in the order they do — published first, then by slot,
    unslotted last — each as its connector sees it: a "once" link rides only on the first post of
    its platform. What the dry run's spend and the review page's previews both count."""
    first = datetime.min.replace(tzinfo=timezone.utc)

    def order(post: Post):
        return (post.state is not PostState.published, post.scheduled_at is None,
                _aware(post.scheduled_at) if post.scheduled_at else first)

    carried: set[str] = set()
    out: list[Post] = []
    for post in sorted((p for p in run.posts if p.state in SENDABLE), key=order):
        sent = effective(run, post, carried)
        if post.link_policy == "once" and sent.link_policy == "first_comment":
            carried.add(post.platform)
        out.append(sent)
    return out


def estimate(connector, post: Post) -> float:
    """The connector's estimate of what sending `post` costs (post, thread parts, link follow-up)."""
    try:
        return float(connector.preview(post).estimated_cost_usd or 0.0)
    except Exception:  # a broken preview must not stop a publish; the dry run shows it
        return 0.0


class Spend:
    """Today's estimated spend (from every run's journal) against `[publish] max_cost_usd_per_day`."""

    def __init__(self, config, runs_dir: Path, now: datetime):
        from ..schedule import zone
        from .journal import spent

        self.cap = config.publish.max_cost_usd_per_day
        self.tz = zone(config.schedule.timezone)
        self.day = now.astimezone(self.tz).date()
        self.spent = spent(runs_dir, self.day, self.tz) if self.cap is not None else 0.0
        self.tomorrow = datetime.combine(self.day + timedelta(days=1), time(0), tzinfo=self.tz)

    def refuses(self, cost: float) -> str | None:
        """Why sending something that costs `cost` would break the cap (None: it fits)."""
        if self.cap is None or cost <= 0 or self.spent + cost <= self.cap + 1e-9:
            return None
        return (f"daily spend cap: it would cost about ${cost:.3f} and ${self.spent:.3f} of "
                f"${self.cap:.2f} is spent today ([publish] max_cost_usd_per_day); it waits for tomorrow's budget "
                f"(after {_fmt(self.tomorrow)}) or a higher cap")

    def add(self, cost: float | None) -> None:
        self.spent += cost or 0.0


# --------------------------------------------------------------------------- what a scheduler asks


def pending(config, now: datetime | None = None) -> dict:
    """What `postgen pending` reports: posts `--due` would act on now (send, or finish: an unknown
    outcome to reconcile, a follow-up to send), posts waiting for a slot, and whether that is few
    enough to generate a new run. Reads every run; writes nothing."""
    from .. import runfile
    from ..checks import connector_for
    from ..models import utcnow
    from ..schedule import SlotBook
    from .journal import load

    now = now or utcnow()
    runs_dir = config.runs_path
    book = SlotBook(config, runs_dir)
    spend = Spend(config, runs_dir, now)
    gate = policy(config)
    due = waiting = unscheduled = 0
    unreadable: list[str] = []
    connectors: dict = {}
    for path in runfile.list_runs(runs_dir):
        try:
            run, _behind = load(path)
        except runfile.RunFileError as exc:
            unreadable.append(str(exc))
            continue
        reschedule_late(run, now=now, config=config, book=book, enabled=gate["enabled"])
        act, _ = select(run, now=now, due=True, **gate)
        carried: set[str] = set()
        for post in act:
            if post.state is not PostState.ready:  # unfinished business (an unknown outcome, a follow-up):
                due += 1  # the pass must run to finish it
                continue
            if spend.cap is not None:
                try:
                    connector = connectors.setdefault(post.platform, connector_for(post.platform, config))
                except Exception:
                    continue
                sent = effective(run, post, carried)
                cost = estimate(connector, sent)
                if spend.refuses(cost):
                    continue
                spend.add(cost)
                if sent.link_policy == "first_comment" and post.link_policy == "once":
                    carried.add(post.platform)
            due += 1
        for post in run.posts:
            if post.state not in (PostState.ready, PostState.publishing) or post.platform not in gate["enabled"]:
                continue
            if gate["require_approval"] and not post.approved:
                continue
            if post.scheduled_at is None:
                unscheduled += 1
            else:
                waiting += 1
    threshold = config.publish.pending_threshold
    return {"due": due, "waiting": waiting, "threshold": threshold, "generate": waiting < threshold,
            "unscheduled": unscheduled, "unreadable": unreadable}
