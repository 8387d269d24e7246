"""Install a plugin package the way `pip install -e` leaves it, without pip or a network: a
dist-info whose METADATA and entry_points.txt come from the package's own pyproject.toml, and a
.pth file that puts its source folder on sys.path. So a wrong entry point in a pyproject fails."""

from __future__ import annotations

import tomllib
from pathlib import Path


def install_editable(package: Path, site: Path) -> str:
    """Make `package` importable and discoverable from `site`; returns the distribution name."""
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))
    meta = project["project"]
    name, version = meta["name"], meta["version"]
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    lines = []
    for group, points in meta.get("entry-points", {}).items():
        lines.append(f"[{group}]")
        lines += [f"{key} = {value}" for key, value in points.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    source = project.get("tool", {}).get("setuptools", {}).get("package-dir", {}).get("", ".")
    (site / f"__editable__{name.replace('-', '_')}.pth").write_text(str((package / source).resolve()) + "\n", encoding="utf-8")
    return name
