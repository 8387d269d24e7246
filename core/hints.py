"""What to do when a publish pass finds nothing: the usual cause is a platform added after the
fact (not enabled, no slots, or a run made before it was enabled), and each has a one-line fix."""

from __future__ import annotations

from typing import Iterable

from .models import PostState, Run


def nothing_to_publish(config, runs: list[Run], platforms: Iterable[str] = (), due: bool = False) -> list[str]:
    """Hints for the platforms asked for (default: the enabled ones); `runs` are the runs looked at."""
    where = config.path or "postgen.toml"
    enabled = list(config.platforms.enabled)
    hints: list[str] = []
    for platform in list(platforms) or enabled:
        posts = [p for run in runs for p in run.posts if p.platform == platform]
        if platform not in enabled:
            hints.append(f"platform {platform} is not enabled: add it to [platforms] enabled in {where}")
        if due and not config.schedule.slots.get(platform):
            hints.append(f"{platform} has no slots, so none of its posts is ever due: add "
                         f"[schedule.slots] {platform} = [\"09:00\"] (your times) to {where}")
        waiting = [p for p in posts if p.state is PostState.ready and p.scheduled_at is None]
        if due and waiting:
            hints.append(f"{len(waiting)} {platform} posts have no slot ({platform} had no slots when they were made), so --due "
                         f"skips them: publish them by name, e.g. 'postgen publish RUN --platform {platform}'")
        if len(runs) == 1 and not posts:
            run_id = runs[0].id
            hints.append(f"{run_id} has no {platform} posts (it was made before {platform} was enabled?): "
                         f"postgen extend {run_id} --platform {platform}")
    return hints
