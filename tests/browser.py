"""Headless Chromium for tests of the pages postgen writes or serves (`browser` fixture).

Uses the PyPI `playwright` package with the system's Chromium (Debian's `chromium`, installed by
.ci/run), started with the flags this project's machines need and a fresh profile per test. A
test that asks for `browser` is skipped where playwright or Chromium is missing.

    def test_page(browser, tmp_path):
        page = browser.open(tmp_path / "page.html")
        assert browser.errors == []
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "chromium", "chromium-browser")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("POSTGEN_CHROMIUM"), *CANDIDATES):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


class Browser:
    """One page at a time; every console error, page error and failed request is collected."""

    def __init__(self, context: Any):
        self.context = context
        self.errors: list[str] = []
        self.requests: list[str] = []

    def open(self, target: Path | str) -> Any:
        page = self.context.new_page()
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        page.on("request", lambda r: self.requests.append(r.url))
        url = target if isinstance(target, str) else Path(target).resolve().as_uri()
        page.goto(url, wait_until="load")
        return page


@pytest.fixture
def browser(tmp_path_factory):
    """A fresh headless Chromium (skipped where it or playwright is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=FLAGS)
        try:
            yield Browser(context)
        finally:
            context.close()
