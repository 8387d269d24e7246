"""`postgen reconcile`: apply the record a CI job saved when it could not push its ledger.

`postgen publish --due --yes --git` stops when its outcomes cannot be pushed and saves them
(POSTGEN_UNPUSHED_DIR; the workflow uploads it as an artifact). This applies that record to a
checkout: journal lines are added, ledger fields only move forward, a person's edits stay.
"""

from __future__ import annotations

from pathlib import Path

import click

from postgen import hookimpl
from postgen.cli import AppContext, PostgenError, pass_app


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@pass_app
def reconcile(app: AppContext, folder: Path) -> None:
    """Apply a ledger record saved by a CI job whose pushes failed (FOLDER: the artifact).

    \b
    postgen reconcile ~/Downloads/postgen-unpushed-123
    git add runs && git commit -m "postgen: reconcile" && git push
    """
    from postgen import gitsync

    try:
        lines = gitsync.reconcile(folder, app.config.runs_path)
    except gitsync.GitSyncError as exc:
        raise PostgenError(str(exc)) from None
    for line in lines:
        click.echo(line)
    if not lines:
        click.echo("nothing to apply: the run files already hold this record")
        return
    click.echo(f"now commit and push {app.config.runs_dir}/ so the next job sees it")


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(reconcile)
