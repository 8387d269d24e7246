"""`postgen plugin new NAME`: a plugin package skeleton whose own test passes out of the box."""

from __future__ import annotations

from pathlib import Path

import click

from postgen import hookimpl
from postgen.cli import PostgenError


@click.group()
def plugin() -> None:
    """Write plugins: 'postgen plugin new NAME' starts a connector package (docs/plugins.md)."""


@plugin.command(name="new")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=".",
              help="Where to create the postgen-NAME folder (default: here).")
def new(name: str, parent: Path) -> None:
    """Create postgen-NAME/: a connector plugin for platform NAME, with its test and README."""
    from postgen.template import TemplateError, write_skeleton

    try:
        root, files = write_skeleton(name, parent)
    except TemplateError as exc:
        raise PostgenError(str(exc)) from None
    click.echo(f"created {root}:")
    for path in files:
        click.echo(f"  {path.relative_to(root.parent)}")
    click.echo("next:")
    click.echo(f"  pip install -e '{root}[test]'   # then 'postgen plugins' lists {name}")
    click.echo(f"  pytest {root}                   # its test passes as written")
    click.echo("  then fill in publish(): docs/plugins.md walks through it")


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(plugin)
