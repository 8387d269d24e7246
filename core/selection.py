"""Choose the next video. Filled in by the sources issue."""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import Video


@dataclass
class Selected:
    video: Video
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


def choose(config, video: str | None = None) -> Selected:
    """Pick the video for a run: `video` (URL/id) overrides; else the configured sources and policy."""
    raise NotImplementedError
