"""`postgen validate RUN` and `postgen doctor`: what is wrong with the posts, and with the setup."""

from __future__ import annotations

import json
import sys

import click

from postgen import hookimpl
from postgen.cli import EXIT_PROBLEMS, AppContext, pass_app


@click.command()
@click.argument("run_ref", metavar="RUN", default="latest")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def validate(app: AppContext, run_ref: str, as_json: bool) -> None:
    """Check every post of RUN (id, file or 'latest') against its platform's rules and the lints.

    Reads the run file as it is now, hand edits included, and never changes it.
    Exit 1 when any post has an error.
    """
    from postgen import runfile
    from postgen.checks import check_post

    path = runfile.resolve(app.config.runs_path, run_ref)
    run = runfile.load(path)
    report = []
    for post in run.posts:
        problems = check_post(post, run, config=app.config)
        report.append((post, problems))
    errors = sum(1 for _, ps in report for p in ps if p.severity == "error")
    warnings = sum(1 for _, ps in report for p in ps if p.severity == "warning")
    if as_json:
        click.echo(json.dumps({
            "run": run.id,
            "file": str(path),
            "ok": errors == 0,
            "errors": errors,
            "warnings": warnings,
            "posts": [
                {"id": post.id, "platform": post.platform, "framework": post.framework, "state": post.state.value,
                 "ok": not any(p.severity == "error" for p in ps),
                 "problems": [p.model_dump() for p in ps]}
                for post, ps in report
            ],
        }, indent=2, ensure_ascii=False))
    else:
        for post, ps in report:
            mark = "ERROR" if any(p.severity == "error" for p in ps) else ("warn" if ps else "ok")
            click.echo(f"{post.id:<22} {mark}")
            for p in ps:
                click.echo(f"  {p.severity}: {p.code}: {p.message}")
        click.echo(f"{run.id}: {len(run.posts)} posts, {errors} errors, {warnings} warnings")
    if errors:
        sys.exit(EXIT_PROBLEMS)


def _health(platform: str, config) -> dict:
    from postgen.checks import connector_for
    from postgen.config import ConfigError
    from postgen.registry import connectors

    if platform not in connectors:
        return {"platform": platform, "ok": False, "missing": [], "identity": None,
                "messages": [f"error: no connector for {platform!r} (is its plugin installed? see 'postgen plugins')"]}
    try:
        connector = connector_for(platform, config)
    except ConfigError as exc:
        return {"platform": platform, "ok": False, "missing": [], "identity": None, "messages": [f"error: {exc}"]}
    try:
        health = connector.check()
    except Exception as exc:  # a plugin's check must not take doctor down
        return {"platform": platform, "ok": False, "missing": [], "identity": None,
                "messages": [f"error: check failed: {type(exc).__name__}: {exc}"]}
    return {"platform": health.platform, "ok": health.ok, "missing": list(health.missing),
            "identity": health.identity, "messages": list(health.messages)}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def doctor(app: AppContext, as_json: bool) -> None:
    """Config and credentials of each enabled platform, with a live identity call where keys exist.

    Names missing environment variables (never their values). Exit 1 when a platform cannot
    publish; `publish --due` still publishes on the others (it skips that platform's posts).
    """
    config = app.config
    results = [_health(name, config) for name in config.platforms.enabled]
    ok = all(r["ok"] for r in results)
    ready = [r["platform"] for r in results if r["ok"]]
    if as_json:
        click.echo(json.dumps({"config": str(config.path) if config.path else None, "ok": ok, "publishable": ready,
                               "platforms": results}, indent=2))
    else:
        click.echo(f"config: {config.path or 'built-in defaults (no postgen.toml)'}")
        for r in results:
            state = "ready" if r["ok"] else "CANNOT PUBLISH"
            who = f" as {r['identity']}" if r["identity"] else ""
            click.echo(f"{r['platform']:<10} {state}{who}")
            if r["missing"]:
                click.echo(f"  missing env vars: {', '.join(r['missing'])}")
            for message in r["messages"]:
                click.echo(f"  {message}")
        if not ok:  # publishing is per platform: one that cannot must not hold back the others
            click.echo("publish --due " + (f"still publishes on {', '.join(ready)}; " if ready else "publishes nowhere; ")
                       + "the posts of the others are skipped and stay ready until fixed")
    if not ok:
        sys.exit(EXIT_PROBLEMS)


@hookimpl
def postgen_register_commands(cli: click.Group) -> None:
    cli.add_command(validate)
    cli.add_command(doctor)
