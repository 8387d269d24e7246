"""`postgen show`: a person's view of a run (state, slot, length against the limit, problems,
text), never the state block; `--raw` is the file itself."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from postgen import runfile
from postgen.models import Post, PostState, Problem, Publication, Run, Video

RUN_ID = "2026-11-24-abcdefghijk"


def save_run() -> Path:
    video = Video(id="abcdefghijk", url="https://www.youtube.com/watch?v=abcdefghijk", title="A talk", channel="Chan")
    slot = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)
    posts = [
        Post(id="linkedin-hormozi", platform="linkedin", framework="hormozi", body="Hello (world) [bold]not markup[/bold]",
             state=PostState.ready, scheduled_at=slot, approved=True),
        Post(id="x-naval", platform="x", framework="naval", body="word " * 70, state=PostState.failed,
             problems=[Problem(severity="error", code="too_long", message="stale message from generation")]),
        Post(id="reddit-aida", platform="reddit", framework="aida", title="A title", body="Body \x1b[2Jtext \u202eright-to-left",
             state=PostState.published, publication=Publication(remote_id="t3_1", url="https://reddit.com/r/test/1")),
    ]
    run = Run(id=RUN_ID, created=datetime(2026, 11, 24, 5, 0, tzinfo=timezone.utc), video=video, posts=posts,
              generator="offline")
    path = Path("runs") / f"{RUN_ID}.md"
    runfile.save(path, run)
    return path


def sections(output: str) -> dict[str, str]:
    """The output cut into one chunk per post (from its id to the next post's)."""
    ids = ["linkedin-hormozi", "x-naval", "reddit-aida"]
    starts = [output.index(i) for i in ids]
    return {i: output[s:e] for i, s, e in zip(ids, starts, starts[1:] + [len(output)])}


def test_show_is_a_view_per_platform_and_post_without_the_state_block(cli):
    path = save_run()
    result = cli("show", RUN_ID)
    assert result.exit_code == 0, result.output
    out = result.output
    assert '"postgen": 1' not in out and not out.startswith("---")
    assert out.index("LINKEDIN") < out.index("X/TWITTER") < out.index("REDDIT")
    post = sections(out)
    assert "ready (approved)" in post["linkedin-hormozi"] and "Wed 2026-11-25 09:00 UTC" in post["linkedin-hormozi"]
    assert "Hello (world)" in post["linkedin-hormozi"]
    # LinkedIn counts the backslashes its reserved characters are sent with: 37 typed, 43 sent
    assert "43/3,000 characters" in post["linkedin-hormozi"]
    assert "failed" in post["x-naval"] and "349/280 characters" in post["x-naval"]
    # problems are checked again on the text as it is, not the message stored at generation
    assert "error: 349 of 280 weighted characters" in post["x-naval"] and "stale message" not in out
    assert "published" in post["reddit-aida"] and "https://reddit.com/r/test/1" in post["reddit-aida"]
    assert "A title" in post["reddit-aida"]
    assert str(path) in out


def test_post_text_is_shown_as_typed_never_as_markup_or_terminal_codes(cli):
    save_run()
    out = cli("show", "latest").output
    assert "[bold]not markup[/bold]" in out  # rich markup in a post stays text
    assert "\x1b" not in out and "\\u001b[2J" in out  # an escape sequence cannot repaint the terminal
    assert "\u202e" not in out and "\\u202eright-to-left" in out  # nor an override reorder what you read


def test_show_sees_a_hand_edit(cli):
    path = save_run()
    path.write_text(path.read_text(encoding="utf-8").replace("word " * 69 + "word ", "Now short enough."), encoding="utf-8")
    post = sections(cli("show", RUN_ID).output)["x-naval"]
    assert "Now short enough." in post and "17/280 characters" in post and "error:" not in post


def test_raw_prints_the_file_itself(cli):
    path = save_run()
    path.write_text(path.read_text(encoding="utf-8").replace("\x1b", ""), encoding="utf-8")  # click strips escapes off a tty
    result = cli("show", RUN_ID, "--raw")
    assert result.exit_code == 0
    assert result.output == path.read_text(encoding="utf-8")


def test_show_refuses_a_corrupt_file(cli):
    path = save_run()
    path.write_text(path.read_text(encoding="utf-8")[:300], encoding="utf-8")
    result = cli("show", RUN_ID)
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_show_keeps_why_the_generator_failed_a_post(cli):
    """A post the generator could not write has no text to check: the generator's own message is
    what tells a person why, so it is kept (every other stored problem is checked afresh)."""
    path = save_run()
    run = runfile.load(path)
    failed = run.post("x-naval")
    failed.body = ""
    failed.problems = [Problem(severity="error", code="generator", message="x-naval: the model refused: not today")]
    runfile.save(path, run)
    out = sections(cli("show", RUN_ID).output)["x-naval"]
    assert "the model refused: not today" in out
