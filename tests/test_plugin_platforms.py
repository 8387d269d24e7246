"""A platform that arrives as a plugin is first class: the offline generator writes each
framework's own post for it, fitted to its `limit` as its `measure` counts, and a connector can
keep platform data (a Bluesky `cid`) on the publication for its follow-up."""

from __future__ import annotations

import pytest
from generation_fakes import install, sample_video

from postgen import Connector, Framework, Problem, Publication
from postgen.config import parse_config
from postgen.lint import similarity
from postgen.models import FollowUp, PostState


def graphemes(text: str) -> int:
    import grapheme  # graphemeu: what Bluesky and Mastodon count

    return grapheme.length(text)


class Skeet(Connector):
    """Bluesky-sized: 300 graphemes, the link appended when inline."""

    name, label, limit = "skeet", "SKEET", 300

    def style(self) -> str:
        return "Skeet: plain text."  # names no limit: the generator must use `limit`

    def measure(self, text: str) -> int:
        return graphemes(text)

    def validate(self, post):
        text = f"{post.body}\n\n{post.link}" if post.link_policy == "inline" and post.link else post.body
        n = self.measure(text)
        return [] if n <= self.limit else [Problem(severity="error", code="too_long", message=f"{n} of {self.limit} graphemes")]


class Longform(Skeet):
    name, label, limit = "longform", "LONGFORM", 5000


def offline_run(platform: str, policy: str = "first_comment", **config):
    from postgen.pipeline import generate

    data = {"platforms": {"enabled": [platform], platform: {"link_policy": policy}}, "generator": {"name": "offline"}}
    data.update(config)
    return generate(parse_config(data), sample_video())


@pytest.mark.parametrize("cls", [Skeet, Longform])
def test_a_plugin_platform_gets_five_distinct_ready_posts(cls):
    install(cls)
    run = offline_run(cls.name)
    bodies = [p.body for p in run.posts]
    assert [p.state for p in run.posts] == [PostState.ready] * 5
    assert [p.problems for p in run.posts] == [[]] * 5  # no near_duplicate, no other warning
    assert [p.repairs for p in run.posts] == [0] * 5  # fitted to the limit first time, not repaired
    assert len(set(bodies)) == 5
    assert max(similarity(a, b) for i, a in enumerate(bodies) for b in bodies[i + 1:]) < 0.3
    for post in run.posts:
        assert graphemes(post.body) <= cls.limit * 0.9  # fitted with its measure, with headroom
        assert post.body.rstrip().endswith("Link below.")  # first_comment: the link follows


def test_each_framework_keeps_its_own_voice_on_a_plugin_platform():
    install(Skeet)
    run = offline_run("skeet")
    assert run.post("skeet-naval").body.startswith("Learn the fundamentals.")
    assert run.post("skeet-storytelling").body.startswith("I used to nod along")
    assert "?" in run.post("skeet-aida").body.split("\n")[0]


def test_short_platforms_read_like_x_and_long_ones_like_linkedin():
    install(Skeet, Longform)
    short = offline_run("skeet").post("skeet-hormozi").body
    long = offline_run("longform").post("longform-hormozi").body
    assert len(long) > 2 * len(short)
    assert "→" in long and "→" not in short  # LinkedIn's arrows, X's three lines


def test_inline_leaves_room_for_the_link_the_connector_appends():
    class Tight(Skeet):
        name, limit = "tight", 160

    install(Tight)
    run = offline_run("tight", policy="inline")
    for post in run.posts:
        assert post.state is PostState.ready and post.repairs == 0, post.problems  # fits first time
        assert "Link below." not in post.body and post.link not in post.body
        assert graphemes(f"{post.body}\n\n{post.link}") <= 160


def test_no_link_line_when_the_policy_is_none():
    install(Skeet)
    assert not any("Link" in p.body for p in offline_run("skeet", policy="none").posts)


def test_frameworks_without_templates_still_say_different_things():
    from postgen import hookimpl, registry
    from postgen.plugins import get_plugin_manager

    install(Skeet)

    class Bare:
        @hookimpl
        def postgen_register_frameworks(self, register):
            for name in ("pas", "bab"):
                register(Framework(name=name, label=name.upper(), beats=["problem", "solution"]))

    get_plugin_manager().register(Bare(), name="bare-frameworks")
    registry.reset()
    run = offline_run("skeet", frameworks=["pas", "bab"])
    pas, bab = run.post("skeet-pas").body, run.post("skeet-bab").body
    assert pas != bab and similarity(pas, bab) < 0.5
    assert all(p.state is PostState.ready for p in run.posts)


# --- Publication.data: platform data kept for the follow-up --------------------------------------


def test_publication_data_survives_the_run_file(tmp_path):
    from postgen import runfile
    from postgen.models import Post, Run, Video

    publication = Publication(remote_id="at://did:plc:abc/app.bsky.feed.post/3l", url="https://bsky.app/profile/a/post/3l",
                              data={"cid": "bafyreib2", "uploads": [{"blob": "bafkrei"}], "n": 1})
    post = Post(id="x-naval", platform="x", framework="naval", body="hi", state=PostState.published, publication=publication)
    run = Run(id="2026-11-24-abc", video=Video(id="abc", url="https://youtu.be/abc", title="t"), posts=[post])
    path = tmp_path / "run.md"
    runfile.save(path, run)
    assert '"cid": "bafyreib2"' in path.read_text(encoding="utf-8")
    assert runfile.load(path).post("x-naval").publication.data == publication.data
    assert runfile.load(path) == run


def test_publication_data_refuses_what_json_cannot_hold():
    with pytest.raises(ValueError, match="JSON values only"):
        Publication(remote_id="1", data={"when": object()})
    with pytest.raises(ValueError, match="JSON values only"):
        Publication(remote_id="1", data={"ratio": float("nan")})


def test_the_follow_up_gets_the_data_back_after_a_crash_between_them(tmp_path):
    """The post is published and recorded, the process dies before its link reply: the next pass
    hands publish_follow_up the publication as saved, data included."""
    from ledger_fakes import Crash, FakeConnector, FakePlatform, make_run

    from postgen import ledger, runfile

    seen: list[dict] = []

    class WithCid(FakeConnector):
        def publish(self, post):
            return super().publish(post).model_copy(update={"data": {"cid": "bafy-" + post.id}})

        def publish_follow_up(self, post, publication):
            seen.append(dict(publication.data))
            if len(seen) == 1:
                raise Crash("killed before the reply")
            publication.follow_ups.append(FollowUp(kind="reply", remote_id="r1"))
            return publication

    path = make_run(tmp_path, [("x", "naval")])
    platform = FakePlatform("x")

    def publisher():
        return ledger.Publisher(parse_config({}), connector_for=lambda name: WithCid(name, platform),
                                sleep=lambda s: None, fire=lambda o: None)

    with pytest.raises(Crash):
        publisher().publish_run(path)
    saved = runfile.load(path).post("x-naval")
    assert saved.publication.data == {"cid": "bafy-x-naval"}
    publisher().publish_run(path)  # the next pass settles (or retries) the follow-up from the file
    assert seen and all(data == {"cid": "bafy-x-naval"} for data in seen)
    assert runfile.load(path).post("x-naval").publication.data == {"cid": "bafy-x-naval"}
