"""Links to the moment: which brief item is a post's main point, and the t= its link carries."""

from __future__ import annotations

import re

import pytest

from generation_fakes import TRANSCRIPT, install, sample_video
from postgen.config import parse_config
from postgen.generator import Draft, Generator
from postgen.models import Brief, Fact, Post, Video
from postgen.moments import choose, link_at, place
from postgen.timing import from_segments, words

BRIEF = Brief(
    teaches="How networks learn.",
    key_points=["A cost function measures how wrong the network is.", "Backpropagation computes the gradient efficiently."],
    key_point_at=[95, 512],
    facts=[Fact(claim="The network has 13,000 weights and biases.", evidence="each of the 13,000 weights and biases", at=300),
           Fact(claim="It classifies 98% of new digits.", evidence="classifies about 98% of new digits")],
)
YOUTUBE = Video(id="IHZwWFHWa-w", url="https://www.youtube.com/watch?v=IHZwWFHWa-w", title="Gradient descent")


def test_the_generators_main_point_decides():
    moment = choose("Backprop is the whole trick. Here is why it matters.", BRIEF, "key point 2")
    assert (moment.at, moment.item) == (512, "key point 2")
    assert "the generator's main point" in moment.why


def test_a_main_point_the_post_shares_no_word_with_yields_to_an_item_it_quotes():
    """A model that names the wrong item does not send readers to the wrong minute: when the post
    shares no word with the named item but clearly quotes another, its own words decide."""
    moment = choose("A cost function measures how wrong it is, nothing more.", BRIEF, "fact 1")
    assert (moment.at, moment.item) == (95, "key point 1")
    assert "closest to the post's words" in moment.why


def test_without_a_main_point_the_closest_item_wins_and_ties_go_to_the_first_said():
    text = "Backpropagation computes the gradient efficiently. A cost function measures how wrong the network is."
    assert choose(text, BRIEF).item == "key point 2"  # both fully used: the one the post says first
    assert choose("The network has 13,000 weights and biases, imagine that.", BRIEF).item == "fact 1"


def test_no_clear_main_point_means_the_start():
    moment = choose("Something else entirely about cooking rice.", BRIEF)
    assert moment.at is None and moment.item is None and "no key point or fact" in moment.why
    assert choose("anything", None).at is None


def test_a_main_point_whose_words_the_transcript_lacks_links_to_the_start():
    moment = choose("98% of new digits, classified.", BRIEF, "fact 2")
    assert moment.item == "fact 2" and moment.at is None
    assert "not found in the timed transcript" in moment.why


@pytest.mark.parametrize("url", ["https://www.youtube.com/watch?v=IHZwWFHWa-w", "https://youtu.be/IHZwWFHWa-w?si=x",
                                 "https://www.youtube.com/shorts/IHZwWFHWa-w"])
def test_youtube_links_carry_t(url):
    assert link_at(YOUTUBE.model_copy(update={"url": url}), 192) == "https://youtu.be/IHZwWFHWa-w?t=192"


def test_a_source_gives_its_own_form_or_none():
    local = Video(id="talk", url="https://example.com/talk", title="t", moment_url="{url}#t={seconds}")
    assert link_at(local, 75) == "https://example.com/talk#t=75"
    assert link_at(local.model_copy(update={"moment_url": "https://cdn.example.com/v.mp4?start={seconds}"}), 9) \
        == "https://cdn.example.com/v.mp4?start=9"
    assert link_at(local.model_copy(update={"moment_url": None}), 75) is None


def test_place_sets_link_and_says_why():
    post = Post(id="x-naval", platform="x", framework="naval", body="Backpropagation computes the gradient efficiently.")
    place(post, YOUTUBE, BRIEF, None)
    assert post.link == "https://youtu.be/IHZwWFHWa-w?t=512" and post.moment.item == "key point 2"
    plain = Video(id="talk", url="https://example.com/talk", title="t")
    place(post, plain, BRIEF, None)
    assert post.link == "https://example.com/talk" and post.moment.at is None
    assert "no link to a moment" in post.moment.why
    place(post, YOUTUBE, BRIEF, None, enabled=False)
    assert post.link == YOUTUBE.url and "link_to_moment is off" in post.moment.why


class NamingGenerator(Generator):
    """A generator that says which brief item each post is about, like the openai one does."""

    name = "naming"

    def brief(self, video):
        return Brief(teaches="t", key_points=["Backpropagation is the algorithm for computing that gradient efficiently."],
                     facts=[Fact(claim="13,000", evidence="each of the 13,000 weights and biases")]), __import__("postgen").Usage()

    def draft(self, request):
        if request.platform == "x":
            return Draft(body="13,000 weights and biases, each nudged.", main_point="fact 1")
        return Draft(body="Backpropagation computes the gradient efficiently.", title="Backprop" if request.has_title else None,
                     main_point="key point 1")


def _timed_video():
    sentences = [s.strip() + "." for s in TRANSCRIPT.split(". ") if s.strip()]
    text, cues = from_segments((10 * i, s.rstrip(".") + ".") for i, s in enumerate(sentences))
    return sample_video(transcript=text, cues=cues)


def test_every_drafted_post_links_to_its_main_points_second():
    from postgen.pipeline import generate

    install()
    video = _timed_video()
    run = generate(parse_config({"frameworks": ["naval", "aida"]}), video, generator=NamingGenerator())
    hay = words(video.transcript)
    assert run.brief.facts[0].at == 60 and run.brief.key_point_at == [90]  # sentences 7 and 10, 10 s apart
    assert hay and run.video.cues is None and run.video.transcript is None  # neither is stored
    for post in run.posts:
        expected = 60 if post.platform == "x" else 90
        assert post.link == f"https://youtu.be/IHZwWFHWa-w?t={expected}", post.id
        assert post.moment.at == expected


def test_the_switch_turns_timed_links_off():
    from postgen.pipeline import generate

    install()
    config = parse_config({"frameworks": ["naval"], "publish": {"link_to_moment": False}})
    run = generate(config, _timed_video(), generator=NamingGenerator())
    assert {p.link for p in run.posts} == {"https://www.youtube.com/watch?v=IHZwWFHWa-w"}


def test_an_untimed_transcript_says_so_in_the_run():
    from postgen.pipeline import generate

    install()
    run = generate(parse_config({"frameworks": ["naval"]}), sample_video(), generator=NamingGenerator())
    assert "the transcript has no timing: links open the video at the start" in run.warnings
    assert {p.link for p in run.posts} == {"https://www.youtube.com/watch?v=IHZwWFHWa-w"}


def test_quickstart_dry_run_links_each_post_to_its_moment(cli, isolated):
    """The offline quickstart: each post's link opens the sample where the item the post quotes is
    said, and the dry run says which moment and why."""
    from postgen import runfile

    assert cli("run", "--dry-run").exit_code == 0
    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    for post in run.posts:
        label = post.moment.item
        assert label and post.moment.at == run.brief.item(label)[2]
        assert post.link == f"https://example.com/talks/birthday-paradox#t={post.moment.at}"
    shown = cli("publish", "latest", "--dry-run").output
    lines = re.findall(r"^-- link opens the video at (\d+:\d\d): (.*)$", shown, re.M)
    assert lines and all(why.startswith("closest to the post's words") for _, why in lines)


def test_the_dry_run_speaks_of_the_moment_only_where_the_link_is_sent():
    from postgen.connector import Preview
    from postgen.preview import format_preview

    post = Post(id="x-naval", platform="x", framework="naval", body="Backpropagation computes the gradient efficiently.")
    place(post, YOUTUBE, BRIEF, None)
    sent = Preview(post_id=post.id, platform="x", parts=[{"kind": "post", "text": post.body}, {"kind": "reply", "text": post.link}])
    assert "-- link opens the video at 8:32: closest to the post's words" in format_preview(sent, post)
    unsent = Preview(post_id=post.id, platform="x", parts=[{"kind": "post", "text": post.body}])  # link_policy none
    assert "link opens" not in format_preview(unsent, post)
