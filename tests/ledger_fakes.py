"""A fake platform that remembers what it has, and a connector over it, for the ledger tests.

Three behaviours, one per real platform, so the same tests can later be pointed at the real
connectors:
- "x": refuses duplicate text (403 duplicate) and can look posts up;
- "linkedin": refuses duplicates (422 DUPLICATE_POST) and cannot look posts up;
- "reddit": accepts duplicates silently and can look up recent submissions.

`step(name)` is called at every point where a process could die; a test makes it raise.
With `store`, the platform lives in a JSON file, so it survives a killed process.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from postgen.connector import Connector, Preview, PublishError
from postgen.models import FollowUp, Post, Problem, Publication, utcnow

LIMITS = {"x": 280, "linkedin": 3000, "reddit": 40000}
BEHAVIOURS = ("x", "linkedin", "reddit")


class Crash(BaseException):
    """The process dies here (not an Exception: nothing may catch it on the way out)."""


class FakePlatform:
    def __init__(self, behaviour: str, store: Path | None = None):
        self.behaviour = behaviour
        self.store = store
        self.created: list[dict] = []  # every post the platform holds, duplicates included
        self.comments: list[dict] = []  # link follow-ups
        self.create_calls = 0
        self.errors: list[PublishError] = []  # raised by the next create calls, in order
        # The next follow-up calls fail with these, in order; `True`: the comment landed first (a
        # gateway's 5xx or a timeout after the platform took it).
        self.comment_errors: list[tuple[PublishError, bool]] = []
        self.can_find_comments = False  # find_follow_up answers (else: "cannot tell")
        self.listing_lag = timedelta(0)  # a post shows in lookups only this long after it landed
        if store is not None and store.exists():
            data = json.loads(store.read_text())
            self.created, self.comments, self.create_calls = data["created"], data["comments"], data["create_calls"]

    def _persist(self) -> None:
        if self.store is None:
            return
        tmp = self.store.with_suffix(".tmp")
        with open(tmp, "w") as fh:
            json.dump({"created": self.created, "comments": self.comments, "create_calls": self.create_calls}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.store)

    def copies(self, post_id: str) -> int:
        return sum(1 for c in self.created if c["post"] == post_id)

    def comments_on(self, post_id: str) -> int:
        return sum(1 for c in self.comments if c["post"] == post_id)

    def url_of(self, post_id: str) -> str | None:
        for c in self.created:
            if c["post"] == post_id:
                return c["url"]
        return None


def _text(post: Post) -> str:
    return f"{post.title}\n\n{post.body}" if post.title is not None else post.body


class FakeConnector(Connector):
    credentials = ()

    def __init__(self, platform_name: str, platform: FakePlatform, step: Callable[[str], None] | None = None):
        super().__init__(env={})
        self.name = platform_name  # instance attribute: one class serves all three
        self.refuses_duplicates = platform.behaviour in ("x", "linkedin")
        self.listing_lags = platform.behaviour == "reddit"
        self.platform = platform
        self.step = step or (lambda name: None)

    def validate(self, post: Post) -> list[Problem]:
        limit = LIMITS.get(self.platform.behaviour, 280)
        if len(post.body) > limit:
            return [Problem(severity="error", code="too_long", message=f"{len(post.body)} of {limit} characters")]
        return []

    def preview(self, post: Post) -> Preview:
        parts = [{"kind": "post", "text": _text(post)}]
        if post.link_policy == "first_comment" and post.link:
            parts.append({"kind": "comment", "text": post.link})
        return Preview(post_id=post.id, platform=self.name, parts=parts)

    def _lookup(self, post: Post) -> Publication | None:
        for c in self.platform.created:
            if c["text"] == _text(post):
                if utcnow() - datetime.fromisoformat(c.get("at", "1970-01-01T00:00:00+00:00")) < self.platform.listing_lag:
                    continue  # landed, but the listing does not show it yet
                return Publication(remote_id=c["id"], url=c["url"])
        return None

    def publish(self, post: Post) -> Publication:
        self.step("publish.before")
        self.platform.create_calls += 1
        if self.platform.errors:
            error = self.platform.errors.pop(0)
            self.platform._persist()
            raise error
        behaviour = self.platform.behaviour
        if behaviour == "x" and self._lookup(post):
            raise PublishError("duplicate", "You are not allowed to create a Tweet with duplicate content.", status=403)
        if behaviour == "linkedin" and self._lookup(post):
            raise PublishError("duplicate", "DUPLICATE_POST: Content is a duplicate", status=422)
        n = len(self.platform.created) + 1
        remote_id = {"x": f"{1000 + n}", "linkedin": f"urn:li:share:{7000 + n}", "reddit": f"t3_abc{n}"}[behaviour]
        url = {
            "x": f"https://x.com/me/status/{remote_id}",
            "linkedin": f"https://www.linkedin.com/feed/update/{remote_id}",
            "reddit": f"https://www.reddit.com/r/test/comments/abc{n}/t/",
        }[behaviour]
        self.platform.created.append({"post": post.id, "text": _text(post), "id": remote_id, "url": url,
                                      "at": utcnow().isoformat()})
        self.platform._persist()
        self.step("publish.after")  # the platform has it; the ledger does not know yet
        return Publication(remote_id=remote_id, url=url)

    def _comment(self, post: Post, publication: Publication) -> str:
        n = len(self.platform.comments) + 1
        self.platform.comments.append({"post": post.id, "on": publication.remote_id, "id": f"c{n}"})
        self.platform._persist()
        return f"c{n}"

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        if not (post.link_policy in ("first_comment", "once") and post.link):
            return publication
        if any(f.state == "published" for f in publication.follow_ups):
            return publication  # the contract: what is published is never sent again
        self.step("follow_up.before")
        if self.platform.comment_errors:
            error, landed = self.platform.comment_errors.pop(0)
            if landed:
                self._comment(post, publication)
            publication.follow_ups.append(FollowUp(kind="first_comment", state="failed", error=error.message,
                                                   error_kind=error.kind))
            return publication
        comment = self._comment(post, publication)
        self.step("follow_up.after")
        publication.follow_ups.append(FollowUp(kind="first_comment", remote_id=comment, state="published"))
        return publication

    def find_follow_up(self, post: Post, publication: Publication) -> FollowUp | None:
        if not self.platform.can_find_comments:
            return super().find_follow_up(post, publication)
        known = {f.remote_id for f in publication.follow_ups if f.state == "published"}
        for c in self.platform.comments:
            if c["on"] == publication.remote_id and c["id"] not in known:
                return FollowUp(kind="first_comment", remote_id=c["id"])
        return None

    def find_existing(self, post: Post) -> Publication | None:
        self.step("find_existing")
        if self.platform.behaviour == "linkedin":
            raise PublishError("unknown", "LinkedIn offers no way to look a post up by its text")
        return self._lookup(post)


def make_run(runs_dir: Path, posts: list[tuple[str, str]], *, video_id: str = "abc123XYZ_0", created=None,
             link: str | None = "https://youtu.be/abc123XYZ_0", **post_fields) -> Path:
    """A saved run whose posts are ready (each with distinct text), returning its path."""
    from datetime import datetime, timezone

    from postgen import runfile
    from postgen.models import PostState, Run, Video

    created = created or datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)
    run = Run(
        id=Run.make_id(video_id, created),
        created=created,
        video=Video(id=video_id, url=f"https://www.youtube.com/watch?v={video_id}", title="A talk"),
        posts=[
            Post(
                id=Post.make_id(platform, framework), platform=platform, framework=framework,
                title=f"{framework} title {video_id}" if platform == "reddit" else None,
                body=f"The {framework} post for {platform} about {video_id}.", link=link,
                state=PostState.ready, **post_fields,
            )
            for platform, framework in posts
        ],
    )
    path = runfile.path_for(runs_dir, run)
    runfile.save(path, run)
    return path


def publisher(platforms: dict[str, FakePlatform], config=None, connector: type[Connector] = FakeConnector, **kwargs):
    """A Publisher over fake platforms that never sleeps and fires no events (unless told)."""
    from postgen import ledger
    from postgen.config import parse_config

    kwargs.setdefault("sleep", lambda s: None)
    kwargs.setdefault("fire", lambda o: None)
    return ledger.Publisher(config or parse_config({}), connector_for=lambda name: connector(name, platforms[name]),
                            **kwargs)


def journal_lines(path: Path) -> list[dict]:
    """The run's ledger journal (runs/ledger/<run>.jsonl), one dict a line."""
    file = path.parent / "ledger" / f"{path.stem}.jsonl"
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]
