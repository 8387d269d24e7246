"""Fake X, LinkedIn and Reddit for the workflow simulation, registered in place of the real ones.

Each platform keeps what it received in a JSON file under $POSTGEN_SIM_DIR (tests/ledger_fakes.py
FakePlatform with `store`), so a killed job's posts are still counted. $POSTGEN_SIM_DIR/events.json
lists what happens at a step of a post's publishing ("validate": before its intent is recorded;
"publish.after": the platform took it, the ledger does not know yet; ...), once each: "kill" (SIGKILL this process),
"refuse" (the remote refuses every push from now on), "person" (a person pushes edits).
Also a stand-in `postgen pending` until WP1's command lands.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import click
from ledger_fakes import FakeConnector, FakePlatform

from postgen import hookimpl
from postgen.connector import Health

SIM = Path(os.environ.get("POSTGEN_SIM_DIR", "."))
REFUSE_HOOK = "#!/bin/sh\necho 'protected branch: the token may not push here' >&2\nexit 1\n"


def refuse_pushes(remote: Path) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(REFUSE_HOOK)
    hook.chmod(0o755)


def fire(step: str, post_id: str | None) -> None:
    path = SIM / "events.json"
    if not path.exists():
        return
    events = json.loads(path.read_text())
    for event in events:
        if not event.get("done") and event["step"] == step and event["post"] == post_id:
            event["done"] = True
            path.write_text(json.dumps(events))  # before acting: a kill must not fire twice
            act(event)
            return


def act(event: dict) -> None:
    remote = Path(os.environ["POSTGEN_SIM_REMOTE"])
    if event["do"] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif event["do"] == "refuse":
        refuse_pushes(remote)
    elif event["do"] == "person":
        from sim import person

        where = person.checkout(remote, SIM / "person")
        run = where / event["run"]
        for old, new in event.get("edit", []):
            person.edit_text(run, old, new)
        for post_id in event.get("approve", []):
            person.approve(run, post_id)
        person.push(where, "approve and edit posts while a job publishes")
    else:
        raise AssertionError(event)


class SimConnector(FakeConnector):
    behaviour = ""

    def __init__(self, options=None, env=None):
        platform = FakePlatform(self.behaviour, store=SIM / f"{self.behaviour}.json")
        FakeConnector.__init__(self, self.behaviour, platform, step=lambda name: fire(name, self.current))
        self.options = options if options is not None else self.Options()
        self.current: str | None = None

    def validate(self, post):
        self.current = post.id
        fire("validate", post.id)  # just before the ledger records the intent
        return super().validate(post)

    def publish(self, post):
        self.current = post.id
        return super().publish(post)

    def publish_follow_up(self, post, publication):
        self.current = post.id
        return super().publish_follow_up(post, publication)

    def check(self) -> Health:
        return Health(platform=self.name, ok=True, identity="sim")


CONNECTORS = [type(f"Sim_{name}", (SimConnector,), {"name": name, "label": name.upper(), "behaviour": name})
              for name in ("x", "linkedin", "reddit")]


@hookimpl
def postgen_register_connectors(register) -> None:
    for cls in CONNECTORS:
        register(cls)


@click.command("pending")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def pending_stand_in(app, as_json: bool) -> None:
    """Stand-in for WP1's `postgen pending --json` (due, waiting, threshold, generate)."""
    from postgen import ledger, runfile
    from postgen.models import utcnow

    now, due, waiting = utcnow(), 0, 0
    for path in runfile.list_runs(app.config.runs_path):
        run = runfile.load(path)
        due += len(ledger.select(run, now=now, due=True, **ledger.policy(app.config))[0])
        waiting += sum(1 for p in run.posts if p.state.value == "ready" and not ledger.is_due(p, now))
    threshold = app.config.publish.pending_threshold
    click.echo(json.dumps({"due": due, "waiting": waiting, "threshold": threshold, "generate": due + waiting < threshold}))


@hookimpl
def postgen_register_commands(cli) -> None:
    if "pending" not in cli.commands:  # WP1's command, once it lands, is the one used
        cli.add_command(pending_stand_in)
