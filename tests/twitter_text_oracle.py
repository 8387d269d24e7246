"""The official JavaScript twitter-text (npm 3.1.0) as an oracle, and texts to ask it about.

`corpus()` builds a few thousand deterministic texts from twitter-text's conformance files: their
URLs and hosts put in sentences, after and before punctuation, in parentheses and quotes, glued to
CJK text. `oracle(texts)` runs node once over all of them and returns, per text, the URLs with
code-point indices, the weighted length with emoji parsing off (its emoji table is older than
X's, so only URL handling is compared) and whether the text is a valid URL. Used by tests/test_twitter_text_oracle.py and
bench/twitter_text.py. `.ci/run` installs the package under .ci/twitter-text.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
NODE_MODULES = Path(os.environ.get("TWITTER_TEXT_NODE_MODULES", ROOT / ".ci" / "twitter-text" / "node_modules"))
SCRIPT = Path(__file__).with_suffix(".js")

TEMPLATES = [
    "{u}", "See {u}.", "({u})", "Read this: {u}, then reply!", '"{u}"', "[{u}]", "{u}?", "Wow {u}...",
    "({u}).", "<{u}>", "'{u}'", "{u}: now", "{u};", "- {u} -", "→ {u} ←", "見て{u}です", "詳細は{u}。",
    "{u})", "({u}", "{u}/", "{u}!!", "x{u}", "@{u}", "#{u}", "${u}", "{u}'s page", "{u}-", "{u}_",
    "Built on {u}, shipped on {v}, slides at {w}.", "{u} {v}", "{u}\n{v}", "({u}) and ({v})", "{u},{v}",
]
# Hosts twitter-text treats specially (issue 11: localhost, IPv4 ranges, ports, userinfo,
# underscores, 63/64-character labels, IDN and punycode).
HOSTS = [
    "localhost", "localhost:8000", "127.0.0.1", "192.168.0.100", "256.1.1.1", "10.0.0.1:8080", "[::1]",
    "user@example.com", "user:pass@example.com", "example.com:8080", "example.com:99999", "a_b.example.com",
    "a_b.com", "_a.example.com", "a-.example.com", "-a.example.com", "a" * 63 + ".com", "a" * 64 + ".com",
    "b" * 63 + "." + "c" * 63 + ".net", "xn--bcher-kva.de", "bücher.de", "例え.テスト", "münchen.jp", "t.co",
    "bit.ly", "perplexity.ai", "bolt.new", "deno.land", "slides.zip", "readme.md", "file.py", "foo.io",
    "tar.bz2", "node.js", "e.g", "x.com", "www.example.co.uk", "sub.domain.example.org",
]
PATHS = ["", "/", "/a", "/a/b.html", "/wiki/Primer_(film)", "/a_(b_(c))", "/x?y=1", "/?q=a&b=c#frag",
         "/path.", "/path,", "/path!", "/path-", "/Русские", "/~user+%20", "#top", "?a=b."]


def _yaml(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def corpus(size: int = 3000, seed: int = 2026) -> list[str]:
    """`size` distinct texts (deterministic for a seed) built from the conformance files."""
    extract = _yaml("twitter_text_extract_urls.yml")
    tlds = _yaml("twitter_text_tlds.yml")
    validate = _yaml("twitter_text_validate.yml")
    cases = [c for section in extract.values() for c in section]
    texts = [c["text"] for c in cases] + [c["text"] for section in validate.values() for c in section]
    urls = [u if isinstance(u, str) else u["url"] for c in cases for u in c["expected"]]
    urls += [c["text"] for section in validate.values() for c in section]
    tld_urls = [c["text"] for section in tlds.values() for c in section]
    rng = random.Random(seed)
    pieces = urls + [u.removeprefix("https://") for u in rng.sample(tld_urls, 300)] + rng.sample(tld_urls, 100)
    for host in HOSTS:
        for path in PATHS:
            pieces += [host + path, "http://" + host + path, "https://" + host + path]
    out = dict.fromkeys(texts)
    while len(out) < size:
        template = rng.choice(TEMPLATES)
        out[template.format(u=rng.choice(pieces), v=rng.choice(pieces), w=rng.choice(pieces))] = None
    return list(out)[:size]


def available() -> str | None:
    """Why the oracle cannot run here, or None when node and the package are both present."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_MODULES / "twitter-text" / "package.json").exists():
        return f"npm twitter-text is not installed in {NODE_MODULES} (.ci/run installs it)"
    return None


def oracle(texts: list[str]) -> list[dict]:
    """[{"urls": [[url, start, end], ...], "weighted": n, "valid": [with protocol, without]}, ...]
    from twitter-text 3.1.0, one per text."""
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    done = subprocess.run(["node", str(SCRIPT)], input=json.dumps(texts), capture_output=True, text=True,
                          encoding="utf-8", env=env, timeout=300, check=True)
    return json.loads(done.stdout)
