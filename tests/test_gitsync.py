"""Git as the ledger's compare-and-swap (postgen.gitsync), against a bare remote on this machine.

Each test has a bare remote, the job's checkout, and where needed a person's checkout, and a
fake platform that counts what it received. The workflow-level simulation (re-runs, queued
jobs, kills) is tests/test_workflow_sim.py; these pin each rule of the protocol down.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from ledger_fakes import FakeConnector, FakePlatform, make_run

from postgen import gitsync, ledger, runfile
from postgen.config import parse_config
from postgen.models import PostState, Publication

PERSON = {"GIT_AUTHOR_NAME": "A Person", "GIT_AUTHOR_EMAIL": "person@example.org",
          "GIT_COMMITTER_NAME": "A Person", "GIT_COMMITTER_EMAIL": "person@example.org"}


def git(cwd: Path, *args: str, check: bool = True) -> str:
    import os

    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                            env={**os.environ, **PERSON, "LC_ALL": "C"})
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout.strip()


class Repo:
    """A bare remote with one run of ready posts on `main`, and checkouts of it."""

    def __init__(self, root: Path, posts=(("reddit", "hormozi"), ("reddit", "naval"), ("x", "hormozi"))):
        self.root = root
        self.remote = root / "remote.git"
        subprocess.run(["git", "init", "--quiet", "--bare", "-b", "main", str(self.remote)], check=True)
        seed = self.clone("seed")
        self.run_path = make_run(seed / "runs", list(posts))
        self.rel = f"runs/{self.run_path.name}"
        (seed / "runs" / ".gitignore").write_text("*.lock\n")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "seed")
        git(seed, "push", "-q", "origin", "main")
        self.first = git(seed, "rev-parse", "HEAD")

    def clone(self, name: str) -> Path:
        path = self.root / name
        subprocess.run(["git", "clone", "--quiet", str(self.remote), str(path)], check=True, capture_output=True)
        return path

    def remote_run(self):
        text = subprocess.run(["git", "--git-dir", str(self.remote), "show", f"main:{self.rel}"],
                              capture_output=True, text=True, check=True).stdout
        return runfile.parse(text, self.rel)

    def person_edits(self, name: str, edit) -> None:
        """A person clones, changes the run file with `edit(path)`, commits and pushes."""
        path = self.clone(name) if not (self.root / name).exists() else self.root / name
        git(path, "pull", "-q", "--ff-only")
        edit(path / self.rel)
        git(path, "commit", "-q", "-am", "a person's edit")
        git(path, "push", "-q", "origin", "main")

    def refuse_pushes(self, message: str = "protected branch: pushes are refused") -> None:
        hook = self.remote / "hooks" / "pre-receive"
        hook.write_text(f"#!/bin/sh\necho '{message}' >&2\nexit 1\n")
        hook.chmod(0o755)


@pytest.fixture
def repo(tmp_path) -> Repo:
    return Repo(tmp_path)


def publisher(platform: FakePlatform, sync: gitsync.GitSync, step=None) -> ledger.Publisher:
    return ledger.Publisher(parse_config({}), connector_for=lambda name: FakeConnector(name, platform, step),
                            sleep=lambda s: None, fire=lambda o: None, durable=sync.durable)


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(gitsync, "sleep", lambda seconds: None)


def job(repo: Repo, name: str = "job") -> tuple[Path, gitsync.GitSync]:
    path = repo.clone(name) if not (repo.root / name).exists() else repo.root / name
    return path / repo.rel, gitsync.GitSync(path / "runs", log=lambda line: None).start()


def approve_and_edit(post_id: str, new_body: str):
    def edit(path: Path) -> None:
        with runfile.editing(path) as handle:
            post = handle.run.post(post_id)
            post.approved = True
            post.body = new_body
    return edit


# --------------------------------------------------------------------------- the intent is on the remote first


def test_each_intent_is_on_the_remote_before_its_call(repo):
    platform = FakePlatform("reddit")
    path, sync = job(repo)
    seen = []

    def step(name):
        if name == "publish.before":  # the moment before the platform call
            seen.extend(p.id for p in repo.remote_run().posts if p.state is PostState.publishing)

    outcomes = publisher(platform, sync, step).publish_run(path, platforms=["reddit"])
    assert [o.status for o in outcomes] == ["published", "published"]
    assert seen == ["reddit-hormozi", "reddit-naval"]  # each one's intent, before its own call
    remote = repo.remote_run()
    assert [remote.post(p).state for p in ("reddit-hormozi", "reddit-naval")] == [PostState.published] * 2
    assert remote.post("reddit-hormozi").publication.remote_id == platform.created[0]["id"]
    assert git(path.parent.parent, "status", "--porcelain") == ""  # nothing left unpushed


def test_a_job_that_lost_the_race_replans_from_the_remote_and_sends_nothing_twice(repo):
    """Two jobs start from the same tip; the first publishes. The second's intent push is
    rejected: it takes the remote's ledger and finds the posts already published."""
    platform = FakePlatform("reddit")
    late_path, late = job(repo, "late")  # started (fetched) before the other job pushed
    path, first = job(repo, "first")
    publisher(platform, first).publish_run(path, platforms=["reddit"])
    assert len(platform.created) == 2
    outcomes = publisher(platform, late).publish_run(late_path, platforms=["reddit"])
    assert outcomes == []  # re-planned: nothing left to do
    assert platform.create_calls == 2 and len(platform.comments) == 2
    assert runfile.load(late_path).post("reddit-naval").state is PostState.published  # the remote's ledger


def test_a_stale_checkout_is_fast_forwarded_before_planning(repo):
    """A re-run checks out the old commit on the branch (what actions/checkout does without ref):
    start() moves it to the tip, so the old ledger is never planned from."""
    platform = FakePlatform("reddit")
    path, first = job(repo, "first")
    publisher(platform, first).publish_run(path, platforms=["reddit"])
    old = repo.clone("rerun")
    git(old, "checkout", "-q", "-B", "main", repo.first)
    assert runfile.load(old / repo.rel).post("reddit-hormozi").state is PostState.ready  # the stale view
    sync = gitsync.GitSync(old / "runs", log=lambda line: None).start()
    assert git(old, "rev-parse", "HEAD") == git(old, "rev-parse", "origin/main")
    assert publisher(platform, sync).publish_run(old / repo.rel, platforms=["reddit"]) == []
    assert platform.create_calls == 2


# --------------------------------------------------------------------------- a person's edits


class ValidatingConnector(FakeConnector):
    """Also a step right before the intent: the ledger validates a post just before recording it."""

    def validate(self, post):
        self.step(f"validate {post.id}")
        return super().validate(post)


@pytest.mark.parametrize("moment,logged", [
    ("publish.after", "merged origin/main"),  # between a call and its outcome: the outcome's push is merged
    ("validate reddit-naval", "planning again"),  # right before the next intent: that push is rejected
])
def test_a_persons_approval_and_text_edit_pushed_mid_publish_survive(repo, moment, logged):
    """A person approves and rewrites an unsent post and pushes while the job publishes. Their file
    and the job's ledger are both on the remote, and the edited post goes out with their text."""
    platform = FakePlatform("reddit")
    path = repo.clone("job") / repo.rel
    lines: list[str] = []
    sync = gitsync.GitSync(path.parent, log=lines.append).start()
    new_body = "A better body, written by a person while the job ran."

    def step(name):
        if name == moment and "edited" not in lines:
            repo.person_edits("person", approve_and_edit("reddit-naval", new_body))
            lines.append("edited")

    publisher_ = ledger.Publisher(parse_config({}), connector_for=lambda name: ValidatingConnector(name, platform, step),
                                  sleep=lambda s: None, fire=lambda o: None, durable=sync.durable)
    outcomes = publisher_.publish_run(path, platforms=["reddit"])
    assert "edited" in lines and any(logged in line for line in lines), lines
    assert [o.status for o in outcomes] == ["published", "published"], outcomes
    remote = repo.remote_run()
    naval, hormozi = remote.post("reddit-naval"), remote.post("reddit-hormozi")
    assert naval.approved and naval.body == new_body and naval.state is PostState.published
    assert hormozi.state is PostState.published and hormozi.publication.remote_id == platform.created[0]["id"]
    assert platform.created[1]["text"].endswith(new_body)  # what went out is what the person wrote
    assert platform.create_calls == 2 and len(platform.comments) == 2


# --------------------------------------------------------------------------- pushes that keep failing


def test_refused_pushes_send_nothing(repo):
    platform = FakePlatform("reddit")
    path, sync = job(repo)
    repo.refuse_pushes()
    with pytest.raises(ledger.RecordFailed, match="intent for reddit-hormozi .publishing. .*protected branch: pushes are refused.*nothing was sent"):
        publisher(platform, sync).publish_run(path, platforms=["reddit"])
    assert platform.create_calls == 0
    assert runfile.load(path).post("reddit-hormozi").state is PostState.ready  # the unsent intent is not kept
    assert git(path.parent.parent, "rev-parse", "HEAD") == repo.first


def test_git_failing_locally_stops_publishing_before_any_call(repo):
    """A commit git cannot make (here: a stale index.lock) stops the pass; it is never taken for
    one post's failure with the next post tried."""
    platform = FakePlatform("reddit")
    path, sync = job(repo)
    (path.parent.parent / ".git" / "index.lock").write_text("")
    with pytest.raises(ledger.RecordFailed, match="could not record the intent for .*index.lock.*nothing was sent"):
        publisher(platform, sync).publish_run(path, platforms=["reddit"])
    assert platform.create_calls == 0


def test_an_outcome_that_cannot_be_pushed_is_saved_and_reconcile_applies_it(repo, tmp_path):
    platform = FakePlatform("reddit")
    path, sync = job(repo)
    sync.unpushed_dir = tmp_path / "artifact"

    def step(name):
        if name == "publish.after":
            repo.refuse_pushes("token expired")

    with pytest.raises(ledger.RecordFailed) as failure:
        publisher(platform, sync, step).publish_run(path, platforms=["reddit"])
    message = str(failure.value)
    assert message.startswith("could not push the record of reddit-hormozi (published) to origin/main")
    assert "token expired" in message and f"postgen reconcile {tmp_path / 'artifact'}" in message
    assert platform.create_calls == 1  # publishing stopped at once
    assert repo.remote_run().post("reddit-hormozi").state is PostState.publishing  # the intent made it
    manifest = json.loads((tmp_path / "artifact" / "manifest.json").read_text())
    # The run file and its journal (the ledger's record of the send).
    assert manifest["files"] == sorted([repo.run_path.name, f"ledger/{repo.run_path.stem}.jsonl"]) and manifest["base"]
    # Later, pushes work again; a person edited another post meanwhile, then applies the record.
    (repo.remote / "hooks" / "pre-receive").unlink()
    repo.person_edits("person", approve_and_edit("reddit-naval", "The person's text."))
    person = repo.root / "person"
    lines = gitsync.reconcile(tmp_path / "artifact", person / "runs")
    assert any("reddit-hormozi: publishing -> published https://www.reddit.com/" in line for line in lines)
    run = runfile.load(person / repo.rel)
    assert run.post("reddit-hormozi").publication.remote_id == platform.created[0]["id"]
    assert run.post("reddit-naval").body == "The person's text." and run.post("reddit-naval").approved
    assert gitsync.reconcile(tmp_path / "artifact", person / "runs") == []  # applying twice changes nothing


# --------------------------------------------------------------------------- start


def test_start_refuses_another_branch_and_a_detached_head(repo):
    path = repo.clone("job")
    git(path, "checkout", "-q", "-b", "feature")
    with pytest.raises(gitsync.GitSyncError, match="only on 'main'.*on 'feature': nothing was sent"):
        gitsync.GitSync(path / "runs").start()
    git(path, "checkout", "-q", "--detach", repo.first)
    with pytest.raises(gitsync.GitSyncError, match="HEAD is a commit, not a branch"):
        gitsync.GitSync(path / "runs").start()


def test_start_refuses_local_commits_outside_runs(repo):
    path = repo.clone("job")
    (path / "README.md").write_text("changed\n")
    git(path, "add", "README.md")
    git(path, "commit", "-q", "-m", "local change")
    repo.person_edits("person", approve_and_edit("reddit-naval", "Moved the branch."))
    with pytest.raises(gitsync.GitSyncError, match="outside runs/ \\(README.md\\)"):
        gitsync.GitSync(path / "runs").start()


def test_start_pushes_a_new_run_merged_with_what_others_pushed(repo):
    """The job generated a run while a person pushed an edit: both end up on the remote."""
    path = repo.clone("job")
    make_run(path / "runs", [("x", "naval")], video_id="newvideo_01")
    repo.person_edits("person", approve_and_edit("reddit-naval", "Pushed while the job generated."))
    gitsync.GitSync(path / "runs", log=lambda line: None).start()
    files = git(repo.remote, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert any("newvideo_01" in f for f in files)
    assert repo.remote_run().post("reddit-naval").body == "Pushed while the job generated."
    assert git(path, "rev-parse", "HEAD") == git(repo.remote, "rev-parse", "main")


# --------------------------------------------------------------------------- the token


def test_the_token_reaches_git_only_through_the_credential_helper():
    token = "ghs_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    env = gitsync.git_env({"PATH": "/usr/bin:/bin", "POSTGEN_GIT_TOKEN": token})
    assert token not in json.dumps({k: v for k, v in env.items() if k != "POSTGEN_GIT_TOKEN"})
    answer = subprocess.run(["git", "credential", "fill"], input="protocol=https\nhost=github.com\n\n",
                            capture_output=True, text=True, env=env, check=True).stdout
    assert "username=x-access-token" in answer and f"password={token}" in answer
    assert "GIT_CONFIG_COUNT" not in gitsync.git_env({"PATH": "/usr/bin:/bin"})  # no token: no helper


def test_a_failed_push_never_prints_the_token(repo, monkeypatch):
    token = "ghs_" + "Z9y8X7w6V5u4T3s2R1q0P9o8N7m6L5k4J3i2"
    monkeypatch.setenv("POSTGEN_GIT_TOKEN", token)
    path, sync = job(repo)
    git(path.parent.parent, "remote", "set-url", "origin", f"https://x-access-token:{token}@127.0.0.1:9/repo.git")
    platform = FakePlatform("reddit")
    with pytest.raises(ledger.RecordFailed) as failure:
        publisher(platform, sync).publish_run(path, platforms=["reddit"])
    assert token not in str(failure.value) and platform.create_calls == 0


# --------------------------------------------------------------------------- merging


def test_union_lines_keeps_every_line_once():
    assert gitsync.union_lines("a\nb\n", "a\nc\nb\nc\n") == "a\nb\nc\n"
    assert gitsync.union_lines("", "x\n") == "x\n"


# --------------------------------------------------------------------------- the journal and the command line


def test_journals_merge_by_union_when_both_sides_appended(repo):
    """An append-only journal both sides wrote to merges to every line once (no conflict)."""
    path, sync = job(repo)
    journal = path.parent / "ledger" / f"{path.stem}.jsonl"
    journal.parent.mkdir()
    journal.write_text('{"id": "a", "moment": "intent"}\n')
    sync.durable([path, journal], "outcome")

    def person_appends(run_path: Path) -> None:
        theirs = run_path.parent / "ledger" / journal.name
        theirs.write_text(theirs.read_text() + '{"id": "p", "moment": "resolve"}\n')

    repo.person_edits("person", person_appends)
    journal.write_text(journal.read_text() + '{"id": "b", "moment": "outcome"}\n')
    sync.durable([path, journal], "outcome")
    remote = git(repo.remote, "show", f"main:runs/ledger/{journal.name}").splitlines()
    assert sorted(remote) == sorted(['{"id": "a", "moment": "intent"}', '{"id": "p", "moment": "resolve"}',
                                     '{"id": "b", "moment": "outcome"}'])


def test_a_run_file_merge_takes_the_persons_file_and_brings_its_ledger_up_to_the_journal(tmp_path):
    """Both sides changed a run file: the person's text and approval stand, the ledger fields come
    from the journal (never from the person's stale copy of them)."""
    from postgen.ledger import journal

    path = make_run(tmp_path, [("reddit", "hormozi"), ("reddit", "naval")])
    ours = path.read_text()
    run = runfile.load(path)
    post = run.post("reddit-hormozi")
    post.state = PostState.published
    post.publication = Publication(remote_id="t3_x", url="https://www.reddit.com/r/t/comments/x/")
    runfile.save(path, run)
    journal.Journal.of(path, run.id).append(run.id, post, event="outcome", what="post", result="published")
    theirs = runfile.load(path)
    theirs.post("reddit-hormozi").state = PostState.ready  # the person's copy predates the send
    theirs.post("reddit-hormozi").publication = None
    theirs.post("reddit-naval").approved = True
    theirs.post("reddit-naval").body = "the person's edit"
    assert gitsync.merge_run_file(path, ours, runfile.render(theirs)) == []
    merged = runfile.load(path)
    assert merged.post("reddit-hormozi").state is PostState.published
    assert merged.post("reddit-hormozi").publication.remote_id == "t3_x"
    assert merged.post("reddit-naval").approved and merged.post("reddit-naval").body == "the person's edit"


def test_an_unreadable_remote_run_file_keeps_the_publishers(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")])
    ours = path.read_text()
    notes = gitsync.merge_run_file(path, ours, "not a run file")
    assert path.read_text() == ours and "cannot be read" in notes[0]


def test_publish_git_outside_a_checkout_is_a_one_line_usage_error(cli, isolated):
    make_run(isolated / "runs", [("reddit", "hormozi")])
    result = cli("publish", "--due", "--yes", "--git")
    assert result.exit_code == 2
    assert result.output.strip().startswith("Error: --git needs the runs folder")
    assert len(result.output.strip().splitlines()) == 1


def test_reconcile_refuses_a_folder_that_is_not_a_saved_record(cli, isolated):
    (isolated / "not-a-record").mkdir()
    result = cli("reconcile", "not-a-record")
    assert result.exit_code == 2 and "is not a record saved by 'publish --git'" in result.output
