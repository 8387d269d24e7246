"""The run file: a Markdown page a person reviews and edits, with the machine state up front.

Layout: front matter (the state block, owned by this module) then the seed's human layout.
The state block is JSON, which is also YAML, so front-matter tools read it; JSON because it
parses ten times faster than YAML, and `postgen status` reads every run file on each call.
Each post's text lives only in its fenced block, so a person's edit is what every later command
sees. The state block never holds post text, so the two cannot disagree; the generator's own
version of a post (kept for before/after style examples) is stored packed (zlib, base64) as
`generated_z`, so a search or replace in the file only ever meets the live text.

Writes are atomic (temp file + rename) and commands that change a run hold its lock.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import stat
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # pragma: no cover - imported where used: `postgen status` with no runs needs no pydantic
    from .models import Post, Run

FORMAT_VERSION = 1
MARKER = re.compile(r"^<!-- post (?P<id>[A-Za-z0-9_.:-]+) -->\s*$")
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^`]*)$")
PLATFORM_LABELS = {"linkedin": "LINKEDIN", "x": "X/TWITTER", "reddit": "REDDIT"}
STATE_FIELDS_EXCLUDED = {"title", "body"}


class RunFileError(Exception):
    """A run file that cannot be read. Names the file and line; the file is left untouched."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {message}")


class RunLocked(Exception):
    """Another postgen process holds this run's lock."""


class NotWritten(OSError):
    """A file could not be written (read-only, immutable, disk full). `filename` is the file meant;
    the old file, if there was one, is intact and no temporary file is left behind."""


# --------------------------------------------------------------------------- rendering


def _fence_for(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _post_text(post: Post) -> str:
    if post.title is not None:
        return f"{post.title}\n\n{post.body}"
    return post.body


def _framework_heading(name: str) -> str:
    try:
        from .registry import frameworks

        fw = frameworks.get(name)
        return f"{fw.emoji} {fw.label.upper()}".strip()
    except Exception:
        return name.upper()


def _platform_label(name: str) -> str:
    if name in PLATFORM_LABELS:
        return PLATFORM_LABELS[name]
    try:
        from .registry import connectors

        return connectors.get(name).label or name.upper()
    except Exception:
        return name.upper()


def _state_block(run: Run) -> str:
    data = run.model_dump(mode="json", exclude={"posts"})
    data["posts"] = [p.model_dump(mode="json", exclude=STATE_FIELDS_EXCLUDED, exclude_defaults=True) for p in run.posts]
    for post, dumped in zip(run.posts, data["posts"]):
        if post.title is not None:
            dumped["has_title"] = True
        if "generated" in dumped:
            dumped["generated_z"] = _pack(dumped.pop("generated"))
    body = json.dumps({"postgen": FORMAT_VERSION, **data}, ensure_ascii=False, indent=1)
    return f"---\n{body}\n---\n"


def _pack(text: str) -> str:
    import base64
    import zlib

    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def _unpack(value: object) -> str | None:
    """The generator's text back; None when the packed value was damaged (it is only history:
    the run stays readable and publishable, that post just yields no before/after example)."""
    import base64
    import binascii
    import zlib

    try:
        return zlib.decompress(base64.b64decode(str(value), validate=True)).decode("utf-8")
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        return None


def _one_line(text: str) -> str:
    """Human-readable lines outside the fences stay one line: a message that spans lines could
    otherwise start a line that reads as a post marker (its full text is in the state block)."""
    return " ".join(text.splitlines())


def _status_line(post: Post) -> str:
    bits = [post.state.value]
    if post.scheduled_at:
        bits.append(f"scheduled {post.scheduled_at.strftime('%a %Y-%m-%d %H:%M %Z').strip()}")
    if post.publication and post.publication.url:
        bits.append(post.publication.url)
    for problem in post.problems:
        bits.append(f"{problem.severity}: {problem.message}")
    return "_" + " · ".join(_one_line(b).replace("_", r"\_") for b in bits) + "_"


def _check_writable(run: Run) -> None:
    """Refuse what the file could not give back: a marker the parser would not see, or a title
    (the block's first line) that spans lines and so would shift into the body."""
    for post in run.posts:
        if not MARKER.match(f"<!-- post {post.id} -->"):
            raise ValueError(f"post id {post.id!r} cannot be written: ids are letters, digits and _ . : - "
                             "(rename the framework or platform that made it)")
        if post.title is not None and "\n" in post.title:
            raise ValueError(f"post {post.id}: its title spans lines ({post.title!r}); a title is one line")


def render(run: Run) -> str:
    """The whole file as text. Raises ValueError for a run the file could not give back."""
    _check_writable(run)
    v = run.video
    date = run.created.date().isoformat()
    out = [_state_block(run)]
    out.append(f"# Autonomous Run - {date}\n")
    out.append(f"**Video Selected:** {_one_line(v.title)} | {_one_line(v.channel)}  \n")
    out.append(f"**URL:** {_one_line(v.url)}  \n")
    gen = run.generator + (f" ({run.model})" if run.model else "")
    out.append(f"**Generated:** {date}" + (f" by {gen}" if run.generator else "") + "  \n")
    out.append("\n---\n")
    platforms: list[str] = []
    for post in run.posts:
        if post.platform not in platforms:
            platforms.append(post.platform)
    for platform in platforms:
        out.append(f"\n## {_platform_label(platform)} POSTS\n")
        for post in (p for p in run.posts if p.platform == platform):
            text = _post_text(post)
            fence = _fence_for(text)
            heading = run.headings.get(post.framework) or _framework_heading(post.framework)
            out.append(f"\n### {heading} FRAMEWORK\n")
            out.append(f"<!-- post {post.id} -->\n{fence}\n{text}\n{fence}\n")
            out.append(_status_line(post) + "\n")
        out.append("\n---\n")
    ready = sum(1 for p in run.posts if p.state.value in ("ready", "published"))
    failed = [p.id for p in run.posts if p.state.value == "failed"]
    out.append("\n## METADATA\n")
    out.append(f"- **Video:** {_one_line(v.title)} | {_one_line(v.channel)}\n")
    out.append(f"- **Video ID:** {_one_line(v.id)}\n")
    fws = sorted({p.framework for p in run.posts}, key=[p.framework for p in run.posts].index)
    out.append(f"- **Frameworks:** {len(fws)} ({', '.join(fws)})\n")
    out.append(f"- **Platforms:** {len(platforms)} ({', '.join(platforms)})\n")
    out.append(f"- **Total Posts:** {len(run.posts)}\n")
    out.append(f"- **Ready to publish:** {ready} of {len(run.posts)}" + (f" (failed: {', '.join(failed)})" if failed else "") + "\n")
    if run.generator:
        out.append(f"- **Generator:** {gen}, prompt version {run.prompt_version or '-'}\n")
    for warning in run.warnings:
        out.append(f"- **Warning:** {_one_line(warning)}\n")
    return "".join(out)


# --------------------------------------------------------------------------- parsing


def _split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    if not text.startswith("---\n"):
        raise RunFileError(path, "no state block: a run file starts with '---' (to read a seed-layout file, use 'postgen import')", 1)
    end = text.find("\n---\n", 3)
    if end == -1:
        raise RunFileError(path, "the state block opened at line 1 is never closed with '---' (file truncated?)", 1)
    state = text[4 : end + 1]
    rest = text[end + 5 :]
    return state, rest, state.count("\n") + 3


def _read_posts(lines: list[str], first_line: int, path: Path) -> tuple[dict[str, tuple[str, int]], RunFileError | None]:
    """Each post's text and marker line, and the first block that a fence line in its text ended
    early (reported after the clearer errors, such as a deleted marker, that also leave a stray fence)."""
    texts: dict[str, tuple[str, int]] = {}
    early: RunFileError | None = None
    # A closing fence may carry trailing blanks, as in CommonMark (an editor may leave some); a text
    # line with backticks never matches, it gets longer fences.
    stripped = [line.rstrip() for line in lines]
    i = 0
    while i < len(lines):
        match = MARKER.match(lines[i])
        if not match:
            i += 1
            continue
        post_id, marker_line = match["id"], first_line + i
        if post_id in texts:
            raise RunFileError(path, f"post {post_id} appears twice (also at line {texts[post_id][1]})", marker_line)
        i += 1
        fence = FENCE.match(lines[i]) if i < len(lines) else None
        if not fence:
            raise RunFileError(path, f"post {post_id}: expected its text in a ``` fenced block right after the marker", marker_line + 1)
        closing, start = fence["fence"], i + 1
        try:
            end = stripped.index(closing, start)
        except ValueError:
            raise RunFileError(
                path, f"post {post_id}: the fenced block opened here is never closed with {closing} (file truncated or fence edited?)", first_line + i
            ) from None
        texts[post_id] = ("\n".join(lines[start:end]), marker_line)
        i = end + 1
        # Outside the posts' blocks postgen writes no fence line, so another `closing` before the
        # next marker means a fence line inside the text ended the block early: the rest would be lost.
        after = next((j for j in range(i, len(lines)) if MARKER.match(lines[j])), len(lines))
        if closing in stripped[i:after] and early is None:
            stray = first_line + stripped.index(closing, i, after)
            early = RunFileError(
                path,
                f"post {post_id}: its text holds a {closing} line (line {first_line + end}) that ends its fenced block early, "
                f"and another {closing} follows at line {stray}. Make this post's fences longer than any run of backticks "
                f"in its text (e.g. {closing}`) so none of the text is lost",
                first_line + end,
            )
    return texts, early


def _yaml_state(text: str, path: Path, json_error: json.JSONDecodeError) -> Any:
    """Accept a state block a person rewrote as plain YAML; report the JSON error otherwise."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        state = yaml.load(text, Loader=loader)
    except yaml.YAMLError:
        state = None
    if not isinstance(state, dict):
        raise RunFileError(path, f"state block is not valid JSON: {json_error.msg} (column {json_error.colno})", json_error.lineno + 1)
    return state


def parse(text: str, path: Path | str = "<run>") -> Run:
    """Read a run file's text. Raises RunFileError naming the line for anything amiss, and for
    anything else that stops the reading (values of the wrong type, nesting too deep for the
    parser): a broken run file is reported, never a traceback that stops every other run."""
    path = Path(path)
    try:
        return _parse(text, path)
    except RunFileError:
        raise
    except RecursionError:
        raise RunFileError(path, "state block is nested too deeply to read; restore it from git (git log -p FILE)", 2) from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as exc:
        raise RunFileError(path, f"state block cannot be read ({type(exc).__name__}: {_one_line(str(exc))[:200]}); "
                                 "fix it by hand or restore it from git (git log -p FILE)", 2) from None


def _parse(text: str, path: Path) -> Run:
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors add on save
    if text.startswith("---\r\n"):  # postgen writes LF: the whole file went CRLF (an editor, git autocrlf)
        text = text.replace("\r\n", "\n")
    state_text, rest, rest_line = _split_front_matter(text, path)
    try:
        state = json.loads(state_text)
    except json.JSONDecodeError as exc:
        state = _yaml_state(state_text, path, exc)
    if not isinstance(state, dict) or "postgen" not in state:
        raise RunFileError(path, "state block is not a postgen run (no 'postgen:' version key)", 2)
    if state.pop("postgen") != FORMAT_VERSION:
        raise RunFileError(path, f"run file format is not version {FORMAT_VERSION}; upgrade postgen", 2)
    texts, early = _read_posts(rest.split("\n"), rest_line, path)
    posts = state.get("posts") or []
    if not isinstance(posts, list):
        raise RunFileError(path, "state block: 'posts' must be a list", 2)
    for post in posts:
        if not isinstance(post, dict) or "id" not in post:
            raise RunFileError(path, "state block: every post needs an 'id'", 2)
        if not isinstance(post["id"], str):
            raise RunFileError(path, f"state block: a post's 'id' must be text, not {_one_line(json.dumps(post['id']))[:60]}", 2)
        if post["id"] not in texts:
            raise RunFileError(path, f"post {post['id']} is in the state block but its text is missing (marker '<!-- post {post['id']} -->')")
        text = texts.pop(post["id"])[0]
        if "generated_z" in post:
            post["generated"] = _unpack(post.pop("generated_z"))
        if post.pop("has_title", False):
            # The first line is the title; the blank line after it (spaces count as blank) is the
            # separator. If a hand edit removed it, the body simply starts on the next line.
            title, _, body = text.partition("\n")
            first, _, rest = body.partition("\n")
            post["title"], post["body"] = title.rstrip("\r"), rest if not first.strip() else body
        else:
            post["body"] = text
    if texts:
        stray = ", ".join(f"{pid} (line {line})" for pid, (_, line) in texts.items())
        raise RunFileError(path, f"post text with no entry in the state block: {stray}")
    if early:
        raise early
    from pydantic import ValidationError

    from .models import Run

    try:
        return Run.model_validate(state)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise RunFileError(path, f"state block: '{key}': {first['msg']}", 2) from None


# --------------------------------------------------------------------------- files


def path_for(runs_dir: Path, run: Run) -> Path:
    return Path(runs_dir) / f"{run.id}.md"


def load(path: Path | str) -> Run:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise RunFileError(path, "no such run file") from None
    except OSError as exc:  # a folder named *.md, no permission...
        raise RunFileError(path, f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RunFileError(path, "not UTF-8 text; run files are always UTF-8", line) from None
    return parse(text, path)


_UMASK: int | None = None


def _mode_for(path: Path) -> int:
    global _UMASK
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        if _UMASK is None:  # read once: os.umask can only be read by setting it
            _UMASK = os.umask(0o022)
            os.umask(_UMASK)
        return 0o666 & ~_UMASK


STALE_TEMP_SECONDS = 60  # a write takes milliseconds; a temp file this old was left by a killed one


def _lock_exclusive(fd: int, *, wait: bool) -> bool:
    """flock the file (POSIX); False when another open holds it. Where there is no flock (Windows)
    an open file cannot be deleted anyway, which protects a live writer the same way."""
    try:
        import fcntl
    except ImportError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def clean_stale_temp_files(directory: Path | str, name: str | None = None) -> list[Path]:
    """Delete the `.<run file>.<random>.tmp` files that writes killed before their rename left
    behind (for one run file, or all). Only stale ones: older than a minute and not locked, since
    a live writer holds an exclusive lock on its temp file from creation until it closes it."""
    pattern = f".{glob.escape(name)}.*.tmp" if name else ".*.md.*.tmp"
    removed: list[Path] = []
    for tmp in Path(directory).glob(pattern):
        try:
            if time.time() - tmp.stat().st_mtime < STALE_TEMP_SECONDS:
                continue
            with open(tmp, "rb") as fh:
                if not _lock_exclusive(fh.fileno(), wait=False):
                    continue
                tmp.unlink()
            removed.append(tmp)
        except OSError:  # gone meanwhile, read-only checkout, or open elsewhere (Windows)
            continue
    return removed


def write_atomic(path: Path | str, text: str) -> None:
    """Write text as UTF-8 so that readers see the old file or the new one, never half of one;
    then clear temp files that killed writes of this file left behind. Raises NotWritten naming
    `path` when the system refuses (the OS's own error often names a temporary file, or nothing)."""
    path = Path(path)
    try:
        _replace_atomically(path, text)
    except OSError as exc:
        raise NotWritten(exc.errno, exc.strerror or str(exc), str(path)) from exc
    with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    clean_stale_temp_files(path.parent, path.name)


def _replace_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _lock_exclusive(fd, wait=True)  # marks it live for clean_stale_temp_files
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _mode_for(path))  # mkstemp makes 0600: keep the file's mode, or the umask's
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# Values that must come back exactly (ids, digests, states, codes); every other string of a run
# (messages, warnings, post text, URLs) passes the redactor on its way into the file, which CI commits.
IDENTIFIERS = frozenset({"id", "platform", "framework", "link_policy", "state", "severity", "code", "kind",
                         "remote_id", "sent_digest", "source_hash", "source", "generator", "model", "prompt_version"})


def _redacted(run: Run) -> Run:
    from .models import Run
    from .redact import redact_data

    data = run.model_dump()
    clean = redact_data(data, IDENTIFIERS)
    return run if clean == data else Run.model_validate(clean)


def save(path: Path | str, run: Run) -> None:
    try:
        text = render(_redacted(run))
    except ValueError as exc:
        raise RunFileError(path, f"{exc}; nothing was written") from None
    write_atomic(path, text)


@contextlib.contextmanager
def locked(path: Path | str, purpose: str = "change") -> Iterator[None]:
    """Hold the run's lock file; a second process gets RunLocked at once with a clear message."""
    from filelock import FileLock, Timeout

    path = Path(path)
    lock = FileLock(str(path.with_name(path.name + ".lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise RunLocked(
            f"{path}: another postgen process is working on this run (lock {lock.lock_file}). "
            "Wait for it to finish: the lock is released when that process ends, even if it crashes."
        ) from None
    try:
        yield
    finally:
        lock.release()


class RunHandle:
    """A loaded run under its lock, saved on demand (the ledger saves before and after each call)."""

    def __init__(self, path: Path, run: Run):
        self.path = path
        self.run = run

    def save(self) -> None:
        save(self.path, self.run)


@contextlib.contextmanager
def editing(path: Path | str, purpose: str = "change") -> Iterator[RunHandle]:
    """Lock, load, hand over, and save on a clean exit. A failed load never writes."""
    path = Path(path)
    with locked(path, purpose):
        handle = RunHandle(path, load(path))
        yield handle
        handle.save()


def list_runs(runs_dir: Path | str) -> list[Path]:
    runs_dir = Path(runs_dir)
    if not runs_dir.is_dir():
        return []
    clean_stale_temp_files(runs_dir)
    return sorted(p for p in runs_dir.glob("*.md") if p.name != "README.md" and not p.name.startswith("."))


RUN_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-.+\.md$")


def _latest(runs: list[Path]) -> Path | None:
    """The newest run: the last date in the names, and on that day the run created last (names
    sort by video id within a day, which says nothing about which came last). Only regular files
    named like a run count: a folder, or notes.md, is never 'latest'."""
    dated = [p for p in runs if RUN_NAME.match(p.name) and p.is_file()]
    if not dated:
        return None
    day = dated[-1].name[:10]
    same_day = [p for p in dated if p.name[:10] == day]
    if len(same_day) == 1:
        return same_day[0]

    def created(path: Path) -> str:
        try:
            return load(path).created.isoformat()
        except RunFileError:
            return ""

    return max(reversed(same_day), key=created)


def resolve(runs_dir: Path | str, ref: str) -> Path:
    """A run reference as a user types it: a path, a file name, a run id, 'latest', a video id
    (the run id after its date) or the start of one run's id. Never any other match inside a
    name: `publish talk --yes` must not pick some run whose id happens to contain "talk"."""
    candidate = Path(ref)
    try:
        is_file, is_dir = candidate.is_file(), candidate.is_dir()
    except OSError:  # a name too long to be a path is no path
        is_file = is_dir = False
    if is_file:
        return candidate
    if is_dir and ref not in ("", "."):
        raise RunFileError(candidate, "is a folder, not a run file; name a run (its id or file), or 'latest'")
    runs = list_runs(runs_dir)
    if ref == "latest":
        latest = _latest(runs)
        if latest is None:
            raise RunFileError(runs_dir, "no runs here yet, so no 'latest': try 'postgen run --dry-run'")
        return latest
    for p in runs:
        if p.stem == ref or p.name == ref:
            return p
    starting = [p for p in runs if ref and p.is_file() and (p.stem.startswith(ref) or (RUN_NAME.match(p.name) and p.stem[11:] == ref))]
    if len(starting) == 1:
        return starting[0]
    if starting:
        names = ", ".join(p.stem for p in starting[:10]) + (f" and {len(starting) - 10} more" if len(starting) > 10 else "")
        raise RunFileError(runs_dir, f"several runs match {ref!r}: {names}; give more of the id")
    inside = [p.stem for p in runs if ref and ref in p.stem]
    hint = f" (runs that contain it: {', '.join(inside[:5])}; give the id from its start)" if inside else ""
    raise RunFileError(runs_dir, f"no such run {ref!r}{hint}. 'postgen status' lists runs.")
