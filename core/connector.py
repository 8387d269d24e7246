"""The contract a platform connector fulfils. Subclass `Connector` and register the class.

A connector never decides whether to publish: the core's ledger does. It validates, previews,
and performs one call sequence when told to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from .models import FollowUp, LinkPolicy, Post, Problem, Publication


class ConnectorOptions(BaseModel):
    """Per-platform options from `[platforms.<name>]` in postgen.toml. Subclass to add your own.

    `media`: "thumbnail" attaches the video's picture to posts whose link is not inline (an
    inline link gets the platform's own card, picture included), where the connector can upload
    pictures (`upload_media`); "none" never does."""

    model_config = ConfigDict(extra="forbid")
    link_policy: LinkPolicy = "first_comment"
    media: Literal["thumbnail", "none"] = "thumbnail"


@dataclass
class MediaFile:
    """A picture to upload: its bytes, MIME type ("image/png"), alt text and file name."""

    data: bytes
    mime_type: str
    alt: str
    name: str = "thumbnail"


@dataclass
class UploadedMedia:
    """What `upload_media` returns: the platform's id of the picture, until when it may be used
    (None: no limit), and a note for a person (the alt text was refused, say)."""

    remote_id: str
    expires_at: datetime | None = None
    note: str | None = None


@dataclass
class Preview:
    """Exactly what would be sent, part by part, and what it would cost."""

    post_id: str
    platform: str
    parts: list[dict[str, Any]]  # each: {"kind": "post"|"reply"|"comment"|"thread", "text": ..., ...}
    estimated_cost_usd: float | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Health:
    """What `postgen doctor` reports for one platform. `ok` means it can publish."""

    platform: str
    ok: bool
    missing: list[str] = field(default_factory=list)  # env var NAMES, never values
    identity: str | None = None
    messages: list[str] = field(default_factory=list)


@dataclass
class Engagement:
    """What `Connector.metrics` reports for one post, now.

    `engagements`: the interactions the platform counts, summed the way the connector documents
    (X: likes + reposts + replies + quotes + bookmarks). `impressions`: views, only where the
    platform reports them (None otherwise: the report then compares engagements within a run).
    `counts`: the platform's own numbers under its own names, kept in the run file. `deleted`:
    the post is gone (deleted by its author, removed by a moderator): no later reading is asked.
    """

    engagements: int = 0
    impressions: int | None = None
    counts: dict[str, float] = field(default_factory=dict)
    deleted: bool = False


class PublishError(Exception):
    """A publish call failed. `kind` tells the ledger what to do next.

    kind: "rate_limited" (retry after `retry_at`), "transient" (5xx/timeout: back off; it may
    have landed), "unreachable" (connection refused, DNS failure, connect timeout: nothing left
    the machine, so it was not sent: retry on a later pass, no lookup needed), "duplicate" (the
    platform already has it: reconcile), "unknown" (it may have landed and the platform cannot
    tell: a person looks), "auth", "permission", "invalid", "retired_version", "config"
    (postgen.toml lacks something the platform needs: the post stays ready), "fatal".
    Raise "unreachable" only for errors that prove no byte of the request was sent; a reset or
    timeout after sending is "transient".
    """

    def __init__(self, kind: str, message: str, *, status: int | None = None, retry_at: float | None = None,
                 remote_id: str | None = None, url: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_at = retry_at  # unix seconds
        self.remote_id = remote_id  # for "duplicate": the existing post's id when the platform names it
        self.url = url  # and its URL

    @property
    def message(self) -> str:
        return str(self.args[0])


class Connector:
    """Base class for platform connectors.

    Class attributes: `name` (config key, post-id prefix), `label` (run-file section heading),
    `credentials` (env var names), `Options` (pydantic model of its config section).
    """

    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    credentials: ClassVar[tuple[str, ...]] = ()
    has_title: ClassVar[bool] = False
    # True when the platform itself refuses a second identical post (X 403, LinkedIn 422), so the
    # ledger may resend after a 5xx even when find_existing cannot answer. False is the safe default.
    refuses_duplicates: ClassVar[bool] = False
    # True when a post can be missing from `find_existing` for a while after it landed (Reddit's
    # listing): after an unknown outcome the ledger looks again on a later pass before any resend.
    listing_lags: ClassVar[bool] = False
    Options: ClassVar[type[ConnectorOptions]] = ConnectorOptions
    # The most a post may measure (see `measure`), or None if the platform names no limit. The run
    # summary shows `measure/limit`; generators fit drafts under it. A property when an option sets it.
    limit: int | None = None

    def __init__(self, options: ConnectorOptions | None = None, env: dict[str, str] | None = None):
        import os

        self.options = options if options is not None else self.Options()
        self.env = dict(os.environ) if env is None else env

    def style(self) -> str:
        """The platform's rules, in words, for the generator's prompt."""
        raise NotImplementedError

    def measure(self, text: str) -> int:
        """The length of `text` as this platform counts it against its limit (X weighs, LinkedIn escapes)."""
        return len(text)

    def validate(self, post: Post) -> list[Problem]:
        """Exact platform rules on the content only; errors block publishing."""
        raise NotImplementedError

    def preview(self, post: Post) -> Preview:
        """Exactly what publish would send. Needs no keys and sends nothing."""
        raise NotImplementedError

    def publish(self, post: Post) -> Publication:
        """Create the post (one call sequence) and return where it landed. Raises PublishError.

        Where the platform answers with what it stored, compare it with what was sent and add a
        line to `Publication.warnings` when they differ (beyond the platform's own rewriting, such
        as shortened links): the post is out, a person should look at it.
        """
        raise NotImplementedError

    def upload_media(self, post: Post, media: MediaFile) -> UploadedMedia:
        """Upload `media` for `post` (one call sequence, alt text included) and return its id.
        Raises PublishError. The ledger calls it before `publish`, as its own step: the id is
        saved, so a resumed pass never uploads again, and `publish` finds it on the post
        (`uploaded_media(post)`). A connector that cannot upload pictures leaves this alone:
        its posts go without (`supports_media` is False)."""
        raise NotImplementedError

    def needs_follow_up(self, post: Post) -> bool:
        """Whether `publish_follow_up` has something to send after the post: by default the link
        comment (policy `first_comment` or `once` and a link). The ledger asks before it calls."""
        return post.link_policy in ("first_comment", "once") and bool(post.link)

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        """Post what is still missing after the post (the link comment/reply, thread parts) and
        return the publication with each one recorded in `follow_ups`. Never raises: a failure is
        a `FollowUp(state="failed", error=..., error_kind=<PublishError kind>)` (see
        `postgen.connectors._common.failed_follow_up`), so the post itself stands. Follow-ups
        already `published` on the publication are never sent again."""
        return publication

    def find_follow_up(self, post: Post, publication: Publication) -> FollowUp | None:
        """Look on the platform for the next follow-up `publish_follow_up` would send (after one
        whose outcome is unknown). Returns it as a published `FollowUp` (kind, remote_id, url), or
        None when it is not there, so sending it is safe. Append what it returns to
        `publication.follow_ups` (in place of the failed or unknown entry) and ask again until
        None: each call answers for one follow-up.

        Raise PublishError("unknown", ...) when the platform cannot tell, "rate_limited" or
        "transient" when it cannot tell now (ask again on a later pass).
        """
        raise PublishError("unknown", f"{self.name} cannot look follow-ups up")

    def find_existing(self, post: Post) -> Publication | None:
        """Look the post up on the platform after an unknown outcome. None if not found.

        Raise PublishError("unknown", ...) when the platform cannot tell, "rate_limited" or
        "transient" when it cannot tell now.
        """
        raise PublishError("unknown", f"{self.name} cannot look posts up")

    def metrics(self, publications: list[Publication]) -> dict[str, Engagement | PublishError]:
        """Engagement of published posts now, for `postgen metrics`. Optional: the base class
        reports none (PublishError "unsupported"), and a connector without it simply gets no
        readings. Never publishes anything.

        Called once per pass with every publication due a reading on this platform: batch the
        calls (X takes 100 ids a request, Reddit 100 fullnames). Answer per `remote_id`: an
        `Engagement` (`deleted=True` for a post the platform says is gone), or the PublishError
        that kept that one post from being read when the others were (a 429 after the first
        batch). An id left out is asked again on the next pass. Raise PublishError when nothing
        could be read: "rate_limited" (with `retry_at`: the readings wait, the pass does not
        fail), "permission" (this token may not read analytics: reported as unavailable, never a
        failure), "auth" (raised before any call when keys are missing), "transient", "unsupported".
        """
        raise PublishError("unsupported", f"{self.name} does not report engagement")

    def metrics_cost(self, count: int) -> float:
        """Estimated USD that reading `count` posts' metrics costs (X bills reads). Default: free."""
        return 0.0

    def check(self) -> Health:
        """Credentials and API health for `postgen doctor`; no side effects."""
        missing = [name for name in self.credentials if not self.env.get(name)]
        return Health(platform=self.name, ok=not missing, missing=missing)


def supports_media(connector: Any) -> bool:
    """Whether `connector` uploads pictures (it overrides `Connector.upload_media`)."""
    method = getattr(type(connector), "upload_media", None)
    return method is not None and method is not Connector.upload_media


def uploaded_media(post: Post) -> str | None:
    """The media id `publish` attaches: the post's picture, once uploaded; None otherwise."""
    media = post.media
    return media.remote_id if media is not None and media.state == "uploaded" and media.remote_id else None
