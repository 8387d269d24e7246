"""`postgen publish` and `postgen approve`: the only commands that post anything.

Never by accident: without --dry-run, publishing needs --yes or a "yes" typed on a terminal;
with no terminal and no --yes it refuses. That holds for --due too (the CI workflow passes
--yes): the schedule says *when*, --yes says a person meant it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

import click

from postgen import hookimpl
from postgen.cli import EXIT_INPUT, AppContext, pass_app


def interactive() -> bool:
    """Whether a person can answer a prompt (tests replace this)."""
    return sys.stdin.isatty()


def _targets(app: AppContext, run_ref: str | None) -> list[Path]:
    from postgen import runfile

    if run_ref:
        return [runfile.resolve(app.config.runs_path, run_ref)]
    return runfile.list_runs(app.config.runs_path)


def _check_ids(plan, post_ids: tuple[str, ...]) -> None:
    """Every --post names a post of the runs read (unreadable runs are reported by _plan)."""
    if not post_ids:
        return
    known = {p.id for _path, run, _posts, _skipped in plan for p in run.posts}
    unknown = [pid for pid in post_ids if pid not in known]
    if unknown:
        raise click.UsageError(f"no post {', '.join(unknown)} in this run (posts: {', '.join(sorted(known))})")


def _check_platforms(platforms: tuple[str, ...]) -> None:
    from postgen import registry

    known = registry.connectors.names()
    unknown = [name for name in platforms if name not in known]
    if unknown:
        raise click.UsageError(f"no platform {', '.join(unknown)} (platforms: {', '.join(sorted(known))})")


def _plan(app: AppContext, paths: list[Path], selection: dict, strict: bool = True):
    """What a pass would do, read without the lock (for --dry-run and the confirmation): each run
    brought up to its journal, with --due the posts too late to send moved to free slots (in
    memory only; the pass itself saves that).

    Not `strict` (--due over all runs): a run file that cannot be read is reported as a failure
    and the other runs go on; one bad edit must not hold back every other run's posts."""
    from postgen import ledger, runfile
    from postgen.ledger import journal
    from postgen.models import utcnow
    from postgen.schedule import SlotBook

    plan, unreadable, stale = [], [], set()
    now = utcnow()
    book = SlotBook(app.config, app.config.runs_path) if selection.get("due") else None
    gate = ledger.policy(app.config)
    for path in paths:
        try:
            run, behind = journal.load(path)
        except runfile.RunFileError as exc:
            if strict:
                raise
            unreadable.append(ledger.Outcome(path.stem, "-", "-", "failed", f"run file skipped, fix it: {exc}"))
            continue
        if behind:
            stale.add(path)
            click.echo(f"note: {path.name} is behind its journal for {', '.join(behind)}: shown as the journal "
                       "says (publishing brings the file up to date)", err=True)
        moved = []
        if book is not None:
            moved = ledger.reschedule_late(run, now=now, config=app.config, book=book, platforms=selection["platforms"],
                                           post_ids=selection["post_ids"], enabled=gate["enabled"])
        posts, skipped = ledger.select(run, now=now, **gate, **selection)
        plan.append((path, run, posts, moved + skipped))
    return plan, unreadable, stale


def _run_cost(app: AppContext, run, connectors: dict) -> float:
    """What the whole run costs to send (its posts not failed or drafts; a "once" link counted once)."""
    from postgen import checks
    from postgen.ledger import plan as ledger_plan

    total = 0.0
    for sent in ledger_plan.outgoing(run):
        try:
            connector = connectors.setdefault(sent.platform, checks.connector_for(sent.platform, app.config))
        except Exception:
            continue
        total += ledger_plan.estimate(connector, sent)
    return round(total, 4)


def _hints(app: AppContext, plan, platforms: tuple[str, ...], due: bool) -> list[str]:
    """When the pass has nothing at all to do: why, and the command or config line that fixes it."""
    if any(posts or skipped for _path, _run, posts, skipped in plan):
        return []
    from postgen.hints import nothing_to_publish

    return nothing_to_publish(app.config, [run for _path, run, _posts, _skipped in plan], platforms, due)


def _dry_run(app: AppContext, plan, unreadable, as_json: bool, hints: list[str] = ()) -> int:
    from postgen import checks, ledger
    from postgen.ledger import plan as ledger_plan
    from postgen.models import utcnow
    from postgen.preview import format_preview

    rows = [{"run": o.run_id, "post": o.post_id, "platform": o.platform, "action": "fail", "reason": o.reason}
            for o in unreadable]
    failed = bool(unreadable)
    spend = ledger_plan.Spend(app.config, app.config.runs_path, utcnow())
    today = spend.spent
    pass_cost, run_costs, connectors = 0.0, {}, {}
    for _path, run, posts, skipped in plan:
        carried: set[str] = set()
        if posts or skipped:  # a run this pass touches (not the hundreds --due only looked at)
            run_costs[run.id] = _run_cost(app, run, connectors)
        for post in posts:
            row = {"run": run.id, "post": post.id, "platform": post.platform, "state": post.state.value}
            try:
                connector = connectors.setdefault(post.platform, checks.connector_for(post.platform, app.config))
                sent = ledger_plan.effective(run, post, carried)
                problems = checks.check_post(sent, run, connector, app.config)
                preview = connector.preview(sent)
            except Exception as exc:  # a missing or broken connector: say so, keep going
                row.update(action="fail", reason=f"{type(exc).__name__}: {exc}")
                failed = True
                rows.append(row)
                continue
            errors = [p for p in problems if p.severity == "error"]
            cost = float(preview.estimated_cost_usd or 0.0)
            if post.state.value == "publishing" and post.sent_digest and post.sent_digest != ledger.content_digest(post, run.id):
                row.update(action="resolve", reason="outcome of the last attempt unknown and the post was edited "
                           f"since; look on {post.platform}, then: {ledger.resolve_hint(run.id, post.id)}")
                failed = True
            elif post.state.value == "publishing":
                row.update(action="reconcile", reason="outcome of the last attempt unknown: would ask the platform first")
            elif post.state.value == "published":
                row.update(action="follow_up", reason=f"published; would finish its follow-ups ({ledger.describe_follow_ups(post)})")
            elif errors:
                row.update(action="fail", reason="; ".join(p.message for p in errors))
                failed = True
            elif over := spend.refuses(cost):
                row.update(action="deferred", reason=over)
            else:
                row.update(action="publish", reason="", estimated_cost_usd=cost)
                spend.add(cost)
                pass_cost += cost
                if post.link_policy == "once" and sent.link_policy == "first_comment":
                    carried.add(post.platform)
            env = getattr(connector, "env", None) or {}
            unset = [n for n in getattr(connector, "credentials", ()) if not env.get(n)]
            if unset and row["action"] in ("publish", "reconcile", "follow_up"):
                row["note"] = f"{', '.join(unset)} not set: a real pass skips it until they are (postgen doctor)"
            row["problems"] = [p.model_dump() for p in problems]
            row["preview"] = asdict(preview)
            row["moment"] = post.moment.model_dump(mode="json") if post.moment else None
            row["text"] = format_preview(preview, post)
            rows.append(row)
        for outcome in skipped:
            rows.append({"run": run.id, "post": outcome.post_id, "platform": outcome.platform,
                         "action": outcome.status, "reason": outcome.reason,
                         "until": outcome.until.isoformat() if outcome.until else None})
    cap = app.config.publish.max_cost_usd_per_day
    costs = {"pass": round(pass_cost, 4), "runs": run_costs, "today": round(today, 4), "cap": cap}
    if as_json:
        click.echo(json.dumps({"dry_run": True, "posts": [{k: v for k, v in r.items() if k != "text"} for r in rows],
                               "estimated_cost_usd": costs}, indent=2, ensure_ascii=False, default=str))
    else:
        for row in rows:
            if "text" in row:
                click.echo(row["text"])
                for problem in row.get("problems", []):
                    click.echo(f"-- {problem['severity']}: {problem['message']}")
            verb = {"skipped": "skip", "deferred": "wait", "resolve": "ask you to decide"}.get(row["action"], row["action"])  # statuses read as verbs
            click.echo(f">> {row['run']} {row['post']}: would {verb}" + (f" ({row['reason']})" if row["reason"] else ""))
            if row.get("note"):
                click.echo(f"   note: {row['note']}")
            click.echo()
        if not rows:
            click.echo("nothing to publish")
            for hint in hints:
                click.echo(f"hint: {hint}")
        budget = f" (today so far ${today:.3f} of a ${cap:.2f} cap)" if cap is not None else ""
        click.echo(f"estimated platform spend: ${pass_cost:.3f} in this pass{budget}")
        for run_id, cost in run_costs.items():
            click.echo(f"  {run_id}: ${cost:.3f} for the whole run")
        click.echo("dry run: nothing was sent")
    return 1 if failed else 0


def _report(outcomes, as_json: bool, code: int, hints: list[str] = ()) -> None:
    if as_json:
        click.echo(json.dumps({"exit_code": code, "outcomes": [o.to_dict() for o in outcomes]}, indent=2, ensure_ascii=False))
        return
    if not outcomes:
        click.echo("nothing to publish")
        for hint in hints:
            click.echo(f"hint: {hint}")
        return
    width = max(len(f"{o.run_id} {o.post_id}") for o in outcomes)
    for o in outcomes:
        if o.status == "published":
            detail = o.url or "(no URL)"
            if o.reason:
                detail += f"  ({o.reason})"
        elif o.status == "deferred":
            detail = (f"until {o.until.isoformat()}: " if o.until else "") + o.reason
        else:
            detail = o.reason
        click.echo(f"{o.status.upper():<11} {f'{o.run_id} {o.post_id}':<{width}}  {detail}")
    follow_ups = {"retry": sum(o.follow_up == "retry" for o in outcomes), "decide": sum(o.follow_up == "decide" for o in outcomes)}
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    if follow_ups["retry"]:
        summary += f"; {follow_ups['retry']} follow-ups retried on a later run"
    if follow_ups["decide"]:
        summary += f"; {follow_ups['decide']} follow-ups need you (see above)"
    click.echo(summary)


@click.command()
@click.argument("run_ref", metavar="[RUN]", required=False)
@click.argument("url", metavar="[URL]", required=False)
@click.option("--dry-run", is_flag=True, help="Show exactly what would be sent; send nothing (needs no keys).")
@click.option("--due", is_flag=True, help="Only posts whose scheduled time has come (all runs unless RUN is given).")
@click.option("--platform", "platforms", multiple=True, help="Only this platform (repeatable).")
@click.option("--post", "post_ids", multiple=True, help="Only this post id, e.g. x-hormozi (repeatable); retries a failed post.")
@click.option("--yes", "-y", is_flag=True, help="Publish without asking (required when there is no terminal, e.g. CI).")
@click.option("--resolve", "resolve_id", metavar="POST", help="Record what happened to a post (or its follow-up) postgen could not know.")
@click.option("--as", "resolve_as", type=click.Choice(["published", "failed"]), help="With --resolve: 'published URL' or 'failed'.")
@click.option("--follow-up", "follow_up", type=click.Choice(["done", "retry", "skip"]),
              help="With --resolve: settle a failed or cut-off follow-up: 'done [URL]' (it is there), 'retry' (send it again), 'skip' (leave it out).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--git", "use_git", is_flag=True,
              help="CI: start from the remote branch's tip; push each intent before its call and each outcome after (docs/ci.md).")
@pass_app
def publish(app: AppContext, run_ref, url, dry_run, due, platforms, post_ids, yes, resolve_id, resolve_as, follow_up,
            as_json, use_git) -> None:
    """Publish a run's posts, each at most once (RUN: id, file, path or 'latest').

    \b
    postgen publish latest --dry-run        exactly what would be sent, and its estimated cost
    postgen publish RUN [--platform x] [--post x-hormozi] [--yes]
    postgen publish --due --yes             what is due now, all runs
    postgen publish --due --yes --git       the same from CI, with the ledger kept in git
    postgen publish RUN --resolve POST --as published URL | --as failed
    postgen publish RUN --resolve POST --follow-up done [URL] | retry | skip

    Exit codes: 0 all done, 1 some failed or need a decision (a follow-up too), 2 usage error,
    3 some wait for a later run (deferred posts, follow-ups to retry).
    """
    from postgen import ledger

    if resolve_id or resolve_as or follow_up:
        _resolve(app, run_ref, url, resolve_id, resolve_as, follow_up)
        return
    if url:
        raise click.UsageError(f"unexpected argument {url!r} (a URL goes only with --resolve POST --as published URL)")
    if not run_ref and not due:
        raise click.UsageError("name a RUN (or 'latest'), or use --due to publish what is due across all runs")

    _check_platforms(platforms)
    sync = _git_sync(app) if use_git and not dry_run else None  # before planning: the plan reads the remote's tip
    selection = {"due": due, "platforms": platforms, "post_ids": post_ids}
    plan, unreadable, stale = _plan(app, _targets(app, run_ref), selection, strict=bool(run_ref))
    _check_ids(plan, post_ids)
    hints = _hints(app, plan, platforms, due)
    if dry_run:
        sys.exit(_dry_run(app, plan, unreadable, as_json, hints))

    to_send = [(run.id, post.id) for _p, run, posts, _s in plan for post in posts]
    if to_send and not yes:
        if not interactive():
            click.echo("Error: refusing to publish without confirmation: no terminal to ask on. "
                       "Add --yes to publish (or --dry-run to see what would be sent).", err=True)
            sys.exit(EXIT_INPUT)
        for run_id, post_id in to_send:  # on stderr with --json: stdout stays one JSON document
            click.echo(f"  {run_id} {post_id}", err=as_json)
        click.confirm(f"Publish these {len(to_send)} posts now?", abort=True, err=as_json)

    publisher = ledger.Publisher(app.config, durable=sync.durable if sync else None)
    outcomes = list(unreadable)
    notices = publisher.notices
    from postgen.runfile import RunLocked

    for path, run, posts, skipped in plan:
        if not posts and not skipped and path not in stale:
            continue
        try:
            outcomes.extend(publisher.publish_run(path, only=[p.id for p in posts], **selection))
        except RunLocked as exc:
            if run_ref:
                raise
            # --due: another publisher has this run; its posts wait for the next pass.
            outcomes.extend(ledger.Outcome(run.id, p.id, p.platform, "deferred", str(exc)) for p in posts)
        except ledger.RecordFailed as exc:  # --git: the ledger could not be pushed; nothing more is sent
            _record_failed(outcomes + getattr(exc, "outcomes", []), as_json, exc)
    if sync is not None:
        try:
            sync.finish()
        except ledger.RecordFailed as exc:
            _record_failed(outcomes, as_json, exc)
    code = ledger.exit_code(outcomes)
    for notice in notices:
        click.echo(f"note: {notice}", err=True)
    _report(outcomes, as_json, code, hints)
    sys.exit(code)


def _resolve(app: AppContext, run_ref, url, resolve_id, resolve_as, follow_up) -> None:
    """--resolve POST --as ... (the post) or --follow-up ... (its follow-ups): a person's decision."""
    from postgen import ledger

    usage = ("use: postgen publish RUN --resolve POST --as published URL | --as failed, "
             "or: postgen publish RUN --resolve POST --follow-up done [URL] | retry | skip")
    if not (resolve_id and run_ref) or bool(resolve_as) == bool(follow_up):
        raise click.UsageError(usage)
    path = _targets(app, run_ref)[0]
    if follow_up:
        if url and follow_up != "done":
            raise click.UsageError(f"--follow-up {follow_up} takes no URL (only 'done' may name where it is)")
        try:
            post = ledger.resolve_follow_up(path, resolve_id, follow_up, url)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        then = {"done": "recorded as there; never sent again", "retry": "sent again with the next publish",
                "skip": "left out; never sent"}[follow_up]
        click.echo(f"{post.id}: its follow-ups are settled: {then}")
        return
    if (resolve_as == "published") != bool(url):
        raise click.UsageError("--as published needs the post's URL; --as failed takes none")
    try:
        post = ledger.resolve(path, resolve_id, resolve_as, url, config=app.config)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    note = " (its link follow-up goes out with the next publish)" if post.follow_up_pending else ""
    click.echo(f"{post.id}: recorded as {post.state.value}" + (f" at {url}" if url else "") + note)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def pending(app: AppContext, as_json: bool) -> None:
    """How many posts `publish --due` would send now, and how many wait for a slot.

    \b
    due        posts `publish --due` would act on now: send (too-late ones are moved, not
               counted; the daily spend cap counts) or finish (an unknown outcome, a follow-up)
    waiting    posts it sends now or at a later slot: scheduled, enabled, approved when
               required, not failed or published
    threshold  [publish] pending_threshold; generate: waiting < threshold (CI makes a new run)

    Exit 1 when a run file cannot be read (it counts as nothing; the counts are still given).
    """
    from postgen import ledger

    counts = ledger.pending(app.config)
    if as_json:
        click.echo(json.dumps(counts, indent=2, ensure_ascii=False))
    else:
        click.echo(f"{counts['due']} due now, {counts['waiting']} waiting for their slots (threshold "
                   f"{counts['threshold']}): " + ("time to generate a new run" if counts["generate"] else "no new run needed"))
        if counts["unscheduled"]:
            click.echo(f"{counts['unscheduled']} ready posts have no slot: --due never sends them "
                       "(publish them by name, or give their platform schedule.slots)")
        for problem in counts["unreadable"]:
            click.echo(f"unreadable, not counted: {problem}", err=True)
    if counts["unreadable"]:
        sys.exit(1)


def _git_sync(app: AppContext):
    """`--git`: the checkout at the remote tip, ready to push intents and outcomes (postgen.gitsync)."""
    from postgen import gitsync, ledger
    from postgen.cli import PostgenError

    try:
        return gitsync.start(app.config)
    except gitsync.GitSyncError as exc:
        raise PostgenError(str(exc)) from None
    except ledger.RecordFailed as exc:
        _record_failed([], False, exc)


def _record_failed(outcomes, as_json: bool, exc: Exception) -> None:
    """Publishing stopped because the ledger could not be recorded: what was done, then why (exit 1)."""
    from postgen import ledger

    if outcomes:
        _report(outcomes, as_json, ledger.EXIT_FAILED)
    click.echo(f"Error: {exc}", err=True)
    sys.exit(ledger.EXIT_FAILED)


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.argument("post_ids", metavar="[POST]...", nargs=-1)
@pass_app
def approve(app: AppContext, run_ref: str, post_ids: tuple[str, ...]) -> None:
    """Mark posts approved for publishing (all the run's unpublished posts when none are named).

    Only matters with `require_approval = true` under [publish] in postgen.toml.
    """
    from postgen import runfile
    from postgen.models import PostState

    path = runfile.resolve(app.config.runs_path, run_ref)
    with runfile.editing(path, "approve") as handle:
        known = [p.id for p in handle.run.posts]
        unknown = [pid for pid in post_ids if pid not in known]
        if unknown:
            raise click.UsageError(f"no post {', '.join(unknown)} in {handle.run.id} (posts: {', '.join(known)})")
        chosen = [p for p in handle.run.posts if (p.id in post_ids if post_ids else p.state is not PostState.published)]
        for post in chosen:
            post.approved = True
    for post in chosen:
        note = f" (state {post.state.value}: it will not publish until it is ready)" if post.state in (PostState.draft, PostState.failed) else ""
        click.echo(f"approved {post.id}{note}")
    if not app.config.publish.require_approval:
        click.echo("note: publish.require_approval is off in the config, so approval does not gate publishing")


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(publish)
    cli.add_command(approve)
    cli.add_command(pending)
