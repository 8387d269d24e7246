"""The local server behind `postgen review`: the standard library's ThreadingHTTPServer, enough for
one person's browser on this machine (a framework would add a dependency and nothing it needs).

Who may talk to it:
- it listens on 127.0.0.1 only, on a port the OS picks;
- every request needs this launch's key: the address it prints and opens carries it once
  (`/?review=KEY`), which is swapped for a cookie (HttpOnly, SameSite=Strict, named after the
  port) and a redirect to `/`, so the key leaves the address bar; changes (POST) must also send
  it in the `X-Postgen-Review` header, which another site's page cannot set, and the page reads
  it from its own meta tag. Anything else is answered 403;
- the Host header must name 127.0.0.1 or localhost at this port (a DNS-rebinding page is
  refused), and a POST's Origin, when sent, must be this server.
Every answer passes `postgen.redact.redact`, carries no-store and refuses to be framed.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .edits import Reply, Review

HOST = "127.0.0.1"
MAX_BODY = 1_000_000  # a post is at most tens of KB; refuse anything far bigger
ACTION = re.compile(r"^/api/posts/(?P<id>[^/]+)/(?P<action>text|approve|slot)$")


def new_key() -> str:
    """A per-launch key the redactor leaves alone (it is printed, and the page is redacted)."""
    from ..redact import redact

    while True:
        key = secrets.token_hex(24)
        if redact(f"http://{HOST}:1/?review={key}") == f"http://{HOST}:1/?review={key}":
            return key


class ReviewServer(ThreadingHTTPServer):
    daemon_threads = False  # Ctrl-C waits for a save in progress (server_close joins the threads)

    def __init__(self, review: Review, key: str | None = None, port: int = 0):
        self.review = review
        self.key = key or new_key()
        super().__init__((HOST, port), Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        """The address to open: it carries the key once."""
        return f"http://{HOST}:{self.port}/?review={self.key}"

    @property
    def cookie(self) -> str:
        return f"postgen-review-{self.port}"


class Handler(BaseHTTPRequestHandler):
    server: ReviewServer
    timeout = 30  # a connection that sends nothing does not hold a thread (or Ctrl-C) forever
    server_version = "postgen-review"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # requests are the person's own clicks; the terminal stays for what matters

    # -- answers ---------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Content-Security-Policy", "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        from ..redact import redact

        self._send(status, redact(json.dumps(data, ensure_ascii=False)).encode(), "application/json; charset=utf-8")

    def _text(self, status: int, message: str) -> None:
        from ..redact import redact

        self._send(status, (redact(message) + "\n").encode(), "text/plain; charset=utf-8")

    def _forbidden(self) -> None:
        message = "forbidden: open the address 'postgen review' printed (each launch has its own key)"
        if self.command == "POST":
            return self._json(403, {"saved": False, "message": message})
        self._text(403, message)

    # -- who is asking ---------------------------------------------------------------------------
    def _same(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(str(given).encode(), self.server.key.encode())

    def _host_ok(self) -> bool:
        return self.headers.get("Host", "") in (f"{HOST}:{self.server.port}", f"localhost:{self.server.port}")

    def _cookie_key(self) -> str | None:
        jar = SimpleCookie()
        try:
            jar.load(self.headers.get("Cookie", ""))
        except Exception:  # a malformed Cookie header is simply no key
            return None
        morsel = jar.get(self.server.cookie)
        return morsel.value if morsel else None

    # -- requests --------------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 - the base class's naming
        try:
            self._get()
        except Exception as exc:  # the page must answer, never print a traceback
            self._text(500, f"error: {type(exc).__name__}: {exc}")

    do_HEAD = do_GET

    def _get(self) -> None:
        if not self._host_ok():
            return self._forbidden()
        url = urlsplit(self.path)
        offered = parse_qs(url.query).get("review", [None])[0]
        if url.path == "/" and self._same(offered):
            cookie = f"{self.server.cookie}={self.server.key}; Path=/; HttpOnly; SameSite=Strict"
            return self._send(303, b"", "text/plain", {"Location": "/", "Set-Cookie": cookie})
        if not self._same(self._cookie_key()):
            return self._forbidden()
        if url.path != "/":
            return self._text(404, "not found")
        from ..runfile import RunFileError

        try:
            html = self.server.review.page(self.server.key)
        except RunFileError as exc:  # someone broke the file meanwhile: say so, never a half page
            return self._text(409, f"{exc}\nFix the file (or restore it from git), then reload this page.")
        self._send(200, html.encode(), "text/html; charset=utf-8")

    def do_POST(self) -> None:  # noqa: N802
        try:
            self._post()
        except Exception as exc:
            self._json(500, {"saved": False, "message": f"error: {type(exc).__name__}: {exc}; nothing was saved"})

    def _post(self) -> None:
        origin = self.headers.get("Origin")
        if (not self._host_ok() or not self._same(self.headers.get("X-Postgen-Review"))
                or origin not in (None, f"http://{HOST}:{self.server.port}", f"http://localhost:{self.server.port}")):
            return self._forbidden()
        match = ACTION.match(urlsplit(self.path).path)
        if not match:
            return self._json(404, {"saved": False, "message": "not found"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self._json(413 if length > MAX_BODY else 400, {"saved": False, "message": "a JSON body of at most 1 MB"})
        try:
            data = json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            return self._json(400, {"saved": False, "message": "the body must be a JSON object"})
        reply = self._act(unquote(match["id"]), match["action"], data)
        self._json(reply.status, reply.to_dict())

    def _act(self, post_id: str, action: str, data: dict[str, Any]) -> Reply:
        review, seen = self.server.review, data.get("version")
        seen = seen if isinstance(seen, str) else None
        if action == "text":
            body, title = data.get("body"), data.get("title")
            if not isinstance(body, str) or not (title is None or isinstance(title, str)):
                return Reply(400, False, "'body' (and 'title', if any) must be text")
            return review.edit(post_id, seen, body, title)
        if action == "approve":
            if not isinstance(data.get("approved"), bool):
                return Reply(400, False, "'approved' must be true or false")
            return review.approve(post_id, seen, data["approved"])
        return review.move(post_id, seen, str(data.get("at", "")))
