"""The one redactor: what it removes, what it must leave alone, and the choke points it guards
(CLI output, run files, events, the config). The end-to-end proof is tests/test_secrets.py."""

from __future__ import annotations

import io
import json

import pytest

from postgen.redact import RedactingStream, looks_like_key, redact, redact_data, register_secret_names

KEY = "sk-proj-Q3x9TlmV0aZr8Ys2Kd7Wb1Nc4Hf6Jg5Pq"
ENV = {
    "OPENAI_API_KEY": KEY,
    "OPENAI_BASE_URL": "https://proxyuser:proxy-pa%24s@llm.example.com/t/pathTok3n9f8e7d6c/v1?tenant=acme&sig=Zs9Qp2Lk",
    "REDDIT_PASSWORD": "hunter2-but-longer",
    "AUTH_MODE": "basic",  # sounds secret, is not: too short and too ordinary to replace
}


def test_credential_values_are_named_in_every_form():
    text = (f"key {KEY}; url-encoded {KEY.replace('-', '%2D')}; json {json.dumps({'k': 'hunter2-but-longer'})}; "
            "password hunter2-but-longer")
    out = redact(text, ENV)
    assert KEY not in out and "hunter2" not in out
    assert out.count("<OPENAI_API_KEY>") == 1 and out.count("<REDDIT_PASSWORD>") == 2
    assert "basic" in redact("auth mode basic", ENV)


def test_a_base_url_is_named_and_its_pieces_go_wherever_they_appear():
    """Clients log the URL without its userinfo; echo servers reflect the path alone."""
    base = ENV["OPENAI_BASE_URL"]
    for text in (f"POST {base}/chat/completions", "Connection error: https://llm.example.com/t/pathTok3n9f8e7d6c/v1/chat",
                 "GET /t/pathTok3n9f8e7d6c/v1/chat/completions HTTP/1.1", "user proxyuser password proxy-pa$s",
                 "signed with sig=Zs9Qp2Lk"):
        out = redact(text, ENV)
        for piece in ("proxyuser", "proxy-pa", "pathTok3n9f8e7d6c", "Zs9Qp2Lk"):
            assert piece not in out, (text, out)
    assert redact(f"calling {base}", ENV) == "calling <OPENAI_BASE_URL>"
    assert "llm.example.com" in redact("host llm.example.com", ENV)  # the host alone is no secret


def test_a_secret_cut_short_still_goes():
    """Error bodies are cut at 300 characters, sometimes in the middle of an echoed key."""
    out = redact(f'{{"error": "bad key {KEY[:19]}', ENV)
    assert KEY[:12] not in out and "<OPENAI_API_KEY>" in out
    assert redact("sk-proj is a prefix", ENV) == "sk-proj is a prefix"


@pytest.mark.parametrize("echo, secret", [
    ("Authorization: Bearer abc123def456ghi", "abc123def456ghi"),
    ("{'Authorization': 'Bearer zz9-opaque-token', 'User-Agent': 'praw'}", "zz9-opaque-token"),
    ('{"headers": {"authorization": "Basic dGVzdC1pZDp0ZXN0LXNlY3JldA=="}}', "dGVzdC1pZDp0ZXN0"),
    ('OAuth oauth_consumer_key="ck9Ab3", oauth_token="370773112-GmHx", oauth_signature="tnnA%2FjLY%3D"', "GmHx"),
    ("x-api-key: 5f2b9c0e7a61", "5f2b9c0e7a61"),
    ("Cookie: session=31d4d96e407aad42; theme=dark", "31d4d96e407aad42"),
    ("grant_type=password&username=bot&password=s3cr3t-pw&client_secret=cs-987", "s3cr3t-pw"),
    ("https://www.googleapis.com/youtube/v3/videos?id=abc&key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "AIzaSy"),
    ("https://bot:pa55word@git.example.com/repo.git", "pa55word"),
    ('{"api_key": "raw-key-42", "code": "invalid_api_key"}', "raw-key-42"),
    ("token ghp_16C7e42F292c6912E7710c838347Ae178B4a in a log", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
    ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "eyJzdWIi"),
    ("https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXX"),
])
def test_echoed_credentials_go_whatever_their_source(echo, secret):
    """Shapes that are secrets even when no variable holds them (praw's own bearer token, a
    signature, a key some proxy made up)."""
    out = redact(echo, {})
    assert secret not in out and "<redacted>" in out, out


def test_json_stays_json():
    """--json output and the run file's state block pass the redactor whole: it never eats a quote."""
    body = {"error": {"message": json.dumps({"Authorization": f"Bearer {KEY}", "x-api-key": "k-123456",
                                             "url": ENV["OPENAI_BASE_URL"]}), "code": "invalid_api_key"},
            "password": "hunter2-but-longer", "headers": "Authorization: Basic dXNlcjpwYXNzd29yZA=="}
    for text in (json.dumps(body), json.dumps(body, indent=2), json.dumps(json.dumps(body))):
        out = redact(text, ENV)
        assert json.loads(out) is not None
        for secret in (KEY, "k-123456", "hunter2", "dXNlcjpwYXNzd29yZA", "pathTok3n"):
            assert secret not in out
    assert json.loads(redact(json.dumps(body), ENV))["error"]["code"] == "invalid_api_key"


PROSE = [
    "Basic income, bearer tokens and token limits: the key insight is that authorization matters.",
    "The network has 13,000 weights; after training on 60,000 images it is right 98% of the time.",
    "Watch: https://www.youtube.com/watch?v=IHZwWFHWa-w&t=42s and https://youtu.be/aircAruvnKk",
    "https://www.reddit.com/r/MachineLearning/comments/1abc2de/gradient_descent/ and u/postgen_bot",
    "usage: 16 calls, 24000 prompt tokens (1024 cached), max_tokens = 300, key_points: 4",
    '{"ok": true, "errors": 0, "state": "ready", "code": "too_long", "model": "gpt-4o-mini-2024-07-18"}',
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 and urn:li:share:7123456789012345678",
]


@pytest.mark.parametrize("text", PROSE)
def test_ordinary_text_is_left_alone(text):
    assert redact(text, ENV) == text


def test_a_plugin_connectors_credentials_are_registered_when_connectors_load(monkeypatch):
    """A variable named like nothing secret (ACME_LOGIN) is one because a connector says so."""
    import types

    from postgen import hookimpl, registry
    from postgen.connector import Connector
    from postgen.plugins import get_plugin_manager

    class Acme(Connector):
        name, label, credentials = "acme", "ACME", ("ACME_LOGIN", "ACME_ENDPOINT")

    module = types.ModuleType("acme_plugin")
    module.postgen_register_connectors = hookimpl(lambda register: register(Acme))
    get_plugin_manager().register(module, name="acme_plugin")
    registry.reset()
    monkeypatch.setenv("ACME_LOGIN", "acme-login-value")
    assert redact("as acme-login-value") == "as acme-login-value"  # not yet known
    assert "acme" in registry.connectors
    assert redact("as acme-login-value") == "as <ACME_LOGIN>"
    register_secret_names(["OTHER_NAME"])  # explicit registration works the same way
    monkeypatch.setenv("OTHER_NAME", "other-value")
    assert redact("other-value") == "<OTHER_NAME>"


def test_the_stream_redacts_a_secret_split_over_writes_and_flushes_prompts():
    sink = io.StringIO()
    stream = RedactingStream(sink)
    stream.write("Authorization: Bea")
    assert sink.getvalue() == ""  # held until the line ends...
    stream.write("rer abc123def456\nPublish? [y/N]: ")
    assert sink.getvalue() == "Authorization: <redacted>\n"
    stream.flush()  # ...or until flushed: a prompt shows before input is read
    assert sink.getvalue().endswith("Publish? [y/N]: ")
    with pytest.raises(TypeError):
        stream.write(b"bytes")  # click takes a stream that refuses bytes for a text stream


def test_redact_data_keeps_keys_and_identifiers():
    data = {"id": "x-" + KEY, "message": f"bad {KEY}", KEY: [f"in a list {KEY}", 3, None]}
    out = redact_data(data, {"id"}, env=ENV)
    assert out == {"id": "x-" + KEY, "message": "bad <OPENAI_API_KEY>", KEY: ["in a list <OPENAI_API_KEY>", 3, None]}


# --------------------------------------------------------------------------- choke points


def test_cli_output_is_redacted(cli, monkeypatch):
    """Anything a command prints passes the redactor, errors included (here a config error that
    quotes the file name, which holds the key)."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = cli("--config", f"{KEY}.toml", "status")
    assert result.exit_code == 2 and "<OPENAI_API_KEY>.toml" in result.output and KEY not in result.output


def test_the_run_file_is_written_redacted(isolated, monkeypatch):
    from postgen import runfile
    from postgen.config import parse_config
    from postgen.models import Problem
    from postgen.pipeline import generate, save_run

    from generation_fakes import sample_video

    config = parse_config({"generator": {"name": "offline"}})
    run = generate(config, sample_video())
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    run.warnings.append(f"a proxy said: Authorization: Bearer {KEY}")
    run.posts[0].last_error = f"401 from https://u:pw-12345@example.com ({KEY[:20]}"
    run.posts[1].problems.append(Problem(severity="error", code="generator", message=f"echo {KEY}"))
    path = save_run(config, run)
    text = path.read_text(encoding="utf-8")
    assert KEY[:12] not in text and "pw-12345" not in text
    saved = runfile.load(path)
    assert saved.posts[1].problems[-1].message == "echo <OPENAI_API_KEY>"
    assert [p.id for p in saved.posts] == [p.id for p in run.posts] and saved.source_hash == run.source_hash
    assert runfile.render(saved) == text  # what was written is a run that renders to itself


def test_events_reach_plugins_redacted(monkeypatch):
    import types

    from postgen import hookimpl
    from postgen.events import Event, fire
    from postgen.plugins import get_plugin_manager

    seen: list[Event] = []
    module = types.ModuleType("notifier")
    module.postgen_event = hookimpl(lambda event: seen.append(event))
    get_plugin_manager().register(module, name="notifier")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    fire(Event("post_failed", run_id="r", post_id="x-aida", message=f"failed: {KEY}", data={"error": [f"Bearer {KEY}"]}))
    assert seen[0].message == "failed: <OPENAI_API_KEY>" and KEY not in json.dumps(seen[0].data)


# --------------------------------------------------------------------------- the config refuses keys


@pytest.mark.parametrize("toml, key", [
    ('[generator]\nmodel = "sk-proj-Q3x9TlmV0aZr8Ys2Kd7Wb1Nc4Hf6Jg5Pq"\n', "generator.model"),
    ('[platforms.reddit]\nsubreddit = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"\n', "platforms.reddit.subreddit"),
    ('[generator]\nbase_url = "https://proxy.example/t/8f3Kq9ZxL2mNvB7wR4tY6uP1sD0gH5jC/v1"\n', "generator.base_url"),
    ('[[sources]]\ntype = "queue"\npath = "q.txt"\nnote = "wJalrXUtnFEMIK7MDENGbPxRfiCYzq3Ld8aB4kPw"\n', "sources[0].note"),
    ('[[sources]]\ntype = "youtube"\nvideos = ["aircAruvnKk", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"]\n', "sources[0].videos[1]"),
    ('[generator.prices."sk-ant-api03-abcdefghijklmnopqrstuv"]\ninput = 1.0\n', "generator.prices.sk-ant"),
])
def test_a_key_shaped_value_is_refused_under_any_key(tmp_path, toml, key):
    from postgen.config import ConfigError, load_config

    path = tmp_path / "postgen.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match="looks like a secret") as info:
        load_config(path)
    assert f"'{key}" in str(info.value)


def test_ordinary_values_that_look_random_are_accepted(tmp_path):
    from postgen.config import load_config

    path = tmp_path / "postgen.toml"
    path.write_text(
        '[generator]\nmodel = "mistralai/Mixtral-8x7B-Instruct-v0.1"\nbase_url = "https://api.together.xyz/v1"\n'
        '[[sources]]\ntype = "channel"\nchannel_id = "UCYO_jab_esuFRV4b17AJtAw"\n'
        '[[sources]]\ntype = "youtube"\nvideos = ["https://www.youtube.com/playlist?list=PLZHQObOWTQDNU6R1_67000Dx_ZCJB-3pi", "aircAruvnKk"]\n'
        '[platforms.reddit]\nsubreddit = "MachineLearning"\nflair_id = "a1b2c3d4-e5f6-11ee-8c90-0242ac120002"\n'
        '[platforms.linkedin]\nauthor = "urn:li:organization:12345678"\n', encoding="utf-8")
    config = load_config(path)
    assert config.generator.model == "mistralai/Mixtral-8x7B-Instruct-v0.1"
    for name in ("deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ-Int4-Version2",
                 "ft:gpt-4o-mini-2024-07-18:my-org:custom-suffix:9ABCdef1", "anthropic.claude-3-5-sonnet-20241022-v2:0"):
        assert not looks_like_key(name), name


# --------------------------------------------------------------------------- the substring gate

from hypothesis import given, settings
from hypothesis import strategies as st

from postgen import redact as redact_mod

_FRAGMENTS = [
    "Authorization: Bearer abcDEF123456789", "AUTHORIZATION=xyz", "'x-api-key': 'k3y-Value-123'", "Cookie: a=b",
    '"api_key": "s3cretvalue1"', '\\"client_secret\\": \\"abc123456\\"', "?access_token=AbC123xyz&", "&code=q1w2e3r4",
    "https://user:pass@example.com/x", "HTTPS://U:P@HOST", "Basic dXNlcjpwYXNzd29yZA==", "TOKEN  aB3dE6gH9",
    "sk-proj-" + "A1b2" * 6, "AKIA" + "ABCDEFGHIJKLMNOP", "AIza" + "x" * 35, "ghp_" + "a1" * 16, "xoxb-1234567890-abc",
    "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "123456789:AA" + "b" * 33, "-----BEGIN RSA PRIVATE KEY-----",
    "hooks.slack.com/services/T000/B000/XXXX", "discord.com/api/webhooks/1/abc", "oauth_signature=\"abc%3D\"",
    "SessionId=abc123def", "password = hunter22", "key", "token", "basic", "secret", "sig", "@", "=", ":", '"', "'",
    "\\", "\n", " ", "watch?v=IHZwWFHWa-w", "Key lessons", "monkey=banana", "design", "Asia", "sk", "_", "-",
]


def _every_pass(text: str) -> str:
    for pattern, replacement, _needs in redact_mod._PASSES:
        text = pattern.sub(replacement, text)
    return text


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=6), max_size=12).map("".join))
def test_the_substring_gate_never_skips_a_pattern_that_would_match(text):
    """Each pattern runs only where a substring it cannot match without is in the text (what keeps
    `status --json` over 1,000 runs fast); the result must be what running every pattern gives."""
    assert redact_mod._redact(text, ()) == _every_pass(text)


def test_a_large_text_with_no_secret_shape_comes_back_unchanged_and_a_secret_in_it_goes():
    rows = "\n".join(f'  {{"run": "2026-11-{i:04d}-video", "url": "https://youtu.be/abc?t={i}"}},' for i in range(2000))
    assert redact(rows, env={}) == rows
    leaked = rows + '\n  {"api_key": "s3cretvalue1"}'
    assert redact(leaked, env={}).endswith('{"api_key": "<redacted>"}')
