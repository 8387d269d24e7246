"""Lints: the seed's kinds of regret, as warnings (never errors)."""

from __future__ import annotations

from generation_fakes import sample_video
from postgen.generators.offline import build_brief
from postgen.grounding import unsupported_claims
from postgen.lint import lint_post, similarity
from postgen.models import Post, Run

SEED_AIDA = """**ATTENTION:**
What if you could understand how AI actually "learns"—in 20 minutes, with zero math?

**INTEREST:**
3Blue1Brown's gradient descent video reveals the engine powering every modern AI system."""


def _run(*posts: Post, **video) -> Run:
    v = sample_video(**video)
    return Run(id="2026-02-01-IHZwWFHWa-w", video=v.model_copy(update={"transcript": None}), brief=build_brief(v), posts=list(posts))


def _post(platform="linkedin", framework="aida", body="Plain words.", title=None) -> Post:
    return Post(id=f"{platform}-{framework}", platform=platform, framework=framework, body=body, title=title)


def _codes(problems):
    return [p.code for p in problems]


def test_seed_claims_are_flagged():
    text = "The most important 20 minutes this week, zero math. Alex saved six figures. It pays $40K."
    found = unsupported_claims(text, "gradient descent minimises a cost function")
    assert found == ["20 minutes", "zero math", "six figures", "$40K"]


def test_claims_the_brief_supports_pass():
    post = _post(body="It nudges each of the 13,000 weights and biases; about 98% of new digits come out right.")
    assert "unsupported_claim" not in _codes(lint_post(post, _run(post)))


def test_duration_supports_the_minutes_claim():
    post = _post(body="Give it 20 minutes.")
    assert "unsupported_claim" not in _codes(lint_post(post, _run(post, duration=1200)))
    assert "unsupported_claim" in _codes(lint_post(post, _run(post, duration=None)))


def test_counting_words_are_not_claims():
    assert unsupported_claims("One idea. Three questions to ask. No one told me.", "") == []


def test_unsupported_claim_is_a_warning_naming_the_words():
    post = _post(body=SEED_AIDA)
    problems = lint_post(post, _run(post, duration=None))
    claim = next(p for p in problems if p.code == "unsupported_claim")
    assert claim.severity == "warning"
    assert '"20 minutes"' in claim.message and '"zero math"' in claim.message


def test_markdown_on_platforms_that_do_not_render_it():
    for platform in ("linkedin", "x"):
        problems = lint_post(_post(platform, body=SEED_AIDA))
        assert "markdown" in _codes(problems) and all(p.severity == "warning" for p in problems)
    assert "markdown" not in _codes(lint_post(_post("reddit", body=SEED_AIDA, title="t")))
    assert "markdown" in _codes(lint_post(_post("x", body="# Heading\nText")))
    assert "markdown" in _codes(lint_post(_post("x", body="Read [this](https://example.com)")))
    assert "markdown" not in _codes(lint_post(_post("x", body="Learning is a process. #AI #MachineLearning")))


def test_linkedin_hook_after_the_fold():
    long_first = "This first sentence keeps going " * 8 + "and only then makes its point."
    assert "hook_after_fold" in _codes(lint_post(_post(body=long_first + "\n\nMore.")))
    assert "hook_after_fold" not in _codes(lint_post(_post(body="Short hook.\n\n" + long_first)))
    assert "hook_after_fold" not in _codes(lint_post(_post("x", body=long_first)))


def test_near_duplicates_across_frameworks_on_one_platform():
    text = "Gradient descent nudges every weight downhill until the network is less wrong than it was before."
    a = _post("linkedin", "naval", text)
    b = _post("linkedin", "aida", text + " Watch it.")
    c = _post("x", "hormozi", text)
    run = _run(a, b, c)
    assert "near_duplicate" in _codes(lint_post(a, run))
    assert "linkedin-aida" in next(p.message for p in lint_post(a, run) if p.code == "near_duplicate")
    assert "near_duplicate" not in _codes(lint_post(c, run))  # alone on its platform


def test_similarity_bounds():
    assert similarity("a b c d", "a b c d") == 1.0
    assert similarity("one two three four", "five six seven eight") == 0.0


def test_lints_are_only_ever_warnings():
    post = _post("x", body="**Bold** claim: $40K in 20 minutes.")
    run = _run(post, _post("x", "naval", post.body))
    problems = lint_post(post, run)
    assert problems and {p.severity for p in problems} == {"warning"}


def test_a_number_inside_another_number_does_not_support_a_claim():
    """"20 minutes" is not backed by 2024 or 120, "$40K" not by "40 kilos", "5 steps" not by 15."""
    support = "in 2024 she spoke to 120 people, sold 40 kilos of coffee and had 15 customers"
    found = unsupported_claims("Learn it in 20 minutes. It made $40K. 5 steps to win.", support)
    assert found == ["20 minutes", "$40K", "5 steps"]


def test_the_same_number_written_with_separators_still_supports():
    support = "after 60,000 images, about 98% right; it costs $40k and takes 1.5 hours; 2 million users, 3 thousand sales"
    assert unsupported_claims("60000 images, 98%, $40K, 1.5 hours, 2M users, 3K sales.", support) == []
