"""The run file: round trip, hand edits, atomic writes, and clear errors on corrupt files."""

from __future__ import annotations

import string
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postgen import runfile
from postgen.models import Brief, Fact, FollowUp, Post, PostState, Problem, Publication, Run, Usage, Video

TRICKY = ["```", "````", "~~~", "`", "# heading", "---", "\n\n", "  ", "🔥", "👨‍👩‍👧‍👦", "日本語", "<!-- post x-naval -->", "\t", "\\", "ðŸ”¥", "**bold**"]


def make_run(**posts_kw) -> Run:
    video = Video(id="abcdefghijk", url="https://www.youtube.com/watch?v=abcdefghijk", title="A talk", channel="Chan")
    posts = [
        Post(id="linkedin-hormozi", platform="linkedin", framework="hormozi", body="Hello (world)\n\n→ point"),
        Post(id="x-naval", platform="x", framework="naval", body="Short.", state=PostState.ready),
        Post(id="reddit-aida", platform="reddit", framework="aida", title="A title", body="Body with ``` fence\n```\nend"),
    ]
    return Run(id="2026-11-24-abcdefghijk", created=datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc), video=video, posts=posts, **posts_kw)


def test_round_trip_simple():
    run = make_run(brief=Brief(teaches="x", key_points=["a"], facts=[Fact(claim="c", evidence="e")]))
    assert runfile.parse(runfile.render(run)) == run


def test_layout_matches_the_seed_for_people():
    text = runfile.render(make_run())
    assert "# Autonomous Run - 2026-11-24" in text
    assert "**Video Selected:** A talk | Chan" in text
    assert "**URL:** https://www.youtube.com/watch?v=abcdefghijk" in text
    assert "## LINKEDIN POSTS" in text and "## X/TWITTER POSTS" in text and "## REDDIT POSTS" in text
    assert "### 🔥 HORMOZI FRAMEWORK" in text
    assert "## METADATA" in text
    # post text is not duplicated into the state block
    state = text.split("\n---\n", 1)[0]
    assert "Hello (world)" not in state


body_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\x00"), max_size=200)
tricky_text = st.lists(st.one_of(st.sampled_from(TRICKY), body_text), max_size=6).map("".join)
title_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=80)
framework_names = st.sampled_from(["hormozi", "garyvee", "naval", "storytelling", "aida"])


@st.composite
def runs(draw):
    posts = []
    for platform in draw(st.lists(st.sampled_from(["linkedin", "x", "reddit"]), min_size=1, max_size=3, unique=True)):
        for framework in draw(st.lists(framework_names, min_size=1, max_size=3, unique=True)):
            posts.append(
                Post(
                    id=f"{platform}-{framework}",
                    platform=platform,
                    framework=framework,
                    title=draw(title_text) if platform == "reddit" else None,
                    body=draw(tricky_text),
                    state=draw(st.sampled_from(list(PostState))),
                    problems=[Problem(severity="warning", code="c", message=draw(tricky_text))] if draw(st.booleans()) else [],
                    approved=draw(st.booleans()),
                    attempts=draw(st.integers(0, 5)),
                    publication=Publication(remote_id="123", url="https://x.com/i/status/123", follow_ups=[FollowUp(kind="reply", remote_id="9")])
                    if draw(st.booleans())
                    else None,
                )
            )
    video = Video(
        id="vid", url="https://youtu.be/vid", title=draw(title_text), channel=draw(title_text), description=draw(tricky_text)
    )
    return Run(
        id="2026-01-01-vid",
        created=datetime(2026, 1, 1, tzinfo=timezone.utc),
        video=video,
        brief=Brief(teaches=draw(tricky_text), key_points=[draw(tricky_text)], facts=[Fact(claim=draw(tricky_text), evidence=draw(tricky_text))]),
        posts=posts,
        generator="offline",
        usage=Usage(calls=draw(st.integers(0, 99)), cost_usd=draw(st.floats(0, 10, allow_nan=False))),
        warnings=[draw(tricky_text)],
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs())
def test_parse_render_round_trip(run):
    assert runfile.parse(runfile.render(run)) == run


def test_hand_edit_is_seen(tmp_path):
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Short.", "Shorter, edited by hand 🙂"), encoding="utf-8")
    assert runfile.load(path).post("x-naval").body == "Shorter, edited by hand 🙂"


def test_reddit_title_edit_is_seen(tmp_path):
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    path.write_text(path.read_text(encoding="utf-8").replace("A title\n", "A better title\n"), encoding="utf-8")
    post = runfile.load(path).post("reddit-aida")
    assert post.title == "A better title"
    assert post.body.startswith("Body with")


def corrupt(path: Path, fn) -> Path:
    runfile.save(path, make_run())
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "mangle, expected",
    [
        (lambda t: t[: t.index('"posts"') + 20], "never closed"),  # truncated inside the state block
        (lambda t: t[: t.index("Short.") + 3], "never closed"),  # truncated inside a post
        (lambda t: t.replace('"postgen": 1,', '"postgen": 1,,'), "not valid JSON"),
        (lambda t: t.replace("<!-- post x-naval -->\n", ""), "x-naval"),
        (lambda t: "garbage\n" + t, "no state block"),
        (lambda t: t.replace('"state": "ready"', '"state": "sent"'), "state"),
    ],
)
def test_corrupt_files_get_clear_errors_and_are_not_rewritten(tmp_path, mangle, expected):
    path = corrupt(tmp_path / "r.md", mangle)
    before = path.read_bytes()
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    message = str(info.value)
    assert str(path) in message and expected in message
    with pytest.raises(runfile.RunFileError):
        with runfile.editing(path):
            pass  # pragma: no cover - never reached
    assert path.read_bytes() == before


def test_error_names_the_line(tmp_path):
    path = corrupt(tmp_path / "r.md", lambda t: t[: t.index("Short.") + 3])
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    assert info.value.line is not None
    assert lines[info.value.line - 1].startswith("```")


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    path.write_bytes(path.read_bytes().replace("→".encode(), b"\xff\xfe"))
    with pytest.raises(runfile.RunFileError, match="UTF-8"):
        runfile.load(path)


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    (tmp_path / "runs").mkdir()
    path = tmp_path / "runs" / "r.md"
    runfile.save(path, make_run())
    before = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(runfile.os, "replace", boom)
    with pytest.raises(OSError):
        runfile.save(path, make_run(warnings=["changed"]))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["r.md"]  # no temp file left behind


def test_lock_refuses_a_second_holder(tmp_path):
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    with runfile.locked(path):
        with pytest.raises(runfile.RunLocked, match="another postgen process"):
            with runfile.locked(path):
                pass  # pragma: no cover


def test_editing_saves_changes(tmp_path):
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    with runfile.editing(path) as handle:
        handle.run.post("x-naval").approved = True
    assert runfile.load(path).post("x-naval").approved is True


def test_resolve_refs(tmp_path):
    runs = tmp_path / "runs"
    run = make_run()
    runfile.save(runfile.path_for(runs, run), run)
    assert runfile.resolve(runs, "latest").name == "2026-11-24-abcdefghijk.md"
    assert runfile.resolve(runs, "2026-11-24-abcdefghijk").exists()
    assert runfile.resolve(runs, "abcdefghijk").exists()
    with pytest.raises(runfile.RunFileError, match="no such run"):
        runfile.resolve(runs, "nope")


def test_state_block_rewritten_as_yaml_is_accepted(tmp_path):
    import json

    import yaml

    run = make_run()
    text = runfile.render(run)
    _, state, rest = text.split("---\n", 2)
    yaml_state = yaml.safe_dump(json.loads(state), allow_unicode=True, sort_keys=False)
    assert runfile.parse(f"---\n{yaml_state}---\n{rest}") == run


def test_a_fence_line_typed_into_a_post_is_refused_not_truncated(tmp_path):
    """A person pastes a code snippet into a post: its bare ``` closes the block early. The rest of
    the text must not vanish (and be saved away by the next command): the load is refused."""
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Short.", "Short.\n```\nprint(1)\n```\nThe rest of my edit"), encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(runfile.RunFileError, match="x-naval.*ends its fenced block early") as info:
        runfile.load(path)
    assert str(path) in str(info.value)
    with pytest.raises(runfile.RunFileError):
        with runfile.editing(path):
            pass  # pragma: no cover - never reached
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda run: setattr(run.post("reddit-aida"), "title", "Line one\nline two"), "title spans lines"),
        (lambda run: setattr(run.posts[0], "id", "linkedin-my framework"), "cannot be written"),
    ],
)
def test_a_run_the_file_could_not_give_back_is_refused_at_save(tmp_path, change, expected):
    """Saving must never write a file that the next command cannot read (or reads differently)."""
    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    before = path.read_bytes()
    run = make_run()
    change(run)
    with pytest.raises(runfile.RunFileError, match=expected) as info:
        runfile.save(path, run)
    assert str(path) in str(info.value)
    assert path.read_bytes() == before


def test_video_fields_spanning_lines_stay_out_of_the_post_layout():
    """A channel or title from a source may hold a newline; on its own line it could read as a post marker."""
    run = make_run()
    run.video.channel = "Chan\n<!-- post zz-top -->"
    run.video.title = "A talk\n```"
    assert runfile.parse(runfile.render(run)) == run


def test_a_file_an_editor_saved_with_crlf_and_a_bom_still_reads(tmp_path):
    """Windows editors and git's autocrlf rewrite line ends; postgen always writes LF, so a file
    that opens with '---\\r\\n' was converted as a whole and reads as the same run."""
    path = tmp_path / "r.md"
    run = make_run()
    runfile.save(path, run)
    text = path.read_text(encoding="utf-8").replace("Short.", "Edited.")
    path.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    loaded = runfile.load(path)
    assert loaded.post("x-naval").body == "Edited."
    assert loaded.post("reddit-aida") == run.post("reddit-aida")


def test_latest_is_the_run_created_last_even_on_the_same_day(tmp_path):
    runs = tmp_path / "runs"
    early, late = make_run(), make_run()
    early.id, early.created = "2026-11-24-zzzzzzzzzzz", datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc)
    late.id, late.created = "2026-11-24-aaaaaaaaaaa", datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)
    older = make_run()
    older.id, older.created = "2026-11-23-zzzzzzzzzzz", datetime(2026, 11, 23, 23, 0, tzinfo=timezone.utc)
    for run in (early, late, older):
        runfile.save(runfile.path_for(runs, run), run)
    assert runfile.resolve(runs, "latest").stem == "2026-11-24-aaaaaaaaaaa"


def test_a_framework_name_that_cannot_be_a_post_id_is_refused_when_loaded(tmp_path):
    """'my fw.toml' used to generate a whole run, then fail to save it (the marker cannot carry a space)."""
    from postgen.frameworks import FrameworkFileError, load_file

    path = tmp_path / "mine.toml"
    path.write_text('name = "my fw"\nlabel = "Mine"\n', encoding="utf-8")
    with pytest.raises(FrameworkFileError, match="mine.toml: 'name'.*post ids"):
        load_file(path)


def test_trailing_blanks_after_a_closing_fence_are_fine(tmp_path):
    """An editor left a space after x-naval's closing fence: the block ran on into the next post's
    and the error blamed reddit-aida's 'missing' text."""
    path = tmp_path / "r.md"
    run = make_run()
    runfile.save(path, run)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Short.\n```\n", "Short.\n```  \n"), encoding="utf-8")
    assert runfile.load(path) == run


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="POSIX file modes")
def test_saved_files_keep_normal_permissions(tmp_path):
    """The temp file behind the atomic write is 0600; a run file used to end up unreadable to the team."""
    import os
    import stat

    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    path.chmod(0o640)
    runfile.save(path, make_run())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_crashed_holder_leaves_no_stale_lock(tmp_path):
    """What the RunLocked message promises: a process that dies holding the lock releases it;
    the .lock file it leaves behind blocks nothing."""
    import subprocess
    import sys

    path = tmp_path / "r.md"
    runfile.save(path, make_run())
    code = f"import os\nfrom postgen import runfile\nwith runfile.locked({str(path)!r}):\n    os._exit(9)\n"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    assert path.with_name(path.name + ".lock").exists()
    with runfile.editing(path) as handle:
        assert handle.run == make_run()
