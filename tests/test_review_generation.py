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


def _failed_twice_with(run, words: str) -> None:
    """Asked twice with the same prompt (a glitch gets a second chance), failed, both answers counted."""
    _failed_with(run, words)
    assert "(twice)" in run.post("x-hormozi").errors[0].message
    assert run.post("x-hormozi").usage.calls == 2 and run.usage.calls == 3


@pytest.mark.vcr
def test_a_cut_off_answer_is_asked_for_again(config):
    """One cut-off JSON answer is a glitch: the same prompt again gives a post, and both calls count."""
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.ready and post.body.startswith("Most people think AI learning is magic.")
    assert (post.usage.calls, post.usage.prompt_tokens, post.usage.completion_tokens) == (2, 1200 + 1500, 40 + 90)
    assert run.usage.calls == 3


@pytest.mark.vcr
def test_malformed_json_from_the_model_fails_the_post_not_the_run(config):
    _failed_twice_with(_generate(config), "not the expected JSON")


@pytest.mark.vcr
def test_answer_of_the_wrong_shape_fails_the_post_not_the_run(config):
    _failed_twice_with(_generate(config), "not the expected JSON")


@pytest.mark.vcr
def test_a_body_that_is_not_json_fails_the_post_not_the_run(config):
    _failed_twice_with(_generate(config), "not the expected JSON")


@pytest.mark.vcr
def test_an_answer_without_choices_fails_the_post_not_the_run(config):
    _failed_twice_with(_generate(config), "no answer")


@pytest.mark.vcr
def test_a_brief_that_is_not_json_is_a_clear_error(config):
    with pytest.raises(GeneratorError, match=r"brief: .*not the expected JSON.*\(twice\)"):
        _generate(config)


@pytest.mark.vcr
def test_an_html_page_fails_the_post_not_the_run(config):
    _failed_twice_with(_generate(config), "not the expected JSON")


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


# --------------------------------------------------------------------------- usage of failed calls


@pytest.mark.vcr
def test_a_refused_call_still_counts_its_tokens(config):
    """A refusal is billed: its tokens belong in the post's and the run's usage (and cost)."""
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.failed
    assert (post.usage.calls, post.usage.prompt_tokens, post.usage.completion_tokens) == (1, 1200, 150)
    assert (run.usage.calls, run.usage.prompt_tokens) == (2, 1900 + 1200)


@pytest.mark.vcr
def test_a_cut_off_call_still_counts_its_tokens(config):
    """A length cut-off spends the whole output budget: the costliest failure must not vanish."""
    run = _generate(config)
    post = run.post("x-hormozi")
    assert post.state == PostState.failed and "output token limit" in post.errors[0].message
    assert post.usage is not None and post.usage.calls == 1 and post.usage.completion_tokens > 0
    assert run.usage.calls == 2


# --------------------------------------------------------------------------- secrets


@pytest.mark.vcr
def test_an_error_that_echoes_the_key_never_shows_it(config, tmp_path):
    """Some OpenAI-compatible proxies quote the key in their errors; a post's problem lands in runs/."""
    from postgen.pipeline import save_run

    config.runs_dir = str(tmp_path / "runs")
    run = _generate(config)
    message = run.post("x-hormozi").errors[0].message
    assert "rate limited (429)" in message and "Budget exceeded for key" in message
    assert "test-key" not in message and "OPENAI_API_KEY" in message
    assert "test-key" not in save_run(config, run).read_text(encoding="utf-8")


@pytest.mark.vcr
def test_a_fatal_error_that_echoes_the_key_never_shows_it(config):
    with pytest.raises(GeneratorError, match=r"rejected the request \(400\)") as info:
        _generate(config)
    assert "test-key" not in str(info.value)


# --------------------------------------------------------------------------- configuration


def test_a_name_listed_twice_makes_one_post_and_a_run_file_that_loads(tmp_path):
    from postgen import runfile
    from postgen.pipeline import generate, save_run

    config = parse_config({"generator": {"name": "offline"}, "runs_dir": str(tmp_path / "runs"),
                           "frameworks": ["hormozi", "naval", "hormozi"], "platforms": {"enabled": ["x", "x"]}})
    run = generate(config, sample_video())
    assert [p.id for p in run.posts] == ["x-hormozi", "x-naval"]
    assert [p.id for p in runfile.load(save_run(config, run)).posts] == ["x-hormozi", "x-naval"]


def test_an_empty_video_option_is_an_error_not_an_automatic_pick(cli, counted_briefs):
    """`postgen run --video "$URL"` with URL unset must not quietly write about another video."""
    for empty in ("", "   "):
        result = cli("run", "--dry-run", "--video", empty)
        assert result.exit_code == 2, result.output
        assert "--video" in result.output and "empty" in result.output
    assert counted_briefs == []


# --------------------------------------------------------------------------- selection


def _install_source(cls) -> None:
    import types

    from postgen import hookimpl, registry
    from postgen.plugins import get_plugin_manager, reset_plugin_manager

    module = types.ModuleType("fake_sources")

    @hookimpl
    def postgen_register_sources(register):
        register(cls)

    module.postgen_register_sources = postgen_register_sources
    reset_plugin_manager()
    get_plugin_manager().register(module, name="fake_sources")
    registry.reset()


def test_require_transcript_holds_for_a_plugin_source_that_ignores_it():
    """A third-party source need not know the option: selection itself refuses the video."""
    from postgen.selection import choose
    from postgen.source import Candidate, Source, SourceError

    class Podcast(Source):
        name = "podcast"

        def candidates(self):
            return [Candidate(video_id="episode-1", url="https://example.com/1", title="Episode 1")]

        def fetch(self, candidate):
            return sample_video(id=candidate.video_id, transcript=None)

    _install_source(Podcast)
    config = parse_config({"sources": [{"type": "podcast"}, {"type": "local", "path": "builtin:sample"}],
                           "selection": {"require_transcript": True}})
    chosen = choose(config)
    assert chosen.video.id == "sample-birthday-paradox"
    assert any("episode-1" in w and "require_transcript" in w for w in chosen.warnings)
    with pytest.raises(SourceError, match="require_transcript"):
        choose(config, "episode-1")


@pytest.mark.vcr
def test_an_exhausted_quota_stops_the_run_with_a_billing_hint(config):
    """429 insufficient_quota is not a rate limit: waiting or lowering concurrency never fixes it."""
    with pytest.raises(GeneratorError, match="quota") as info:
        _generate(config)
    assert "billing" in str(info.value) and "concurrency" not in str(info.value)


def test_an_embedded_playlist_is_not_a_video_called_videoseries():
    """`/embed/videoseries?list=…` is how YouTube embeds a playlist; "videoseries" is 11 letters."""
    from postgen.sources.youtube import video_id

    for url in ("https://www.youtube.com/embed/videoseries?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf",
                "youtube-nocookie.com/embed/videoseries?list=PL1234567890"):
        with pytest.raises(ValueError, match="playlist"):
            video_id(url)
    assert video_id("https://www.youtube.com/embed/dQw4w9WgXcQ?list=PL1234567890") == "dQw4w9WgXcQ"


def test_a_plugin_video_id_that_cannot_name_a_run_file_is_refused(isolated):
    """"show/ep-1" would write runs/<date>-show/ep-1.md, a file selection never sees: picked forever."""
    from postgen.selection import choose
    from postgen.source import Candidate, Source, SourceError

    class Podcast(Source):
        name = "podcast"

        def candidates(self):
            return [Candidate(video_id="show/ep-1", url="https://example.com/1", title="Episode 1")]

        def fetch(self, candidate):
            return sample_video(id=candidate.video_id)

    _install_source(Podcast)
    config = parse_config({"sources": [{"type": "podcast"}, {"type": "local", "path": "builtin:sample"}]})
    chosen = choose(config)
    assert chosen.video.id == "sample-birthday-paradox"
    assert any("show/ep-1" in w and "run file" in w for w in chosen.warnings)
    with pytest.raises(SourceError, match="run file"):
        choose(config, "show/ep-1")


# --------------------------------------------------------------------------- against a live server


@pytest.fixture
def fake_server(monkeypatch):
    """bench/fake_openai.py on 127.0.0.1 (loopback only), every draft body 60 words long."""
    import sys

    from conftest import ROOT

    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    fake_openai = __import__("fake_openai")
    monkeypatch.setitem(fake_openai.SAMPLE_STRINGS, "body", " ".join(["overlong"] * 60))
    with fake_openai.FakeOpenAI(latency=0) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "test-key")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        yield server
    sys.modules.pop("fake_openai", None)


def test_an_x_post_too_long_every_time_ends_failed_never_ready(cli, isolated, fake_server):
    from postgen import runfile

    (isolated / "postgen.toml").write_text(
        '[generator]\nname = "openai"\nrepair_rounds = 2\nmax_retries = 0\n'
        '[platforms]\nenabled = ["x"]\n', encoding="utf-8")
    result = cli("run", "--dry-run")
    assert result.exit_code == 1, result.output
    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    assert len(run.posts) == 5
    assert all(p.state.value == "failed" and p.repairs == 2 and p.errors[0].code == "too_long" for p in run.posts)
    assert len(fake_server.requests) == 1 + 5 * 3  # the brief, then each post's draft and two repairs
    assert "0 of 5 ready, 5 failed" in result.output


@pytest.mark.vcr
def test_a_408_request_timeout_fails_the_post_not_the_run(config):
    """408 is a timeout the client itself retries, like 429 and 5xx: one post fails, the run goes on."""
    _failed_with(_generate(config), "408")


def test_video_override_survives_a_plugin_source_that_crashes(monkeypatch):
    """`run` without --video already tolerates a broken source; `run --video` must too."""
    from postgen.selection import choose
    from postgen.sources.youtube import YouTubeSource

    def boom(self):
        raise RuntimeError("plugin bug")

    monkeypatch.setattr(YouTubeSource, "candidates", boom)
    config = parse_config({"sources": [{"type": "youtube", "videos": ["aircAruvnKk"]},
                                       {"type": "local", "path": "builtin:sample"}]})
    assert choose(config, "sample-birthday-paradox").video.id == "sample-birthday-paradox"


def test_a_fetch_that_crashes_passes_the_turn_to_the_next_video():
    """Like a source that fails to list, a fetch that raises something unexpected is a warning."""
    from postgen.selection import choose
    from postgen.source import Candidate, Source

    class Broken(Source):
        name = "broken"

        def candidates(self):
            return [Candidate(video_id="ep-1", url="https://example.com/1")]

        def fetch(self, candidate):
            raise KeyError("captionTracks")  # the kind of thing a scraper raises when a page changes

    _install_source(Broken)
    config = parse_config({"sources": [{"type": "broken"}, {"type": "local", "path": "builtin:sample"}]})
    chosen = choose(config)
    assert chosen.video.id == "sample-birthday-paradox"
    assert any("ep-1" in w and "KeyError" in w for w in chosen.warnings)


def test_a_multi_line_title_from_a_model_becomes_one_line():
    from postgen.generator import Draft
    from postgen.models import Post
    from postgen.pipeline import _apply

    post = Post(id="reddit-aida", platform="reddit", framework="aida")
    _apply(post, Draft(body=" body ", title="A title\nthat wrapped\r\n  twice "))
    assert post.title == "A title that wrapped twice"
    assert post.body == "body"
