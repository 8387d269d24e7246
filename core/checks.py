"""Everything said about one post: its connector's exact rules, postgen's own content checks
(hidden characters, links nobody chose, mentions), then the lints."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .models import Post, Problem

if TYPE_CHECKING:  # pragma: no cover
    from .connector import Connector
    from .models import Run


def connector_for(platform: str, config=None) -> Connector:
    """An instance of the platform's connector, with its options from config when given."""
    from .registry import connectors

    cls = connectors.get(platform)
    if config is None:
        return cls()
    from pydantic import ValidationError

    from .config import ConfigError

    try:
        options = cls.Options.model_validate(config.platforms.options(platform))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        where = config.path or "built-in defaults"
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = f"unknown key (allowed: {', '.join(cls.Options.model_fields)})"
        raise ConfigError(f"{where}: 'platforms.{platform}{'.' + key if key else ''}': {message}") from None
    return cls(options)


def strict_claims(config=None) -> bool:
    """`[publish] strict_claims`, or POSTGEN_STRICT_CLAIMS=1 in the environment (set by the CI workflow)."""
    import os

    if config is not None and config.publish.strict_claims:
        return True
    return os.environ.get("POSTGEN_STRICT_CLAIMS", "").strip().lower() in ("1", "true", "yes", "on")


def check_post(post: Post, run: Run | None = None, connector: Connector | None = None, config=None, *,
               source: str | None = None) -> list[Problem]:
    """Connector problems, then postgen's own content checks (every platform, plugins included),
    then lints. Errors block publishing. `source` is the transcript, while generating: claims are
    checked against it (later, against the sentences the run kept)."""
    from .registry import connectors

    if connector is None:
        if post.platform not in connectors:
            return [Problem(severity="error", code="unknown_platform",
                            message=f"no connector for platform {post.platform!r} (is its plugin installed? see 'postgen plugins')")]
        connector = connector_for(post.platform, config)
    problems = list(connector.validate(post))
    from .grounding import source_support
    from .lint import lint_post

    said = {p.code for p in problems}  # the connector knows its platform best: no second word on it
    ours = content_problems(post, run, config) + lint_post(
        post, run, source=source_support(source) if source else None, strict=strict_claims(config))
    problems.extend(p for p in ours if p.code not in said)
    return problems


# --------------------------------------------------------------------------- content checks

MENTION = re.compile(r"(?<![\w@./])@[A-Za-z0-9_]{1,30}(?![\w@])|(?<![\w/])/?u/[A-Za-z0-9_-]{3,20}(?![\w/])")


GENERATOR_FAILED = "generator"  # the problem code postgen.pipeline gives a post the generator could not write


def current_problems(post: Post, run: Run | None = None, connector: Connector | None = None, config=None) -> list[Problem]:
    """What a person should see about a post now: why generation failed (said once, when it
    happened, and kept with the post until its text is saved again), then every other problem
    checked afresh on the text as it is, as `postgen validate` does."""
    return [p for p in post.problems if p.code == GENERATOR_FAILED] + check_post(post, run, connector, config)


def content_problems(post: Post, run: Run | None = None, config=None) -> list[Problem]:
    """What postgen checks in every post, whatever its platform: hidden characters and links
    (errors), mentions (warnings)."""
    from .untrusted import describe, hidden_characters

    problems: list[Problem] = []
    for part, text in (("title", post.title or ""), ("text", post.body)):
        hidden = [ch for _, ch in hidden_characters(text)]
        if hidden:
            problems.append(Problem(severity="error", code="hidden_character",
                                    message=f"the {part} contains invisible or control characters ({describe(hidden)}): delete them"))
    text = f"{post.title}\n{post.body}" if post.title else post.body
    spans = link_spans(text)
    allowed = list(config.publish.allowed_link_domains) if config is not None else []
    own = [u for u in (post.link, run.video.url if run is not None else None) if u]
    for start, end in spans:
        url = text[start:end]
        if any(_same_link(url, mine) for mine in own):
            continue
        host = _host(url)
        if host and any(host == d or host.endswith("." + d) for d in allowed):
            continue
        where = f"{host} is not in [publish] allowed_link_domains" if host else "it is not a link postgen can read"
        problems.append(Problem(severity="error", code="foreign_link",
                                message=f"link {url} is not the video's and {where}: remove it "
                                        "(postgen posts the video's link itself)"))
    mentions = [m.group().lstrip("/") for m in MENTION.finditer(text)
                if not any(s <= m.start() < e for s, e in spans)]
    if mentions:
        shown = ", ".join(dict.fromkeys(mentions))
        problems.append(Problem(severity="warning", code="mention",
                                message=f"{shown}: a mention notifies that account when published; keep it only if you mean to"))
    return problems


SCHEME_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"'`()\[\]{}]+", re.I)


def link_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every link in `text`: URLs found the way X finds them (twitter-text's rules, which also link bare domains), plus
    anything with a scheme: LinkedIn and Reddit link `https://…` whatever X thinks of its TLD."""
    from postgen.connectors._twitter_text import url_spans

    spans = list(url_spans(text))
    for m in SCHEME_URL.finditer(text):
        end = m.start() + len(m.group().rstrip(".,;:!?…"))
        if not any(s <= m.start() < e or m.start() <= s < end for s, e in spans):
            spans.append((m.start(), end))
    return sorted(spans)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def without_links(text: str, keep: str | None = None) -> str:
    """`text` with every link removed but `keep` (the video's own), for generators that must not link."""
    for start, end in reversed(link_spans(text)):
        if keep and _same_link(text[start:end], keep):
            continue
        text = text[:start].rstrip(" \t") + (" " if text[end:end + 1].isalnum() else "") + text[end:]
    return text


def _same_link(url: str, mine: str) -> bool:
    """The video's own link, however it is written (scheme, www., trailing slash, youtu.be)."""
    from postgen.sources.youtube import video_id

    def plain(u: str) -> str:
        u = re.sub(r"^[a-z][a-z0-9+.-]*://", "", u.strip(), flags=re.I)
        u = re.sub(r"^www\.", "", u, flags=re.I)
        host, _, rest = u.partition("/")
        return f"{host.lower()}/{rest}".rstrip("/")

    if plain(url) == plain(mine):
        return True
    try:
        return video_id(url) == video_id(mine)
    except ValueError:
        return False
