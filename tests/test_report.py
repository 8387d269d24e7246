"""`postgen report`: the lift of each framework within its runs, net of slot effects, the
interval, the verdict that names a winner only when the data can tell, and the three renderings
of one model (table, --json, the HTML page loaded in headless Chromium)."""

from __future__ import annotations

import json
import math
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from postgen import runfile
from postgen.demo import demo_runs
from postgen.engagement import fit, run_scores, scores
from postgen.models import Post, PostState, Publication, Reading, Run, Video
from postgen.report import MIN_RUNS, build, t_quantile

FRAMEWORKS = ("hormozi", "garyvee", "naval", "storytelling", "aida")
START = datetime(2026, 1, 5, tzinfo=timezone.utc)


def make_run(week: int, values: dict[str, tuple[int, int | None]], platform: str = "x",
             order: list[str] | None = None) -> Run:
    """A run whose `platform` posts were read at 24 h: framework -> (engagements, impressions)."""
    created = START + timedelta(weeks=week)
    posts = []
    for rank, framework in enumerate(order or list(values)):
        engagements, impressions = values[framework]
        when = created + timedelta(hours=9 + rank)
        posts.append(Post(id=f"{platform}-{framework}", platform=platform, framework=framework, body="text",
                          state=PostState.published, scheduled_at=when,
                          publication=Publication(remote_id=f"{week}-{framework}", published_at=when),
                          metrics=[Reading(age="24h", at=when + timedelta(hours=24), engagements=engagements,
                                           impressions=impressions)]))
    return Run(id=f"{created.date()}-v{week}", created=created, video=Video(id=f"v{week}", url="https://example.com", title="t"),
               posts=posts)


def test_t_quantiles_match_the_tables():
    for p, df, table in [(0.975, 1, 12.706), (0.975, 2, 4.303), (0.975, 3, 3.182), (0.975, 5, 2.571),
                         (0.975, 10, 2.228), (0.99, 3, 4.541), (0.9875, 20, 2.423), (0.975, 60, 2.000)]:
        assert t_quantile(p, df) == pytest.approx(table, rel=0.005)


def test_lift_compares_siblings_of_one_run_by_engagement_rate():
    run = make_run(0, {"hormozi": (40, 1000), "aida": (10, 1000), "naval": (20, 500)})
    by = {s.framework: s for s in run_scores(run, "x")}
    assert by["naval"].rate == pytest.approx(0.04) and by["hormozi"].rate == pytest.approx(0.04)
    assert by["hormozi"].score == pytest.approx(by["naval"].score, abs=0.02)  # same rate, half the reach (smoothing aside)
    assert sum(s.score for s in by.values()) == pytest.approx(0)  # scores are against the run's mean
    assert by["hormozi"].score - by["aida"].score == pytest.approx(math.log(40.5 / 10.5), rel=1e-6)
    assert [by[f].rank for f in ("hormozi", "aida", "naval")] == [0, 1, 2]


def test_without_impressions_engagements_are_compared_and_lonely_posts_say_nothing():
    run = make_run(0, {"hormozi": (30, None), "aida": (10, None)}, platform="reddit")
    by = {s.framework: s for s in run_scores(run, "reddit")}
    assert by["hormozi"].rate is None and by["hormozi"].score > 0 > by["aida"].score
    assert run_scores(make_run(0, {"hormozi": (30, None)}, platform="reddit"), "reddit") == []


def test_deleted_and_unpublished_posts_are_left_out():
    run = make_run(0, {"hormozi": (30, 900), "aida": (10, 900), "naval": (5, 900)})
    run.post("x-naval").metrics.append(Reading(age="72h", at=START, deleted=True))
    run.post("x-aida").state = PostState.failed
    assert [s.framework for s in run_scores(run, "x")] == []  # one comparable post left: no comparison


def _year(effect: float, seed: int, weeks: int = 30, slot_bonus: float = 0.0, sticky: str | None = None,
          sticky_share: float = 1.0) -> list[Run]:
    """Weekly runs from a small synthetic audience: hormozi is `effect` (log) better; `sticky`
    takes the first slot (in `sticky_share` of the runs), which adds `slot_bonus`."""
    rng = random.Random(seed)
    runs = []
    for week in range(weeks):
        order = list(FRAMEWORKS)
        rng.shuffle(order)
        if sticky and rng.random() < sticky_share:
            order.remove(sticky)
            order.insert(0, sticky)
        video = rng.gauss(0, 0.5)
        values = {}
        for rank, framework in enumerate(order):
            rate = 0.03 * math.exp(video + (effect if framework == "hormozi" else 0) + (slot_bonus if rank == 0 else 0)
                                   + rng.gauss(0, 0.4))
            values[framework] = (round(rate * 2000), 2000)
        runs.append(make_run(week, values, order=order))
    return runs


def test_a_clear_winner_is_named():
    report = build(_year(0.6, seed=1))
    [x] = report.platforms
    assert x.verdict.status == "winner" and x.verdict.leader == "hormozi"
    assert x.cells[0].framework == "hormozi" and x.cells[0].low > 1.0
    assert "hormozi works best on x" in x.verdict.text


def test_no_winner_when_frameworks_are_alike():
    for seed in range(8):
        [x] = build(_year(0.0, seed=seed)).platforms
        assert x.verdict.status == "undecided", seed
        assert x.verdict.text.startswith("Cannot tell frameworks apart on x yet")


def test_a_slot_advantage_is_not_credited_to_the_framework_that_usually_had_it():
    # aida takes the first slot in 80 % of the runs (as the adaptive policy would), and the first
    # slot reaches more people (+0.5 log): raw scores favour aida, the fit gives the slot the credit
    raw, effect, slot = [], [], []
    for seed in range(6):
        runs = _year(0.0, seed=seed, slot_bonus=0.5, sticky="aida", sticky_share=0.8)
        items = scores(runs, "x")
        fitted = fit(items)
        assert fitted is not None
        raw.append(sum(s.score for s in items if s.framework == "aida") / sum(s.framework == "aida" for s in items))
        effect.append(fitted.effect["aida"])
        slot.append(fitted.slot[0])
        [x] = build(runs).platforms
        assert x.verdict.status != "winner", seed
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    assert mean(raw) > 0.25 and mean(slot) > 0.25  # the first slot is 0.4 above the average post
    assert abs(mean(effect)) < 0.1  # aida itself is no better than the rest


def test_a_framework_that_always_had_the_first_slot_cannot_be_told_from_it():
    [x] = build(_year(0.0, seed=3, slot_bonus=0.5, sticky="aida")).platforms
    aida = next(c for c in x.cells if c.framework == "aida")
    assert (aida.low, aida.high) == (None, None)  # no interval: the data cannot separate the two
    assert x.verdict.status != "winner"


def test_too_few_runs_is_not_enough_data():
    [x] = build(_year(0.6, seed=1, weeks=MIN_RUNS - 1)).platforms
    assert x.verdict.status == "not_enough_data" and f"at least {MIN_RUNS}" in x.verdict.text


def test_since_and_platform_filters():
    runs = _year(0.6, seed=1, weeks=10) + [make_run(11, {"hormozi": (9, None), "aida": (3, None)}, platform="reddit")]
    assert [p.platform for p in build(runs).platforms] == ["x", "reddit"]
    assert [p.platform for p in build(runs, platform="reddit").platforms] == ["reddit"]
    late = build(runs, since=(START + timedelta(weeks=8)).date())
    assert late.platforms[0].runs == 2 and late.since == (START + timedelta(weeks=8)).date()


def test_series_follow_the_runs():
    [x] = build(_year(0.6, seed=1, weeks=8)).platforms
    hormozi = next(s for s in x.series if s.framework == "hormozi")
    assert len(hormozi.points) == 8 and hormozi.points[0].date == date(2026, 1, 5)
    assert hormozi.points[-1].lift == pytest.approx(x.cells[[c.framework for c in x.cells].index("hormozi")].lift)


# --- the demo data and the command ---------------------------------------------------------------


def test_demo_shows_two_winners_and_an_honest_doubt():
    report = build(demo_runs(), demo=True)
    verdicts = {p.platform: (p.verdict.status, p.verdict.leader) for p in report.platforms}
    assert verdicts["x"] == ("winner", "hormozi") and verdicts["linkedin"] == ("winner", "storytelling")
    assert verdicts["reddit"][0] == "undecided"  # no framework is better there


def test_report_json_is_documented_and_stable(cli):
    data = json.loads(cli("report", "--demo", "--json").output)
    assert set(data) == {"report", "generated_at", "since", "demo", "method", "platforms"} and data["report"] == 1
    platform = data["platforms"][0]
    assert set(platform) == {"platform", "measure", "runs", "posts", "cells", "verdict", "series"}
    assert set(platform["cells"][0]) == {"framework", "posts", "runs", "lift", "low", "high", "rate", "engagements", "prime_slots"}
    assert set(platform["verdict"]) == {"status", "leader", "text"}
    assert set(platform["series"][0]["points"][0]) == {"run", "date", "lift"}


def test_report_table_has_bars_and_the_verdict(cli):
    result = cli("report", "--demo", "--platform", "x")
    assert result.exit_code == 0
    assert "hormozi" in result.output and "█" in result.output and "hormozi works best on x" in result.output
    assert "linkedin" not in result.output


def test_report_reads_the_runs_folder(cli, isolated):
    folder = isolated / "runs"
    for run in _year(0.6, seed=1, weeks=7):
        runfile.save(runfile.path_for(folder, run), run)
    (folder / "2026-09-09-broken.md").write_text("not a run file", encoding="utf-8")
    result = cli("report", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["platforms"][0]["runs"] == 7
    assert "left out of the report" in result.stderr and "broken" in result.stderr


def test_report_with_no_readings_says_what_to_do(cli):
    result = cli("report")
    assert result.exit_code == 0 and "postgen metrics --due" in result.output


def test_report_usage_errors(cli):
    assert cli("report", "--platform", "myspace").exit_code == 2
    assert cli("report", "--since", "last week").exit_code == 2


def test_report_html_renders_in_chromium(cli, isolated, browser):
    out = isolated / "out.html"
    result = cli("report", "--demo", "--html", str(out))
    assert result.exit_code == 0 and f"wrote {out}" in result.output
    html = out.read_text(encoding="utf-8")
    assert "http://" not in html and "https://" not in html  # self-contained: nothing to fetch
    page = browser.open(out)
    assert browser.errors == []
    assert [r for r in browser.requests if not r.startswith(("file:", "data:"))] == []
    for kind in ("leaderboard", "timeline"):
        charts = page.locator(f"svg.chart.{kind}")
        assert charts.count() == 3  # one per platform
        for i in range(3):
            box = charts.nth(i).bounding_box()
            assert box and box["width"] > 100 and box["height"] > 50
    bars = page.locator('svg.leaderboard[data-platform="x"] rect.bar')
    assert bars.count() == 5 and all((bars.nth(i).bounding_box() or {}).get("width", 0) > 0 for i in range(5))
    lines = page.locator('svg.timeline[data-platform="linkedin"] polyline')
    assert lines.count() == 5 and all((lines.nth(i).bounding_box() or {}).get("width", 0) > 100 for i in range(5))
    assert "storytelling works best on linkedin" in page.locator("#linkedin .verdict").inner_text()


def test_an_empty_report_page_still_renders(cli, isolated, browser):
    out = isolated / "empty.html"
    assert cli("report", "--html", str(out)).exit_code == 0
    page = browser.open(out)
    assert browser.errors == [] and "No engagement readings yet" in page.inner_text("body")


def test_html_escapes_what_it_shows():
    from postgen.pages import escape, page

    doc = page("<b>t</b>", "<p>ok</p>")
    assert "<title>&lt;b&gt;t&lt;/b&gt;</title>" in doc and escape("default-src 'none'") in doc
    assert escape('"><script>') == "&quot;&gt;&lt;script&gt;"
