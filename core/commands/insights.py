"""`postgen metrics`: read the engagement of published posts."""

from __future__ import annotations

import json
import sys

import click

from postgen import hookimpl
from postgen.cli import AppContext, pass_app


@click.command()
@click.argument("run_ref", metavar="[RUN]", required=False)
@click.option("--due", is_flag=True, help="Every run: read each published post that is due a reading (the CI mode).")
@click.option("--dry-run", is_flag=True, help="Say what would be read and its estimated API cost; read nothing.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (docs/metrics.md).")
@pass_app
def metrics(app: AppContext, run_ref: str | None, due: bool, dry_run: bool, as_json: bool) -> None:
    """Read the engagement of published posts at the ages in [metrics] ages (24h, 72h, 7d).

    \b
    postgen metrics --due            every run (what the daily CI job runs)
    postgen metrics RUN [--dry-run]  one run

    Each reading is saved in the run file, under its lock. A rate limit or a token without
    analytics permission never fails the pass: the reading waits, or is reported unavailable.
    Exit codes: 0 done, 1 something failed, 2 usage error, 3 some readings deferred.
    """
    from postgen import metrics as readings
    from postgen import runfile

    if not run_ref and not due:
        raise click.UsageError("name a RUN (or 'latest'), or use --due to read every run's posts that are due")
    paths = [runfile.resolve(app.config.runs_path, run_ref)] if run_ref else runfile.list_runs(app.config.runs_path)
    result = readings.collect(app.config, paths, dry_run=dry_run)
    code = 1 if dry_run and any(o.status == "failed" for o in result.outcomes) else (0 if dry_run else result.exit_code)
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


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(metrics)

