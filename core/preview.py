"""Format a connector's Preview for people (the dry-run output). Improved by the connectors issue."""

from __future__ import annotations

from .connector import Preview


def format_preview(preview: Preview) -> str:
    lines = [f"== {preview.post_id} ({preview.platform})"]
    for part in preview.parts:
        lines.append(f"-- {part.get('kind', 'post')}:")
        lines.append(str(part.get("text", "")))
    if preview.estimated_cost_usd is not None:
        lines.append(f"-- estimated API cost: ${preview.estimated_cost_usd:.4f}")
    lines.extend(f"-- note: {n}" for n in preview.notes)
    return "\n".join(lines)
