"""The data postgen moves around: a video, its brief, the posts, and the run that holds them.

Everything here is a pydantic model so a run file's state block can be validated on the way in
and dumped losslessly on the way out (`parse(render(run)) == run`).
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .untrusted import normalize

PLATFORMS = ("linkedin", "x", "reddit")
# "once": the link follow-up goes only under the first post of a run on that platform to go out
# (the ledger turns it into "first_comment" on that post and "none" on the others as they go out).
LinkPolicy = Literal["first_comment", "inline", "none", "once"]


def utcnow() -> datetime:
    """Now, timezone-aware, to the second (run files stay readable)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


class _Model(BaseModel):
    # defer_build: schemas are built on first use, not at import, which keeps `postgen --help` fast
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Video(_Model):
    """A video as the sources found it. `transcript` is None when none could be had.
    Its text fields are normalized on the way in (untrusted text: see postgen.untrusted)."""

    id: str
    url: str
    title: str
    channel: str = ""
    published: datetime | None = None
    duration: int | None = None  # seconds
    description: str = ""
    transcript: str | None = None
    views: int | None = None
    source: str = ""  # name of the source plugin that produced it
    # Where each caption segment starts: (index of its first word in the transcript, second).
    # Words are counted as postgen.timing.words() counts them. Never saved in a run file (like the
    # transcript it indexes); the brief keeps the seconds its posts need.
    cues: list[tuple[int, int]] | None = None
    # Pictures of the video, best first: an https URL, "builtin:<file>" or a path (relative to
    # postgen.toml's folder). The first that exists is the one posted.
    thumbnails: list[str] = Field(default_factory=list)
    # How to link to a moment when `url` is not YouTube: "{seconds}" is replaced ("{url}" too).
    moment_url: str | None = None

    @model_validator(mode="after")
    def _cues_fit(self) -> Video:
        if self.cues is None:
            return self
        from .timing import check_cues

        check_cues(self.cues, self.transcript)
        return self

    @field_validator("moment_url")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None and "{seconds}" not in value:
            raise ValueError("moment_url must contain {seconds} (e.g. \"{url}#t={seconds}\")")
        return value

    @field_validator("url", "title", "channel", "description", "transcript")
    @classmethod
    def _normalized(cls, value: str | None) -> str | None:
        """Every source, plugins included, hands its text through here: no control or invisible
        format characters get past a Video (see postgen.untrusted)."""
        return normalize(value) if value else value


class Framework(_Model):
    """A copywriting framework: the voice, its beats in order, and offline templates."""

    name: str  # key, e.g. "hormozi"
    label: str  # e.g. "Hormozi"
    emoji: str = ""
    description: str = ""
    beats: list[str] = Field(default_factory=list)
    dos: list[str] = Field(default_factory=list)
    donts: list[str] = Field(default_factory=list)
    # Offline generator templates, keyed by platform name or "default".
    templates: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_fits_a_post_id(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_.:-]+", value):
            raise ValueError(f"framework name {value!r} must be letters, digits, '_', '.', ':' or '-' "
                             "(it becomes part of post ids such as x-<name>)")
        return value


class Fact(_Model):
    """A claim the posts may make, with the words from the source that support it, and the
    second of the video where those words start (found in the timed transcript, never guessed)."""

    claim: str
    evidence: str
    at: int | None = None


class Brief(_Model):
    """What the video teaches, read once from the whole source."""

    teaches: str
    key_points: list[str] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    audience: str = ""
    # The source's own words behind each key point, when the generator quoted them (a model's key
    # points are paraphrases); the offline generator's key points are the source's words already.
    key_point_evidence: list[str] = Field(default_factory=list)
    # The second where each key point's evidence starts, in key_points' order (None: not found).
    key_point_at: list[int | None] = Field(default_factory=list)

    def item(self, label: str) -> tuple[str, str, int | None] | None:
        """("key point 2" | "fact 1") -> (its text, its evidence, its second), None if no such item."""
        m = re.fullmatch(r"\s*(key ?point|fact)\s*#?\s*(\d+)\s*", label or "", re.I)
        if not m:
            return None
        n = int(m.group(2)) - 1
        if m.group(1).lower().startswith("key"):
            if not 0 <= n < len(self.key_points):
                return None
            evidence = self.key_point_evidence[n] if n < len(self.key_point_evidence) else self.key_points[n]
            at = self.key_point_at[n] if n < len(self.key_point_at) else None
            return self.key_points[n], evidence or self.key_points[n], at
        if not 0 <= n < len(self.facts):
            return None
        fact = self.facts[n]
        return fact.claim, fact.evidence, fact.at

    def labels(self) -> list[str]:
        """Every item's label, key points first, in order."""
        return [f"key point {i}" for i in range(1, len(self.key_points) + 1)] + [f"fact {i}" for i in range(1, len(self.facts) + 1)]


class Problem(_Model):
    """One thing wrong with a post. Errors block publishing; warnings do not."""

    severity: Literal["error", "warning"]
    code: str
    message: str


class Moment(_Model):
    """Where in the video a post's main point is said, and how postgen knows. `at` is None when
    the post links to the start (the point's words are not in the timed transcript, or the
    source has none)."""

    at: int | None = None  # seconds from the start
    item: str | None = None  # the brief item behind the post: "key point 2", "fact 1"
    why: str = ""


class Media(_Model):
    """A picture attached to a post, and (the ledger's) what became of its upload.

    `state`: pending (not uploaded yet), uploading (the intent: an upload may be under way),
    uploaded (`remote_id` is the platform's media id, usable until `expires_at`), failed (the
    post goes, or went, without it: `error` says why)."""

    kind: Literal["thumbnail"] = "thumbnail"
    sources: list[str]  # where the bytes come from, best first (see Video.thumbnails)
    alt: str  # alt text, from the video's title
    state: Literal["pending", "uploading", "uploaded", "failed"] = "pending"
    remote_id: str | None = None
    expires_at: datetime | None = None
    attempts: int = 0
    error: str | None = None
    error_kind: str | None = None  # the failed upload's PublishError kind ("load": the picture could not be read)
    note: str | None = None  # what a person should know about an upload that worked (alt text refused)


class PostState(str, enum.Enum):
    draft = "draft"
    ready = "ready"
    publishing = "publishing"
    published = "published"
    failed = "failed"


class FollowUp(_Model):
    """Something posted after the main post: the link comment, a reply, a thread part."""

    kind: str  # "first_comment", "reply", "thread"
    remote_id: str | None = None
    url: str | None = None
    # "skipped": a person settled a failed one as left out (`--resolve POST --follow-up skip`)
    state: Literal["publishing", "published", "failed", "skipped"] = "published"
    error: str | None = None
    error_kind: str | None = None  # a failed one's PublishError kind: tells the ledger whether a retry is safe
    at: datetime | None = None


class Publication(_Model):
    """Where a post landed. `data` holds what a connector needs later and the fields above do not
    name (a Bluesky post's `cid`, the parent of its link reply): JSON values only, saved in the run
    file and handed back to `publish_follow_up`."""

    remote_id: str
    url: str | None = None
    published_at: datetime | None = None
    follow_ups: list[FollowUp] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)  # e.g. the platform stored other text than was sent
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("data")
    @classmethod
    def _data_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        import json

        try:  # refused here, where the connector returns it, not later when the run file is saved
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Publication.data must hold JSON values only (str, int, float, bool, None, list, dict): {exc}") from None
        return value


class Reading(_Model):
    """A post's engagement at one age, as its platform reported it (`postgen metrics`).

    `age` is the bucket it answers ("24h", "72h", "7d" from `[metrics] ages`); `at` is when it was
    taken, so the exact age is `at - published_at`. `counts` keeps the platform's own numbers by
    their own names (X `like_count`, Reddit `score`...); `engagements` is their sum as the
    connector defines it and `impressions` is set only where the platform reports views.
    """

    age: str
    at: datetime
    engagements: int = 0
    impressions: int | None = None
    counts: dict[str, float] = Field(default_factory=dict)
    deleted: bool = False  # the post is gone (deleted or removed): no later reading is asked for


class Post(_Model):
    """One post for one platform in one framework. Its id is `<platform>-<framework>`.

    `title` and `body` are the parts a person edits in the run file; everything else is state.
    """

    id: str
    platform: str
    framework: str
    title: str | None = None
    body: str = ""
    link_policy: LinkPolicy = "first_comment"
    link: str | None = None
    state: PostState = PostState.draft
    problems: list[Problem] = Field(default_factory=list)
    scheduled_at: datetime | None = None
    approved: bool = False
    attempts: int = 0
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    publication: Publication | None = None
    repairs: int = 0  # generator repair rounds it took
    deferred_until: datetime | None = None  # rate limited: not before this time
    follow_up_pending: bool = False  # published, its link follow-up not yet attempted
    sent_digest: str | None = None  # fingerprint of what the last publish attempt sent (the ledger's)
    ledger_seq: int = 0  # the journal line (per-post sequence) these ledger fields reflect
    usage: Usage | None = None  # tokens its draft and repair calls spent (None: no metered calls)
    # The text as the generator wrote it (title, blank line, body), kept so that a person's edits
    # before it went out become before/after style examples. Not the live text: that is the fence.
    generated: str | None = None
    metrics: list[Reading] = Field(default_factory=list)  # engagement readings, one per age bucket
    moment: Moment | None = None  # where `link` opens the video, and why
    media: Media | None = None  # the picture posted with it

    @staticmethod
    def make_id(platform: str, framework: str) -> str:
        return f"{platform}-{framework}"

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]


class Usage(_Model):
    """Tokens spent, per call and summed per run."""

    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cost_usd=round(self.cost_usd + other.cost_usd, 6),
        )


class Run(_Model):
    """One video turned into posts. Its id, `<date>-<video id>`, is also its file name."""

    id: str
    created: datetime = Field(default_factory=utcnow)
    video: Video
    brief: Brief | None = None
    posts: list[Post] = Field(default_factory=list)
    generator: str = ""
    model: str | None = None
    prompt_version: str = ""
    source_hash: str = ""
    usage: Usage = Field(default_factory=Usage)
    warnings: list[str] = Field(default_factory=list)
    # Sentences of the transcript (which is not stored) that back the posts' claims, kept at
    # generation so a later `postgen validate` reaches the same verdicts (postgen.grounding).
    backing: list[str] = Field(default_factory=list)
    imported_from: str | None = None
    # Section headings of the frameworks used ("hormozi": "🔥 HORMOZI"), so the file renders the
    # same later even where a user framework from `frameworks_dir` is not loaded.
    headings: dict[str, str] = Field(default_factory=dict)

    @staticmethod
    def make_id(video_id: str, when: datetime | None = None) -> str:
        return f"{(when or utcnow()).date().isoformat()}-{video_id}"

    def post(self, post_id: str) -> Post:
        for post in self.posts:
            if post.id == post_id:
                return post
        raise KeyError(post_id)
