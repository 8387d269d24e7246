"""The report as one self-contained HTML page: per platform the verdict, a leaderboard chart (lift
with its 95 % interval), the numbers, and the lift of each framework over time. The charts are
inline SVG drawn here, so the page needs no script, no CDN and no network.
"""

from __future__ import annotations

import math

from postgen.report import PlatformReport, Report

from . import escape, page

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d")
WIDTH = 640
CSS = """
.verdict { padding: .5rem .75rem; border-left: 4px solid var(--line); background: var(--soft); }
.verdict.winner { border-color: #16a34a; } .verdict.undecided { border-color: #ca8a04; } .verdict.not_enough_data { border-color: #9ca3af; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; font-size: .9rem; }
.swatch { display: inline-block; width: .7rem; height: .7rem; border-radius: 2px; margin-right: .35rem; vertical-align: baseline; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2330; } svg .axis { stroke: #9ca3af; stroke-width: 1; } svg .grid { stroke: #e5e7eb; }
"""


def colours(report: Report) -> dict[str, str]:
    """One colour per framework across the whole page (sorted names: stable between reports)."""
    names = sorted({c.framework for p in report.platforms for c in p.cells})
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def _num(x: float) -> str:
    return f"{x:.1f}"


TICKS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)


def _svg(kind: str, platform: PlatformReport, height: int, what: str) -> str:
    """The opening tag of one chart: its kind and platform as class and data attributes (the tests find it by them)."""
    return (f'<svg class="chart {kind}" data-platform="{escape(platform.platform)}" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" role="img" aria-label="{what} on {escape(platform.platform)}">')


def _ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """The lift ticks within the log range, the run average (1) drawn as the axis."""
    return [(t, "axis" if t == 1.0 else "grid") for t in TICKS if lo <= math.log(t) <= hi]


def leaderboard(platform: PlatformReport, colour: dict[str, str]) -> str:
    """Horizontal bars from the run average (lift 1) to each framework's lift, with the interval."""
    row, left, right, top = 30, 130, 20, 24
    height = top + row * len(platform.cells) + 24
    values = [1.0] + [v for c in platform.cells for v in (c.lift, c.low, c.high) if v is not None]
    lo, hi = math.log(min(values) * 0.9), math.log(max(values) * 1.1)

    def x(lift: float) -> float:
        return left + (math.log(lift) - lo) / (hi - lo) * (WIDTH - left - right)

    out = [_svg("leaderboard", platform, height, "lift by framework")]
    for tick, cls in _ticks(lo, hi):
        out.append(f'<line class="{cls}" x1="{_num(x(tick))}" y1="{top - 6}" x2="{_num(x(tick))}" y2="{height - 20}"/>'
                   f'<text x="{_num(x(tick))}" y="{height - 6}" text-anchor="middle">{tick:g}</text>')
    out.append(f'<text x="{_num(x(1.0))}" y="{top - 10}" text-anchor="middle">run average</text>')
    for i, cell in enumerate(platform.cells):
        y = top + i * row
        a, b = sorted((x(1.0), x(cell.lift)))
        span = f", 95 % interval {cell.low:.2f}-{cell.high:.2f}" if cell.low is not None and cell.high is not None else ""
        out.append(f'<text x="{left - 8}" y="{y + row / 2 + 4}" text-anchor="end">{escape(cell.framework)}</text>')
        out.append(f'<rect class="bar" data-framework="{escape(cell.framework)}" x="{_num(a)}" y="{y + 6}" '
                   f'width="{_num(max(b - a, 2))}" height="{row - 12}" fill="{colour[cell.framework]}">'
                   f'<title>{escape(cell.framework)}: lift {cell.lift:.2f}{span}, {cell.posts} posts</title></rect>')
        if cell.low is not None and cell.high is not None:
            mid = y + row / 2
            out.append(f'<path class="interval" d="M{_num(x(cell.low))} {mid}H{_num(x(cell.high))}M{_num(x(cell.low))} {mid - 5}'
                       f'V{mid + 5}M{_num(x(cell.high))} {mid - 5}V{mid + 5}" stroke="#1d2330" stroke-width="1.5" fill="none"/>')
    out.append("</svg>")
    return "".join(out)


def timeline(platform: PlatformReport, colour: dict[str, str]) -> str:
    """Each framework's lift so far, run by run (the line settles as readings come in)."""
    height, left, right, top, bottom = 240, 48, 16, 12, 28
    dates = sorted({p.date for s in platform.series for p in s.points})
    lifts = [p.lift for s in platform.series for p in s.points] + [1.0]
    lo, hi = math.log(min(lifts) * 0.9), math.log(max(lifts) * 1.1)
    first, last = dates[0].toordinal(), dates[-1].toordinal()

    def x(day) -> float:
        return left + ((day.toordinal() - first) / (last - first) if last > first else 0.5) * (WIDTH - left - right)

    def y(lift: float) -> float:
        return top + (hi - math.log(lift)) / (hi - lo) * (height - top - bottom)

    out = [_svg("timeline", platform, height, "lift over time")]
    for tick, cls in _ticks(lo, hi):
        out.append(f'<line class="{cls}" x1="{left}" y1="{_num(y(tick))}" x2="{WIDTH - right}" y2="{_num(y(tick))}"/>'
                   f'<text x="{left - 6}" y="{_num(y(tick) + 4)}" text-anchor="end">{tick:g}</text>')
    out.append(f'<text x="{left}" y="{height - 8}">{escape(dates[0].isoformat())}</text>')
    if last > first:
        out.append(f'<text x="{WIDTH - right}" y="{height - 8}" text-anchor="end">{escape(dates[-1].isoformat())}</text>')
    for series in platform.series:
        c = colour[series.framework]
        points = " ".join(f"{_num(x(p.date))},{_num(y(p.lift))}" for p in series.points)
        out.append(f'<g class="series" data-framework="{escape(series.framework)}">'
                   f'<polyline points="{points}" fill="none" stroke="{c}" stroke-width="2"/>')
        for p in series.points:
            out.append(f'<circle cx="{_num(x(p.date))}" cy="{_num(y(p.lift))}" r="3" fill="{c}">'
                       f'<title>{escape(series.framework)} after {escape(p.run)}: lift {p.lift:.2f}</title></circle>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _table(platform: PlatformReport, colour: dict[str, str]) -> str:
    rate = platform.measure != "engagements"
    head = ("<tr><th>framework</th><th class=num>posts</th><th class=num>runs</th><th class=num>lift</th>"
            "<th class=num>95 % interval</th>" + ("<th class=num>engagement rate</th>" if rate else "")
            + "<th class=num>engagements / post</th><th class=num>first slots</th></tr>")
    rows = []
    for c in platform.cells:
        span = f"{c.low:.2f} – {c.high:.2f}" if c.low is not None and c.high is not None else "–"
        rows.append(
            f'<tr><td><span class="swatch" style="background:{colour[c.framework]}"></span>{escape(c.framework)}</td>'
            f"<td class=num>{c.posts}</td><td class=num>{c.runs}</td><td class=num>{c.lift:.2f}</td><td class=num>{span}</td>"
            + (f"<td class=num>{'–' if c.rate is None else f'{c.rate:.2%}'}</td>" if rate else "")
            + f"<td class=num>{c.engagements:g}</td><td class=num>{c.prime_slots}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def render(report: Report) -> str:
    """The whole page."""
    colour = colours(report)
    parts = ["<h1>Which framework works</h1>",
             f'<p class="meta">postgen report, {escape(report.generated_at.strftime("%Y-%m-%d %H:%M UTC"))}'
             + (f", runs since {escape(report.since.isoformat())}" if report.since else "")
             + (' <span class="badge">demo data</span>' if report.demo else "") + "</p>",
             f'<p class="muted">{escape(report.method)}</p>']
    if not report.platforms:
        parts.append("<p>No engagement readings yet: publish some posts, then run <code>postgen metrics --due</code> "
                     "(or try <code>postgen report --demo --html report.html</code>).</p>")
    for platform in report.platforms:
        measure = {"engagement rate": "engagement rate", "engagements": "engagements", "mixed": "engagement rate or engagements"}
        parts.append(f'<section class="platform" id="{escape(platform.platform)}"><h2>{escape(platform.platform)}</h2>')
        parts.append(f'<p class="verdict {escape(platform.verdict.status)}">{escape(platform.verdict.text)}</p>')
        parts.append(f'<p class="muted">{platform.posts} posts from {platform.runs} runs; lift compares '
                     f'{escape(measure[platform.measure])} within each run.</p>')
        parts.append(leaderboard(platform, colour))
        parts.append(_table(platform, colour))
        parts.append("<h3>Lift over time</h3>")
        parts.append(timeline(platform, colour))
        parts.append('<p class="legend">' + " ".join(
            f'<span><span class="swatch" style="background:{colour[c.framework]}"></span>{escape(c.framework)}</span>'
            for c in platform.cells) + "</p>")
        parts.append("</section>")
    return page("postgen report: which framework works", "\n".join(parts), css=CSS)
