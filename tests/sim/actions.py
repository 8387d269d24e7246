"""Run a GitHub Actions workflow file's jobs on this machine, as a hosted runner would.

Faithful where it matters for the ledger: jobs in `needs` order with their `if:`, `outputs` and
`env`; steps with `if:` (status functions included), `env`, `continue-on-error`, outputs through
$GITHUB_OUTPUT, `${{ }}` templates, and `run:` scripts executed by
`bash --noprofile --norc -eo pipefail` (the workflow's `shell: bash`). `actions/checkout` is done
as the action does it: `ref` naming a branch fetches that branch's tip; an empty `ref` fetches the
commit that triggered the run and puts the branch there (what a re-run or a queued job gets), a
shallow fetch (depth 1) from the remote, credentials persisted unless `persist-credentials: false`.
`actions/upload-artifact` copies its `path`. Skipped: `actions/setup-python` and `pip install`
steps (the test's interpreter already has postgen; a `postgen` shim is first on PATH).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .expressions import Evaluator

PERSISTED_TOKEN = "ghs_" + "PersistedCheckoutToken0000000000000000"  # what a persisted checkout would leave


@dataclass
class Trigger:
    """What started a workflow run: the event, the commit it was triggered at, its inputs."""

    event: str
    sha: str
    ref: str = "refs/heads/main"
    inputs: dict[str, Any] = field(default_factory=dict)
    run_id: int = 1
    run_attempt: int = 1


@dataclass
class Step:
    name: str
    outcome: str  # success | failure | skipped
    code: int | None = None
    output: str = ""
    simulated: bool = False  # an action emulated, or an install the simulation skips
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class Job:
    name: str
    result: str  # success | failure | skipped
    steps: list[Step] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    workspace: Path | None = None

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


@dataclass
class Run:
    jobs: dict[str, Job]

    @property
    def output(self) -> str:
        """Every step's output under a `[job/step] outcome` line (what the Actions log shows)."""
        return "\n".join(f"[{j.name}/{s.name}] {s.outcome}" + (f" (exit {s.code})" if s.code else "") + f"\n{s.output}".rstrip()
                         for j in self.jobs.values() for s in j.steps if not s.simulated)


def _git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout.strip()


def _outputs(path: Path) -> dict[str, str]:
    """$GITHUB_OUTPUT: `name=value` lines and `name<<DELIM` ... `DELIM` blocks."""
    out: dict[str, str] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            out[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


class Runner:
    """`Runner(workflow, remote, root, env=..., secrets=...).run(trigger)` runs every job once.

    `env`: the runner machine's environment (PATH with the postgen shim first, HOME...)."""

    def __init__(self, workflow: str | Path, remote: Path, root: Path, *, env: dict[str, str],
                 secrets: dict[str, str] | None = None, variables: dict[str, str] | None = None,
                 default_branch: str = "main"):
        text = Path(workflow).read_text(encoding="utf-8") if isinstance(workflow, Path) else workflow
        self.workflow = yaml.safe_load(text)
        self.remote = remote
        self.root = root
        self.env = env
        self.secrets = secrets or {}
        self.variables = variables or {}
        self.default_branch = default_branch
        self.count = 0
        self.artifacts = root / "artifacts"
        _git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=remote)  # as GitHub serves any commit

    def run(self, trigger: Trigger, token: str = "ghs_" + "SimulatedJobToken00000000000000000000") -> Run:
        self.count += 1
        event: dict[str, Any] = {"schedule": "17 * * * *"} if trigger.event == "schedule" else {
            "inputs": trigger.inputs, "ref": trigger.ref, "repository": {"default_branch": self.default_branch}}
        github = {"event_name": trigger.event, "sha": trigger.sha, "ref": trigger.ref,
                  "ref_name": trigger.ref.removeprefix("refs/heads/"), "run_id": str(trigger.run_id),
                  "run_attempt": str(trigger.run_attempt), "event": event, "token": token,
                  "repository": "owner/postgen-runs"}
        inputs = trigger.inputs if trigger.event == "workflow_dispatch" else {}
        jobs: dict[str, Job] = {}
        pending = dict(self.workflow["jobs"])
        while pending:
            name, spec = next((n, s) for n, s in pending.items()
                              if all(need in jobs for need in _needs(s)))
            del pending[name]
            jobs[name] = self._job(name, spec, github, inputs, jobs, token)
        return Run(jobs)

    # ---- a job

    def _job(self, name: str, spec: dict, github: dict, inputs: dict, done: dict[str, Job], token: str) -> Job:
        needs = {n: {"result": done[n].result, "outputs": done[n].outputs} for n in _needs(spec)}
        base = {"github": github, "inputs": inputs, "vars": self.variables, "needs": needs,
                "secrets": {**self.secrets, "GITHUB_TOKEN": token}}
        job_ok = lambda: all(n["result"] == "success" for n in needs.values())  # noqa: E731
        decide = Evaluator({**base, "env": {}}, {"success": job_ok, "failure": lambda: any(n["result"] == "failure" for n in needs.values()),
                                                  "cancelled": lambda: False, "always": lambda: True})
        if not decide.condition(spec.get("if")):
            return Job(name, "skipped")
        folder = self.root / f"{self.count:02d}-{name}"
        workspace, temp = folder / "work", folder / "temp"
        workspace.mkdir(parents=True)
        temp.mkdir()
        job = Job(name, "success", workspace=workspace)
        steps_ctx: dict[str, Any] = {}
        failed = False
        runner = {"temp": str(temp), "os": "Linux"}
        status = {"success": lambda: not failed, "failure": lambda: failed, "cancelled": lambda: False, "always": lambda: True}
        contexts = {**base, "steps": steps_ctx, "runner": runner, "env": {}}
        evaluate = Evaluator(contexts, status)
        env = {}
        for key, value in {**(self.workflow.get("env") or {}), **(spec.get("env") or {})}.items():
            env[key] = str(evaluate.interpolate(value))
        contexts["env"] = env
        shell = ((self.workflow.get("defaults") or {}).get("run") or {}).get("shell", "bash")
        assert shell == "bash", "the simulation runs bash steps only"
        for index, step in enumerate(spec["steps"]):
            step_name = step.get("id") or step.get("name") or step.get("uses") or f"step{index}"
            if not evaluate.condition(step.get("if")):
                job.steps.append(Step(step_name, "skipped"))
                if "id" in step:
                    steps_ctx[step["id"]] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
                continue
            step_env = {**env, **{k: str(evaluate.interpolate(v)) for k, v in (step.get("env") or {}).items()}}
            contexts["env"] = step_env
            if "uses" in step:
                result = self._action(step["uses"], {k: evaluate.interpolate(v) for k, v in (step.get("with") or {}).items()},
                                      github, workspace, step_name)
            else:
                result = self._script(step, step_name, evaluate, step_env, workspace, temp, github)
            contexts["env"] = env
            job.steps.append(result)
            if "id" in step:
                conclusion = "success" if result.outcome == "success" or step.get("continue-on-error") else "failure"
                steps_ctx[step["id"]] = {"outcome": result.outcome, "conclusion": conclusion, "outputs": result.outputs}
            if result.outcome == "failure" and not step.get("continue-on-error"):
                failed = True
        job.result = "failure" if failed else "success"
        job.outputs = {k: str(evaluate.interpolate(v)) for k, v in (spec.get("outputs") or {}).items()}
        return job

    def _script(self, step: dict, name: str, evaluate: Evaluator, env: dict, workspace: Path, temp: Path,
                github: dict) -> Step:
        script = evaluate.interpolate(step["run"])
        if "pip install" in script:
            return Step(name, "success", 0, simulated=True)  # the test's interpreter has postgen
        output_file = temp / f"output-{name}"
        output_file.touch()
        path = temp / f"{name}.sh"
        path.write_text(script)
        full_env = {**self.env, **env, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(workspace),
                    "GITHUB_OUTPUT": str(output_file), "RUNNER_TEMP": str(temp), "GITHUB_SHA": github["sha"],
                    "GITHUB_REF": github["ref"], "GITHUB_REF_NAME": github["ref_name"],
                    "GITHUB_EVENT_NAME": github["event_name"], "GITHUB_RUN_ID": github["run_id"]}
        cwd = workspace / step.get("working-directory", ".")
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)], cwd=cwd,
                                env=full_env, capture_output=True, text=True, timeout=300)
        return Step(name, "success" if result.returncode == 0 else "failure", result.returncode,
                    result.stdout + result.stderr, outputs=_outputs(output_file))

    # ---- actions

    def _action(self, uses: str, given: dict, github: dict, workspace: Path, name: str) -> Step:
        action = uses.split("@", 1)[0]
        if action == "actions/checkout":
            return self._checkout(given, github, workspace, name)
        if action == "actions/setup-python":
            return Step(name, "success", simulated=True)
        if action == "actions/upload-artifact":
            source = Path(str(given["path"]))
            files = [p for p in source.rglob("*") if p.is_file()] if source.is_dir() else []
            if files:
                target = self.artifacts / str(given["name"])
                shutil.copytree(source, target)
            elif given.get("if-no-files-found", "warn") == "error":
                return Step(name, "failure", simulated=True, output="no files found")
            return Step(name, "success", simulated=True)
        raise AssertionError(f"the simulation does not know the action {uses}")

    def _checkout(self, given: dict, github: dict, workspace: Path, name: str) -> Step:
        ref, commit = str(given.get("ref") or ""), ""
        if not ref:  # the action's default: the event's ref at the event's commit
            ref, commit = github["ref"], github["sha"]
        branch = ref.removeprefix("refs/heads/")
        source = commit or f"refs/heads/{branch}"
        depth = int(given.get("fetch-depth", 1))
        _git("init", "--quiet", str(workspace))
        _git("remote", "add", "origin", f"file://{self.remote}", cwd=workspace)
        fetch = ["fetch", "--quiet", "--no-tags"] + ([f"--depth={depth}"] if depth else [])
        _git(*fetch, "origin", f"+{source}:refs/remotes/origin/{branch}", cwd=workspace)
        _git("checkout", "--quiet", "--force", "-B", branch, f"refs/remotes/origin/{branch}", cwd=workspace)
        if str(given.get("persist-credentials", True)).lower() != "false":
            _git("config", "--local", "http.https://github.com/.extraheader", f"AUTHORIZATION: basic {PERSISTED_TOKEN}",
                 cwd=workspace)
        return Step(name, "success", simulated=True, output=f"checked out {branch} at {_git('rev-parse', 'HEAD', cwd=workspace)}")


def _needs(spec: dict) -> list[str]:
    needs = spec.get("needs") or []
    return [needs] if isinstance(needs, str) else list(needs)
