"""Selection and `postgen next`: candidates from every source, minus videos that have a run,
ordered by policy, bounded by age; one failing source never stops the others."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from postgen.config import load_config, parse_config
from postgen.selection import choose, done_video_ids, plan
from postgen.source import SourceError

from conftest import CASSETTES  # noqa: E402

YT = str(CASSETTES / "test_sources_youtube") + "/"
FEEDS = str(CASSETTES / "test_sources_feeds") + "/"
SAMPLE = "sample-birthday-paradox"


def write_config(work: Path, toml: str):
    (work / "postgen.toml").write_text(toml, encoding="utf-8")
    return load_config(work / "postgen.toml")


def add_run(work: Path, run_id: str) -> None:
    (work / "runs").mkdir(exist_ok=True)
    (work / "runs" / f"{run_id}.md").write_text("not parsed: only the name counts\n", encoding="utf-8")


def video_file(work: Path, name: str, **fields) -> None:
    (work / "videos").mkdir(exist_ok=True)
    lines = [f"{k}: {v}" for k, v in {"url": f"https://example.com/{name}", "title": name.title(), **fields}.items()]
    (work / "videos" / f"{name}.yaml").write_text("\n".join(lines) + "\ntranscript: words\n", encoding="utf-8")


def test_default_config_picks_the_packaged_sample_offline(isolated):
    config = load_config()
    assert config.sources == [{"type": "local", "path": "builtin:sample"}]
    selected = choose(config)
    assert selected.video.id == SAMPLE
    assert selected.video.transcript and selected.warnings == []
    assert "queue order" in selected.reason


def test_done_ids_come_from_file_names_only(isolated):
    add_run(isolated, "2026-11-20-IHZwWFHWa-w")
    add_run(isolated, f"2026-11-21-{SAMPLE}")
    assert set(done_video_ids(isolated / "runs")) == {"IHZwWFHWa-w", SAMPLE}


def test_a_video_with_a_run_is_never_picked(isolated):
    add_run(isolated, f"2026-11-21-{SAMPLE}")
    config = load_config()
    p = plan(config)
    assert p.pick is None
    assert p.considered[0].status == "skipped" and f"2026-11-21-{SAMPLE}.md" in p.considered[0].reason
    with pytest.raises(SourceError, match="no video to pick: all 1 candidate\\(s\\) skipped \\(already run"):
        choose(config)


def test_queue_policy_is_source_order_then_position_minus_done_and_duplicates(isolated):
    (isolated / "queue.txt").write_text("aircAruvnKk\nIHZwWFHWa-w\nIlg3gGewQ5U\n", encoding="utf-8")
    add_run(isolated, "2026-11-01-aircAruvnKk")
    config = write_config(isolated, """
[[sources]]
type = "queue"
path = "queue.txt"

[[sources]]
type = "youtube"
videos = ["https://youtu.be/Ilg3gGewQ5U", "dQw4w9WgXcQ"]
""")
    p = plan(config)
    rows = [(c.candidate.video_id, c.status) for c in p.considered]
    assert rows == [("aircAruvnKk", "skipped"), ("IHZwWFHWa-w", "pick"), ("Ilg3gGewQ5U", "eligible"),
                    ("Ilg3gGewQ5U", "skipped"), ("dQw4w9WgXcQ", "eligible")]
    assert "duplicate" in p.considered[3].reason
    assert "#2 of sources[0] queue: queue.txt" in p.pick.reason


def test_newest_and_most_viewed_with_unknowns_last(isolated):
    video_file(isolated, "old", published="2025-01-01", views=900)
    video_file(isolated, "new", published="2026-11-01", views=10)
    video_file(isolated, "undated", views=5000)
    video_file(isolated, "unviewed", published="2026-06-01")
    base = '[[sources]]\ntype = "local"\npath = "videos"\n[selection]\n'
    newest = plan(write_config(isolated, base + 'policy = "newest"\n'))
    assert [c.candidate.video_id for c in newest.considered] == ["new", "unviewed", "old", "undated"]
    assert "published 2026-11-01" in newest.pick.reason
    viewed = plan(write_config(isolated, base + 'policy = "most-viewed"\n'))
    assert [c.candidate.video_id for c in viewed.considered] == ["undated", "old", "new", "unviewed"]
    assert "5,000 views" in viewed.pick.reason


def test_max_age_days_drops_old_videos_but_keeps_undated(isolated):
    video_file(isolated, "old", published="2025-01-01")
    video_file(isolated, "recent", published="2026-11-01")
    video_file(isolated, "undated")
    config = write_config(isolated, '[[sources]]\ntype = "local"\npath = "videos"\n[selection]\nmax_age_days = 30\n')
    p = plan(config, now=datetime(2026, 11, 24, tzinfo=timezone.utc))
    status = {c.candidate.video_id: c.status for c in p.considered}
    assert status == {"old": "skipped", "recent": "pick", "undated": "eligible"}
    assert "older than max_age_days = 30" in next(c.reason for c in p.considered if c.candidate.video_id == "old")


@pytest.mark.vcr(FEEDS + "feed_down.yaml")
def test_a_failing_source_is_a_warning_and_the_others_still_serve(isolated):
    config = write_config(isolated, """
[[sources]]
type = "channel"
channel_id = "UCYO_jab_esuFRV4b17AJtAw"

[[sources]]
type = "local"
path = "builtin:sample"
""")
    selected = choose(config)
    assert selected.video.id == SAMPLE
    assert len(selected.warnings) == 1
    assert selected.warnings[0].startswith("sources[0] channel: channel_id=UCYO_jab_esuFRV4b17AJtAw")
    assert "HTTP 500" in selected.warnings[0]


@pytest.mark.vcr(YT + "oembed_404.yaml")
def test_a_video_that_cannot_be_fetched_passes_the_turn_to_the_next(isolated):
    (isolated / "queue.txt").write_text("https://www.youtube.com/watch?v=pRiv4teVid0\n", encoding="utf-8")
    config = write_config(isolated, '[[sources]]\ntype = "queue"\npath = "queue.txt"\n'
                                    '[[sources]]\ntype = "local"\npath = "builtin:sample"\n')
    selected = choose(config)
    assert selected.video.id == SAMPLE
    assert "earlier candidates failed" in selected.reason
    assert any("pRiv4teVid0" in w and "404" in w for w in selected.warnings)


@pytest.mark.vcr(YT + "oembed_ok.yaml", YT + "transcript_blocked.yaml")
def test_video_override_fetches_any_youtube_video_and_carries_the_transcript_warning(isolated):
    selected = choose(load_config(), video="https://www.youtube.com/watch?v=IHZwWFHWa-w&t=5")
    assert selected.video.id == "IHZwWFHWa-w" and selected.video.transcript is None
    assert "--video" in selected.reason
    assert len(selected.warnings) == 1 and "blocked" in selected.warnings[0]


@pytest.mark.vcr(YT + "oembed_ok.yaml", YT + "transcript_blocked.yaml")
def test_require_transcript_makes_the_override_fail_clearly(isolated):
    config = write_config(isolated, "[selection]\nrequire_transcript = true\n")
    with pytest.raises(SourceError, match="require_transcript = true"):
        choose(config, video="IHZwWFHWa-w")


def test_video_override_of_a_configured_local_video_needs_no_network(isolated):
    add_run(isolated, f"2026-11-21-{SAMPLE}")
    selected = choose(load_config(), video=SAMPLE)
    assert selected.video.id == SAMPLE and selected.video.source == "local"
    assert any("already has a run" in w for w in selected.warnings)


def test_video_override_with_a_local_file(isolated):
    video_file(isolated, "talk")
    selected = choose(load_config(), video="videos/talk.yaml")
    assert selected.video.id == "talk" and selected.video.transcript == "words"


def test_video_override_refuses_a_bad_url():
    with pytest.raises(SourceError, match=r"--video: .*channel.*configured source"):
        choose(load_config(), video="https://www.youtube.com/@3blue1brown")


def test_unknown_source_type_is_named():
    config = parse_config({"sources": [{"type": "rss", "url": "x"}]})
    with pytest.raises(SourceError, match=r"sources\[0\] \(rss\): no source named 'rss'"):
        plan(config)


def test_next_works_offline_on_the_default_config(cli):
    result = cli("next")
    assert result.exit_code == 0, result.output
    assert f"next: {SAMPLE}" in result.output
    assert "why: first video without a run in queue order" in result.output
    data = json.loads(cli("next", "--json").output)
    assert data["pick"]["video_id"] == SAMPLE and data["policy"] == "queue"
    assert [c["status"] for c in data["candidates"]] == ["pick"]


def test_next_explains_skips_and_exits_0_when_nothing_is_left(cli, isolated):
    """Nothing new to pick is the normal state between videos, as `postgen run` says (exit 0)."""
    add_run(isolated, f"2026-11-21-{SAMPLE}")
    result = cli("next")
    assert result.exit_code == 0
    assert "nothing new to pick" in result.output
    assert f"skipped: already has a run: 2026-11-21-{SAMPLE}.md" in result.output
    data = json.loads(cli("next", "--json").output)
    assert data["pick"] is None and data["candidates"][0]["status"] == "skipped"


def test_next_generates_nothing(cli, isolated):
    cli("next")
    assert not (isolated / "runs").exists()


def test_next_reports_a_bad_queue_line_as_a_warning(cli, isolated):
    (isolated / "queue.txt").write_text("aircAruvnKk\nnot a video\n", encoding="utf-8")
    write_config(isolated, '[[sources]]\ntype = "queue"\npath = "queue.txt"\n')
    result = cli("next")
    assert result.exit_code == 0
    assert "next: aircAruvnKk" in result.output
    assert "queue.txt:2: skipped" in result.output  # warnings go to stderr, mixed in by CliRunner


def test_a_plugin_source_that_crashes_does_not_stop_the_others(isolated, monkeypatch):
    from postgen.sources.youtube import YouTubeSource

    def boom(self):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(YouTubeSource, "candidates", boom)
    config = write_config(isolated, '[[sources]]\ntype = "youtube"\nvideos = ["aircAruvnKk"]\n'
                                    '[[sources]]\ntype = "local"\npath = "builtin:sample"\n')
    p = plan(config)
    assert p.pick.candidate.video_id == SAMPLE
    assert p.warnings == ["sources[0] youtube: 1 video(s): failed unexpectedly: RuntimeError: plugin bug"]


def test_require_transcript_from_config_reaches_the_sources(isolated):
    (isolated / "videos").mkdir()
    (isolated / "videos" / "bare.yaml").write_text("url: https://example.com/b\ntitle: Bare\n", encoding="utf-8")
    config = write_config(isolated, '[[sources]]\ntype = "local"\npath = "videos"\n'
                                    '[[sources]]\ntype = "local"\npath = "builtin:sample"\n'
                                    '[selection]\nrequire_transcript = true\ntranscript_languages = ["de", "en"]\n')
    from postgen.selection import build_sources

    assert build_sources(config)[0][1].spec["transcript_languages"] == ["de", "en"]
    selected = choose(config)
    assert selected.video.id == SAMPLE
    assert any("bare" in w and "require_transcript" in w for w in selected.warnings)
