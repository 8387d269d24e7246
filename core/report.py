"""The experiment report: which copywriting framework engages best, per platform, and how sure
that is. One model, rendered by the terminal table (`postgen report`), `--json` and the HTML page
(postgen.pages.report), so the three never disagree.

Per platform and framework: the lift (see postgen.engagement: 1.00 is the run's average), its 95 %
interval, the posts and runs behind it, the mean engagement rate where the platform reports
impressions, and how often the framework had the run's first slot. Lifts and intervals come from
one least-squares fit of framework and slot effects with runs as fixed effects
(postgen.engagement.fit), so a framework is not credited with the slots the adaptive policy gave
it. The verdict names a winner only when the leader is ahead of every other framework by a
one-sided t-test on the fitted difference, at 5 % shared among the rivals (Bonferroni), after at
least MIN_RUNS runs; otherwise it says plainly that the data cannot yet tell them apart.
"""

from __future__ import annotations

import math
import statistics
from datetime import date, datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .engagement import Fit, Score, fit, scores
from .models import Run, utcnow

REPORT_VERSION = 1
MIN_RUNS = 6  # runs with readings on a platform before any verdict
MIN_PAIRS = 5  # runs in which the leader and a rival were both read
ALPHA = 0.05  # one-sided, shared among the rivals
UNKNOWABLE = 4.0  # a 95 % half-width beyond e^4 (a lift between 1/55 and 55 times): shown as no interval
METHOD = (
    "Each run posts every framework about the same video, so each post is compared with its siblings of the "
    "same run and platform, read at the same age. The measure is the engagement rate (engagements / "
    "impressions) where the platform reports impressions (X, LinkedIn), else the engagements (Reddit: score "
    "+ comments; Mastodon: favourites + boosts + replies). Lift = exp(mean of log(measure) - log(run's "
    "mean)): 1.00 is a run's average, 1.25 is 25 % more engaging than its siblings. Framework and slot "
    "effects are fitted together (runs as fixed effects), so the first slot's extra reach is not credited "
    "to the framework that had it; intervals are 95 %. A winner is named only when the leader is ahead of "
    f"every other framework (one-sided t-tests, {ALPHA:.0%} shared among the rivals) after at least "
    f"{MIN_RUNS} runs."
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Cell(_Model):
    framework: str
    posts: int
    runs: int
    lift: float
    low: float | None  # 95 % interval of the lift; None with a single post
    high: float | None
    rate: float | None  # mean engagement rate, where the platform reports impressions
    engagements: float  # mean engagements per post
    prime_slots: int  # posts that had their run's first slot on this platform


class Point(_Model):
    run: str
    date: date
    lift: float  # the framework's lift over all runs up to and including this one


class Series(_Model):
    framework: str
    points: list[Point]


class Verdict(_Model):
    status: Literal["winner", "undecided", "not_enough_data"]
    leader: str | None = None
    text: str


class PlatformReport(_Model):
    platform: str
    measure: Literal["engagement rate", "engagements", "mixed"]
    runs: int
    posts: int
    cells: list[Cell]  # best first
    verdict: Verdict
    series: list[Series]


class Report(_Model):
    report: int = REPORT_VERSION
    generated_at: datetime
    since: date | None = None
    demo: bool = False
    method: str = METHOD
    platforms: list[PlatformReport]


# --------------------------------------------------------------------------- statistics


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile: exact for 1 and 2 degrees of freedom, Cornish-Fisher beyond (within
    0.5 % of the tables from 3 degrees up, which is all a verdict needs)."""
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    z = statistics.NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def interval(values: list[float], level: float = 0.95) -> tuple[float, float] | None:
    """The t-interval of the mean of `values` (None for fewer than two)."""
    n = len(values)
    if n < 2:
        return None
    mean = statistics.fmean(values)
    half = t_quantile(0.5 + level / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return mean - half, mean + half


# --------------------------------------------------------------------------- the model


def _lift(framework: str, items: list[Score], fitted: Fit | None) -> tuple[float, float | None, float | None]:
    """A framework's lift and 95 % interval: from the fit (net of slot effects) where there is one,
    else from its posts' scores alone."""
    if fitted is not None and framework in fitted.effect:
        estimate, se = fitted.relative(framework)
        half = t_quantile(0.975, fitted.dof) * se
        if half > UNKNOWABLE:  # the data cannot tell this framework from its slots (yet): no interval
            return math.exp(max(-UNKNOWABLE, min(UNKNOWABLE, estimate))), None, None
        return math.exp(estimate), math.exp(estimate - half), math.exp(estimate + half)
    values = [s.score for s in items if s.framework == framework]
    ci = interval(values)
    return math.exp(statistics.fmean(values)), (math.exp(ci[0]) if ci else None), (math.exp(ci[1]) if ci else None)


def _cell(framework: str, items: list[Score], fitted: Fit | None) -> Cell:
    mine = [s for s in items if s.framework == framework]
    lift, low, high = _lift(framework, items, fitted)
    rates = [s.rate for s in mine if s.rate is not None]
    return Cell(
        framework=framework, posts=len(mine), runs=len({s.run_id for s in mine}), lift=round(lift, 4),
        low=round(low, 4) if low is not None else None, high=round(high, 4) if high is not None else None,
        rate=round(statistics.fmean(rates), 6) if rates else None,
        engagements=round(statistics.fmean(s.engagements for s in mine), 2),
        prime_slots=sum(s.rank == 0 for s in mine),
    )


def _series(items: list[Score], frameworks: list[str]) -> list[Series]:
    """Each framework's lift as it stood after each run (the fit over the runs so far)."""
    runs = sorted({(s.created, s.run_id) for s in items})
    points: dict[str, list[Point]] = {f: [] for f in frameworks}
    for i, (created, run_id) in enumerate(runs):
        ids = {r for _, r in runs[: i + 1]}
        so_far = [s for s in items if s.run_id in ids]
        fitted = fit(so_far)
        for framework in {s.framework for s in so_far if s.run_id == run_id} & set(frameworks):
            lift, _, _ = _lift(framework, so_far, fitted)
            points[framework].append(Point(run=run_id, date=created.date(), lift=round(lift, 4)))
    return [Series(framework=f, points=points[f]) for f in frameworks]


def _fmt(cell: Cell) -> str:
    span = f", 95 % interval {cell.low:.2f}-{cell.high:.2f}" if cell.low is not None and cell.high is not None else ""
    return f"lift {cell.lift:.2f}{span}"


def verdict(platform: str, items: list[Score], cells: list[Cell], fitted: Fit | None = None) -> Verdict:
    """Name a winner only when the data says so; otherwise say plainly why not."""
    runs = len({s.run_id for s in items})
    fitted = fitted if fitted is not None else fit(items)
    if runs < MIN_RUNS or len(cells) < 2 or fitted is None:
        return Verdict(status="not_enough_data", text=(
            f"Not enough data yet on {platform}: readings from {runs} run{'s' if runs != 1 else ''}; "
            f"telling frameworks apart needs at least {MIN_RUNS} runs with two or more frameworks read."))
    leader, rivals = cells[0], cells[1:]
    in_run: dict[str, set[str]] = {}
    for s in items:
        in_run.setdefault(s.run_id, set()).add(s.framework)
    alpha = ALPHA / len(rivals)
    critical = t_quantile(1 - alpha, fitted.dof)
    for rival in rivals:
        together = sum(leader.framework in names and rival.framework in names for names in in_run.values())
        difference, se = fitted.contrast({leader.framework: 1.0, rival.framework: -1.0})
        ahead = difference > critical * se if se > 0 else difference > 0
        if together < MIN_PAIRS or not ahead:
            return Verdict(status="undecided", leader=leader.framework, text=(
                f"Cannot tell frameworks apart on {platform} yet: {leader.framework} leads ({_fmt(leader)}) but is "
                f"not clearly ahead of {rival.framework} ({_fmt(rival)}; {together} runs compare them)."))
    return Verdict(status="winner", leader=leader.framework, text=(
        f"{leader.framework} works best on {platform}: {_fmt(leader)}, ahead of every other framework "
        f"(one-sided p < {alpha:.4f} each, net of slot effects, {runs} runs)."))


def leaderboard(items: list[Score], fitted: Fit | None = None) -> list[Cell]:
    """One cell per framework with a score, best lift first."""
    return sorted((_cell(name, items, fitted) for name in {s.framework for s in items}), key=lambda c: (-c.lift, c.framework))


def platform_report(platform: str, items: list[Score]) -> PlatformReport:
    fitted = fit(items)
    cells = leaderboard(items, fitted)
    with_rate = {s.rate is not None for s in items}
    measure = "mixed" if len(with_rate) > 1 else ("engagement rate" if with_rate == {True} else "engagements")
    return PlatformReport(platform=platform, measure=measure, runs=len({s.run_id for s in items}), posts=len(items),
                          cells=cells, verdict=verdict(platform, items, cells, fitted),
                          series=_series(items, [c.framework for c in cells]))


def build(runs: list[Run], *, since: date | None = None, platform: str | None = None, demo: bool = False,
          now: datetime | None = None) -> Report:
    """The report over `runs` (those created on or after `since`; one platform or all)."""
    start = datetime.combine(since, datetime.min.time(), timezone.utc) if since else None
    items = scores(runs, platform, start)
    platforms = list(dict.fromkeys(s.platform for s in items))
    return Report(generated_at=now or utcnow(), since=since, demo=demo,
                  platforms=[platform_report(name, [s for s in items if s.platform == name]) for name in platforms])
