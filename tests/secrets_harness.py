"""Platforms that echo what they are sent, for tests/test_secrets.py.

`EchoServer` (127.0.0.1) answers every request with an error that quotes it: the method, the URL
it was meant for, every header, the body. `redirected_send` is requests' transport adapter
pointed at it, so X (tweepy), LinkedIn, Reddit (praw) and Mastodon (Mastodon.py) build and send
their real requests, credentials and all, and get their own secrets back in an error body.

Run as a script, it is `postgen` in a subprocess with that redirect and one more plugin command,
`crash`, which stands for a plugin's bug: it makes such a call and raises with the answer, so a
real traceback carries the echo to stderr.

    ECHO_SERVER=http://127.0.0.1:PORT python tests/secrets_harness.py ARGS...
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import urlsplit, urlunsplit

ORIGINAL_URL = "X-Echo-Original-Url"


class EchoServer:
    """Every request answered with `status` and a JSON error quoting it, in the fields each
    platform's client reads its error message from."""

    def __init__(self, status: int = 401):
        self.status = status
        self.seen: list[str] = []  # the URLs requests were meant for
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _echo(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                meant = self.headers.get(ORIGINAL_URL) or self.path
                server.seen.append(meant)
                echo = f"ECHO {self.command} {meant} headers={dict(self.headers)!r} body={body}"
                payload = {"error": echo, "error_description": echo, "message": echo, "detail": echo,
                           "title": "Unauthorized", "status": server.status, "errors": [{"message": echo}]}
                data = json.dumps(payload).encode()
                self.send_response(server.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _echo

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> EchoServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def redirected_send(echo_url: str) -> Callable[..., Any]:
    """HTTPAdapter.send that delivers every request to `echo_url`, keeping path, query, headers
    and body, and saying in a header which URL it was meant for."""
    from requests.adapters import HTTPAdapter

    real_send = HTTPAdapter.send
    target = urlsplit(echo_url)

    def send(self: HTTPAdapter, request: Any, **kwargs: Any) -> Any:
        meant = urlsplit(request.url)
        request.headers[ORIGINAL_URL] = request.url
        request.url = urlunsplit((target.scheme, target.netloc, meant.path, meant.query, ""))
        return real_send(self, request, **kwargs)

    return send


def _crash_plugin() -> Any:
    import types

    import click

    from postgen import hookimpl

    @click.command()
    def crash() -> None:
        """A plugin command with a bug: it raises with whatever the platform answered."""
        import requests

        token = os.environ.get("LINKEDIN_ACCESS_TOKEN", "")
        response = requests.get("https://api.linkedin.com/v2/me?oauth2_access_token=" + token,
                                headers={"Authorization": f"Bearer {token}"}, timeout=10)
        raise RuntimeError(f"unexpected answer from {response.url}: {response.text}")

    module = types.ModuleType("crash_plugin")
    module.postgen_register_commands = hookimpl(lambda cli: cli.add_command(crash))
    return module


def main() -> None:
    from requests.adapters import HTTPAdapter

    from postgen.cli import main as postgen
    from postgen.plugins import get_plugin_manager

    HTTPAdapter.send = redirected_send(os.environ["ECHO_SERVER"])
    get_plugin_manager().register(_crash_plugin(), name="crash_plugin")
    postgen(sys.argv[1:])


if __name__ == "__main__":
    main()
