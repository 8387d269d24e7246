"""The package as postgen sees it: its entry point, lazy imports, and cassettes free of secrets."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def installed() -> bool:
    try:
        metadata.distribution("postgen-mastodon")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="postgen-mastodon is not installed (pip install -e examples/postgen-mastodon)")
def test_entry_point_makes_postgen_load_it():
    [ep] = [ep for ep in metadata.entry_points(group="postgen") if ep.name == "mastodon"]
    assert ep.value == "postgen_mastodon"

    from postgen.checks import connector_for
    from postgen.registry import connectors

    assert "mastodon" in connectors.names()
    assert connector_for("mastodon").label == "MASTODON"


def test_registers_one_connector():
    import postgen_mastodon

    registered = []
    postgen_mastodon.postgen_register_connectors(register=registered.append)
    assert registered == [postgen_mastodon.MastodonConnector]


def test_importing_the_plugin_does_not_import_mastodon_py():
    code = "import sys, postgen_mastodon; print('mastodon' in sys.modules, 'requests' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_no_secret_in_any_cassette():
    for path in (HERE / "cassettes").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "Bearer" not in text, path
        assert "access_token" not in text or '"access_token": "REDACTED"' in text, path
        assert "mastodon.example" in text, f"{path} names a real server"
