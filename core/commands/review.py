"""`postgen review [RUN]`: every post as it will appear, edited in place in the browser; or, with
--html FILE, the same view as one static, read-only page (for a pull request or a CI artifact).

The server and the page load only when the command runs, so `postgen --help` stays light.
"""

from __future__ import annotations

from pathlib import Path

import click

from postgen import hookimpl
from postgen.cli import AppContext, PostgenError, pass_app


@click.command()
@click.argument("run_ref", metavar="[RUN]", default="latest")
@click.option("--html", "html_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the view as one static, read-only page to FILE (no server).")
@click.option("--no-open", is_flag=True, help="Do not open a browser: print the page's address only.")
@pass_app
def review(app: AppContext, run_ref: str, html_file: Path | None, no_open: bool) -> None:
    """Review a run in the browser: each post as its platform will show it, with its problems, slot
    and estimated cost; edit, approve or move a post in place (RUN: id, file, path or 'latest').

    The page is served on 127.0.0.1 at a random port, for this launch only: the address printed
    (and opened unless --no-open) carries its key. Each change is checked with the rules of
    'postgen validate' and saved to the run file under its lock; a text with an error is shown,
    not saved. Posts published or publishing cannot be changed. Ctrl-C stops the server.
    """
    from postgen import runfile
    from postgen.pages.edits import Review

    path = runfile.resolve(app.config.runs_path, run_ref)
    review = Review(path, app.config)
    if html_file is not None:
        runfile.write_atomic(html_file, review.page(live=False))  # a failure is one line from the group, exit 2
        click.echo(f"wrote {html_file}: {path.name} as a static page (read-only; no server)")
        return

    import webbrowser

    from postgen.pages.server import ReviewServer

    review.page()  # a broken file is reported here, before anything is served (and the plugins are loaded)
    try:
        server = ReviewServer(review)
    except OSError as exc:
        raise PostgenError(f"cannot listen on 127.0.0.1: {exc.strerror or exc}") from None
    click.echo(f"reviewing {path}")
    click.echo(f"open {server.url}")
    click.echo("(this address is the key to the page, for this launch only; Ctrl-C stops the server)")
    if not no_open and not webbrowser.open(server.url):
        click.echo("no browser could be opened here: open the address above yourself")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("\nstopped: every change saved is in the file")
    finally:
        server.server_close()


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(review)
