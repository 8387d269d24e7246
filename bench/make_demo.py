"""Write core/data/demo-runs.json, the demo data set behind `postgen report --demo`.

Twenty weekly runs, frameworks rotated through the slots, read at 24 h, 72 h and 7 d from the
synthetic audience of bench/audience.py: Hormozi truly better on X, Storytelling on LinkedIn, no
framework on Reddit. The seed is fixed, so the file only changes when the audience does.
Run from the repository root:  python bench/make_demo.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from audience import FRAMEWORKS, PLATFORMS, Audience, make_run  # noqa: E402

WEEKS = 20
BEST = {"x": "hormozi", "linkedin": "storytelling", "reddit": None}
SEED = 3
TARGET = HERE.parent / "core" / "data" / "demo-runs.json"


def runs(seed: int = SEED) -> list:
    audience = Audience(best=BEST, effect=0.5, seed=seed)
    out = []
    for week in range(WEEKS):
        orders = {p: [FRAMEWORKS[(i + week) % len(FRAMEWORKS)] for i in range(len(FRAMEWORKS))] for p in PLATFORMS}
        out.append(make_run(week, orders, audience))
    return out


def main() -> None:
    data = {"about": "postgen demo data: synthetic engagement, see postgen/demo.py and bench/make_demo.py",
            "runs": [run.model_dump(mode="json", exclude_defaults=True) for run in runs()]}
    TARGET.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {TARGET} ({TARGET.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
