"""Start-up: built-in commands are listed from a table without importing them, and the table is
true to the modules; external plugins' commands, clashes and errors behave as before.
(Timings are in bench/run.py; here, what start-up imports.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from postgen.cli import BUILTIN_COMMANDS, PostgenGroup, _CommandClash
from postgen.plugins import DEFAULT_PLUGINS

COMMANDS_DIR = Path(__file__).resolve().parent.parent / "core" / "commands"


def _registered_by(module_path: str) -> dict[str, click.Command]:
    import importlib

    group = click.Group()
    importlib.import_module(module_path).postgen_register_commands(cli=group)
    return dict(group.commands)


def test_every_builtin_command_module_is_a_default_plugin():
    modules = {f"postgen.commands.{p.stem}" for p in COMMANDS_DIR.glob("*.py") if p.stem != "__init__"}
    assert modules <= set(DEFAULT_PLUGINS)
    assert {module for module, _ in BUILTIN_COMMANDS.values()} <= modules


@pytest.mark.parametrize("module_path", sorted(m for m in DEFAULT_PLUGINS if m.startswith("postgen.commands.")))
def test_the_lazy_table_lists_exactly_each_modules_commands_with_their_help(module_path):
    """Adding a command to a module without its line in BUILTIN_COMMANDS (or the reverse) fails here."""
    commands = _registered_by(module_path)
    listed = {name for name, (module, _) in BUILTIN_COMMANDS.items() if module == module_path}
    assert listed == set(commands), f"BUILTIN_COMMANDS in postgen/cli.py is out of date for {module_path}"
    for name, command in commands.items():
        stub = click.Command(name, help=BUILTIN_COMMANDS[name][1])
        for limit in (30, 45, 80, 1000):  # what --help shows at any terminal width
            assert stub.get_short_help_str(limit) == command.get_short_help_str(limit), name


def test_no_other_shipped_plugin_adds_commands():
    """The lazy path loads no plugin to list commands: that is only right while the shipped
    plugins outside the command table add none."""
    import importlib

    table_modules = {module for module, _ in BUILTIN_COMMANDS.values()}
    for module_path in DEFAULT_PLUGINS:
        if module_path not in table_modules:
            assert not hasattr(importlib.import_module(module_path), "postgen_register_commands"), module_path


def test_a_plugin_added_to_default_plugins_still_adds_its_commands(tmp_path):
    """An embedding program (the workflow simulation does) may add a built-in plugin of its own."""
    (tmp_path / "extra_builtin.py").write_text(HELLO)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from postgen import plugins\n"
        "plugins.DEFAULT_PLUGINS = plugins.DEFAULT_PLUGINS + ('extra_builtin',)\n"
        "from postgen.cli import main\n"
        "main(['hello'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "POSTGEN_LOAD_PLUGINS": ""}, timeout=60)
    assert done.stdout == "hello from a plugin\n", done.stderr


def _imports_after(args: list[str], cwd: Path, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    code = (
        "import sys, json\n"
        "from postgen.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "print('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("POSTGEN_")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd,
                          env={**clean, **env}, timeout=60)
    modules = json.loads(done.stdout.rsplit("MODULES ", 1)[1])
    return done, modules


SLOW = ("pydantic", "pluggy", "rich", "yaml", "postgen.models", "postgen.config", "postgen.commands.core",
        "postgen.connectors", "postgen.plugins")


def test_help_lists_every_builtin_without_importing_commands_plugins_or_pydantic(tmp_path):
    done, modules = _imports_after(["--help"], tmp_path, POSTGEN_LOAD_PLUGINS="")
    assert done.returncode == 0, done.stderr
    for name, (_module, short) in BUILTIN_COMMANDS.items():
        assert f"  {name} " in done.stdout
    assert [m for m in modules if m.startswith(SLOW)] == []


def test_status_with_no_runs_imports_no_pydantic(tmp_path):
    (tmp_path / "postgen.toml").write_text(Path(__file__).resolve().parent.parent.joinpath("postgen.toml").read_text())
    done, modules = _imports_after(["status"], tmp_path, POSTGEN_LOAD_PLUGINS="")
    assert done.returncode == 0, done.stderr
    assert "no runs in" in done.stdout
    assert [m for m in modules if m.startswith(("pydantic", "postgen.models", "postgen.config", "postgen.connectors"))] == []


def test_no_plugin_manager_when_no_selected_plugin_is_installed(tmp_path):
    """Entry points are looked at (importlib.metadata) but none is selected: pluggy is not even imported."""
    done, modules = _imports_after(["--help"], tmp_path, POSTGEN_LOAD_PLUGINS="not-installed")
    assert done.returncode == 0, done.stderr
    assert "pluggy" not in modules and "postgen.connectors.x" not in modules


def _fake_distribution(root: Path, module: str, ep_name: str, source: str) -> None:
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[postgen]\n{ep_name} = {module}\n")


HELLO = '''
import click
from postgen import hookimpl

@click.command()
def hello():
    """Say hello from a plugin."""
    click.echo("hello from a plugin")

@hookimpl
def postgen_register_commands(cli):
    cli.add_command(hello)
'''


def test_an_installed_plugins_command_is_listed_and_runs(tmp_path):
    _fake_distribution(tmp_path, "hello_plugin", "hello", HELLO)
    env = {"PYTHONPATH": str(tmp_path), "POSTGEN_LOAD_PLUGINS": "hello"}
    done, _ = _imports_after(["--help"], tmp_path, **env)
    assert "  hello " in done.stdout and "Say hello from a plugin." in done.stdout
    done, _ = _imports_after(["hello"], tmp_path, **env)
    assert done.stdout.startswith("hello from a plugin")


def test_an_installed_plugin_taking_a_builtin_name_is_an_error_naming_both(tmp_path):
    _fake_distribution(tmp_path, "shadow_plugin", "shadow", HELLO.replace("@click.command()", "@click.command(name='show')"))
    done, _ = _imports_after(["--help"], tmp_path, PYTHONPATH=str(tmp_path), POSTGEN_LOAD_PLUGINS="shadow")
    assert "command named 'show': 'postgen.commands.core' and 'shadow'" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_broken_installed_plugin_is_one_clear_line(tmp_path):
    _fake_distribution(tmp_path, "broken_plugin", "broken", "raise RuntimeError('boom')\n")
    done, _ = _imports_after(["--help"], tmp_path, PYTHONPATH=str(tmp_path), POSTGEN_LOAD_PLUGINS="broken")
    assert done.stderr.strip().splitlines() == [
        "Error: plugin 'broken' (broken_plugin, package broken_plugin) failed to load: RuntimeError: boom. "
        "Fix or uninstall it, or leave it out with POSTGEN_LOAD_PLUGINS"
    ]


def test_a_builtin_name_is_reserved_before_its_module_loads():
    """A plugin adding `status` while the built-in is still only a table entry is a clash too."""
    group = PostgenGroup()
    group.registering = "someone"
    with pytest.raises(_CommandClash):
        group.add_command(click.Command("status"))
    group.registering = None
    group.get_command(click.Context(group), "status")  # the built-in loads under its own name
    assert group.commands["status"].callback.__module__ == "postgen.commands.core"


def test_tracing_still_shows_the_command_hook(tmp_path):
    done, _ = _imports_after(["--help"], tmp_path, POSTGEN_LOAD_PLUGINS="", POSTGEN_TRACE_PLUGINS="1")
    assert "postgen trace: postgen_register_commands(cli) -> postgen.commands.core" in done.stderr
