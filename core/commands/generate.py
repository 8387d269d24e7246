"""`postgen run` (video -> run file) and `postgen frameworks` (what voices are available)."""

from __future__ import annotations

import json
import sys

import click

from postgen import hookimpl
from postgen.cli import EXIT_PROBLEMS, AppContext, pass_app


def _length(post, connector) -> str:
    n = connector.measure(post.body)
    limit = getattr(connector, "limit", None)
    return f"{n}/{limit}" if isinstance(limit, int) else str(n)


@click.command(name="run")
@click.option("--video", "video_ref", metavar="URL", help="Use this video (URL or id) instead of the configured sources.")
@click.option("--dry-run", is_flag=True,
              help="Publish nothing. (Generation still writes the run file; 'run' never publishes anyway: publishing is 'postgen publish'.)")
@click.option("--force", is_flag=True, help="Replace today's run file for the same video if nothing in it was published.")
@pass_app
def run_cmd(app: AppContext, video_ref: str | None, dry_run: bool, force: bool) -> None:
    """Pick a video, write its brief and one post per platform x framework, validate, save to runs/.

    Posts the platform would refuse are repaired, or saved as 'failed' with their problems.
    Exit 1 when any post failed; 0 with a notice when there is no new video. Nothing is published.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from postgen.checks import connector_for
    from postgen.pipeline import run_pipeline

    config = app.config
    err = Console(stderr=True)
    out = Console(width=120, soft_wrap=False)
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=err, transient=True)
    task = {"id": None}

    def on_start(gen, chosen, total: int) -> None:
        model = f" ({gen.model})" if gen.model else ""
        click.echo(f"generator: {gen.name}{model}")
        click.echo(f"video: {chosen.video.title} [{chosen.video.id}]" + (f" - {chosen.reason}" if chosen.reason else ""))
        progress.start()
        task["id"] = progress.add_task("brief, then drafts", total=total)

    def on_post(post) -> None:
        if task["id"] is not None:
            progress.update(task["id"], advance=1, description=f"drafting posts (last: {post.id})")

    from postgen.selection import NoNewVideo

    try:
        outcome = run_pipeline(config, video_ref, on_start=on_start, on_post=on_post, replace=force)
    except NoNewVideo as exc:  # the normal state of an hourly job between videos
        click.echo(f"notice: nothing generated: {exc}")
        return
    finally:
        progress.stop()
    run = outcome.run
    table = Table(title=run.id)
    for col in ("post", "length", "state", "warnings"):
        table.add_column(col)
    connectors = {}
    for post in run.posts:
        connector = connectors.setdefault(post.platform, connector_for(post.platform, config))
        notes = [p.message for p in post.errors] + [p.message for p in post.warnings]
        table.add_row(post.id, _length(post, connector), post.state.value, "; ".join(notes) or "-")
    out.print(table)
    for warning in run.warnings:
        click.echo(f"warning: {warning}")
    ready = sum(1 for p in run.posts if p.state.value == "ready")
    usage = run.usage
    if usage.calls:
        click.echo(f"usage: {usage.calls} calls, {usage.prompt_tokens} prompt tokens ({usage.cached_tokens} cached), "
                   f"{usage.completion_tokens} completion tokens, about ${usage.cost_usd:.4f}")
    click.echo(f"wrote {outcome.path}: {ready} of {len(run.posts)} ready, {len(outcome.failed)} failed "
               f"(written by {run.generator}{' ' + run.model if run.model else ''})")
    click.echo("nothing was published" + (" (--dry-run)" if dry_run else "") + f": review, then 'postgen publish {run.id}'")
    if outcome.failed:
        sys.exit(EXIT_PROBLEMS)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def frameworks(app: AppContext, as_json: bool) -> None:
    """List the copywriting frameworks: built-in, from plugins, and from `frameworks_dir`."""
    from postgen.frameworks import available

    found = available(app.config)
    if as_json:
        rows = [{**fw.model_dump(mode="json"), "origin": origin} for fw, origin in found.values()]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for fw, origin in found.values():
        click.echo(f"{fw.emoji} {fw.name:<14} {fw.label:<14} {origin}".strip())
        click.echo(f"    {' -> '.join(b.split(':')[0] for b in fw.beats)}")


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(run_cmd)
    cli.add_command(frameworks)
