"""The `offline` generator: deterministic, no network, no key.

The brief is extracted from the source text (the sentences that carry the most of the video's
vocabulary, and the sentences that hold numbers, kept as facts with their evidence). Posts are
the framework's templates filled from the brief, then shrunk until they fit the platform's
budget. Repairs read the problem messages ("329 of 280 ...") and shrink further.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from typing import Callable

from postgen import hookimpl
from postgen.generator import Draft, DraftRequest, Generator
from postgen.models import Brief, Fact, Framework, Usage, Video

# What the offline posts aim at, below the platforms' hard limits so a draft passes first time.
BUDGETS = {"x": 250, "linkedin": 2800, "reddit": 38000}
TITLE_BUDGET = 120
DEFAULT_BUDGET = 250  # an unknown platform whose style() names no limit: stay short

STOPWORDS = set(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers him his how i if in into is it its itself just let like me more most my
    no nor not now of off on once only or other our ours out over own really same she should so some such
    than that the their them then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours going gonna get got
    thing things one way kind sort know think right okay yeah well actually so much many""".split()
)
NUMBER = re.compile(r"\d")
URL = re.compile(r"https?://\S+")
# Channel housekeeping, not content: never a key point.
META = re.compile(r"\b(last|previous|next) (video|episode)|subscribe|sponsor|patreon|like and|link in the description", re.I)


# --------------------------------------------------------------------------- lengths


def _weight(ch: str) -> int:
    cp = ord(ch)
    if cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223 or 8242 <= cp <= 8247:
        return 1
    return 2


def weighted_length(text: str) -> int:
    """X's weighted length (twitter-text v3): most Latin 1, others 2, each emoji 2, each URL 23."""
    import emoji

    text = unicodedata.normalize("NFC", text)
    total = 0
    pos = 0
    spans = [(m.start(), m.end(), 23) for m in URL.finditer(text)]
    spans += [(e["match_start"], e["match_end"], 2) for e in emoji.emoji_list(text)]
    for start, end, weight in sorted(spans):
        if start < pos:
            continue
        total += sum(_weight(c) for c in text[pos:start]) + weight
        pos = end
    return total + sum(_weight(c) for c in text[pos:])


def measure_for(platform: str) -> Callable[[str], int]:
    return weighted_length if platform == "x" else len


def _style_budget(style: str) -> int | None:
    """The smallest 'N characters' a connector's style() names, if any."""
    found = [int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*)\s*(?:weighted\s+)?char", style or "")]
    return min(found) if found else None


# --------------------------------------------------------------------------- brief


def _sentences(text: str) -> list[str]:
    """Sentences; unpunctuated caption text is cut into ~25-word chunks instead."""
    text = re.sub(r"\[[^\]]*\]", " ", text)  # [Music], [Applause]
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'])", text)
    out: list[str] = []
    for part in parts:
        words = part.split()
        if len(part) <= 260:
            out.append(part)
            continue
        for i in range(0, len(words), 25):
            out.append(" ".join(words[i : i + 25]))
    return [_tidy(s) for s in out if len(s.split()) >= 4]


def _tidy(sentence: str) -> str:
    s = sentence.strip().strip("-–—•*# ").strip()
    s = re.sub(r"\*\*|__|`", "", s)
    if s and s[0].islower():
        s = s[0].upper() + s[1:]
    if s and s[-1] not in ".!?":
        s += "."
    return s


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z][a-z'-]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def build_brief(video: Video) -> Brief:
    """A brief from the video's own words: nothing here is invented."""
    source = video.transcript or video.description or video.title
    sentences = _sentences(source)
    if not sentences:
        sentences = [_tidy(video.title)]
    freq = Counter(_words(source + " " + video.title))
    title_words = set(_words(video.title))

    def score(s: str) -> float:
        ws = _words(s)
        if not ws:
            return 0.0
        base = sum(freq[w] for w in ws) / (len(ws) ** 0.5)
        return base + 2.0 * len(title_words.intersection(ws))

    usable = [s for s in sentences if 30 <= len(s) <= 220 and not URL.search(s) and not META.search(s)] or sentences
    ranked = sorted(range(len(usable)), key=lambda i: (-score(usable[i]), i))
    top = sorted(ranked[:5])  # best five, in the order the video says them
    key_points = [usable[i] for i in top]
    teaches_src = video.description if video.transcript and video.description else ""
    teaches = next((s for s in _sentences(teaches_src) if 30 <= len(s) <= 220 and not URL.search(s)), None)
    if teaches is None:
        teaches = usable[ranked[0]]
    facts = [Fact(claim=s, evidence=s) for s in sentences if NUMBER.search(s) and len(s) <= 300][:8]
    topic = video.title.rstrip(" .!?")
    audience = f"people who want to understand {topic[0].lower() + topic[1:] if topic else 'the topic'}"
    return Brief(teaches=teaches, key_points=key_points, facts=facts, audience=audience)


# --------------------------------------------------------------------------- drafting


GENERIC = {
    "default": ["{teaches}", "{point1}", "?{point2}", "?{link_hint}"],
    "title": ["{title}"],
}
LINK_HINTS = {"x": "Link in the reply.", "linkedin": "Link in the first comment."}


def _cut(text: str, cap: int | None) -> str:
    """Shorten at a clause, else a word boundary; never mid-word."""
    if cap is None or len(text) <= cap:
        return text
    head = text[:cap]
    for mark in ("; ", ", ", " - ", ": "):
        i = head.rfind(mark)
        if i >= cap * 0.5:
            return head[:i].rstrip() + "."
    i = head.rfind(" ")
    return (head[:i] if i > 0 else head).rstrip(" ,;:") + "..."


class _Fills(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _fills(req: DraftRequest, cap: int | None) -> _Fills:
    b, v = req.brief, req.video
    points = b.key_points or [b.teaches]
    pick = lambda n: points[(n - 1) % len(points)]  # noqa: E731
    title = v.title.rstrip(" .")
    f = _Fills(
        title=title,
        title_lc=(title[0].lower() + title[1:]) if title[:2] != title[:2].upper() else title,
        channel=v.channel or "the creator",
        teaches=_cut(b.teaches, cap),
        takeaway=_cut(points[-1], cap),
        fact=_cut(b.facts[0].claim if b.facts else points[0], cap),
        audience=b.audience,
        link_hint=LINK_HINTS.get(req.platform, "") if req.link_policy == "first_comment" else "",
    )
    for n in range(1, 6):
        f[f"point{n}"] = _cut(pick(n), cap)
    first, last = points[:3], points[-3:] if len(points) > 3 else points[::-1]
    f["arrows"] = "\n".join(f"→ {_cut(p, cap)}" for p in first)
    f["arrows2"] = "\n".join(f"→ {_cut(p, cap)}" for p in last)
    f["bullets"] = "\n".join(f"- {_cut(p, cap)}" for p in first)
    f["bullets2"] = "\n".join(f"- {_cut(p, cap)}" for p in last)
    return f


def _render(paragraphs: list[str], fills: _Fills, drop: int) -> str:
    optional = [i for i, p in enumerate(paragraphs) if p.startswith("?")]
    dropped = set(optional[len(optional) - drop :]) if drop else set()
    out = []
    for i, p in enumerate(paragraphs):
        if i in dropped:
            continue
        text = string.Formatter().vformat(p.lstrip("?"), (), fills).strip()
        if text and not re.fullmatch(r"[\W_]*", text):
            out.append(text)
    return "\n\n".join(out)


def fit(paragraphs: list[str], req: DraftRequest, budget: int, measure: Callable[[str], int]) -> str:
    """The fullest rendering that fits `budget`: drop optional paragraphs, then shorten fills."""
    n_optional = sum(1 for p in paragraphs if p.startswith("?"))
    attempts = [(None, d) for d in range(n_optional + 1)]
    attempts += [(cap, n_optional) for cap in (200, 160, 120, 90, 70, 50, 35)]
    text = ""
    for cap, drop in attempts:
        text = _render(paragraphs, _fills(req, cap), drop)
        if measure(text) <= budget:
            return text
    while text and measure(text) > budget:  # last resort: whole words off the end
        text = text.rsplit(None, 1)[0] if " " in text.strip() else text[: max(0, len(text) - 1)]
    return text


def templates_for(framework: Framework, platform: str) -> tuple[list[str], list[str]]:
    t = framework.templates
    body = t.get(platform) or t.get("default") or GENERIC["default"]
    title = t.get("title") or GENERIC["title"]
    return body, title


# "329 of 280", "329/280", "limit 280", "maximum is 280", "at most 280"
LIMIT = re.compile(r"(?:\d[\d,]*\s*(?:of|/)|limit(?:\s+is)?|max(?:imum)?(?:\s+is)?|at most|up to)\s*(?P<limit>\d[\d,]*)", re.I)


def _repair_budget(current: int, measured: int, problems) -> int:
    """Read 'N of M' (or 'over by K') from the problem messages; else cut by a third."""
    budget = current
    for problem in problems:
        m = LIMIT.search(problem.message)
        if m:
            limit = int(m.group("limit").replace(",", ""))
            budget = min(budget, int(limit * 0.9))
    if budget >= measured:
        budget = int(measured * 0.67)
    return max(budget, 20)


class OfflineGenerator(Generator):
    """Framework templates filled from an extractive brief. Same input, same output."""

    name = "offline"
    prompt_version = "offline-1"

    def brief(self, video: Video) -> tuple[Brief, Usage]:
        return build_brief(video), Usage(calls=0)

    def draft(self, request: DraftRequest) -> Draft:
        measure = measure_for(request.platform)
        budget = BUDGETS.get(request.platform) or _style_budget(request.platform_style) or DEFAULT_BUDGET
        title_budget = TITLE_BUDGET
        body_t, title_t = templates_for(request.framework, request.platform)
        if request.previous is not None and request.problems:
            title_problems = [p for p in request.problems if "title" in (p.code + p.message).lower()]
            body_problems = [p for p in request.problems if p not in title_problems]
            if body_problems:
                budget = _repair_budget(budget, measure(request.previous.body), body_problems)
            if title_problems and request.previous.title:
                title_budget = _repair_budget(title_budget, len(request.previous.title), title_problems)
        body = fit(body_t, request, budget, measure)
        title = fit(title_t, request, title_budget, len) if request.has_title else None
        return Draft(body=body, title=title, usage=Usage(calls=0))


@hookimpl
def postgen_register_generators(register) -> None:
    register(OfflineGenerator)
