"""An external plugin, as a user meets it: found through its entry point with no change to postgen,
listed by `postgen plugins`, traced by POSTGEN_TRACE_PLUGINS, and previewing its posts in a dry run.

The example package is "installed" without pip: a fake dist-info (METADATA + entry_points.txt) and
its src folder on sys.path are all importlib.metadata needs.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pluggy
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "postgen-mastodon"
EXAMPLE_VERSION = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def fake_install(site: Path, name: str, version: str, entry_points: str) -> None:
    dist = site / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(entry_points, encoding="utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A site-packages folder on sys.path that plugins can be fake-installed into."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture
def mastodon_installed(site, monkeypatch):
    """postgen-mastodon as pip would leave it, minus pip. External plugins load (no POSTGEN_LOAD_PLUGINS)."""
    monkeypatch.syspath_prepend(str(EXAMPLE / "src"))
    fake_install(site, "postgen-mastodon", EXAMPLE_VERSION, "[postgen]\nmastodon = postgen_mastodon\n")
    monkeypatch.delenv("POSTGEN_LOAD_PLUGINS", raising=False)
    importlib.invalidate_caches()
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    return site


def plugins_json(cli) -> dict[str, dict]:
    result = cli("plugins", "--json")
    assert result.exit_code == 0, result.output
    return {row["name"]: row for row in json.loads(result.output)}


# --- postgen plugins ---------------------------------------------------------------------------


def test_installed_example_is_listed_with_hooks_and_version(cli, mastodon_installed):
    row = plugins_json(cli)["mastodon"]
    assert row == {
        "name": "mastodon",
        "package": "postgen-mastodon",
        "version": EXAMPLE_VERSION,
        "hooks": ["postgen_register_connectors"],
        "sources": [],
        "generators": [],
        "frameworks": [],
        "connectors": ["mastodon"],
    }
    text = cli("plugins").output
    assert (f"mastodon {EXAMPLE_VERSION} (package postgen-mastodon)\n"
            "  hooks: postgen_register_connectors\n  connectors: mastodon") in text


def test_every_plugin_row_has_the_same_keys(cli, mastodon_installed):
    rows = plugins_json(cli)
    keys = {"name", "package", "version", "hooks", "sources", "generators", "frameworks", "connectors"}
    assert all(set(row) == keys for row in rows.values())
    assert rows["postgen.frameworks"]["package"] == "postgen"
    assert "postgen_register_frameworks" in rows["postgen.frameworks"]["hooks"]
    assert "naval" in rows["postgen.frameworks"]["frameworks"]


GONE_PLUGIN = """
from postgen import Connector, hookimpl


class GoneConnector(Connector):
    name = "gone"


@hookimpl
def postgen_register_connectors(register):
    register(GoneConnector)
"""


def test_uninstalling_removes_it(cli, site, monkeypatch):
    # A plugin of its own (not the example, which may really be installed in this environment).
    (site / "gone_plugin.py").write_text(GONE_PLUGIN, encoding="utf-8")
    fake_install(site, "postgen-gone", "2.0", "[postgen]\ngone = gone_plugin\n")
    monkeypatch.delenv("POSTGEN_LOAD_PLUGINS")
    importlib.invalidate_caches()
    from postgen.plugins import reset_plugin_manager
    from postgen.registry import connectors

    reset_plugin_manager()
    assert plugins_json(cli)["gone"]["connectors"] == ["gone"]
    assert "gone" in connectors

    dist = site / "postgen_gone-2.0.dist-info"  # what `pip uninstall postgen-gone` removes
    for f in dist.iterdir():
        f.unlink()
    dist.rmdir()
    (site / "gone_plugin.py").unlink()
    importlib.invalidate_caches()
    reset_plugin_manager()
    assert "gone" not in plugins_json(cli)
    assert "gone" not in connectors


@pytest.mark.parametrize("wanted,loaded", [("", False), ("mastodon", True), ("postgen-mastodon", True), ("other", False)])
def test_postgen_load_plugins_selects_by_plugin_or_package_name(cli, mastodon_installed, monkeypatch, wanted, loaded):
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", wanted)
    assert ("mastodon" in plugins_json(cli)) is loaded


def test_misspelt_hook_stops_start_up(site, monkeypatch):
    (site / "typo_plugin.py").write_text(
        "from postgen import hookimpl\n\n@hookimpl\ndef postgen_register_conectors(register):\n    pass\n", encoding="utf-8"
    )
    fake_install(site, "typo-plugin", "1.0", "[postgen]\ntypo = typo_plugin\n")
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "typo")
    importlib.invalidate_caches()
    from postgen.plugins import PluginError, make_plugin_manager

    with pytest.raises(PluginError, match="postgen_register_conectors.*docs/plugins.md"):
        make_plugin_manager()


# --- POSTGEN_TRACE_PLUGINS ----------------------------------------------------------------------


class Loud:
    def __init__(self, name: str, fail: bool = False):
        self.name, self.fail, self.seen = name, fail, []

    @pluggy.HookimplMarker("postgen")
    def postgen_event(self, event):
        self.seen.append(event.kind)
        if self.fail:
            raise RuntimeError("webhook down")


def test_trace_prints_every_hook_call_with_its_implementations(monkeypatch, capsys):
    from postgen import hookspecs
    from postgen.events import Event
    from postgen.plugins import _trace

    pm = pluggy.PluginManager("postgen")
    pm.add_hookspecs(hookspecs)
    _trace(pm)
    pm.hook.postgen_event(event=Event(kind="run_saved"))
    first, second = Loud("first"), Loud("second")
    pm.register(first, name="first")
    pm.register(second, name="second")
    pm.hook.postgen_event(event=Event(kind="post_published"))
    assert first.seen == second.seen == ["post_published"]  # tracing does not get in the way
    pm.register(Loud("broken", fail=True), name="broken")
    with pytest.raises(RuntimeError):
        pm.hook.postgen_event(event=Event(kind="post_failed"))
    assert capsys.readouterr().err.splitlines() == [
        "postgen trace: postgen_event(event) -> (no implementations)",
        "postgen trace: postgen_event(event) -> second, first",  # pluggy calls the last registered first
        "postgen trace: postgen_event(event) -> broken, second, first",
        "postgen trace: postgen_event raised RuntimeError: webhook down",
    ]


def test_trace_shows_the_external_plugin_loading_and_registering(mastodon_installed, monkeypatch, capsys):
    monkeypatch.setenv("POSTGEN_TRACE_PLUGINS", "1")
    from postgen.registry import connectors

    assert "mastodon" in connectors.names()
    err = capsys.readouterr().err.splitlines()
    assert f"postgen trace: loaded plugin 'mastodon' = postgen_mastodon from postgen-mastodon {EXAMPLE_VERSION}" in err
    assert "postgen trace: postgen_register_connectors(register) -> mastodon" in err

    from test_plugins_docs import (
        examples,  # the doc shows real lines (its command line differs)
    )

    documented = examples()["trace"].splitlines()
    assert documented[0].replace("0.1.0", EXAMPLE_VERSION) in err and documented[2] in err


def test_trace_off_by_default_and_with_zero(mastodon_installed, monkeypatch, capsys):
    from postgen.plugins import reset_plugin_manager
    from postgen.registry import connectors

    for value in (None, "0"):
        if value is None:
            monkeypatch.delenv("POSTGEN_TRACE_PLUGINS", raising=False)
        else:
            monkeypatch.setenv("POSTGEN_TRACE_PLUGINS", value)
        reset_plugin_manager()
        connectors.names()
        assert "postgen trace" not in capsys.readouterr().err


def test_trace_from_the_command_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POSTGEN_", "MASTODON_"))}
    env.update(POSTGEN_TRACE_PLUGINS="1", POSTGEN_LOAD_PLUGINS="", HOME=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", "from postgen.cli import main; main()", "plugins"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "postgen trace: postgen_register_commands(cli) -> " in done.stderr
    assert "postgen trace: postgen_register_frameworks(register) -> postgen.frameworks" in done.stderr
    assert "postgen trace" not in done.stdout  # stdout stays parseable


# --- a run configured for mastodon: validate and preview, no keys, no network -----------------

CONFIG = """
[platforms]
enabled = ["mastodon"]

[platforms.mastodon]
limit = 500
visibility = "unlisted"
link_policy = "first_comment"
"""


def mastodon_run():
    from postgen import Post, PostState, Run, Video

    video = Video(id="dQw4w9WgXcQ", url=VIDEO, title="Leverage, explained")
    posts = [
        Post(id="mastodon-naval", platform="mastodon", framework="naval", link=VIDEO,
             body="Leverage is a multiplier. Learn once, earn forever.\n\n#Learning #Leverage", state=PostState.ready),
        Post(id="mastodon-aida", platform="mastodon", framework="aida", link=VIDEO, body="x" * 501),
    ]
    return Run(id="2026-11-24-dQw4w9WgXcQ", video=video, posts=posts)


@pytest.fixture
def configured(mastodon_installed, isolated):
    (isolated / "postgen.toml").write_text(CONFIG, encoding="utf-8")
    from postgen.config import load_config

    return load_config()


def test_dry_run_preview_for_mastodon(configured):
    from postgen.checks import connector_for
    from postgen.preview import format_preview

    run = mastodon_run()
    connector = connector_for("mastodon", configured)
    assert connector.options.visibility == "unlisted"  # options flow from [platforms.mastodon]
    preview = connector.preview(run.post("mastodon-naval"))
    assert preview.parts == [
        {"kind": "post", "text": run.post("mastodon-naval").body, "visibility": "unlisted"},
        {"kind": "reply", "text": VIDEO, "visibility": "unlisted"},
    ]
    shown = format_preview(preview)
    assert shown.startswith("== mastodon-naval (mastodon)") and VIDEO in shown


def test_check_post_validates_mastodon_posts(configured):
    pytest.importorskip("mastodon", reason="Mastodon.py not installed: pip install -e examples/postgen-mastodon")
    pytest.importorskip("grapheme", reason="Mastodon.py[grapheme] not installed: pip install -e examples/postgen-mastodon")
    from postgen.checks import check_post

    run = mastodon_run()
    assert [p for p in check_post(run.post("mastodon-naval"), run, config=configured) if p.severity == "error"] == []
    [error] = [p for p in check_post(run.post("mastodon-aida"), run, config=configured) if p.severity == "error"]
    assert error.code == "too_long" and "501 of 500 characters" in error.message


def test_bad_mastodon_option_names_the_key(mastodon_installed, isolated):
    (isolated / "postgen.toml").write_text("[platforms.mastodon]\nlimt = 400\n", encoding="utf-8")
    from postgen.checks import connector_for
    from postgen.config import ConfigError, load_config

    with pytest.raises(ConfigError, match=r"platforms\.mastodon\.limt"):
        connector_for("mastodon", load_config())


def test_run_file_gets_a_mastodon_section(configured, isolated):
    from postgen import runfile

    run = mastodon_run()
    path = runfile.path_for(configured.runs_path, run)
    runfile.save(path, run)
    assert "## MASTODON POSTS" in path.read_text(encoding="utf-8")
    assert runfile.load(path).post("mastodon-naval").body == run.post("mastodon-naval").body


def test_publish_dry_run_cli_previews_mastodon(cli, configured, isolated):
    pytest.importorskip("mastodon", reason="Mastodon.py not installed: pip install -e examples/postgen-mastodon")
    from postgen import runfile

    run = mastodon_run()
    run.posts = run.posts[:1]  # the valid one
    runfile.save(runfile.path_for(configured.runs_path, run), run)
    result = cli("publish", run.id, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "mastodon-naval" in result.output
    assert "Leverage is a multiplier." in result.output and VIDEO in result.output


def test_offline_run_gives_mastodon_five_distinct_posts(configured):
    """The shipped example, as the quickstart would run it: each framework its own post."""
    pytest.importorskip("mastodon", reason="Mastodon.py not installed: pip install -e examples/postgen-mastodon")
    from postgen.checks import connector_for
    from postgen.pipeline import generate
    from postgen.sources.local import builtin_path, read_video_file, to_video

    path = builtin_path("builtin:sample")
    run = generate(configured, to_video(read_video_file(path), path))
    connector = connector_for("mastodon", configured)
    assert [p.state.value for p in run.posts] == ["ready"] * 5
    assert not [p.message for post in run.posts for p in post.problems]  # no near_duplicate
    assert len({p.body for p in run.posts}) == 5
    assert all(connector.measure(p.body) <= connector.limit for p in run.posts)


# --- the Bluesky example: the "done when", as the quickstart meets it -----------------

BLUESKY = ROOT / "examples" / "postgen-bluesky"


@pytest.fixture
def bluesky_quickstart(site, monkeypatch, isolated):
    """postgen-bluesky installed (as pip would leave it) and enabled with a slot; the shipped sample video."""
    if importlib.util.find_spec("grapheme") is None:
        message = "graphemeu not installed: pip install -e 'examples/postgen-bluesky[test]'"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    monkeypatch.syspath_prepend(str(BLUESKY / "src"))
    version = tomllib.loads((BLUESKY / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    fake_install(site, "postgen-bluesky", version, "[postgen]\nbluesky = postgen_bluesky\n")
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "bluesky")
    importlib.invalidate_caches()
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    shipped = (ROOT / "postgen.toml").read_text(encoding="utf-8")
    config = shipped.replace('enabled = ["linkedin", "x", "reddit"]', 'enabled = ["linkedin", "x", "reddit", "bluesky"]')
    config = config.replace('[schedule.slots]\n', '[schedule.slots]\nbluesky = ["12:00"]\n')
    assert config != shipped
    (isolated / "postgen.toml").write_text(config, encoding="utf-8")
    return isolated


def test_bluesky_quickstart_gives_five_distinct_valid_posts_with_facets_and_card(cli, bluesky_quickstart):
    from postgen import runfile
    from postgen.lint import similarity

    result = cli("run", "--dry-run")
    assert result.exit_code == 0, result.output
    run = runfile.load(runfile.list_runs(bluesky_quickstart / "runs")[0])
    posts = [p for p in run.posts if p.platform == "bluesky"]
    assert len(posts) == 5 and all(p.state.value == "ready" and not p.problems for p in posts)  # no near_duplicate
    assert max(similarity(a.body, b.body) for i, a in enumerate(posts) for b in posts[i + 1:]) < 0.5
    assert all(p.scheduled_at is not None for p in posts)

    shown = cli("publish", "latest", "--dry-run", "--platform", "bluesky")
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("== bluesky-") == 5 and shown.output.count("would publish") == 5
    assert shown.output.count("-- card: app.bsky.embed.external for https://") == 5
    for post in posts:  # the reply's live link: the video at the moment the post quotes
        assert post.link.startswith(f"{run.video.url}#t=")
        assert f"-- facet: link {post.link} (bytes 0-{len(post.link)})" in shown.output
    assert "of 300 characters" in shown.output
