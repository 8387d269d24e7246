"""postgen.toml: defaults, the shipped example, and clear errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from postgen.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_without_a_file():
    config = load_config()
    assert config.path is None
    assert config.platforms.enabled == ["linkedin", "x", "reddit"]
    assert config.sources, "the embedded default must give the main job a source"


def test_shipped_example_config_is_valid():
    config = load_config(ROOT / "postgen.toml")
    assert config.path == (ROOT / "postgen.toml").resolve()
    assert config.sources


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "postgen.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[generator]\nconcurency = 3\n", "unknown key 'generator.concurency'"),
        ("[selection]\npolicy = 'random'\n", "'selection.policy' must be one of 'queue', 'newest' or 'most-viewed'"),
        ("[generator]\nconcurrency = 0\n", "'generator.concurrency'"),
        ("runs_dir = \n", "not valid TOML"),
        ("[[sources]]\npath = 'q.txt'\n", "needs a 'type'"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_config_never_holds_a_secret(tmp_path):
    path = write(tmp_path, "[platforms.x]\napi_key = 'abc123'\n")
    with pytest.raises(ConfigError, match="'platforms.x.api_key' looks like a secret"):
        load_config(path)


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_bad_config_via_cli_exits_2(tmp_path, cli):
    write(tmp_path, "[generator]\nconcurency = 3\n")
    result = cli("--config", str(tmp_path / "postgen.toml"), "status")
    assert result.exit_code == 2
    assert "unknown key 'generator.concurency'" in result.output
