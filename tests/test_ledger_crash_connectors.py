"""Crash injection against the real X, Reddit and LinkedIn connectors, through the real ledger.

tests/test_ledger_crash.py kills publishing at every step with connectors that imitate the
platforms; here the connectors are the real ones and only the platform is fake, at the boundary
each connector really talks to: X and LinkedIn at requests' transport adapter (tweepy's own
request and error code runs, so does the connector's requests session), Reddit at the object
`praw.Reddit(...)` returns. Each fake platform remembers what it holds and counts create calls,
so a post created twice, or lost, shows.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from postgen import checks, ledger, runfile
from postgen.config import parse_config
from postgen.models import Post, PostState, Run, Video

FRAMEWORKS = ("hormozi", "naval")
LINK = "https://www.youtube.com/watch?v=IHZwWFHWa-w"
CONFIG = {"platforms": {"reddit": {"subreddit": "postgen_test"}}}
ENV = {
    "x": {"X_API_KEY": "test-key", "X_API_SECRET": "test-secret", "X_ACCESS_TOKEN": "test-token",
          "X_ACCESS_TOKEN_SECRET": "test-token-secret"},
    "reddit": {"REDDIT_CLIENT_ID": "test-id", "REDDIT_CLIENT_SECRET": "test-secret", "REDDIT_USERNAME": "postgen_test",
               "REDDIT_PASSWORD": "test-password"},
    "linkedin": {"LINKEDIN_ACCESS_TOKEN": "test-token"},
}
PLATFORMS = tuple(ENV)
SAVE = runfile.save  # the real one, whatever a test patches in


class Crash(BaseException):
    """The process dies here (not an Exception: nothing may catch it on the way out)."""


class Tracer:
    """Sees every step where the process could die (platform calls, run-file saves) and dies at
    the chosen one: the k-th step, or the first step `when(step, run)` picks. Once."""

    def __init__(self, when: int | Callable[[str, Run | None], bool] | None = None):
        self.when = when
        self.steps: list[str] = []

    def __call__(self, step: str, run: Run | None = None) -> None:
        self.steps.append(step)
        when = self.when
        hit = when == len(self.steps) if isinstance(when, int) else bool(when and when(step, run))
        if hit:
            self.when = None
            raise Crash(step)


# --------------------------------------------------------------------------- fake platforms


@dataclass
class Item:
    """Something on a platform: a post, or a follow-up when `on` names its parent's id."""

    id: str
    text: str
    on: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class FakePlatform:
    """What a platform holds. `step(name)` is where a test makes the process die."""

    def __init__(self, step: Callable[[str], None]):
        self.step = step
        self.items: list[Item] = []
        self.create_calls = 0  # calls that create a post (not a follow-up), refused ones included
        self.ids = itertools.count(1)
        self.lookup_down = False  # the platform's lookup answers 503 (X, Reddit)
        self.unreachable = False  # connections are refused: nothing reaches the platform

    def posts(self, text: str) -> list[Item]:
        return [i for i in self.items if i.on is None and i.text == text]

    def follow_ups(self, root: str) -> list[Item]:
        """Everything hanging under a post, replies to replies included (an X thread)."""
        found, parents = [], {root}
        for item in self.items:
            if item.on in parents:
                found.append(item)
                parents.add(item.id)
        return found

    def create(self, text: str, make_id: Callable[[int], str], **extra: Any) -> Item:
        self.step("create.before")  # dies before the request reaches the platform
        self.create_calls += 1
        item = Item(make_id(next(self.ids)), text, extra=extra)
        self.items.append(item)
        self.step("create.after")  # the platform has it; the caller never hears
        return item

    def reply(self, on: str, text: str, make_id: Callable[[int], str]) -> Item:
        self.step("follow_up.before")
        item = Item(make_id(next(self.ids)), text, on=on)
        self.items.append(item)
        self.step("follow_up.after")
        return item


def _response(request, status: int, body: Any = None, headers: dict | None = None):
    import requests
    from requests.structures import CaseInsensitiveDict

    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 201: "Created", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                       422: "Unprocessable Entity"}.get(status, "")
    response.headers = CaseInsensitiveDict(headers or {})
    response._content = b"" if body is None else json.dumps(body).encode()
    if body is not None:
        response.headers.setdefault("Content-Type", "application/json; charset=utf-8")
    response.encoding = "utf-8"
    response.request = request
    response.url = request.url
    return response


class FakeX(FakePlatform):
    """api.twitter.com/2 as tweepy calls it: POST /2/tweets (403 on the same text again, as a post
    or as a reply to the same post), GET /2/users/me and /2/users/:id/tweets (newest first, text
    as X returns it: entities escaped, URLs t.co-shortened)."""

    host = "api.twitter.com"
    user_id = "2244994945"

    def tweet_id(self, n: int) -> str:
        return str(1861000000000000000 + n)

    def url(self, item: Item) -> str:
        return f"https://x.com/postgen_test/status/{item.id}"

    @staticmethod
    def as_returned(text: str) -> str:
        return re.sub(r"https?://\S+", "https://t.co/AbCdEfGhIj", html.escape(text, quote=False))

    def handle(self, request):
        if not str(request.headers.get("Authorization", "")).startswith("OAuth "):
            return _response(request, 401, {"title": "Unauthorized", "status": 401, "detail": "Unauthorized"})
        url = urlsplit(request.url)
        if request.method == "POST" and url.path == "/2/tweets":
            body = json.loads(request.body)
            text, reply_to = body["text"], (body.get("reply") or {}).get("in_reply_to_tweet_id")
            # The same text again is refused (whether a reply to another post counts is unverified: not here).
            if any(i.text == text and i.on == reply_to for i in self.items):
                self.create_calls += not reply_to
                return _response(request, 403, {"title": "Forbidden", "type": "about:blank", "status": 403,
                                                "detail": "You are not allowed to create a Tweet with duplicate content."})
            if reply_to:
                item = self.reply(reply_to, text, self.tweet_id)
            else:
                item = self.create(text, self.tweet_id)
            return _response(request, 201, {"data": {"id": item.id, "text": text, "edit_history_tweet_ids": [item.id]}})
        if request.method == "GET" and url.path == "/2/users/me":
            return _response(request, 200, {"data": {"id": self.user_id, "name": "Postgen Test", "username": "postgen_test"}})
        if request.method == "GET" and url.path == f"/2/users/{self.user_id}/tweets":
            if self.lookup_down:
                return _response(request, 503, {"title": "Service Unavailable", "detail": "Service Unavailable",
                                                "type": "about:blank", "status": 503})
            query = parse_qs(url.query)
            limit = int(query.get("max_results", ["10"])[0])
            newest = list(reversed(self.items))[:limit]
            data = [{"id": i.id, "text": self.as_returned(i.text), "edit_history_tweet_ids": [i.id]} for i in newest]
            if "referenced_tweets" in query.get("tweet.fields", [""])[0].split(","):
                for item, tweet in zip(newest, data):
                    if item.on:
                        tweet["referenced_tweets"] = [{"type": "replied_to", "id": item.on}]
            meta = {"result_count": len(data)}
            return _response(request, 200, {"data": data, "meta": meta} if data else {"meta": meta})
        return _response(request, 404, {"title": "Not Found", "status": 404, "detail": f"no route {url.path}"})


class FakeLinkedIn(FakePlatform):
    """api.linkedin.com as the connector calls it: GET /v2/userinfo, POST /rest/posts (201 with
    x-restli-id; 422 DUPLICATE_POST naming the existing post), POST .../comments. No lookup.
    `gateway` queues 5xx answers for the next creates: (status, whether the post landed first)."""

    host = "api.linkedin.com"
    gateway: list[tuple[int, bool]]

    def share_urn(self, n: int) -> str:
        return f"urn:li:share:{7265000000000000000 + n}"

    def comment_urn(self, n: int) -> str:
        return f"urn:li:comment:(urn:li:activity:{7265000000000000000 + n},{7265000000000000500 + n})"

    def url(self, item: Item) -> str:
        return f"https://www.linkedin.com/feed/update/{item.id}/"

    def handle(self, request):
        if request.headers.get("Authorization") != "Bearer test-token" or not request.headers.get("LinkedIn-Version"):
            return _response(request, 401, {"status": 401, "serviceErrorCode": 65600, "code": "REVOKED_ACCESS_TOKEN",
                                            "message": "The token used in the request has been revoked by the user"})
        path = urlsplit(request.url).path
        if request.method == "GET" and path == "/v2/userinfo":
            return _response(request, 200, {"sub": "782bbtaQ", "name": "Postgen Test", "email_verified": True})
        if request.method == "POST" and path == "/rest/posts":
            body = json.loads(request.body)
            text = body["commentary"]
            if self.posts(text):
                self.create_calls += 1
                return _response(request, 422, {
                    "errorDetailType": "com.linkedin.common.error.BadRequest", "status": 422,
                    "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
                               f"Content is a duplicate of {self.posts(text)[0].id}",
                    "errorDetails": {"inputErrors": [{"description": "Duplicate post is detected", "input": {},
                                                      "code": "DUPLICATE_POST"}]}})
            if getattr(self, "gateway", None):
                status, landed = self.gateway.pop(0)
                if landed:
                    self.create(text, self.share_urn, author=body["author"])
                else:
                    self.create_calls += 1
                return _response(request, status, {"status": status, "message": "Bad Gateway"})
            item = self.create(text, self.share_urn, author=body["author"])
            return _response(request, 201, None, {"x-restli-id": item.id})
        match = re.fullmatch(r"/rest/socialActions/([^/]+)/comments", path)
        if request.method == "POST" and match:
            body = json.loads(request.body)
            on = unquote(match.group(1))
            assert body["object"] == on
            item = self.reply(on, body["message"]["text"], self.comment_urn)
            return _response(request, 201, {**body, "commentUrn": item.id, "$URN": item.id}, {"x-restli-id": item.id})
        return _response(request, 404, {"status": 404, "message": f"no route {path}"})


class FakeReddit(FakePlatform):
    """Reddit as praw's objects show it: subreddit(name).submit(...), submission(id=).reply(...)
    and .comments, user.me().submissions.new(limit=...). Reddit accepts a duplicate self post
    without a word. `reply_hands_back = False`: reply() makes the comment and answers None, as
    praw does when Reddit does not return it."""

    reply_hands_back = True

    def submission_id(self, n: int) -> str:
        return f"1h{n:04x}"

    def comment_id(self, n: int) -> str:
        return f"m{n:05x}"

    def url(self, item: Item) -> str:
        return f"https://www.reddit.com/r/{item.extra['subreddit']}/comments/{item.id}/a_title/"

    def client(self, **kwargs: Any) -> Any:
        """What `praw.Reddit(**kwargs)` returns."""
        assert kwargs["client_id"] == "test-id" and kwargs["username"] == "postgen_test"
        platform = self

        def submit(name: str, title: str, selftext: str = "", flair_id=None, flair_text=None, **_):
            if platform.unreachable:
                from prawcore.exceptions import RequestException

                raise RequestException(_refused(), (), {})  # prawcore wraps what requests raised
            item = platform.create(title, platform.submission_id, subreddit=name, selftext=selftext)
            return SimpleNamespace(id=item.id, selftext=selftext)

        def reply(submission_id: str, body: str):
            made = platform.reply(submission_id, body, platform.comment_id)
            return SimpleNamespace(id=made.id) if platform.reply_hands_back else None

        def comments(submission_id: str):
            found = [SimpleNamespace(id=i.id, body=i.text, author=SimpleNamespace(name="postgen_test"))
                     for i in platform.follow_ups(submission_id)]
            return SimpleNamespace(replace_more=lambda limit=None: [], list=lambda: found)

        def new(limit: int = 100):
            if platform.lookup_down:
                from prawcore.exceptions import ServerError

                raise ServerError(SimpleNamespace(status_code=503, text="Service Unavailable", headers={}))
            for item in list(reversed([i for i in platform.items if i.on is None]))[:limit]:
                yield SimpleNamespace(id=item.id, title=item.text,
                                      subreddit=SimpleNamespace(display_name=item.extra["subreddit"]))

        me = SimpleNamespace(name="postgen_test", submissions=SimpleNamespace(new=new))
        return SimpleNamespace(
            subreddit=lambda name: SimpleNamespace(submit=lambda *a, **k: submit(name, *a, **k)),
            submission=lambda id: SimpleNamespace(id=id, reply=lambda body: reply(id, body), comments=comments(id)),
            user=SimpleNamespace(me=lambda: me),
        )


FAKES = {"x": FakeX, "linkedin": FakeLinkedIn, "reddit": FakeReddit}


def _refused():
    """What requests raises when the connection is refused (nothing was sent)."""
    import requests
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason))


# --------------------------------------------------------------------------- the world


class World:
    """One platform, faked at its boundary; the run file's saves and the platform's steps all go
    through `self.tracer`, which a test arms to die at one of them."""

    def __init__(self, platform: str, monkeypatch, tmp_path: Path, config: dict | None = None):
        self.name = platform
        self.tracer: Tracer | None = None
        self.asked = 0  # decisions postgen asked a person for
        self.config = parse_config(config or CONFIG)
        self.platform: FakePlatform = FAKES[platform](self.step)
        self.tmp_path = tmp_path
        self.clock = datetime.now(timezone.utc).replace(microsecond=0)
        for key, value in ENV[platform].items():
            monkeypatch.setenv(key, value)
        if platform == "reddit":
            import praw

            monkeypatch.setattr(praw, "Reddit", self.platform.client)
        else:
            from requests.adapters import HTTPAdapter

            fake = self.platform

            def send(adapter, request, **kwargs):
                assert urlsplit(request.url).netloc == fake.host, f"unexpected call to {request.url}"
                if fake.unreachable:
                    raise _refused()
                return fake.handle(request)

            monkeypatch.setattr(HTTPAdapter, "send", send)

        def save(path, run):
            self.step("save", run)  # a crash here loses this save
            SAVE(path, run)

        monkeypatch.setattr(runfile, "save", save)
        from postgen.ledger.journal import Journal

        write = Journal._write

        def journal_write(journal, line):
            self.step("journal")  # the run file is saved, its journal line not yet
            write(journal, line)

        monkeypatch.setattr(Journal, "_write", journal_write)

    def step(self, name: str, run: Run | None = None) -> None:
        if self.tracer is not None:
            self.tracer(name, run)

    def make_run(self, where: str, body: Callable[[str], str] | None = None, link_policy: str = "first_comment") -> Path:
        body = body or (lambda fw: f"The {fw} idea, in one line: Q&A <beats> talk.\nSecond line for {fw}.")
        run = Run(
            id="2026-11-02-abc123XYZ_0",
            created="2026-11-02T07:00:00Z",
            video=Video(id="abc123XYZ_0", url=LINK, title="A talk"),
            posts=[Post(id=f"{self.name}-{fw}", platform=self.name, framework=fw, body=body(fw), link=LINK,
                        title=f"What {fw} says about talks" if self.name == "reddit" else None, state=PostState.ready,
                        link_policy=link_policy)
                   for fw in FRAMEWORKS],
        )
        path = runfile.path_for(self.tmp_path / where, run)
        runfile.save(path, run)
        return path

    def publish(self, path: Path, tracer: Tracer | None = None, **selection) -> list[ledger.Outcome]:
        """One `postgen publish RUN --yes` pass: the real Publisher with the real connectors, an
        hour after the previous one (as the hourly job runs: a listing that lags has caught up)."""
        import time_machine

        self.tracer = tracer
        self.clock += timedelta(hours=1)
        try:
            with time_machine.travel(self.clock, tick=False):
                return ledger.Publisher(self.config, sleep=lambda s: None).publish_run(path, **selection)
        finally:
            self.tracer = None

    def connector(self):
        return checks.connector_for(self.name, self.config)

    def sent(self, post: Post) -> str:
        """The text by which the platform knows the post."""
        connector = self.connector()
        return {"x": lambda: connector.parts(post)[0], "linkedin": lambda: connector.commentary(post),
                "reddit": lambda: post.title.strip()}[self.name]()

    def expected_follow_ups(self, post: Post) -> list[str]:
        link = [LINK] if post.link_policy == "first_comment" else []
        return self.connector().parts(post)[1:] + link if self.name == "x" else link

    def settle(self, path: Path) -> list[ledger.Outcome]:
        """Publish again; where postgen asks a person, decide as one who looked at the platform
        would (`postgen publish RUN --resolve POST --as ...`), and publish again."""
        outcomes = self.publish(path)
        for _ in range(3):
            unresolved = [o for o in outcomes if o.status == "unresolved"]
            if not unresolved:
                break
            run = runfile.load(path)
            self.asked += len(unresolved)
            for o in unresolved:
                assert "--resolve" in o.reason, o.reason  # the person is told exactly what to do
                there = self.platform.posts(self.sent(run.post(o.post_id)))
                if there:
                    ledger.resolve(path, o.post_id, "published", self.platform.url(there[0]), config=self.config)
                else:
                    ledger.resolve(path, o.post_id, "failed", config=self.config)
            outcomes = self.publish(path, post_ids=[o.post_id for o in unresolved]) + self.publish(path)
        return outcomes

    def assert_once_each(self, path: Path) -> None:
        """Every post on the platform exactly once and recorded so; no follow-up twice; a missing
        follow-up is on record as unknown, never silently dropped."""
        run = runfile.load(path)
        for post in run.posts:
            there = self.platform.posts(self.sent(post))
            assert len(there) == 1, f"{post.id} is on {self.name} {len(there)} times"
            assert post.state is PostState.published, f"{post.id} is {post.state.value}: lost"
            assert post.publication.remote_id == there[0].id
            follow = self.platform.follow_ups(there[0].id)
            texts = [i.text for i in follow]
            assert len(texts) == len(set(texts)), f"{post.id}: a follow-up was posted twice: {texts}"
            assert set(texts) <= set(self.expected_follow_ups(post))
            recorded = post.publication.follow_ups
            assert not post.follow_up_pending
            assert recorded or not self.expected_follow_ups(post), f"{post.id}: its follow-up is not on record"
            assert all(f.state != "publishing" for f in recorded)
            assert {f.remote_id for f in recorded if f.state == "published"} <= {i.id for i in follow}
            unknown = [f for f in recorded if f.state == "failed" and "unknown" in (f.error or "")]
            if sorted(texts) != sorted(self.expected_follow_ups(post)):
                assert unknown, f"{post.id}: follow-up missing on {self.name} and not reported: {recorded}"
            if not unknown:
                assert all(f.state == "published" for f in recorded), recorded


@pytest.fixture
def world(monkeypatch, tmp_path):
    return lambda platform, config=None: World(platform, monkeypatch, tmp_path, config)


# --------------------------------------------------------------------------- named crash points


def _saving_outcome(step: str, run: Run | None) -> bool:
    """The save that records the publication right after the create returned."""
    return step == "save" and any(p.state is PostState.published and p.follow_up_pending and not p.publication.follow_ups
                                  for p in run.posts)


def _saving_follow_up_intent(step: str, run: Run | None) -> bool:
    """Between post and follow-up: the post is recorded, the follow-up's intent not yet."""
    return step == "save" and any(p.publication and any(f.state == "publishing" for f in p.publication.follow_ups)
                                  for p in run.posts)


CRASHES: dict[str, Callable[[str, Run | None], bool]] = {
    "before_create": lambda step, run: step == "create.before",
    "after_accept": lambda step, run: step == "create.after",
    "save_after_create": _saving_outcome,
    "between_post_and_follow_up": _saving_follow_up_intent,
    "follow_up_before_accept": lambda step, run: step == "follow_up.before",
    "follow_up_after_accept": lambda step, run: step == "follow_up.after",
}
UNKNOWN_POST = ("before_create", "after_accept", "save_after_create")  # the post is left in `publishing`
UNKNOWN_FOLLOW_UP = ("follow_up_before_accept", "follow_up_after_accept")


@pytest.mark.parametrize("crash", CRASHES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_crash_then_publish_again(world, platform, crash):
    w = world(platform)
    path = w.make_run("runs")
    first = f"{platform}-{FRAMEWORKS[0]}"
    with pytest.raises(Crash):
        w.publish(path, Tracer(CRASHES[crash]))
    state = runfile.load(path).post(first)  # the file is whole, and says what it knew
    assert state.state is (PostState.publishing if crash in UNKNOWN_POST else PostState.published)

    calls = w.platform.create_calls
    again = {o.post_id: o for o in w.publish(path)}
    if crash in UNKNOWN_POST and platform == "linkedin":
        # LinkedIn cannot look posts up: nothing is re-sent, a person is asked.
        assert again[first].status == "unresolved" and "--resolve" in again[first].reason
        assert w.platform.create_calls == calls + 1  # only the other post went out
        assert runfile.load(path).post(first).state is PostState.publishing
    else:
        assert again[first].status == "published", again[first]
        assert w.platform.create_calls == calls + (crash == "before_create") + 1
    can_look = platform != "linkedin"  # a member's comments cannot be read back
    if crash in UNKNOWN_FOLLOW_UP and can_look:  # looked up: found, or not there and sent; never twice
        assert not again[first].follow_up_errors and again[first].follow_up == "", again[first]
    elif crash in UNKNOWN_FOLLOW_UP:  # reported, not re-sent and not silently lost: a person settles it
        assert again[first].follow_up == "decide" and "unknown" in again[first].follow_up_errors[0]
    w.settle(path)
    w.assert_once_each(path)
    assert w.platform.create_calls == len(FRAMEWORKS)  # not even a refused duplicate attempt
    follow = w.platform.follow_ups(w.platform.posts(w.sent(runfile.load(path).post(first)))[0].id)
    assert len(follow) == (0 if crash == "follow_up_before_accept" and not can_look else 1)


# --------------------------------------------------------------------------- every step


def _clean_steps(w: World, link_policy: str) -> list[str]:
    path = w.make_run("clean", link_policy=link_policy)
    tracer = Tracer()
    outcomes = w.publish(path, tracer)
    assert [o.status for o in outcomes] == ["published"] * len(FRAMEWORKS)
    w.assert_once_each(path)
    return tracer.steps


def _long(fw: str) -> str:
    return " ".join(f"Sentence {i} of the {fw} thread says one clear thing about the talk." for i in range(9))


@pytest.mark.parametrize("platform,config,body,link_policy", [
    ("x", None, None, "first_comment"),
    ("x", {"platforms": {"x": {"long_posts": "thread"}}}, _long, "first_comment"),
    ("x", None, None, "inline"),  # X returns the link t.co-shortened: the lookup must still match
    ("x", {"platforms": {"x": {"long_posts": "thread"}}}, _long, "inline"),  # a thread without a link reply
    ("reddit", None, None, "first_comment"),
    ("linkedin", None, None, "first_comment"),
], ids=["x", "x-thread", "x-inline-link", "x-thread-inline-link", "reddit", "linkedin"])
def test_crash_at_every_step(world, platform, config, body, link_policy):
    steps = _clean_steps(world(platform, config), link_policy)
    assert {"save", "journal", "create.before", "create.after"} <= set(steps)
    if link_policy == "first_comment":
        assert {"follow_up.before", "follow_up.after"} <= set(steps)
    for k in range(1, len(steps) + 1):
        w = world(platform, config)
        path = w.make_run(f"crash{k}", body, link_policy)
        with pytest.raises(Crash):
            w.publish(path, Tracer(k))
        runfile.load(path)
        w.settle(path)
        try:
            w.assert_once_each(path)
            assert w.platform.create_calls == len(FRAMEWORKS), "a create call was repeated"
            if platform != "linkedin":  # it can look posts up: no person needed
                assert w.asked == 0, "postgen asked a person although the platform could tell"
        except AssertionError as exc:
            raise AssertionError(f"crash at step {k} ({steps[k - 1]}): {exc}") from None


# --------------------------------------------------------------------------- found bugs


@pytest.mark.parametrize("platform", ("x", "reddit"))
def test_lookup_outage_after_a_crash_waits_for_the_next_run(world, platform):
    """A 503 from the lookup says nothing about the post: the ledger checks again next run (an
    unattended job can finish the work) instead of stopping for a person, and re-sends nothing."""
    w = world(platform)
    path = w.make_run("runs")
    first = f"{platform}-{FRAMEWORKS[0]}"
    with pytest.raises(Crash):
        w.publish(path, Tracer(CRASHES["after_accept"]))
    w.platform.lookup_down = True
    outcome = {o.post_id: o for o in w.publish(path, post_ids=[first])}[first]
    assert outcome.status == "deferred", outcome
    assert "check again" in outcome.reason and "503" in outcome.reason
    assert runfile.load(path).post(first).state is PostState.publishing
    assert w.platform.create_calls == 1
    w.platform.lookup_down = False
    outcomes = w.publish(path)
    assert [o.status for o in outcomes] == ["published", "published"]
    w.assert_once_each(path)
    assert w.platform.create_calls == len(FRAMEWORKS)


def test_linkedin_duplicate_answer_names_the_post(world):
    """After a crash, a person wrongly says --as failed and publishes again: LinkedIn refuses the
    copy (422 DUPLICATE_POST) and names the post it has. The ledger records that post instead of
    stopping to ask again, and its link comment goes out once."""
    w = world("linkedin")
    path = w.make_run("runs")
    first = "linkedin-hormozi"
    with pytest.raises(Crash):
        w.publish(path, Tracer(CRASHES["after_accept"]))
    assert {o.post_id: o.status for o in w.publish(path)}[first] == "unresolved"
    ledger.resolve(path, first, "failed")  # the person did not see it yet
    outcome = w.publish(path, post_ids=[first])[0]
    there = w.platform.posts(w.sent(runfile.load(path).post(first)))
    assert outcome.status == "published", outcome
    assert outcome.url == f"https://www.linkedin.com/feed/update/{there[0].id}"
    post = runfile.load(path).post(first)
    assert post.publication.remote_id == there[0].id and post.publication.url == outcome.url
    assert w.platform.create_calls == 3  # two posts, one refused copy
    w.assert_once_each(path)


# --------------------------------------------------------------------------- the command a person types


@pytest.mark.parametrize("platform", PLATFORMS)
def test_postgen_publish_after_a_crash(world, platform, cli, isolated):
    """The same through `postgen publish`: die after the platform accepted, run the command again
    (and, for LinkedIn, `--resolve` as its message says), and every post is there once."""
    (isolated / "postgen.toml").write_text('[platforms.reddit]\nsubreddit = "postgen_test"\n', encoding="utf-8")
    w = world(platform)
    path = w.make_run("work/runs")  # the config's runs folder: the run goes by its id
    assert path.parent == isolated / "runs"
    first = f"{platform}-{FRAMEWORKS[0]}"
    w.tracer = Tracer(CRASHES["after_accept"])
    with pytest.raises(Crash):
        cli("publish", str(path), "--yes", "--json")
    w.tracer = None
    result = cli("publish", str(path), "--yes", "--json")
    report = {o["post"]: o for o in json.loads(result.output)["outcomes"]}
    if platform == "linkedin":
        assert result.exit_code == 1 and report[first]["status"] == "unresolved"
        hint = re.search(r"postgen (publish \S+ --resolve \S+ --as published) URL", report[first]["reason"]).group(1)
        url = w.platform.url(w.platform.posts(w.sent(runfile.load(path).post(first)))[0])  # a person looked
        resolved = cli(*hint.split(), url)  # typed as the message says
        assert resolved.exit_code == 0, resolved.output
        assert "link follow-up goes out with the next publish" in resolved.output
        result = cli("publish", str(path), "--yes", "--json")
        report = {o["post"]: o for o in json.loads(result.output)["outcomes"]}
        assert report[first]["status"] == "published"
    else:
        assert result.exit_code == 0, result.output
        assert {o["status"] for o in report.values()} == {"published"}
    w.assert_once_each(path)
    assert w.platform.create_calls == len(FRAMEWORKS)


@pytest.mark.parametrize("policy", ("inline", "none"))
def test_x_thread_goes_out_whole_whatever_the_link_policy(world, policy):
    """Thread parts after the first are follow-ups: with no link reply to send they still go out
    (they were cut off: the dry run showed the thread, publish sent its first part only)."""
    w = world("x", {"platforms": {"x": {"long_posts": "thread", "link_policy": policy}}})
    path = w.make_run("runs", _long, policy)
    assert [o.status for o in w.publish(path)] == ["published", "published"]
    for post in runfile.load(path).posts:
        parts = w.connector().parts(post)
        preview = [p["text"] for p in w.connector().preview(post).parts]
        assert len(parts) == 3 and preview == parts
        root = w.platform.posts(parts[0])[0]
        assert [i.text for i in w.platform.follow_ups(root.id)] == parts[1:]  # what the dry run showed
    w.assert_once_each(path)


def test_resolved_x_thread_still_gets_its_parts(world, cli, isolated):
    """A person resolves a thread's first part as published (`postgen publish --resolve`): the
    rest of the thread goes out with the next publish."""
    (isolated / "postgen.toml").write_text('[platforms.x]\nlong_posts = "thread"\nlink_policy = "none"\n', encoding="utf-8")
    w = world("x", {"platforms": {"x": {"long_posts": "thread", "link_policy": "none"}}})
    path = w.make_run("work/runs", _long, "none")
    first = "x-hormozi"
    w.tracer = Tracer(CRASHES["after_accept"])
    with pytest.raises(Crash):
        cli("publish", str(path), "--yes")
    w.tracer = None
    url = w.platform.url(w.platform.posts(w.sent(runfile.load(path).post(first)))[0])
    resolved = cli("publish", path.stem, "--resolve", first, "--as", "published", url)
    assert "goes out with the next publish" in resolved.output
    result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 0, result.output
    w.assert_once_each(path)
    assert w.platform.create_calls == len(FRAMEWORKS)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_post_edited_after_a_crash_is_not_sent_again(world, platform):
    """The platform took the post, postgen died, a person then fixed a typo in the run file. The
    lookup would search for the new text and miss the old one, and X or Reddit would take the new
    text as a second post: postgen asks instead, and a person's answer settles it."""
    w = world(platform)
    path = w.make_run("runs")
    first = f"{platform}-{FRAMEWORKS[0]}"
    with pytest.raises(Crash):
        w.publish(path, Tracer(CRASHES["after_accept"]))
    with runfile.editing(path) as handle:
        post = handle.run.post(first)
        sent = w.sent(post)
        post.body += " Typo fixed."
        post.title = post.title and post.title + "!"
    outcome = {o.post_id: o for o in w.publish(path)}[first]
    assert outcome.status == "unresolved" and "edited" in outcome.reason and "--resolve" in outcome.reason
    assert w.platform.create_calls == 2  # the other post only
    ledger.resolve(path, first, "published", w.platform.url(w.platform.posts(sent)[0]))
    assert [o.status for o in w.publish(path)] == ["published"]  # its link follow-up
    assert len(w.platform.posts(sent)) == 1 and w.platform.create_calls == 2
    assert runfile.load(path).post(first).publication.remote_id == w.platform.posts(sent)[0].id


@pytest.mark.parametrize("platform", PLATFORMS)
def test_unreachable_platform_is_tried_again_without_asking(world, platform):
    """Connection refused: nothing left the machine, so the posts stay ready (no lookup, no
    person), go out on the next pass, once each."""
    w = world(platform)
    path = w.make_run("runs")
    w.platform.unreachable = True
    outcomes = w.publish(path)
    assert [o.status for o in outcomes] == ["deferred"] * len(FRAMEWORKS)
    assert all("not sent" in o.reason for o in outcomes)
    assert {p.state for p in runfile.load(path).posts} == {PostState.ready}
    assert w.platform.create_calls == 0
    w.platform.unreachable = False
    assert [o.status for o in w.publish(path)] == ["published"] * len(FRAMEWORKS)
    w.assert_once_each(path)
    assert w.platform.create_calls == len(FRAMEWORKS) and w.asked == 0


@pytest.mark.parametrize("landed", (False, True), ids=("nothing_created", "created_behind_the_gateway"))
def test_linkedin_5xx_with_the_real_connector(world, landed):
    """The ledger's 5xx path with the real LinkedIn connector: LinkedIn cannot be asked (member
    posts are not readable) but refuses a copy, so the ledger sends again; a post that did land
    comes back as 422 DUPLICATE_POST naming it. Either way it is there once, nobody is asked."""
    w = world("linkedin")
    path = w.make_run("runs")
    w.platform.gateway = [(502, landed)]
    assert [o.status for o in w.publish(path)] == ["published", "published"]
    w.assert_once_each(path)
    assert w.asked == 0
    assert w.platform.create_calls == len(FRAMEWORKS) + 1  # the 502, then the retry (created or refused)


def test_reddit_reply_answering_none_is_recorded_and_not_sent_again(world):
    """praw's reply() answers None when Reddit does not hand the comment back, which it made: the
    connector finds it among the post's comments, and later passes never post it again."""
    w = world("reddit")
    path = w.make_run("runs")
    w.platform.reply_hands_back = False
    assert [o.status for o in w.publish(path)] == ["published", "published"]
    assert [o.status for o in w.publish(path)] == []  # nothing left to do
    w.assert_once_each(path)
    for post in runfile.load(path).posts:
        [follow] = post.publication.follow_ups
        assert follow.state == "published" and follow.remote_id == w.platform.follow_ups(post.publication.remote_id)[0].id
