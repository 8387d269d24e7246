"""No cassette holds a secret: every file under cassettes/ is scanned for real-looking credentials."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
FAKE = r"(?!REDACTED|test-|fake|dummy|xxx)"
PATTERNS = {
    "bearer token": re.compile(rf"Bearer\s+{FAKE}[A-Za-z0-9\-._~+/]{{12,}}=*"),
    "access_token value": re.compile(rf"""["']?access_token["']?\s*[:=]\s*["']?{FAKE}[A-Za-z0-9\-._~+/]{{8,}}"""),
    "refresh_token value": re.compile(rf"""["']?refresh_token["']?\s*[:=]\s*["']?{FAKE}[A-Za-z0-9\-._~+/]{{8,}}"""),
    "OpenAI-style key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_\-]{16,}"),
    "OAuth 1.0a signature": re.compile(rf"oauth_signature=\"?{FAKE}[A-Za-z0-9%+/=]{{10,}}"),
    "OAuth 1.0a token": re.compile(rf"oauth_token=\"?{FAKE}[0-9]+-[A-Za-z0-9]{{10,}}"),
    "password": re.compile(rf"""(?:password|passwd)["']?\s*[:=]\s*["']?{FAKE}[^&\s"',}}]{{3,}}""", re.I),
    "client secret": re.compile(rf"""client_secret["']?\s*[:=]\s*["']?{FAKE}[A-Za-z0-9\-_]{{8,}}"""),
    "Basic auth": re.compile(rf"Basic\s+{FAKE}[A-Za-z0-9+/]{{12,}}=*"),
}
SECRET_HEADERS = {"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}


def find_secrets(text: str) -> list[str]:
    found = [f"{name}: {m.group(0)[:40]}" for name, rx in PATTERNS.items() for m in rx.finditer(text)]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return found
    for interaction in (data or {}).get("interactions", []) if isinstance(data, dict) else []:
        for side in ("request", "response"):
            headers = (interaction.get(side) or {}).get("headers") or {}
            for key, values in headers.items():
                if key.lower() in SECRET_HEADERS:
                    for value in values if isinstance(values, list) else [values]:
                        if str(value) != "REDACTED":
                            found.append(f"{side} header {key} is not REDACTED")
    return found


def _files():
    return sorted(p for p in CASSETTES.rglob("*") if p.is_file())


def test_there_are_cassettes_to_scan():
    assert len(_files()) >= 30


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(CASSETTES)))
def test_cassette_has_no_secret(path):
    assert find_secrets(path.read_text(encoding="utf-8", errors="replace")) == []


@pytest.mark.parametrize("planted", [
    "Authorization:\n      - Bearer AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid",
    '{"access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6", "token_type": "bearer"}',
    "grant_type=password&username=bot&password=hunter2hunter2",
    'OAuth oauth_consumer_key="abc", oauth_signature="tnnArxj06cWHq44gCs1OSKk%2FjLY%3D"',
    "key: sk-proj-abcdefghijklmnopqrstuvwx",
])
def test_scanner_catches_planted_secrets(planted):
    assert find_secrets(planted)


def test_scanner_accepts_fakes():
    assert find_secrets('{"access_token": "REDACTED"} Bearer REDACTED password=REDACTED') == []
