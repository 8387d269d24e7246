"""The openai generator against hand-written cassettes in the real chat.completions shape.

vcrpy 9.4 patches httpx2's transport, which openai 3.x uses, so these replay the real client's
requests (no fake client): retries, status codes and structured-output parsing all run for real.
"""

from __future__ import annotations

import json

import pytest
from conftest import recording_keys

from generation_fakes import TRANSCRIPT, FakeX, install, sample_video
from postgen.config import parse_config
from postgen.generator import GeneratorError
from postgen.generators.openai import PROMPT_VERSION
from postgen.models import PostState

PRICES = {"gpt-4o-mini": {"input": 0.15, "cached": 0.075, "output": 0.6}}


@pytest.fixture
def sent(monkeypatch):
    """Every request body the client hands to httpx2, in order."""
    import httpx2

    bodies: list[str] = []
    real_send = httpx2.Client.send

    def send(self, request, **kwargs):
        bodies.append(request.content.decode("utf-8"))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(httpx2.Client, "send", send)
    return bodies


@pytest.fixture
def config(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", recording_keys({"OPENAI_API_KEY": "test-key"})["OPENAI_API_KEY"])
    install(FakeX)
    return parse_config({
        "generator": {"name": "openai", "concurrency": 1, "max_retries": 2, "repair_rounds": 2, "prices": PRICES},
        "platforms": {"enabled": ["x"]},
        "frameworks": ["hormozi"],
    })


def _generate(config):
    from postgen.pipeline import generate

    return generate(config, sample_video())


def _transcript_requests(bodies: list[str]) -> int:
    marker = json.dumps(TRANSCRIPT[200:260])[1:-1]  # as it appears inside the JSON body
    return sum(marker in body for body in bodies)


@pytest.mark.vcr
def test_brief(config, sent):
    from postgen.pipeline import pick_generator

    gen = pick_generator(config)
    brief, usage = gen.brief(sample_video())
    assert brief.key_points[0].startswith("A cost function measures")
    assert brief.facts[1].evidence.startswith("After training on 60,000")
    assert (usage.calls, usage.prompt_tokens, usage.completion_tokens) == (1, 1900, 260)
    request = json.loads(sent[0])
    assert request["model"] == "gpt-4o-mini"
    assert request["response_format"]["type"] == "json_schema"
    assert TRANSCRIPT in request["messages"][-1]["content"]


@pytest.mark.vcr
def test_draft(config, sent):
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.ready and post.repairs == 0
    assert post.body.startswith("Most people think AI learning is magic.")
    assert (run.generator, run.model, run.prompt_version) == ("openai", "gpt-4o-mini", PROMPT_VERSION)
    assert post.usage.cached_tokens == 1024
    assert run.usage.calls == 2 and run.usage.prompt_tokens == 1900 + 1500
    expected = ((1900 * 0.15) + (1500 - 1024) * 0.15 + 1024 * 0.075 + (260 + 90) * 0.6) / 1e6
    assert run.usage.cost_usd == pytest.approx(expected, abs=1e-6) and run.usage.cost_usd > 0
    assert _transcript_requests(sent) == 1
    draft_request = json.loads(sent[1])
    system, shared, ask = (m["content"] for m in draft_request["messages"][:3])
    assert "# Frameworks" in system and "Gradient descent" not in system  # ours only: rules, library
    assert "Gradient descent, how neural networks learn" in shared and "<<<begin " in shared  # quoted video + brief
    assert "x-hormozi" not in system + shared and "Platform: x" in ask


@pytest.mark.vcr
def test_too_long_draft_is_repaired(config, sent):
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.ready and post.repairs == 1
    repair = json.loads(sent[2])["messages"]
    assert "413 of 280 weighted characters; cut 133" in repair[-1]["content"]
    assert json.loads(repair[-2]["content"])["body"].startswith("Most people think AI learning is magic, a black box")
    assert _transcript_requests(sent) == 1


@pytest.mark.vcr
def test_draft_that_stays_invalid_is_saved_failed(config, sent, tmp_path):
    from postgen import runfile
    from postgen.pipeline import save_run

    config.runs_dir = str(tmp_path / "runs")
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.failed and post.repairs == 2
    assert post.errors[0].message == "413 of 280 weighted characters; cut 133"
    assert len(sent) == 4 and _transcript_requests(sent) == 1
    saved = runfile.load(save_run(config, run))
    assert saved.post("x-hormozi").state == PostState.failed


@pytest.mark.vcr
def test_429_then_success(config, sent):
    run = _generate(config)
    assert run.post("x-hormozi").state == PostState.ready
    assert len(sent) == 3  # brief, the 429, the client's own retry
    assert sent[1] == sent[2]


@pytest.mark.vcr
def test_429_that_persists_fails_the_post(config, sent):
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.failed
    assert "rate limited (429) after 2 retries" in post.errors[0].message
    assert "lower [generator] concurrency" in post.errors[0].message
    assert len(sent) == 4


@pytest.mark.vcr
def test_refusal(config, sent):
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.failed
    assert post.errors[0].message == "x-hormozi: the model refused: I'm sorry, I can't help with that request."


@pytest.mark.vcr
def test_bad_key_stops_the_run(config, sent):
    with pytest.raises(GeneratorError, match="refused OPENAI_API_KEY") as info:
        _generate(config)
    assert "test-key" not in str(info.value)


def test_openai_without_key_names_the_variable(cli, config, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    from postgen.pipeline import pick_generator

    with pytest.raises(GeneratorError, match="needs OPENAI_API_KEY"):
        pick_generator(config)


@pytest.mark.vcr
def test_length_cut_off_fails_the_post(config, sent):
    post = _generate(config).post("x-hormozi")
    assert post.state == PostState.failed
    assert "output token limit" in post.errors[0].message


@pytest.mark.vcr
def test_server_errors_after_retries_fail_the_post(config, sent):
    post = _generate(config).post("x-hormozi")
    assert post.state == PostState.failed
    assert "failed (500) after retries; rerun later" in post.errors[0].message
    assert len(sent) == 4  # brief + first try + 2 retries by the client


@pytest.mark.vcr
def test_draft_names_its_main_point_and_the_link_opens_there(config, sent):
    """The model quotes the source behind each key point and says which item a post is about
    (structured fields); postgen finds the quote in the timed transcript and links the post to
    that second. The post paraphrases: its words alone would not have told."""
    from postgen.pipeline import generate
    from postgen.timing import from_segments

    sentences = [s.strip() for s in TRANSCRIPT.split(". ") if s.strip()]
    text, cues = from_segments((15 * i, s) for i, s in enumerate(sentences))
    run = generate(config, sample_video(transcript=text, cues=cues))
    assert run.brief.key_point_at == [45, 60, 90, 135]  # the quoted sentences' seconds, none guessed
    post = run.post("x-hormozi")
    assert post.moment.item == "key point 3" and "the generator's main point" in post.moment.why
    assert post.link == "https://youtu.be/IHZwWFHWa-w?t=90"
    schema = json.loads(sent[1])["response_format"]["json_schema"]["schema"]
    assert "main_point" in schema["properties"]  # asked for, in the structured answer
