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
    result = cli("--config", str(tmp_path / "postgen.toml"), "validate")
    assert result.exit_code == 2
    assert "unknown key 'generator.concurency'" in result.output


@pytest.mark.parametrize("toml, message", [("runs_dir = 3\n", "'runs_dir'"), ("runs_dir = [\n", "not valid TOML")])
def test_status_reads_only_runs_dir_but_still_refuses_a_bad_one(tmp_path, cli, toml, message):
    """`status` reads just runs_dir (pydantic would triple its start-up); the other sections are
    checked by the commands that use them, a runs_dir it cannot use still fails."""
    write(tmp_path, "[generator]\nconcurency = 3\n")
    assert cli("--config", str(tmp_path / "postgen.toml"), "status").exit_code == 0
    write(tmp_path, toml)
    result = cli("--config", str(tmp_path / "postgen.toml"), "status")
    assert result.exit_code == 2 and message in result.output


@pytest.mark.parametrize(
    "toml, key",
    [
        ("[platforms.reddit]\npassword = 12345678\n", "platforms.reddit.password"),  # a number is still a secret
        ("[generator]\nbase_url = 'https://me:hunter2@llm.example.com/v1'\n", "generator.base_url"),  # in a URL
        ("[[sources]]\ntype = 'youtube'\napikey = 'AIzaSy0123'\n", "sources[0].apikey"),
        ("[[sources]]\ntype = 'youtube'\napi_key_env = 'AIzaSyD-not-a-variable-name'\n", "sources[0].api_key_env"),
    ],
)
def test_secrets_in_other_shapes_are_refused(tmp_path, toml, key):
    path = write(tmp_path, toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"'{key}' looks like a secret" in message and str(path) in message
    assert "hunter2" not in message and "12345678" not in message and "AIza" not in message


def test_keys_that_merely_contain_a_hint_are_not_secrets(tmp_path):
    """`keywords` is not a key; an env var's name is not a secret; a URL without a password is fine."""
    path = write(tmp_path, "[[sources]]\ntype = 'local'\npath = 'builtin:sample'\nkeywords = 'machine learning'\n"
                           "api_key_env = 'YOUTUBE_API_KEY'\n[generator]\nbase_url = 'http://localhost:11434/v1'\n")
    config = load_config(path)
    assert config.sources[0]["keywords"] == "machine learning"


def test_a_platform_option_that_is_not_a_table_is_an_error(tmp_path):
    """`[platforms] x = "thread"` was silently ignored (the x options fell back to defaults)."""
    path = write(tmp_path, "[platforms]\nx = 'thread'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value) and "'platforms.x' must be a table" in str(info.value)


def test_a_config_that_cannot_be_read_is_a_config_error(tmp_path, cli):
    (tmp_path / "work" / "postgen.toml").mkdir(parents=True, exist_ok=True)
    with pytest.raises(ConfigError, match="postgen.toml: cannot read it"):
        load_config(tmp_path / "work" / "postgen.toml")


def test_an_unknown_key_error_says_what_is_allowed(tmp_path, cli):
    """The issue: a bad config gets an error naming the file, the key *and what is allowed*."""
    path = write(tmp_path, "[generator]\nconcurency = 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "unknown key 'generator.concurency'" in str(info.value) and "concurrency" in str(info.value).split("allowed:")[1]
    write(tmp_path, "[platforms.x]\nlong_post = 'thread'\n")
    result = cli("--config", str(tmp_path / "postgen.toml"), "doctor")
    assert "'platforms.x.long_post': unknown key (allowed: " in result.output and "long_posts" in result.output
