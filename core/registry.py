"""Registries of what plugins provide: sources, generators, frameworks, connectors.

The registry, not the plugin, owns names: two plugins registering the same name is an error
that names both, instead of one silently winning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .plugins import PluginError, each_impl

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    name: str
    item: T
    plugin: str


class Registry(Generic[T]):
    """Items of one kind, by name, each remembering the plugin that registered it."""

    def __init__(self, kind: str, hook: str):
        self.kind = kind
        self.hook = hook
        self._entries: dict[str, Entry[T]] | None = None

    def _load(self) -> dict[str, Entry[T]]:
        if self._entries is None:
            entries: dict[str, Entry[T]] = {}
            for plugin_name, call in each_impl(self.hook):
                try:
                    call(register=_Collector(self, entries, plugin_name))
                except PluginError:
                    raise
                except Exception as exc:  # a broken plugin names itself instead of a traceback
                    raise PluginError(
                        f"plugin {plugin_name!r} failed in {self.hook}: {type(exc).__name__}: {exc} "
                        "(fix or uninstall it, or leave it out with POSTGEN_LOAD_PLUGINS)"
                    ) from exc
            self._entries = entries
        return self._entries

    def entries(self) -> list[Entry[T]]:
        return list(self._load().values())

    def names(self) -> list[str]:
        return list(self._load())

    def get(self, name: str) -> T:
        entries = self._load()
        if name not in entries:
            known = ", ".join(sorted(entries)) or "none"
            raise KeyError(f"no {self.kind} named {name!r} (known: {known})")
        return entries[name].item

    def __contains__(self, name: object) -> bool:
        return name in self._load()

    def reset(self) -> None:
        self._entries = None


class _Collector:
    """The `register` callable handed to a plugin; knows which plugin is calling via call_each."""

    def __init__(self, registry: Registry[Any], entries: dict[str, Entry[Any]], plugin: str):
        self.registry = registry
        self.entries = entries
        self.plugin = plugin

    def __call__(self, item: Any) -> None:
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{self.registry.kind} {item!r} from plugin {self.plugin!r} has no name")
        if name in self.entries:
            first = self.entries[name].plugin
            raise PluginError(
                f"two plugins register a {self.registry.kind} named {name!r}: "
                f"{first!r} and {self.plugin!r}; uninstall one or limit plugins with POSTGEN_LOAD_PLUGINS"
            )
        self.entries[name] = Entry(name, item, self.plugin)
        _register_secrets(item)


def _register_secrets(item: Any) -> None:
    """A connector's `credentials`, a generator's or a source's `needs`: their values are
    redacted from everything postgen prints or saves, whatever the variables are called."""
    from .redact import register_secret_names

    for attribute in ("credentials", "needs"):
        names = getattr(item, attribute, ())
        if isinstance(names, (tuple, list, set, frozenset)):
            register_secret_names(n for n in names if isinstance(n, str))


sources: Registry[Any] = Registry("source", "postgen_register_sources")
generators: Registry[Any] = Registry("generator", "postgen_register_generators")
frameworks: Registry[Any] = Registry("framework", "postgen_register_frameworks")
connectors: Registry[Any] = Registry("connector", "postgen_register_connectors")
ALL = (sources, generators, frameworks, connectors)


def reset() -> None:
    for registry in ALL:
        registry.reset()
