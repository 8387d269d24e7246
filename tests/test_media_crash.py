"""Posts with a picture, killed at every step: the real ledger and the real X connector against a
fake X at requests' transport adapter (tweepy's signing and error code run), which counts the
uploads it received and checks that every post with media names an id it handed out.

Promise checked at each step: every post is on X once, with its picture and its link reply; no
post is lost; a picture is uploaded again only when the crash hit between the upload call and
the saving of its id (nobody sees an unused upload), never once the id was saved."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import test_ledger_crash_connectors as crash
from postgen import runfile
from postgen.models import Media, PostState

TINY = Path(__file__).parent / "data" / "tiny-thumbnail.png"


class FakeXWithMedia(crash.FakeX):
    """X with POST /2/media/upload and /2/media/metadata; a post naming an id X never gave out
    is refused (400), and a post with a picture comes back with the picture's t.co link."""

    def __init__(self, step):
        super().__init__(step)
        self.uploads: list[str] = []
        self.media_of: dict[str, str] = {}  # post id -> media id it carries

    def handle(self, request):
        path = urlsplit(request.url).path
        if request.method == "POST" and path == "/2/media/upload":
            body = json.loads(request.body)
            assert body["media_category"] == "tweet_image" and body["media_type"] == "image/png"
            self.step("upload.before")
            media_id = str(1880028106020515840 + len(self.uploads))
            self.uploads.append(media_id)
            self.step("upload.after")
            return crash._response(request, 200, {"data": {"id": media_id, "media_key": f"3_{media_id}", "size": 87,
                                                           "expires_after_secs": 86400}})
        if request.method == "POST" and path == "/2/media/metadata":
            body = json.loads(request.body)
            return crash._response(request, 200, {"data": {"id": body["id"], "associated_metadata": body["metadata"]}})
        if request.method == "POST" and path == "/2/tweets":
            body = json.loads(request.body)
            media = (body.get("media") or {}).get("media_ids") or []
            if any(m not in self.uploads for m in media):
                return crash._response(request, 400, {"title": "Invalid Request", "type": "about:blank", "status": 400,
                                                      "detail": "Your media IDs are invalid."})
            before = {i.id for i in self.items}
            try:
                return super().handle(request)
            finally:  # a crash as X answers (create.after) leaves the post there, picture and all
                for item in self.items:
                    if item.id not in before and media:
                        self.media_of[item.id] = media[0]
        response = super().handle(request)
        if request.method == "GET" and path.endswith("/tweets") and response.status_code == 200:
            answer = json.loads(response._content)
            for tweet in answer.get("data", []):
                if tweet["id"] in self.media_of:
                    tweet["text"] += " https://t.co/Zq3kMv9PaB"  # X ends a post with a picture with its link
            response._content = json.dumps(answer).encode()
        return response


@pytest.fixture
def world(monkeypatch, tmp_path, isolated):
    monkeypatch.setitem(crash.FAKES, "x", FakeXWithMedia)
    shutil.copy(TINY, isolated / "tiny-thumbnail.png")  # config base_dir: the working folder
    return lambda: crash.World("x", monkeypatch, tmp_path)


def _with_pictures(w: crash.World, where: str) -> Path:
    path = w.make_run(where)
    run = runfile.load(path)
    for post in run.posts:
        post.media = Media(sources=["tiny-thumbnail.png"], alt="A talk")
    crash.SAVE(path, run)
    return path


def _posts_intent(step: str, run) -> bool:
    """The save of the first post's intent: its picture's id is on disk, the post not yet sent."""
    return step == "save" and run is not None and any(p.state is PostState.publishing for p in run.posts)


def _check(w: crash.World, path: Path) -> None:
    w.assert_once_each(path)
    assert w.platform.create_calls == len(crash.FRAMEWORKS), "a post was sent twice"
    for post in runfile.load(path).posts:
        assert post.media.state == "uploaded"
        assert w.platform.media_of[post.publication.remote_id] == post.media.remote_id, f"{post.id} lost its picture"


def test_crash_at_every_step_with_pictures(world):
    clean = world()
    tracer = crash.Tracer()
    path = _with_pictures(clean, "clean")
    assert [o.status for o in clean.publish(path, tracer)] == ["published"] * len(crash.FRAMEWORKS)
    _check(clean, path)
    steps = tracer.steps
    assert {"upload.before", "upload.after", "create.before", "create.after"} <= set(steps)
    assert len(clean.platform.uploads) == len(crash.FRAMEWORKS)
    for k in range(1, len(steps) + 1):
        w = world()
        path = _with_pictures(w, f"crash{k}")
        with pytest.raises(crash.Crash):
            w.publish(path, crash.Tracer(k))
        runfile.load(path)  # whole, whatever step it died at
        w.settle(path)
        # X took an upload whose id was never saved: the crash hit as X answered, or lost the save after it.
        unsaved_upload = steps[k - 1] == "upload.after" or (steps[k - 1] == "save" and steps[k - 2] == "upload.after")
        try:
            _check(w, path)
            assert len(w.platform.uploads) == len(crash.FRAMEWORKS) + unsaved_upload, "a saved picture was uploaded again"
            assert w.asked == 0, "postgen asked a person although X could tell"
        except AssertionError as exc:
            raise AssertionError(f"crash at step {k} ({steps[k - 1]}): {exc}") from None


def test_a_crash_after_the_id_is_saved_never_uploads_again(world):
    w = world()
    path = _with_pictures(w, "runs")
    with pytest.raises(crash.Crash):
        w.publish(path, crash.Tracer(_posts_intent))
    assert len(w.platform.uploads) == 1 and w.platform.create_calls == 0
    assert runfile.load(path).posts[0].media.state == "uploaded"
    assert [o.status for o in w.publish(path)] == ["published"] * len(crash.FRAMEWORKS)
    _check(w, path)
    assert len(w.platform.uploads) == len(crash.FRAMEWORKS)
