"""No secret anywhere postgen writes (issue 12, "Done when").

Every credential variable postgen knows of (each registered connector's `credentials`, the
example plugins' included (Mastodon, Bluesky), and the generator's) holds a recognisable value. Every
command runs, failing ones included, against servers on 127.0.0.1 that quote what they are sent:
the OpenAI generator's base URL carries `user:secret@` and a token in its path, and the X,
LinkedIn, Reddit, Mastodon and Bluesky clients send their real requests to an echo server through
requests' transport adapter. Then stdout, stderr and every file under the working directory are
searched: no value, and no part of one, may appear. The echoes are asserted to have reached
the output, so the redactor is shown to have had work to do.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine

from conftest import ROOT
from secrets_harness import EchoServer, redirected_send

HARNESS = Path(__file__).with_name("secrets_harness.py")
MASTODON = importlib.util.find_spec("postgen_mastodon") is not None
BLUESKY = importlib.util.find_spec("postgen_bluesky") is not None  # .ci/run installs both examples


def credential_names() -> list[str]:
    """Generated from what is registered, so a new connector's variables are covered unasked."""
    from postgen import registry
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    names = {"X_BEARER_TOKEN"}  # the X connector's alternative to its OAuth 1 keys
    for reg in (registry.connectors, registry.generators):
        for entry in reg.entries():
            names.update(getattr(entry.item, "credentials", ()), getattr(entry.item, "needs", ()))
    return sorted(names)


def recognisable(name: str, openai_url: str, echo_url: str) -> tuple[str, list[str]]:
    """A value for `name` and the parts of it that must never show (for a URL: the whole URL, its
    user, password and path token; the host and port are not secret)."""
    tag = secrets.token_hex(6)
    if name.endswith("BASE_URL"):
        server = openai_url if name.startswith("OPENAI") else echo_url
        user, password, token = f"u{tag}", f"pw-{name.lower()}-{tag}", f"tok{tag}Q9z"
        host = server.split("://", 1)[1].split("/", 1)[0]
        value = f"http://{user}:{password}@{host}/t/{token}/{'v1' if name.startswith('OPENAI') else 'm'}"
        return value, [value, user, password, token]
    value = f"s3cr3t-{name.lower().replace('_', '-')}-{tag}"
    return value, [value, tag]


@pytest.fixture
def platforms(monkeypatch):
    from requests.adapters import HTTPAdapter

    with EchoServer(status=401) as echo:
        monkeypatch.setattr(HTTPAdapter, "send", redirected_send(echo.url))
        yield echo


@pytest.fixture
def openai_echo(monkeypatch):
    """bench/fake_openai.py: the brief and most drafts answered; the hormozi drafts answered 408
    with the request quoted (a post fails, its message goes into the run file); in `brief_fails`
    mode the brief is answered 400 the same way (the run stops, the message goes to stderr)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    fake = __import__("fake_openai")
    mode = {"brief_fails": False}
    count = iter(range(10_000))
    lock = threading.Lock()

    def script(seen):
        quoted = {"error": {"message": f"ECHO {seen.path} headers={seen.headers!r}", "type": "invalid_request_error",
                            "code": None}}
        prompt = json.dumps(seen.body["messages"])
        if "Platform:" not in prompt:
            return fake.Reply(status=400, body=quoted) if mode["brief_fails"] else None
        if "Framework: hormozi" in prompt:
            return fake.Reply(status=408, body=quoted)
        with lock:
            n = next(count)
        answer = json.loads(fake.schema_answer(seen.body))
        answer["body"] = f"Lesson {n}: one idea from this talk changed how I study. Practice beats rereading."
        return fake.Reply(content=json.dumps(answer))

    server = fake.FakeOpenAI(latency=0, script=script)
    server.mode = mode
    yield server
    sys.modules.pop("fake_openai", None)


def test_no_credential_value_reaches_anything_postgen_writes(cli, isolated, platforms, openai_echo, monkeypatch, tmp_path):
    plugins = ",".join(name for name, there in (("mastodon", MASTODON), ("bluesky", BLUESKY)) if there)
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", plugins)
    names = credential_names()
    assert {"OPENAI_API_KEY", "OPENAI_BASE_URL", "X_API_KEY", "REDDIT_PASSWORD", "LINKEDIN_ACCESS_TOKEN"} <= set(names)
    if MASTODON:
        assert {"MASTODON_API_BASE_URL", "MASTODON_ACCESS_TOKEN"} <= set(names)
    if BLUESKY:
        assert {"BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"} <= set(names)
    forbidden: dict[str, list[str]] = {}
    for name in names:
        value, parts = recognisable(name, openai_echo.base_url, platforms.url)
        monkeypatch.setenv(name, value)
        forbidden[name] = parts
    enabled = ["linkedin", "x", "reddit"] + [name for name, there in (("mastodon", MASTODON), ("bluesky", BLUESKY)) if there]
    version = f"{date.today().year - (date.today().month == 1)}{(date.today().month - 2) % 12 + 1:02d}"

    def configure(platforms: list[str]) -> None:
        (isolated / "postgen.toml").write_text(
            f'[generator]\nname = "openai"\nmax_retries = 0\nconcurrency = 4\n[platforms]\nenabled = {json.dumps(platforms)}\n'
            f'[platforms.reddit]\nsubreddit = "postgen_test"\n[platforms.linkedin]\nversion = "{version}"\n', encoding="utf-8")

    configure(enabled[:-1])  # the last one comes later, with 'extend'
    shutil.copy(ROOT / "tests" / "data" / "legacy_run.md", isolated / "legacy_run.md")
    outputs: list[tuple[str, str]] = []  # (command, what it printed)

    def postgen(*args: str, code: int | None = None) -> str:
        result = cli(*args)
        printed = result.stdout + result.stderr
        outputs.append((" ".join(args), printed))
        if code is not None:
            assert result.exit_code == code, (args, printed)
        return printed

    def subprocess_postgen(*args: str, code: int) -> str:
        env = dict(os.environ, ECHO_SERVER=platforms.url)
        done = subprocess.run([sys.executable, str(HARNESS), *args], cwd=isolated, env=env, capture_output=True,
                              text=True, timeout=120)
        printed = done.stdout + done.stderr
        outputs.append((f"(subprocess) {' '.join(args)}", printed))
        assert done.returncode == code, (args, printed)
        return printed

    with openai_echo:
        openai_echo.mode["brief_fails"] = True
        stopped = postgen("run", "--dry-run", code=2)  # the brief refused with the request quoted
        assert "rejected the request (400)" in stopped and "ECHO" in stopped
        openai_echo.mode["brief_fails"] = False
        written = postgen("run", "--dry-run", code=1)  # hormozi posts fail with the request quoted
        assert "generator: openai" in written and "ECHO" in written
        configure(enabled)
        assert "ECHO" in postgen("extend", "latest", code=1)  # its hormozi post fails the same way
    assert "the server at OPENAI_BASE_URL" in postgen("run", "--video", "builtin:sample", "--force", code=2)  # server gone
    for args in (("--help",), ("--version",), ("plugins",), ("plugins", "--json"), ("frameworks",), ("next",),
                 ("next", "--json"), ("status",), ("status", "--json"), ("show", "latest"),
                 ("validate", "latest"), ("validate", "latest", "--json"), ("publish", "latest", "--dry-run"),
                 ("publish", "latest", "--dry-run", "--json"), ("approve", "latest")):
        postgen(*args)
    postgen("review", "latest", "--html", "review.html", code=0)  # the page quotes the run's ECHO messages too
    assert "ECHO" in (isolated / "review.html").read_text(encoding="utf-8")
    assert "ECHO" in postgen("doctor", code=1) and "ECHO" in postgen("doctor", "--json", code=1)
    published = postgen("publish", "latest", "--yes", code=1)  # every platform answers 401 with the request quoted
    assert published.count("ECHO") >= len(enabled)
    postgen("publish", "latest", "--yes", "--json", code=1)
    postgen("publish", "--due", "--yes")
    postgen("status")
    postgen("publish", "latest", "--resolve", "x-naval", "--as", "failed")
    for post, url in (("x-aida", "https://x.com/i/web/status/1861234567890123456"),
                      ("reddit-aida", "https://www.reddit.com/r/postgen_test/comments/abc123/t/"),
                      ("linkedin-aida", "https://www.linkedin.com/feed/update/urn:li:share:7261234567890123456")):
        postgen("publish", "latest", "--resolve", post, "--as", "published", url)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(days=2)):  # a day's reading is due
        assert "ECHO" in postgen("metrics", "latest") + postgen("metrics", "--due", "--json")
    for args in (("pending",), ("pending", "--json"), ("report",), ("report", "--json"),
                 ("report", "--html", "report.html"), ("metrics", "--due", "--dry-run")):
        postgen(*args)
    postgen("init", code=2)  # a postgen.toml is there: never overwritten
    postgen("publish", code=2)
    postgen("validate", "no-such-run", code=2)
    postgen("import", "legacy_run.md")
    postgen("plugin", "new", "acme", code=0)
    postgen("publish", "latest", "--yes", "--git", code=2)  # not a git checkout
    postgen("reconcile", "no-such-folder", code=2)
    crash = subprocess_postgen("crash", code=1)
    assert "Traceback (most recent call last)" in crash and "ECHO" in crash
    subprocess_postgen("doctor", code=1)

    hosts = {url.split("/")[2].rsplit("@", 1)[-1] for url in platforms.seen}
    assert {"api.twitter.com", "api.linkedin.com", "www.reddit.com"} | ({"bsky.social"} if BLUESKY else set()) <= hosts, hosts
    if MASTODON:  # its base URL (user, password, path token) points at the echo server itself
        assert any("/t/" in url for url in platforms.seen)
    files = [p for p in isolated.rglob("*") if p.is_file()]
    run_files = [p for p in files if p.suffix == ".md" and p.parent.name == "runs"]
    assert run_files and any("ECHO" in p.read_text(encoding="utf-8") for p in run_files)
    leaks = [(name, part, where) for name, parts in forbidden.items() for part in parts
             for where, text in outputs + [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in files]
             if part in text]
    assert leaks == []
