"""postgen: turn a video into a week of social posts and publish them safely.

The public API is small: `hookimpl` for plugins, the models, and the base classes a plugin
subclasses (`Connector`, `Generator`, `Source`).

Names load on first use (PEP 562): `postgen --help` must not pay for pluggy and pydantic, and
`from postgen import Post` still works as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "connector": ("Connector", "ConnectorOptions", "Engagement", "Health", "Preview", "PublishError"),
    "generator": ("Draft", "DraftRequest", "Generator", "GeneratorError", "StyleExample"),
    "models": ("Brief", "Fact", "FollowUp", "Framework", "Post", "PostState", "Problem", "Publication", "Reading",
               "Run", "Usage", "Video"),
    "source": ("Candidate", "Source", "SourceError"),
}
_HOME = {name: module for module, names in _LAZY.items() for name in names}

if TYPE_CHECKING:  # pragma: no cover
    from .connector import Connector, ConnectorOptions, Engagement, Health, Preview, PublishError  # noqa: F401
    from .generator import Draft, DraftRequest, Generator, GeneratorError, StyleExample  # noqa: F401
    from .models import (  # noqa: F401
        Brief, Fact, FollowUp, Framework, Post, PostState, Problem, Publication, Reading, Run, Usage, Video,
    )
    from .source import Candidate, Source, SourceError  # noqa: F401

    hookimpl: Any


def __getattr__(name: str) -> Any:
    if name == "hookimpl":  # one marker object for every plugin, made on first use
        import pluggy

        globals()["hookimpl"] = marker = pluggy.HookimplMarker("postgen")
        return marker
    if name in _HOME:
        import importlib

        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'postgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = ["__version__", "hookimpl", *sorted(_HOME)]
