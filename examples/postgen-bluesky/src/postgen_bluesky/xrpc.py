"""A small XRPC client over requests: an app-password session and the calls the connector makes.

Every failure becomes the PublishError kind the postgen ledger acts on. XRPC errors are JSON,
{"error": "Name", "message": "..."}; a 429 carries `RateLimit-Reset` (unix seconds).
"""

from __future__ import annotations

from typing import Any

from postgen import PublishError

TIMEOUT = 30  # seconds: a publish never hangs a scheduled job
USER_AGENT = "postgen-bluesky/0.1"


class Client:
    """One account on one PDS (or the bsky.social entryway), logged in on first use."""

    def __init__(self, service: str, handle: str, password: str):
        import requests

        self.service = service.rstrip("/")
        self.handle, self._password = handle, password
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self.session: dict[str, Any] | None = None
        self.pds = self.service  # the account's own PDS once the session names it (didDoc)

    @property
    def did(self) -> str:
        return self.login()["did"]

    def login(self) -> dict[str, Any]:
        """com.atproto.server.createSession with the app password (30 per 5 minutes per account)."""
        if self.session is None:
            body = {"identifier": self.handle, "password": self._password}
            self.session = self.call("POST", "com.atproto.server.createSession", json=body, auth=False)
            self.pds = _pds_of(self.session.get("didDoc")) or self.service
        return self.session

    def call(self, method: str, nsid: str, *, params: dict | None = None, json: Any = None, data: bytes | None = None,
             content_type: str | None = None, auth: bool = True) -> dict[str, Any]:
        import requests

        headers = {"Content-Type": content_type} if content_type else {}
        if auth:
            headers["Authorization"] = f"Bearer {self.login()['accessJwt']}"
        try:
            host = self.pds if auth else self.service
            response = self.http.request(method, f"{host}/xrpc/{nsid}", params=params, json=json, data=data,
                                         headers=headers, timeout=TIMEOUT)
        except requests.ConnectionError as exc:
            if _never_sent(exc):  # refused, DNS, connect timeout: nothing reached Bluesky
                raise PublishError("unreachable", f"cannot reach {self.service}: {_reason(exc)}") from None
            raise PublishError("transient", f"{nsid}: the connection broke mid-call ({_reason(exc)}); it may have landed") from None
        except requests.Timeout:
            raise PublishError("transient", f"{nsid}: no answer within {TIMEOUT} s; it may have landed") from None
        if response.status_code >= 400:
            raise error_for(nsid, response)
        return response.json()


def _pds_of(did_doc: Any) -> str | None:
    """The account's PDS from its DID document (service #atproto_pds), as the official client does:
    the bsky.social entryway only logs in, the account's repository lives on its PDS."""
    for service in (did_doc or {}).get("service", []) if isinstance(did_doc, dict) else []:
        if service.get("id", "").endswith("#atproto_pds") and str(service.get("serviceEndpoint", "")).startswith("https://"):
            return service["serviceEndpoint"].rstrip("/")
    return None


def _never_sent(exc: Exception) -> bool:
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "NameResolutionError", "Failed to resolve", "Connection refused"))


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Failed to resolve", "Name or service not known", "timed out"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__


def error_for(nsid: str, response: Any) -> PublishError:
    """An XRPC error answer as the PublishError kind the ledger acts on."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    name = body.get("error") or response.reason or "error"
    message = f"Bluesky answered {response.status_code} {name}: {body.get('message') or response.reason} ({nsid})"
    status = response.status_code
    if status == 429:
        reset = response.headers.get("RateLimit-Reset")
        return PublishError("rate_limited", message, status=status, retry_at=float(reset) if reset else None)
    if status >= 500:
        return PublishError("transient", message, status=status)
    if status == 401 or name in ("ExpiredToken", "InvalidToken", "AuthenticationRequired", "AccountTakedown"):
        hint = "; check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (Settings > Privacy and security > App passwords)"
        return PublishError("auth", message + hint, status=status)
    if status == 403:
        return PublishError("permission", message, status=status)
    if status == 400:
        return PublishError("invalid", message, status=status)
    return PublishError("fatal", message, status=status)
