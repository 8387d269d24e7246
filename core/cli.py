"""The `postgen` command line: the group, lazy built-in commands, and honest exits.

Built-in commands load lazily. `BUILTIN_COMMANDS` names each one, the module that registers it
(a plugin in `postgen.plugins.DEFAULT_PLUGINS`, through `postgen_register_commands`) and its
short help, so `postgen --help` lists them without importing a command module, a plugin, pydantic
or pluggy; a command's module is imported when that command runs. **Adding a built-in command is
one line in `BUILTIN_COMMANDS`** (a new module also goes in DEFAULT_PLUGINS);
tests/test_cli_start.py fails when the table and the modules disagree, short help included.

External plugins' commands still come from the `postgen_register_commands` hook. The plugin
manager is built only when it is needed: a `postgen` entry point is installed and selected
(POSTGEN_LOAD_PLUGINS), a plugin manager already exists or DEFAULT_PLUGINS was changed (tests,
embedding), or POSTGEN_TRACE_PLUGINS is set. The shipped plugins outside `postgen.commands` add
no commands (a test checks). A clash with any command, built-in or not, is an error naming both.

Exit codes: 0 ok, 1 problems found, 2 usage or input error (bad arguments, config, run file, a
file that cannot be written), 3 some posts deferred (see publish), 130 interrupted (Ctrl-C).
A closed pipe (`postgen status | head -1`) is not an error: the rest of the output goes nowhere
and the command finishes with its own exit code.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
from pathlib import Path
from typing import Any

import click

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

# name: (module that registers it, its short help as `postgen --help` shows it)
BUILTIN_COMMANDS: dict[str, tuple[str, str]] = {
    "approve": ("postgen.commands.publish", "Mark posts approved for publishing (all the run's unpublished posts when none are named)."),
    "doctor": ("postgen.commands.check", "Config and credentials of each enabled platform, with a live identity call where keys exist."),
    "extend": ("postgen.commands.extend", "Add the posts of a newly enabled platform to an existing run (RUN: id, file or 'latest')."),
    "frameworks": ("postgen.commands.generate", "List the copywriting frameworks: built-in, from plugins, and from `frameworks_dir`."),
    "import": ("postgen.commands.core", "Import a run file in the old seed layout (no state block) into runs/."),
    "init": ("postgen.commands.core", "Write a commented postgen.toml to start from (it works as written: no keys, no network)."),
    "metrics": ("postgen.commands.insights", "Read the engagement of published posts at the ages in [metrics] ages (24h, 72h, 7d)."),
    "next": ("postgen.commands.select", "Show the video `postgen run` would pick next and why (nothing is generated)."),
    "pending": ("postgen.commands.publish", "How many posts `publish --due` would send now, and how many wait for a slot."),
    "plugin": ("postgen.commands.plugin", "Write plugins: 'postgen plugin new NAME' starts a connector package (docs/plugins.md)."),
    "plugins": ("postgen.commands.core", "List every plugin: its package, version, hooks, and what it provides."),
    "publish": ("postgen.commands.publish", "Publish a run's posts, each at most once (RUN: id, file, path or 'latest')."),
    "reconcile": ("postgen.commands.ci", "Apply a ledger record saved by a CI job whose pushes failed (FOLDER: the artifact)."),
    "report": ("postgen.commands.insights", "Which copywriting framework engages best, per platform, and how sure that is."),
    "review": ("postgen.commands.review", "Review a run in the browser: each post as its platform will show it, with its problems, slot and estimated cost; edit, approve or move a post in place (RUN: id, file, path or 'latest')."),
    "run": ("postgen.commands.generate", "Pick a video, write its brief and one post per platform x framework, validate, save to runs/."),
    "show": ("postgen.commands.core", "A run as a person reads it: each post's state, slot, length, problems and text."),
    "status": ("postgen.commands.core", "Every run and the state of each of its posts (and of their follow-ups)."),
    "validate": ("postgen.commands.check", "Check every post of RUN (id, file or 'latest') against its platform's rules and the lints."),
}


class AppContext:
    """What every command shares: the config path, loaded on first use."""

    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._config = None

    @property
    def config(self):  # -> postgen.config.Config
        if self._config is None:
            from .config import load_config

            self._config = load_config(self.config_path)
        return self._config

    @property
    def runs_path(self) -> Path:
        """Where the runs are, for commands that need nothing else of the config (`status`):
        only `runs_dir` is read, so listing runs does not pay for validating the whole file with
        pydantic. Anything the quick read cannot use takes the full way, errors included."""
        if self._config is None:
            quick = _quick_runs_path(self.config_path)
            if quick is not None:
                return quick
        return self.config.runs_path


def _quick_runs_path(config_path: str | None) -> Path | None:
    """`runs_dir` as postgen.config resolves it (relative to the config file's folder), or None."""
    import tomllib

    file = Path(config_path) if config_path is not None else Path.cwd() / "postgen.toml"
    if not file.is_file():
        return None if config_path is not None else Path.cwd() / "runs"  # built-in defaults
    try:
        runs_dir = tomllib.loads(file.read_text(encoding="utf-8")).get("runs_dir", "runs")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(runs_dir, str):
        return None
    path = Path(runs_dir).expanduser()
    return path if path.is_absolute() else file.resolve().parent / path


pass_app = click.make_pass_decorator(AppContext)


class PostgenError(click.ClickException):
    """A known failure (bad config, corrupt run file, lock held...): message and exit code 2."""

    exit_code = EXIT_INPUT


class _CommandClash(Exception):
    def __init__(self, name: str):
        self.name = name


# --------------------------------------------------------------------------- messages


def shorten(text: str, limit: int = 80) -> str:
    """`text` if short, else its head and tail around '…'."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    return f"{text[:head]}…{text[-(limit - head - 1):]}"


def _shorten_args(message: str, args: list[str], limit: int = 80) -> str:
    """The message with every long command-line argument in it (quoted or as typed) shortened and
    its length said, so an error stays one readable line (a 100 KB argument was echoed whole)."""
    for arg in sorted((a for a in args if len(a) > limit), key=len, reverse=True):
        note = f" ({len(arg):,} characters)"
        message = message.replace(repr(arg), repr(shorten(arg, limit)) + note).replace(arg, shorten(arg, limit) + note)
    return shorten(message, 2000)


_OS_HINTS = {
    errno.EROFS: "the file system is read-only",
    errno.ENOSPC: "no space left on the device: free some and run again",
    errno.EDQUOT: "disk quota exceeded: free some space and run again",
    errno.EACCES: "permission denied: check the file's and its folder's permissions",
    errno.EPERM: "not permitted: the file may be immutable (lsattr) or owned by someone else",
}


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError that names the file and says what to do."""
    from .runfile import NotWritten

    where = exc.filename if exc.filename is not None else "(no file named)"
    reason = _OS_HINTS.get(exc.errno) or exc.strerror or str(exc)
    if isinstance(exc, NotWritten):
        return f"{where}: cannot write it: {reason}; nothing was written (the file, if there was one, is unchanged)"
    return f"{where}: {reason}"


# --------------------------------------------------------------------------- the group


class PostgenGroup(click.Group):
    """A click group whose built-in commands load on first use, which refuses a command name
    given twice, and which maps every ending to an honest exit code (see the module docstring).
    All it prints passes the redactor, for in-process callers (CliRunner) too."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(BUILTIN_COMMANDS)
        self.registering: str | None = None  # the plugin whose postgen_register_commands is running

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        owner = self.lazy.get(name, (None,))[0]
        taken = name in self.commands and self.commands[name] is not cmd
        if taken or (owner is not None and self.registering != owner):  # one would silently replace the other
            raise _CommandClash(name)
        super().add_command(cmd, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(self.lazy))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.load_builtin(self.lazy[cmd_name][0])
        return self.commands.get(cmd_name)

    def load_builtin(self, module_path: str) -> None:
        """Import one built-in command module and let it register its commands."""
        import importlib

        module = importlib.import_module(module_path)
        self.registering = module_path
        try:
            module.postgen_register_commands(cli=self)
        finally:
            self.registering = None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the table, without importing a built-in command's module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            cmd = self.commands.get(name) or click.Command(name, help=self.lazy[name][1])
            if not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _known_errors() as exc:
            raise PostgenError(str(exc)) from exc

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):  # noqa: ANN001
        """Click's main with postgen's endings: Ctrl-C is 130, an OS error is one line naming the
        file, long arguments are shortened in messages."""
        from .redact import redacting_output

        with redacting_output():  # everything a command prints, in-process callers (CliRunner) included
            if not standalone_mode:
                return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            self._main(args, prog_name, complete_var, **extra)

    def _main(self, args, prog_name, complete_var, **extra) -> None:  # noqa: ANN001
        argv = list(sys.argv[1:] if args is None else args)
        try:
            rv = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.message = _shorten_args(exc.message, argv)
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort as exc:
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                _interrupted()
            click.echo("Aborted!", err=True)
            sys.exit(EXIT_PROBLEMS)
        except KeyboardInterrupt:
            _interrupted()
        except OSError as exc:
            click.echo(f"Error: {_shorten_args(describe_os_error(exc), argv)}", err=True)
            sys.exit(EXIT_INPUT)
        sys.exit(rv if isinstance(rv, int) else EXIT_OK)  # an int is a ctx.exit(code); commands return None


def _interrupted() -> None:
    click.echo("Interrupted: stopped (files are written whole or not at all).", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _known_errors() -> tuple[type[BaseException], ...]:
    from .config import ConfigError
    from .connector import PublishError
    from .generator import GeneratorError
    from .plugins import PluginError
    from .runfile import RunFileError, RunLocked
    from .source import SourceError

    return (ConfigError, PluginError, RunFileError, RunLocked, SourceError, GeneratorError, PublishError)


HELP = """Turn a video into a week of social posts, and publish them safely.

\b
Start:   postgen run --dry-run            # pick a video, write runs/<date>-<id>.md
Review:  postgen show latest              # edit the file by hand if you like
Edit:    postgen review latest            # or in the browser: each post as it will appear
Check:   postgen validate latest
Preview: postgen publish latest --dry-run  # exactly what would be sent
"""


def _plugin_commands_wanted() -> bool:
    """Whether any plugin beyond the built-ins may add commands (or tracing wants the hook shown)."""
    if os.environ.get("POSTGEN_TRACE_PLUGINS", "") not in ("", "0"):
        return True
    plugins = sys.modules.get("postgen.plugins")  # not imported yet: nobody changed DEFAULT_PLUGINS
    if plugins is not None and (plugins.has_plugin_manager() or plugins.DEFAULT_PLUGINS != plugins.SHIPPED_PLUGINS):
        return True
    if os.environ.get("POSTGEN_LOAD_PLUGINS") == "":
        return False
    from .plugins import selected_entry_points

    return bool(selected_entry_points())


def make_cli() -> click.Group:
    """A fresh `postgen` group: built-in commands (lazy) and every plugin's commands."""

    @click.group(cls=PostgenGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="postgen")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="POSTGEN_CONFIG",
                  help="Config file (default: ./postgen.toml, else built-in defaults).")
    @click.pass_context
    def cli(ctx: click.Context, config_path: str | None) -> None:
        ctx.obj = AppContext(config_path)

    if _plugin_commands_wanted():
        _add_plugin_commands(cli)
    return cli


def _add_plugin_commands(cli: PostgenGroup) -> None:
    from .plugins import PluginError, each_impl

    owners = {name: module for name, (module, _help) in cli.lazy.items()}
    for plugin_name, call in each_impl("postgen_register_commands"):  # built-ins first (already imported)
        cli.registering = plugin_name
        try:
            call(cli=cli)
        except _CommandClash as clash:
            raise PluginError(
                f"two plugins add a command named {clash.name!r}: {owners.get(clash.name, '?')!r} and {plugin_name!r}; "
                "uninstall one or limit plugins with POSTGEN_LOAD_PLUGINS"
            ) from None
        except Exception as exc:
            raise PluginError(f"plugin {plugin_name!r} failed in postgen_register_commands: {type(exc).__name__}: {exc}") from exc
        finally:
            cli.registering = None
        for name in cli.commands:
            owners.setdefault(name, plugin_name)


class _QuietPipe:
    """stdout or stderr that treats a closed pipe (`postgen status | head -1`) as "nobody is
    reading any more": the rest goes to /dev/null and the command finishes with its own exit code,
    instead of exit 1 and a traceback halfway through (a run or a publish pass would stop)."""

    def __init__(self, stream: Any):
        self._stream = stream

    def _discard(self) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._stream.fileno())  # the buffered rest, and all later output
        finally:
            os.close(devnull)

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._discard()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    from .redact import redact_process_output

    for name in ("stdout", "stderr"):  # innermost: the real stream's closed pipe is caught under the redactor
        stream = getattr(sys, name)
        if stream is not None and not isinstance(stream, _QuietPipe):
            setattr(sys, name, _QuietPipe(stream))
    redact_process_output()  # for good: a traceback is printed after main() has returned
    try:
        try:
            cli = make_cli()
        except Exception as exc:
            from .plugins import PluginError

            if not isinstance(exc, PluginError):
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(EXIT_INPUT)
        cli.main(args=argv, prog_name="postgen")
    except KeyboardInterrupt:  # before the group's own handling (imports, plugin loading)
        click.echo("Interrupted.", err=True)
        _exit_now(EXIT_INTERRUPTED)
    except SystemExit as exc:
        if exc.code == EXIT_INTERRUPTED:
            _exit_now(EXIT_INTERRUPTED)
        raise


def _exit_now(code: int) -> None:
    """Exit at once even while worker threads still wait on network calls (the interpreter would
    join them first). The main thread has unwound, so every file write has finished or been undone."""
    if threading.active_count() > 1:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - exiting anyway
                pass
        os._exit(code)
    sys.exit(code)
