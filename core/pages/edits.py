"""The changes a person makes on the review page, saved to the run file: a post's text, its
approval, its slot. No HTTP here (that is `postgen.pages.server`), so the rules are tested alone.

Every change is checked against what the file says now, under the run's lock, and written
atomically (`runfile.editing`). The run is seen as the ledger sees it: the run file brought up to
its journal (`postgen.ledger.journal`, the authority on what was sent), so a stale copy of the file
cannot hide that a post went out. A save writes that view (forward only, as `journal.restore` does).

- a post in `publishing` or `published` is refused: what went out cannot change after the fact;
- a change based on an older view of the post is refused (its `version` differs: someone edited,
  approved or published it since the page loaded it), and the reply carries the file's version;
- a text is checked with `checks.check_post`, the rules of `postgen validate`. With an error it is
  NOT saved: the reply shows the problems and the file keeps its last valid text. With warnings
  only it is saved, as `validate` passes it and `publish` sends it: the page shows the warnings.
  A saved text makes a draft or failed post `ready`, as generation and import do for a valid text.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import review
from .. import runfile
from ..ledger import journal
from ..models import Post, PostState, Run


@dataclass
class Reply:
    """What the page is told: an HTTP status, whether the file changed, a message, the post."""

    status: int
    saved: bool
    message: str
    post: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"saved": self.saved, "message": self.message, "post": self.post}


class Refused(Exception):
    def __init__(self, status: int, message: str, post: Post | None = None):
        super().__init__(message)
        self.status, self.message, self.post = status, message, post


class Review:
    """One run file under review."""

    def __init__(self, path: Path | str, config):
        from ..schedule import zone

        self.path = Path(path)
        self.config = config
        self.tz = zone(config.schedule.timezone)
        self._one_at_a_time = threading.Lock()  # the file lock refuses a second holder even in this process

    # -- reading ---------------------------------------------------------------------------------
    def load(self) -> Run:
        return journal.load(self.path)[0]

    def page(self, key: str = "", *, live: bool = True) -> str:
        """The whole page from the file as it is now (redacted; the key is added after redaction,
        so the redactor can never garble it)."""
        from ..redact import redact

        run = self.load()
        html = review.render(run, review.cards(run, self.config), tz=self.tz, live=live, source=str(self.path),
                             require_approval=self.config.publish.require_approval, key="\0key\0" if live else "")
        html = redact(html)
        if live and "\0key\0" not in html:  # the page's script could send no key: say why, never serve it
            raise RuntimeError("the redactor removed the review page's launch key (data-launch)")
        return html.replace("\0key\0", key)

    def _data(self, post: Post, run: Run, view: review.Card | None = None) -> dict[str, Any]:
        """The post for the page; `view`: a text being edited, checked and previewed in its place."""
        view = view or review.card(post, run, self.config)
        data = review.post_data(view, self.tz)
        data.update(version=review.version(post), state=post.state.value, approved=post.approved,
                    editable=review.editable(post))
        return data

    # -- changes ---------------------------------------------------------------------------------
    def _find(self, run: Run, post_id: str) -> Post:
        try:
            return run.post(post_id)
        except KeyError:
            raise Refused(404, f"no post {post_id} in {run.id}") from None

    def _guard(self, post: Post, seen: str | None) -> None:
        if not review.editable(post):
            raise Refused(409, f"{post.id} is {post.state.value}: it went out (or may have), so it cannot be changed", post)
        if seen != review.version(post):
            raise Refused(409, f"{post.id} changed in the file since this page loaded it (another command or an editor): "
                               "the page now shows the file's version; nothing was saved", post)

    def _save(self, post_id: str, seen: str | None, change) -> tuple[Post, Run]:
        """Apply `change(post, run)` to the post as the file has it now, under the lock; saved only
        when it returns without raising."""
        with self._one_at_a_time:
            try:
                with runfile.editing(self.path, "review") as handle:
                    journal.overlay(handle.run, journal.Journal.of(self.path, handle.run.id).entries())
                    post = self._find(handle.run, post_id)
                    self._guard(post, seen)
                    change(post, handle.run)
            except runfile.RunLocked as exc:
                raise Refused(423, f"not saved: {exc}") from None
            except runfile.RunFileError as exc:
                raise Refused(422, f"not saved: {exc}") from None
            except OSError as exc:
                raise Refused(500, f"not saved: {exc.filename or self.path}: cannot write it: {exc.strerror or exc}; "
                                   "the file is unchanged") from None
        return post, handle.run

    def _reply(self, refused: Refused) -> Reply:
        post = None
        if refused.post is not None:
            try:
                run = self.load()
                post = self._data(run.post(refused.post.id), run)
            except (runfile.RunFileError, KeyError):
                post = None
        return Reply(refused.status, False, refused.message, post)

    def edit(self, post_id: str, seen: str | None, body: str, title: str | None = None) -> Reply:
        """A new text for a post: checked; saved when it has no error."""
        try:
            run = self.load()
            post = self._find(run, post_id)
            self._guard(post, seen)
            if post.title is not None and title is not None and "\n" in title:
                raise Refused(422, "not saved: a title is one line")
            update = {"body": body, "problems": []} | ({"title": title} if post.title is not None and title is not None else {})
            edited = post.model_copy(update=update)
            view = review.card(edited, run, self.config)
            if view.errors:
                data = self._data(post, run, view)
                return Reply(200, False, f"not saved: {len(view.errors)} error{'s' if len(view.errors) > 1 else ''} "
                             "(shown below); the file keeps its last valid text", data)
            if edited.body == post.body and edited.title == post.title:
                return Reply(200, True, "valid; same as the file", self._data(post, run))

            def change(current: Post, current_run: Run) -> None:
                current.body, current.title, current.problems = edited.body, edited.title, []
                current.problems = review.card(current, current_run, self.config).problems
                if current.errors:  # the file changed meanwhile in a way that matters: keep it as it is
                    raise Refused(409, "not saved: with the file as it is now this text has errors", current)
                if current.state in (PostState.draft, PostState.failed):
                    current.state, current.last_error = PostState.ready, None

            saved, saved_run = self._save(post_id, seen, change)
        except Refused as refused:
            return self._reply(refused)
        warnings = len(saved.warnings)
        return Reply(200, True, "saved" + (f" with {warnings} warning{'s' if warnings > 1 else ''}" if warnings else ""),
                     self._data(saved, saved_run))

    def approve(self, post_id: str, seen: str | None, approved: bool) -> Reply:
        def change(post: Post, _run: Run) -> None:
            post.approved = approved

        try:
            post, run = self._save(post_id, seen, change)
        except Refused as refused:
            return self._reply(refused)
        note = "" if self.config.publish.require_approval else " (publish.require_approval is off: it does not gate publishing)"
        return Reply(200, True, ("approved" if approved else "approval withdrawn") + note, self._data(post, run))

    def move(self, post_id: str, seen: str | None, at: str) -> Reply:
        """A new slot, `at` as a datetime-local input gives it (YYYY-MM-DDTHH:MM, the schedule's zone)."""
        from datetime import timezone

        try:
            local = datetime.fromisoformat(at)
        except (TypeError, ValueError):
            return self._reply(Refused(422, f"not saved: {str(at)[:40]!r} is not a date and time (YYYY-MM-DD HH:MM)"))
        if local.tzinfo is None:  # through UTC and back, as the schedule does: a time skipped by DST is a real instant
            local = local.replace(tzinfo=self.tz).astimezone(timezone.utc).astimezone(self.tz)

        def change(post: Post, run: Run) -> None:
            held = next((p for p in run.posts if p.id != post.id and p.platform == post.platform
                         and p.scheduled_at is not None and p.scheduled_at == local), None)
            if held is not None:
                raise Refused(422, f"not saved: {held.id} already has that slot (one post per platform per slot)", post)
            post.scheduled_at = local

        try:
            post, run = self._save(post_id, seen, change)
        except Refused as refused:
            return self._reply(refused)
        return Reply(200, True, f"moved to {review.when(post.scheduled_at, self.tz)}", self._data(post, run))
