"""The demo data set shipped with postgen: twenty weekly runs whose posts were "read" from a
synthetic audience (bench/audience.py; regenerate with `python bench/make_demo.py`), so that
`postgen report --demo` shows a report and its charts with no keys, no runs and no network.
In it Hormozi is truly better on X and Storytelling on LinkedIn; on Reddit no framework is."""

from __future__ import annotations

import json

from .models import Run

DEMO_FILE = "demo-runs.json"


def demo_runs() -> list[Run]:
    from importlib.resources import files

    data = json.loads((files("postgen") / "data" / DEMO_FILE).read_text(encoding="utf-8"))
    return [Run.model_validate(run) for run in data["runs"]]
