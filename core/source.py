"""The contract a video source fulfils: list candidate videos, then fetch the chosen one.

What a source reads is untrusted: a `Video` and a `Candidate` normalize their text on creation
(postgen.untrusted), so every source, plugins included, hands on text without control or
invisible format characters, with no code of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Iterable

from .models import Video
from .untrusted import normalize


@dataclass
class Candidate:
    """A video a source could offer, cheap to list (no transcript yet)."""

    video_id: str
    url: str
    title: str = ""
    published: datetime | None = None
    views: int | None = None
    position: int = 0  # order within its source (queue order)
    source: str = ""

    def __post_init__(self) -> None:
        # `postgen next` prints candidate titles: a feed's escape sequences never reach the terminal.
        self.title = " ".join(normalize(self.title).split())
        self.url = normalize(self.url).strip()


class SourceError(Exception):
    """A source could not be read; the message names the feed, file or video and what to do."""


class Source:
    """Base class for sources. `name` is the `type` of a `[[sources]]` entry in postgen.toml."""

    name: ClassVar[str] = ""

    def __init__(self, spec: dict[str, Any], base_dir: Any = "."):
        self.spec = spec
        self.base_dir = base_dir

    def candidates(self) -> Iterable[Candidate]:
        raise NotImplementedError

    def fetch(self, candidate: Candidate) -> Video:
        raise NotImplementedError
