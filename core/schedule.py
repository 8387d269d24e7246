"""Give each post of a new run a time slot. Filled in by the ledger/schedule issue."""

from __future__ import annotations

from .models import Run


def assign(run: Run, config, runs_dir=None) -> None:
    """Set `scheduled_at` on each post of `run` from the config's schedule (slots taken by other runs skipped)."""
    return None
