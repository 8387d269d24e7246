"""Everything said about one post: its connector's exact rules, then postgen's own lints."""

from __future__ import annotations

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


def check_post(post: Post, run: Run | None = None, connector: Connector | None = None, config=None) -> list[Problem]:
    """Connector problems (errors block publishing) plus lints (warnings)."""
    from .registry import connectors

    if connector is None:
        if post.platform not in connectors:
            return [Problem(severity="error", code="unknown_platform",
                            message=f"no connector for platform {post.platform!r} (is its plugin installed? see 'postgen plugins')")]
        connector = connector_for(post.platform, config)
    problems = list(connector.validate(post))
    from .lint import lint_post

    said = {p.code for p in problems}  # the connector knows its platform best: no second word on it
    problems.extend(p for p in lint_post(post, run) if p.code not in said)
    return problems
