"""Grounding that checks: facts need the video's own words; posts' claims are checked against them."""

from __future__ import annotations

import json

import pytest

from generation_fakes import TRANSCRIPT, install, sample_video
from postgen.config import parse_config
from postgen.grounding import Support, canonical, evidence_found, find_claims, ground, sentences, unsupported_claims
from postgen.models import Brief, Fact, Post, PostState, Run

SOURCE = canonical(TRANSCRIPT)


# --------------------------------------------------------------------------- evidence


@pytest.mark.parametrize("evidence", [
    "After training on 60,000 labelled images the network classifies about 98% of new digits correctly.",
    "after training on 60000 labelled images",  # case, thousands separator
    "AFTER   TRAINING ON\n60,000 LABELLED IMAGES",  # whitespace
    "“Learning means finding weights and biases” that make this cost function as small as possible",  # curly quotes
    "So the network learns to minimise the cost - which is not quite the same as understanding!",  # punctuation
    "The network starts with random weights ... its answers are garbage",  # elided with ...
    "Gradient descent is the trick […] then take a small step that way",
])
def test_evidence_in_the_videos_own_words_is_found(evidence):
    assert evidence_found(evidence, SOURCE)


@pytest.mark.parametrize("evidence", [
    "a 2021 MIT survey found 64% of learners quit",  # invented
    "After training on 70,000 labelled images",  # a different number
    "the network learns quickly and easily",  # a paraphrase
    "its answers are garbage ... The network starts with random weights",  # pieces out of order
    "garbage",  # one word proves nothing
    "",
])
def test_evidence_the_video_does_not_say_is_not_found(evidence):
    assert not evidence_found(evidence, SOURCE)


def test_apostrophes_of_any_kind_match():
    assert evidence_found("it doesn’t pick up edges", canonical("It doesn't pick up edges."))


def test_ground_drops_invented_facts_and_says_which():
    video = sample_video()
    brief = Brief(teaches="How networks learn.", facts=[
        Fact(claim="It trains on 60,000 images.", evidence="After training on 60,000 labelled images"),
        Fact(claim="A 2021 MIT survey found 64% of learners quit.", evidence="a 2021 MIT survey found 64% of learners quit"),
        Fact(claim="Researchers at Harvard doubled accuracy with 60,000 images.", evidence="After training on 60,000 labelled images"),
    ])
    grounded, warnings = ground(brief, video)
    assert [f.claim for f in grounded.facts] == ["It trains on 60,000 images."]
    assert len(warnings) == 2
    assert "2021 MIT survey" in warnings[0] and "evidence is not in the video's own words" in warnings[0]
    assert '"Harvard"' in warnings[1] and '"doubled"' in warnings[1]


def test_evidence_from_the_description_counts_when_there_is_no_transcript():
    video = sample_video(transcript=None)
    brief = Brief(teaches="t", facts=[Fact(claim="It is about gradient descent.", evidence="using gradient descent to minimise a cost function")])
    assert ground(brief, video)[0].facts == brief.facts


# --------------------------------------------------------------------------- claims


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(c.text, c.kind) for c in find_claims(text)]


def test_numbers_names_organisations_and_results_are_claims():
    text = ("A 2021 MIT survey found 64% of learners quit. Andrew Ng at Stanford doubled it, "
            "10x faster, the #1 course and the best one, per Bank of America.")
    assert _kinds(text) == [
        ("2021", "number"), ("MIT", "name"), ("64%", "number"), ("Andrew Ng", "name"), ("Stanford", "name"),
        ("doubled", "result"), ("10x", "result"), ("#1", "result"), ("best", "result"), ("Bank of America", "name"),
    ]


@pytest.mark.parametrize("text", [
    "Most people are wrong about this. Understanding beats hype.",  # ordinary capitalised sentence starts
    "Key Takeaways:\nLearn it once.",  # a Title Case heading
    "Watch it on YouTube, then DM me. AI and APIs, every Monday in March.",  # shop talk and the calendar
    "I think #MachineLearning and #AI are fun, ask @someone or u/person.",  # hashtags, mentions
    "Read https://Example.com/Path/To for more.",  # inside a link
    "One idea. Three questions to ask. No one told me.",  # counting words
])
def test_everyday_capitals_and_counting_words_are_not_claims(text):
    assert find_claims(text) == []


def test_a_name_at_a_sentence_start_after_an_ordinary_word():
    assert _kinds("Is MIT right? Watch Andrew Ng explain it.") == [("MIT", "name"), ("Andrew Ng", "name")]


def test_claims_are_backed_by_the_words_that_say_them():
    support = "The MIT team doubled its score, 10 times faster, the #1 result; Andrew Ng's best talk, 64 percent."
    assert unsupported_claims("MIT doubled it, 10x faster, the #1 of them, Andrew Ng, the best, 64%.", support) == []
    assert unsupported_claims("It tripled at Harvard, 12x faster, the fastest.", support) == ["tripled", "Harvard", "12x", "fastest"]


def test_a_claim_must_be_made_by_one_text_not_stitched_across_two():
    claim = "It was Harvard Business School."
    assert [c.text for c in Support(["Harvard Business.", "School is out"]).unsupported(claim)] == ["Harvard Business School"]
    assert Support(["at Harvard Business School today"]).unsupported(claim) == []


def test_sentences_are_short_enough_to_keep():
    long = "word, " * 200 + "end."
    parts = sentences(f"First one. {long} Last one!")
    assert parts[0] == "First one." and parts[-1] == "Last one!"
    assert all(len(p) <= 300 for p in parts)


# --------------------------------------------------------------------------- the packaged sample stays clean


def test_the_packaged_sample_has_no_claim_its_own_text_does_not_back():
    """No false positives on the shipped run: every claim of the sample's posts is in the sample."""
    from postgen.pipeline import generate

    install()
    run = generate(parse_config({}), _sample())
    assert [p.problems for p in run.posts] == [[]] * 15
    assert sum(len(find_claims(p.body)) for p in run.posts) > 20  # there were claims to check


def _sample():
    from postgen.sources.local import LocalSource

    source = LocalSource({"path": "builtin:sample"})
    return source.fetch(source.candidates()[0])


def test_validate_later_without_the_transcript_reaches_the_same_verdicts(tmp_path):
    """The run keeps the sentences that back its claims, not the transcript."""
    from postgen import runfile
    from postgen.checks import check_post
    from postgen.pipeline import generate, save_run

    install()
    config = parse_config({"runs_dir": str(tmp_path / "runs")})
    video = _sample()
    run = generate(config, video)
    run.posts[0].body += "\n\nIt tripled at Harvard in 2019."  # claims the sample never makes
    from postgen.pipeline import settle
    from postgen.checks import connector_for

    settle(run, {p: connector_for(p, config) for p in ("linkedin", "x", "reddit")}, config=config, source=video.transcript)
    saved = runfile.load(save_run(config, run))
    assert saved.video.transcript is None and 0 < len(saved.backing) < 20
    assert all(s in video.transcript.replace("\n", " ") for s in saved.backing)
    later = {p.id: check_post(p, saved, config=config) for p in saved.posts}
    assert {k: [x.message for x in v] for k, v in later.items()} == {p.id: [x.message for x in p.problems] for p in run.posts}
    assert '"tripled", "Harvard", "2019"' in later["linkedin-hormozi"][0].message


def test_the_brief_s_own_wording_backs_nothing():
    """Only the checked evidence does: a model wrote the claims and key points."""
    from postgen.lint import lint_post

    video = sample_video()
    brief = Brief(teaches="MIT found 64%.", key_points=["MIT found 64%."], audience="MIT",
                  facts=[Fact(claim="MIT found 64%.", evidence="After training on 60,000 labelled images")])
    post = Post(id="x-aida", platform="x", framework="aida", body="MIT found 64%.")
    run = Run(id="r", video=video.model_copy(update={"transcript": None}), brief=brief, posts=[post])
    assert [p.code for p in lint_post(post, run)] == ["unsupported_claim"]


# --------------------------------------------------------------------------- strict claims


def _run_with(body: str) -> tuple[Post, Run]:
    from postgen.generators.offline import build_brief

    video = sample_video()
    post = Post(id="x-aida", platform="x", framework="aida", body=body)
    return post, Run(id="r", video=video.model_copy(update={"transcript": None}), brief=build_brief(video), posts=[post])


def test_unsupported_claims_are_warnings_by_default_errors_when_strict(monkeypatch):
    from postgen.checks import check_post

    install()
    post, run = _run_with("A 2021 MIT survey found 64% of learners quit.")
    claim = lambda config: next(p for p in check_post(post, run, config=config) if p.code == "unsupported_claim")  # noqa: E731
    assert claim(parse_config({})).severity == "warning"
    assert claim(parse_config({"publish": {"strict_claims": True}})).severity == "error"
    monkeypatch.setenv("POSTGEN_STRICT_CLAIMS", "1")
    assert claim(parse_config({})).severity == "error"
    monkeypatch.setenv("POSTGEN_STRICT_CLAIMS", "0")
    assert claim(parse_config({})).severity == "warning"


def test_strict_claims_go_through_the_repair_loop():
    """An unsupported claim under strict claims is an error the generator is told to fix."""
    from test_generation_pipeline import TooLong

    from postgen.generator import Draft
    from postgen.pipeline import generate

    class Invents(TooLong):
        def draft(self, request):
            self.asked.append([p.message for p in request.problems])
            body = "Short and fine." if request.problems else "A 2021 MIT survey found 64% of learners quit."
            return Draft(body=body)

    from generation_fakes import FakeX

    install(FakeX)
    gen = Invents()
    config = parse_config({"platforms": {"enabled": ["x"]}, "frameworks": ["hormozi"], "publish": {"strict_claims": True}})
    run = generate(config, sample_video(), generator=gen)
    assert '"2021", "MIT", "64%"' in gen.asked[1][0]
    assert run.post("x-hormozi").state == PostState.ready and run.post("x-hormozi").body == "Short and fine."


def test_extend_grounds_the_brief_it_writes_for_a_run_without_one(tmp_path):
    """`postgen extend` on an imported run writes a brief: it is checked like a new run's."""
    from postgen import runfile
    from postgen.extend import extend
    from postgen.generators.offline import OfflineGenerator
    from postgen.pipeline import generate, save_run

    class Invents(OfflineGenerator):
        def brief(self, video):
            brief, usage = super().brief(video)
            invented = Fact(claim="A 2021 MIT survey found 64% of learners quit.", evidence="a 2021 MIT survey found 64%")
            return brief.model_copy(update={"facts": [*brief.facts, invented]}), usage

    install()
    config = parse_config({"runs_dir": str(tmp_path / "runs"), "platforms": {"enabled": ["x"]}})
    run = generate(config, sample_video())
    run.brief = None  # as an imported seed run has none
    path = save_run(config, run)
    config = parse_config({"runs_dir": str(tmp_path / "runs"), "platforms": {"enabled": ["x", "linkedin"]}})
    outcome = extend(config, path, ["linkedin"], generator=Invents())
    assert any("dropped the fact" in w and "2021 MIT" in w for w in outcome.warnings)
    assert "MIT" not in json.dumps(runfile.load(path).brief.model_dump())
