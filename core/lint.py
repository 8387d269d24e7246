"""Lints: what no platform refuses but users regret. Always warnings, never errors.

- numbers and number-claims ("$40K", "20 minutes", "zero math", "six figures") that neither the
  brief nor the video's own text supports;
- markdown on platforms that show it literally (X, LinkedIn);
- a LinkedIn hook that ends after the "see more" fold (~210 characters);
- near-duplicate posts across frameworks on the same platform.
"""

from __future__ import annotations

import re

from .models import Post, Problem, Run

NO_MARKDOWN = {"x", "linkedin"}
# LinkedIn's feed shows the start of a post, then "...see more". LinkedIn publishes no figure; as
# observed: organic posts get a 3-line preview on desktop and mobile alike (John Espirian, "'See
# more' breakpoints on LinkedIn posts", September 2024), and about 210 characters fit in it on a
# phone, the narrowest and most common view (e.g. boltpost.app/linkedin-see-more-preview.html:
# "mobile, text only: ~210 characters, 3 lines"). The cut comes at whichever is reached first.
# `see_more_at` (the review page) and the `hook_after_fold` lint below share these figures.
FOLD = 210
FOLD_LINES = 3
DUPLICATE_THRESHOLD = 0.5  # Jaccard similarity of 3-word shingles
NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|thousand|million|billion|trillion|half|double|triple|dozen"
)
UNITS = (
    r"minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|seconds?|percent|figures?|x|times|"
    r"people|customers|clients|users|dollars|math|equations|steps|ways|rules|lessons|mistakes|k|m|bn"
)
# A number (digits with $ % K M, or a number word) and, when there is one, the unit after it.
CLAIM = re.compile(
    rf"(?<![\w$])(?P<num>\$?\d[\d,.]*(?:\s?(?:%|[kKmMbB]\b))?|(?:{NUMBER_WORDS})\b)(?:[\s-]+(?P<unit>{UNITS})\b)?",
    re.IGNORECASE,
)
# Number words that are usually not claims when they stand alone ("one idea", "no one").
SOFT_WORDS = {"one", "half", "double", "dozen"}
MARKDOWN = [
    (re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"), "bold markdown (**...**)"),
    (re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE), "a markdown heading (# ...)"),
    (re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"), "a markdown link ([text](url))"),
    (re.compile(r"^\s{0,3}```", re.MULTILINE), "a markdown code fence"),
]


def _support_text(run: Run | None) -> str:
    if run is None:
        return ""
    v = run.video
    parts = [v.title, v.description, v.transcript or "", v.channel]
    if run.brief is not None:
        b = run.brief
        parts += [b.teaches, b.audience, *b.key_points]
        parts += [f"{f.claim} {f.evidence}" for f in b.facts]
    if v.duration:
        parts.append(f"{round(v.duration / 60)} minutes")
    return " ".join(p for p in parts if p).lower()


def _normal(num: str) -> str:
    return num.lower().replace("$", "").replace(",", "").replace(" ", "").rstrip(".")


def _number_in(norm: str, support: str) -> bool:
    """`norm` ("20", "40k", "98%") as a whole number of `support`: 2024 or 120 does not back "20"."""
    m = re.fullmatch(r"([\d.]+)(.*)", norm)
    if not m:
        return norm in support
    digits, suffix = m.groups()
    pattern = rf"(?<![\d.]){re.escape(digits)}(?!\d|\.\d)"
    if suffix:  # "40k" is backed by "40k" or "40 thousand", "2m" by "2 million"
        spelled = {"k": "k|thousand", "m": "m|mn|million", "b": "b|bn|billion"}.get(suffix, re.escape(suffix))
        pattern += rf"\s?(?:{spelled})(?![a-z])"
    return re.search(pattern, support, re.IGNORECASE) is not None


def unsupported_claims(text: str, support: str) -> list[str]:
    """Numbers and number-claims in `text` that `support` does not contain."""
    support_norm = re.sub(r"(?<=\d),(?=\d)|\$", "", support)  # 40,000 -> 40000, $40k -> 40k
    found: list[str] = []
    for m in CLAIM.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        word = num.lower()
        if word.isalpha() and word in SOFT_WORDS and not unit:
            continue
        if word.isalpha() and not unit and word not in ("zero", "million", "billion", "trillion", "thousand", "hundred"):
            continue  # "three ideas" style counting words are fine without a unit claim
        phrase = m.group(0).strip()
        if word.isalpha():
            ok = re.search(rf"\b{re.escape(phrase.lower())}\b", support) is not None
        else:
            ok = _number_in(_normal(num), support_norm)
        if not ok:
            found.append(phrase)
    return found


def _hook(body: str) -> str:
    first_line = body.strip().split("\n", 1)[0]
    m = re.search(r"[.!?](\s|$)", first_line)
    return first_line[: m.end()].strip() if m else first_line.strip()


def see_more_at(text: str) -> int | None:
    """Where LinkedIn's feed cuts `text` (the post as sent) with "...see more": the index in
    `text.strip()` of the first hidden character, or None when all of it shows. The cut falls
    after the last whole word within FOLD characters, or at the end of line FOLD_LINES if sooner,
    so a hook that passes the `hook_after_fold` lint always shows whole above it."""
    text = text.strip()
    cut = FOLD
    if len(text) > FOLD:  # back to the space after the last whole word (one long word is cut as it is)
        cut = next((i for i in range(FOLD, 0, -1) if text[i].isspace()), FOLD)
    end = -1
    for _ in range(FOLD_LINES):
        end = text.find("\n", end + 1)
        if end == -1:
            break
    if end != -1:
        cut = min(cut, end)
    return cut if text[cut:].strip() else None


def _shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1))}


def similarity(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def lint_post(post: Post, run: Run | None = None) -> list[Problem]:
    """Warnings about one post, in the context of its run when given."""
    problems: list[Problem] = []
    text = f"{post.title}\n{post.body}" if post.title else post.body
    if run is not None:
        claims = unsupported_claims(text, _support_text(run))
        if claims:
            shown = ", ".join(f'"{c}"' for c in dict.fromkeys(claims))
            problems.append(Problem(severity="warning", code="unsupported_claim",
                                    message=f"{shown} not found in the brief or the video's text: check it or cut it"))
    if post.platform in NO_MARKDOWN:
        for pattern, what in MARKDOWN:
            if pattern.search(post.body):
                problems.append(Problem(severity="warning", code="markdown",
                                        message=f"{what}: {post.platform} shows markdown as literal characters"))
    if post.platform == "linkedin":
        hook = _hook(post.body)
        if len(hook) > FOLD:
            problems.append(Problem(severity="warning", code="hook_after_fold",
                                    message=f"the first line runs {len(hook)} characters: LinkedIn folds at about {FOLD} ('see more'), so the hook is hidden"))
    if run is not None:
        for other in run.posts:
            if other.id == post.id or other.platform != post.platform or other.framework == post.framework:
                continue
            score = similarity(post.body, other.body)
            if score >= DUPLICATE_THRESHOLD:
                problems.append(Problem(severity="warning", code="near_duplicate",
                                        message=f"{round(score * 100)}% the same wording as {other.id}: vary one of them"))
    return problems

