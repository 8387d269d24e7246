"""The hooks a postgen plugin can implement.

Every hook is prefixed `postgen_`, so a misspelt one is caught by `check_pending()` at start-up.
The `register_*` hooks follow the register style: the plugin calls `register(thing)` once per
thing it provides; the registry records which plugin gave it and refuses name clashes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import click

    from .connector import Connector
    from .events import Event
    from .generator import Generator
    from .models import Framework
    from .source import Source

hookspec = pluggy.HookspecMarker("postgen")


@hookspec
def postgen_register_sources(register: Callable[[type[Source]], None]) -> None:
    """Register video sources: call ``register(SourceClass)`` for each.

    A source class has a unique ``name`` (the ``type`` used in ``[[sources]]`` of postgen.toml)
    and turns its config entry into candidate videos.
    """


@hookspec
def postgen_register_generators(register: Callable[[type[Generator]], None]) -> None:
    """Register text generators: call ``register(GeneratorClass)`` for each.

    A generator writes the brief of a video and drafts (and repairs) posts; ``offline`` and
    ``openai`` are built in.
    """


@hookspec
def postgen_register_frameworks(register: Callable[[Framework], None]) -> None:
    """Register copywriting frameworks: call ``register(Framework(...))`` for each.

    The built-in plugin loads the five data files in ``postgen/frameworks``.
    """


@hookspec
def postgen_register_connectors(register: Callable[[type[Connector]], None]) -> None:
    """Register platform connectors: call ``register(ConnectorClass)`` for each.

    A connector validates, previews and publishes posts for one platform; its ``name`` is the
    platform's key in postgen.toml and in post ids.
    """


@hookspec
def postgen_register_commands(cli: click.Group) -> None:
    """Add commands to the ``postgen`` command line: ``cli.add_command(...)`` or ``@cli.command()``."""


@hookspec
def postgen_event(event: Event) -> Any:
    """Be told what happened: a run saved, a post published, failed or deferred.

    Called for every event; the return value is ignored. Use it to notify (chat, e-mail, logs).
    An exception here is reported and never stops publishing.
    """
