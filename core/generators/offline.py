"""The `offline` generator: deterministic, no network, no key.

The brief is extracted from the source text (the sentences that carry the most of the video's
vocabulary, and the sentences that hold numbers, kept as facts with their evidence). Posts are
the framework's templates filled from the brief, then shrunk until they fit the platform's
budget. Sentences name the video's subject by a short topic taken from its title ("The Birthday
Paradox: why..." -> "the birthday paradox"); the full title appears only quoted, as a title. Repairs read the problem messages ("329 of 280 ...") and shrink further.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from typing import Callable

from postgen import hookimpl
from postgen.generator import Draft, DraftRequest, Generator
from postgen.models import Brief, Fact, Framework, Usage, Video

# What the offline posts aim at, below the platforms' hard limits so a draft passes first time.
BUDGETS = {"x": 250, "linkedin": 2800, "reddit": 38000}
TITLE_BUDGET = 120
DEFAULT_BUDGET = 250  # an unknown platform that names no limit (no `limit`, none in its style()): stay short
HEADROOM = 0.9  # a plugin platform's posts aim at 90% of its limit, as the built-ins' budgets do
# A platform the frameworks have no templates for borrows the templates of the built-in platform
# of its shape: short posts (Bluesky's 300, Mastodon's 500) read like X posts, long ones like LinkedIn.
SHORT_FORM_LIMIT = 1000

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
        out.extend([part] if len(part) <= 260 else _chunks(part.split()))
    return [_tidy(s) for s in out if len(s.split()) >= 4]


# Where unpunctuated speech most likely starts a new thought: before a coordinator ("and" only
# when a new subject follows it, so "flour and water" stays whole).
BREAK_BEFORE = {"so", "but", "then", "now", "also", "okay", "anyway"}
NEW_SUBJECT = {"i", "you", "we", "they", "it", "that", "the", "then", "this", "there", "he", "she", "your", "if", "when"}


def _chunks(words: list[str]) -> list[str]:
    """Caption text cut into thoughts of 8-30 words, breaking before 'so', 'but', 'and you'..."""
    out: list[str] = []
    chunk: list[str] = []
    for i, word in enumerate(words):
        low = word.lower()
        after = words[i + 1].lower() if i + 1 < len(words) else ""
        starts = low in BREAK_BEFORE or (low == "and" and after in NEW_SUBJECT)
        if len(chunk) >= 8 and starts:
            out.append(" ".join(chunk))
            chunk = []
        elif len(chunk) >= 30:  # no break in sight: cut, but never end on "and", "the", "of"...
            keep = len(chunk)
            while keep > 8 and chunk[keep - 1].lower() in STOPWORDS:
                keep -= 1
            out.append(" ".join(chunk[:keep]))
            chunk = chunk[keep:]
        chunk.append(word)
    if chunk:
        out.append(" ".join(chunk))
    return out


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


# Sentences that lean on the one before ("That's why...", "It is...") make no sense alone.
ANAPHORIC = re.compile(r"^(?:that|this|these|those|it|they|he|she|which|here)(?:'s|’s|'re|’re)?\b", re.I)
# A sentence whose subject is a pronoun in its first words, and the video's own "First, ..." lessons.
PRONOUN_EARLY = re.compile(r"^(?:\S+\s+){0,5}(?:it|they|them|he|she|him|her)\b", re.I)
TAKEAWAY = re.compile(r"^(?:first|second|third|finally|lastly|the (?:lesson|takeaway|key|rule)|remember)\b", re.I)
# Spoken connectives that open a sentence but carry nothing once it stands alone.
LEADS = re.compile(
    r"^(?:(?:so|and|but|now|also|then|first(?:ly)?|second(?:ly)?|third(?:ly)?|finally|lastly|next|plus|well|"
    r"okay|ok|basically|anyway|again|remember)\b,?\s+)+",
    re.I,
)
# Where a video title stops naming its subject: "Subject: the hook", "Subject - Channel", "Subject | Series".
TITLE_SPLIT = re.compile(r"\s*(?::\s|\?|!|\s[-–—|]\s|\||,\s|\.\s)\s*")
# Words that make a title head a clause or a pitch rather than a subject one can talk "about".
NOT_A_SUBJECT = re.compile(
    r"^(?:how|why|what|when|where|who|which|is|are|was|were|do|does|did|can|could|should|would|will|i|i'm|"
    r"my|we|we're|our|you|you're|your|this|these|that|stop|don't|never|watch|here's|let's|it's)\b",
    re.I,
)
# Packaging around a subject: "Index Funds Explained", "Sourdough for Beginners", "(Official Video)".
TITLE_NOISE = re.compile(
    r"\s+(?:explained|in plain english|made (?:simple|easy)|for (?:beginners|dummies|everyone)|crash course|"
    r"tutorial|full guide|a guide|the complete guide|tips(?: and tricks)?|tricks|hacks|basics|"
    r"in (?:under |just )?\d+ (?:seconds|minutes|mins|hours|days|steps))\s*$",
    re.I,
)
# "A 14-minute talk on X", "In this video I explain X": what a description says before the subject.
SUMMARY_LEAD = re.compile(
    r"^(?:(?:an?|this|the|my|our)\s+(?:[\w-]+\s+){0,3}?(?:talk|video|lecture|explainer|tutorial|guide|"
    r"introduction|overview|look|deep dive|walkthrough|breakdown|episode|lesson|primer)\s+(?:on|about|into|at|to|of)"
    r"|in this (?:video|talk|episode|lesson)[,:]?\s+(?:i|we)(?:'ll| will)?\s+(?:explain|show|cover|look at|"
    r"walk through|talk about|break down|go over|discuss)s?)\s+",
    re.I,
)


FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|[Mm]e|[Mm]y|[Mm]ine|[Ww]e|[Ww]e're|[Ww]e've|[Oo]urs?|us)\b")


def standalone(sentence: str) -> str:
    """A sentence as it reads out of context: spoken connectives off, first letter up, and quoted
    when it speaks in the creator's first person (so it is not read as the poster's)."""
    s = LEADS.sub("", sentence.strip()).strip("-–—•*# ")  # "So # ..." must not become a heading
    s = s[0].upper() + s[1:] if s else s
    return f"“{s}”" if FIRST_PERSON.search(s) else s


def _casing(phrase: str, source: str) -> str:
    """Each word as the source writes it mid-sentence ("Birthday Paradox" -> "birthday paradox");
    a word the source never uses is lowered when the title was Title Case or SHOUTED."""
    words = phrase.split()
    content = [w for w in words if w.lower() not in STOPWORDS] or words
    title_case = sum(w[:1].isupper() for w in content) >= 0.6 * len(content) and len(content) > 1
    shouting = phrase.isupper() and len(re.sub(r"\W", "", phrase)) > 5
    out = []
    for i, word in enumerate(words):
        seen = re.findall(rf"(?<=[\w,;:)'\"’] ){re.escape(word)}\b", source, re.I)
        if seen:
            lower = sum(1 for w in seen if w[:1].islower())
            out.append(word.lower() if lower * 2 >= len(seen) else next(w for w in seen if not w[:1].islower()))
        elif shouting or (i == 0 and word.lower() in ("the", "a", "an")):
            out.append(word.lower())
        elif (word.isupper() and len(word) > 1) or re.search(r"[A-Z]|\d", word[1:]):
            out.append(word)  # UUID, YouTube, 4-Hour: names and acronyms keep their letters
        elif title_case or i == 0:
            out.append(word.lower())
        else:
            out.append(word)
    return " ".join(out)


def _gerund(verb: str) -> str:
    """cook -> cooking, make -> making, get -> getting (good enough for a how-to title)."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")):
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb) and len(verb) <= 4:
        return verb + verb[-1] + "ing"
    return verb + "ing"


def topic_of(title: str, source: str = "") -> str:
    """A short subject to put in a sentence: the title's head when it names one, else its key phrase."""
    import emoji

    clean = emoji.replace_emoji(title, "")
    clean = re.sub(r"[\(\[\{][^\)\]\}]*[\)\]\}]|#\w+|[\"“”«»*_`]", " ", clean)
    clean = re.sub(r"\s+", " ", clean).strip(" .-–—|:")
    parts = [p.strip(" '’") for p in TITLE_SPLIT.split(clean) if p.strip(" '’")]
    head = LEADS.sub("", parts[0]) if parts else ""
    while TITLE_NOISE.search(head):  # "Python Tutorial for Beginners" -> "Python"
        head = TITLE_NOISE.sub("", head)
    head = head.strip()
    how_to = re.match(r"how to ([a-z]+)\s+(.+)", head, re.I)
    if how_to:  # "How To Cook Perfect Rice Every Time" -> "cooking perfect rice"
        rest = re.sub(r"\s+(?:every time|the right way|like a pro|at home|fast|quickly|properly)$", "", how_to.group(2), flags=re.I)
        head = f"{_gerund(how_to.group(1).lower())} {rest}"
    if head and len(head.split()) <= 6 and len(head) <= 60 and not NOT_A_SUBJECT.match(head) and not FIRST_PERSON.search(head) and re.search(r"[^\W\d_]{2}", head):
        return _casing(head, source)
    # The title's run of content words that the video repeats most (longer runs preferred).
    words = re.findall(r"[^\W\d_][\w'’-]*", clean)
    low = source.lower()
    best, best_score = "", 0
    for n in (3, 2, 1):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if any(w.lower() in STOPWORDS or len(w) < 3 for w in (gram[0], gram[-1])):
                continue
            if any(w.lower() in STOPWORDS for w in gram) or NOT_A_SUBJECT.match(gram[0]):
                continue
            phrase = " ".join(gram)
            score = len(re.findall(rf"\b{re.escape(phrase.lower())}\b", low)) * n * n
            if score > best_score:
                best, best_score = phrase, score
    return _casing(best, source) if best else "this topic"


def _topic(video: Video, key_points: list[str], teaches: str) -> str:
    """The topic from what both the brief and every draft can see (drafts never get the transcript),
    so the brief's audience and the posts name the subject the same way."""
    return topic_of(video.title, " ".join([*key_points, teaches, video.description]))


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
        base += 2.0 * len(title_words.intersection(ws))
        if TAKEAWAY.match(s):
            base *= 1.5  # the video's own summary of itself
        if PRONOUN_EARLY.match(s):
            base *= 0.5  # "With 57 people it passes..." needs the sentence before it
        return base

    def usable_point(s: str) -> bool:
        return (30 <= len(s) <= 220 and not URL.search(s) and not META.search(s)
                and not ANAPHORIC.match(standalone(s)) and not s.endswith("?"))

    usable = [s for s in sentences if usable_point(s)] or sentences
    ranked = sorted(range(len(usable)), key=lambda i: (-score(usable[i]), i))
    top = sorted(ranked[:5])  # best five, in the order the video says them
    key_points = [usable[i] for i in top]
    teaches_src = video.description if video.transcript and video.description else ""
    teaches = next((s for s in _sentences(teaches_src) if 30 <= len(s) <= 220 and not URL.search(s)), None)
    if teaches is None:
        teaches = usable[ranked[0]]
    facts = [Fact(claim=s, evidence=s) for s in sentences if NUMBER.search(s) and len(s) <= 300][:8]
    topic = _topic(video, key_points, teaches)
    audience = f"people who want to understand {topic}"
    return Brief(teaches=teaches, key_points=key_points, facts=facts, audience=audience)


# --------------------------------------------------------------------------- drafting


# For a framework with no templates at all (one a plugin registers bare): its own points, chosen
# by its place among the run's frameworks, so two such frameworks still say different things.
GENERIC = {
    "default": ["{own1}", "?{own2}", "?{link_hint}"],
    "title": ["{title}"],
}
LINK_HINTS = {"x": "Link in the reply.", "linkedin": "Link in the first comment."}
LINK_HINT = "Link below."  # a plugin platform's follow-up may be a reply or a comment: true for both
# Fills that hold a point from the brief: a post never says the same point twice.
POINT_FIELDS = {"teaches", "takeaway", "fact", "summary", *(f"point{n}" for n in range(1, 6))}


def _cut(text: str, cap: int | None) -> str:
    """Shorten to whole sentences when possible, else at a word, marked with '...'; never mid-word."""
    if cap is None or len(text) <= cap:
        return text
    head = text[: cap + 1]
    i = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if i >= cap * 0.5:
        return head[: i + 1]
    head = text[: cap - 3]
    for mark in ("; ", ", ", " - ", ": "):
        i = head.rfind(mark)
        if i >= cap * 0.6:
            return head[:i].rstrip() + "..."
    i = head.rfind(" ")
    return (head[:i] if i > 0 else head).rstrip(" ,;:") + "..."


def possessive(name: str) -> str:
    """'Postgen Sample Talks' -> "Postgen Sample Talks'", 'Veritasium' -> "Veritasium's"."""
    return name + ("'" if name.endswith(("s", "S")) and not name.endswith(("'s", "’s")) else "'s")


def summary_of(teaches: str, key_points: list[str]) -> str:
    """What the video covers, as a sentence, when the description says so ("A talk on X", "How
    X works"); empty otherwise: a pitch or one of the points is not a summary."""
    if not teaches or teaches in key_points:
        return ""
    rest = SUMMARY_LEAD.sub("", teaches, count=1)
    if rest != teaches or re.match(r"(?:how|why|what|when|where|who)\b", teaches, re.I):
        rest = rest[0].lower() + rest[1:] if rest[:1].isupper() and not rest[1:2].isupper() else rest
        return _tidy(f"The video covers {rest}")
    return ""


class _Fills(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _points(brief: Brief) -> list[str]:
    """The brief's key points as they read alone, without repeats."""
    out: list[str] = []
    for p in brief.key_points or [brief.teaches]:
        s = standalone(p)
        if s and s not in out:
            out.append(s)
    return out or [standalone(brief.teaches) or brief.teaches]


def _fills(req: DraftRequest, cap: int | None) -> _Fills:
    b, v = req.brief, req.video
    points = _points(b)

    # Facts that stand alone and are not key points: spares for a slot whose point is too long,
    # so a short post does not borrow the point another framework's post already uses.
    spares = [s for s in (standalone(f.claim) for f in b.facts)
              if s not in points and len(s) >= 40 and not ANAPHORIC.match(s) and not PRONOUN_EARLY.match(s)
              and not s.endswith("?")]

    def pick(n: int) -> str:
        """The n-th point; when it is over `cap`, a spare fact or the next point that fits, whole."""
        fits = lambda p: cap is None or len(p) <= cap  # noqa: E731
        if fits(points[(n - 1) % len(points)]):
            return points[(n - 1) % len(points)]
        order = [spares[(n - 1 + k) % len(spares)] for k in range(len(spares))]
        order += [points[(n - 1 + k) % len(points)] for k in range(1, len(points))]
        return next((p for p in order if fits(p)), _cut(points[(n - 1) % len(points)], cap))

    title = re.sub(r"\s+", " ", re.sub(r"\*\*|__|`", "", v.title)).strip().rstrip(" .")  # quoted, never rendered
    topic = _topic(v, b.key_points, b.teaches)
    channel = v.channel.strip() or "the creator"
    numbered = [p for p in points if NUMBER.search(p) and (cap is None or len(p) <= cap)]
    f = _Fills(
        title=title,
        title_lc=(title[0].lower() + title[1:]) if title[:2] != title[:2].upper() else title,
        topic=topic,
        topic_cap=topic[:1].upper() + topic[1:],
        channel=channel,
        channel_s=possessive(channel),
        teaches=_cut(b.teaches, cap),
        summary="" if cap is not None and cap < 120 else _cut(summary_of(b.teaches, b.key_points), cap),
        takeaway=_cut(points[-1], cap),
        fact=numbered[0] if numbered else pick(1),
        number=numbered[-1] if numbered else "",  # a point with a figure in it, or nothing
        audience=b.audience,
        link_hint=LINK_HINTS.get(req.platform, LINK_HINT) if req.link_policy == "first_comment" else "",
    )
    for n in range(1, 6):
        f[f"point{n}"] = pick(n)
    names = [fw.name for fw in req.library]
    own = names.index(req.framework.name) if req.framework.name in names else 0
    f["own1"], f["own2"] = pick(own + 1), pick(own + 2)
    first, last = points[:3], points[-3:] if len(points) > 3 else points[::-1]
    f["arrows"] = "\n".join(f"→ {_cut(p, cap)}" for p in first)
    f["arrows2"] = "\n".join(f"→ {_cut(p, cap)}" for p in last)
    f["bullets"] = "\n".join(f"- {_cut(p, cap)}" for p in first)
    f["bullets2"] = "\n".join(f"- {_cut(p, cap)}" for p in last)
    return f


def _render(paragraphs: list[str], fills: _Fills, drop: int) -> str:
    """Fill the paragraphs; one whose fill is empty, or repeats a point already said, is left out."""
    optional = [i for i, p in enumerate(paragraphs) if p.startswith("?")]
    dropped = set(optional[len(optional) - drop :]) if drop else set()
    out: list[str] = []
    for i, p in enumerate(paragraphs):
        if i in dropped:
            continue
        names = [name for _, name, _, _ in string.Formatter().parse(p.lstrip("?")) if name]
        if any(not str(fills[name]).strip() for name in names):
            continue
        said = "\n".join(out)
        if any(name in POINT_FIELDS and fills[name].rstrip(".") in said for name in names):
            continue
        text = string.Formatter().vformat(p.lstrip("?"), (), fills).strip()
        if text and not re.fullmatch(r"[\W_]*", text):
            out.append(text)
    return "\n\n".join(out)


def fit(paragraphs: list[str], req: DraftRequest, budget: int, measure: Callable[[str], int]) -> str:
    """The fullest rendering that fits `budget`: drop optional paragraphs, then shorten fills."""
    n_optional = sum(1 for p in paragraphs if p.startswith("?"))
    # Whole shorter points first (the link hint is worth more than the longest point), then drop
    # optional paragraphs, then cut.
    attempts = [(cap, 0) for cap in (None, 200, 160, 120)]
    attempts += [(cap, d) for d in range(1, n_optional + 1) for cap in (None, 160, 120)]
    attempts += [(cap, n_optional) for cap in (90, 70, 50, 35)]
    text = ""
    for cap, drop in attempts:
        text = _render(paragraphs, _fills(req, cap), drop)
        if measure(text) <= budget:
            return text
    while text and measure(text) > budget:  # last resort: whole words off the end
        text = text.rsplit(None, 1)[0] if " " in text.strip() else text[: max(0, len(text) - 1)]
    return text


def templates_for(framework: Framework, platform: str, limit: int | None = None) -> tuple[list[str], list[str]]:
    """The framework's templates for `platform`; for a platform it has none for, its "default",
    else those of the built-in platform of the same shape (by `limit`), so each framework keeps
    its own voice on any platform."""
    t = framework.templates
    shape = "x" if limit is None or limit < SHORT_FORM_LIMIT else "linkedin"
    body = t.get(platform) or t.get("default") or t.get(shape) or GENERIC["default"]
    title = t.get("title") or GENERIC["title"]
    return body, title


def budget_for(request: DraftRequest) -> int:
    """What the body aims at: the built-in platforms' tuned budgets, else 90% of the connector's
    `limit` (or of the limit its style() names)."""
    if request.platform in BUDGETS:
        return BUDGETS[request.platform]
    limit = request.limit or _style_budget(request.platform_style)
    return max(20, int(limit * HEADROOM)) if limit else DEFAULT_BUDGET


def _as_sent(request: DraftRequest) -> Callable[[str], int]:
    """The connector's measure of the text it will send: with policy `inline` it appends the link."""
    measure, link = request.measure, request.video.url
    if request.link_policy == "inline" and link:
        return lambda text: measure(f"{text}\n\n{link}" if link not in text else text)
    return measure


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
    prompt_version = "offline-2"

    def brief(self, video: Video) -> tuple[Brief, Usage]:
        return build_brief(video), Usage(calls=0)

    def draft(self, request: DraftRequest) -> Draft:
        measure = _as_sent(request)
        budget = budget_for(request)
        title_budget = TITLE_BUDGET
        body_t, title_t = templates_for(request.framework, request.platform, request.limit or _style_budget(request.platform_style))
        if request.previous is not None and request.problems:
            title_problems = [p for p in request.problems if "title" in (p.code + p.message).lower()]
            body_problems = [p for p in request.problems if p not in title_problems]
            if body_problems:
                budget = _repair_budget(budget, measure(request.previous.body), body_problems)
            if title_problems and request.previous.title:
                title_budget = _repair_budget(title_budget, len(request.previous.title), title_problems)
        body = fit(body_t, request, budget, measure)
        title = fit(title_t, request, title_budget, len) if request.has_title else None
        # A link the video's text held ("see bolt.new") is not one postgen chose: never in a post.
        from postgen.checks import without_links

        body = without_links(body, request.video.url)
        title = without_links(title, request.video.url) if title is not None else None
        return Draft(body=body, title=title, usage=Usage(calls=0))


@hookimpl
def postgen_register_generators(register) -> None:
    register(OfflineGenerator)
