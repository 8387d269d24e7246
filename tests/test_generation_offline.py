"""The offline generator: a brief from the video's own words, and posts that pass for real."""

from __future__ import annotations

import pytest

from generation_fakes import install, sample_video
from postgen.config import parse_config
from postgen.generator import Draft, DraftRequest
from postgen.connectors.x import weighted_length
from postgen.generators.offline import OfflineGenerator, build_brief
from postgen.models import PostState, Problem


@pytest.fixture
def fakes():
    install()


def test_brief_uses_only_the_videos_words():
    video = sample_video()
    brief = build_brief(video)
    assert 3 <= len(brief.key_points) <= 5
    for point in brief.key_points:
        assert point.rstrip(".") in video.transcript
    assert any("60,000" in f.claim for f in brief.facts)
    for fact in brief.facts:
        assert fact.evidence.rstrip(".") in video.transcript
    assert not any("last video" in p for p in brief.key_points)  # channel housekeeping is skipped


def test_brief_without_transcript_comes_from_the_description():
    brief = build_brief(sample_video(transcript=None))
    assert brief.teaches.startswith("How neural networks learn")


def test_caption_text_without_punctuation_still_gives_points():
    words = ("gradient descent moves the weights downhill on the cost surface step by step " * 20).strip()
    brief = build_brief(sample_video(transcript=words, description=""))
    assert brief.key_points and all(len(p) <= 260 for p in brief.key_points)


def test_fifteen_posts_all_ready_with_no_warnings(fakes):
    from postgen.pipeline import generate

    run = generate(parse_config({}), sample_video())
    assert len(run.posts) == 15
    assert {p.state for p in run.posts} == {PostState.ready}
    assert [p.problems for p in run.posts] == [[]] * 15  # no errors and no lint warnings either
    for post in run.posts:
        if post.platform == "x":
            assert weighted_length(post.body) <= 250
        if post.platform == "reddit":
            assert post.title and len(post.title) <= 300
        else:
            assert post.title is None


def test_offline_is_deterministic(fakes):
    from postgen.pipeline import generate

    one = generate(parse_config({}), sample_video())
    two = generate(parse_config({}), sample_video())
    assert [(p.title, p.body) for p in one.posts] == [(p.title, p.body) for p in two.posts]
    assert one.generator == "offline" and one.model is None


def test_posts_follow_the_framework_beats(fakes):
    from postgen.pipeline import generate

    run = generate(parse_config({}), sample_video())
    naval = run.post("linkedin-naval").body
    assert naval.startswith("Learn the fundamentals.")
    assert "!" not in naval  # Naval's don't: exclamation marks
    garyvee = run.post("linkedin-garyvee").body
    assert garyvee.rstrip().splitlines()[-1].endswith("?") or "?" in garyvee.split("\n\n")[-2]


def _request(platform="x", **kw):
    from postgen.frameworks import builtin_frameworks

    video = sample_video()
    return DraftRequest(platform=platform, platform_style="", framework=builtin_frameworks()[0],
                        brief=build_brief(video), video=video, link_policy="first_comment",
                        measure=weighted_length if platform == "x" else len, **kw)


def test_repair_reads_the_limit_from_the_problem_and_gets_shorter():
    gen = OfflineGenerator()
    request = _request()
    first = gen.draft(request)
    request.previous = first
    request.problems = [Problem(severity="error", code="too_long", message=f"{weighted_length(first.body) + 40} of 150 weighted characters; cut 40")]
    second = gen.draft(request)
    assert weighted_length(second.body) <= 135  # 90% of the limit named in the message
    assert second.body != first.body


def test_repair_without_numbers_still_shrinks():
    gen = OfflineGenerator()
    request = _request("linkedin")
    first = gen.draft(request)
    request.previous, request.problems = first, [Problem(severity="error", code="too_long", message="too long")]
    assert len(gen.draft(request).body) < len(first.body)


def test_unknown_platform_takes_its_limit_from_the_style():
    request = _request("mastodon")
    request.platform_style = "Mastodon: at most 120 characters."
    assert len(OfflineGenerator().draft(request).body) <= 120


def test_no_link_hint_unless_the_link_goes_in_a_comment():
    request = _request("x")
    assert "Link in the reply." in OfflineGenerator().draft(request).body
    request.link_policy = "none"
    assert "Link" not in OfflineGenerator().draft(request).body


def test_weighted_length_counts_emoji_urls_and_cjk():
    assert weighted_length("abc") == 3
    assert weighted_length("🔥") == 2
    assert weighted_length("👨‍👩‍👧") == 2
    assert weighted_length("see https://example.com/a/very/long/path/indeed") == 4 + 23
    assert weighted_length("日本") == 4


# Whatever the video says, the offline posts must be ready: the main job depends on it.
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_word = st.one_of(
    st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu")), min_size=1, max_size=12),
    st.sampled_from(["🔥", "日本語", "42%", "$40K", "https://example.com/x", "**bold**", "#", "(aside)", "—", "13,000"]),
)
_sentence = st.lists(_word, min_size=1, max_size=40).map(lambda ws: " ".join(ws) + ".")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=st.text(min_size=1, max_size=150).filter(lambda t: t.strip()),
    transcript=st.one_of(st.none(), st.lists(_sentence, max_size=30).map(" ".join)),
    description=st.text(max_size=300),
)
def test_any_video_gives_fifteen_ready_posts(title, transcript, description):
    from postgen.pipeline import generate

    install()
    run = generate(parse_config({}), sample_video(title=title, transcript=transcript or None, description=description))
    assert [p.errors for p in run.posts] == [[]] * 15


@pytest.mark.parametrize("message", ["329 of 150 weighted characters", "too long: limit 150", "maximum is 150 characters", "at most 150"])
def test_repair_understands_how_limits_are_worded(message):
    gen = OfflineGenerator()
    request = _request()
    request.previous = gen.draft(request)
    request.problems = [Problem(severity="error", code="too_long", message=message)]
    assert weighted_length(gen.draft(request).body) <= 135
