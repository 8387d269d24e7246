"""The journal: the durable record of what was sent, one JSON line per intent and per outcome.

`runs/ledger/<run-id>.jsonl` is append-only. Every line has a unique id, the run and post ids,
the post's sequence number, the time, what happened (an intent or an outcome, of the post or of
a follow-up), the content digest of what was (to be) sent, the attempt, and the post's ledger
fields after the transition. Lines are fsynced, and pass `postgen.redact.redact`.

Order of a transition: the run file is saved, then the line is appended, then (for an intent) the
platform is called. So every call that may have happened is on the journal; a crash between the
two writes leaves the run file one step ahead (an intent never called), which reads as an
unknown outcome and is reconciled like one.

The journal is the authority about what was sent; the run file's ledger fields are a view of it.
Loading a run overlays, per post, the journal's newest line when the run file is behind it (a
stale copy written back, a git merge that took a person's older version): never backwards.
`runs/.gitattributes` says `ledger/*.jsonl merge=union`, so git merges two writers' journals by
keeping both sides' lines; the newest line per post is then the highest (sequence, time, id),
which every reader picks the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from pydantic import ValidationError

from .. import runfile
from ..models import Post, Run

FORMAT = 1
FOLDER = "ledger"
ATTRIBUTES_LINE = "ledger/*.jsonl merge=union"
# The fields a journal line carries and the overlay brings back; text and schedule stay the run file's.
LEDGER_FIELDS = ("state", "publication", "attempts", "last_attempt_at", "last_error", "deferred_until",
                 "follow_up_pending", "sent_digest", "link_policy", "media")  # media: the picture's upload (its id)
SENT_STATES = ("publishing", "published")


def content_digest(post: Post, run_id: str = "") -> str:
    """What a publish sends, fingerprinted with where it belongs (run, post, text). Saved with the
    intent and on every journal line: an edit made while the outcome is unknown shows, and a send
    is keyed by it."""
    sent = [run_id, post.id, (post.title or "").strip(), post.body.strip(), post.link, post.link_policy == "inline"]
    return hashlib.sha256(json.dumps(sent, ensure_ascii=False).encode()).hexdigest()[:16]


def ledger_fields(post: Post) -> dict[str, Any]:
    return post.model_dump(mode="json", include=set(LEDGER_FIELDS))


@dataclass(frozen=True)
class Entry:
    """One journal line."""

    id: str
    run: str
    post: str
    seq: int
    at: str  # ISO 8601, UTC, microseconds: sorts as text
    event: str  # "intent" | "outcome"
    what: str  # "post" | "follow_up" | "media" (the picture's upload) | "resolve"
    result: str
    digest: str | None
    attempt: int
    cost_usd: float | None
    fields: dict[str, Any]

    @property
    def order(self) -> tuple[int, str, str]:
        return (self.seq, self.at, self.id)

    @property
    def when(self) -> datetime:
        return datetime.fromisoformat(self.at)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entry:
        cost = data.get("cost_usd")
        return cls(id=str(data["id"]), run=str(data["run"]), post=str(data["post"]), seq=int(data["seq"]),
                   at=str(data["at"]), event=str(data["event"]), what=str(data["what"]), result=str(data["result"]),
                   digest=data.get("digest"), attempt=int(data.get("attempt") or 0),
                   cost_usd=float(cost) if isinstance(cost, (int, float)) else None, fields=dict(data["fields"]))


def read(path: Path) -> tuple[list[Entry], int]:
    """The lines of a journal file, and how many could not be read (a line torn by a crash)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    entries, bad = [], 0
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            entries.append(Entry.from_dict(json.loads(raw)))
        except (ValueError, KeyError, TypeError):
            bad += 1
    return entries, bad


def _redacted(value: Any) -> Any:
    """Every string in a line through the one redactor (value by value, so the line stays JSON)."""
    from ..redact import redact

    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v) for v in value]
    return value


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def ensure_attributes(runs_dir: Path) -> Path:
    """`runs/.gitattributes` with the union-merge line for journals (added when missing)."""
    path = runs_dir / ".gitattributes"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    if text is None or ATTRIBUTES_LINE not in text.splitlines():
        prefix = "" if not text else (text if text.endswith("\n") else text + "\n")
        runfile.write_atomic(path, prefix + f"# postgen: journals are append-only; a merge keeps both sides' lines\n{ATTRIBUTES_LINE}\n")
    return path


class Journal:
    """The journal of one run; reads lazily, appends durably."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._entries: list[Entry] | None = None
        self.unreadable = 0

    @classmethod
    def of(cls, run_path: Path | str, run_id: str) -> Journal:
        return cls(Path(run_path).parent / FOLDER / f"{run_id}.jsonl")

    @property
    def runs_dir(self) -> Path:
        return self.path.parent.parent

    @property
    def attributes(self) -> Path:
        return self.runs_dir / ".gitattributes"

    def entries(self) -> list[Entry]:
        if self._entries is None:
            self._entries, self.unreadable = read(self.path)
        return self._entries

    def reload(self) -> None:
        self._entries = None

    def of_post(self, post_id: str) -> list[Entry]:
        return sorted((e for e in self.entries() if e.post == post_id), key=lambda e: e.order)

    def newest(self, post_id: str) -> Entry | None:
        found = self.of_post(post_id)
        return found[-1] if found else None

    def append(self, run_id: str, post: Post, *, event: str, what: str, result: str,
               cost_usd: float | None = None, save_first: Callable[[], None] | None = None) -> Entry:
        """Write one line for `post` as it is now (its ledger fields after the transition) and
        advance the post's sequence number; `save_first` (the run file's save) runs in between."""
        newest = self.newest(post.id)
        post.ledger_seq = max(post.ledger_seq, newest.seq if newest else 0) + 1
        if save_first is not None:
            save_first()
        record = {
            "v": FORMAT,
            "id": uuid.uuid4().hex,
            "run": run_id,
            "post": post.id,
            "seq": post.ledger_seq,
            "at": datetime.now(timezone.utc).isoformat(timespec="microseconds"),
            "event": event,
            "what": what,
            "result": result,
            "digest": content_digest(post, run_id),
            "attempt": post.attempts,
            "cost_usd": None if cost_usd is None else round(cost_usd, 6),
            "writer": f"{socket.gethostname()}:{os.getpid()}",
            "fields": ledger_fields(post),
        }
        record = _redacted(record)
        self._write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        entry = Entry.from_dict(record)
        self.entries().append(entry)
        return entry

    def _write(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ensure_attributes(self.runs_dir)
        new = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            size = os.fstat(fd).st_size
            if size:  # a line torn by a crash must not swallow this one
                with open(self.path, "rb") as fh:
                    fh.seek(size - 1)
                    if fh.read(1) != b"\n":
                        line = "\n" + line
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            _fsync_dir(self.path.parent)


# --------------------------------------------------------------------------- the run file as a view


def overlay(run: Run, entries: Iterable[Entry]) -> list[str]:
    """Bring each post's ledger fields up to the journal's newest line where the run file is
    behind it (a lower sequence number, or a post shown unsent that the journal shows sent).
    Returns the ids of the posts brought forward; never moves a post backwards."""
    newest: dict[str, Entry] = {}
    for entry in entries:
        if entry.run == run.id and (entry.post not in newest or entry.order > newest[entry.post].order):
            newest[entry.post] = entry
    behind: list[str] = []
    for post in run.posts:
        entry = newest.get(post.id)
        if entry is None:
            continue
        # Behind: an older sequence number, or the same one with the post shown unsent where the
        # journal shows it sent (a hand edit). A run file ahead of its journal stays as it is. What
        # was sent always counts; a line that sent nothing (a refusal, a rate limit) only for the
        # same text (a run replaced with --force, or a post edited since, starts afresh).
        sent = entry.fields.get("state") in SENT_STATES
        shown_unsent = sent and post.state.value not in SENT_STATES
        if not (entry.seq > post.ledger_seq or (entry.seq == post.ledger_seq and shown_unsent)):
            continue
        if not sent and entry.digest != content_digest(post, run.id):
            continue
        try:
            updated = Post.model_validate({**post.model_dump(mode="json"), **entry.fields, "ledger_seq": entry.seq})
        except ValidationError:
            continue  # a line this version cannot read: the run file stands
        for name in (*LEDGER_FIELDS, "ledger_seq"):
            setattr(post, name, getattr(updated, name))
        behind.append(post.id)
    return behind


def load(path: Path | str) -> tuple[Run, list[str]]:
    """A run as the ledger sees it: the run file, brought up to its journal (nothing is written).
    Returns the run and the ids of the posts whose ledger fields the run file had behind."""
    path = Path(path)
    run = runfile.load(path)
    return run, overlay(run, Journal.of(path, run.id).entries())


_HELD: set[Path] = set()  # run files whose lock this process holds (a Publisher's pass)


@contextlib.contextmanager
def hold(path: Path | str, purpose: str = "publish") -> Iterator[None]:
    """The run's lock, re-entrant within this process: a decision recorded from a `durable` hook
    while the Publisher holds the lock must not lock itself out."""
    key = Path(path).resolve()
    if key in _HELD:
        yield
        return
    with runfile.locked(path, purpose):
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)


def restore(path: Path | str) -> list[str]:
    """Reload the run file at `path`, bring its ledger fields up to what the journal says (never
    backwards) and save it. For use after a git merge took a person's version of a run file.
    Returns the ids of the posts that were behind (nothing is written when none were).

    It takes no lock: call it holding the run's lock (a `durable` hook runs under the Publisher's,
    `postgen reconcile` takes it) or while no publisher works on the run."""
    path = Path(path)
    run, behind = load(path)
    if behind:
        runfile.save(path, run)
    return behind


def spent(runs_dir: Path, day: date, tz: tzinfo) -> float:
    """Estimated platform spend recorded on `day` (in `tz`) across every run's journal."""
    total = 0.0
    for path in sorted((Path(runs_dir) / FOLDER).glob("*.jsonl")):
        for entry in read(path)[0]:
            if entry.cost_usd and entry.event == "outcome" and entry.when.astimezone(tz).date() == day:
                total += entry.cost_usd
    return round(total, 6)
