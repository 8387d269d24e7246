"""The `postgen` a simulated job runs (tests/sim/bin/postgen calls this): the real CLI, with the
fake platforms of sim/platforms.py in place of X, LinkedIn and Reddit, at the job's clock
($POSTGEN_SIM_NOW, ticking)."""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: ledger_fakes, sim

sys.modules.setdefault("pytest", None)  # type: ignore[arg-type]  # time_machine's pytest plugin: 0.3 s a job
import time_machine  # noqa: E402

from postgen import plugins  # noqa: E402

plugins.DEFAULT_PLUGINS = tuple(p for p in plugins.DEFAULT_PLUGINS if not p.startswith("postgen.connectors.")) + ("sim.platforms",)

if __name__ == "__main__":
    from postgen.cli import main

    with time_machine.travel(datetime.fromisoformat(os.environ["POSTGEN_SIM_NOW"]), tick=True):
        main(sys.argv[1:])
