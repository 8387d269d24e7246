"""Pages postgen writes or serves: one self-contained HTML document each (no CDN, no external
asset, works offline), built from this shell. The report page lives in `report`; the review page
reuses `page` and `escape`.

The shell's Content-Security-Policy allows nothing from outside the document: inline styles and
data: images always, inline scripts only for a page that brings one, and nothing else unless the
page asks (`csp_extra`, e.g. "connect-src 'self'" for a page that talks to its local server).
"""

from __future__ import annotations

import html

BASE_CSS = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6474; --line: #d9dee7; --bg: #ffffff; --soft: #f4f6fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 60rem; padding: 1.5rem 1rem 3rem; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
p.meta, .muted { color: var(--muted); font-size: .9rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); } th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .6rem; background: var(--soft); border: 1px solid var(--line); font-size: .8rem; }
svg { display: block; max-width: 100%; height: auto; }
"""


def escape(value: object) -> str:
    """Text (or a number) made safe for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str, *, css: str = "", script: str = "", csp_extra: str = "") -> str:
    """A whole HTML document around `body` (already HTML). `title` is escaped here."""
    policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    if script:
        policy += "; script-src 'unsafe-inline'"
    if csp_extra:
        policy += f"; {csp_extra}"
    scripts = f"<script>\n{script}\n</script>\n" if script else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{escape(policy)}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<link rel=\"icon\" href=\"data:,\">\n"
        f"<title>{escape(title)}</title>\n<style>{BASE_CSS}{css}</style>\n</head>\n"
        f"<body>\n{body}\n{scripts}</body>\n</html>\n"
    )
