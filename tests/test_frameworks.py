"""Frameworks: the five built-in voices, user files from `frameworks_dir`, and `postgen frameworks`."""

from __future__ import annotations

import json
import string

import pytest

from postgen.config import ConfigError, parse_config
from postgen.frameworks import BUILTIN_ORDER, available, builtin_frameworks, selected

USER_FW = """
name = "pas"
label = "PAS"
emoji = "🩹"
description = "Problem, agitate, solve."
beats = ["problem", "agitate", "solve"]
[templates]
default = ["Problem: {point1}", "Solution: {teaches}"]
"""


def test_five_builtins_with_templates_for_every_platform():
    fws = builtin_frameworks()
    assert [f.name for f in fws] == list(BUILTIN_ORDER)
    assert [f.emoji for f in fws] == ["🔥", "💼", "🧠", "📖", "🎯"]
    for fw in fws:
        assert fw.description and fw.beats and fw.dos and fw.donts
        for key in ("linkedin", "x", "reddit", "title"):
            assert fw.templates.get(key), (fw.name, key)


def test_templates_use_only_known_placeholders_and_no_numbers():
    known = {"title", "title_lc", "topic", "topic_cap", "channel", "channel_s", "teaches", "summary", "number", "takeaway", "fact", "audience", "link_hint",
             "arrows", "arrows2", "bullets", "bullets2", *(f"point{n}" for n in range(1, 6))}
    for fw in builtin_frameworks():
        for paragraphs in fw.templates.values():
            for paragraph in paragraphs:
                names = {f for _, f, _, _ in string.Formatter().parse(paragraph) if f}
                assert names <= known, (fw.name, names - known)
                literal = "".join(text for text, _, _, _ in string.Formatter().parse(paragraph))
                assert not any(c.isdigit() for c in literal), (fw.name, paragraph)  # numbers come from the brief


def _config(tmp_path, **extra):
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    (folder / "pas.toml").write_text(USER_FW, encoding="utf-8")
    cfg = parse_config({"frameworks_dir": str(folder), **extra})
    return cfg


def test_user_frameworks_join_the_builtins(tmp_path):
    found = available(_config(tmp_path))
    assert list(found) == [*BUILTIN_ORDER, "pas"]
    assert found["pas"][1].endswith("mine/pas.toml")


def test_config_picks_which_frameworks_a_run_uses(tmp_path):
    assert [f.name for f in selected(_config(tmp_path, frameworks=["pas", "naval"]))] == ["pas", "naval"]
    with pytest.raises(ConfigError, match="unknown 'nope'"):
        selected(_config(tmp_path, frameworks=["nope"]))


def test_user_framework_may_not_shadow_a_builtin(tmp_path):
    cfg = _config(tmp_path)
    (tmp_path / "mine" / "naval.toml").write_text('label = "Mine"', encoding="utf-8")
    with pytest.raises(ConfigError, match="'naval' already comes from 'postgen.frameworks'"):
        available(cfg)


def test_broken_user_file_is_a_clear_error(tmp_path):
    cfg = _config(tmp_path)
    (tmp_path / "mine" / "bad.toml").write_text("name = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        available(cfg)
    with pytest.raises(ConfigError, match="is not a folder"):
        available(parse_config({"frameworks_dir": str(tmp_path / "missing")}))


def test_frameworks_command_lists_builtin_and_user_ones(cli, tmp_path, isolated):
    (isolated / "mine").mkdir()
    (isolated / "mine" / "pas.toml").write_text(USER_FW, encoding="utf-8")
    (isolated / "postgen.toml").write_text('frameworks_dir = "mine"\n', encoding="utf-8")
    result = cli("frameworks", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == [*BUILTIN_ORDER, "pas"]
    assert rows[0]["origin"] == "postgen.frameworks" and rows[0]["beats"]
    text = cli("frameworks").output
    assert "🔥 hormozi" in text and "pas" in text


def test_a_user_framework_without_platform_templates_still_drafts(tmp_path):
    from generation_fakes import FakeX, install, sample_video
    from postgen.models import PostState
    from postgen.pipeline import generate

    install(FakeX)
    run = generate(_config(tmp_path, frameworks=["pas"], platforms={"enabled": ["x"]}), sample_video())
    post = run.post("x-pas")
    assert post.state == PostState.ready and post.body.startswith("Problem: ")


def test_a_user_framework_keeps_its_heading_in_the_run_file(tmp_path, monkeypatch):
    from generation_fakes import install, sample_video

    from postgen import runfile
    from postgen.pipeline import generate

    install()
    run = generate(_config(tmp_path, frameworks=["pas"]), sample_video())
    text = runfile.render(run)
    assert "### 🩹 PAS FRAMEWORK" in text
    assert runfile.parse(text) == run  # and the heading survives later rewrites without the config
