"""YouTube: video id parsing, oEmbed, transcripts and the `youtube` source, replayed from
hand-written cassettes in the real services' shapes (watch page -> innertube player -> timedtext)."""

from __future__ import annotations

import pytest

from postgen.source import SourceError
from postgen.sources import youtube
from postgen.sources.youtube import video_id

VID = "IHZwWFHWa-w"


@pytest.mark.parametrize("text", [
    "IHZwWFHWa-w",
    "  IHZwWFHWa-w \n",
    "https://www.youtube.com/watch?v=IHZwWFHWa-w",
    "http://www.youtube.com/watch?v=IHZwWFHWa-w",
    "https://www.youtube.com/watch?v=IHZwWFHWa-w&t=42s&list=PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi&index=2",
    "https://www.youtube.com/watch?feature=share&v=IHZwWFHWa-w",
    "https://www.youtube.com/watch?v=IHZwWFHWa-w#t=1m30s",
    "youtube.com/watch?v=IHZwWFHWa-w",
    "www.youtube.com/watch?v=IHZwWFHWa-w",
    "https://m.youtube.com/watch?v=IHZwWFHWa-w",
    "https://music.youtube.com/watch?v=IHZwWFHWa-w&si=abc",
    "https://youtu.be/IHZwWFHWa-w",
    "https://youtu.be/IHZwWFHWa-w?si=Zx9Qk2&t=10",
    "youtu.be/IHZwWFHWa-w",
    "https://www.youtube.com/shorts/IHZwWFHWa-w",
    "https://youtube.com/shorts/IHZwWFHWa-w?feature=share",
    "https://www.youtube.com/embed/IHZwWFHWa-w?start=30",
    "https://www.youtube-nocookie.com/embed/IHZwWFHWa-w",
    "https://www.youtube.com/live/IHZwWFHWa-w?feature=shared",
    "https://www.youtube.com/v/IHZwWFHWa-w",
    "HTTPS://WWW.YOUTUBE.COM/watch?v=IHZwWFHWa-w",
])
def test_video_id_accepts_every_pasted_form(text):
    assert video_id(text) == VID


@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("https://vimeo.com/123456789", "not a YouTube URL"),
    ("https://youtube.com.evil.com/watch?v=IHZwWFHWa-w", "youtube.com.evil.com"),
    ("https://notyoutube.com/watch?v=IHZwWFHWa-w", "notyoutube.com"),
    ("https://evil.com/youtu.be/IHZwWFHWa-w", "evil.com"),
    ("https://www.youtube.com@evil.com/watch?v=IHZwWFHWa-w", "not a YouTube"),
    ("https://evil.com/?v=IHZwWFHWa-w", "evil.com"),
    ("ftp://www.youtube.com/watch?v=IHZwWFHWa-w", "not a YouTube"),
    ("https://www.youtube.com/channel/UCYO_jab_esuFRV4b17AJtAw", "channel"),
    ("https://www.youtube.com/@3blue1brown", "channel"),
    ("https://www.youtube.com/c/3blue1brown/videos", "channel"),
    ("https://www.youtube.com/user/somebody", "channel"),
    ("https://www.youtube.com/playlist?list=PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi", "playlist"),
    ("https://www.youtube.com/watch?list=PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi", "?v=<id>"),
    ("https://www.youtube.com/watch?v=IHZwWFHWa-", "not a valid YouTube video id"),
    ("https://www.youtube.com/watch?v=IHZwWFHWa-wX", "not a valid YouTube video id"),
    ("https://youtu.be/", "not a valid YouTube video id"),
    ("https://youtu.be/short", "not a valid YouTube video id"),
    ("IHZwWFHWa-", "not a YouTube"),
    ("IHZwWFHWa-wXY", "not a YouTube"),
    ("IHZwWFHW!-w", "not a YouTube"),
    ("https://www.youtube.com/", "not a YouTube video URL"),
    ("https://www.youtube.com/feed/subscriptions", "not a YouTube video URL"),
])
def test_video_id_refuses_everything_else_clearly(text, words):
    with pytest.raises(ValueError) as info:
        video_id(text)
    assert words in str(info.value)


@pytest.mark.vcr("oembed_ok.yaml")
def test_oembed_success():
    data = youtube.oembed(VID)
    assert data["title"] == "Gradient descent, how neural networks learn | DL2"
    assert data["author_name"] == "3Blue1Brown"


@pytest.mark.vcr("oembed_401.yaml")
def test_oembed_401_embedding_disabled_names_the_video():
    with pytest.raises(SourceError, match=r"video Xk3vN9aQp2E .*disabled embedding.*401"):
        youtube.oembed("Xk3vN9aQp2E")


@pytest.mark.vcr("oembed_404.yaml")
def test_oembed_404_private_or_deleted_names_the_video():
    with pytest.raises(SourceError, match=r"video pRiv4teVid0 .*private, deleted.*404"):
        youtube.oembed("pRiv4teVid0")


@pytest.mark.vcr("oembed_503_then_ok.yaml")
def test_one_retry_on_5xx_then_success(vcr):
    assert youtube.oembed(VID)["author_name"] == "3Blue1Brown"
    assert vcr.play_count == 2


@pytest.mark.vcr("oembed_503_twice.yaml")
def test_retry_is_bounded_to_one(vcr):
    with pytest.raises(SourceError, match="HTTP 503"):
        youtube.oembed(VID)
    assert vcr.play_count == 2


def test_connection_refused_is_a_clear_error_not_a_hang():
    """A closed local port: the failure is immediate, retried once, then named."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SourceError, match=r"video x: could not reach .*tried twice"):
        youtube.get(youtube.session(), f"http://127.0.0.1:{port}/", "video x")


def test_every_request_has_a_timeout(monkeypatch):
    import requests

    seen = {}

    def fake_send(self, request, **kwargs):
        seen["timeout"] = kwargs.get("timeout")
        raise requests.ConnectionError("stop here")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", fake_send)
    with pytest.raises(SourceError):
        youtube.oembed(VID)
    assert seen["timeout"] == youtube.TIMEOUT


@pytest.mark.vcr("transcript_ok.yaml")
def test_transcript_fetch_joins_snippets_and_unescapes(vcr):
    result = youtube.transcript(VID, ["en"])
    assert result.warning is None
    assert result.language == "en"
    assert result.text.startswith("Last time we looked at how a network is structured,")
    assert "it's about minimizing a cost function" in result.text
    assert "about 13,000 weights and biases, and learning" in result.text
    assert vcr.play_count == 3  # watch page, innertube player, timedtext


@pytest.mark.vcr("transcript_disabled.yaml")
def test_video_without_transcripts_gives_a_warning_not_an_error():
    result = youtube.transcript(VID, ["en"])
    assert result.text is None
    assert "captions are disabled" in result.warning
    assert "title and description" in result.warning


@pytest.mark.vcr("transcript_only_german.yaml")
def test_no_transcript_in_the_wanted_language_says_which():
    result = youtube.transcript(VID, ["en", "es"])
    assert result.text is None
    assert "no transcript in en, es" in result.warning
    assert "transcript_languages" in result.warning


@pytest.mark.vcr("transcript_only_german.yaml")
def test_language_preference_is_followed():
    result = youtube.transcript(VID, ["en", "de"])
    assert result.language == "de"
    assert result.text.startswith("Beim letzten Mal")


@pytest.mark.vcr("transcript_blocked.yaml")
def test_blocked_request_bot_check_is_a_warning():
    result = youtube.transcript(VID, ["en"])
    assert result.text is None
    assert "blocked" in result.warning and "CI" in result.warning


@pytest.mark.vcr("transcript_ip_blocked.yaml")
def test_ip_blocked_429_is_a_warning():
    result = youtube.transcript(VID, ["en"])
    assert result.text is None
    assert "blocked" in result.warning


@pytest.mark.vcr("oembed_ok.yaml", "transcript_ok.yaml")
def test_fetch_video_with_transcript():
    warnings: list[str] = []
    video = youtube.fetch_video(VID, source="youtube", languages=["en"], warnings=warnings)
    assert video.id == VID and video.url == f"https://www.youtube.com/watch?v={VID}"
    assert video.title == "Gradient descent, how neural networks learn | DL2"
    assert video.channel == "3Blue1Brown"
    assert "cost function" in video.transcript
    assert video.source == "youtube"
    assert warnings == []


@pytest.mark.vcr("oembed_ok.yaml", "transcript_disabled.yaml")
def test_fetch_video_without_transcript_goes_on_with_a_warning():
    warnings: list[str] = []
    video = youtube.fetch_video(VID, source="youtube", warnings=warnings)
    assert video.transcript is None
    assert video.title.startswith("Gradient descent")
    assert len(warnings) == 1 and "captions are disabled" in warnings[0]


@pytest.mark.vcr("oembed_ok.yaml", "transcript_blocked.yaml")
def test_require_transcript_turns_a_missing_transcript_into_an_error():
    with pytest.raises(SourceError, match=r"blocked.*require_transcript = true"):
        youtube.fetch_video(VID, source="youtube", require_transcript=True)


@pytest.mark.vcr("oembed_404.yaml")
def test_fetch_video_stops_at_a_private_video_before_any_transcript_call(vcr):
    with pytest.raises(SourceError, match="pRiv4teVid0"):
        youtube.fetch_video("pRiv4teVid0", source="youtube")
    assert vcr.play_count == 1


def test_youtube_source_lists_its_videos_in_order_without_network():
    src = youtube.YouTubeSource({"videos": ["https://youtu.be/IHZwWFHWa-w", "aircAruvnKk", "https://vimeo.com/1", "aircAruvnKk"]})
    cands = src.candidates()
    assert [c.video_id for c in cands] == ["IHZwWFHWa-w", "aircAruvnKk"]
    assert [c.position for c in cands] == [0, 1]
    assert len(src.warnings) == 1 and "videos:3" in src.warnings[0] and "vimeo.com" in src.warnings[0]


def test_youtube_source_without_videos_is_a_clear_error():
    with pytest.raises(SourceError, match=r"videos = \["):
        youtube.YouTubeSource({}).candidates()


def test_importing_the_plugins_does_not_import_requests():
    import subprocess
    import sys

    code = ("import sys, postgen.sources.youtube, postgen.sources.feeds, postgen.sources.queue, postgen.sources.local, "
            "postgen.selection, postgen.commands.select; "
            "print([m for m in ('requests', 'youtube_transcript_api', 'yaml') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_video_id_round_trips_any_id_in_any_form():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    forms = st.sampled_from([
        "{}", "https://www.youtube.com/watch?v={}", "youtu.be/{}?t=3", "https://m.youtube.com/shorts/{}",
        "https://www.youtube-nocookie.com/embed/{}", "www.youtube.com/live/{}", "https://youtube.com/watch?a=1&v={}&b=2",
    ])

    ids = st.text(alphabet, min_size=11, max_size=11).filter(lambda v: v != "videoseries")  # YouTube's playlist word

    @settings(max_examples=150, deadline=None)
    @given(ids, forms)
    def check(vid, form):
        assert video_id(form.format(vid)) == vid

    check()


def test_a_503_with_a_long_retry_after_does_not_hang():
    assert youtube.session().get_adapter("https://www.youtube.com").max_retries.respect_retry_after_header is False
