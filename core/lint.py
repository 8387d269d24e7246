"""Lints: what no platform refuses but users regret. Always warnings. Filled in by the generation issue."""

from __future__ import annotations

from .models import Post, Problem, Run


def lint_post(post: Post, run: Run | None = None) -> list[Problem]:
    return []
