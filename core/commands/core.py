"""Built-in commands that set up, read and import runs: init, plugins, import, status, show."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from postgen import hookimpl
from postgen.cli import EXIT_INPUT, EXIT_PROBLEMS, AppContext, PostgenError, pass_app


KINDS = ("sources", "generators", "frameworks", "connectors")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """List every plugin: its package, version, hooks, and what it provides.

    JSON: a list of {name, package, version, hooks, sources, generators, frameworks, connectors}.
    """
    from postgen import registry
    from postgen.plugins import get_plugin_manager, plugin_package, plugin_version

    pm = get_plugin_manager()
    provided: dict[str, dict[str, list[str]]] = {}
    for reg in registry.ALL:
        for entry in reg.entries():
            provided.setdefault(entry.plugin, {}).setdefault(reg.kind + "s", []).append(entry.name)
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(impl.name for impl in pm.get_hookcallers(plugin) or [])
        row = {"name": name, "package": plugin_package(name), "version": plugin_version(name), "hooks": hooks}
        rows.append(row | {kind: provided.get(name, {}).get(kind, []) for kind in KINDS})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        origin = "" if row["package"] == "postgen" else f" (package {row['package']})"
        click.echo(f"{row['name']} {row['version']}{origin}")
        click.echo(f"  hooks: {', '.join(row['hooks']) or '(none)'}")
        for kind in KINDS:
            if row[kind]:
                click.echo(f"  {kind}: {', '.join(row[kind])}")


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing run file of the same id (refused if it records posts already sent).")
@pass_app
def import_(app: AppContext, file: Path, force: bool) -> None:
    """Import a run file in the old seed layout (no state block) into runs/.

    Exit 1 when the file holds fewer posts than its own METADATA counts (they are named).
    """
    from postgen import runfile
    from postgen.checks import check_post
    from postgen.importer import import_seed
    from postgen.models import PostState

    from postgen import schedule
    from postgen.models import utcnow

    report = import_seed(file)
    run = report.run
    for post in run.posts:
        post.problems = check_post(post, run, config=app.config)
        post.state = PostState.failed if post.errors else PostState.ready
    target = runfile.path_for(app.config.runs_path, run)
    with runfile.locked(target):
        if target.exists() and not force:
            raise PostgenError(f"{target} already exists; use --force to replace it")
        if target.exists():
            _refuse_to_forget_publications(target)
        schedule.assign(run, app.config, after=utcnow())  # slots from now on, like a new run's: --due sends them
        runfile.save(target, run)
    for note in report.notes:
        click.echo(f"note: {note}")
    failed = [p for p in run.posts if p.errors]
    click.echo(f"imported {len(run.posts)} posts into {target} ({len(run.posts) - len(failed)} ready, {len(failed)} with errors)")
    slotted = [p.scheduled_at for p in run.posts if p.scheduled_at]
    if slotted:
        click.echo(f"scheduled from {min(slotted).strftime('%Y-%m-%d %H:%M %Z')}: 'postgen publish --due' sends each at its slot")
    for post in failed:
        for problem in post.errors:
            click.echo(f"  {post.id}: {problem.message}")
    if report.missing:  # nothing else records them: say so, and exit 1 so a script notices
        click.echo(f"warning: {file}: {report.missing}", err=True)
        sys.exit(EXIT_PROBLEMS)


def _refuse_to_forget_publications(target: Path) -> None:
    """--force must not drop the record of what was posted: the next publish would post it twice."""
    from postgen import runfile
    from postgen.ledger import journal

    try:
        existing = journal.load(target)[0]  # as the journal knows it: a stale run file may hide a send
    except runfile.RunFileError as exc:
        raise PostgenError(f"{exc}. It may record posts already sent: fix it, or move it out of the runs folder, "
                           "before importing over it") from None
    sent = [p.id for p in existing.posts if p.state.value in ("published", "publishing") or p.publication]
    if sent:
        raise PostgenError(
            f"{target} records posts already sent ({', '.join(sent)}); replacing it would forget them and a later "
            "publish would post them twice. Move that file out of the runs folder first if you really mean it."
        )


def _json_by_post(runs: list[dict]) -> str:
    """The runs as JSON, one post to a line: json's indented output is written in pure Python
    and took 0.4 s over 1,000 runs; each line here comes from its C encoder."""
    def one(item: dict) -> str:
        return json.dumps(item, ensure_ascii=False)

    blocks = []
    for run in runs:
        if "posts" not in run:  # a run file that could not be read: its error
            blocks.append(f"  {one(run)}")
            continue
        head = one({k: v for k, v in run.items() if k != "posts"})[:-1]
        posts = ",\n".join(f"    {one(post)}" for post in run["posts"])
        blocks.append(f'  {head}, "posts": [\n{posts}\n  ]}}' if posts else f'  {head}, "posts": []}}')
    return "[\n" + ",\n".join(blocks) + "\n]" if blocks else "[]"


def _load_all(runs_dir: Path):
    """Every run as the ledger sees it (brought up to its journal, which knows what was sent)."""
    from postgen import runfile

    paths = runfile.list_runs(runs_dir)
    if not paths:
        return []
    from postgen.ledger import journal

    out = []
    for path in paths:
        try:
            run, behind = journal.load(path)
        except runfile.RunFileError as exc:
            out.append((path, None, str(exc)))
            continue
        if behind:
            click.echo(f"note: {path.name} is behind its journal for {', '.join(behind)}: shown as the journal says "
                       "(the next publish brings the file up to date)", err=True)
        out.append((path, run, None))
    return out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def status(app: AppContext, as_json: bool) -> None:
    """Every run and the state of each of its posts (and of their follow-ups)."""
    runs = _load_all(app.runs_path)
    if runs:  # loaded by then; with no runs, no ledger (nor pydantic) is imported
        from postgen.ledger import describe_follow_ups
    if as_json:
        data = []
        for path, run, error in runs:
            if run is None:
                data.append({"file": str(path), "error": error})
                continue
            data.append({
                "file": str(path),
                "id": run.id,
                "video": run.video.title,
                "posts": [
                    {
                        "id": p.id,
                        "state": p.state.value,
                        "scheduled_at": p.scheduled_at.isoformat() if p.scheduled_at else None,
                        "approved": p.approved,
                        "deferred_until": p.deferred_until.isoformat() if p.deferred_until else None,
                        "url": p.publication.url if p.publication else None,
                        "last_error": p.last_error,
                        "follow_up_pending": p.follow_up_pending,
                        "follow_ups": [f.model_dump(mode="json") for f in (p.publication.follow_ups if p.publication else [])],
                    }
                    for p in run.posts
                ],
            })
        click.echo(_json_by_post(data))
    else:
        if not runs:
            click.echo(f"no runs in {app.runs_path} yet: try 'postgen run --dry-run'")
        for path, run, error in runs:
            if run is None:
                click.echo(f"{path.name}: UNREADABLE: {error}")
                continue
            counts: dict[str, int] = {}
            for p in run.posts:
                counts[p.state.value] = counts.get(p.state.value, 0) + 1
            summary = ", ".join(f"{n} {s}" for s, n in counts.items())
            click.echo(f"{run.id}  {run.video.title[:50]}  [{summary}]")
            for p in run.posts:
                when = p.scheduled_at.strftime("%Y-%m-%d %H:%M %Z") if p.scheduled_at else "-"
                extra = p.publication.url if p.publication and p.publication.url else (p.last_error or "")
                if p.deferred_until and p.state.value == "ready":
                    extra = f"deferred until {p.deferred_until.strftime('%Y-%m-%d %H:%M %Z')}" + (f": {extra}" if extra else "")
                click.echo(f"  {p.id:<22} {p.state.value:<11} {when:<22} {extra}")
                if p.state.value == "published" and (open_ := describe_follow_ups(p)):
                    click.echo(f"  {'':<22} follow-ups: {open_}")
    if any(run is None for _, run, _ in runs):
        sys.exit(EXIT_INPUT)


@click.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@click.option("--raw", is_flag=True, help="Print the run file itself (state block included).")
@pass_app
def show(app: AppContext, run_ref: str, raw: bool) -> None:
    """A run as a person reads it: each post's state, slot, length, problems and text.

    RUN: id, the start of one, file name, path or 'latest' (the default). Lengths are counted as
    the platform counts them, against its limit; problems are checked again on the text as it is
    in the file now. Edit the text in the file, then 'postgen validate RUN'.
    """
    import shutil

    from postgen import runfile, view
    from postgen.ledger import journal

    path = runfile.resolve(app.config.runs_path, run_ref)
    run, behind = journal.load(path)  # as the ledger sees it; a corrupt file is refused, never shown as fine
    if raw:
        click.echo(path.read_text(encoding="utf-8"), nl=False)
        return
    color = sys.stdout.isatty()
    width = shutil.get_terminal_size((100, 24)).columns if color else 100
    click.echo(view.render(run, view.build(run, app.config), width=max(60, width), color=color), nl=False)
    click.echo(f"file: {path}  (edit a post's text there; 'postgen show {run.id} --raw' prints it whole)")
    if behind:
        click.echo(f"note: the file is behind its journal for {', '.join(behind)}: shown as the journal says "
                   "(the next publish brings the file up to date)")


@click.command()
@click.option("--force", is_flag=True, help="Replace an existing file.")
@click.pass_context
def init(ctx: click.Context, force: bool) -> None:
    """Write a commented postgen.toml to start from (it works as written: no keys, no network).

    The file shipped with postgen, every section explained. Written to --config FILE when given,
    else ./postgen.toml; never replaces a file without --force.
    """
    from importlib.resources import files

    from postgen import runfile

    target = Path(ctx.obj.config_path or "postgen.toml")
    if target.exists() and not force:
        raise PostgenError(f"{target} already exists; edit it, or use --force to replace it with the commented defaults")
    runfile.write_atomic(target, (files("postgen") / "data" / "postgen.toml").read_text(encoding="utf-8"))
    click.echo(f"wrote {target}: add your sources under [[sources]], then 'postgen next' and 'postgen run --dry-run'")


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    for command in (init, plugins, import_, status, show):
        cli.add_command(command)
