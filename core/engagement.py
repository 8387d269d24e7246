"""One engagement score per published post, comparable within a platform: what the report ranks
and what the adaptive policy learns from. Pure functions of the runs (no files, no network).

Every run posts all of its frameworks about the same video, so a run is a small experiment: a
post is compared with its siblings of the same run on the same platform, read at the same age.

- Where the platform reports impressions (X, LinkedIn) the measure is the **engagement rate**,
  engagements / impressions; elsewhere (Reddit, Mastodon) it is the **engagements** themselves.
- A post's **score** is the natural log of its measure minus the mean log of its run's siblings
  (smoothed: (engagements + 0.5) / (impressions + 1), or engagements + 0.5). Score 0 is the run's
  average; `exp(score)` is the **lift**: 1.25 means 25 % more engaging than its siblings. How good
  the video was, how big the audience was that week and how old the posts were cancel out.
- Siblings are compared at one age: the bucket most of them have a reading for (the oldest when
  tied). A run with fewer than two comparable posts on a platform says nothing and is left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from .models import PostState, Reading, Run


@dataclass(frozen=True)
class Score:
    """One post's place among its siblings."""

    run_id: str
    created: datetime
    platform: str
    framework: str
    post_id: str
    age: str  # the bucket its run was compared at
    engagements: int
    impressions: int | None
    rate: float | None  # engagements / impressions, where the platform gives impressions
    score: float  # log lift against the run's siblings (0: average)
    rank: int  # its slot among the run's posts on this platform: 0 is the first (the prime slot)


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _value(reading: Reading, with_rate: bool) -> float:
    if with_rate:
        return math.log((reading.engagements + 0.5) / ((reading.impressions or 0) + 1))
    return math.log(reading.engagements + 0.5)


def run_scores(run: Run, platform: str) -> list[Score]:
    """The scores of one run's posts on one platform (empty when fewer than two compare)."""
    posts = [p for p in run.posts if p.platform == platform and p.state is PostState.published]
    order = sorted(posts, key=lambda p: (_aware(p.scheduled_at) if p.scheduled_at else _aware(run.created), run.posts.index(p)))
    rank = {p.id: i for i, p in enumerate(order)}
    readings: dict[str, dict[str, Reading]] = {}
    for post in posts:
        if any(r.deleted for r in post.metrics):
            continue  # gone: its numbers say nothing about its framework
        readings[post.id] = {r.age: r for r in post.metrics}
    ages: list[str] = []
    for by_age in readings.values():
        ages.extend(a for a in by_age if a not in ages)
    counts = {a: sum(a in by_age for by_age in readings.values()) for a in ages}
    usable = [a for a in ages if counts[a] >= 2]
    if not usable:
        return []
    age = max(usable, key=lambda a: (counts[a], _age_seconds(a)))
    chosen = {pid: by_age[age] for pid, by_age in readings.items() if age in by_age}
    with_rate = all((r.impressions or 0) > 0 for r in chosen.values())
    values = {pid: _value(r, with_rate) for pid, r in chosen.items()}
    mean = sum(values.values()) / len(values)
    out = []
    for post in posts:
        if post.id not in chosen:
            continue
        r = chosen[post.id]
        out.append(Score(run.id, _aware(run.created), platform, post.framework, post.id, age, r.engagements,
                         r.impressions, r.engagements / r.impressions if with_rate and r.impressions else None,
                         values[post.id] - mean, rank[post.id]))
    return out


def _age_seconds(label: str) -> float:
    from .metrics import parse_age

    try:
        return parse_age(label).total_seconds()
    except ValueError:
        return 0.0


def scores(runs: list[Run], platform: str | None = None, since: datetime | None = None) -> list[Score]:
    """Every comparable post's score (against its run's siblings), oldest run first."""
    out: list[Score] = []
    for run in sorted(runs, key=lambda r: (_aware(r.created), r.id)):
        if since is not None and _aware(run.created) < since:
            continue
        platforms = [platform] if platform else list(dict.fromkeys(p.platform for p in run.posts))
        for name in platforms:
            out.extend(run_scores(run, name))
    return out


# --------------------------------------------------------------------------- frameworks and slots


RIDGE = 1e-6  # keeps a design with an effect the data cannot tell from another solvable


@dataclass
class Fit:
    """Framework and slot effects on one platform, fitted together by least squares.

    score = framework effect + slot effect + noise, within each run (run effects removed by
    centring every column on its run's mean). The first slot may reach more people, and the
    adaptive policy gives it to the framework it believes in: fitting both keeps the slot's
    advantage from being credited to the framework, and the covariance says how well the data
    can tell them apart (under the adaptive policy, thanks to its exploration). Framework
    effects are relative to the average framework; slot effects to the average post.
    """

    frameworks: list[str]
    effect: dict[str, float]
    slot: dict[int, float]
    dof: int
    _columns: list[tuple[str, object]]
    _beta: list[float]
    _cov: list[list[float]]
    _robust: list[list[float]]

    def contrast(self, weights: dict[str, float]) -> tuple[float, float]:
        """Estimate and standard error of sum(w_f * effect_f) for weights summing to zero. The
        error is the larger of the classical one and the HC3 one: noise that differs by slot
        (a first slot with ten times the reach) or one influential run cannot shrink it."""
        c = [weights.get(name, 0.0) if kind == "f" else 0.0 for kind, name in self._columns]
        value = sum(ci * bi for ci, bi in zip(c, self._beta))
        var = max(sum(c[i] * m[i][j] * c[j] for i in range(len(c)) for j in range(len(c))) for m in (self._cov, self._robust))
        return value, math.sqrt(max(var, 0.0))

    def relative(self, framework: str) -> tuple[float, float]:
        """A framework's effect against the average framework, and its standard error."""
        k = len(self.frameworks)
        weights = {f: -1 / k for f in self.frameworks}
        weights[framework] = weights[framework] + 1
        return self.contrast(weights)

    def adjusted(self, items: list[Score]) -> list[Score]:
        """The scores less their slot's effect."""
        return [replace(s, score=s.score - self.slot.get(s.rank, 0.0)) for s in items]


def fit(items: list[Score]) -> Fit | None:
    """Least squares of the scores on framework and slot, runs as fixed effects (None when the
    data leave no degree of freedom for the noise)."""
    frameworks = sorted({s.framework for s in items})
    ranks = sorted({s.rank for s in items})
    runs: dict[str, list[Score]] = {}
    for s in items:
        runs.setdefault(s.run_id, []).append(s)
    columns: list[tuple[str, object]] = [("f", f) for f in frameworks[1:]] + [("r", r) for r in ranks[1:]]
    p = len(columns)
    dof = len(items) - len(runs) - p
    if len(frameworks) < 2 or dof < 2:
        return None
    rows: list[list[float]] = []
    ys: list[float] = []
    sizes: list[int] = []  # each row's run size: the run's own effect adds 1/size to its leverage
    for mine in runs.values():
        sizes.extend([len(mine)] * len(mine))
        x = [[1.0 if (kind == "f" and s.framework == name) or (kind == "r" and s.rank == name) else 0.0
              for kind, name in columns] for s in mine]
        means = [sum(col) / len(mine) for col in zip(*x)] if p else []
        y_mean = sum(s.score for s in mine) / len(mine)
        rows.extend([xi - m for xi, m in zip(row, means)] for row in x)
        ys.extend(s.score - y_mean for s in mine)
    xtx = [[RIDGE if i == j else 0.0 for j in range(p)] for i in range(p)]
    xty = [0.0] * p
    for r, y in zip(rows, ys):
        for i, ri in enumerate(r):
            if ri:
                line = xtx[i]
                for j, rj in enumerate(r):
                    line[j] += ri * rj
                xty[i] += ri * y
    inverse = _invert(xtx)
    beta = [sum(inverse[i][j] * xty[j] for j in range(p)) for i in range(p)]
    errors = [y - sum(b * xi for b, xi in zip(beta, r)) for r, y in zip(rows, ys)]
    sigma2 = sum(e * e for e in errors) / dof
    cov = [[sigma2 * v for v in row] for row in inverse]
    robust = _hc3(rows, errors, sizes, inverse)
    raw = {frameworks[0]: 0.0, **{name: b for (kind, name), b in zip(columns, beta) if kind == "f"}}
    mean = sum(raw.values()) / len(raw)
    slot = {ranks[0]: 0.0, **{name: b for (kind, name), b in zip(columns, beta) if kind == "r"}}
    average = sum(slot[s.rank] for s in items) / len(items)
    return Fit(frameworks, {f: v - mean for f, v in raw.items()}, {r: v - average for r, v in slot.items()},
               dof, columns, beta, cov, robust)


def _hc3(rows: list[list[float]], errors: list[float], sizes: list[int], inverse: list[list[float]]) -> list[list[float]]:
    """The HC3 (heteroscedasticity-consistent) covariance of the coefficients: each residual
    weighted by 1/(1 - leverage)^2, so a run that alone separates a framework from its slot
    cannot make the fit look surer than it is."""
    p = len(inverse)
    meat = [[0.0] * p for _ in range(p)]
    for r, e, size in zip(rows, errors, sizes):
        a = [sum(inverse[i][j] * r[j] for j in range(p)) for i in range(p)]
        leverage = min(sum(ri * ai for ri, ai in zip(r, a)) + 1 / size, 0.99)
        w = e * e / (1 - leverage) ** 2
        for i, ri in enumerate(r):
            if ri:
                line = meat[i]
                for j, rj in enumerate(r):
                    line[j] += w * ri * rj
    half = [[sum(inverse[i][k] * meat[k][j] for k in range(p)) for j in range(p)] for i in range(p)]
    return [[sum(half[i][k] * inverse[k][j] for k in range(p)) for j in range(p)] for i in range(p)]


def _invert(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan with partial pivoting (the matrices here are at most a dozen wide)."""
    n = len(matrix)
    a = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        lead = a[col][col]
        a[col] = [v / lead for v in a[col]]
        for r in range(n):
            if r != col and a[r][col]:
                factor = a[r][col]
                a[r] = [v - factor * w for v, w in zip(a[r], a[col])]
    return [row[n:] for row in a]


def by_framework(items: list[Score]) -> dict[str, list[float]]:
    """Scores grouped by framework (the bandit's input)."""
    out: dict[str, list[float]] = {}
    for item in items:
        out.setdefault(item.framework, []).append(item.score)
    return out
