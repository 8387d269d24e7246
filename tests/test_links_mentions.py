"""Links and mentions you chose: only the video's link and allowed domains; mentions are flagged."""

from __future__ import annotations

import pytest

from generation_fakes import FakeX, install, sample_video
from postgen.checks import check_post
from postgen.config import ConfigError, parse_config
from postgen.models import Post, PostState, Run

VIDEO = sample_video()


@pytest.fixture(autouse=True)
def fakes():
    install()


def _problems(body: str, platform: str = "linkedin", allowed=(), link: str | None = VIDEO.url):
    post = Post(id=f"{platform}-aida", platform=platform, framework="aida", body=body, link=link,
                title="A title" if platform == "reddit" else None)
    run = Run(id="r", video=VIDEO.model_copy(update={"transcript": None}), posts=[post])
    config = parse_config({"publish": {"allowed_link_domains": list(allowed)}})
    return check_post(post, run, config=config)


def _links(body: str, **kw) -> list[str]:
    return [p.message for p in _problems(body, **kw) if p.code == "foreign_link"]


@pytest.mark.parametrize("platform", ["linkedin", "x", "reddit"])
def test_a_link_nobody_chose_is_an_error_on_every_platform(platform):
    problems = [p for p in _problems("BUY CRYPTO https://scam.example/now", platform) if p.code == "foreign_link"]
    assert [p.severity for p in problems] == ["error"]
    assert "https://scam.example/now" in problems[0].message and "allowed_link_domains" in problems[0].message
    assert "remove it" in problems[0].message


@pytest.mark.parametrize("body", [
    f"Watch: {VIDEO.url}",
    "Watch: youtube.com/watch?v=IHZwWFHWa-w",
    "Watch: https://youtu.be/IHZwWFHWa-w",
    "Watch: http://www.youtube.com/watch?v=IHZwWFHWa-w&t=30",
])
def test_the_videos_own_link_in_any_form_is_fine(body):
    assert _links(body) == []


def test_another_video_on_the_same_site_is_not_the_videos_link():
    assert _links("Also: https://www.youtube.com/watch?v=dQw4w9WgXcQ") != []


def test_allowed_domains_and_their_subdomains_only():
    allowed = ["example.com"]
    assert _links("See https://example.com/notes and https://docs.example.com/x", allowed=allowed) == []
    bad = _links("See https://evil-example.com/x and https://example.com.evil.io/y", allowed=allowed)
    assert len(bad) == 2


def test_links_are_found_the_way_x_finds_them_and_the_way_others_link_them():
    """Bare domains are links (twitter-text's rules), and so is anything with a scheme, even on a
    made-up TLD or inside markdown: Reddit and LinkedIn link those whatever X would do."""
    found = _links("Go to scam.example.com/win, [here](https://scam.example) or ftp://files.invalid/x.")
    assert [m.split()[1] for m in found] == ["scam.example.com/win", "https://scam.example", "ftp://files.invalid/x"]


def test_a_post_with_a_foreign_link_is_never_sent(tmp_path):
    """A person's edit (or a run from before this check) that adds a link is refused at publish time."""
    from ledger_fakes import FakeConnector, FakePlatform, make_run

    from postgen import ledger, runfile

    path = make_run(tmp_path, [("x", "hormozi")])
    run = runfile.load(path)
    run.posts[0].body += " Claim your prize at https://scam.example/win"
    runfile.save(path, run)
    x = FakePlatform("x")
    publisher = ledger.Publisher(parse_config({}), connector_for=lambda name: FakeConnector(name, x),
                                 sleep=lambda s: None, fire=lambda o: None)
    outcomes = publisher.publish_run(path)
    assert [o.status for o in outcomes] == ["failed"] and "https://scam.example/win" in outcomes[0].reason
    assert x.create_calls == 0


def test_the_repair_loop_is_told_to_remove_a_foreign_link():
    from test_generation_pipeline import TooLong

    from postgen.generator import Draft
    from postgen.pipeline import generate

    class Links(TooLong):
        def draft(self, request):
            self.asked.append([p.message for p in request.problems])
            return Draft(body="Short and fine." if request.problems else "Great video https://scam.example")

    install(FakeX)
    gen = Links()
    run = generate(parse_config({"platforms": {"enabled": ["x"]}, "frameworks": ["hormozi"]}), sample_video(), generator=gen)
    assert any("https://scam.example" in m and "remove it" in m for m in gen.asked[1])
    assert run.post("x-hormozi").state == PostState.ready


def test_allowed_link_domains_must_be_domains():
    with pytest.raises(ConfigError, match="allowed_link_domains.*not a domain"):
        parse_config({"publish": {"allowed_link_domains": ["https://example.com/path"]}})
    assert parse_config({"publish": {"allowed_link_domains": ["Example.COM", "*.cdn.io."]}}).publish.allowed_link_domains == [
        "example.com", "cdn.io"]


# --------------------------------------------------------------------------- mentions


@pytest.mark.parametrize("body, mentioned", [
    ("Thanks @grant_sanderson for this", "@grant_sanderson"),
    ("Shout-out to u/someone and /u/other_one", "u/someone, u/other_one"),
])
def test_mentions_are_warnings_that_name_the_account(body, mentioned):
    problems = [p for p in _problems(body) if p.code == "mention"]
    assert [p.severity for p in problems] == ["warning"]
    assert problems[0].message.startswith(f"{mentioned}: a mention notifies")


@pytest.mark.parametrize("body", [
    "Write to me at me@example.org",  # an e-mail address
    "Read https://medium.com/@author/post",  # inside the video's... no: inside a link
    "Plain text with no handle.",
])
def test_addresses_and_links_are_not_mentions(body):
    assert [p for p in _problems(body, allowed=["medium.com"]) if p.code == "mention"] == []


def test_the_offline_generator_never_copies_a_link_from_the_video():
    """The main job must stay 15/15 ready even when every sentence of the video holds a link."""
    from postgen.pipeline import generate

    transcript = " ".join(f"Step {n} of the method is explained at https://tools.example.com/step{n} in detail." for n in range(8))
    video = sample_video(transcript=transcript, title="Visit https://promo.example.com for 50% off")
    run = generate(parse_config({}), video)
    assert [p.id for p in run.posts if p.state != PostState.ready] == []
    assert not any("example.com" in f"{p.title} {p.body}" for p in run.posts)


def test_without_links_keeps_only_the_videos_own():
    from postgen.checks import without_links

    assert without_links("Go to https://scam.example/x now.") == "Go to now."
    assert without_links(f"Watch {VIDEO.url}, then https://scam.example.", VIDEO.url) == f"Watch {VIDEO.url}, then."
