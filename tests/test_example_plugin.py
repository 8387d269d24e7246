"""The example plugin's own test suite (examples/postgen-mastodon/tests), run from the main test
command so CI keeps it green. It needs the example's dependencies:
    pip install -e examples/postgen-mastodon
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "postgen-mastodon"
NEEDS = {"mastodon": "Mastodon.py", "grapheme": "Mastodon.py[grapheme]", "vcr": "vcrpy", "pytest_recording": "pytest-recording"}


def test_example_plugin_suite_passes(tmp_path):
    missing = [package for module, package in NEEDS.items() if importlib.util.find_spec(module) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e examples/postgen-mastodon to run its tests")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGEN_", "MASTODON_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(EXAMPLE / "src"), env.get("PYTHONPATH")]))
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--record-mode=none", str(EXAMPLE / "tests")],
        cwd=EXAMPLE, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout
