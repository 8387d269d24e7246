"""From a video to a saved run: brief once, drafts in parallel, validate and repair, lint, save.

The brief keeps only facts whose evidence the video says (postgen.grounding); drafts and the
brief are normalized like any untrusted text; the lints see the transcript while generating,
and the run keeps the few sentences that back the posts' claims (the transcript is not stored).

A post is `ready` only when its connector found no error in its final text; otherwise it is
saved `failed` with the problems, so nobody publishes something the platform would refuse or cut.
Nothing here publishes.
"""

from __future__ import annotations

import hashlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .generator import Cancelled, Draft, DraftRequest, Generator, GeneratorError, PostGenerationError
from .grounding import backing_sentences, ground, source_support
from .lint import run_support
from .media import plan as plan_media
from .media import unsupported as media_unsupported
from .models import Brief, Framework, Post, PostState, Problem, Run, Usage, Video
from .moments import place
from .timing import time_brief
from .untrusted import normalize


@dataclass
class Outcome:
    run: Run
    path: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Post]:
        return [p for p in self.run.posts if p.state == PostState.failed]


def pick_generator(config) -> Generator:
    """`[generator] name`: auto (openai when OPENAI_API_KEY is set, else offline), or a name."""
    from .config import ConfigError
    from .registry import generators

    settings = config.generator
    name = settings.name
    if name == "auto":
        name = "openai" if os.environ.get("OPENAI_API_KEY") and "openai" in generators else "offline"
    if name not in generators:
        raise ConfigError(f"generator.name: no generator named {name!r} (known: auto, {', '.join(generators.names())})")
    cls = generators.get(name)
    missing = [var for var in getattr(cls, "needs", ()) if not os.environ.get(var)]
    if missing:
        raise GeneratorError(
            f"the {name} generator needs {' and '.join(missing)} in the environment; set it, "
            "or use [generator] name = \"offline\" in postgen.toml"
        )
    return cls(settings)


def cost(usage: Usage, model: str | None, prices: dict[str, dict[str, float]]) -> Usage:
    """The usage with its estimated cost from the price table (USD per million tokens)."""
    price = prices.get(model or "")
    if not price:
        return usage
    fresh = max(0, usage.prompt_tokens - usage.cached_tokens)
    dollars = (
        fresh * price.get("input", 0.0)
        + usage.cached_tokens * price.get("cached", price.get("input", 0.0))
        + usage.completion_tokens * price.get("output", 0.0)
    ) / 1_000_000
    return usage.model_copy(update={"cost_usd": round(dollars, 6)})


def source_text(video: Video) -> str:
    """What the brief is written from: the transcript, else the description, else the title."""
    return video.transcript or video.description or video.title


class _Meter:
    """Thread-safe sum of usage across parallel calls."""

    def __init__(self, model: str | None, prices: dict[str, dict[str, float]]):
        self.model, self.prices = model, prices
        self.total = Usage()
        self._lock = threading.Lock()

    def add(self, usage: Usage) -> Usage:
        priced = cost(usage, self.model, self.prices)
        with self._lock:
            self.total = self.total + priced
        return priced


def _platforms(config) -> tuple[list[str], list[str]]:
    from .config import ConfigError
    from .registry import connectors

    enabled = list(dict.fromkeys(config.platforms.enabled))  # listed twice: still one post per framework
    present = [p for p in enabled if p in connectors]
    absent = [p for p in enabled if p not in connectors]
    if not present:
        raise ConfigError(
            f"platforms.enabled = {enabled}: no connector installed for any of them "
            f"(installed: {', '.join(connectors.names()) or 'none'}; see 'postgen plugins')"
        )
    warnings = [f"platform {p!r} is enabled but no connector plugin provides it: skipped" for p in absent]
    return present, warnings


def generate(
    config,
    video: Video,
    *,
    generator: Generator | None = None,
    on_post: Callable[[Post], None] | None = None,
    warnings: list[str] | None = None,
) -> Run:
    """Write a run for `video` (not saved). `on_post` is called as each post is settled."""
    from .checks import connector_for
    from .frameworks import selected

    gen = generator or pick_generator(config)
    platforms, notes = _platforms(config)
    library = selected(config)
    text = source_text(video)
    meter = _Meter(gen.model, config.generator.prices)

    brief, brief_usage = gen.brief(video)  # the ONE call that reads the whole source
    meter.add(brief_usage)
    brief, dropped = ground(clean_brief(brief), video)  # a fact stays only if the video says it
    brief = time_brief(brief, video)  # the second each kept fact and key point is said, where the source is timed

    stored = video.model_copy(update={"transcript": None, "cues": None})
    run_warnings = list(warnings or []) + notes + dropped
    if video.transcript:
        run_warnings.append(
            f"transcript: {len(video.transcript):,} characters, read once for the brief; not stored in this file"
        )
    elif video.description:
        run_warnings.append("no transcript: the brief was written from the title and description only")
    else:
        run_warnings.append("no transcript and no description: the brief was written from the title only")
    if video.transcript and not video.cues:
        run_warnings.append("the transcript has no timing: links open the video at the start")
    run = Run(
        id=Run.make_id(video.id),
        video=stored,
        brief=brief,
        generator=gen.name,
        model=gen.model,
        prompt_version=gen.prompt_version,
        source_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        warnings=run_warnings,
        headings={fw.name: f"{fw.emoji} {fw.label.upper()}".strip() for fw in library},
    )
    connectors = {p: connector_for(p, config) for p in platforms}
    run.warnings += [f"[platforms.{p}] media = \"thumbnail\": the {p} connector cannot upload pictures, so its posts go "
                     "without one" for p, c in connectors.items() if media_unsupported(c)]
    jobs = [(p, fw) for p in platforms for fw in library]
    run.posts = draft_posts(config, run, gen, jobs, connectors, library, meter, on_post, source=video.transcript)
    settle(run, connectors, config=config, source=video.transcript)
    run.usage = meter.total
    return run


def draft_posts(config, run: Run, gen: Generator, jobs: list[tuple[str, Framework]], connectors: dict,
                library: list[Framework], meter: _Meter, on_post: Callable[[Post], None] | None = None, *,
                source: str | None = None) -> list[Post]:
    """One post per (platform, framework) job from the run's brief: drafted in parallel, checked by
    its connector, repaired up to `repair_rounds`: one path for a new run and for `postgen extend`.
    `source`, the transcript when there is one at hand, is what claims are checked against."""
    from .adaptive import examples_for
    from .checks import check_post

    brief, stored = run.brief, run.video
    rounds = config.generator.repair_rounds
    examples = examples_for(config, list(dict.fromkeys(p for p, _ in jobs)), config.runs_path)
    stop = threading.Event()  # a run-wide error (quota, bad key) or Ctrl-C: no job sends anything more

    def one(platform: str, framework) -> Post:
        connector = connectors[platform]
        policy = getattr(connector.options, "link_policy", "first_comment")
        request = DraftRequest(
            platform=platform,
            platform_style=connector.style(),
            framework=framework,
            brief=brief,
            video=stored,
            link_policy=policy,
            has_title=bool(getattr(connector, "has_title", False)),
            library=library,
            measure=connector.measure,
            limit=getattr(connector, "limit", None),
            cancelled=stop,
            examples=examples,
        )
        post = Post(id=Post.make_id(platform, framework.name), platform=platform, framework=framework.name,
                    link_policy=policy, link=stored.url)
        post.media = plan_media(post, stored, connector)
        spent = Usage()

        def draft_once() -> Draft:
            if stop.is_set():  # also for generators that do not look at request.cancelled
                raise Cancelled(f"{post.id}: not sent, the run is stopping")
            return gen.draft(request)

        try:
            draft = draft_once()
            spent = spent + meter.add(draft.usage)
            _apply(post, draft)
            place(post, stored, brief, draft.main_point, config.publish.link_to_moment)
            errors = [p for p in check_post(post, run, connector, config, source=source) if p.severity == "error"]
            while errors and post.repairs < rounds:
                request.previous, request.problems = draft, errors
                draft = draft_once()
                spent = spent + meter.add(draft.usage)
                post.repairs += 1
                _apply(post, draft)
                place(post, stored, brief, draft.main_point, config.publish.link_to_moment)
                errors = [p for p in check_post(post, run, connector, config, source=source)
                          if p.severity == "error"]
        except PostGenerationError as exc:
            if exc.usage is not None:  # the failed call was billed all the same
                spent = spent + meter.add(exc.usage)
            post.problems = [Problem(severity="error", code="generator", message=str(exc))]
            post.state = PostState.failed
        except BaseException:  # the run ends here: the other jobs start no new call
            stop.set()
            raise
        if spent.calls or spent.prompt_tokens:
            post.usage = spent
        return post

    posts: dict[str, Post] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, min(config.generator.concurrency, len(jobs))))
    futures = [pool.submit(one, p, fw) for p, fw in jobs]
    try:
        for future in as_completed(futures):
            try:
                post = future.result()
            except Cancelled:  # stopped by another job's error, which is the one raised
                continue
            posts[post.id] = post
            if on_post:
                on_post(post)
    except BaseException as exc:
        # A run-wide error or Ctrl-C: nothing new starts. After an error the calls in flight finish
        # (they are billed anyway); Ctrl-C does not wait for them, and the command line exits
        # without joining them (nothing is saved from here).
        stop.set()
        pool.shutdown(wait=not isinstance(exc, KeyboardInterrupt), cancel_futures=True)
        raise
    pool.shutdown()
    return [posts[Post.make_id(p, fw.name)] for p, fw in jobs]


def _apply(post: Post, draft: Draft) -> None:
    """A draft into its post. Model output is untrusted text: normalized like a source's."""
    post.body = normalize(draft.body).strip()
    # A title is one line (Reddit's is, and the run file keeps it on the fence's first line).
    post.title = " ".join(normalize(draft.title).split()) if draft.title is not None else None
    post.generated = f"{post.title}\n\n{post.body}" if post.title is not None else post.body  # for before/after examples


def clean_brief(brief: Brief) -> Brief:
    """The brief with its text normalized: a model wrote it from untrusted text."""
    return brief.model_copy(update={
        "teaches": normalize(brief.teaches),
        "key_points": [normalize(p) for p in brief.key_points],
        "facts": [f.model_copy(update={"claim": normalize(f.claim), "evidence": normalize(f.evidence)}) for f in brief.facts],
        "audience": normalize(brief.audience),
    })


def settle(run: Run, connectors: dict, posts: list[Post] | None = None, config=None, *, source: str | None = None) -> None:
    """Final problems (lints see the whole run now, for near-duplicates) and the state of each of
    `posts` (default: all the run's). With the transcript (`source`), the sentences that back the
    posts' claims are kept in the run, so a later validate, which has no transcript, reaches the
    same verdicts."""
    from .checks import check_post

    if source:
        texts = [f"{p.title}\n{p.body}" if p.title else p.body for p in run.posts]
        run.backing = []  # chosen afresh: what the posts say now
        run.backing = backing_sentences(texts, run_support(run), source_support(source))
    for post in run.posts if posts is None else posts:
        if post.state == PostState.failed and any(p.code == "generator" for p in post.problems):
            continue
        post.problems = check_post(post, run, connectors[post.platform], config, source=source)
        post.state = PostState.failed if post.errors else PostState.ready


def _refuse_existing(path: Path, replace: bool) -> None:
    """A run file is replaced only with --force, and never once it has published posts."""
    if path.exists():
        from .ledger.journal import load

        old, _behind = load(path)  # as the journal knows it: a stale run file may hide a send
        started = [p.id for p in old.posts if p.state in (PostState.publishing, PostState.published)]
        if started:
            raise GeneratorError(f"{path} already has published posts ({', '.join(started)}); it is kept as it is")
        if not replace:
            raise GeneratorError(f"{path} already exists: review it, or rerun with --force to replace it")


def save_run(config, run: Run, *, replace: bool = False) -> Path:
    """Schedule and save the run, then tell plugins. Never overwrites a run that published."""
    from . import runfile, schedule
    from .events import Event, fire

    path = runfile.path_for(config.runs_path, run)
    path.parent.mkdir(parents=True, exist_ok=True)
    with runfile.locked(path):
        _refuse_existing(path, replace)
        schedule.assign(run, config)
        runfile.save(path, run)
    fire(Event("run_saved", run_id=run.id, message=str(path),
               data={"path": str(path), "ready": sum(p.state == PostState.ready for p in run.posts),
                     "failed": [p.id for p in run.posts if p.state == PostState.failed]}))
    return path


def run_pipeline(config, video_ref: str | None = None, *, on_start=None, on_post=None, replace: bool = False) -> Outcome:
    """`postgen run`: choose the video, generate, save. Publishes nothing."""
    from .selection import choose

    from .frameworks import selected

    gen = pick_generator(config)
    total = len(_platforms(config)[0]) * len(selected(config))  # fail on bad config before fetching
    chosen = choose(config, video_ref)
    # Before any generator call: the brief and drafts cost money, and save_run would refuse anyway.
    _refuse_existing(Path(config.runs_path) / f"{Run.make_id(chosen.video.id)}.md", replace)
    if on_start:
        on_start(gen, chosen, total)
    run = generate(config, chosen.video, generator=gen, on_post=on_post, warnings=chosen.warnings)
    path = save_run(config, run, replace=replace)
    return Outcome(run=run, path=path, warnings=list(run.warnings))
