"""`postgen next`: which video a run would pick now, and why the others were passed over.

Lists candidates only (feeds are read, no video is fetched, nothing is generated), so it is
cheap and, on the default config, entirely offline.
"""

from __future__ import annotations

import json

import click

from postgen import hookimpl
from postgen.cli import EXIT_PROBLEMS, AppContext, pass_app

MARKS = {"pick": "→", "eligible": " ", "skipped": "✗"}


@click.command(name="next")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def next_(app: AppContext, as_json: bool) -> None:
    """Show the video `postgen run` would pick next and why (nothing is generated).

    Exit 0 when there is nothing new to pick (as `postgen run` does), 1 when a source failed
    and nothing could be picked.
    """
    from postgen.selection import plan

    result = plan(app.config)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print(result)
    if result.pick is None and result.warnings:  # a failing source may have held the next video
        raise SystemExit(EXIT_PROBLEMS)


def _print(result) -> None:
    age = f", max age {result.max_age_days} days" if result.max_age_days else ""
    click.echo(f"policy: {result.policy}{age}")
    pick = result.pick
    if pick:
        c = pick.candidate
        click.echo(f"next: {c.video_id}  {c.title or c.url}")
        click.echo(f"  why: {pick.reason}")
    else:
        click.echo("next: nothing new to pick (add videos to a source, or pass --video to `postgen run`)")
    if result.considered:
        click.echo(f"candidates ({len(result.considered)}):")
    for item in result.considered:
        c = item.candidate
        facts = [c.published.date().isoformat() if c.published else "", f"{c.views:,} views" if c.views is not None else ""]
        details = ", ".join(f for f in facts if f)
        line = f"  {MARKS[item.status]} {c.video_id}  {c.title or c.url}" + (f" ({details})" if details else "")
        click.echo(line)
        click.echo(f"      {item.source_label}" + (f" | skipped: {item.reason}" if item.status == "skipped" else ""))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(next_)
