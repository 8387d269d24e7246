"""Run-file behaviour that mutation testing (bench/mutation.py) found unchecked: what the errors
say about files that cannot be read, how a run reference is resolved and which files count as
runs, how the generator's own text, non-ASCII values and a title's trailing spaces are stored,
that a write failure names the run file, and that reading and writing still work without libyaml
or flock."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from postgen import runfile
from postgen.models import Post, PostState, Run, Video


def _run(video_id: str = "abcdefghijk", **kw) -> Run:
    return Run(id=f"2026-11-24-{video_id}", created=datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc),
               video=Video(id=video_id, url=f"https://youtu.be/{video_id}", title="A talk", channel="Chan"),
               posts=[Post(id="x-naval", platform="x", framework="naval", body="Short.", state=PostState.ready)], **kw)


def test_a_folder_named_like_a_run_file_says_what_is_wrong(tmp_path):
    folder = tmp_path / "2026-11-24-abcdefghijk.md"
    folder.mkdir()
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(folder)
    assert str(info.value) == f"{folder}: cannot read it: Is a directory"


def test_a_byte_that_is_not_utf8_is_reported_at_its_line(tmp_path):
    path = tmp_path / "r.md"
    runfile.save(path, _run())
    data = path.read_bytes()
    line = data[: data.index(b"Short.")].count(b"\n") + 1
    path.write_bytes(data.replace(b"Short.", b"Sh\xffort."))
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert info.value.line == line and str(info.value).startswith(f"{path}:{line}: not UTF-8 text")


def test_a_reference_several_runs_match_names_them(tmp_path):
    for video_id in ("talk0000001", "talk0000002"):
        run = _run(video_id)
        runfile.save(runfile.path_for(tmp_path, run), run)
    with pytest.raises(runfile.RunFileError) as info:
        runfile.resolve(tmp_path, "talk")
    assert str(info.value) == (f"{tmp_path}: no such run 'talk' (runs that contain it: 2026-11-24-talk0000001, "
                               "2026-11-24-talk0000002; give the id from its start). 'postgen status' lists runs.")


def _saved(tmp_path, run: Run | None = None):
    path = tmp_path / "r.md"
    runfile.save(path, run or _two())
    return path, path.read_text(encoding="utf-8")


def _two() -> Run:
    run = _run()
    run.posts.append(Post(id="linkedin-aida", platform="linkedin", framework="aida", body="Second."))
    return run


def _line_of(text: str, needle: str, after: int = 0) -> int:
    return text[: text.index(needle, after)].count("\n") + 1


def test_a_marker_typed_twice_names_both_lines(tmp_path):
    path, text = _saved(tmp_path)
    doubled = text + "\n<!-- post x-naval -->\n```\nagain\n```\n"
    path.write_text(doubled, encoding="utf-8")
    first = _line_of(doubled, "<!-- post x-naval -->")
    second = _line_of(doubled, "<!-- post x-naval -->", doubled.index("<!-- post x-naval -->") + 1)
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert info.value.line == second
    assert f"post x-naval appears twice (also at line {first})" in str(info.value)


def test_a_marker_without_its_fence_points_at_the_line_after_it(tmp_path):
    path, text = _saved(tmp_path)
    path.write_text(text.replace("<!-- post x-naval -->\n```\n", "<!-- post x-naval -->\nShort\n```\n"), encoding="utf-8")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert info.value.line == _line_of(text, "<!-- post x-naval -->") + 1
    assert "expected its text in a ``` fenced block" in str(info.value)


def test_an_early_fence_names_the_line_of_the_fence_that_follows(tmp_path):
    path, text = _saved(tmp_path)
    edited = text.replace("Short.", "Short.\n```\nprint(1)")
    path.write_text(edited, encoding="utf-8")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    early = _line_of(edited, "Short.") + 1
    assert info.value.line == early
    assert f"another ``` follows at line {early + 2}" in str(info.value)


def test_status_lines_and_headings_a_person_deleted_are_not_needed(tmp_path):
    run = _two()
    path, text = _saved(tmp_path, run)
    state, body = text.split("\n---\n", 1)
    posts = [line for line in body.split("\n") if not line.startswith(("_", "#", "**", "-", "---")) and line.strip()]
    path.write_text(state + "\n---\n" + "\n".join(posts) + "\n", encoding="utf-8")
    assert body.split("\n")[0] != posts[0] and posts[0].startswith("<!-- post ")
    assert runfile.load(path) == run


def test_a_new_file_gets_the_processs_umask_read_when_first_needed(tmp_path, monkeypatch):
    import os
    import stat
    import sys

    if sys.platform == "win32":
        pytest.skip("POSIX file modes")
    monkeypatch.setattr(runfile, "_UMASK", None)
    old = os.umask(0o027)
    try:
        runfile.save(tmp_path / "r.md", _run())
        assert os.umask(0o027) == 0o027  # reading it put it back
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.md").stat().st_mode) == 0o640


# --------------------------------------------------------------------------- the page a person reads


LAYOUT = """# Autonomous Run - 2026-11-24
**Video Selected:** A talk on two lines | Chan  
**URL:** https://youtu.be/abcdefghijk  
**Generated:** 2026-11-24 by openai (gpt-x)  

---

## X/TWITTER POSTS

### 🧠 NAVAL FRAMEWORK
<!-- post x-naval -->
````
Code: ```x```
````
_published · scheduled Wed 2026-11-25 09:00 UTC · https://x.com/i/web/status/1 · warning: a\\_b c_

---

## REDDIT POSTS

### 🎯 AIDA FRAMEWORK
<!-- post reddit-aida -->
```
T

B
```
_failed_

---

## LINKEDIN POSTS

### 🎯 AIDA FRAMEWORK
<!-- post linkedin-aida -->
```
L
```
_ready_

---

## METADATA
- **Video:** A talk on two lines | Chan
- **Video ID:** abcdefghijk
- **Frameworks:** 2 (naval, aida)
- **Platforms:** 3 (x, reddit, linkedin)
- **Total Posts:** 3
- **Ready to publish:** 2 of 3 (failed: reddit-aida)
- **Generator:** openai (gpt-x), prompt version 7
- **Warning:** watch this
"""


def _full_run() -> Run:
    from postgen.models import Problem, Publication

    return Run(id="2026-11-24-abcdefghijk", created=datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc),
               video=Video(id="abcdefghijk", url="https://youtu.be/abcdefghijk", title="A talk\non two lines", channel="Chan"),
               generator="openai", model="gpt-x", prompt_version="7", warnings=["watch\nthis"],
               posts=[Post(id="x-naval", platform="x", framework="naval", body="Code: ```x```", state=PostState.published,
                           scheduled_at=datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc),
                           publication=Publication(remote_id="1", url="https://x.com/i/web/status/1"),
                           problems=[Problem(severity="warning", code="c", message="a_b\nc")]),
                      Post(id="reddit-aida", platform="reddit", framework="aida", title="T", body="B", state=PostState.failed),
                      Post(id="linkedin-aida", platform="linkedin", framework="aida", body="L", state=PostState.ready)])


def test_the_page_a_person_reviews_is_laid_out_as_the_seed():
    run = _full_run()
    text = runfile.render(run)
    assert text.split("\n---\n", 1)[1] == LAYOUT
    assert runfile.parse(text) == run


def test_a_run_without_a_model_or_prompt_version_says_so_plainly():
    run = _full_run()
    run.model, run.prompt_version = None, None
    run.posts[1].state = PostState.ready
    text = runfile.render(run)
    assert "**Generated:** 2026-11-24 by openai  \n" in text
    assert "- **Generator:** openai, prompt version -\n" in text
    assert "- **Ready to publish:** 3 of 3\n" in text


def test_the_state_block_holds_no_defaults():
    import json

    run = _run()
    state = json.loads(runfile.render(run)[4:].split("\n---\n", 1)[0])
    assert state["posts"] == [{"id": "x-naval", "platform": "x", "framework": "naval", "state": "ready"}]


def test_a_plugin_platform_is_headed_by_its_label_or_its_name():
    from generation_fakes import install

    from postgen import Connector

    class Skeet(Connector):
        name, label = "skeet", "BLUESKY"

    class Plain(Connector):
        name, label = "plain", ""

    install(Skeet, Plain)
    run = _run()
    run.posts = [Post(id="skeet-naval", platform="skeet", framework="naval", body="a"),
                 Post(id="plain-naval", platform="plain", framework="naval", body="b"),
                 Post(id="other-naval", platform="other", framework="naval", body="c")]
    text = runfile.render(run)
    assert "## BLUESKY POSTS" in text and "## PLAIN POSTS" in text and "## OTHER POSTS" in text


# --------------------------------------------------------------------------- what a broken state block says


def _state_swapped(tmp_path, fn):
    import json

    text = runfile.render(_run())
    state, rest = text[4:].split("\n---\n", 1)
    data = fn(json.loads(state))
    path = tmp_path / "r.md"
    path.write_text("---\n" + json.dumps(data, indent=1) + "\n---\n" + rest, encoding="utf-8")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert str(info.value).startswith(f"{path}:")
    return info.value


def _without(data, key):
    data.pop(key)
    return data


@pytest.mark.parametrize("fn,line,says", [
    (lambda d: _without(d, "postgen"), 2, "state block is not a postgen run (no 'postgen:' version key)"),
    (lambda d: {**d, "postgen": 2}, 2, "run file format is not version 1; upgrade postgen"),
    (lambda d: {**d, "posts": {"x-naval": {}}}, 2, "state block: 'posts' must be a list"),
    (lambda d: {**d, "posts": [{"platform": "x"}]}, 2, "state block: every post needs an 'id'"),
    (lambda d: {**d, "posts": [{**d["posts"][0], "state": "sent"}]}, 2, "state block: 'posts.0.state': "),
    (lambda d: {**d, "posts": []}, None, "post text with no entry in the state block: x-naval (line "),
    (lambda d: {**d, "created": "tuesday"}, 2, "state block: 'created': "),
])
def test_a_broken_state_block_names_the_file_the_line_and_the_key(tmp_path, fn, line, says):
    error = _state_swapped(tmp_path, fn)
    assert error.line == line and says in str(error)


def test_text_with_no_file_is_named_as_a_run():
    with pytest.raises(runfile.RunFileError) as info:
        runfile.parse("no state block here")
    assert str(info.value).startswith("<run>:1: no state block")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.parse(runfile.render(_run()).replace('"generator": ""', '"generator": ' + "1" * 5000))
    assert info.value.line == 2 and "(ValueError: Exceeds the limit" in str(info.value)
    assert str(info.value).endswith("fix it by hand or restore it from git (git log -p FILE)")


# --------------------------------------------------------------------------- what the state block stores


def test_the_generators_own_text_is_stored_packed_and_comes_back():
    import json

    run = _run()
    run.posts[0].generated = "The generator's first draft, with ünïcode 🔥."
    text = runfile.render(run)
    state = json.loads(text[4:].split("\n---\n", 1)[0])
    assert "generated" not in state["posts"][0] and "draft" not in text  # a search in the file meets only live text
    assert runfile._unpack(state["posts"][0]["generated_z"]) == run.posts[0].generated
    assert runfile.parse(text).posts[0].generated == run.posts[0].generated


def test_the_state_block_keeps_non_ascii_text_readable():
    run = _run(warnings=["Café 🔥 ready"])
    state = runfile.render(run).split("\n---\n", 1)[0]
    assert '"Café 🔥 ready"' in state


def test_a_post_id_that_is_not_text_is_quoted_short_at_line_2(tmp_path):
    error = _state_swapped(tmp_path, lambda d: {**d, "posts": [{**d["posts"][0], "id": list(range(30))}]})
    assert error.line == 2
    assert str(error).endswith("state block: a post's 'id' must be text, not "
                               "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1")


def test_a_state_block_that_is_neither_json_nor_yaml_names_the_line_of_the_json_error(tmp_path):
    path, text = _saved(tmp_path)
    path.write_text(text.replace('"postgen": 1,', '"postgen": 1,,'), encoding="utf-8")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert info.value.line == 3  # the state block's second line is the file's third
    assert str(info.value) == (f"{path}:3: state block is not valid JSON: "
                               "Expecting property name enclosed in double quotes (column 15)")


def test_a_yaml_state_block_reads_without_libyaml(monkeypatch):
    import json

    import yaml

    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)  # PyYAML built without its C extension
    run = _run()
    _, state, rest = runfile.render(run).split("---\n", 2)
    yaml_state = yaml.safe_dump(json.loads(state), allow_unicode=True, sort_keys=False)
    assert runfile.parse(f"---\n{yaml_state}---\n{rest}") == run


# --------------------------------------------------------------------------- files


def test_a_write_the_system_refuses_names_the_run_file(tmp_path, monkeypatch):
    import errno

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runfile.os, "replace", full)
    path = tmp_path / "r.md"
    with pytest.raises(runfile.NotWritten) as info:
        runfile.save(path, _run())
    assert info.value.filename == str(path)
    assert info.value.errno == errno.ENOSPC and info.value.strerror == "No space left on device"


def test_without_flock_writes_work_and_stale_temp_files_are_still_cleaned(tmp_path, monkeypatch):
    import os
    import sys
    import time

    monkeypatch.setitem(sys.modules, "fcntl", None)  # as on Windows: `import fcntl` fails
    path = tmp_path / "2026-11-24-abcdefghijk.md"
    stale = tmp_path / f".{path.name}.k1ll3d.tmp"
    stale.write_text("half a run", encoding="utf-8")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    runfile.save(path, _run())
    assert runfile.load(path) == _run()
    assert not stale.exists()


def test_readme_and_hidden_markdown_files_are_not_runs(tmp_path):
    for name in ("README.md", ".draft.md", "2026-11-24-abcdefghijk.md", "notes.md"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    assert [p.name for p in runfile.list_runs(tmp_path)] == ["2026-11-24-abcdefghijk.md", "notes.md"]


# --------------------------------------------------------------------------- resolving a reference


def test_a_run_is_found_by_its_file_name(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    monkeypatch.chdir(tmp_path)  # the name is no path from here: only the runs folder has it
    (runs / "2026-11-24-abcdefghijk.md").write_text("x", encoding="utf-8")
    assert runfile.resolve(runs, "2026-11-24-abcdefghijk.md") == runs / "2026-11-24-abcdefghijk.md"


def test_many_runs_a_reference_starts_are_named_ten_and_counted(tmp_path):
    for n in range(12):
        (tmp_path / f"2026-11-{n + 10:02d}-talk.md").write_text("x", encoding="utf-8")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.resolve(tmp_path, "2026-11")
    names = ", ".join(f"2026-11-{n + 10:02d}-talk" for n in range(10))
    assert str(info.value) == f"{tmp_path}: several runs match '2026-11': {names} and 2 more; give more of the id"


def test_a_reference_nothing_matches_says_so_without_a_hint(tmp_path):
    (tmp_path / "2026-11-24-abcdefghijk.md").write_text("x", encoding="utf-8")
    with pytest.raises(runfile.RunFileError) as info:
        runfile.resolve(tmp_path, "nope")
    assert str(info.value) == f"{tmp_path}: no such run 'nope'. 'postgen status' lists runs."


# --------------------------------------------------------------------------- held-out sample (seed 12)


def test_a_run_file_that_is_not_there_is_named_and_said_missing(tmp_path):
    path = tmp_path / "2026-11-24-abcdefghijk.md"
    with pytest.raises(runfile.RunFileError) as info:
        runfile.load(path)
    assert info.value.path == path and info.value.line is None
    assert str(info.value) == f"{path}: no such run file"


def test_a_state_block_nested_too_deeply_points_at_line_2():
    text = runfile.render(_run()).replace('"generator": ""', '"generator": ' + "[" * 100_000 + "]" * 100_000)
    with pytest.raises(runfile.RunFileError) as info:
        runfile.parse(text, "r.md")
    assert info.value.line == 2
    assert str(info.value) == "r.md:2: state block is nested too deeply to read; restore it from git (git log -p FILE)"


def test_a_title_keeps_its_trailing_spaces_and_tabs():
    run = _run()
    run.posts.append(Post(id="reddit-aida", platform="reddit", framework="aida", title="A title \t", body="Body."))
    post = runfile.parse(runfile.render(run)).post("reddit-aida")
    assert (post.title, post.body) == ("A title \t", "Body.")


def test_a_folder_given_as_the_reference_says_to_name_a_run(tmp_path):
    folder = tmp_path / "some-folder"
    folder.mkdir()
    with pytest.raises(runfile.RunFileError) as info:
        runfile.resolve(tmp_path, str(folder))
    assert str(info.value) == f"{folder}: is a folder, not a run file; name a run (its id or file), or 'latest'"


def test_a_reference_too_long_to_be_a_path_is_looked_up_as_a_run(tmp_path):
    (tmp_path / "2026-11-24-abcdefghijk.md").write_text("x", encoding="utf-8")
    ref = "x" * 5000  # the system refuses it as a file name (ENAMETOOLONG)
    with pytest.raises(runfile.RunFileError) as info:
        runfile.resolve(tmp_path, ref)
    assert str(info.value) == f"{tmp_path}: no such run {ref!r}. 'postgen status' lists runs."
