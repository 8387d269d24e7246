"""The plugin manager: built-ins first, then external plugins from the `postgen` entry points.

Built-ins are ordinary plugins listed in DEFAULT_PLUGINS, so the core treats a third-party
connector exactly like the shipped X connector. pluggy is imported when the manager is built:
the command line asks `selected_entry_points()` first and often needs no manager at all.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # pragma: no cover
    import pluggy

DEFAULT_PLUGINS: tuple[str, ...] = (
    "postgen.sources.youtube",
    "postgen.sources.feeds",
    "postgen.sources.queue",
    "postgen.sources.local",
    "postgen.generators.offline",
    "postgen.generators.openai",
    "postgen.frameworks",
    "postgen.connectors.x",
    "postgen.connectors.reddit",
    "postgen.connectors.linkedin",
    "postgen.commands.core",
    "postgen.commands.select",
    "postgen.commands.generate",
    "postgen.commands.check",
    "postgen.commands.publish",
    "postgen.commands.extend",
    "postgen.commands.plugin",
    "postgen.commands.ci",
    "postgen.commands.insights",
    "postgen.commands.review",
)
# What postgen ships. The command line lists the built-in commands without loading any plugin;
# when DEFAULT_PLUGINS has been changed (an embedding program, the workflow simulation), a plugin
# it added may add commands, so the plugin manager is built.
SHIPPED_PLUGINS: tuple[str, ...] = DEFAULT_PLUGINS

ENTRY_POINT_GROUP = "postgen"

_pm: pluggy.PluginManager | None = None


class PluginError(Exception):
    """A plugin could not be loaded or clashes with another."""


def _selected(name: str, dist_name: str | None) -> bool:
    wanted = os.environ.get("POSTGEN_LOAD_PLUGINS")
    if wanted is None:
        return True
    names = {n.strip() for n in wanted.split(",") if n.strip()}
    return name in names or (dist_name is not None and dist_name in names)


def selected_entry_points() -> list[tuple[Any, str | None]]:
    """The installed `postgen` entry points POSTGEN_LOAD_PLUGINS lets in, with their package names.
    Nothing is imported: the command line asks this to know whether to build the plugin manager."""
    if os.environ.get("POSTGEN_LOAD_PLUGINS") == "":
        return []
    found = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        dist_name = dist.metadata["Name"] if dist is not None else None
        if _selected(ep.name, dist_name):
            found.append((ep, dist_name))
    return found


def load_entry_point_plugins(pm: pluggy.PluginManager) -> None:
    """Load external plugins from the `postgen` entry-point group, honouring POSTGEN_LOAD_PLUGINS."""
    for ep, dist_name in selected_entry_points():
        dist = getattr(ep, "dist", None)
        if pm.has_plugin(ep.name):  # one would silently shadow the other
            raise PluginError(
                f"two plugins are named {ep.name!r}: {plugin_package(ep.name)!r} and {dist_name or ep.value!r}; "
                "uninstall one or limit plugins with POSTGEN_LOAD_PLUGINS"
            )
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {ep.name!r} ({ep.value}, package {dist_name or '?'}) failed to load: {type(exc).__name__}: {exc}. "
                "Fix or uninstall it, or leave it out with POSTGEN_LOAD_PLUGINS"
            ) from exc
        pm.register(plugin, name=ep.name)
        _VERSIONS[ep.name] = dist.version if dist is not None else "?"
        _PACKAGES[ep.name] = dist_name or "?"
        if _tracing():
            print(f"postgen trace: loaded plugin {ep.name!r} = {ep.value} from {dist_name} {_VERSIONS[ep.name]}",
                  file=sys.stderr)


_VERSIONS: dict[str, str] = {}
_PACKAGES: dict[str, str] = {}


def _tracing() -> bool:
    return os.environ.get("POSTGEN_TRACE_PLUGINS", "") not in ("", "0")


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    import pluggy

    from . import hookspecs

    pm = pluggy.PluginManager("postgen")
    pm.add_hookspecs(hookspecs)
    for module_path in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_path), name=module_path)
    if load_entry_points:
        load_entry_point_plugins(pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"{exc} (hook names start with 'postgen_'; see docs/plugins.md)") from exc
    if _tracing():
        _trace(pm)
    return pm


def _trace(pm: pluggy.PluginManager) -> None:
    """POSTGEN_TRACE_PLUGINS=1: one stderr line per hook call, naming the implementations in the
    order pluggy calls them (last registered first), and a line for any implementation that raised."""

    def before(hook_name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> None:
        names = ", ".join(impl.plugin_name for impl in reversed(impls)) or "(no implementations)"
        print(f"postgen trace: {hook_name}({', '.join(kwargs)}) -> {names}", file=sys.stderr)

    def after(outcome: Any, hook_name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> None:
        if outcome.exception is not None:
            exc = outcome.exception
            print(f"postgen trace: {hook_name} raised {type(exc).__name__}: {exc}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def has_plugin_manager() -> bool:
    """Whether the process-wide plugin manager exists already (without creating it)."""
    return _pm is not None


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, created on first use."""
    global _pm
    if _pm is None:
        _pm = make_plugin_manager()
    return _pm


def reset_plugin_manager() -> None:
    """Forget the plugin manager and registries (tests, and after installing a plugin)."""
    global _pm
    _pm = None
    from . import registry

    registry.reset()


def plugin_package(name: str) -> str:
    """The distribution a plugin came from: its package name, or "postgen" for built-ins."""
    return _PACKAGES.get(name, "postgen")


def plugin_version(name: str) -> str:
    if name in _VERSIONS:
        return _VERSIONS[name]
    from . import __version__

    return __version__


def each_impl(hook_name: str) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Yield (plugin name, caller) for one hook, plugin by plugin, in registration order.

    Going through a subset caller keeps tracing working while letting the caller know which
    plugin each result came from (for name-clash messages and error isolation).
    """
    pm = get_plugin_manager()
    caller = getattr(pm.hook, hook_name)
    impls = caller.get_hookimpls()
    if not impls and _tracing():  # nothing to call, so no call to trace: say so
        args = ", ".join(caller.spec.argnames) if caller.spec else ""
        print(f"postgen trace: {hook_name}({args}) -> (no implementations)", file=sys.stderr)
    all_plugins = [impl.plugin for impl in impls]
    for impl in impls:
        others = [p for p in all_plugins if p is not impl.plugin]
        yield impl.plugin_name, pm.subset_hook_caller(hook_name, remove_plugins=others)
