"""Local video files (YAML, JSON, Markdown with front matter) and the packaged sample."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from postgen.source import SourceError
from postgen.sources.local import LocalSource, builtin_path


def test_builtin_sample_is_packaged_and_complete():
    src = LocalSource({"path": "builtin:sample"})
    (cand,) = src.candidates()
    video = src.fetch(cand)
    assert builtin_path("builtin:sample").is_file()
    assert video.id == cand.video_id == "sample-birthday-paradox"
    assert video.url.startswith("https://") and video.title and video.channel and video.description
    assert video.published == datetime(2026, 1, 12, tzinfo=timezone.utc)
    words = len(video.transcript.split())
    assert 400 <= words <= 900
    # facts a post can cite, stated in the transcript itself
    for fact in ("23", "50.7 percent", "253", "77,000", "2.7 quintillion"):
        assert fact in video.transcript
    assert src.warnings == []


def test_markdown_with_front_matter(tmp_path):
    (tmp_path / "talk.md").write_text(
        "---\nurl: https://youtu.be/aircAruvnKk\ntitle: What is a neural network?\nchannel: 3Blue1Brown\n"
        "published: 2017-10-05T14:46:26Z\nviews: 21840577\n---\n\nNeurons hold numbers.\n\nLayers pass them on.\n",
        encoding="utf-8",
    )
    src = LocalSource({"path": "talk.md"}, base_dir=tmp_path)
    video = src.fetch(src.candidates()[0])
    assert video.id == "aircAruvnKk"  # from the YouTube URL
    assert video.transcript == "Neurons hold numbers.\n\nLayers pass them on."
    assert video.views == 21840577 and video.published.tzinfo is not None
    assert video.source == "local"


def test_yaml_and_json_files_in_a_folder_in_name_order(tmp_path):
    (tmp_path / "a.yaml").write_text("url: https://example.com/a\ntitle: A\nnotes: some notes\n", encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"url": "https://example.com/b", "title": "B", "id": "talk-b",
                                                 "transcript": "words"}), encoding="utf-8")
    (tmp_path / "README.md").write_text("not a video", encoding="utf-8")
    src = LocalSource({"path": "."}, base_dir=tmp_path)
    cands = src.candidates()
    assert [c.video_id for c in cands] == ["a", "talk-b"]
    assert src.fetch(cands[0]).transcript == "some notes"


def test_no_transcript_is_a_warning_or_an_error_when_required(tmp_path):
    (tmp_path / "v.yaml").write_text("url: https://example.com/v\ntitle: V\ndescription: only this\n", encoding="utf-8")
    src = LocalSource({"path": "v.yaml"}, base_dir=tmp_path)
    video = src.fetch(src.candidates()[0])
    assert video.transcript is None and "no transcript" in src.warnings[0]
    strict = LocalSource({"path": "v.yaml", "require_transcript": True}, base_dir=tmp_path)
    with pytest.raises(SourceError, match="require_transcript"):
        strict.fetch(strict.candidates()[0])


@pytest.mark.parametrize("name, text, words", [
    ("m.md", "no front matter here", "front matter"),
    ("m.md", "---\ntitle: x\n", "never closed"),
    ("m.yaml", "title: [unclosed", "not valid YAML"),
    ("m.json", "{nope", "not valid JSON"),
    ("m.yaml", "- a\n- b\n", "expected keys"),
    ("m.yaml", "url: https://example.com\n", "missing title"),
    ("m.yaml", "title: t\n", "missing url"),
    ("m.yaml", "title: t\nurl: https://e.com\nid: 'a b'\n", "id 'a b'"),
    ("m.yaml", "title: t\nurl: https://e.com\npublished: yesterday\n", "not a date"),
])
def test_bad_files_get_clear_errors_naming_the_file(tmp_path, name, text, words):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as info:
        LocalSource({"path": name}, base_dir=tmp_path).candidates()
    assert words in str(info.value) and name in str(info.value)


def test_missing_path_and_unknown_builtin(tmp_path):
    with pytest.raises(SourceError, match="no such file or folder"):
        LocalSource({"path": "gone.md"}, base_dir=tmp_path).candidates()
    with pytest.raises(SourceError, match="builtin:sample"):
        LocalSource({"path": "builtin:nothing"}).candidates()


def test_one_bad_file_in_a_folder_is_a_warning_and_the_others_still_serve(tmp_path):
    """Like a bad queue line: a folder of ten talks is not lost to one typo."""
    (tmp_path / "a.yaml").write_text("url: https://example.com/a\ntitle: [unclosed\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("url: https://example.com/b\ntitle: B\nnotes: words\n", encoding="utf-8")
    src = LocalSource({"path": "."}, base_dir=tmp_path)
    assert [c.video_id for c in src.candidates()] == ["b"]
    assert len(src.warnings) == 1 and "a.yaml" in src.warnings[0] and "skipped" in src.warnings[0]
