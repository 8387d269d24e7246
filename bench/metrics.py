"""The adaptive policy against the fixed rotation, and the report's honesty, over 52 weekly runs.

Run from the repository root with the project's venv:  python bench/metrics.py [--quick]

A synthetic audience (bench/audience.py) answers each run's posts. Two worlds:
- "one better": on each platform one framework is truly 42 % more engaging (log lift 0.35);
- "none": every framework is the same.
Two policies choose each week which framework's post takes a platform's first (prime) slot: the
fixed rotation (each framework every fifth week) and postgen's Thompson sampling
(postgen.adaptive.thompson_order), fed the scores of the runs before. Every week the report's
verdict (postgen.report.verdict) is computed over the runs so far. Scores of a run are known
before the next run is planned (its 24 h and 72 h readings are; the 7 d ones come later, which
only makes the real policy a little slower than this). Pure computation: no files, no network.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from audience import FRAMEWORKS, PLATFORMS, Audience, make_run  # noqa: E402

WEEKS = 52
QUARTERS = ((0, 13), (13, 26), (26, 39), (39, 52))
ONE_BETTER = {"linkedin": "storytelling", "x": "hormozi", "reddit": "naval"}
NONE_BETTER = {p: None for p in PLATFORMS}


def simulate(policy: str, best: dict, seed: int, *, slot_bonus: float = 0.0, cap: int | None = None) -> dict:
    """One year: per platform and week, who had the prime slot and what the report said."""
    from postgen.adaptive import beliefs, thompson_order
    from postgen.engagement import fit, run_scores
    from postgen.report import leaderboard, verdict

    audience = Audience(best=best, seed=seed, slot_bonus=slot_bonus)
    rng = random.Random(seed * 7919 + 1)
    scores: dict[str, list] = {p: [] for p in PLATFORMS}
    fitted: dict[str, object] = {p: None for p in PLATFORMS}
    prime: dict[str, list[str]] = {p: [] for p in PLATFORMS}
    said: dict[str, list[tuple[str, str | None]]] = {p: [] for p in PLATFORMS}
    engaged: dict[str, list[float]] = {p: [] for p in PLATFORMS}
    for week in range(WEEKS):
        orders = {}
        for p in PLATFORMS:
            if policy == "rotation":
                orders[p] = [FRAMEWORKS[(i + week) % len(FRAMEWORKS)] for i in range(len(FRAMEWORKS))]
            else:  # what postgen.adaptive.framework_order does, from the runs before this one
                orders[p] = thompson_order(beliefs(scores[p], list(FRAMEWORKS), fitted[p]), list(FRAMEWORKS), rng)
            prime[p].append(orders[p][0])
        run = make_run(week, orders, audience, caps={p: cap for p in PLATFORMS} if cap else None)
        for p in PLATFORMS:
            scores[p].extend(run_scores(run, p))
            fitted[p] = fit(scores[p])  # as postgen.report does
            v = verdict(p, scores[p], leaderboard(scores[p], fitted[p]), fitted[p])
            said[p].append((v.status, v.leader))
            week_posts = [q for q in run.posts if q.platform == p and q.metrics]
            engaged[p].append(sum(q.metrics[-1].engagements for q in week_posts))
    return {"prime": prime, "said": said, "engaged": engaged}


def run_world(policy: str, best: dict, sims: int, **kw) -> list[dict]:
    return [simulate(policy, best, seed, **kw) for seed in range(sims)]


def prime_share(results: list[dict], best: dict) -> list[float]:
    """Share of prime slots the truly best framework got, per quarter (all platforms, all years)."""
    out = []
    for a, b in QUARTERS:
        hits = [r["prime"][p][w] == best[p] for r in results for p in PLATFORMS if best[p] for w in range(a, b)]
        out.append(sum(hits) / len(hits))
    return out


def claims(results: list[dict], best: dict) -> dict:
    """How often the weekly report named a winner: the right one, a wrong one; per quarter."""
    right, wrong = [], []
    for a, b in QUARTERS:
        weeks = [r["said"][p][w] for r in results for p in PLATFORMS for w in range(a, b)]
        right.append(sum(s == "winner" and leader == best[p] for r in results for p in PLATFORMS
                         for (s, leader) in r["said"][p][a:b]) / len(weeks))
        wrong.append(sum(s == "winner" and leader != best[p] for r in results for p in PLATFORMS
                         for (s, leader) in r["said"][p][a:b]) / len(weeks))
    years = [(r, p) for r in results for p in PLATFORMS]
    ever_wrong = sum(any(s == "winner" and leader != best[p] for s, leader in r["said"][p]) for r, p in years) / len(years)
    firsts = [next((w + 1 for w, (s, leader) in enumerate(r["said"][p]) if s == "winner" and leader == best[p]), None)
              for r, p in years if best[p]]
    found = [f for f in firsts if f is not None]
    return {"right": right, "wrong": wrong, "ever_wrong": ever_wrong,
            "found_share": len(found) / len(firsts) if firsts else None,
            "first_week_median": statistics.median(found) if found else None}


def pct(xs: list[float]) -> str:
    return " / ".join(f"{x:5.1%}" for x in xs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer simulated years (15 instead of 60)")
    parser.add_argument("--sims", type=int, default=None)
    args = parser.parse_args()
    sims = args.sims or (15 if args.quick else 60)
    started = time.perf_counter()
    figures: dict = {"sims": sims, "weeks": WEEKS}
    print(f"{sims} simulated years of {WEEKS} weekly runs per world and policy; quarters are weeks 1-13 / 14-26 / 27-39 / 40-52\n")

    print("World 'one better' (a framework 42 % more engaging on each platform):")
    for policy in ("rotation", "adaptive"):
        results = run_world(policy, ONE_BETTER, sims)
        share, said = prime_share(results, ONE_BETTER), claims(results, ONE_BETTER)
        figures[f"one_better_{policy}"] = {"prime_share": share, **said}
        print(f"  {policy:<9} prime slots to the best framework: {pct(share)}  (overall {statistics.fmean(share):.1%})")
        print(f"  {'':<9} report names it the winner:        {pct(said['right'])}; names a wrong winner: {pct(said['wrong'])}")
        print(f"  {'':<9} years in which the report found it: {said['found_share']:.0%}, median week {said['first_week_median']}")
    print("  With [publish] max_posts_per_platform = 2 (only the first two of five go out):")
    for policy in ("rotation", "adaptive"):
        results = run_world(policy, ONE_BETTER, sims, cap=2)
        figures[f"cap2_{policy}"] = statistics.fmean(sum(r["engaged"][p]) for r in results for p in PLATFORMS)
    figures["cap2_gain"] = figures["cap2_adaptive"] / figures["cap2_rotation"] - 1
    print(f"  engagements per platform-year: rotation {figures['cap2_rotation']:,.0f}, adaptive "
          f"{figures['cap2_adaptive']:,.0f} ({figures['cap2_gain']:+.1%})\n")

    print("World 'none' (every framework the same): how often the weekly report claims a winner anyway")
    for policy, bonus in (("rotation", 0.0), ("adaptive", 0.0), ("adaptive", 0.3)):
        results = run_world(policy, NONE_BETTER, sims, slot_bonus=bonus)
        said = claims(results, NONE_BETTER)
        key = f"none_{policy}" + ("_slot_bonus" if bonus else "")
        figures[key] = said
        label = policy + (" + first-slot bonus 35 %" if bonus else "")
        print(f"  {label:<34} weekly reports claiming a winner: {pct(said['wrong'])}; "
              f"platform-years with any false claim: {said['ever_wrong']:.1%}")
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n({figures['seconds']} s)")
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
