"""Posts for a platform enabled after a run was made (`postgen extend RUN --platform NAME`).

The new posts come from the run's own brief, through the same drafting, validation and repair as
`postgen run`, and get slots starting from now. The run's existing posts are never touched: the
new ones are drafted without the lock (a model may take a while), then added to the run as it is
on disk at that moment, under its lock, so a person's edits or a publisher's outcomes made in
between are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .generator import Generator
from .models import Post, Run, utcnow


@dataclass
class Extension:
    run: Run  # the run as saved, new posts included
    path: Path
    added: list[Post] = field(default_factory=list)
    present: list[str] = field(default_factory=list)  # platforms whose posts the run already had
    warnings: list[str] = field(default_factory=list)


def missing_platforms(config, run: Run) -> list[str]:
    """Enabled platforms with a connector that the run has no posts for."""
    from .registry import connectors

    have = {p.platform for p in run.posts}
    return [p for p in dict.fromkeys(config.platforms.enabled) if p in connectors and p not in have]


def _check(config, platforms: list[str]) -> None:
    from .config import ConfigError
    from .registry import connectors

    for platform in platforms:
        if platform not in connectors:
            raise ConfigError(f"no connector for platform {platform!r} (installed: {', '.join(connectors.names())}; "
                              "install its plugin, see 'postgen plugins')")
        if platform not in config.platforms.enabled:
            raise ConfigError(f"platform {platform!r} is not enabled: add it to [platforms] enabled in "
                              f"{config.path or 'postgen.toml'} (and give it [schedule.slots]), then run this again")


def extend(
    config,
    path: Path,
    platforms: list[str] | None = None,
    *,
    generator: Generator | None = None,
    on_post: Callable[[Post], None] | None = None,
) -> Extension:
    """Draft, check and slot the posts of `platforms` (default: every enabled platform the run
    lacks) for the run at `path`, in the run's frameworks; save them with the run."""
    from . import runfile, schedule
    from .checks import connector_for
    from .events import Event, fire
    from .frameworks import available
    from .grounding import ground
    from .pipeline import _Meter, clean_brief, draft_posts, pick_generator, settle

    run = runfile.load(path)
    wanted = list(dict.fromkeys(platforms)) if platforms else missing_platforms(config, run)
    _check(config, wanted)
    outcome = Extension(run=run, path=path, present=[p for p in wanted if any(x.platform == p for x in run.posts)])
    known = available(config)
    names = list(dict.fromkeys([*(p.framework for p in run.posts), *run.headings]))
    library = [known[n][0] for n in names if n in known]
    outcome.warnings += [f"framework {n!r} of this run is not loaded now (plugin or frameworks_dir): no new post for it"
                         for n in names if n not in known]
    ids = {p.id for p in run.posts}
    jobs = [(p, fw) for p in wanted for fw in library if Post.make_id(p, fw.name) not in ids]
    if not jobs:
        return outcome

    gen = generator or pick_generator(config)
    meter = _Meter(gen.model, config.generator.prices)
    work = run.model_copy(deep=True)
    if work.brief is None:  # an imported run: no brief, and the transcript was never stored
        brief, usage = gen.brief(work.video)
        meter.add(usage)
        work.brief, dropped = ground(clean_brief(brief), work.video)  # as a new run's brief is
        outcome.warnings.append("this run had no brief: one was written from the stored title and description")
        outcome.warnings += dropped
    connectors = {p: connector_for(p, config) for p in dict.fromkeys(p for p, _ in jobs)}
    new = draft_posts(config, work, gen, jobs, connectors, library, meter, on_post)
    work.posts += new
    settle(work, connectors, new, config)  # near-duplicates are judged against the whole run

    with runfile.locked(path, "extend"):
        fresh = runfile.load(path)
        taken = {p.id for p in fresh.posts}
        new = [p for p in new if p.id not in taken]  # another extend got there first: keep its posts
        # Slots from now on (the run's own date may be long past), skipping those already held.
        slotting = Run(id=fresh.id, created=utcnow(), video=fresh.video, posts=[p for p in fresh.posts if p.scheduled_at] + new)
        schedule.assign(slotting, config)
        fresh.posts += new
        fresh.brief = fresh.brief or work.brief
        fresh.usage = fresh.usage + meter.total
        for fw in library:
            fresh.headings.setdefault(fw.name, f"{fw.emoji} {fw.label.upper()}".strip())
        note = f"extended on {utcnow().date().isoformat()} by {gen.name}: posts for {', '.join(dict.fromkeys(p.platform for p in new))}"
        if new:
            fresh.warnings += [note, *outcome.warnings, *slotting.warnings]
        runfile.save(path, fresh)
    outcome.run, outcome.added = fresh, new
    outcome.warnings += slotting.warnings
    fire(Event("run_saved", run_id=fresh.id, message=str(path),
               data={"path": str(path), "added": [p.id for p in new], "failed": [p.id for p in new if p.errors]}))
    return outcome
