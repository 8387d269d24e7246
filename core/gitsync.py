"""Git as the compare-and-swap of the ledger: `postgen publish --due --yes --git`, as CI runs it.

A CI job starts from a checkout that may already be old (a re-run, a job that waited in the
queue) while others push to the same branch (a person approving a post, the previous job). The
ledger is safe only if an intent counts once it is on the remote, so:

1. **start**: the checkout is on the allowed branch (the remote's default, or POSTGEN_GIT_BRANCH),
   fetched, and at the remote tip: fast-forwarded, or, when it holds new run files (a run the job
   just generated), those are committed, merged and pushed first. Anything else is refused.
2. **intent**: before each call that creates something, the saved run file (and journal) is
   committed and pushed; only a push the remote accepted lets the call go out. A push rejected
   because the branch moved means someone got there first: the unsent intent is dropped, the
   remote's state is taken, and `Replan` makes the publisher plan again from it.
3. **outcome**: after each outcome, commit and push. When the branch moved, merge without a
   conflict (journals: the union of their lines; run files: the other side's file, a person's
   approvals and text edits included, with this side's ledger fields re-applied) and push again.
   A bounded number of tries, then `RecordFailed`: publishing stops and the unpushed record is
   saved (POSTGEN_UNPUSHED_DIR, uploaded by the workflow) for `postgen reconcile`.

Plain `git` in a subprocess: every runner has it, and the dozen commands read better than a
library's wrappers would. The push token comes from POSTGEN_GIT_TOKEN through a credential
helper set in the environment of each git call, so it is never on a command line, in .git/config
or in the output; everything printed or saved passes `postgen.redact`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from .metrics import merge_readings
from .redact import redact

TOKEN_VAR = "POSTGEN_GIT_TOKEN"
BRANCH_VAR = "POSTGEN_GIT_BRANCH"
UNPUSHED_VAR = "POSTGEN_UNPUSHED_DIR"
BOT_NAME, BOT_EMAIL = "postgen-bot", "postgen-bot@users.noreply.github.com"
SKIP_CI = "[skip ci]"
RACES = 5  # pushes of one record that may lose a race (each followed by a merge) before giving up
FAILURES = 3  # pushes or fetches that fail for another reason (network) before giving up
RETRY_DELAYS = (2.0, 5.0)  # seconds before the second and third try after a network failure
# Only `get` answers; the token is read from the environment when git asks, never written down.
CREDENTIAL_HELPER = '!f() { test "$1" = get || return 0; echo username=x-access-token; echo "password=${%s}"; }; f' % TOKEN_VAR


class GitSyncError(Exception):
    """This checkout cannot publish (not a git checkout, wrong branch, history that is not the
    remote's). Raised before anything is sent."""


def sleep(seconds: float) -> None:
    """Module-level so tests replace it and never wait."""
    time.sleep(seconds)


def _log(line: str) -> None:
    print(redact(f"git: {line}"), file=sys.stderr, flush=True)


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return redact(line if len(line) <= limit else line[: limit - 1] + "…")


# --------------------------------------------------------------------------- git itself


class _Failed(Exception):
    """A git command failed for a reason worth reporting; `refused` when trying again cannot help."""

    def __init__(self, reason: str, refused: bool = False):
        super().__init__(reason)
        self.refused = refused


def git_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment of every git call: no prompts, C messages (they are parsed), and the token
    (when set) offered by a credential helper that reads it from this environment."""
    env = dict(base)
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_HTTP_LOW_SPEED_LIMIT="1000", GIT_HTTP_LOW_SPEED_TIME="60")
    if env.get(TOKEN_VAR):
        n = int(env.get("GIT_CONFIG_COUNT") or 0)
        # An empty helper first clears any other helper the runner configured.
        for value in ("", CREDENTIAL_HELPER):
            env[f"GIT_CONFIG_KEY_{n}"], env[f"GIT_CONFIG_VALUE_{n}"] = "credential.helper", value
            n += 1
        env["GIT_CONFIG_COUNT"] = str(n)
    return env


class Git:
    """`git -C root ...` with `git_env`; output is text."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None):
        self.root = Path(root)
        self.env = git_env(os.environ if env is None else env)

    def __call__(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        try:
            result = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True, text=True,
                                    env=self.env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise _Failed(f"git {args[0]} did not finish within {timeout:.0f} s") from None
        if check and result.returncode != 0:
            raise _Failed(f"git {args[0]} failed: {_one_line(result.stderr or result.stdout)}")
        return result

    def out(self, *args: str, check: bool = True) -> str:
        return self(*args, check=check).stdout.strip()

    def show(self, commit: str, path: str) -> str | None:
        """A file's text at a commit, None when it is not there."""
        result = self("show", f"{commit}:{path}", check=False)
        return result.stdout if result.returncode == 0 else None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return self("merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


@dataclass
class _Push:
    ok: bool
    moved: bool = False  # rejected because the branch has commits this checkout lacks
    refused: bool = False  # rejected by the remote for good (protected branch, hook, permission)
    reason: str = ""


def _push_result(result: subprocess.CompletedProcess) -> _Push:
    if result.returncode == 0:
        return _Push(ok=True)
    rejected = [line for line in result.stdout.splitlines() if line.startswith("!")]
    if any(word in line for line in rejected for word in ("fetch first", "non-fast-forward", "stale info")):
        return _Push(ok=False, moved=True, reason="the branch moved")
    said = [line[len("remote:"):].strip() for line in result.stderr.splitlines() if line.startswith("remote:")]
    said = [line for line in said if line]
    summary = rejected[0].split("\t")[-1] if rejected else ""
    reason = "; ".join(filter(None, [summary, *said[:2]])) or _one_line(result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "")
    lowered = result.stderr.lower()
    refused = bool(rejected) or any(word in lowered for word in ("permission", "denied", "403", "authentication failed",
                                                                  "protected branch", "could not read username"))
    return _Push(ok=False, refused=refused, reason=_one_line(reason or f"git push exited {result.returncode}"))


# --------------------------------------------------------------------------- merging run files


def _fields(post) -> dict:
    """The fields the ledger owns in a run file (the journal's); the rest (text, approval, slot) is a person's."""
    from .ledger.journal import ledger_fields

    return ledger_fields(post)


def union_lines(theirs: str, ours: str) -> str:
    """An append-only journal merged: their lines, then ours they lack (what `merge=union` does,
    without depending on .gitattributes being in the checkout)."""
    have = theirs.splitlines()
    known = set(have)
    merged = have + [line for line in ours.splitlines() if line not in known and not known.add(line)]
    return "".join(f"{line}\n" for line in merged)


def merge_run_file(path: Path, ours: str, theirs: str | None) -> list[str]:
    """Write at `path` the other side's run file (a person's text, approvals and slots) and bring
    its ledger fields up to the journal, which must be merged first (see `GitSync`). Returns notes
    worth printing (a version that could not be used)."""
    from . import runfile
    from .ledger import journal

    if theirs is None:
        runfile.write_atomic(path, ours)
        return [f"{path.name} is gone from the other side: kept the publisher's, it holds the ledger"]
    runfile.write_atomic(path, theirs)
    try:
        journal.restore(path)
        _keep_readings(path, ours)
    except runfile.RunFileError as exc:
        runfile.write_atomic(path, ours)
        return [f"kept the publisher's {path.name}: the remote's cannot be read ({exc}); that edit is in the remote's history"]
    return []


def _keep_readings(path: Path, ours: str) -> None:
    """Engagement readings are not ledger fields: add ours to the version the merge kept."""
    from . import runfile

    kept = runfile.load(path)
    if merge_readings(runfile.parse(ours, path), kept):
        runfile.save(path, kept)


# --------------------------------------------------------------------------- the protocol


class GitSync:
    """The `durable` hook of `postgen.ledger.Publisher` for a git checkout (see the module doc).

    `start()` first; then `durable(paths, moment)` at each intent and outcome; `finish()` at the
    end pushes what is left. `unpushed_dir` receives the record when pushing finally fails."""

    def __init__(self, runs_dir: Path | str, *, remote: str = "origin", branch: str | None = None,
                 unpushed_dir: Path | str | None = None, env: Mapping[str, str] | None = None,
                 log: Callable[[str], None] = _log):
        env = os.environ if env is None else env
        self.runs_dir = Path(runs_dir).resolve()
        probe = self.runs_dir if self.runs_dir.is_dir() else self.runs_dir.parent
        top = subprocess.run(["git", "-C", str(probe), "rev-parse", "--show-toplevel"], capture_output=True, text=True)
        if top.returncode != 0:
            raise GitSyncError(f"--git needs the runs folder ({self.runs_dir}) inside a git checkout: {_one_line(top.stderr)}")
        self.git = Git(Path(top.stdout.strip()), env)
        self.rel = self.runs_dir.relative_to(Path(top.stdout.strip()).resolve()).as_posix()
        self.remote = remote
        self.branch = branch or env.get(BRANCH_VAR) or ""
        self.unpushed_dir = Path(unpushed_dir or env.get(UNPUSHED_VAR) or self.git.root / ".git" / "postgen-unpushed")
        self.log = log
        self.pushed = ""  # the last commit known to be on the remote
        self.unpushed = False  # commits since then
        self.races = 0  # intents in a row that lost a race
        if not self.git.out("config", "user.email", check=False):
            self.git.env.update(GIT_AUTHOR_NAME=BOT_NAME, GIT_AUTHOR_EMAIL=BOT_EMAIL,
                                GIT_COMMITTER_NAME=BOT_NAME, GIT_COMMITTER_EMAIL=BOT_EMAIL)

    @property
    def tracking(self) -> str:
        return f"refs/remotes/{self.remote}/{self.branch}"

    @property
    def where(self) -> str:
        return f"{self.remote}/{self.branch}"

    # ---- start

    def start(self) -> GitSync:
        """On the allowed branch, at the remote tip, with local run files pushed. Raises GitSyncError
        (nothing was sent) or RecordFailed."""
        current = self.git.out("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        if not current:
            raise GitSyncError("HEAD is a commit, not a branch: publish from a checkout of the branch "
                               "(actions/checkout with ref: the branch name); nothing was sent")
        allowed = self.branch or self._default_branch()
        if current != allowed:
            raise GitSyncError(f"publishing runs only on {allowed!r} (the remote's default branch, or {BRANCH_VAR}); "
                               f"this checkout is on {current!r}: nothing was sent")
        self.branch = allowed
        try:
            self._fetch()
            self._commit("postgen: save runs before publishing")
            head, tip = self.git.out("rev-parse", "HEAD"), self.git.out("rev-parse", self.tracking)
            if head != tip and self.git.is_ancestor(head, tip):
                self.git("merge", "--ff-only", "--quiet", tip)
                self.log(f"fast-forwarded from {head[:7]} to {self.where} ({tip[:7]}): this checkout was behind")
            elif head != tip:
                self._check_only_runs(tip)
                self._push_record("the runs saved before publishing")
                return self
        except _Failed as exc:
            raise GitSyncError(f"could not bring this checkout to the tip of {self.where}: {exc}; nothing was sent") from None
        self.pushed = self.git.out("rev-parse", "HEAD")
        return self

    def _default_branch(self) -> str:
        result = self.git("ls-remote", "--symref", self.remote, "HEAD", check=False, timeout=120)
        for line in result.stdout.splitlines():
            if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
                return line[len("ref: refs/heads/"):-len("\tHEAD")]
        raise GitSyncError(f"cannot tell the default branch of {self.remote!r} ({_one_line(result.stderr) or 'no HEAD'}): "
                           f"set {BRANCH_VAR} to the branch to publish from; nothing was sent")

    def _check_only_runs(self, tip: str) -> None:
        base = self._merge_base(tip)
        changed = self.git.out("diff", "--name-only", base, "HEAD").splitlines()
        outside = [path for path in changed if not path.startswith(f"{self.rel}/")]
        if outside:
            raise GitSyncError(f"this checkout has commits that are not on {self.where} and change files outside "
                               f"{self.rel}/ ({', '.join(outside[:3])}): publish from a checkout of the remote branch; nothing was sent")

    # ---- the hook

    def durable(self, paths: list[Path], moment: str) -> None:
        """Make what the publisher saved durable on the remote (see the module doc). Raises Replan
        (an intent lost the race: nothing was sent) or RecordFailed (stop publishing)."""
        from .ledger import RecordFailed

        what = ", ".join(sorted({Path(p).stem for p in paths}))  # a run file and its journal: one run
        try:
            if moment == "intent":
                self._intent(what)
            else:
                self._outcome(f"the outcome for {what}")
        except _Failed as exc:  # git itself failed (a commit, a fetch): stop, never send blind
            if moment == "intent":
                raise RecordFailed(f"could not record the intent for {what}: {exc}; nothing was sent and publishing stopped") from None
            raise RecordFailed(self._give_up(what, str(exc))) from None

    def finish(self) -> None:
        """Push what the pass saved without an outcome (deferrals, notes)."""
        from .ledger import RecordFailed

        try:
            self._outcome("the last changes of the pass", message="postgen: update runs")
        except _Failed as exc:
            raise RecordFailed(self._give_up("the last changes of the pass", str(exc))) from None

    def _outcome(self, what: str, message: str | None = None) -> None:
        if self._commit(message or f"postgen: {what.removeprefix('the ')}") or self.unpushed:
            self._push_record(what)

    def _intent(self, what: str) -> None:
        from .ledger import RecordFailed, Replan

        if not self._commit(f"postgen: intent, {what}"):
            return  # nothing new since the last push: that state is on the remote
        failures = 0
        while True:
            push = self._push(f"the intent for {what}")
            if push.ok:
                self.races = 0
                return
            if push.moved:
                self.races += 1
                self._drop_intent()
                self._fetch()
                self._follow()
                if self.races > RACES:
                    raise RecordFailed(f"{self.where} moved before each of {self.races} intents: publishing stopped, "
                                       "nothing was sent; the next job starts from the new tip")
                self.log(f"{self.where} moved before the intent for {what} was pushed: nothing sent, planning again from it")
                raise Replan(f"{self.where} moved")
            failures += 1
            if push.refused or failures >= FAILURES:
                posts = ", ".join(self._changed_posts()) or what
                self._drop_intent()
                raise RecordFailed(f"could not push the intent for {posts} to {self.where} ({push.reason}): nothing was sent "
                                   "and publishing stopped; see 'When pushes keep failing' in docs/ci.md")
            self.log(f"push failed ({push.reason}); trying again")
            sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1])

    # ---- steps

    def _commit(self, message: str) -> bool:
        """Commit the runs folder (not lock or temp files); False when nothing changed."""
        if not self.runs_dir.is_dir():
            return False
        spec = [self.rel, f":(exclude){self.rel}/*.lock", f":(exclude){self.rel}/*.tmp"]
        self.git("add", "--all", "--", *spec)
        result = self.git("commit", "--quiet", "--no-verify", "-m", f"{message} {SKIP_CI}", "--", *spec, check=False)
        if result.returncode != 0:
            if "nothing" in result.stdout:  # "nothing to commit", "nothing added to commit"
                return False
            raise _Failed(f"git commit failed: {_one_line(result.stderr or result.stdout)}")
        self.unpushed = True
        return True

    def _push(self, what: str = "") -> _Push:
        try:
            result = self.git("push", "--porcelain", self.remote, f"HEAD:refs/heads/{self.branch}", check=False)
        except _Failed as exc:
            return _Push(ok=False, reason=str(exc))
        push = _push_result(result)
        if push.ok:
            self.pushed, self.unpushed = self.git.out("rev-parse", "HEAD"), False
            self.log(f"pushed {what or 'the ledger'} to {self.where} ({self.pushed[:7]})")
        return push

    def _fetch(self) -> None:
        for attempt in range(1, FAILURES + 1):
            result = self.git("fetch", "--quiet", "--no-tags", self.remote,
                              f"+refs/heads/{self.branch}:{self.tracking}", check=False)
            if result.returncode == 0:
                return
            if attempt == FAILURES:
                raise _Failed(f"git fetch failed: {_one_line(result.stderr)}")
            sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])

    def _merge_base(self, tip: str) -> str:
        result = self.git("merge-base", "HEAD", tip, check=False)
        if result.returncode != 0 and self.git.out("rev-parse", "--is-shallow-repository") == "true":
            self.git("fetch", "--quiet", "--no-tags", "--unshallow", self.remote,
                     f"+refs/heads/{self.branch}:{self.tracking}")
            result = self.git("merge-base", "HEAD", tip, check=False)
        if result.returncode != 0:
            raise _Failed(f"this checkout and {self.where} share no history")
        return result.stdout.strip()

    def _drop_intent(self) -> None:
        """Undo the unpushed intent commit: it was never on the remote and nothing was sent."""
        if self.pushed and self.unpushed:
            self.git("reset", "--quiet", "--keep", self.pushed)
            self.unpushed = False

    def _follow(self) -> None:
        """Take the remote's state (nothing local is unpushed)."""
        tip = self.git.out("rev-parse", self.tracking)
        if self.git.is_ancestor("HEAD", tip):
            self.git("merge", "--ff-only", "--quiet", tip)
        else:  # the remote's history was rewritten
            self.git("reset", "--quiet", "--keep", tip)
        self.pushed = tip

    def _push_record(self, what: str) -> None:
        """Push local commits that hold a record, merging when the branch moved; RecordFailed when
        it cannot be done, after saving the record for a person."""
        from .ledger import RecordFailed

        races = failures = 0
        while True:
            push = self._push(what)
            if push.ok:
                return
            try:
                if push.moved and races < RACES:
                    races += 1
                    self._fetch()
                    self._merge()
                    continue
                if push.moved:
                    push.reason = f"{self.where} moved before each of {races + 1} pushes"
                failures += 1
                if push.moved or push.refused or failures >= FAILURES:
                    break
                self.log(f"push failed ({push.reason}); trying again")
                sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1])
            except _Failed as exc:
                push.reason = str(exc)
                break
        raise RecordFailed(self._give_up(what, push.reason))

    def _give_up(self, what: str, reason: str) -> str:
        """Save what is not on the remote for a person; the one-line message that says so."""
        posts = what
        try:
            posts = ", ".join(self._changed_posts()) or what
            where = f"the record is saved for 'postgen reconcile {self.save_unpushed(reason)}'"
        except (_Failed, OSError) as exc:
            where = f"saving the record failed too ({_one_line(str(exc))}); it is in this checkout's commits after {self.pushed[:7]}"
        return f"could not push the record of {posts} to {self.where} ({reason}): publishing stopped; {where} (docs/ci.md)"

    def _changed_posts(self) -> list[str]:
        """'POST (state)' for each post whose ledger fields are not on the remote yet."""
        from . import runfile

        changed = []
        for rel in self.git.out("diff", "--name-only", self.pushed or self.tracking, "HEAD", "--", f"{self.rel}/*.md").splitlines():
            before = self.git.show(self.pushed or self.tracking, rel)
            try:
                known = {p.id: p for p in runfile.parse(before, rel).posts} if before else {}
                now = runfile.load(self.git.root / rel)
            except runfile.RunFileError:
                continue
            changed += [f"{p.id} ({p.state.value})" for p in now.posts if p.id not in known or _fields(known[p.id]) != _fields(p)]
        return changed

    def _merge(self) -> None:
        """Merge the fetched tip into HEAD without a conflict: git merges what one side changed;
        each file both sides changed is decided here (journals: union; run files: theirs with our
        ledger re-applied)."""
        tip = self.git.out("rev-parse", self.tracking)
        base = self._merge_base(tip)
        ours = set(self.git.out("diff", "--name-only", base, "HEAD").splitlines())
        theirs = set(self.git.out("diff", "--name-only", base, tip).splitlines())
        both = sorted(ours & theirs, key=lambda p: not p.endswith(".jsonl"))  # journals before run files
        merged = self.git("merge", "--no-ff", "--no-commit", "--quiet", "-X", "theirs", tip, check=False)
        if merged.returncode != 0 and self.git("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False).returncode != 0:
            raise _Failed(f"git merge failed: {_one_line(merged.stderr or merged.stdout)}")
        for rel in both:
            path = self.git.root / rel
            mine, other = self.git.show("HEAD", rel), self.git.show(tip, rel)
            if not rel.startswith(f"{self.rel}/") or mine is None:
                text = other  # not the ledger's file: theirs stands
                if text is None:
                    self.git("rm", "--quiet", "--cached", "--ignore-unmatch", "--", rel)
                    path.unlink(missing_ok=True)
                    continue
                path.write_text(text, encoding="utf-8")
            elif rel.endswith(".jsonl"):
                from . import runfile

                runfile.write_atomic(path, union_lines(other or "", mine))
            elif rel.endswith(".md"):
                for note in merge_run_file(path, mine, other):
                    self.log(note)
            else:
                path.write_text(other if other is not None else mine, encoding="utf-8")
            self.git("add", "--", rel)
        self.git("commit", "--quiet", "--no-verify", "-m", f"postgen: merge {self.where} into the ledger {SKIP_CI}")
        self.unpushed = True
        self.log(f"merged {self.where} ({tip[:7]}): " + (f"{len(both)} file(s) changed on both sides" if both else "no file changed on both sides"))

    # ---- when pushing fails for good

    def save_unpushed(self, reason: str) -> Path:
        """Copy the records that are not on the remote, with a manifest and a note, to
        `unpushed_dir` (the workflow uploads it as an artifact)."""
        dest = self.unpushed_dir
        files = self.git.out("diff", "--name-only", self.pushed or self.tracking, "HEAD", "--", self.rel).splitlines()
        for rel in files:
            text = self.git.show("HEAD", rel)
            if text is None:
                continue
            target = dest / "runs" / Path(rel).relative_to(self.rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(redact(text), encoding="utf-8")
        manifest = {
            "postgen_unpushed": 1,
            "branch": self.branch,
            "base": self.pushed,
            "head": self.git.out("rev-parse", "HEAD"),
            "runs_dir": self.rel,
            "files": [Path(rel).relative_to(self.rel).as_posix() for rel in files],
            "reason": reason,
        }
        dest.mkdir(parents=True, exist_ok=True)
        (dest / "manifest.json").write_text(redact(json.dumps(manifest, indent=1)) + "\n", encoding="utf-8")
        (dest / "README.txt").write_text(redact(
            f"postgen published, but could not push its record to {self.where}: {reason}\n\n"
            "The remote still says 'publishing' for these posts. The next job looks them up where the\n"
            "platform can tell (X, Reddit); LinkedIn asks a person. To settle them from this record, in a\n"
            "checkout of the branch:\n\n"
            "    postgen reconcile PATH/TO/THIS/FOLDER\n"
            f"    git add {self.rel} && git commit -m 'postgen: reconcile' && git push\n\n"
            "It only moves ledger fields forward; a person's edits since then are kept.\n"), encoding="utf-8")
        self.log(f"saved the unpushed record to {dest}")
        return dest


def start(config, env: Mapping[str, str] | None = None) -> GitSync:
    """A started GitSync for the config's runs folder (what `publish --git` uses)."""
    return GitSync(config.runs_path, env=env).start()


# --------------------------------------------------------------------------- a person applies a saved record


def reconcile(folder: Path | str, runs_dir: Path | str) -> list[str]:
    """Apply a record saved by a job whose pushes failed to the run files in `runs_dir`: journal
    lines are added, ledger fields move forward only. Returns one line per post that changed."""
    from . import runfile

    folder, runs_dir = Path(folder), Path(runs_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = [str(name) for name in manifest["files"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GitSyncError(f"{folder} is not a record saved by 'publish --git' (manifest.json: {exc})") from None
    report: list[str] = []
    for name in sorted(files, key=lambda n: not n.endswith(".jsonl")):
        saved, target = folder / "runs" / name, runs_dir / name
        if name.endswith(".jsonl"):
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            merged = union_lines(current, saved.read_text(encoding="utf-8"))
            if merged != current:
                runfile.write_atomic(target, merged)
            continue
        ours = saved.read_text(encoding="utf-8")
        with runfile.locked(target, "reconcile"):
            current = target.read_text(encoding="utf-8") if target.exists() else None
            before = {p.id: p for p in runfile.parse(current, target).posts} if current is not None else {}
            report.extend(merge_run_file(target, ours, current))
            after = runfile.load(target)
        for post in after.posts:
            old = before.get(post.id)
            if old is None or _fields(old) != _fields(post):
                where = f" {post.publication.url}" if post.publication and post.publication.url else ""
                was = old.state.value if old is not None else "-"
                report.append(f"{after.id} {post.id}: {was} -> {post.state.value}{where}")
    return report
