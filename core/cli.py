"""The `postgen` command line. Commands come from plugins (`postgen_register_commands`),
built-in ones included, so this module only builds the group and maps errors to exit codes.

Exit codes: 0 ok, 1 problems found, 2 usage or input error (3: some posts deferred, see publish).
"""

from __future__ import annotations

import sys

import click

from . import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_INPUT = 0, 1, 2


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


pass_app = click.make_pass_decorator(AppContext)


class PostgenError(click.ClickException):
    """A known failure (bad config, corrupt run file, lock held...): message and exit code 2."""

    exit_code = EXIT_INPUT


class _CommandClash(Exception):
    def __init__(self, name: str):
        self.name = name


class PostgenGroup(click.Group):
    def main(self, *args, **kwargs):
        from .redact import redacting_output

        with redacting_output():  # everything a command prints, in-process callers (CliRunner) included
            return super().main(*args, **kwargs)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name in self.commands and self.commands[name] is not cmd:  # one would silently replace the other
            raise _CommandClash(name)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except _known_errors() as exc:
            raise PostgenError(str(exc)) from exc


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
Check:   postgen validate latest
Preview: postgen publish latest --dry-run  # exactly what would be sent
"""


def make_cli() -> click.Group:
    """A fresh `postgen` group with every plugin's commands added."""

    @click.group(cls=PostgenGroup, help=HELP, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, prog_name="postgen")
    @click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="POSTGEN_CONFIG",
                  help="Config file (default: ./postgen.toml, else built-in defaults).")
    @click.pass_context
    def cli(ctx: click.Context, config_path: str | None) -> None:
        ctx.obj = AppContext(config_path)

    from .plugins import PluginError, each_impl

    owners: dict[str, str] = {}
    for plugin_name, call in each_impl("postgen_register_commands"):  # built-ins first
        try:
            call(cli=cli)
        except _CommandClash as clash:
            raise PluginError(
                f"two plugins add a command named {clash.name!r}: {owners.get(clash.name, '?')!r} and {plugin_name!r}; "
                "uninstall one or limit plugins with POSTGEN_LOAD_PLUGINS"
            ) from None
        except Exception as exc:
            raise PluginError(f"plugin {plugin_name!r} failed in postgen_register_commands: {type(exc).__name__}: {exc}") from exc
        for name in cli.commands:
            owners.setdefault(name, plugin_name)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    from .plugins import PluginError
    from .redact import redact_process_output

    redact_process_output()  # for good: a traceback is printed after main() has returned

    try:
        cli = make_cli()
    except PluginError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_INPUT)
    cli.main(args=argv, prog_name="postgen")

