"""The contract a text generator fulfils: write a brief, draft a post, repair a draft."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from .models import Brief, Framework, LinkPolicy, Problem, Usage, Video


@dataclass(frozen=True)
class StyleExample:
    """A past post the generator may learn a platform's taste from (`[generator] frameworks =
    "adaptive"`): one that did well, or one a person edited before it went out."""

    platform: str
    framework: str
    text: str  # what went out (title, blank line, body)
    lift: float | None = None  # how it did against its run's other posts on the platform
    before: str | None = None  # the generator's text, when a person edited it before it went out


@dataclass
class DraftRequest:
    """Everything one draft call needs. Shared parts come first in prompts (cacheable prefix)."""

    platform: str
    platform_style: str
    framework: Framework
    brief: Brief
    video: Video  # the transcript is NOT sent again with drafts: the brief stands for it
    link_policy: LinkPolicy
    has_title: bool = False
    previous: Draft | None = None  # set when repairing
    problems: list[Problem] = field(default_factory=list)  # what to fix in `previous`
    library: list[Framework] = field(default_factory=list)  # every framework of the run (shared prompt prefix)
    measure: Callable[[str], int] = len  # the platform's own length count (the connector's `measure`)
    limit: int | None = None  # the most `measure` may say (the connector's `limit`), None if unknown
    # The same for every draft of a run, so it belongs in the prompt's shared, cacheable prefix.
    examples: list[StyleExample] = field(default_factory=list)
    # Set when the run is stopping (a run-wide error in another draft, Ctrl-C): send no further request.
    cancelled: threading.Event = field(default_factory=threading.Event)


@dataclass
class Draft:
    body: str
    title: str | None = None
    usage: Usage = field(default_factory=Usage)
    # The brief item the post is mainly about ("key point 2", "fact 1"), when the generator knows:
    # the post's link opens the video where that item is said (postgen.moments).
    main_point: str | None = None


class GeneratorError(Exception):
    """A generator call failed in a way the user must act on (auth, quota, refusal...)."""


class PostGenerationError(GeneratorError):
    """A failure limited to one post (refusal, length cut-off, rate limit after retries):
    that post is saved `failed` with the message, the rest of the run goes on.
    `usage` is what the failed call was billed, when the service said (a refusal still costs)."""

    def __init__(self, message: str = "", usage: Usage | None = None):
        super().__init__(message)
        self.usage = usage


class Cancelled(GeneratorError):
    """The run is stopping: this call was not sent. The error that stopped the run is the one reported."""


class Generator:
    """Base class for generators. `name` is what `[generator] name = ...` selects."""

    name: ClassVar[str] = ""
    needs: ClassVar[tuple[str, ...]] = ()  # env vars it needs to be usable
    credentials: ClassVar[tuple[str, ...]] = ()  # env vars whose values are secrets (redacted everywhere)
    prompt_version: ClassVar[str] = "1"

    def __init__(self, settings: Any = None):
        self.settings = settings

    @property
    def model(self) -> str | None:
        return None

    def brief(self, video: Video) -> tuple[Brief, Usage]:
        raise NotImplementedError

    def draft(self, request: DraftRequest) -> Draft:
        raise NotImplementedError
