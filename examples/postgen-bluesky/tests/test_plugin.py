"""The package as postgen sees it: its entry point, lazy imports, and cassettes free of secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve().parent


def installed() -> bool:
    try:
        metadata.distribution("postgen-bluesky")
    except metadata.PackageNotFoundError:
        return False
    return True


@pytest.mark.skipif(not installed(), reason="postgen-bluesky is not installed (pip install -e examples/postgen-bluesky)")
def test_entry_point_makes_postgen_load_it():
    [ep] = [ep for ep in metadata.entry_points(group="postgen") if ep.name == "bluesky"]
    assert ep.value == "postgen_bluesky"

    from postgen.checks import connector_for
    from postgen.registry import connectors

    assert "bluesky" in connectors.names()
    assert connector_for("bluesky").label == "BLUESKY"


def test_registers_one_connector():
    import postgen_bluesky

    registered = []
    postgen_bluesky.postgen_register_connectors(register=registered.append)
    assert registered == [postgen_bluesky.BlueskyConnector]


def test_importing_the_plugin_imports_no_http_or_unicode_tables():
    code = "import sys, postgen_bluesky; print(*(m in sys.modules for m in ('requests', 'grapheme', 'urllib3')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]


def test_no_secret_in_any_cassette():
    for path in (HERE / "cassettes").rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "Bearer" not in text and "test-app-password" not in text, path
        for interaction in yaml.safe_load(text.replace("!!binary", ""))["interactions"]:
            body = interaction["request"]["body"]
            if isinstance(body, str) and body.startswith("{") and "password" in body:
                assert json.loads(body)["password"] == "REDACTED", path
            answer = interaction["response"]["body"]["string"]
            if isinstance(answer, str) and "accessJwt" in answer:
                assert json.loads(answer)["accessJwt"] == json.loads(answer)["refreshJwt"] == "REDACTED", path
