"""The queue file: one URL or id a line, comments, order kept, bad lines reported not fatal."""

from __future__ import annotations

import pytest

from postgen.source import SourceError
from postgen.sources.queue import QueueSource


def test_queue_lists_entries_in_file_order(tmp_path):
    (tmp_path / "queue.txt").write_text(
        "# next up\n"
        "https://www.youtube.com/watch?v=IHZwWFHWa-w&t=30s   # gradient descent\n"
        "\n"
        "  aircAruvnKk\n"
        "https://youtu.be/Ilg3gGewQ5U#t=10\n"
        "# https://youtu.be/dQw4w9WgXcQ  (commented out)\n"
        "IHZwWFHWa-w\n",  # duplicate: kept once, in its first place
        encoding="utf-8",
    )
    src = QueueSource({"path": "queue.txt"}, base_dir=tmp_path)
    cands = src.candidates()
    assert [c.video_id for c in cands] == ["IHZwWFHWa-w", "aircAruvnKk", "Ilg3gGewQ5U"]
    assert [c.position for c in cands] == [0, 1, 2]
    assert all(c.source == "queue" for c in cands)
    assert src.warnings == []


def test_a_bad_line_is_a_warning_naming_file_and_line(tmp_path):
    (tmp_path / "q.txt").write_text("aircAruvnKk\nhttps://vimeo.com/76979871\nIHZwWFHWa-w\n", encoding="utf-8")
    src = QueueSource({"path": str(tmp_path / "q.txt")})
    assert [c.video_id for c in src.candidates()] == ["aircAruvnKk", "IHZwWFHWa-w"]
    assert len(src.warnings) == 1
    assert "q.txt:2" in src.warnings[0] and "vimeo.com" in src.warnings[0]


def test_missing_queue_file_is_a_clear_error(tmp_path):
    with pytest.raises(SourceError, match=r"queue .*nope.txt: no such file; create it"):
        QueueSource({"path": "nope.txt"}, base_dir=tmp_path).candidates()


def test_queue_without_path_says_what_to_write():
    with pytest.raises(SourceError, match='path = "queue.txt"'):
        QueueSource({}).candidates()


def test_queue_file_with_bom_and_crlf(tmp_path):
    (tmp_path / "q.txt").write_bytes("\ufeffaircAruvnKk\r\nIHZwWFHWa-w\r\n".encode("utf-8"))
    assert [c.video_id for c in QueueSource({"path": "q.txt"}, base_dir=tmp_path).candidates()] == ["aircAruvnKk", "IHZwWFHWa-w"]
