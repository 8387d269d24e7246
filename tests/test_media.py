"""The picture: which posts carry it, its bytes, and its upload as a ledger step of its own, with
X and LinkedIn replayed from hand-written cassettes in their API shapes (bodies matched), including
a crash between the upload and the post and an upload the platform refuses."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from postgen import ledger, runfile
from postgen.config import parse_config
from postgen.connector import Connector, MediaFile, UploadedMedia, supports_media
from postgen.media import MediaError, load, plan
from postgen.models import Media, Post, PostState, Run, Video, utcnow

DATA = Path(__file__).parent / "data"
TITLE = "The Birthday Paradox: why random IDs collide sooner than you think"
TEXT = "23 people make 253 pairs. That is why a shared birthday is likely."
LINK = "https://youtu.be/IHZwWFHWa-w?t=111"
ENV = {
    "x": {"X_API_KEY": "test-key", "X_API_SECRET": "test-secret", "X_ACCESS_TOKEN": "test-token",
          "X_ACCESS_TOKEN_SECRET": "test-token-secret"},
    "linkedin": {"LINKEDIN_ACCESS_TOKEN": "test-token", "LINKEDIN_AUTHOR": "urn:li:person:782bbtaQ"},
}


@pytest.fixture(scope="module")
def vcr_config(vcr_config):
    return {**vcr_config, "match_on": ["method", "scheme", "host", "port", "path", "query", "body"]}


class Crash(BaseException):
    """The process dies here (nothing may catch it)."""


# --------------------------------------------------------------------------- the sample's picture


def test_the_sample_picture_is_the_one_the_script_draws():
    from sample_thumbnail import TARGET, render

    data = render()
    assert TARGET.read_bytes() == data, "run: python tests/sample_thumbnail.py"
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 20_000
    media = Media(sources=["builtin:sample-thumbnail.png"], alt="sample")
    file = load(media)
    assert (file.mime_type, file.name, file.data) == ("image/png", "sample-thumbnail.png", data)


# --------------------------------------------------------------------------- which posts, which bytes


def _video(**changes) -> Video:
    return Video(id="IHZwWFHWa-w", url="https://www.youtube.com/watch?v=IHZwWFHWa-w", title=TITLE,
                 thumbnails=["https://i.ytimg.com/vi/IHZwWFHWa-w/maxresdefault.jpg"]).model_copy(update=changes)


def _connector(platform: str, **options):
    from postgen.checks import connector_for

    return connector_for(platform, parse_config({"platforms": {platform: options}} if options else {}))


@pytest.mark.parametrize("platform", ["x", "linkedin"])
def test_a_picture_goes_with_a_post_whose_link_is_not_inline(platform):
    post = Post(id=f"{platform}-naval", platform=platform, framework="naval", link_policy="first_comment")
    media = plan(post, _video(), _connector(platform))
    assert media.sources == _video().thumbnails and media.alt == TITLE and media.state == "pending"
    inline = post.model_copy(update={"link_policy": "inline"})
    assert plan(inline, _video(), _connector(platform)) is None  # the platform's link card shows it
    assert plan(post, _video(), _connector(platform, media="none")) is None
    assert plan(post, _video(thumbnails=[]), _connector(platform)) is None


def test_reddit_keeps_self_posts_and_a_config_asking_otherwise_is_told(cli, isolated):
    assert not supports_media(_connector("reddit"))
    (isolated / "postgen.toml").write_text('[platforms.reddit]\nmedia = "thumbnail"\n', encoding="utf-8")
    assert cli("run", "--dry-run").exit_code == 0
    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    assert all(p.media is None for p in run.posts if p.platform == "reddit")
    assert all(p.media is not None for p in run.posts if p.platform in ("x", "linkedin"))
    assert any("[platforms.reddit] media" in w and "cannot upload pictures" in w for w in run.warnings)


def test_youtube_videos_offer_the_best_size_first():
    from postgen.sources.youtube import youtube_thumbnails

    assert youtube_thumbnails("IHZwWFHWa-w") == ["https://i.ytimg.com/vi/IHZwWFHWa-w/maxresdefault.jpg",
                                                  "https://i.ytimg.com/vi/IHZwWFHWa-w/hqdefault.jpg"]


@pytest.mark.vcr("thumbnail_maxres_missing.yaml")
def test_a_missing_maxresdefault_falls_back_to_hqdefault(vcr):
    from postgen.media import youtube_thumbnails

    file = load(Media(sources=youtube_thumbnails("IHZwWFHWa-w"), alt=TITLE))
    assert file.mime_type == "image/jpeg" and file.name == "hqdefault.jpg" and vcr.play_count == 2


def test_a_picture_that_cannot_be_had_says_why(tmp_path):
    with pytest.raises(MediaError, match=r"no picture found .*gone.png.*also-gone.png"):
        load(Media(sources=["gone.png", "also-gone.png"], alt="a"), tmp_path)
    (tmp_path / "notes.txt").write_text("not a picture", encoding="utf-8")
    with pytest.raises(MediaError, match="not a PNG, JPEG, GIF or WebP"):
        load(Media(sources=["notes.txt"], alt="a"), tmp_path)


# --------------------------------------------------------------------------- the upload step


def _run(platform: str, folder: Path, media: Media | None = None) -> Path:
    shutil.copy(DATA / "tiny-thumbnail.png", folder / "tiny-thumbnail.png")
    media = media or Media(sources=["tiny-thumbnail.png"], alt=TITLE)
    run = Run(id="2026-11-02-IHZwWFHWa-w", created="2026-11-02T07:00:00Z", video=_video(),
              posts=[Post(id=f"{platform}-naval", platform=platform, framework="naval", body=TEXT, link=LINK,
                          state=PostState.ready, media=media)])
    path = runfile.path_for(folder / "runs", run)
    runfile.save(path, run)
    return path


def _publish(path: Path) -> list[ledger.Outcome]:
    return ledger.Publisher(parse_config({}), sleep=lambda s: None).publish_run(path)


@pytest.fixture
def platform_env(monkeypatch):
    def use(platform: str) -> None:
        for key, value in ENV[platform].items():
            monkeypatch.setenv(key, value)
    return use


@pytest.mark.parametrize("platform", ["x", "linkedin"])
def test_the_picture_is_uploaded_then_the_post_carries_it(platform, platform_env, named_cassette, isolated):
    platform_env(platform)
    path = _run(platform, isolated)
    with named_cassette(f"{platform}_picture_then_post") as cassette:
        outcomes = _publish(path)
        assert cassette.all_played and cassette.play_count == 4  # upload x2, post, link follow-up
    assert [(o.status, o.reason) for o in outcomes] == [("published", "")]
    post = runfile.load(path).posts[0]
    assert post.media.state == "uploaded" and post.media.attempts == 1
    assert post.media.remote_id == {"x": "1880028106020515840", "linkedin": "urn:li:image:D4E10AQFoyyAjHPMQuQ"}[platform]
    if platform == "x":  # X's ids lapse a day after the upload; LinkedIn's image URNs do not
        assert timedelta(hours=23) < post.media.expires_at - utcnow() <= timedelta(hours=24)
    assert post.publication.warnings == []  # X's stored text ends with the picture's own t.co link: not a difference
    assert [f.state for f in post.publication.follow_ups] == ["published"]


def _dies_once_the_upload_is_saved(monkeypatch):
    """The process dies right after the media id was saved, before the post's intent."""
    real = runfile.save
    state = {"armed": True}

    def save(path, run):
        real(path, run)
        post = run.posts[0]
        if state["armed"] and post.media.state == "uploaded" and post.state is PostState.ready:
            state["armed"] = False
            raise Crash("after the upload, before the post")

    monkeypatch.setattr(runfile, "save", save)


@pytest.mark.parametrize("platform", ["x", "linkedin"])
def test_a_crash_between_upload_and_post_uploads_once_and_loses_no_post(platform, platform_env, named_cassette,
                                                                        isolated, monkeypatch):
    """The cassette holds one upload: a second would find nothing to replay and fail the test."""
    platform_env(platform)
    path = _run(platform, isolated)
    _dies_once_the_upload_is_saved(monkeypatch)
    with named_cassette(f"{platform}_picture_then_post") as cassette:
        with pytest.raises(Crash):
            _publish(path)
        saved = runfile.load(path).posts[0]
        assert saved.state is PostState.ready and saved.media.state == "uploaded" and cassette.play_count == 2
        outcomes = _publish(path)  # the next pass
        assert cassette.all_played and cassette.play_count == 4  # the one upload was not asked for twice
    assert [o.status for o in outcomes] == ["published"]
    post = runfile.load(path).posts[0]
    assert post.state is PostState.published and post.media.attempts == 1
    assert post.publication.remote_id in ("1861000000000000001", "urn:li:share:7265000000000000001")


@pytest.mark.parametrize("platform", ["x", "linkedin"])
def test_a_refused_upload_sends_the_post_as_text_with_a_note(platform, platform_env, named_cassette, isolated):
    platform_env(platform)
    path = _run(platform, isolated)
    with named_cassette(f"{platform}_picture_refused") as cassette:
        outcomes = _publish(path)
        assert cassette.all_played and cassette.play_count == 3  # refused upload, text post, link follow-up
    [outcome] = outcomes
    platform_name = {"x": "X", "linkedin": "LinkedIn"}[platform]
    assert outcome.status == "published" and f"posted without the picture: {platform_name} forbids this (403)" in outcome.reason
    post = runfile.load(path).posts[0]
    assert post.media.state == "failed" and post.media.error_kind == "permission" and post.media.attempts == 1
    assert post.publication.warnings[0].startswith(f"posted without the picture: {platform_name} forbids this (403)")
    assert _publish(path) == []  # nothing left: no retry of the picture once the post is out


@pytest.mark.vcr("x_picture_after_a_503.yaml")
def test_an_upload_that_fails_once_is_tried_again_in_the_same_pass(platform_env, isolated, vcr):
    platform_env("x")
    path = _run("x", isolated)
    assert [o.status for o in _publish(path)] == ["published"]
    post = runfile.load(path).posts[0]
    assert (post.media.state, post.media.attempts, post.media.remote_id) == ("uploaded", 2, "1880028106020515840")
    assert vcr.all_played and vcr.play_count == 5


@pytest.mark.vcr("x_picture_then_post.yaml")
def test_an_id_past_its_time_is_uploaded_again(platform_env, isolated, vcr):
    """A post deferred for more than a day: its media id has lapsed, so the picture goes up again."""
    platform_env("x")
    stale = Media(sources=["tiny-thumbnail.png"], alt=TITLE, state="uploaded", remote_id="1700000000000000000",
                  expires_at=utcnow() - timedelta(hours=1), attempts=1)
    path = _run("x", isolated, stale)
    assert [o.status for o in _publish(path)] == ["published"]
    post = runfile.load(path).posts[0]
    assert (post.media.remote_id, post.media.attempts) == ("1880028106020515840", 2) and vcr.all_played


def test_a_picture_that_cannot_be_read_never_holds_the_post_back(isolated):
    """No upload is even tried; the post goes as text, and says why."""

    class Recorder(Connector):
        name = "x"
        sent: list[tuple[str, str | None]] = []

        def upload_media(self, post, media):  # pragma: no cover - must not be called
            raise AssertionError("nothing to upload")

        def validate(self, post):
            return []

        def publish(self, post):
            from postgen.connector import uploaded_media
            from postgen.models import Publication

            self.sent.append((post.body, uploaded_media(post)))
            return Publication(remote_id="1", url="https://x.com/i/web/status/1")

    path = _run("x", isolated, Media(sources=["gone.png"], alt=TITLE))
    run = runfile.load(path)
    run.posts[0].link_policy = "none"
    runfile.save(path, run)
    outcomes = ledger.Publisher(parse_config({}), connector_for=lambda p: Recorder()).publish_run(path)
    assert Recorder.sent == [(TEXT, None)]
    assert outcomes[0].status == "published" and "posted without the picture: no picture found" in outcomes[0].reason
    assert runfile.load(path).posts[0].media.error_kind == "load"


def test_upload_media_returns_what_the_contract_says():
    """A plugin's upload_media: one that the core can tell apart from the base class."""

    class WithPictures(Connector):
        name = "pics"

        def upload_media(self, post: Post, media: MediaFile) -> UploadedMedia:
            return UploadedMedia(remote_id=f"{media.name}:{len(media.data)}")

    assert supports_media(WithPictures()) and not supports_media(Connector())


@pytest.mark.parametrize("platform,cost", [("x", 0.015 + 0.20 + 0.015 + 0.005), ("linkedin", 0.0)])
def test_the_dry_run_shows_the_picture_and_counts_its_calls(platform, cost, cli, isolated):
    """X: the post, the link reply (a URL), the upload and its alt text; the pass's spend too."""
    path = _run(platform, isolated)
    shown = cli("publish", str(path), "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert f"-- image: tiny-thumbnail.png (alt text: '{TITLE}')" in shown.output
    assert f"-- estimated API cost: ${cost:.4f}" in shown.output
    if cost:
        assert f"platform spend: ${cost:.3f} in this pass" in shown.output


def test_the_upload_is_a_step_of_its_own_through_the_durable_hook(isolated):
    """Intent and outcome of the upload each reach `durable` (CI pushes them) before the post's
    own intent: a record elsewhere shows the media id before anything uses it."""
    from postgen.models import Publication

    class Pictures(Connector):
        name = "x"

        def upload_media(self, post, media):
            return UploadedMedia(remote_id="1880028106020515840")

        def validate(self, post):
            return []

        def publish(self, post):
            from postgen.connector import uploaded_media

            assert uploaded_media(post) == "1880028106020515840"
            return Publication(remote_id="1", url="https://x.com/i/web/status/1")

    path = _run("x", isolated)
    run = runfile.load(path)
    run.posts[0].link_policy = "none"
    runfile.save(path, run)
    seen: list[tuple[str, str, str]] = []

    def durable(paths, moment):
        post = runfile.load(paths[0]).posts[0]
        seen.append((moment, post.media.state, post.state.value))

    outcomes = ledger.Publisher(parse_config({}), connector_for=lambda p: Pictures(), durable=durable).publish_run(path)
    assert [o.status for o in outcomes] == ["published"]
    assert seen[:4] == [("intent", "uploading", "ready"), ("outcome", "uploaded", "ready"),
                        ("intent", "uploaded", "publishing"), ("outcome", "uploaded", "published")]


def test_the_offline_quickstart_shows_each_posts_picture_and_timed_link(cli, isolated):
    """`postgen run --dry-run`, then `postgen publish latest --dry-run`, on a fresh machine: 15 of
    15 ready; every X and LinkedIn post (link in the first reply/comment) shows the sample's
    picture, every post's link opens the talk at its moment, Reddit stays a self post."""
    import re

    made = cli("run", "--dry-run")
    assert made.exit_code == 0 and "15 of 15 ready" in made.output, made.output
    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    shown = cli("publish", "latest", "--dry-run")
    assert shown.exit_code == 0, shown.output
    blocks = {m.group(1): m.group(0) for m in re.finditer(r"^== (\S+) \(\w+\)\n.*?(?=^== |\Z)", shown.output, re.M | re.S)}
    assert set(blocks) == {p.id for p in run.posts}
    for post in run.posts:
        block = blocks[post.id]
        assert post.link.startswith("https://example.com/talks/birthday-paradox#t=")
        assert f"\n{post.link}\n" in block  # the link reply/comment as sent
        assert re.search(r"^-- link opens the video at \d+:\d\d: ", block, re.M)
        has_picture = "-- image: sample-thumbnail.png (alt text: 'The Birthday Paradox" in block
        assert has_picture == (post.platform in ("x", "linkedin")), post.id


def test_the_journal_keeps_the_media_id_when_a_stale_run_file_comes_back(platform_env, named_cassette, isolated,
                                                                          monkeypatch):
    """The journal is the authority: a person's older copy of the run file (merged by git after
    the upload) lacks the media id; the next pass reads it back from the journal and does not
    upload again (the cassette holds one upload)."""
    platform_env("x")
    path = _run("x", isolated)
    stale = path.read_text(encoding="utf-8")
    real = runfile.save

    def save(target, run):  # dies as the post's intent is saved: the upload's outcome is on the journal
        if run.posts[0].state is PostState.publishing:
            raise Crash("before the post's intent")
        real(target, run)

    monkeypatch.setattr(runfile, "save", save)
    with named_cassette("x_picture_then_post") as cassette:
        with pytest.raises(Crash):
            _publish(path)
        monkeypatch.setattr(runfile, "save", real)
        path.write_text(stale, encoding="utf-8")  # the copy from before the upload
        assert runfile.load(path).posts[0].media.state == "pending"
        assert [o.status for o in _publish(path)] == ["published"]
        assert cassette.all_played and cassette.play_count == 4
    post = runfile.load(path).posts[0]
    assert post.media.remote_id == "1880028106020515840" and post.media.attempts == 1


def test_a_replan_at_the_uploads_intent_uploads_nothing_then_goes_on(isolated):
    """CI's push of the upload's intent is rejected (someone else moved the ledger): nothing is
    uploaded, the intent is withdrawn, the pass plans again and uploads once."""
    from postgen.models import Publication

    calls: list[str] = []

    class Pictures(Connector):
        name = "x"

        def upload_media(self, post, media):
            calls.append("upload")
            return UploadedMedia(remote_id="1880028106020515840")

        def validate(self, post):
            return []

        def publish(self, post):
            from postgen.connector import uploaded_media

            calls.append(f"post with {uploaded_media(post)}")
            return Publication(remote_id="1", url="https://x.com/i/web/status/1")

    path = _run("x", isolated)
    run = runfile.load(path)
    run.posts[0].link_policy = "none"
    runfile.save(path, run)
    refused = []

    def durable(paths, moment):
        if moment == "intent" and not refused:
            refused.append(runfile.load(paths[0]).posts[0].media.state)
            raise ledger.Replan("the push was rejected")

    outcomes = ledger.Publisher(parse_config({}), connector_for=lambda p: Pictures(), durable=durable).publish_run(path)
    assert refused == ["uploading"] and [o.status for o in outcomes] == ["published"]
    assert calls == ["upload", "post with 1880028106020515840"]
    post = runfile.load(path).posts[0]
    assert post.media.state == "uploaded" and post.media.attempts == 1  # the withdrawn intent left no trace
