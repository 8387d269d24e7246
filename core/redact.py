"""One redactor for everything postgen prints, saves or returns as JSON.

Secrets live only in environment variables, but their values can still travel: a platform that
echoes the `Authorization` header, a base URL with `user:pass@` or a token in its path, an
exception message that quotes a request. Every text that leaves postgen (stdout, stderr, run
files, the ledger journal, pages) passes `redact` on the way out, so one function decides.
"""

from __future__ import annotations

import os
import re
from typing import Mapping

# Variables whose values are secrets: any name with one of these words, plus the ones listed here
# (OPENAI_BASE_URL may carry `user:pass@` or a path token) and any a connector declares.
SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASS", "CREDENTIAL", "CREDENTIALS", "AUTH", "COOKIE")
ALWAYS_SECRET = {"OPENAI_BASE_URL", "REDDIT_USERNAME", "REDDIT_CLIENT_ID", "BLUESKY_HANDLE"}
MIN_SECRET_LENGTH = 4  # shorter values ("x", "1") are placeholders; replacing them would garble text

_extra_names: set[str] = set()

_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)([A-Za-z0-9\-._~+/%=]{6,})|\b(access_token|oauth_token|token)(\s*[=:]\s*)([A-Za-z0-9\-._~+/%]{6,})")
_AUTH_HEADER = re.compile(r"(?i)\b(authorization|proxy-authorization|x-api-key|api-key|cookie)(\"?\s*[:=]\s*\"?)([^\s\"',;]+(?:\s+[^\s\"',;]+)?)")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s@:]+(?::[^/\s@]*)?)@")
_QUERY_SECRET = re.compile(
    r"(?i)([?&](?:access_token|token|api_key|apikey|key|secret|password|sig|signature|auth|code|client_secret)=)([^&#\s\"']+)"
)
_KEYLIKE = re.compile(r"\b(sk-(?:proj-|ant-|live-|test-)?[A-Za-z0-9_\-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9\-]{10,})\b")


def register_secret_names(names: tuple[str, ...] | list[str]) -> None:
    """Connectors' `credentials` (env var names) are secrets too, whatever they are called."""
    _extra_names.update(names)


def is_secret_name(name: str) -> bool:
    if name in ALWAYS_SECRET or name in _extra_names:
        return True
    words = re.split(r"[^A-Z0-9]+", name.upper())
    return any(word in SECRET_WORDS or word.endswith(("KEY", "SECRET", "TOKEN", "PASSWORD")) for word in words)


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of the secret variables in `env` (default: the process environment), longest first."""
    env = os.environ if env is None else env
    values = {value for name, value in env.items() if value and len(value) >= MIN_SECRET_LENGTH and is_secret_name(name)}
    return sorted(values, key=len, reverse=True)


def _names_for(env: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in env.items():
        if value and len(value) >= MIN_SECRET_LENGTH and is_secret_name(name):
            out.setdefault(value, name)
    return out


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """`text` with every secret value replaced by `<NAME>`, and URL userinfo, query tokens,
    `Authorization`/`Bearer` echoes and key-shaped strings replaced by `<redacted>`."""
    if not text:
        return text
    env = os.environ if env is None else env
    names = _names_for(env)
    for value in sorted(names, key=len, reverse=True):
        if value in text:
            text = text.replace(value, f"<{names[value]}>")
    text = _USERINFO.sub(lambda m: f"{m.group(1)}<redacted>@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group(1)}<redacted>", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}<redacted>", text)
    text = _BEARER.sub(lambda m: f"{m.group(1) or m.group(4)}{m.group(2) or m.group(5)}<redacted>", text)
    text = _KEYLIKE.sub("<redacted>", text)
    return text
