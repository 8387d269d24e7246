"""The example plugins' own test suites (examples/postgen-*/tests), run from the main test
command so CI keeps them green. They need the examples' dependencies:
    pip install -e 'examples/postgen-mastodon[test]' -e 'examples/postgen-bluesky[test]'
Where those are missing the test skips, except in CI (CI=true), where a skip would hide a suite.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TESTING = {"vcr": "vcrpy", "pytest_recording": "pytest-recording"}
NEEDS = {
    "postgen-mastodon": {"mastodon": "Mastodon.py", "grapheme": "Mastodon.py[grapheme]", **TESTING},
    "postgen-bluesky": {"requests": "requests", "grapheme": "graphemeu", "yaml": "pyyaml", "time_machine": "time-machine", **TESTING},
}
SOURCES = {"postgen-mastodon": "src", "postgen-bluesky": "src"}


@pytest.mark.parametrize("example", sorted(NEEDS))
def test_example_plugin_suite_passes(example, tmp_path):
    root = EXAMPLES / example
    missing = [package for module, package in NEEDS[example].items() if importlib.util.find_spec(module) is None]
    if missing:
        message = f"{', '.join(missing)} not installed: pip install -e 'examples/{example}[test]' to run its tests"
        if os.environ.get("CI"):
            pytest.fail(message)  # .ci/run installs them: a skip there would hide the whole suite
        pytest.skip(message)
    prefix = example.removeprefix("postgen-").upper() + "_"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGEN_", prefix))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / SOURCES[example]), env.get("PYTHONPATH")]))
    env["HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--record-mode=none", "-rs", str(root / "tests")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout
    if os.environ.get("CI"):
        assert " skipped" not in done.stdout, done.stdout[-2000:]  # the examples' own skips count too
