"""One redactor for everything postgen prints, saves or returns as JSON.

Secrets live only in environment variables, but their values can still travel: a platform that
echoes the `Authorization` header, a base URL with `user:pass@` or a token in its path, an
exception message that quotes a request, an error body cut at 300 characters in the middle of a
key. Every text that leaves postgen passes `redact` on the way out, so one function decides:

- the CLI's stdout and stderr (`redacting_output`: click, rich, warnings, tracebacks),
- run files (`redact_data` over the run's strings before rendering) and events sent to plugins,
- anything else a module persists (the ledger journal, pages) calls `redact` itself.

Two kinds of removal: the values of credential variables (whatever shape they have: every
connector's `credentials`, the generator's, and any variable whose name says KEY, SECRET,
TOKEN...), replaced by `<NAME>`; and shapes that are secrets wherever they come from (URL
userinfo, `token=` parameters, `Authorization`/`Bearer` echoes, provider key formats),
replaced by `<redacted>`. Replacements never remove a backslash or a quote, so JSON stays JSON.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Mapping
from urllib.parse import quote, quote_plus, unquote, urlsplit

# Named before any plugin loads (a plugin that fails to load may quote them). Connectors,
# generators and sources add their own when their registry loads (register_secret_names).
ALWAYS_SECRET = {"OPENAI_API_KEY", "OPENAI_BASE_URL"}
# Any variable with one of these words in its name is taken for a secret too.
SECRET_WORDS = ("KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASS", "CREDENTIAL", "CREDENTIALS", "AUTH", "COOKIE")
MIN_DECLARED = 4  # a declared credential this short is a placeholder ("x"); replacing it would garble text
MIN_GUESSED = 8  # a variable that only *sounds* secret (AUTH_MODE=basic) needs a value that looks like one
PARTIAL_MIN = 8  # a secret cut short (a body truncated at 300 characters) still goes from this many characters

_declared: set[str] = set(ALWAYS_SECRET)
REDACTED = "<redacted>"

# --------------------------------------------------------------------------- shapes

# Words a parameter or field name ends with when its value is a credential (`oauth_token`,
# `X-Amz-Signature`, `client_secret`, `api_key`). `code` only in URLs (OAuth codes): in JSON,
# "code" is an error code worth reading.
_SECRET_FIELD = r"(?:access_?token|refresh_?token|id_?token|token|api_?key|apikey|key|secret|password|passwd|pwd|" \
                r"signature|sig|auth|credentials?|session_?id|sessionid)"
_FIELD_NAME = rf"(?:[\w.\-]*[_.\-])?{_SECRET_FIELD}"

_SHAPES: list[tuple[re.Pattern[str], Any]] = [
    # scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s/?#@\"'\\<>]+@"), rf"\1{REDACTED}@"),
    # ?token=…, &client_secret=…, oauth_signature="…" (query strings, form bodies, OAuth 1 headers)
    (re.compile(rf"(?i)(?<![\w.\-])((?:{_FIELD_NAME}|(?<=[?&])code)=\\*[\"']?)[^\s&#\"'\\<>,;]+"), rf"\1{REDACTED}"),
    # "api_key": "…", 'password': '…', \"secret\": \"…\" (JSON, Python reprs, JSON inside JSON)
    (re.compile(rf"(?i)(\\*[\"']{_FIELD_NAME}\\*[\"']\s*:\s*\\*[\"'])[^\"'\\\r\n]+"), rf"\1{REDACTED}"),
    # Authorization: …, 'x-api-key': '…', cookie=… (raw headers to the line's end, dict reprs and JSON to
    # the closing quote: an OAuth 1 header quotes its parameters inside the value)
    (re.compile(r"(?i)(?<![\w\-])((?:proxy-)?authorization|x-api-key|api-key|x-auth-token|x-access-token|x-goog-api-key|"
                r"ocp-apim-subscription-key|set-cookie|cookie)(\\*[\"']?\s*[:=]\s*)"
                r"(?:(\\*\")[^\"\\\r\n]*|(')[^'\\\r\n]*|[^\s\"'\\][^\"'\\\r\n]*)"),
     lambda m: f"{m[1]}{m[2]}{m[3] or m[4] or ''}{REDACTED}"),
]
# Bearer/Basic/Token <credential>, where the credential looks like one ("Bearer tokens" is prose).
_SCHEME_TOKEN = re.compile(r"(?i)\b(bearer|basic|token)(\s+)([A-Za-z0-9\-._~+/]{8,}=*)")
# Provider key formats: found in any text, and refused in the config under any key.
KEY_SHAPES = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}|xapp-[0-9]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"  # AWS access key id
    r"|AIza[0-9A-Za-z_\-]{35}"  # Google API key (YouTube Data API)
    r"|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36}|pypi-AgE[A-Za-z0-9_\-]{50,}"  # Hugging Face, npm, PyPI
    r"|eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"  # a JWT (bearer tokens, id tokens)
    r"|[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}"  # Telegram bot token
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"
    r")"
)
# Webhook URLs whose path is the credential.
_PATH_TOKENS = re.compile(r"(?i)\b(hooks\.slack\.com/(?:services|workflows|triggers)/|discord(?:app)?\.com/api/webhooks/)"
                          r"[^\s\"'\\<>?#]+")


def _tokenish(text: str) -> bool:
    """Random-looking enough to be a credential: a digit or base64 punctuation, or long and mixed-case."""
    if re.search(r"[0-9_+/=~]", text):
        return True
    return len(text) >= 24 and bool(re.search(r"[a-z]", text)) and bool(re.search(r"[A-Z]", text))


def _scheme_token(match: re.Match[str]) -> str:
    return f"{match[1]}{match[2]}{REDACTED}" if _tokenish(match[3]) else match[0]


# --------------------------------------------------------------------------- names and values


def register_secret_names(names: Iterable[str]) -> None:
    """Variables whose values are secrets whatever they are called (a connector's `credentials`)."""
    new = set(names) - _declared
    if new:
        _declared.update(new)
        _secret_name.cache_clear()
        _table.cache_clear()


def is_secret_name(name: str) -> bool:
    return _secret_name(name) is not None


@functools.lru_cache(maxsize=4096)
def _secret_name(name: str) -> int | None:
    """The minimum length of a value worth replacing for variable `name`, or None: not a secret."""
    if name in _declared:
        return MIN_DECLARED
    words = re.split(r"[^A-Z0-9]+", name.upper())
    if any(word in SECRET_WORDS or word.endswith(("KEY", "SECRET", "TOKEN", "PASSWORD")) for word in words):
        return MIN_GUESSED
    return None


def _pieces(value: str) -> set[str]:
    """What of a URL-shaped secret can turn up on its own: the userinfo, the URL without it (as
    clients log it), tokens in its path and query (`https://proxy/t/<token>/v1`)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return set()
    if not parts.scheme or not parts.netloc:
        return set()
    out: set[str] = set()
    if parts.username:
        out.update({parts.username, unquote(parts.username)})
    if parts.password:
        out.update({parts.password, unquote(parts.password)})
    host = parts.netloc.rsplit("@", 1)[-1]
    bare = f"{parts.scheme}://{host}{parts.path}"
    if parts.path.strip("/"):
        out.update({bare.rstrip("/"), bare.rstrip("/") + "/"})
        out.update(seg for seg in (unquote(s) for s in parts.path.split("/")) if len(seg) >= 8 and _tokenish(seg))
    for pair in parts.query.split("&"):
        name, _, val = pair.partition("=")
        val = unquote(val)
        if len(val) >= MIN_DECLARED and (_tokenish(val) or re.fullmatch(_FIELD_NAME, name, re.I)):
            out.add(val)
    return out


def _forms(value: str) -> set[str]:
    """The ways a value is written in text: as is, URL-encoded, JSON-escaped, plus a URL's pieces."""
    forms = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    for piece in _pieces(value):
        forms.update({piece, quote(piece, safe=""), json.dumps(piece)[1:-1]})
    return forms


@functools.lru_cache(maxsize=64)
def _table(secrets: tuple[tuple[str, str, int], ...]) -> tuple[tuple[str, str], ...]:
    """(text to find, variable name) pairs, longest first, for the (name, value, min length) given."""
    found: dict[str, str] = {}
    for name, value, least in secrets:
        for form in _forms(value):
            if len(form) >= least and not _too_common(form):
                found.setdefault(form, name)
    return tuple(sorted(found.items(), key=lambda item: len(item[0]), reverse=True))


def _too_common(form: str) -> bool:
    """A value that is also ordinary text (a port, a boolean) would garble every message."""
    return form.lower() in {"true", "false", "none", "null", "http", "https", "localhost"} or form.isdigit() and len(form) < 6


def _secrets_in(env: Mapping[str, str]) -> tuple[tuple[str, str, int], ...]:
    out = []
    for name, value in env.items():
        least = _secret_name(name)
        if least is not None and value and len(value) >= least and not (least == MIN_GUESSED and value.startswith("/")):
            out.append((name, value, least))  # (a guessed name holding a path, like SSH_AUTH_SOCK, holds no secret)
    return tuple(sorted(out))


def secret_values(env: Mapping[str, str] | None = None) -> list[str]:
    """Values of the secret variables in `env` (default: the process environment), longest first."""
    return [value for value, _name in _table(_secrets_in(os.environ if env is None else env))]


# --------------------------------------------------------------------------- redact


def redact(text: str, env: Mapping[str, str] | None = None) -> str:
    """`text` with every secret value replaced by `<NAME>`, and URL userinfo, query tokens,
    `Authorization`/`Bearer` echoes and key-shaped strings replaced by `<redacted>`."""
    return _redact(text, _table(_secrets_in(os.environ if env is None else env))) if text else text


def _redact(text: str, table: tuple[tuple[str, str], ...]) -> str:
    for value, name in table:
        if value[:PARTIAL_MIN] in text:
            text = _replace_value(text, value, f"<{name}>")
    lowered = text.lower()
    for pattern, replacement, needs in _PASSES:
        if any(word in lowered for word in needs):
            text = pattern.sub(replacement, text)
    return text


# What each pattern cannot match without (lower case): a pattern runs only where one is in the text.
# A regex costs tens of nanoseconds a character, a substring test far less, and most text printed
# (`status --json` over 1,000 runs: 4.6 MB) holds none of them.
_WORDS = ("token", "key", "secret", "password", "passwd", "pwd", "signature", "sig", "auth", "credential",
          "credentials", "sessionid", "session_id")
_PASSES: list[tuple[re.Pattern[str], Any, tuple[str, ...]]] = [
    (*_SHAPES[0], ("@",)),  # scheme://user:password@host
    (*_SHAPES[1], (*(w + "=" for w in _WORDS), "code=")),  # a field name right before its "="
    (*_SHAPES[2], tuple(w + q for w in _WORDS for q in "\"'\\")),  # a quoted field name: its closing quote or an escape
    (*_SHAPES[3], ("authorization", "api-key", "auth-token", "access-token", "subscription-key", "cookie")),
    (_SCHEME_TOKEN, _scheme_token, ("bearer", "basic", "token")),
    (KEY_SHAPES, REDACTED, ("sk-", "sk_", "rk_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox",
                            "xapp-", "akia", "asia", "aiza", "hf_", "npm_", "pypi-", "eyj", ":aa", "-----begin")),
    (_PATH_TOKENS, rf"\1{REDACTED}", ("hooks.slack.com/", "discord")),
]
assert len(_SHAPES) == 4, "a new shape needs its entry in _PASSES, with what it cannot match without"


def _replace_value(text: str, value: str, label: str) -> str:
    """Every occurrence of `value`, and of a long enough start of it where the text stops short
    (a truncated error body), replaced by `label`."""
    text = text.replace(value, label)
    if len(value) < PARTIAL_MIN + 4 or "://" in value:  # a URL's start ("https://api.") is not a secret
        return text
    head, out, start = value[:PARTIAL_MIN], [], 0
    while (i := text.find(head, start)) >= 0:
        j = PARTIAL_MIN
        while i + j < len(text) and j < len(value) and text[i + j] == value[j]:
            j += 1
        cut = i + j == len(text) or not (text[i + j].isalnum() or text[i + j] in "-_")
        out.append(text[start:i] + (label if cut else text[i:i + j]))
        start = i + j
    return "".join(out) + text[start:]


def redact_data(data: Any, keep: frozenset[str] | set[str] = frozenset(), env: Mapping[str, str] | None = None) -> Any:
    """A copy of JSON-like `data` with every string redacted, except the values of keys in `keep`
    (identifiers and digests, which must come back exactly). Keys are never changed."""
    table = _table(_secrets_in(os.environ if env is None else env))

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return _redact(item, table) if item else item
        if isinstance(item, dict):
            return {k: v if k in keep else walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return type(item)(walk(v) for v in item)
        return item

    return walk(data)


# --------------------------------------------------------------------------- keys in the config


def looks_like_key(value: str) -> bool:
    """A provider key format, a password in a URL, or a long random token (in a URL's path or
    query too). Ordinary values pass: model names, URLs, channel and playlist ids, UUIDs."""
    if KEY_SHAPES.search(value) or re.search(r"://[^/\s@:]*:[^/\s@]+@", value):
        return True
    if "://" in value:
        parts = urlsplit(value)
        words = parts.path.split("/") + re.split(r"[&=]", parts.query) + [parts.fragment]
    else:
        words = value.split()
    return any(_random_token(unquote(word)) for word in words)


_KNOWN_IDS = re.compile(r"(?:UC|UU|PL|LL|FL|RD|OL)[A-Za-z0-9_\-]{10,}|[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _random_token(word: str) -> bool:
    if len(word) < 32 or not re.fullmatch(r"[A-Za-z0-9_\-+/=.~]+", word) or _KNOWN_IDS.fullmatch(word):
        return False
    if re.fullmatch(r"[0-9a-fA-F]+", word):  # a hex key or digest: neither belongs in a config
        return True
    classes = sum(bool(re.search(p, word)) for p in ("[a-z]", "[A-Z]", "[0-9]"))
    return classes == 3 and _jumps(word) >= 0.22


def _jumps(word: str) -> float:
    """How often neighbouring characters change kind (lower, upper, digit; a capital starting a
    word does not count): about 0.45 in random base64, under 0.2 in names like
    `mistralai/Mixtral-8x7B-Instruct-v0.1`, which are words and numbers strung together."""
    kinds = ["l" if c.islower() else "u" if c.isupper() else "d" if c.isdigit() else "" for c in word]
    pairs = [(a, b) for a, b in zip(kinds, kinds[1:]) if a and b]
    return sum(a != b and (a, b) != ("u", "l") for a, b in pairs) / max(len(pairs), 1)


# --------------------------------------------------------------------------- output streams


class RedactingStream:
    """A text stream that redacts what it passes on, a line at a time (a secret split over two
    writes still goes), and everything pending when flushed (prompts, progress bars)."""

    def __init__(self, stream: Any):
        self.stream = stream
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            self._pending += text
            head, newline, self._pending = self._pending.rpartition("\n")
            if newline:
                self.stream.write(redact(head + newline))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.stream.write(redact(self._pending))
                self._pending = ""
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # bytes written there would pass unredacted
            raise AttributeError(name)
        return getattr(self.stream, name)


def redact_process_output() -> None:
    """sys.stdout and sys.stderr redacted from now on (the console entry point)."""
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr)


@contextmanager
def redacting_output() -> Iterator[None]:
    """sys.stdout and sys.stderr redacted for the duration (nested uses wrap once)."""
    saved = sys.stdout, sys.stderr
    redact_process_output()
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing left to protect
                pass
        sys.stdout, sys.stderr = saved
