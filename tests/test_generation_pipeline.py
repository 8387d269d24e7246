"""The pipeline: one brief, drafts in parallel, repair until ready or failed, save, never publish."""

from __future__ import annotations

import json
import sys
import threading
import time

import pytest

from generation_fakes import FakeX, install, sample_video
from postgen.config import parse_config
from postgen.generator import Draft, Generator, PostGenerationError
from postgen.generators.offline import OfflineGenerator
from postgen.models import PostState, Usage
from postgen.selection import Selected


@pytest.fixture
def fakes():
    install()


class Slow(OfflineGenerator):
    """Offline drafts that take a while, recording when each one ran."""

    name = "slow"

    def __init__(self):
        super().__init__()
        self.intervals: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def draft(self, request):
        start = time.monotonic()
        time.sleep(0.2)
        draft = super().draft(request)
        with self.lock:
            self.intervals.append((start, time.monotonic()))
        return draft


def test_drafts_run_in_parallel(fakes):
    from postgen.pipeline import generate

    gen = Slow()
    config = parse_config({"generator": {"concurrency": 4}})
    generate(config, sample_video(), generator=gen)
    assert len(gen.intervals) == 15
    overlapping = sum(
        1 for i, (a0, a1) in enumerate(gen.intervals) for (b0, b1) in gen.intervals[i + 1 :] if a0 < b1 and b0 < a1
    )
    assert overlapping >= 3  # several drafts were in flight at the same moment


def test_concurrency_one_means_no_overlap(fakes):
    from postgen.pipeline import generate

    gen = Slow()
    generate(parse_config({"generator": {"concurrency": 1}, "frameworks": ["naval", "aida"]}), sample_video(), generator=gen)
    spans = sorted(gen.intervals)
    assert all(a1 <= b0 for (_, a1), (b0, _) in zip(spans, spans[1:]))


class TooLong(Generator):
    """Every draft is 400 characters; records what it was asked to fix."""

    name = "toolong"
    model = None  # type: ignore[assignment]
    fixes_after: int | None = None

    def __init__(self):
        super().__init__()
        self.asked: list[list[str]] = []

    def brief(self, video):
        return OfflineGenerator().brief(video)

    def draft(self, request):
        self.asked.append([p.message for p in request.problems])
        repairs = len(self.asked) - 1
        if self.fixes_after is not None and repairs >= self.fixes_after:
            return Draft(body="Short and fine.", usage=Usage(calls=1, prompt_tokens=100, completion_tokens=10))
        return Draft(body="w" * 400, usage=Usage(calls=1, prompt_tokens=100, completion_tokens=100))


def _x_only():
    install(FakeX)
    return parse_config({"platforms": {"enabled": ["x"]}, "frameworks": ["hormozi"], "generator": {"repair_rounds": 2}})


def test_repair_tells_the_generator_the_exact_problem():
    from postgen.pipeline import generate

    gen = TooLong()
    gen.fixes_after = 1
    run = generate(_x_only(), sample_video(), generator=gen)
    assert gen.asked[0] == []
    assert gen.asked[1] == ["400 of 280 weighted characters; cut 120"]
    post = run.post("x-hormozi")
    assert post.state == PostState.ready and post.repairs == 1 and post.body == "Short and fine."


def test_a_post_that_stays_invalid_is_saved_failed(tmp_path):
    from postgen import runfile
    from postgen.pipeline import generate, save_run

    config = _x_only()
    config.runs_dir = str(tmp_path / "runs")
    gen = TooLong()
    run = generate(config, sample_video(), generator=gen)
    post = run.post("x-hormozi")
    assert len(gen.asked) == 3  # first draft + 2 repair rounds
    assert post.state == PostState.failed and post.repairs == 2
    assert [p.code for p in post.errors] == ["too_long"]
    saved = runfile.load(save_run(config, run))
    assert saved.post("x-hormozi").state == PostState.failed
    assert saved.post("x-hormozi").errors[0].message.startswith("400 of 280")


def test_usage_and_cost_are_recorded_per_post_and_per_run():
    from postgen.pipeline import generate

    config = _x_only()
    config.generator.prices = {"fake-model": {"input": 1.0, "cached": 0.5, "output": 2.0}}
    gen = TooLong()
    gen.model = "fake-model"  # type: ignore[misc]
    run = generate(config, sample_video(), generator=gen)
    post = run.post("x-hormozi")
    assert post.usage.calls == 3 and post.usage.prompt_tokens == 300 and post.usage.completion_tokens == 300
    assert post.usage.cost_usd == pytest.approx((300 * 1.0 + 300 * 2.0) / 1e6)
    assert run.usage.calls == 3 and run.usage.cost_usd == pytest.approx(post.usage.cost_usd)


def test_a_generation_failure_fails_only_that_post():
    from postgen.pipeline import generate

    class Refuses(OfflineGenerator):
        name = "refuses"

        def draft(self, request):
            if request.framework.name == "naval":
                raise PostGenerationError("x-naval: the model refused: no")
            return super().draft(request)

    install(FakeX)
    run = generate(parse_config({"platforms": {"enabled": ["x"]}}), sample_video(), generator=Refuses())
    assert run.post("x-naval").state == PostState.failed
    assert run.post("x-naval").errors[0].message.endswith("refused: no")
    assert sum(p.state == PostState.ready for p in run.posts) == 4


def test_run_keeps_the_transcript_out_and_its_hash_in(fakes):
    import hashlib

    from postgen.pipeline import generate

    video = sample_video()
    run = generate(parse_config({}), video)
    assert run.video.transcript is None
    assert run.source_hash == hashlib.sha256(video.transcript.encode()).hexdigest()
    assert any(f"{len(video.transcript):,} characters" in w for w in run.warnings)
    assert run.prompt_version == OfflineGenerator.prompt_version


def test_generator_choice(monkeypatch, fakes):
    from postgen.generator import GeneratorError
    from postgen.pipeline import pick_generator

    assert pick_generator(parse_config({})).name == "offline"
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    assert pick_generator(parse_config({})).name == "openai"
    assert pick_generator(parse_config({"generator": {"name": "offline"}})).name == "offline"
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(GeneratorError, match="OPENAI_API_KEY"):
        pick_generator(parse_config({"generator": {"name": "openai"}}))


def test_no_connector_for_any_platform_is_a_clear_error():
    from postgen.config import ConfigError
    from postgen.pipeline import generate

    with pytest.raises(ConfigError, match="no connector installed"):
        generate(parse_config({"platforms": {"enabled": ["myspace"]}}), sample_video())


# --------------------------------------------------------------------------- the command


@pytest.fixture
def chosen(monkeypatch):
    install()
    monkeypatch.setattr("postgen.selection.choose", lambda config, video=None: Selected(sample_video(), reason="test"))
    monkeypatch.setattr("postgen.plugins.get_plugin_manager", _keep_fakes())


def _keep_fakes():
    """make_cli() resolves plugins again; keep the fake connectors registered for it."""
    from postgen.plugins import get_plugin_manager

    pm = get_plugin_manager()
    return lambda: pm


def test_run_dry_run_writes_fifteen_ready_posts(cli, chosen, isolated):
    from postgen import runfile

    events = []
    from postgen import events as events_module

    real_fire = events_module.fire
    events_module.fire = lambda e: (events.append(e), real_fire(e))
    try:
        result = cli("run", "--dry-run")
    finally:
        events_module.fire = real_fire
    assert result.exit_code == 0, result.output
    assert "generator: offline" in result.output
    assert "nothing was published (--dry-run)" in result.output
    assert "x-hormozi" in result.output and "/280" in result.output
    files = runfile.list_runs(isolated / "runs")
    assert len(files) == 1
    run = runfile.load(files[0])
    assert len(run.posts) == 15 and all(p.state == PostState.ready for p in run.posts)
    assert all(p.publication is None for p in run.posts)
    assert run.generator == "offline" and run.video.transcript is None
    assert [e.kind for e in events] == ["run_saved"]


def test_run_refuses_to_overwrite_without_force(cli, chosen):
    assert cli("run", "--dry-run").exit_code == 0
    again = cli("run", "--dry-run")
    assert again.exit_code == 2 and "--force" in again.output
    assert cli("run", "--dry-run", "--force").exit_code == 0


def test_run_exits_1_when_a_post_failed(cli, chosen, monkeypatch):
    monkeypatch.setattr("postgen.pipeline.pick_generator", lambda config: TooLong())
    result = cli("run")
    assert result.exit_code == 1
    assert "failed" in result.output and "400 of 280" in result.output


def test_help_does_not_import_network_libraries():
    import subprocess

    code = "import sys; from postgen.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('openai','tweepy','praw','requests','youtube_transcript_api') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_run_help_says_dry_run_publishes_nothing(cli):
    result = cli("run", "--help")
    assert "--dry-run" in result.output and "Publish nothing" in result.output
