"""The plugin package skeleton `postgen plugin new NAME` writes (templates in postgen/data/plugin-template).

The skeleton validates and previews, refuses to publish until its author writes `publish`, and
its own tests pass as written, so an author starts from green.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


class TemplateError(Exception):
    """A name the skeleton cannot use, or a folder that already exists."""


def _templates() -> list[tuple[str, str]]:
    """(relative path, text) of every template file."""
    root = resources.files("postgen") / "data" / "plugin-template"
    found: list[tuple[str, str]] = []

    def walk(folder, prefix: str) -> None:
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.name.endswith(".tmpl"):
                found.append((prefix + item.name.removesuffix(".tmpl"), item.read_text(encoding="utf-8")))

    walk(root, "")
    return found


def render(name: str) -> dict[str, str]:
    """The skeleton's files for platform `name`, by path relative to the package folder."""
    if not NAME.match(name):
        raise TemplateError(f"plugin name {name!r}: use lowercase letters, digits and '_', starting with a letter "
                            "(it becomes the platform's key in postgen.toml and the prefix of post ids)")
    words = name.split("_")
    values = {
        "name": name,
        "Class": "".join(w.capitalize() for w in words),
        "Label": " ".join(w.capitalize() for w in words),
        "LABEL": " ".join(words).upper(),
        "ENV": name.upper(),
        "dist": name.replace("_", "-"),
    }
    files = {}
    for path, text in _templates():
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        files[path.replace("NAME", name)] = text
    return files


def write_skeleton(name: str, parent: Path | str = ".") -> tuple[Path, list[Path]]:
    """Write postgen-NAME/ under `parent`; never over an existing folder."""
    files = render(name)
    root = Path(parent) / f"postgen-{name.replace('_', '-')}"
    if root.exists():
        raise TemplateError(f"{root} already exists: choose another folder (--dir) or name")
    written = []
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return root, written
