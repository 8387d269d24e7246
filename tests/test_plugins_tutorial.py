"""docs/plugins.md's path, walked for real: in an empty folder, `postgen plugin new`, then every
`<!-- file -->` / `<!-- append -->` block written, every `<!-- run -->` block executed with its
`<!-- output -->` block matched, the package's own tests run, and the last step publishing to a
stand-in Discord on 127.0.0.1. When the API changes under the tutorial, this test fails.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from package_install import install_editable

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"
BLOCK = re.compile(r"<!-- (?P<marker>file|append|run|output)(?:: (?P<path>[^\s]+))? -->\n```[a-z]*\n(?P<code>.*?)```", re.S)
WEBHOOK = "/api/webhooks/1310000000000000000/your-token"


@dataclass
class Block:
    marker: str
    path: str | None
    code: str


def blocks() -> list[Block]:
    return [Block(m["marker"], m["path"], m["code"]) for m in BLOCK.finditer(DOC.read_text(encoding="utf-8"))]


def matches(expected: str, actual: str) -> bool:
    """Line by line; "..." alone stands for any lines, inside a line for any text."""
    pattern = ""
    for line in expected.rstrip("\n").split("\n"):
        if line.strip() == "...":
            pattern += r"(?:[^\n]*\n)*?"
        else:
            pattern += "[^\n]*".join(re.escape(part) for part in line.split("...")) + r"[ \t]*\n"
    return re.fullmatch(pattern, actual.rstrip("\n") + "\n") is not None


# --- a stand-in Discord: the webhook's two endpoints, in Discord's answer shapes ------------------


@dataclass
class FakeDiscord:
    messages: list[dict] = field(default_factory=list)
    url: str = ""


def serve(discord: FakeDiscord) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            if self.path != WEBHOOK:
                return self._answer(404, {"message": "Unknown Webhook", "code": 10015})
            self._answer(200, {"application_id": None, "avatar": None, "channel_id": "1300000000000000000",
                               "guild_id": "1290000000000000000", "id": "1310000000000000000", "name": "postgen",
                               "type": 1, "token": "your-token", "url": "https://discord.com" + WEBHOOK})

        def do_POST(self):  # noqa: N802
            if self.path != WEBHOOK + "?wait=true":
                return self._answer(404, {"message": "Unknown Webhook", "code": 10015})
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if len(body.get("content", "")) > 2000:
                return self._answer(400, {"message": "Invalid Form Body", "code": 50035})
            discord.messages.append(body)
            self._answer(200, {"type": 0, "channel_id": "1300000000000000000", "content": body["content"],
                               "id": str(1320000000000000000 + len(discord.messages)), "webhook_id": "1310000000000000000",
                               "timestamp": "2026-11-24T12:00:00.125000+00:00", "mentions": [], "embeds": []})

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    discord.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# --- the walk ------------------------------------------------------------------------------------


class Shell:
    """Runs the doc's commands as a reader would, with the plugin 'installed' into `site`."""

    def __init__(self, work: Path, site: Path, home: Path, discord: FakeDiscord):
        self.work, self.site, self.discord = work, site, discord
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGEN_", "DISCORD_", "OPENAI_"))}
        self.env["HOME"] = str(home)

    def python(self, code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        boot = f"import site, sys; site.addsitedir({str(self.site)!r}); "
        return subprocess.run([sys.executable, "-c", boot + code, *args], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=300)

    def __call__(self, line: str) -> str:
        words = shlex.split(line, comments=True)
        if not words:
            return ""
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.env[name] = value.replace("https://discord.com", self.discord.url)  # the stand-in
            return ""
        if words[:3] == ["pip", "install", "-e"]:
            install_editable(self.work / words[3].split("[")[0], self.site)
            return ""
        if words[0] == "pytest":
            package = self.work / words[1]
            done = self.python("import pytest; sys.exit(pytest.main(sys.argv[1:]))", "-q", "-p", "no:cacheprovider",
                               "--record-mode=none", str(package / "tests"), cwd=package)
        elif words[0] == "postgen":
            done = self.python("from postgen.cli import main; sys.argv[0] = 'postgen'; main()", *words[1:], cwd=self.work)
        else:
            raise AssertionError(f"docs/plugins.md runs {line!r}: teach this test what it means")
        assert done.returncode == 0, f"{line}\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}"
        return done.stdout


def test_the_tutorial_builds_tests_and_publishes_the_package_it_describes(isolated, tmp_path):
    discord = FakeDiscord()
    server = serve(discord)
    site = tmp_path / "site"
    site.mkdir()
    shell = Shell(isolated, site, tmp_path / "home", discord)
    steps = blocks()
    ran = outputs = written = 0
    try:
        for i, block in enumerate(steps):
            if block.marker in ("file", "append"):
                target = isolated / block.path
                if block.marker == "append":
                    assert target.exists(), f"<!-- append: {block.path} --> before that file exists"
                    block_text = target.read_text(encoding="utf-8").rstrip("\n") + "\n\n" + block.code
                else:
                    block_text = block.code
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(block_text, encoding="utf-8")
                written += 1
            elif block.marker == "run":
                last = ""
                for line in block.code.splitlines():
                    last = shell(line) or last
                ran += 1
                if i + 1 < len(steps) and steps[i + 1].marker == "output":
                    assert matches(steps[i + 1].code, last), f"output of {block.code!r} differs from the doc:\n{last}"
                    outputs += 1
    finally:
        server.shutdown()
    assert (ran, outputs) >= (7, 7) and written >= 8  # the whole path ran, not a part of it

    # The post and its link went out once each, and the run file says so.
    from postgen import runfile

    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    post = run.post("discord-naval")
    assert [m["content"] for m in discord.messages] == [post.body, post.link]
    assert all(m["allowed_mentions"] == {"parse": []} for m in discord.messages)
    assert post.state.value == "published" and [f.state for f in post.publication.follow_ups] == ["published"]


def test_the_skeleton_files_the_tutorial_shows_are_the_ones_plugin_new_writes():
    """The pyproject shown in step 1 is the generated one (plus the dependency step 3 needs)."""
    from postgen.template import render

    generated = render("discord")["pyproject.toml"]
    [shown] = [b.code for b in blocks() if b.path == "postgen-discord/pyproject.toml"]
    dependency = re.compile(r"^dependencies = .*$", re.M)
    assert dependency.sub("", shown) == dependency.sub("", generated)
    assert '"requests>=2.31"' in dependency.search(shown).group(0)


@pytest.mark.parametrize("expected,actual,ok", [
    ("a\n...\nz\n", "a\nb\nc\nz\n", True),
    ("a ... z\n", "a b c z\n", True),
    ("a\nz\n", "a\nb\nz\n", False),
    ("...\n1 published\n", "PUBLISHED x\n1 published\n", True),
    ("a ... z\n", "a b\nz\n", False),  # "..." in a line never spans lines
])
def test_output_matching(expected, actual, ok):
    assert matches(expected, actual) is ok
