"""`postgen extend RUN --platform NAME`: posts for a platform enabled after the run was made."""

from __future__ import annotations

import sys

import click

from postgen import hookimpl
from postgen.cli import EXIT_PROBLEMS, AppContext, pass_app


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--platform", "platforms", multiple=True,
              help="Draft this platform's posts (repeatable; default: every enabled platform the run has none for).")
@pass_app
def extend(app: AppContext, run_ref: str, platforms: tuple[str, ...]) -> None:
    """Add the posts of a newly enabled platform to an existing run (RUN: id, file or 'latest').

    The new posts are written from the run's brief in the run's frameworks, validated and repaired
    as 'postgen run' does, and given the platform's next free slots. Existing posts are never
    changed. Exit 1 when a new post failed.
    """
    from postgen import runfile
    from postgen.checks import connector_for
    from postgen.commands.generate import _length
    from postgen.extend import extend as extend_run

    config = app.config
    path = runfile.resolve(config.runs_path, run_ref)
    outcome = extend_run(config, path, list(platforms))
    run = outcome.run
    for platform in outcome.present:
        click.echo(f"{run.id} already has {platform} posts: they are kept as they are")
    if not outcome.added:
        for warning in outcome.warnings:
            click.echo(f"warning: {warning}")
        hint = "" if platforms else " (every enabled platform has posts in it; name one with --platform)"
        click.echo(f"nothing to add to {path}{hint}")
        return
    connectors = {}
    for post in outcome.added:
        connector = connectors.setdefault(post.platform, connector_for(post.platform, config))
        when = post.scheduled_at.strftime("%a %Y-%m-%d %H:%M %Z") if post.scheduled_at else "no slot"
        notes = "; ".join(p.message for p in post.problems)
        click.echo(f"{post.id:<24} {_length(post, connector):>9}  {post.state.value:<6} {when}" + (f"  {notes}" if notes else ""))
    for warning in outcome.warnings:
        click.echo(f"warning: {warning}")
    failed = [p for p in outcome.added if p.errors]
    click.echo(f"added {len(outcome.added)} posts to {path}: {len(outcome.added) - len(failed)} ready, {len(failed)} failed; "
               f"review, then 'postgen publish {run.id} --dry-run'")
    if failed:
        sys.exit(EXIT_PROBLEMS)


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(extend)
