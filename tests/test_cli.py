"""The command line as a new user meets it: help, versions, exit codes, start-up weight."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = {"tweepy", "praw", "prawcore", "openai", "requests", "youtube_transcript_api", "httpx", "httpx2"}


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("import", "plugins", "show", "status"):
        assert f"  {command}" in result.output


def test_help_does_not_import_heavy_clients():
    code = (
        "import sys\n"
        "sys.argv = ['postgen', '--help']\n"
        "from postgen.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "import json\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(HEAVY)!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []


def test_plugins_json_lists_builtins(cli):
    data = json.loads(cli("plugins", "--json").output)
    by_name = {row["name"]: row for row in data}
    assert by_name["postgen.frameworks"]["frameworks"] == ["hormozi", "garyvee", "naval", "storytelling", "aida"]
    assert all("version" in row and "hooks" in row for row in data)


def test_status_with_no_runs(cli):
    result = cli("status")
    assert result.exit_code == 0
    assert "no runs" in result.output


def test_show_unknown_run_exits_2(cli):
    result = cli("show", "nope")
    assert result.exit_code == 2
    assert "no such run" in result.output


def test_status_reports_a_corrupt_run_without_touching_it(cli, tmp_path):
    from pathlib import Path

    runs = Path("runs")
    runs.mkdir()
    bad = runs / "2026-01-01-aaaaaaaaaaa.md"
    bad.write_text("---\npostgen: 1\nid: [\n", encoding="utf-8")
    before = bad.read_bytes()
    result = cli("status")
    assert result.exit_code == 2
    assert "UNREADABLE" in result.output and "never closed" in result.output
    assert bad.read_bytes() == before


def test_status_shows_deferred_posts(cli):
    from datetime import datetime, timezone
    from pathlib import Path

    from postgen import runfile
    from postgen.models import Post, PostState, Run, Video

    until = datetime(2026, 11, 24, 9, 15, tzinfo=timezone.utc)
    run = Run(
        id="2026-11-24-aaaaaaaaaaa",
        video=Video(id="aaaaaaaaaaa", url="https://youtu.be/aaaaaaaaaaa", title="T"),
        posts=[Post(id="x-naval", platform="x", framework="naval", body="b", state=PostState.ready,
                    deferred_until=until, last_error="rate limited")],
    )
    runfile.save(Path("runs") / f"{run.id}.md", run)
    result = cli("status")
    assert "deferred until 2026-11-24 09:15 UTC: rate limited" in result.output
    import json

    data = json.loads(cli("status", "--json").output)
    assert data[0]["posts"][0]["deferred_until"] == until.isoformat()


def test_status_reports_an_unreadable_entry_instead_of_crashing(cli):
    """A folder named like a run file gave a traceback from `status`."""
    from pathlib import Path

    Path("runs/odd.md").mkdir(parents=True)
    result = cli("status")
    assert result.exit_code == 2
    assert "odd.md: UNREADABLE" in result.output and "cannot read it" in result.output


def test_status_json_is_one_post_to_a_line_and_the_same_data():
    from postgen.commands.core import _json_by_post

    runs = [{"file": "runs/a.md", "id": "a", "video": "Ünïcode", "posts": [{"id": "x-naval", "state": "ready"},
                                                                          {"id": "x-aida", "state": "failed"}]},
            {"file": "runs/b.md", "id": "b", "video": "no posts", "posts": []},
            {"file": "runs/c.md", "error": "not a run file"}]
    text = _json_by_post(runs)
    assert json.loads(text) == runs
    assert '    {"id": "x-naval", "state": "ready"},\n    {"id": "x-aida", "state": "failed"}\n' in text
    assert "Ünïcode" in text
    assert json.loads(_json_by_post([])) == []
