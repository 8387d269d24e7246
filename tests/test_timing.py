"""Timed transcripts: evidence -> the second it is said, caption files, marks, and the sources
that keep timing (YouTube captions from a cassette, local files)."""

from __future__ import annotations

import pytest

from postgen.models import Brief, Fact, Video
from postgen.source import SourceError
from postgen.sources.local import LocalSource
from postgen.timing import (
    clock,
    from_segments,
    locate,
    parse_captions,
    split_marks,
    time_brief,
    words,
)

SEGMENTS = [
    (0.16, "Last time we looked at how a network is structured,"),
    (4.28, "layers of neurons, each one holding a number."),
    (8.18, "Today the question is how it learns: it's about minimizing a cost function."),
    (12.58, "The network has about 13,000 weights and biases,\nand learning means nudging all of them"),
    (17.6, "in the direction that lowers the cost the fastest."),
]


@pytest.fixture
def timed():
    text, cues = from_segments(SEGMENTS)
    return words(text), cues


def test_exact_evidence_gets_the_second_its_segment_starts(timed):
    hay, cues = timed
    assert locate("Today the question is how it learns", hay, cues) == 8
    assert locate("layers of neurons, each one holding a number.", hay, cues) == 4


def test_punctuation_case_and_apostrophes_do_not_matter(timed):
    hay, cues = timed
    assert locate("TODAY -- the question is... how it learns!", hay, cues) == 8
    assert locate("IT’S about minimizing a cost function", hay, cues) == 8  # a curly apostrophe = a straight one
    assert locate("about 13000 weights and biases", hay, cues) == 12  # 13,000 = 13000


def test_evidence_across_a_segment_boundary_starts_in_the_first_segment(timed):
    hay, cues = timed
    assert locate("how a network is structured, layers of neurons", hay, cues) == 0
    assert locate("nudging all of them in the direction that lowers the cost", hay, cues) == 12


def test_evidence_cut_with_an_ellipsis_keeps_its_order(timed):
    hay, cues = timed
    assert locate("The network has about 13,000 weights … the cost the fastest", hay, cues) == 12
    assert locate("the cost the fastest ... The network has about 13,000 weights", hay, cues) is None


def test_evidence_not_in_the_transcript_has_no_time(timed):
    hay, cues = timed
    assert locate("The network has about 14,000 weights", hay, cues) is None  # one number off
    assert locate("a paraphrase the speaker never said", hay, cues) is None
    assert locate("", hay, cues) is None
    assert locate("Today the question", hay, []) is None  # no timing at all


def test_short_evidence_counts_only_where_it_is_unambiguous(timed):
    hay, cues = timed
    assert locate("cost", hay, cues) is None  # twice in the transcript
    assert locate("fastest", hay, cues) == 17  # once


def test_cues_are_validated_against_the_transcript():
    text, cues = from_segments(SEGMENTS)
    assert cues[0] == (0, 0) and [c[1] for c in cues] == [0, 4, 8, 12, 17]
    Video(id="v", url="https://youtu.be/IHZwWFHWa-w", title="t", transcript=text, cues=cues)
    for bad in ([(0, 0), (0, 4)], [(0, -1)], [(0, 0), (999, 5)]):
        with pytest.raises(ValueError):
            Video(id="v", url="https://youtu.be/IHZwWFHWa-w", title="t", transcript=text, cues=bad)
    with pytest.raises(ValueError, match="need the transcript"):
        Video(id="v", url="https://youtu.be/IHZwWFHWa-w", title="t", cues=[(0, 0)])


def test_hidden_characters_in_captions_do_not_shift_the_cues():
    """Captions are untrusted: a zero-width space inside a word or a bidi override is removed from
    each segment before counting, as the Video removes it from the whole text."""
    text, cues = from_segments([(0, "gra\u200bdient descent"), (7, "\u202eworks \x07today"), (9, "\u200b")])
    video = Video(id="v", url="https://youtu.be/IHZwWFHWa-w", title="t", transcript=text, cues=cues)
    assert video.transcript == "gradient descent works today" and video.cues == [(0, 0), (2, 7)]
    assert locate("descent works today", words(video.transcript), video.cues) == 0


def test_clock():
    assert [clock(0), clock(192), clock(3723)] == ["0:00", "3:12", "1:02:03"]


def test_time_brief_finds_facts_and_key_points_and_guesses_nothing():
    text, cues = from_segments(SEGMENTS)
    video = Video(id="v", url="https://youtu.be/IHZwWFHWa-w", title="t", transcript=text, cues=cues)
    brief = Brief(
        teaches="how networks learn",
        key_points=["Learning is minimizing a cost function.", "Layers of neurons, each one holding a number."],
        key_point_evidence=["it's about minimizing a cost function"],  # the first point quotes the source
        facts=[Fact(claim="13,000 parameters", evidence="The network has about 13,000 weights and biases"),
               Fact(claim="made up", evidence="Ten thousand layers", at=99)],
    )
    timed = time_brief(brief, video)
    assert timed.key_point_at == [8, 4]  # the second point's own words are the speaker's (case aside)
    assert [f.at for f in timed.facts] == [12, None]  # a time the model gave is not kept
    untimed = time_brief(brief, video.model_copy(update={"cues": None}))
    assert untimed.key_point_at == [] and [f.at for f in untimed.facts] == [None, None]


VTT = """WEBVTT
Kind: captions
Language: en

NOTE made by hand

00:00:00.160 --> 00:00:04.280 align:start position:0%
Last time we <c>looked</c> at how a network is structured,

00:00:04.280 --> 00:00:08.180
<v Speaker>layers of neurons</v>,
each one holding a number.

01:02:03.500 --> 01:02:05.000
The end.
"""

SRT = """1
00:00:00,160 --> 00:00:04,280
Last time we looked at how a network is structured,

2
00:00:04,280 --> 00:00:08,180
layers of neurons, each one holding a number.
"""


def test_webvtt_and_subrip_give_start_seconds_and_plain_text():
    assert parse_captions(VTT) == [
        (0, "Last time we looked at how a network is structured,"),
        (4, "layers of neurons, each one holding a number."),
        (3723, "The end."),
    ]
    assert parse_captions(SRT) == parse_captions(VTT)[:2]


def test_rolling_captions_add_only_what_is_new():
    rolling = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nthe birthday\n\n00:00:02.000 --> 00:00:03.000\nthe birthday paradox\n"
    assert parse_captions(rolling) == [(1, "the birthday"), (2, "paradox")]


def test_marks_at_line_starts_split_a_transcript():
    text = "Intro words here.\n[0:10] First part.\nStill first.\n\n(1:02:03) Last part."
    assert split_marks(text) == [(0, "Intro words here."), (10, "First part.\nStill first."), (3723, "Last part.")]
    assert split_marks("No marks at all, not even [0:10] mid-line.") is None


def _local(tmp_path, front: str, body: str = "", name: str = "talk.md"):
    (tmp_path / name).write_text(f"---\nurl: https://example.com/talk\ntitle: A talk\n{front}---\n{body}", encoding="utf-8")
    src = LocalSource({"path": name}, base_dir=tmp_path)
    return src.fetch(src.candidates()[0])


def test_local_caption_file_beside_the_video_times_the_transcript(tmp_path):
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "talk.vtt").write_text(VTT, encoding="utf-8")
    video = _local(tmp_path, "video: media/talk.mp4\n", "ignored body, the captions are the transcript")
    assert video.transcript.startswith("Last time we looked at how a network is structured, layers of neurons")
    assert [c[1] for c in video.cues] == [0, 4, 3723]


def test_local_sidecar_srt_named_like_the_file(tmp_path):
    (tmp_path / "talk.srt").write_text(SRT, encoding="utf-8")
    video = _local(tmp_path, "")
    assert [c[1] for c in video.cues] == [0, 4]


def test_local_marks_keep_the_paragraphs_and_time_them(tmp_path):
    video = _local(tmp_path, "", "[0:00] First paragraph\nwrapped.\n\n[2:05] Second one.\n")
    assert video.transcript == "First paragraph\nwrapped.\n\nSecond one."
    assert video.cues == [(0, 0), (3, 125)]


def test_local_yaml_transcript_as_a_timed_list(tmp_path):
    (tmp_path / "talk.yaml").write_text(
        "url: https://example.com/talk\ntitle: A talk\ntranscript:\n  - {start: 0, text: Hello there.}\n"
        "  - {start: 61.5, text: A minute in.}\n", encoding="utf-8")
    src = LocalSource({"path": "talk.yaml"}, base_dir=tmp_path)
    video = src.fetch(src.candidates()[0])
    assert video.transcript == "Hello there. A minute in." and video.cues == [(0, 0), (2, 61)]


def test_local_files_say_what_is_wrong_with_their_timing(tmp_path):
    with pytest.raises(SourceError, match="captions .*missing.vtt not found"):
        _local(tmp_path, "captions: missing.vtt\n")
    (tmp_path / "empty.vtt").write_text("WEBVTT\n", encoding="utf-8")
    with pytest.raises(SourceError, match="no timed captions"):
        _local(tmp_path, "captions: empty.vtt\n")
    with pytest.raises(SourceError, match=r"must contain \{seconds\}"):
        _local(tmp_path, "moment_url: https://example.com/talk?at=1\n")


def test_the_sample_is_timed_and_has_its_picture():
    src = LocalSource({"path": "builtin:sample"})
    video = src.fetch(src.candidates()[0])
    assert len(video.cues) == 12 and video.cues[0] == (0, 0) and video.cues[-1][1] == 797  # 13:17
    assert "[" not in video.transcript  # the marks are not words of the talk
    assert video.thumbnails == ["builtin:sample-thumbnail.png"]
    assert video.moment_url == "{url}#t={seconds}"


@pytest.mark.vcr("transcript_ok.yaml")
def test_youtube_captions_keep_their_start_times(vcr_cassette_dir):
    from postgen.sources import youtube

    result = youtube.transcript("IHZwWFHWa-w", ["en"])
    assert [c[1] for c in result.cues] == [0, 4, 8, 12, 17]
    assert locate("learning means nudging all of them", words(result.text), result.cues) == 12


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    from conftest import CASSETTES

    return str(CASSETTES / "test_sources_youtube")
