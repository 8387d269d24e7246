"""Honest endings: a closed pipe is not an error, Ctrl-C is 130 and does not wait for calls in
flight, run names are exact or a prefix, OS errors are one line naming the file, long arguments
are shortened, hints fit the situation."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from postgen import runfile
from postgen.models import Post, PostState, Run, Video

ROOT = Path(__file__).resolve().parent.parent


def save(run_id: str = "2026-11-24-abcdefghijk", runs: Path = Path("runs"), **post_kw) -> Path:
    vid = run_id[11:]
    run = Run(id=run_id, created=datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc),
              video=Video(id=vid, url=f"https://youtu.be/{vid}", title="A talk"),
              posts=[Post(id="x-naval", platform="x", framework="naval", body="Short.", state=PostState.ready, **post_kw)])
    path = runs / f"{run_id}.md"
    runfile.save(path, run)
    return path


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGEN_", "OPENAI_", "X_", "REDDIT_", "LINKEDIN_"))}
    return {**env, "POSTGEN_LOAD_PLUGINS": "", **extra}


# --------------------------------------------------------------------------- closed pipe


def with_closed_stdout(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run postgen with stdout a pipe nobody reads any more (`postgen status | head -1` once head
    has exited): every write fails with EPIPE, deterministically."""
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.Popen([sys.executable, "-m", "postgen", *args], stdout=write, stderr=subprocess.PIPE,
                            cwd=cwd, env=child_env(), text=True)
    os.close(write)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


@pytest.mark.parametrize("args", [["status"], ["show", "latest"], ["--help"]])
def test_a_closed_pipe_ends_quietly_with_the_commands_own_exit_code(isolated, args):
    save()
    code, err = with_closed_stdout(args, isolated)
    assert (code, err) == (0, "")


def test_a_closed_pipe_does_not_hide_a_failure(isolated):
    save()
    (isolated / "runs" / "2026-11-25-broken.md").write_text("---\nnot a run\n", encoding="utf-8")
    code, err = with_closed_stdout(["status"], isolated)
    assert code == 2 and "Traceback" not in err and "Broken pipe" not in err


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_inside_a_command_exits_130(cli, monkeypatch):
    save()

    def interrupted(path):
        raise KeyboardInterrupt

    monkeypatch.setattr(runfile, "load", interrupted)
    result = cli("show", "latest")
    assert result.exit_code == 130
    assert "Interrupted" in result.output and "Aborted" not in result.output


@pytest.fixture
def drafts_held(monkeypatch):
    """bench/fake_openai.py answering the brief at once and holding every draft call until released."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    fake_openai = __import__("fake_openai")

    class HoldsDrafts(fake_openai.FakeOpenAI):
        release = threading.Event()

        @property
        def latency(self) -> float:
            if len(self.requests) > 1:  # a draft: hold it (the brief was the first call)
                self.release.wait(300)
            return 0.0

        @latency.setter
        def latency(self, value: float) -> None:
            pass

    with HoldsDrafts() as server:
        yield server
        server.release.set()
    sys.modules.pop("fake_openai", None)


def test_ctrl_c_during_generation_exits_130_without_waiting_for_calls_in_flight(isolated, drafts_held):
    (isolated / "postgen.toml").write_text(
        '[[sources]]\ntype = "local"\npath = "builtin:sample"\n\n'
        '[generator]\nname = "openai"\nmodel = "test"\nconcurrency = 4\nmax_retries = 0\ntimeout = 600\n',
        encoding="utf-8",
    )
    env = child_env(OPENAI_API_KEY="test-not-a-key", OPENAI_BASE_URL=drafts_held.base_url)
    proc = subprocess.Popen([sys.executable, "-m", "postgen", "run"], cwd=isolated, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while len(drafts_held.requests) < 5 and time.monotonic() < deadline:  # brief + 4 drafts in flight
            time.sleep(0.05)
        assert len(drafts_held.requests) >= 5, "the drafts never started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # the held calls would take 300 s to end
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert not drafts_held.release.is_set()  # it ended while its calls were still unanswered
    assert "Interrupted" in err and "Traceback" not in err
    assert not (isolated / "runs").exists() or list((isolated / "runs").iterdir()) == []  # nothing saved, no temp file


# --------------------------------------------------------------------------- run names


def test_a_run_is_named_exactly_or_by_a_unique_prefix_never_a_substring(cli):
    save("2026-11-24-talkaaaaaaa")
    save("2026-11-25-bbbbbbbbbbb")
    assert cli("show", "2026-11-24").exit_code == 0  # a unique prefix
    assert cli("show", "talkaaaaaaa").exit_code == 0  # the whole video id
    inside = cli("show", "talk")
    assert inside.exit_code == 2 and "no such run 'talk'" in inside.output
    assert "2026-11-24-talkaaaaaaa" in inside.output  # named as a hint, never picked
    several = cli("show", "2026-11")
    assert several.exit_code == 2 and "several runs match '2026-11'" in several.output


def test_publish_with_a_substring_publishes_nothing(cli):
    path = save("2026-11-24-talkaaaaaaa")
    before = path.read_bytes()
    result = cli("publish", "alkaa", "--yes")
    assert result.exit_code == 2 and "no such run" in result.output
    assert path.read_bytes() == before


def test_latest_ignores_what_is_not_a_run_file(cli):
    save("2026-11-24-abcdefghijk")
    Path("runs/2099-01-01-folder.md").mkdir()
    Path("runs/notes.md").write_text("# my notes\n", encoding="utf-8")
    result = cli("show", "latest", "--raw")
    assert result.exit_code == 0 and '"id": "2026-11-24-abcdefghijk"' in result.output


def test_latest_with_no_runs_says_so(cli):
    Path("runs/2099-01-01-folder.md").mkdir(parents=True)
    result = cli("show", "latest")
    assert result.exit_code == 2 and "no runs here yet" in result.output


# --------------------------------------------------------------------------- import reports

SEED = """# Autonomous Run - 2026-03-14
**Video Selected:** T | C
**URL:** https://www.youtube.com/watch?v=Zx9-bread01

## LINKEDIN POSTS

### 🔥 HORMOZI FRAMEWORK
```
Plain words only.
```

### 🧠 NAVAL FRAMEWORK
```
Costs (and #hashtags) * stars_here
```

## X/TWITTER POSTS

### 🔥 HORMOZI FRAMEWORK
```
An (x) post.
```
{reddit}
## METADATA
- **Frameworks:** 2 (Hormozi, Naval)
- **Platforms:** 3 (LinkedIn, X/Twitter, Reddit)
- **Total Posts:** 6
"""


def test_import_names_the_posts_missing_against_the_files_own_metadata(cli, tmp_path):
    path = tmp_path / "old.md"
    path.write_text(SEED.format(reddit=""), encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 1
    assert "METADATA says 6 posts (Total Posts: 6) but 3 were found" in result.output
    assert "missing: x-naval, reddit-hormozi, reddit-naval" in result.output
    assert runfile.load(Path("runs/2026-03-14-Zx9-bread01.md")).post("linkedin-hormozi")  # imported all the same


def test_a_complete_import_says_nothing_about_missing_posts(cli, tmp_path):
    path = tmp_path / "old.md"
    whole = "".join(f"\n### {h} FRAMEWORK\n```\nText.\n```\n" for h in ("🔥 HORMOZI", "🧠 NAVAL"))
    path.write_text(SEED.replace("## METADATA", "## REDDIT POSTS\n" + whole.replace("Text.", "Title\n\nText.")
                                 + "\n## METADATA").replace("### 🔥 HORMOZI FRAMEWORK\n```\nAn (x) post.\n```",
                                                            whole.strip()).format(reddit=""), encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 0, result.output
    assert "METADATA" not in result.output


def test_import_names_each_linkedin_post_whose_reserved_characters_are_escaped(cli, tmp_path):
    path = tmp_path / "old.md"
    path.write_text(SEED.format(reddit=""), encoding="utf-8")
    out = cli("import", str(path)).output
    assert "note: linkedin-naval: 4 reserved characters (( ) * _) will be sent backslash-escaped" in out
    assert "linkedin-hormozi: " not in out  # nothing to escape in it
    assert "x-hormozi: " not in out  # X escapes nothing


# --------------------------------------------------------------------------- OS errors


def test_an_immutable_run_file_is_one_line_and_left_as_it_was(cli, monkeypatch):
    path = save()
    before = path.read_bytes()

    def refuse(src, dst):
        raise PermissionError(errno.EPERM, "Operation not permitted", str(src), None, str(dst))

    monkeypatch.setattr(os, "replace", refuse)  # what rename onto a `chattr +i` file does
    result = cli("approve", "latest")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert lines == [f"Error: {path.resolve()}: cannot write it: not permitted: the file may be immutable (lsattr) or "
                     "owned by someone else; nothing was written (the file, if there was one, is unchanged)"]
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [path.name]  # no temp file


def test_a_full_disk_is_one_line_and_nothing_half_written(cli, monkeypatch):
    path = save()
    before = path.read_bytes()

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = cli("approve", "latest")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path.resolve()}: cannot write it: no space left on the device" in result.output
    assert path.read_bytes() == before
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_read_only_file_system_names_the_file(cli, monkeypatch):
    path = save()

    def read_only(self, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path) + ".lock")

    monkeypatch.setattr("filelock.FileLock.acquire", read_only)
    result = cli("approve", "latest")
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {path}.lock: the file system is read-only"


# --------------------------------------------------------------------------- arguments and hints


def test_a_huge_argument_is_quoted_shortened(cli):
    huge = "a" * 100_000
    for args in (("show", huge), ("run", "--video", huge), ("publish", "latest", "--post", huge)):
        save()
        result = cli(*args)
        assert result.exit_code == 2, args
        assert len(result.output) < 1000 and "(100,000 characters)" in result.output, args


def test_video_given_as_a_path_to_nothing_says_so(cli):
    result = cli("run", "--video", "../vids/x.md")
    assert result.exit_code == 2
    assert "--video ../vids/x.md: no such file" in result.output and "host" not in result.output


def test_video_given_as_a_relative_path_to_a_local_file_is_used(cli, isolated):
    vids = isolated.parent / "vids"
    vids.mkdir()
    (vids / "x.md").write_text("---\nurl: https://example.com/x\ntitle: A local talk\n---\nWhat the talk says.\n",
                               encoding="utf-8")
    result = cli("run", "--video", "../vids/x.md")
    assert result.exit_code in (0, 1), result.output
    assert "video: A local talk" in result.output


def test_no_video_to_pick_without_a_config_says_how_to_create_one(cli):
    assert cli("run").exit_code in (0, 1)  # the built-in sample: now already run
    result = cli("run")
    assert "no video to pick" in result.output
    assert "no postgen.toml here: 'postgen init' writes one" in result.output and "in postgen.toml" not in result.output
    assert cli("init").exit_code == 0
    assert "Add videos to a source in postgen.toml" in cli("run").output


def test_init_writes_the_shipped_config_and_never_replaces_one(cli):
    result = cli("init")
    assert result.exit_code == 0
    assert Path("postgen.toml").read_text(encoding="utf-8") == (ROOT / "postgen.toml").read_text(encoding="utf-8")
    Path("postgen.toml").write_text("# mine\n", encoding="utf-8")
    again = cli("init")
    assert again.exit_code == 2 and "already exists" in again.output
    assert Path("postgen.toml").read_text(encoding="utf-8") == "# mine\n"
    assert cli("--config", "other.toml", "init").exit_code == 0 and Path("other.toml").exists()


def test_a_missing_config_file_says_how_to_create_it(cli):
    result = cli("--config", "nope.toml", "validate")
    assert result.exit_code == 2 and "'postgen --config nope.toml init' writes a commented one" in result.output
