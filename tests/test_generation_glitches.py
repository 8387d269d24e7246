"""Generation that shrugs off glitches, against a local OpenAI-compatible server that counts what
it receives (bench/fake_openai.py on 127.0.0.1): an answer that cannot be parsed is asked for once
more with the same prompt, every answer received is counted in the usage, and after the first
`insufficient_quota` nothing more is sent."""

from __future__ import annotations

import json
import sys
import threading

import pytest

from conftest import ROOT

GLITCHES = (
    '{"title": "What a single video taught me", "body": "One idea from this talk',  # cut off mid-string
    '```json\n{"title": "What a single video taught me", "body": "One idea."}\n```',  # fenced
    '{"text": "One idea from this talk changed how I study."}',  # off the schema
)


@pytest.fixture
def fake_openai(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    module = __import__("fake_openai")
    yield module
    sys.modules.pop("fake_openai", None)


def _serve(monkeypatch, module, script, latency=0.0):
    server = module.FakeOpenAI(latency=latency, script=script)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    return server


def test_a_malformed_first_answer_per_post_still_ends_fifteen_of_fifteen_ready(cli, isolated, fake_openai, monkeypatch):
    """The first answer to every prompt (the brief's and each of the 15 drafts') is a glitch; the
    same prompt asked again gets a good answer. Usage counts all 32 answers."""
    from postgen import runfile

    seen_prompts: set[str] = set()
    lock = threading.Lock()

    def script(seen):
        prompt = json.dumps(seen.body["messages"], sort_keys=True)
        with lock:
            first = prompt not in seen_prompts
            seen_prompts.add(prompt)
            n = len(seen_prompts)
        if first:
            return fake_openai.Reply(content=GLITCHES[n % len(GLITCHES)])
        answer = json.loads(fake_openai.schema_answer(seen.body))
        if "body" in answer:  # fifteen different posts, so no near-duplicate lint
            answer["body"] = f"Lesson {n}: one idea from this talk changed how I study. Practice beats rereading."
        return fake_openai.Reply(content=json.dumps(answer))

    (isolated / "postgen.toml").write_text('[generator]\nname = "openai"\nmax_retries = 0\n', encoding="utf-8")
    with _serve(monkeypatch, fake_openai, script) as server:
        result = cli("run", "--dry-run")
    assert result.exit_code == 0, result.output
    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    assert [p.state.value for p in run.posts] == ["ready"] * 15
    assert len(server.requests) == 2 * 16 and len(seen_prompts) == 16  # each prompt asked exactly twice
    assert run.usage.calls == len(server.requests)  # answers that failed to parse are counted too
    sent = [json.loads(json.dumps(s.body)) for s in server.log]
    billed = sum(sum(len(str(m.get("content", ""))) for m in body["messages"]) // 4 for body in sent)
    assert run.usage.prompt_tokens == billed


def test_a_glitch_twice_fails_that_post_only(isolated, fake_openai, monkeypatch):
    """Not a glitch any more: the post fails with both answers counted; the run goes on."""
    from generation_fakes import FakeX, install, sample_video
    from postgen.config import parse_config
    from postgen.pipeline import generate

    def script(seen):
        if "Framework: hormozi" in json.dumps(seen.body["messages"]):
            return fake_openai.Reply(content=GLITCHES[1])
        return None

    install(FakeX)
    config = parse_config({"generator": {"name": "openai", "max_retries": 0}, "platforms": {"enabled": ["x"]},
                           "frameworks": ["hormozi", "naval"]})
    with _serve(monkeypatch, fake_openai, script) as server:
        run = generate(config, sample_video())
    failed = run.post("x-hormozi")
    assert failed.state.value == "failed" and "not the expected JSON" in failed.errors[0].message
    assert failed.usage.calls == 2 and run.post("x-naval").state.value == "ready"
    assert run.usage.calls == len(server.requests) == 4


def test_after_insufficient_quota_no_further_request_is_sent(isolated, fake_openai, monkeypatch):
    """Four drafts go out at once; the first is refused for quota after 0.2 s, the others answer
    after 0.5 s. Before, every job went on (and the client retried the refusal itself). Now:
    the three in flight finish, and nothing new starts: no retry, no repair, no other post."""
    from generation_fakes import install, sample_video
    from postgen.config import parse_config
    from postgen.generator import GeneratorError
    from postgen.pipeline import generate

    refusal = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                         "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}
    lock = threading.Lock()
    refused: list = []

    def script(seen):
        if "Platform:" not in json.dumps(seen.body["messages"]):
            return None  # the brief
        with lock:
            first = not refused
            refused.append(seen) if first else None
        if first:
            return fake_openai.Reply(status=429, body=refusal, delay=0.2)
        return fake_openai.Reply(delay=0.5)

    install()
    config = parse_config({"generator": {"name": "openai", "max_retries": 2, "concurrency": 4}})
    with _serve(monkeypatch, fake_openai, script) as server:
        with pytest.raises(GeneratorError, match="out of quota"):
            generate(config, sample_video())
    cut = refused[0].answered
    after = [s for s in server.log if s.arrived > cut]
    in_flight = [s for s in server.log if s.arrived <= cut and s is not refused[0] and s.answered > cut]
    print(f"\nafter the first insufficient_quota: {len(after)} further requests; {len(in_flight)} were in flight")
    assert after == []
    assert len(in_flight) == 3  # concurrency 4: the refused one and three others were out
    assert len(server.requests) == 1 + 4
