"""`postgen import`: files in the old seed layout (no state block, maybe mojibake) become run files."""

from __future__ import annotations

from pathlib import Path

import pytest

from postgen import runfile
from postgen.importer import import_seed

DATA = Path(__file__).parent / "data"
# The shared seed sits beside the checkout: two levels up in /work/main, three in a worktree.
SEED = next((p / "shared" / "seeds" / "000_aaa8fd129aec6607.txt" for p in Path(__file__).resolve().parents
             if (p / "shared" / "seeds" / "000_aaa8fd129aec6607.txt").exists()), Path("no-seed"))


def mojibake(text: str) -> bytes:
    """What the old system did: UTF-8 bytes read as cp1252, then saved again as UTF-8."""
    return text.encode("utf-8").decode("cp1252").encode("utf-8")


@pytest.fixture
def legacy(tmp_path) -> Path:
    path = tmp_path / "legacy.txt"
    path.write_bytes(mojibake((DATA / "legacy_run.md").read_text(encoding="utf-8")))
    assert "ðŸ”¥".encode() in path.read_bytes()
    return path


def test_import_repairs_mojibake_and_reads_the_layout(legacy):
    report = import_seed(legacy)
    run = report.run
    assert report.mojibake_lines > 0
    assert any("mojibake" in note for note in report.notes)
    assert run.id == "2026-03-14-Zx9-bread01"
    assert run.video.title == "Why sourdough needs time"
    assert run.video.channel == "The Bread Lab"
    assert [p.id for p in run.posts] == ["linkedin-hormozi", "linkedin-naval", "x-aida", "reddit-storytelling"]
    assert "→ not the oven" in run.post("linkedin-hormozi").body
    assert "👇" in run.post("linkedin-hormozi").body
    reddit = run.post("reddit-storytelling")
    assert reddit.title == "I baked 40 flat loaves before I learned this one thing"
    assert reddit.body.startswith("My first loaves")
    assert run.post("x-aida").link == "https://www.youtube.com/watch?v=Zx9-bread01"


def test_import_command_writes_a_run_file(legacy, cli):
    result = cli("import", str(legacy))
    assert result.exit_code == 0, result.output
    assert "repaired mojibake" in result.output
    path = Path("runs/2026-03-14-Zx9-bread01.md")
    run = runfile.load(path)
    assert len(run.posts) == 4
    assert "🔥 HORMOZI FRAMEWORK" in path.read_text(encoding="utf-8")
    # importing twice does not silently replace the first import
    again = cli("import", str(legacy))
    assert again.exit_code != 0 and "already exists" in again.output
    assert runfile.load(path) == run


def test_import_of_a_truncated_file_is_refused(tmp_path, cli):
    text = (DATA / "legacy_run.md").read_text(encoding="utf-8")
    path = tmp_path / "cut.txt"
    path.write_text(text[: text.index("Patience") + 5], encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 2
    assert "never closed" in result.output and str(path) in result.output
    assert not Path("runs").exists()


@pytest.mark.skipif(not SEED.exists(), reason="the shared seed is not beside this checkout")
def test_import_of_the_real_seed(cli):
    result = cli("import", str(SEED))
    assert result.exit_code == 0, result.output
    run = runfile.load(Path("runs/2026-02-01-IHZwWFHWa-w.md"))
    assert len(run.posts) == 15
    assert run.post("linkedin-hormozi").body.startswith('I finally understand how AI "learns."')
    assert "ðŸ" not in Path("runs/2026-02-01-IHZwWFHWa-w.md").read_text(encoding="utf-8")


LAYOUT = """# Autonomous Run - 2026-03-14
**Video Selected:** T | C
**URL:** https://www.youtube.com/watch?v=Zx9-bread01

## LINKEDIN POSTS

### 🔥 HORMOZI FRAMEWORK
{hormozi}

### 🧠 NAVAL FRAMEWORK
~~~
Tilde fences are fences too.
~~~
"""


def test_a_post_without_fences_is_refused_not_dropped(tmp_path, cli):
    """A heading whose text is not fenced used to be skipped: the run imported with a post missing."""
    path = tmp_path / "old.md"
    path.write_text(LAYOUT.format(hormozi="Plain text, no fences."), encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}:7" in result.output and "no fenced text" in result.output
    assert not Path("runs").exists()


def test_tilde_fenced_posts_are_imported(tmp_path):
    path = tmp_path / "old.md"
    path.write_text(LAYOUT.format(hormozi="```\nBacktick fenced.\n```"), encoding="utf-8")
    run = import_seed(path).run
    assert [p.id for p in run.posts] == ["linkedin-hormozi", "linkedin-naval"]
    assert run.post("linkedin-naval").body == "Tilde fences are fences too."


def test_a_second_fenced_block_under_one_heading_is_refused(tmp_path):
    path = tmp_path / "old.md"
    path.write_text(LAYOUT.format(hormozi="```\nOne.\n```\n```\nTwo: would be dropped.\n```"), encoding="utf-8")
    with pytest.raises(runfile.RunFileError, match="no framework heading") as info:
        import_seed(path)
    assert info.value.line == 11


def test_import_over_an_existing_run_is_an_input_error(legacy, cli):
    assert cli("import", str(legacy)).exit_code == 0
    again = cli("import", str(legacy))
    assert again.exit_code == 2 and "already exists" in again.output


def test_force_never_forgets_posts_already_sent(legacy, cli):
    """--force replaced the run wholesale: a published post came back 'ready' and would be posted twice."""
    from postgen.models import PostState, Publication

    assert cli("import", str(legacy)).exit_code == 0
    path = Path("runs/2026-03-14-Zx9-bread01.md")
    with runfile.editing(path) as handle:
        post = handle.run.post("x-aida")
        post.state, post.publication = PostState.published, Publication(remote_id="1", url="https://x.com/i/status/1")
    before = path.read_bytes()
    result = cli("import", "--force", str(legacy))
    assert result.exit_code == 2 and "x-aida" in result.output and "twice" in result.output
    assert path.read_bytes() == before
    path.write_text(before.decode("utf-8")[:200], encoding="utf-8")  # unreadable: may hold publications too
    corrupt = path.read_bytes()
    result = cli("import", "--force", str(legacy))
    assert result.exit_code == 2 and "move it out" in result.output
    assert path.read_bytes() == corrupt


def test_force_replaces_a_run_with_nothing_sent(legacy, cli):
    assert cli("import", str(legacy)).exit_code == 0
    path = Path("runs/2026-03-14-Zx9-bread01.md")
    path.write_text(path.read_text(encoding="utf-8").replace("not the oven", "EDITED"), encoding="utf-8")
    result = cli("import", "--force", str(legacy))
    assert result.exit_code == 0, result.output
    assert "not the oven" in runfile.load(path).post("linkedin-hormozi").body


def test_a_file_with_no_recognisable_posts_is_refused(tmp_path, cli):
    """'## LinkedIn' (no 'POSTS') made every post vanish: '0 posts imported', exit 0."""
    path = tmp_path / "old.md"
    path.write_text(LAYOUT.format(hormozi="```\nHello.\n```").replace("## LINKEDIN POSTS", "## LinkedIn"), encoding="utf-8")
    result = cli("import", str(path))
    assert result.exit_code == 2 and "no posts found" in result.output
    assert not Path("runs").exists()


def test_a_minor_heading_between_a_framework_heading_and_its_post_is_fine(tmp_path):
    path = tmp_path / "old.md"
    path.write_text(LAYOUT.format(hormozi="#### Variant A\n```\nThe post.\n```"), encoding="utf-8")
    assert import_seed(path).run.post("linkedin-hormozi").body == "The post."
