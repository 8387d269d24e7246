"""A person working on the repository while jobs run: clones, edits a run file, pushes."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

IDENTITY = {"GIT_AUTHOR_NAME": "A Person", "GIT_AUTHOR_EMAIL": "person@example.org",
            "GIT_COMMITTER_NAME": "A Person", "GIT_COMMITTER_EMAIL": "person@example.org"}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                            env={**os.environ, **IDENTITY, "LC_ALL": "C"})
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {result.stderr}")
    return result.stdout.strip()


def checkout(remote: Path, where: Path) -> Path:
    """The person's clone, up to date with the remote's main."""
    if not where.exists():
        subprocess.run(["git", "clone", "--quiet", str(remote), str(where)], check=True, capture_output=True)
    git(where, "pull", "--quiet", "--ff-only", "origin", "main")
    return where


def edit_text(path: Path, old: str, new: str) -> None:
    """Rewrite a post's text in the Markdown file, as in an editor."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def approve(path: Path, post_id: str) -> None:
    """What `postgen approve RUN POST` does."""
    from postgen import runfile

    with runfile.editing(path, "approve") as handle:
        handle.run.post(post_id).approved = True


def push(where: Path, message: str) -> None:
    git(where, "commit", "--quiet", "-am", message)
    git(where, "push", "--quiet", "origin", "HEAD:main")
