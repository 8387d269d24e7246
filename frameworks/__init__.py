"""The built-in frameworks plugin: one TOML data file per framework in this folder.

Users add frameworks by dropping a file of the same shape into the folder named by
`frameworks_dir` in postgen.toml (see `load_dir`), or from a plugin's
`postgen_register_frameworks` hook.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from postgen import hookimpl
from postgen.models import Framework

HERE = Path(__file__).parent
BUILTIN_ORDER = ("hormozi", "garyvee", "naval", "storytelling", "aida")


class FrameworkFileError(Exception):
    """A framework data file that is not valid TOML or misses a required key."""


def load_file(path: Path) -> Framework:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FrameworkFileError(f"{path}: not valid TOML: {exc}") from None
    data.setdefault("name", path.stem)
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise FrameworkFileError(f"{path}: '{key}': {first['msg']}") from None


def load_dir(folder: Path) -> list[Framework]:
    """Every `*.toml` framework in a folder, in file-name order."""
    return [load_file(p) for p in sorted(Path(folder).glob("*.toml"))]


def builtin_frameworks() -> list[Framework]:
    return [load_file(HERE / f"{name}.toml") for name in BUILTIN_ORDER]


@hookimpl
def postgen_register_frameworks(register: Callable[[Framework], None]) -> None:
    for framework in builtin_frameworks():
        register(framework)


def user_frameworks(config) -> list[Framework]:
    """The frameworks in the config's `frameworks_dir` (none when it is not set)."""
    if config is None or not config.frameworks_dir:
        return []
    folder = config.resolve(config.frameworks_dir)
    if not folder.is_dir():
        from postgen.config import ConfigError

        raise ConfigError(f"frameworks_dir {str(folder)!r} is not a folder: create it or fix 'frameworks_dir' in {config.path or 'postgen.toml'}")
    return load_dir(folder)


def available(config=None) -> dict[str, tuple[Framework, str]]:
    """Every framework by name with where it came from: plugins first, then `frameworks_dir`.

    A user file may not reuse a registered name: two frameworks called the same would make
    the run file's headings ambiguous.
    """
    from postgen.config import ConfigError
    from postgen.registry import frameworks

    found = {entry.name: (entry.item, entry.plugin) for entry in frameworks.entries()}
    try:
        extra = user_frameworks(config)
    except FrameworkFileError as exc:
        raise ConfigError(str(exc)) from None
    folder = config.resolve(config.frameworks_dir) if extra else None
    for fw in extra:
        origin = str(folder / f"{fw.name}.toml") if folder else "frameworks_dir"
        if fw.name in found:
            raise ConfigError(f"{origin}: a framework named {fw.name!r} already comes from {found[fw.name][1]!r}; rename it")
        found[fw.name] = (fw, origin)
    return found


def selected(config) -> list[Framework]:
    """The frameworks a run uses: `frameworks = [...]` in postgen.toml, or all of them."""
    from postgen.config import ConfigError

    every = available(config)
    # A name listed twice is one framework: two posts with one id would make an unloadable run file.
    names = list(dict.fromkeys(config.frameworks)) if config is not None and config.frameworks else list(every)
    unknown = [n for n in names if n not in every]
    if unknown:
        raise ConfigError(f"frameworks: unknown {', '.join(map(repr, unknown))} (known: {', '.join(every)})")
    return [every[n][0] for n in names]
