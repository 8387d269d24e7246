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


# --------------------------------------------------------------------------- anything amiss is a RunFileError


@pytest.mark.parametrize("mangle, expected", [
    (lambda t: t.replace('"id": "x-naval"', '"id": ["x"]'), "a post's 'id' must be text"),
    (lambda t: t.replace('"id": "x-naval"', '"id": {"a": 1}'), "a post's 'id' must be text"),
    (lambda t: t.replace('"generator": ""', '"generator": ' + "[" * 100_000 + "]" * 100_000), "nested too deeply"),
    (lambda t: t.replace('"generator": ""', '"generator": ' + "1" * 5000), "ValueError"),  # past Python's int-digits limit
])
def test_state_values_of_the_wrong_type_are_a_run_file_error(tmp_path, mangle, expected):
    """They raised TypeError or RecursionError, which stopped `status` and `publish --due` for
    every run; now the file is named and left as it is."""
    path = corrupt(tmp_path / "r.md", mangle)
    before = path.read_bytes()
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert str(path) in str(info.value) and expected in str(info.value)
    assert path.read_bytes() == before


def test_a_yaml_state_block_with_an_impossible_date_is_a_run_file_error(tmp_path):
    path = tmp_path / "r.md"
    text = runfile.render(make_run())
    state, rest = text[4:].split("\n---\n", 1)
    import json
    import yaml

    data = json.loads(state)
    yaml_state = yaml.safe_dump(data, allow_unicode=True).replace("created: '2026-11-24T05:00:00Z'", "created: 2026-02-30")
    assert "2026-02-30" in yaml_state
    path.write_text(f"---\n{yaml_state}---\n{rest}", encoding="utf-8")
    with pytest.raises(runfile.RunFileError, match="state block cannot be read"):
        runfile.load(path)


def test_status_lists_a_broken_run_and_goes_on(cli, isolated):
    runs = isolated / "runs"
    runs.mkdir()
    good = make_run()
    runfile.save(runs / "2026-11-24-abcdefghijk.md", good)
    broken = runs / "2026-11-25-broken00000.md"
    broken.write_text(runfile.render(good).replace('"id": "x-naval"', '"id": ["x"]'), encoding="utf-8")
    result = cli("status", "--json")
    import json

    data = {Path(entry["file"]).name: entry for entry in json.loads(result.output)}
    assert "a post's 'id' must be text" in data[broken.name]["error"]
    assert [p["id"] for p in data["2026-11-24-abcdefghijk.md"]["posts"]] == [p.id for p in good.posts]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_state_values_parse_or_fail_cleanly(data):
    """Any JSON value at any key of the state block (top level, video, a post): the run parses
    or the error is a RunFileError, never anything else."""
    import json

    text = runfile.render(make_run())
    state_text, rest = text[4:].split("\n---\n", 1)
    state = json.loads(state_text)
    target = data.draw(st.sampled_from(["top", "video", "post"]))
    holder = {"top": state, "video": state["video"], "post": state["posts"][data.draw(st.integers(0, 2))]}[target]
    key = data.draw(st.sampled_from(sorted(holder) + ["id", "has_title", "title", "body", "extra"]))
    holder[key] = data.draw(json_values)
    mutated = "---\n" + json.dumps(state, ensure_ascii=False, indent=1) + "\n---\n" + rest
    try:
        runfile.parse(mutated)
    except runfile.RunFileError:
        pass


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzz_text_edits_parse_or_fail_cleanly(data):
    """Cut, insert or replace anywhere in the file (a person's slip, a bad merge)."""
    text = runfile.render(make_run())
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 40)))
    insert = data.draw(st.one_of(st.text(max_size=20), st.sampled_from(["[", "{", '"', "```", "\n---\n", "<!-- post x-naval -->\n"])))
    try:
        runfile.parse(text[:start] + insert + text[end:])
    except runfile.RunFileError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_any_text_parses_or_fails_cleanly(text):
    for candidate in (text, "---\n" + text, "---\n" + text + "\n---\n"):
        try:
            runfile.parse(candidate)
        except runfile.RunFileError:
            pass


# --------------------------------------------------------------------------- a Reddit title's blank line


@pytest.mark.parametrize("separator", ["\n", "\n  \n", "\n\t\n", "\r\n\r\n"], ids=["removed", "spaces", "tab", "crlf"])
def test_the_blank_line_after_a_title_edited_away_loses_nothing(tmp_path, separator):
    """Deleting the blank line after a Reddit title used to drop the body's first character
    ('Body text' -> 'ody text'); a line of spaces an editor left was refused."""
    path = corrupt(tmp_path / "r.md", lambda t: t.replace("A title\n\nBody with", f"A title{separator}Body with"))
    post = runfile.load(path).post("reddit-aida")
    assert (post.title, post.body) == ("A title", make_run().post("reddit-aida").body)


def test_a_body_that_starts_with_a_blank_line_keeps_it():
    run = make_run()
    run.post("reddit-aida").body = "\nSecond paragraph first"
    assert runfile.parse(runfile.render(run)).post("reddit-aida").body == "\nSecond paragraph first"


# --------------------------------------------------------------------------- temp files of killed writes


def _leftover(directory: Path, name: str, age: float, tag: str = "k1ll3d") -> Path:
    import os
    import time

    tmp = directory / f".{name}.{tag}.tmp"
    tmp.write_text("half a run", encoding="utf-8")
    os.utime(tmp, (time.time() - age, time.time() - age))
    return tmp


def test_stale_temp_files_of_killed_writes_are_cleaned(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    path = runs / "2026-11-24-abcdefghijk.md"
    stale = _leftover(runs, path.name, age=3600)
    fresh = _leftover(runs, path.name, age=0, tag="fr3sh")
    other = _leftover(runs, "2026-11-23-other000000.md", age=3600)
    runfile.save(path, make_run())
    assert not stale.exists()
    assert fresh.exists()  # could be a writer that is still running
    assert other.exists()  # another run's: cleaned when that run is written or the runs are listed
    assert runfile.list_runs(runs) == [path]
    assert not other.exists() and fresh.exists()
    assert sorted(p.name for p in runs.iterdir()) == sorted([path.name, fresh.name])


def test_a_live_writers_temp_file_is_never_removed(tmp_path):
    """A writer holds an exclusive lock on its temp file: however old it looks, it is kept."""
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "2026-11-24-abcdefghijk.md"
    held = _leftover(tmp_path, path.name, age=3600)
    with open(held, "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        runfile.save(path, make_run())
        assert runfile.clean_stale_temp_files(tmp_path) == []
        assert held.exists()
    assert runfile.clean_stale_temp_files(tmp_path) == [held]  # its writer is gone: stale now


def test_a_writer_locks_its_temp_file_while_writing(tmp_path, monkeypatch):
    """What makes it live: while the text is written the temp file cannot be locked by anyone else."""
    fcntl = pytest.importorskip("fcntl")
    seen = []
    real_fsync = runfile.os.fsync

    def fsync(fd):
        for tmp in tmp_path.glob(".*.tmp"):
            with open(tmp, "rb") as fh:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    seen.append("free")
                except BlockingIOError:
                    seen.append("locked")
        real_fsync(fd)

    monkeypatch.setattr(runfile.os, "fsync", fsync)
    runfile.save(tmp_path / "r.md", make_run())
    assert seen and set(seen) == {"locked"}
