"""Channel and playlist feeds (public Atom), replayed from cassettes in YouTube's feed shape."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from postgen.source import SourceError
from postgen.sources import feeds, youtube

CH = "UCYO_jab_esuFRV4b17AJtAw"
PL = "PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi"
YT = "../test_sources_youtube/"


@pytest.mark.vcr("channel_feed.yaml")
def test_channel_feed_entries_have_id_title_date_description_views():
    src = feeds.ChannelSource({"channel_id": CH})
    cands = src.candidates()
    assert [c.video_id for c in cands] == ["Ilg3gGewQ5U", "IHZwWFHWa-w", "aircAruvnKk"]
    assert [c.position for c in cands] == [0, 1, 2]
    second = cands[1]
    assert second.title == "Gradient descent, how neural networks learn | DL2"
    assert second.published == datetime(2017, 10, 16, 15, 1, 2, tzinfo=timezone.utc)
    assert second.views == 9350211
    assert second.url == "https://www.youtube.com/watch?v=IHZwWFHWa-w"
    extra = src.extras["IHZwWFHWa-w"]
    assert extra.description.startswith("How a neural network learns")
    assert "series & its follow-ups" in extra.description  # XML entity decoded
    assert extra.channel == "3Blue1Brown"


@pytest.mark.vcr("playlist_feed.yaml")
def test_playlist_feed():
    cands = feeds.PlaylistSource({"playlist_id": PL}).candidates()
    assert [c.video_id for c in cands][:1] == ["Ilg3gGewQ5U"] and len(cands) == 3
    assert all(c.source == "playlist" for c in cands)


@pytest.mark.vcr("feed_404.yaml")
def test_missing_feed_names_the_feed_and_the_key():
    with pytest.raises(SourceError) as info:
        feeds.ChannelSource({"channel_id": "UCzzzzzzzzzzzzzzzzzzzzzz"}).candidates()
    message = str(info.value)
    assert "channel_id=UCzzzzzzzzzzzzzzzzzzzzzz" in message and "404" in message and "channel_id" in message


@pytest.mark.vcr("feed_down.yaml")
def test_feed_down_is_retried_once_then_named(vcr):
    with pytest.raises(SourceError, match=rf"channel feed .*channel_id={CH}: HTTP 500"):
        feeds.ChannelSource({"channel_id": CH}).candidates()
    assert vcr.play_count == 2


@pytest.mark.vcr("feed_not_xml.yaml")
def test_feed_that_is_not_xml_is_named():
    with pytest.raises(SourceError, match=rf"channel_id={CH}: the answer is not XML"):
        feeds.ChannelSource({"channel_id": CH}).candidates()


def test_xml_that_is_not_a_feed():
    with pytest.raises(SourceError, match="not a YouTube feed"):
        feeds.parse_feed("<html><body/></html>", "feed x")


def test_entry_without_statistics_or_date_still_parses():
    xml = ('<feed xmlns="http://www.w3.org/2005/Atom" xmlns:yt="http://www.youtube.com/xml/schemas/2015">'
           "<entry><yt:videoId>aircAruvnKk</yt:videoId><title>t</title><published>not a date</published></entry>"
           "<entry><title>no id: ignored</title></entry></feed>")
    (entry,) = feeds.parse_feed(xml, "feed x")
    assert entry.video_id == "aircAruvnKk" and entry.views is None and entry.published is None


@pytest.mark.parametrize("spec", [{}, {"channel_id": "https://www.youtube.com/@3blue1brown"}, {"channel_id": "UC x"}])
def test_bad_channel_id_is_refused_before_any_request(spec):
    with pytest.raises(SourceError, match="channel_id"):
        feeds.ChannelSource(spec).candidates()


@pytest.mark.vcr("channel_feed.yaml", YT + "oembed_ok.yaml", YT + "transcript_ok.yaml")
def test_fetching_a_feed_video_uses_the_feed_details(vcr):
    src = feeds.ChannelSource({"channel_id": CH, "transcript_languages": ["en"]})
    cand = src.candidates()[1]
    video = src.fetch(cand)
    assert video.id == "IHZwWFHWa-w" and video.source == "channel"
    assert video.description.startswith("How a neural network learns")
    assert video.published.year == 2017 and video.views == 9350211
    assert "cost function" in video.transcript
    assert vcr.play_count == 5  # feed, oEmbed, watch page, player, timedtext: the feed is not read twice


@pytest.mark.vcr(YT + "oembed_ok.yaml", "channel_feed.yaml", YT + "transcript_disabled.yaml")
def test_youtube_source_with_channel_id_reads_details_from_the_channel_feed():
    src = youtube.YouTubeSource({"videos": ["https://youtu.be/IHZwWFHWa-w"], "channel_id": CH})
    video = src.fetch(src.candidates()[0])
    assert video.views == 9350211 and video.description.startswith("How a neural network learns")
    assert video.transcript is None
    assert any("captions are disabled" in w for w in src.warnings)
