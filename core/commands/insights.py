"""`postgen metrics` (read engagement of published posts) and `postgen report` (which framework
works, per platform: a table with bars, --json, or a self-contained HTML page)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click

from postgen import hookimpl
from postgen.cli import AppContext, PostgenError, pass_app


@click.command()
@click.argument("run_ref", metavar="[RUN]", required=False)
@click.option("--due", is_flag=True, help="Every run: read each published post that is due a reading (the CI mode).")
@click.option("--dry-run", is_flag=True, help="Say what would be read and its estimated API cost; read nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (docs/metrics.md).")
@click.option("--git", "use_git", is_flag=True, help="Start from the remote's tip and push the readings with the ledger (CI; docs/ci.md).")
@pass_app
def metrics(app: AppContext, run_ref: str | None, due: bool, dry_run: bool, as_json: bool, use_git: bool) -> None:
    """Read the engagement of published posts at the ages in [metrics] ages (24h, 72h, 7d).

    \b
    postgen metrics --due            every run
    postgen metrics --due --git      the same from CI: readings committed and pushed with the ledger
    postgen metrics RUN [--dry-run]  one run

    Each reading is saved in the run file, under its lock. A rate limit or a token without
    analytics permission never fails the pass: the reading waits, or is reported unavailable.
    Exit codes: 0 done, 1 something failed, 2 usage error, 3 some readings deferred.
    """
    from postgen import metrics as readings
    from postgen import runfile

    if not run_ref and not due:
        raise click.UsageError("name a RUN (or 'latest'), or use --due to read every run's posts that are due")
    sync = _git_sync(app) if use_git and not dry_run else None  # the remote's tip first: read what it holds
    paths = [runfile.resolve(app.config.runs_path, run_ref)] if run_ref else runfile.list_runs(app.config.runs_path)
    result = readings.collect(app.config, paths, dry_run=dry_run)
    code = 1 if dry_run and any(o.status == "failed" for o in result.outcomes) else (0 if dry_run else result.exit_code)
    if sync is not None and _pushed(sync) is False:
        code = 1
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, "exit_code": code, "estimated_cost_usd": result.estimated_cost_usd,
                               "readings": [o.to_dict() for o in result.outcomes]}, indent=2, ensure_ascii=False))
        sys.exit(code)
    if not result.outcomes:
        click.echo(f"no published post is due a reading (ages: {', '.join(app.config.metrics.ages)})")
    width = max((len(f"{o.run_id} {o.post_id}") for o in result.outcomes), default=0)
    for o in result.outcomes:
        if o.status == "read":
            detail = f"{o.engagements} engagements" + (f", {o.impressions} impressions" if o.impressions is not None else "")
        elif o.status == "deferred" and o.until:
            detail = f"until {o.until.isoformat()}: {o.reason}"
        else:
            detail = o.reason
        label = "WOULD READ" if o.status == "would_read" else o.status.upper()
        click.echo(f"{label:<11} {f'{o.run_id} {o.post_id}':<{width}}  {o.age or '-':<4} {detail}".rstrip())
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.status.replace("_", " ")] = counts.get(o.status.replace("_", " "), 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    if result.outcomes:
        click.echo(summary + f"; estimated API cost ${result.estimated_cost_usd:.3f}" + (" (dry run: nothing was read)" if dry_run else ""))
    sys.exit(code)


def _git_sync(app: AppContext):
    """`--git`: the checkout at the remote tip (postgen.gitsync), as `publish --git` starts."""
    from postgen import gitsync, ledger

    try:
        return gitsync.start(app.config)
    except (gitsync.GitSyncError, ledger.RecordFailed) as exc:
        raise PostgenError(f"{exc} (no reading was taken)") from None


def _pushed(sync) -> bool:
    """Commit and push the readings (merged with whatever reached the remote meanwhile)."""
    from postgen import ledger

    try:
        sync.finish()
    except ledger.RecordFailed as exc:
        click.echo(f"Error: the readings are saved here but could not be pushed: {exc}", err=True)
        return False
    return True


def _load_runs(app: AppContext, demo: bool):
    """The runs to report on: the runs folder (unreadable files named on stderr), or the demo set."""
    from postgen import runfile

    if demo:
        from postgen.demo import demo_runs

        return demo_runs()
    runs = []
    for path in runfile.list_runs(app.config.runs_path):
        try:
            runs.append(runfile.load(path))
        except runfile.RunFileError as exc:
            click.echo(f"warning: left out of the report: {exc}", err=True)
    return runs


def _bar(value: float, scale: float, width: int = 24) -> str:
    cells = max(0.0, value / scale * width)
    full = int(cells)
    part = " ▏▎▍▌▋▊▉"[int((cells - full) * 8)]
    return ("█" * full + (part if part != " " else "")).ljust(width)


def terminal(report) -> str:
    """The report as text: per platform a table with bars (rich, rendered to a string so that it
    is printed like every other line) and the verdict in plain words."""
    import io

    from rich.console import Console
    from rich.table import Table

    out: list[str] = []
    if report.demo:
        runs = max((p.runs for p in report.platforms), default=0)
        out.append(f"demo data: {runs} weekly runs read from a synthetic audience (postgen report --demo)\n")
    if not report.platforms:
        out.append("No engagement readings yet: publish some posts, then run 'postgen metrics --due' "
                   "(or see what a report looks like: 'postgen report --demo').")
    for platform in report.platforms:
        scale = max([c.high or c.lift for c in platform.cells] + [1.0])
        rate = platform.measure != "engagements"
        table = Table(title=f"{platform.platform}: {platform.posts} posts from {platform.runs} runs; lift compares "
                            f"{platform.measure} within each run (1.00 = run average)", title_justify="left")
        columns = [("framework", "left"), ("posts", "right"), ("lift", "right"), ("95 % interval", "right"), ("", "left")]
        columns += [("eng. rate", "right")] if rate else []
        for name, justify in columns + [("first slots", "right")]:
            table.add_column(name, justify=justify)  # type: ignore[arg-type]
        for c in platform.cells:
            span = f"{c.low:.2f}-{c.high:.2f}" if c.low is not None and c.high is not None else "-"
            row = [c.framework, str(c.posts), f"{c.lift:.2f}", span, _bar(c.lift, scale)]
            row += ["-" if c.rate is None else f"{c.rate:.2%}"] if rate else []
            table.add_row(*row, str(c.prime_slots))
        buffer = io.StringIO()
        Console(file=buffer, width=200, color_system=None, soft_wrap=True).print(table)
        out.append("\n".join(line.rstrip() for line in buffer.getvalue().splitlines()))
        out.append(platform.verdict.text + "\n")
    return "\n".join(out).rstrip() + "\n"


def _platform_known(app: AppContext, platform: str, runs) -> bool:
    from postgen.registry import connectors

    return platform in connectors.names() or any(p.platform == platform for run in runs for p in run.posts)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The report as JSON (its shape is documented in docs/metrics.md).")
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write one self-contained HTML page with charts (works offline).")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only runs created on or after DATE (YYYY-MM-DD).")
@click.option("--platform", help="Only this platform.")
@click.option("--demo", is_flag=True, help="Report on the demo data set shipped with postgen (no keys, no runs needed).")
@pass_app
def report(app: AppContext, as_json: bool, html_path: Path | None, since: datetime | None, platform: str | None,
           demo: bool) -> None:
    """Which copywriting framework engages best, per platform, and how sure that is.

    Lift 1.00 is a run's average; 1.25 means 25 % more engaging than the same run's other posts
    on that platform. A winner is named only when the data can tell (docs/metrics.md).
    """
    from postgen.report import build

    runs = _load_runs(app, demo)
    if platform and not _platform_known(app, platform, runs):
        raise click.UsageError(f"no platform {platform!r} (platforms with a connector or a run: "
                               f"{', '.join(sorted(_platforms(runs))) or 'none'})")
    result = build(runs, since=since.date() if since else None, platform=platform, demo=demo)
    if html_path is not None:
        _write_page(html_path, result)
        if not as_json:
            click.echo(f"wrote {html_path}: {len(result.platforms)} platform(s), open it in a browser (works offline)")
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    elif html_path is None:
        click.echo(terminal(result), nl=False)


def _platforms(runs) -> set[str]:
    from postgen.registry import connectors

    return set(connectors.names()) | {p.platform for run in runs for p in run.posts}


def _write_page(path: Path, result) -> None:
    from postgen.pages.report import render
    from postgen.redact import redact
    from postgen.runfile import write_atomic

    try:
        write_atomic(path, redact(render(result)))
    except OSError as exc:
        raise PostgenError(f"{path}: cannot write the page: {exc.strerror or exc}") from None


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(metrics)
    cli.add_command(report)

