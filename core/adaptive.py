"""Learning in the loop (`[generator] frameworks = "adaptive"`): which framework's post takes a
platform's best slots, which are published at all under `[publish] max_posts_per_platform`, and
which past posts the generator sees as style examples.

The policy is Thompson sampling per platform over the frameworks, a small pure function of the
engagement scores (postgen.engagement): each framework's mean score has a normal prior centred on
the run average (sd PRIOR_SD, a lift within about e^±1) and is updated by its posts' scores with
the platform's pooled per-post variance. Each new run draws one plausible mean per framework
and orders the frameworks by the draws: a framework that did well usually comes first, one with
little data sometimes does, so the policy keeps exploring. The draw is seeded by the run id and
platform, so a run's order is reproducible. "The best slots" are the first slots of the run on a
platform (the order in which its posts go out).
"""

from __future__ import annotations

import math
import random
import statistics
from pathlib import Path

from .engagement import Fit, Score
from .generator import StyleExample
from .models import Run

PRIOR_SD = 0.5  # prior spread of a framework's mean log lift
NOISE_SD = 0.6  # per-post score spread assumed until the platform has MIN_POOLED scores
MIN_POOLED = 10
MIN_NOISE_SD = 0.2  # never more certain than this per post, however alike the scores so far


def posterior(values: list[float], noise_var: float) -> tuple[float, float]:
    """Mean and variance of a framework's mean score given its posts' scores."""
    precision = 1 / PRIOR_SD**2 + len(values) / noise_var
    return (sum(values) / noise_var) / precision, 1 / precision


def noise_variance(history: dict[str, list[float]]) -> float:
    """The per-post variance within frameworks, pooled; the assumed one until there is enough data."""
    residuals = [v - statistics.fmean(vs) for vs in history.values() if len(vs) > 1 for v in vs]
    dof = sum(len(vs) - 1 for vs in history.values() if len(vs) > 1)
    if dof < MIN_POOLED:
        return NOISE_SD**2
    return max(sum(r * r for r in residuals) / dof, MIN_NOISE_SD**2)


def beliefs(items: list[Score], frameworks: list[str], fitted: Fit | None = None) -> dict[str, tuple[float, float]]:
    """What the data says of each framework's effect on a platform: a posterior mean and sd.

    From the fit of framework and slot effects together (postgen.engagement.fit) when there is
    one: its estimate and standard error, combined with the prior. A framework that has nearly
    always had the same slot cannot be told from it, so its sd stays wide and the policy tries it
    elsewhere, instead of crediting (or blaming) it for the slot. Too little data for a fit: the
    conjugate update of each framework's own scores."""
    from .engagement import by_framework, fit

    fitted = fitted or fit(items)
    if fitted is None:
        scores = by_framework(items)
        noise = noise_variance(scores)
        out = {}
        for name in frameworks:
            mean, var = posterior(scores.get(name, []), noise)
            out[name] = (mean, math.sqrt(var))
        return out
    counts = {name: sum(s.framework == name for s in items) for name in frameworks}
    out = {}
    for name in frameworks:
        if name not in fitted.effect:
            out[name] = (0.0, PRIOR_SD)
            continue
        estimate, se = fitted.relative(name)
        se = max(se, MIN_NOISE_SD / math.sqrt(max(counts[name], 1)))
        precision = 1 / PRIOR_SD**2 + 1 / se**2
        out[name] = ((estimate / se**2) / precision, math.sqrt(1 / precision))
    return out


def thompson_order(belief: dict[str, tuple[float, float]], frameworks: list[str], rng: random.Random) -> list[str]:
    """`frameworks` ordered by one draw from each one's posterior (mean, sd), best first; a
    framework the beliefs do not know is drawn from the prior."""
    draws = {name: rng.gauss(*belief.get(name, (0.0, PRIOR_SD))) for name in frameworks}
    return sorted(frameworks, key=lambda name: -draws[name])


def _runs(runs_dir: Path | None, skip: str | None = None) -> list[Run]:
    from . import runfile

    out = []
    for path in runfile.list_runs(runs_dir) if runs_dir is not None else []:
        if path.stem == skip:
            continue
        try:
            out.append(runfile.load(path))
        except runfile.RunFileError:
            continue  # 'postgen status' reports it; learning goes on without it
    return out


def framework_order(config, run: Run, platform: str, runs_dir: Path | None) -> list[str]:
    """The order in which `run`'s posts on `platform` take its slots: `[schedule] framework_order`,
    or with `[generator] frameworks = "adaptive"` the policy's draw for this run."""
    if config.generator.frameworks != "adaptive":
        return list(config.schedule.framework_order)
    from .engagement import scores

    names = list(dict.fromkeys(p.framework for p in run.posts if p.platform == platform))
    rng = random.Random(f"{run.id}:{platform}")
    return thompson_order(beliefs(scores(_runs(runs_dir, skip=run.id), platform), names), names, rng)


# --------------------------------------------------------------------------- style examples


CHARS_PER_TOKEN = 4  # a rough count that errs long for English; budgets are estimates
MAX_EXAMPLE_CHARS = 1200
BEST_PER_PLATFORM, EDITS_PER_PLATFORM = 3, 2


def _text(post) -> str:
    return f"{post.title}\n\n{post.body}" if post.title is not None else post.body


def _clip(text: str) -> str:
    from .untrusted import normalize  # a past post is model output a person may have edited

    text = normalize(text).strip()
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[:MAX_EXAMPLE_CHARS].rstrip() + " …"


def _size(example: StyleExample) -> int:
    return (len(example.text) + len(example.before or "") + 80) // CHARS_PER_TOKEN


def style_examples(runs: list[Run], platforms: list[str], budget_tokens: int) -> list[StyleExample]:
    """For each platform, its best-scoring past posts (lift above 1) and the latest edits a person
    made before a post went out, within `budget_tokens` shared equally by the platforms. The same
    list for every draft of a run: it belongs in the prompt's shared, cacheable prefix."""
    from .engagement import fit, scores
    from .models import PostState

    if budget_tokens <= 0 or not platforms:
        return []
    share = budget_tokens // len(platforms)
    posts = {(run.id, p.id): p for run in runs for p in run.posts}
    out: list[StyleExample] = []
    for platform in platforms:
        items = scores(runs, platform)
        fitted = fit(items)
        ranked = sorted((s for s in (fitted.adjusted(items) if fitted else items) if s.score > 0), key=lambda s: -s.score)
        best = [StyleExample(platform, s.framework, _clip(_text(posts[(s.run_id, s.post_id)])), round(math.exp(s.score), 2))
                for s in ranked[:BEST_PER_PLATFORM]]
        edited = [p for run in sorted(runs, key=lambda r: r.created, reverse=True) for p in run.posts
                  if p.platform == platform and p.state is PostState.published and p.generated
                  and p.generated.strip() != _text(p).strip()]
        edits = [StyleExample(platform, p.framework, _clip(_text(p)), before=_clip(p.generated or ""))
                 for p in edited[:EDITS_PER_PLATFORM]]
        used = 0
        for example in [e for pair in zip(best, edits) for e in pair] + best[len(edits):] + edits[len(best):]:
            if used + _size(example) > share:
                continue
            out.append(example)
            used += _size(example)
    return out


def examples_for(config, platforms: list[str], runs_dir: Path | None) -> list[StyleExample]:
    """The style examples for a new run (none unless `[generator] frameworks = "adaptive"`)."""
    if config.generator.frameworks != "adaptive":
        return []
    return style_examples(_runs(runs_dir), platforms, config.generator.examples_tokens)
