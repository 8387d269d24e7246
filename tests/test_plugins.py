"""The plugin core: built-ins register first, throwaway and entry-point plugins are used,
misspelt hooks fail loudly, and registries refuse name clashes naming both plugins."""

from __future__ import annotations

import sys
import textwrap
import types

import pytest

from postgen import hookimpl, registry
from postgen.plugins import DEFAULT_PLUGINS, PluginError, get_plugin_manager, reset_plugin_manager


def test_builtins_are_plugins_registered_first():
    pm = get_plugin_manager()
    names = [name for name, _ in pm.list_name_plugin()]
    assert names[: len(DEFAULT_PLUGINS)] == list(DEFAULT_PLUGINS)
    assert registry.frameworks.names() == ["hormozi", "garyvee", "naval", "storytelling", "aida"]


def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attrs.items():
        setattr(module, key, value)
    return module


def test_throwaway_plugin_is_used(cli):
    from postgen.models import Framework

    @hookimpl
    def postgen_register_frameworks(register):
        register(Framework(name="pas", label="PAS", emoji="🧩", beats=["problem", "agitate", "solve"]))

    get_plugin_manager().register(_module("throwaway", postgen_register_frameworks=postgen_register_frameworks), name="throwaway")
    registry.reset()
    assert "pas" in registry.frameworks
    entry = next(e for e in registry.frameworks.entries() if e.name == "pas")
    assert entry.plugin == "throwaway"
    result = cli("plugins", "--json")
    assert '"throwaway"' in result.output and '"pas"' in result.output


def test_name_clash_names_both_plugins():
    from postgen.models import Framework

    @hookimpl
    def postgen_register_frameworks(register):
        register(Framework(name="naval", label="Fake Naval"))

    get_plugin_manager().register(_module("impostor", postgen_register_frameworks=postgen_register_frameworks), name="impostor")
    registry.reset()
    with pytest.raises(PluginError) as info:
        registry.frameworks.names()
    assert "'postgen.frameworks'" in str(info.value) and "'impostor'" in str(info.value)


def test_misspelt_hook_fails_loudly(tmp_path, monkeypatch):
    _fake_distribution(tmp_path, "typo_plugin", "typo", "from postgen import hookimpl\n\n@hookimpl\ndef postgen_register_conectors(register):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "typo")
    reset_plugin_manager()
    with pytest.raises(PluginError, match="postgen_register_conectors"):
        get_plugin_manager()


def _fake_distribution(root, module_name: str, ep_name: str, source: str) -> None:
    """A plugin 'installed' by writing its module and dist-info metadata: importlib.metadata finds it."""
    (root / f"{module_name}.py").write_text(source)
    info = root / f"{module_name.replace('_', '-')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module_name.replace('_', '-')}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[postgen]\n{ep_name} = {module_name}\n")


PLUGIN_SOURCE = textwrap.dedent(
    '''
    from postgen import hookimpl
    from postgen.models import Framework

    @hookimpl
    def postgen_register_frameworks(register):
        register(Framework(name="epfw", label="Entry Point Framework"))
    '''
)


def test_entry_point_plugins_load(tmp_path, monkeypatch, cli):
    _fake_distribution(tmp_path, "ep_plugin", "epplugin", PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("POSTGEN_LOAD_PLUGINS")
    reset_plugin_manager()
    assert "epfw" in registry.frameworks
    result = cli("plugins")
    assert "epplugin 1.2.3" in result.output
    sys.modules.pop("ep_plugin", None)


@pytest.mark.parametrize("setting, loaded", [("", False), ("epplugin", True), ("ep-plugin", True), ("other", False)])
def test_load_plugins_env_limits_external_plugins(tmp_path, monkeypatch, setting, loaded):
    _fake_distribution(tmp_path, "ep_plugin", "epplugin", PLUGIN_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", setting)
    reset_plugin_manager()
    assert ("epfw" in registry.frameworks) is loaded
    sys.modules.pop("ep_plugin", None)


def test_broken_external_plugin_names_itself(tmp_path, monkeypatch):
    _fake_distribution(tmp_path, "broken_plugin", "broken", "raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "broken")
    reset_plugin_manager()
    with pytest.raises(PluginError, match="'broken'.*boom.*leave it out with POSTGEN_LOAD_PLUGINS"):
        get_plugin_manager()


def test_event_hook_is_isolated_from_failing_plugins(capsys):
    from postgen.events import Event, fire

    seen = []

    @hookimpl
    def postgen_event(event):
        seen.append(event.kind)

    @hookimpl
    def postgen_event_bad(event):  # pragma: no cover - renamed below
        raise AssertionError

    def bad(event):
        raise RuntimeError("notifier down")

    bad_module = _module("bad_notifier", postgen_event=hookimpl(bad))
    pm = get_plugin_manager()
    pm.register(bad_module, name="bad_notifier")
    pm.register(_module("good_notifier", postgen_event=postgen_event), name="good_notifier")
    fire(Event("post_published", run_id="r", post_id="x-naval"))
    assert seen == ["post_published"]
    assert "bad_notifier" in capsys.readouterr().err


def test_two_packages_with_one_plugin_name_is_an_error_naming_both(tmp_path, monkeypatch):
    """The second package's plugin was skipped without a word: its connectors simply went missing."""
    for module, name in (("epone", "first-pkg"), ("eptwo", "second-pkg")):
        (tmp_path / f"{module}.py").write_text(PLUGIN_SOURCE.replace("epfw", module))
        info = tmp_path / f"{name.replace('-', '_')}-1.0.dist-info"  # the standard dist-info name
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[postgen]\nepplugin = {module}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("POSTGEN_LOAD_PLUGINS")
    reset_plugin_manager()
    with pytest.raises(PluginError, match="two plugins are named 'epplugin'") as info:
        get_plugin_manager()
    assert "first-pkg" in str(info.value) and "second-pkg" in str(info.value)
    sys.modules.pop("epone", None)
    sys.modules.pop("eptwo", None)


def test_a_plugin_failing_in_its_register_hook_names_itself(cli):
    """A connector plugin whose SDK is missing raised a bare traceback from every command."""

    @hookimpl
    def postgen_register_connectors(register):
        raise ModuleNotFoundError("No module named 'some_sdk'")

    get_plugin_manager().register(_module("sdkless", postgen_register_connectors=postgen_register_connectors), name="sdkless")
    registry.reset()
    with pytest.raises(PluginError, match="'sdkless' failed in postgen_register_connectors.*some_sdk"):
        registry.connectors.names()
    result = cli("plugins")
    assert result.exit_code == 2 and "'sdkless'" in result.output and "Traceback" not in result.output


def test_a_plugin_command_clashing_with_another_is_an_error_naming_both(cli):
    """A plugin's `status` was silently replaced by the built-in one (or the reverse)."""
    import click

    @click.command(name="status")
    def hijack():  # pragma: no cover - never runs
        pass

    @hookimpl
    def postgen_register_commands(cli):
        cli.add_command(hijack)

    get_plugin_manager().register(_module("hijacker", postgen_register_commands=postgen_register_commands), name="hijacker")
    with pytest.raises(PluginError, match="command named 'status': 'postgen.commands.core' and 'hijacker'"):
        cli("status")
