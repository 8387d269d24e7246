"""Format a connector's Preview: for people (the dry-run output) and as JSON-ready data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .connector import Preview
from .models import Post

_SIZE_KEYS = (("weighted_length", "weighted characters"), ("characters", "characters"))


def _heading(part: dict[str, Any]) -> str:
    kind = str(part.get("kind", "post"))
    bits = []
    for key, unit in _SIZE_KEYS:
        if key in part:
            limit = f" of {part['limit']}" if part.get("limit") else ""
            bits.append(f"{part[key]}{limit} {unit}")
    if "subreddit" in part:
        bits.append(f"r/{part['subreddit']}" if part.get("subreddit") else "no subreddit set")
    if part.get("flair"):
        bits.append(f"flair {part['flair']}")
    if part.get("in_reply_to"):
        bits.append(f"reply to {part['in_reply_to']}")
    return f"-- {kind}" + (f" ({', '.join(bits)})" if bits else "") + ":"


def format_preview(preview: Preview, post: Post | None = None) -> str:
    """Exactly what would be sent, part by part, then the estimated cost and notes; with the
    `post`, also where its link opens the video and why."""
    from .moments import describe

    lines = [f"== {preview.post_id} ({preview.platform})"]
    for part in preview.parts:
        lines.append(_heading(part))
        if part.get("title"):
            lines.append(f"title: {part['title']}")
        lines.append(str(part.get("text", "")))
        lines.extend(f"-- {detail}" for detail in part.get("details", ()))  # what the text alone does not show
    if preview.estimated_cost_usd is not None:
        lines.append(f"-- estimated API cost: ${preview.estimated_cost_usd:.4f} (an estimate, not a quote)")
    lines.extend(f"-- note: {n}" for n in preview.notes)
    moment = describe(post) if post is not None and _sends(preview, post.link) else None
    if moment:
        lines.append(f"-- {moment}")
    return "\n".join(lines)


def _sends(preview: Preview, link: str | None) -> bool:
    """Whether the link goes out at all (policy "none" sends none; a Reddit link post names it in its details)."""
    return bool(link) and any(link in str(part.get("text", "")) or any(link in str(d) for d in part.get("details", ()))
                              for part in preview.parts)


def preview_to_dict(preview: Preview) -> dict[str, Any]:
    """The Preview as plain data for `--json` output."""
    return asdict(preview)
