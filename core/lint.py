"""Lints: what no platform refuses but users regret.

- claims the video does not make: numbers ("$40K", "20 minutes", "six figures"), names of people
  and organisations, results and superlatives ("doubled", "10x", "the #1", "best"), checked
  against the video's own words (postgen.grounding). Warnings, or errors under strict claims;
- markdown on platforms that show it literally (X, LinkedIn);
- a LinkedIn hook that ends after the "see more" fold (~210 characters);
- near-duplicate posts across frameworks on the same platform.

Everything but a strict claim check is a warning.
"""

from __future__ import annotations

import re

from .grounding import Support, sentences
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
MARKDOWN = [
    (re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__"), "bold markdown (**...**)"),
    (re.compile(r"^\s{0,3}#{1,6}\s+\S", re.MULTILINE), "a markdown heading (# ...)"),
    (re.compile(r"\[[^\]\n]+\]\([^)\s]+\)"), "a markdown link ([text](url))"),
    (re.compile(r"^\s{0,3}```", re.MULTILINE), "a markdown code fence"),
]


def run_support(run: Run) -> Support:
    """What a run keeps for claims to rest on: the video's own text as stored (no transcript), the
    brief's evidence (checked against the transcript when the brief was made), the backing
    sentences kept at generation, and the duration. Never the brief's own wording: a model wrote it."""
    v = run.video
    texts = [v.title, v.description, v.channel, *sentences(v.transcript or "")]
    if run.brief is not None:
        texts += [f.evidence for f in run.brief.facts]
    texts += run.backing
    if v.duration:
        texts.append(f"{round(v.duration / 60)} minutes")
    return Support(texts)


def claim_problems(text: str, run: Run, source: Support | None = None, strict: bool = False) -> list[Problem]:
    """One problem naming every claim of `text` that neither the run nor `source` backs."""
    support = run_support(run)
    if source is not None:
        support = Support(support.texts + source.texts)
    claims = support.unsupported(text)
    if not claims:
        return []
    shown = ", ".join(f'"{c}"' for c in dict.fromkeys(c.text for c in claims))
    return [Problem(severity="error" if strict else "warning", code="unsupported_claim",
                    message=f"{shown}: not in the video's own words (its transcript, description or the brief's "
                            "checked evidence): check it or cut it")]


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


def lint_post(post: Post, run: Run | None = None, *, source: Support | None = None, strict: bool = False) -> list[Problem]:
    """Problems about one post, in the context of its run when given. `source` is the transcript
    while generating (postgen.grounding.source_support); `strict` makes unsupported claims errors."""
    problems: list[Problem] = []
    text = f"{post.title}\n{post.body}" if post.title else post.body
    if run is not None:
        problems += claim_problems(text, run, source, strict)
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

