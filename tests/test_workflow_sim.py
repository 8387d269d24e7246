"""The auto-posting workflow, simulated: its own jobs and `run:` scripts against a bare git remote
on this machine and fake platforms that remember what they received (tests/sim/).

One scenario, as the hourly job would live it: two normal hourly jobs, a re-run of the first and
a queued job (both triggered at old commits), a person who approves one post and rewrites two
while a job publishes, three jobs whose pushes the remote refuses (the third after a platform
took a post), a person who applies the record that job saved, a job killed (SIGKILL) right after
Reddit accepted a post, then a normal job and a re-run of the killed one. At the end every due
post and follow-up was created exactly once, none is lost, the ledger on the remote agrees with
the platforms, and the person's edits are there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from ledger_fakes import make_run
from sim import person
from sim.actions import PERSISTED_TOKEN, Runner, Trigger
from sim.platforms import refuse_pushes

from postgen import runfile
from postgen.models import PostState

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "postgen.yml"
DAY = datetime(2026, 11, 3, tzinfo=timezone.utc)  # a Tuesday
FRAMEWORKS = {"hormozi": 9, "naval": 10, "aida": 11, "storytelling": 12, "garyvee": 13}  # the hour each is due
ORDER = {"linkedin": 0, "x": 1, "reddit": 2}  # minutes past the hour: the order within a job
JOB_TOKEN = "ghs_" + "SimulatedJobToken00000000000000000000"
CONFIG = "[publish]\nrequire_approval = true\npending_threshold = 0\n"


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


class World:
    """The remote, the platforms' stores, the runner for the workflow, and a person."""

    def __init__(self, tmp: Path, workflow: str):
        self.tmp = tmp
        self.sim = tmp / "sim"
        self.sim.mkdir()
        self.remote = tmp / "remote.git"
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(self.remote)], check=True)
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        shim = bin_dir / "postgen"
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{ROOT / "tests" / "sim" / "driver.py"}" "$@"\n')
        shim.chmod(0o755)
        (bin_dir / "python").symlink_to(sys.executable)
        self.env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp / "home"), "LANG": "C.UTF-8",
                    "POSTGEN_LOAD_PLUGINS": "", "POSTGEN_SIM_DIR": str(self.sim), "POSTGEN_SIM_REMOTE": str(self.remote)}
        self.runner = Runner(workflow, self.remote, tmp / "jobs", env=self.env, secrets={})
        self.run_rel = self._seed()
        self.runs = 0

    def _seed(self) -> str:
        seed = self.tmp / "seed"
        subprocess.run(["git", "clone", "--quiet", str(self.remote), str(seed)], check=True, capture_output=True)
        (seed / "postgen.toml").write_text(CONFIG)
        pairs = [(platform, fw) for fw in FRAMEWORKS for platform in ORDER]
        path = make_run(seed / "runs", pairs, created=at(7))
        with runfile.editing(path) as handle:
            for post in handle.run.posts:
                post.scheduled_at = at(FRAMEWORKS[post.framework], ORDER[post.platform])
                post.approved = post.id != "reddit-aida"  # a person approves it mid-publish
        (path.parent / f"{path.name}.lock").unlink(missing_ok=True)
        person.git(seed, "add", "-A")
        person.git(seed, "commit", "--quiet", "-m", "a run to publish")
        person.git(seed, "push", "--quiet", "origin", "main")
        return f"runs/{path.name}"

    # ---- what happens

    def tip(self) -> str:
        return person.git(self.remote, "rev-parse", "main")

    def job(self, when: datetime, *, sha: str | None = None, event: str = "schedule", attempt: int = 1,
            run_id: int | None = None, events: list[dict] = ()):
        """One run of the workflow at `when`, triggered at `sha` (default: the tip now)."""
        (self.sim / "events.json").write_text(json.dumps(list(events)))
        self.runs += 1
        self.env["POSTGEN_SIM_NOW"] = when.isoformat()
        trigger = Trigger(event, sha or self.tip(), run_id=run_id or self.runs, run_attempt=attempt,
                          inputs={"generate": False} if event == "workflow_dispatch" else {})
        run = self.runner.run(trigger, token=JOB_TOKEN)
        assert all(e.get("done") for e in json.loads((self.sim / "events.json").read_text())), "an event never fired"
        return run

    def platform(self, name: str) -> dict:
        path = self.sim / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else {"created": [], "comments": [], "create_calls": 0}

    def remote_run(self):
        text = person.git(self.remote, "show", f"main:{self.run_rel}")
        return runfile.parse(text + "\n", self.run_rel)

    def person_runs(self, *args: str) -> subprocess.CompletedProcess:
        """The person runs postgen in their clone (the same shim: fake platforms, no network)."""
        where = person.checkout(self.remote, self.sim / "person")
        return subprocess.run(["postgen", *args], cwd=where, env={**self.env, "POSTGEN_SIM_NOW": DAY.isoformat()},
                              capture_output=True, text=True, timeout=120)

    # ---- what must hold

    def body(self, post_id: str) -> str:
        return next(p.body for p in self.remote_run().posts if p.id == post_id)

    def assert_everything_once(self) -> None:
        run = self.remote_run()
        for name in ORDER:
            platform = self.platform(name)
            created = [c["post"] for c in platform["created"]]
            expected = sorted(f"{name}-{fw}" for fw in FRAMEWORKS)
            assert sorted(created) == expected, f"{name} received {created}"
            assert platform["create_calls"] == len(FRAMEWORKS), f"{name}: a create call was repeated"
            assert sorted(c["post"] for c in platform["comments"]) == expected, f"{name} follow-ups: {platform['comments']}"
            for item in platform["created"]:
                post = run.post(item["post"])
                assert post.state is PostState.published, f"{post.id} is {post.state.value} on the remote"
                assert post.publication.remote_id == item["id"] and post.publication.url == item["url"]
                comments = [c["id"] for c in platform["comments"] if c["post"] == post.id]
                assert [f.remote_id for f in post.publication.follow_ups] == comments
                assert [f.state for f in post.publication.follow_ups] == ["published"]
                assert not post.follow_up_pending
                assert item["text"].endswith(post.body), f"{post.id}: sent text is not the run file's"


@pytest.fixture
def world(tmp_path):
    (tmp_path / "home").mkdir(exist_ok=True)
    return lambda workflow=WORKFLOW.read_text(encoding="utf-8"): World(tmp_path, workflow)


def _published(run) -> bool:
    return run.jobs["publish"].result == "success"


def test_the_workflow_publishes_each_post_once_through_reruns_refusals_edits_and_kills(world):
    w = world()
    rid = w.run_rel
    naval_text, aida_text = w.body("reddit-naval"), w.body("x-aida")
    new_naval, new_aida = "Rewritten by a person while the job ran.", "Shorter, and better."

    # 1-2: two normal hourly jobs; during the second, a person approves one post and rewrites two.
    first_sha = w.tip()
    first = w.job(at(9, 17))
    assert _published(first), first.output
    assert sorted(c["post"] for c in w.platform("reddit")["created"]) == ["reddit-hormozi"]
    second_sha = w.tip()
    second = w.job(at(10, 17), events=[
        # between LinkedIn taking a post and the job recording it: the outcome's push is merged
        {"step": "publish.after", "post": "linkedin-naval", "do": "person", "run": rid,
         "edit": [[aida_text, new_aida]], "approve": ["reddit-aida"]},
        # right before the job records an intent: that push is rejected, and it plans again
        {"step": "validate", "post": "reddit-naval", "do": "person", "run": rid, "edit": [[naval_text, new_naval]]},
    ])
    assert _published(second), second.output
    assert "merged origin/main" in second.output and "planning again" in second.output, second.output
    assert w.platform("reddit")["created"][-1]["text"].endswith(new_naval)  # sent as the person left it

    # 3-4: a re-run of the first job, and a job queued behind the second: both triggered at old commits.
    rerun = w.job(at(10, 40), sha=first_sha, run_id=1, attempt=2)
    queued = w.job(at(10, 45), sha=second_sha)
    for run in (rerun, queued):
        assert run.jobs["plan"].outputs["due"] == "0" and run.jobs["publish"].result == "skipped"

    # 5: the approved and edited posts go out at their hour.
    assert _published(w.job(at(11, 17))), "aida"
    assert w.platform("x")["created"][-1]["text"].endswith(new_aida)
    assert w.platform("reddit")["created"][-1]["post"] == "reddit-aida"

    # 6-8: three jobs whose pushes are refused: two from the start, one after Reddit took a post.
    counts = {name: w.platform(name)["create_calls"] for name in ORDER}
    refuse_pushes(w.remote)
    for minute in (17, 25):
        refused = w.job(at(12, minute), event="workflow_dispatch" if minute != 17 else "schedule")
        publish = refused.jobs["publish"].step("publish")
        assert publish.outcome == "failure" and publish.code == 1
        errors = [line for line in publish.output.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "nothing was sent" in errors[0] and "protected branch" in errors[0], publish.output
        assert {name: w.platform(name)["create_calls"] for name in ORDER} == counts  # nothing sent
    (w.remote / "hooks" / "pre-receive").unlink()
    third = w.job(at(12, 33), event="workflow_dispatch",
                  events=[{"step": "publish.after", "post": "reddit-storytelling", "do": "refuse"}])
    publish = third.jobs["publish"].step("publish")
    assert publish.outcome == "failure" and "linkedin-storytelling" in publish.output  # reported, with what it did
    errors = [line for line in publish.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "record of reddit-storytelling (published)" in errors[0] and "postgen reconcile" in errors[0]
    artifact = w.runner.artifacts / f"postgen-unpushed-{w.runs}-1"
    files = json.loads((artifact / "manifest.json").read_text())["files"]
    assert files == sorted([Path(rid).name, f"ledger/{Path(rid).stem}.jsonl"])  # the run file and its journal
    assert w.remote_run().post("reddit-storytelling").state is PostState.publishing  # its intent made it

    # 9: pushes work again (a new token); a person applies the saved record and pushes it.
    (w.remote / "hooks" / "pre-receive").unlink()
    applied = w.person_runs("reconcile", str(artifact))
    assert applied.returncode == 0 and "reddit-storytelling: publishing -> published" in applied.stdout, applied
    person.push(w.sim / "person", "postgen: reconcile the record of the job whose pushes failed")

    # 10-12: killed right after Reddit accepted a post; then a normal job; then a re-run of the killed one.
    killed_sha = w.tip()
    killed = w.job(at(13, 17), events=[{"step": "publish.after", "post": "reddit-garyvee", "do": "kill"}])
    assert killed.jobs["publish"].step("publish").code == 137
    assert w.remote_run().post("reddit-garyvee").state is PostState.publishing
    after = w.job(at(14, 17))
    assert _published(after) and after.jobs["plan"].outputs["due"] == "1", after.output
    rerun = w.job(at(14, 40), sha=killed_sha, run_id=w.runs - 1, attempt=2)
    assert rerun.jobs["publish"].result == "skipped"

    w.assert_everything_once()
    remote = w.remote_run()
    assert remote.post("reddit-naval").body == new_naval and remote.post("x-aida").body == new_aida
    assert remote.post("reddit-aida").approved
    # Nothing a job should not have written reached the remote: no lock file, no token, no conflict.
    history = person.git(w.remote, "log", "-p", "--all")
    assert JOB_TOKEN not in history and PERSISTED_TOKEN not in history and "<<<<<<<" not in history
    assert not [f for f in person.git(w.remote, "ls-tree", "-r", "--name-only", "main").splitlines() if f.endswith(".lock")]
    outputs = "\n".join(p.read_text(errors="replace") for p in w.runner.artifacts.rglob("*") if p.is_file())
    assert JOB_TOKEN not in outputs


def test_without_the_branch_pinned_old_commits_still_never_publish_twice(world):
    """Defence in depth: the same workflow with the checkouts' `ref:` removed gets the triggering
    commit (what GitHub gives a re-run or a queued job). The plan job then counts from the old
    ledger, but `publish --git` moves the checkout to the tip before planning."""
    text = WORKFLOW.read_text(encoding="utf-8").replace("          ref: ${{ github.ref_name }}\n", "")
    assert "ref:" not in text.split("jobs:", 1)[1].replace("github.ref_name", "")
    w = world(text)
    first_sha = w.tip()
    assert _published(w.job(at(9, 17)))
    rerun = w.job(at(9, 40), sha=first_sha, run_id=1, attempt=2)
    assert rerun.jobs["plan"].outputs["due"] == "3"  # the old ledger says the hormozi posts are due
    assert _published(rerun) and "fast-forwarded" in rerun.output
    killed_sha = w.tip()
    w.job(at(10, 17), events=[{"step": "publish.after", "post": "reddit-naval", "do": "kill"}])
    assert _published(w.job(at(10, 30), sha=killed_sha, run_id=w.runs, attempt=2))  # the killed job, re-run
    for name in ORDER:
        platform = w.platform(name)
        assert sorted(c["post"] for c in platform["created"]) == [f"{name}-hormozi", f"{name}-naval"]
        assert platform["create_calls"] == 2 and len(platform["comments"]) == 2
    run = w.remote_run()
    assert all(run.post(f"{p}-{fw}").state is PostState.published for p in ORDER for fw in ("hormozi", "naval"))


def test_the_runner_reads_expressions_as_github_does():
    """The simulation is only as faithful as its reading of `if:` and `${{ }}`."""
    from sim.expressions import Evaluator

    failed = {"value": False}
    status = {"success": lambda: not failed["value"], "failure": lambda: failed["value"],
              "cancelled": lambda: False, "always": lambda: True}
    ctx = {"secrets": {"EMPTY": ""}, "github": {"token": "t", "event_name": "schedule", "ref_name": "main",
                                                "event": {}},
           "steps": {"publish": {"outcome": "failure"}}, "needs": {"plan": {"outputs": {"due": "0"}}},
           "inputs": {}, "vars": {}}
    ev = Evaluator(ctx, status)
    assert ev.evaluate("${{ secrets.EMPTY || github.token }}") == "t"
    assert ev.interpolate("x-${{ secrets.MISSING }}-${{ 1 == 1 }}") == "x--true"
    assert ev.condition("needs.plan.outputs.due != '0' || inputs.generate") is False
    assert ev.condition("needs.plan.outputs.due == 0") is True  # '0' == 0: compared as numbers
    assert ev.condition("vars.POSTGEN_PAUSED != 'true' && (github.event_name == 'SCHEDULE' || github.ref_name == github.event.repository.default_branch)")
    assert ev.condition("failure() && steps.publish.outcome == 'failure'") is False
    failed["value"] = True
    assert ev.condition("failure() && steps.publish.outcome == 'failure'") is True
    assert ev.condition("${{ !cancelled() }}") is True and ev.condition(None) is False  # success() implied
    with pytest.raises(ValueError, match="hashFiles"):
        ev.evaluate("hashFiles('x')")
