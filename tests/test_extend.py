"""`postgen extend`: a platform enabled after a run was made gets its posts, from the run's brief,
with slots, and nothing else in the run changes. And when a pass finds nothing, the hint says why."""

from __future__ import annotations

import types
from datetime import datetime, timezone

import pytest
from generation_fakes import sample_video

from postgen import Connector, Problem, hookimpl
from postgen.models import PostState, utcnow


class Skeet(Connector):
    name, label, limit = "skeet", "SKEET", 300

    def style(self) -> str:
        return "Skeet: plain text."

    def validate(self, post):
        n = len(post.body)
        return [] if n <= self.limit else [Problem(severity="error", code="too_long", message=f"{n} of {self.limit} characters")]


@pytest.fixture
def skeet_installed(monkeypatch):
    """The built-in connectors plus a plugin platform, 'skeet'."""
    from postgen import registry
    from postgen.plugins import get_plugin_manager

    module = types.ModuleType("skeet_plugin")

    @hookimpl
    def postgen_register_connectors(register):
        register(Skeet)

    module.postgen_register_connectors = postgen_register_connectors
    pm = get_plugin_manager()
    pm.register(module, name="skeet")
    registry.reset()
    monkeypatch.setattr("postgen.plugins.get_plugin_manager", lambda: pm)  # make_cli() sees it too


CONFIG = """
[generator]
name = "offline"
[platforms]
enabled = {enabled}
[schedule.slots]
x = ["09:00"]
{skeet_slots}
"""


def configure(work, enabled=("x",), skeet_slots='skeet = ["10:00", "18:00"]'):
    (work / "postgen.toml").write_text(CONFIG.format(enabled=list(enabled), skeet_slots=skeet_slots), encoding="utf-8")


@pytest.fixture
def old_run(isolated, skeet_installed):
    """A run made when only X was enabled, one of its posts published since; then skeet is enabled."""
    from postgen import runfile
    from postgen.config import load_config
    from postgen.models import Publication
    from postgen.pipeline import generate, save_run

    configure(isolated)
    config = load_config()
    run = generate(config, sample_video())
    run.created = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)  # long ago: its slots are in the past
    path = save_run(config, run)
    with runfile.editing(path) as handle:
        post = handle.run.post("x-naval")
        post.state, post.publication = PostState.published, Publication(remote_id="1", url="https://x.com/i/status/1")
    configure(isolated, enabled=("x", "skeet"))
    return path


def state_of(path, prefix):
    from postgen import runfile

    return [p.model_dump() for p in runfile.load(path).posts if p.platform == prefix]


def test_extend_adds_the_new_platforms_posts_and_nothing_else(cli, old_run):
    before = old_run.read_text(encoding="utf-8")
    x_before = state_of(old_run, "x")
    result = cli("extend", "latest", "--platform", "skeet")
    assert result.exit_code == 0, result.output
    assert "added 5 posts" in result.output and "5 ready, 0 failed" in result.output

    from postgen import runfile

    run = runfile.load(old_run)
    assert state_of(old_run, "x") == x_before  # the X posts, published one included, are as they were
    for line in before.split("## X/TWITTER POSTS")[1].split("---")[0].splitlines():
        assert line in old_run.read_text(encoding="utf-8")
    skeet = [p for p in run.posts if p.platform == "skeet"]
    assert [p.framework for p in skeet] == ["hormozi", "garyvee", "naval", "storytelling", "aida"]
    assert all(p.state is PostState.ready and not p.problems for p in skeet)  # no near_duplicate either
    assert len({p.body for p in skeet}) == 5
    slots = [p.scheduled_at for p in skeet]
    assert all(s is not None and s > utcnow() for s in slots)  # from now on, never overdue
    assert len(set(slots)) == 5 and {s.hour for s in slots} <= {10, 18}
    assert "## SKEET POSTS" in old_run.read_text(encoding="utf-8")
    assert any("extended on" in w and "skeet" in w for w in run.warnings)


def test_extend_without_platform_adds_every_enabled_platform_the_run_lacks(cli, old_run):
    result = cli("extend", "latest")
    assert result.exit_code == 0, result.output
    assert "skeet-aida" in result.output
    again = cli("extend", "latest")
    assert again.exit_code == 0 and "nothing to add" in again.output


def test_extend_twice_adds_nothing_and_changes_nothing(cli, old_run):
    assert cli("extend", "latest", "--platform", "skeet").exit_code == 0
    text = old_run.read_text(encoding="utf-8")
    again = cli("extend", "latest", "--platform", "skeet")
    assert again.exit_code == 0
    assert "already has skeet posts" in again.output and "nothing to add" in again.output
    assert old_run.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("platform,message", [
    ("reddit", "platform 'reddit' is not enabled: add it to [platforms] enabled"),
    ("nope", "no connector for platform 'nope'"),
])
def test_extend_refuses_a_platform_it_cannot_use(cli, old_run, platform, message):
    text = old_run.read_text(encoding="utf-8")
    result = cli("extend", "latest", "--platform", platform)
    assert result.exit_code == 2 and message in result.output
    assert old_run.read_text(encoding="utf-8") == text


def test_an_edit_made_while_drafting_is_kept(old_run, monkeypatch):
    """Drafting runs without the lock; the posts are added to the run as it is on disk by then."""
    from postgen import runfile
    from postgen.config import load_config
    from postgen.extend import extend

    edited = []

    def person_edits(post):
        if not edited:
            text = old_run.read_text(encoding="utf-8")
            runfile.write_atomic(old_run, text.replace("Most people are wrong about", "Most folks are wrong about", 1))
            edited.append(True)

    outcome = extend(load_config(), old_run, ["skeet"], on_post=person_edits)
    run = runfile.load(old_run)
    assert run.post("x-hormozi").body.startswith("Most folks are wrong about")
    assert len(outcome.added) == 5 and run.post("skeet-hormozi").state is PostState.ready


def test_a_locked_run_is_not_extended(cli, old_run):
    from postgen import runfile

    text = old_run.read_text(encoding="utf-8")
    with runfile.locked(old_run):
        result = cli("extend", "latest", "--platform", "skeet")
    assert result.exit_code == 2 and "another postgen process" in result.output
    assert old_run.read_text(encoding="utf-8") == text


def test_new_posts_skip_slots_other_runs_hold(cli, old_run, isolated):
    from postgen import runfile

    assert cli("extend", "latest", "--platform", "skeet").exit_code == 0
    first = {p.scheduled_at for p in runfile.load(old_run).posts if p.platform == "skeet"}
    other = isolated / "runs" / "2026-01-06-other.md"
    run = runfile.load(old_run)
    run.id = "2026-01-06-other"
    run.posts = [p for p in run.posts if p.platform == "x"]
    runfile.save(other, run)
    assert cli("extend", "2026-01-06-other", "--platform", "skeet").exit_code == 0
    second = {p.scheduled_at for p in runfile.load(other).posts if p.platform == "skeet"}
    assert len(second) == 5 and not first & second


# --- when a pass has nothing to do, say why ---------------------------------------------------


def test_dry_run_for_a_platform_not_enabled_says_how_to_enable_it(cli, old_run, isolated):
    configure(isolated, enabled=("x",))
    result = cli("publish", "latest", "--dry-run", "--platform", "skeet")
    assert result.exit_code == 0
    assert "nothing to publish" in result.output
    assert "hint: platform skeet is not enabled: add it to [platforms] enabled in" in result.output
    assert f"{old_run.stem} has no skeet posts" in result.output
    assert f"postgen extend {old_run.stem} --platform skeet" in result.output


def test_due_pass_on_a_platform_without_slots_says_to_add_them(cli, old_run, isolated):
    configure(isolated, enabled=("x", "skeet"), skeet_slots="")
    assert cli("extend", "latest", "--platform", "skeet").exit_code == 0  # saved with no slots
    result = cli("publish", "latest", "--due", "--dry-run", "--platform", "skeet")
    assert result.exit_code == 0
    assert 'hint: skeet has no slots, so none of its posts is ever due: add [schedule.slots] skeet = ["09:00"]' in result.output
    assert "hint: 5 skeet posts have no slot" in result.output


def test_no_hint_when_there_is_something_to_do(cli, old_run):
    result = cli("publish", "latest", "--dry-run", "--platform", "x")
    assert "hint:" not in result.output and "would publish" in result.output
