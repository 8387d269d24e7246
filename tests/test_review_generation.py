"""Review of generation: what an OpenAI-compatible server can send that must fail one post, not
crash the run (cassettes in the real chat.completions shape, replayed through the real client)."""

from __future__ import annotations

import pytest

from generation_fakes import FakeX, install, sample_video
from postgen.config import parse_config
from postgen.generator import GeneratorError
from postgen.models import PostState


@pytest.fixture
def config(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    install(FakeX)
    return parse_config({
        "generator": {"name": "openai", "concurrency": 1, "max_retries": 0, "repair_rounds": 2},
        "platforms": {"enabled": ["x"]},
        "frameworks": ["hormozi"],
    })


def _generate(config):
    from postgen.pipeline import generate

    return generate(config, sample_video())


def _failed_with(run, words: str) -> None:
    post = run.post("x-hormozi")
    assert post.state == PostState.failed
    assert words in post.errors[0].message, post.errors[0].message
    assert post.errors[0].message.startswith("x-hormozi: ")


@pytest.mark.vcr
def test_malformed_json_from_the_model_fails_the_post_not_the_run(config):
    _failed_with(_generate(config), "not the expected JSON")


@pytest.mark.vcr
def test_answer_of_the_wrong_shape_fails_the_post_not_the_run(config):
    _failed_with(_generate(config), "not the expected JSON")


@pytest.mark.vcr
def test_a_body_that_is_not_json_fails_the_post_not_the_run(config):
    _failed_with(_generate(config), "not the expected JSON")


@pytest.mark.vcr
def test_an_answer_without_choices_fails_the_post_not_the_run(config):
    _failed_with(_generate(config), "no answer")


@pytest.mark.vcr
def test_a_brief_that_is_not_json_is_a_clear_error(config):
    with pytest.raises(GeneratorError, match="brief: .*not the expected JSON"):
        _generate(config)


@pytest.mark.vcr
def test_an_html_page_fails_the_post_not_the_run(config):
    _failed_with(_generate(config), "not the expected JSON")


# --------------------------------------------------------------------------- run --video


@pytest.fixture
def counted_briefs(monkeypatch):
    """The offline generator, counting its brief calls (the first, costly, step of a run)."""
    from postgen.generators.offline import OfflineGenerator

    calls: list[str] = []
    real = OfflineGenerator.brief

    def brief(self, video):
        calls.append(video.id)
        return real(self, video)

    monkeypatch.setattr(OfflineGenerator, "brief", brief)
    return calls


def test_video_with_a_run_today_is_refused_before_any_generation(cli, counted_briefs):
    assert cli("run", "--dry-run").exit_code == 0
    assert counted_briefs == ["sample-birthday-paradox"]
    again = cli("run", "--dry-run", "--video", "builtin:sample")
    assert again.exit_code == 2
    assert "already exists" in again.output and "--force" in again.output
    assert counted_briefs == ["sample-birthday-paradox"]  # nothing was generated (or paid for) in vain
    assert cli("run", "--dry-run", "--video", "builtin:sample", "--force").exit_code == 0
