"""postgen: turn a video into a week of social posts and publish them safely.

The public API is small: `hookimpl` for plugins, the models, and the base classes a plugin
subclasses (`Connector`, `Generator`, `Source`).
"""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

hookimpl = pluggy.HookimplMarker("postgen")

from .connector import Connector, ConnectorOptions, Engagement, Health, Preview, PublishError  # noqa: E402
from .generator import Draft, DraftRequest, Generator, GeneratorError, StyleExample  # noqa: E402
from .models import (  # noqa: E402
    Brief,
    Fact,
    FollowUp,
    Framework,
    Post,
    PostState,
    Problem,
    Publication,
    Reading,
    Run,
    Usage,
    Video,
)
from .source import Candidate, Source, SourceError  # noqa: E402

__all__ = [
    "__version__",
    "hookimpl",
    "Brief",
    "Candidate",
    "Connector",
    "ConnectorOptions",
    "Draft",
    "DraftRequest",
    "Engagement",
    "Fact",
    "FollowUp",
    "Framework",
    "Generator",
    "GeneratorError",
    "Health",
    "Post",
    "PostState",
    "Preview",
    "Problem",
    "Publication",
    "PublishError",
    "Reading",
    "Run",
    "Source",
    "SourceError",
    "StyleExample",
    "Usage",
    "Video",
]
