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
