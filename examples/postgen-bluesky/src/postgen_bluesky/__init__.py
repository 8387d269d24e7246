"""postgen-bluesky: publish postgen posts to Bluesky (AT Protocol), over plain HTTP.

Login with an app password (com.atproto.server.createSession); each post is an
app.bsky.feed.post record with link and hashtag facets (UTF-8 byte offsets) and, when it carries
the video link, an app.bsky.embed.external card with a thumbnail blob; the link follows as a reply
whose refs name the post's uri and cid (kept in `Publication.data`). Engagement for `postgen
metrics` comes from app.bsky.feed.getPosts, 25 posts a call. `requests` and the grapheme
tables are imported inside the methods, so `postgen --help` stays fast.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

from pydantic import Field

from postgen import (
    Connector,
    ConnectorOptions,
    Engagement,
    FollowUp,
    Health,
    Post,
    Preview,
    Problem,
    Publication,
    PublishError,
    hookimpl,
)

from . import richtext

__version__ = "0.1.0"

POST = "app.bsky.feed.post"
GET_POSTS_BATCH = 25  # uris per app.bsky.feed.getPosts (the lexicon's maxLength)
COUNTS = ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")  # postView's, summed as engagements


# [docs:start register]
@hookimpl
def postgen_register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(BlueskyConnector)
# [docs:end register]


class BlueskyOptions(ConnectorOptions):
    """`[platforms.bluesky]` in postgen.toml."""

    service: str = "https://bsky.social"  # your PDS, or the bsky.social entryway
    card: bool = True  # a link card (title, description, thumbnail) for the video on the post
    langs: list[str] = Field(default_factory=list, max_length=3)  # e.g. ["en"]: helps feeds and translation


class BlueskyConnector(Connector):
    name = "bluesky"
    label = "BLUESKY"
    credentials = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")
    Options = BlueskyOptions
    options: BlueskyOptions
    limit = richtext.MAX_GRAPHEMES  # graphemes, as the app counts
    refuses_duplicates = False  # Bluesky takes a second identical post: find_existing guards it

    def measure(self, text: str) -> int:
        return richtext.graphemes(text)

    def style(self) -> str:
        link = {
            "first_comment": "Do not put the link in the post: a card for the video is attached and the link follows as a reply.",
            "inline": "The link is added at the end of the post, with a card; do not repeat it.",
            "none": "Do not mention a link.",
        }[self.options.link_policy]
        return (
            f"Bluesky: plain text, at most {self.limit} characters (graphemes; an emoji counts 1). No markdown: "
            f"it shows literally. One or two #hashtags at most, at the end; they become live. {link}"
        )

    # --- what would be sent ----------------------------------------------------------------------

    def text_of(self, post: Post) -> str:
        """The post's text as sent: the body, and the link when the policy puts it inline."""
        if post.link_policy == "inline" and post.link and post.link not in post.body:
            return f"{post.body.rstrip()}\n\n{post.link}"
        return post.body

    def has_card(self, post: Post) -> bool:
        return self.options.card and bool(post.link) and post.link_policy != "none"

    def validate(self, post: Post) -> list[Problem]:
        text = self.text_of(post)
        problems = []
        if not text.strip():
            problems.append(Problem(severity="error", code="empty", message="the post is empty"))
        n, size = richtext.graphemes(text), richtext.utf8_len(text)
        if n > self.limit:
            problems.append(Problem(severity="error", code="too_long", message=f"{n} of {self.limit} characters (graphemes)"))
        elif size > richtext.MAX_BYTES:
            problems.append(Problem(severity="error", code="too_long",
                                    message=f"{size} of {richtext.MAX_BYTES} bytes (UTF-8): use fewer emoji or accents"))
        if post.link_policy == "first_comment" and not post.link:
            problems.append(Problem(severity="warning", code="no_link",
                                    message="link policy is first_comment but the post has no link: no reply will be posted"))
        return problems

    def preview(self, post: Post) -> Preview:
        text = self.text_of(post)
        details = [f"facet: {richtext.describe(text, f)}" for f in richtext.facets(text)]
        if self.has_card(post):
            details.append(f"card: app.bsky.embed.external for {post.link}: title, description and thumbnail "
                           "from the page's Open Graph tags, read when publishing")
        parts: list[dict[str, Any]] = [
            {"kind": "post", "text": text, "characters": richtext.graphemes(text), "limit": self.limit, "details": details}
        ]
        if post.link_policy == "first_comment" and post.link:
            reply = [f"facet: {richtext.describe(post.link, f)}" for f in richtext.facets(post.link)]
            parts.append({"kind": "reply", "text": post.link, "characters": richtext.graphemes(post.link),
                          "limit": self.limit, "in_reply_to": "the post", "details": reply})
        return Preview(post_id=post.id, platform=self.name, parts=parts, estimated_cost_usd=0.0)

    # --- sending ---------------------------------------------------------------------------------

    def client(self) -> Any:
        from .xrpc import Client

        if getattr(self, "_client", None) is None:
            missing = [name for name in self.credentials if not self.env.get(name)]
            if missing:
                raise PublishError("auth", f"set {' and '.join(missing)} (an app password: see the postgen-bluesky README)")
            self._client = Client(self.options.service, self.env["BLUESKY_HANDLE"].lstrip("@"), self.env["BLUESKY_APP_PASSWORD"])
        return self._client

    def record(self, text: str, **extra: Any) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": _now()}
        if facets := richtext.facets(text):
            record["facets"] = facets
        if self.options.langs:
            record["langs"] = list(self.options.langs)
        return record | extra

    def publish(self, post: Post) -> Publication:
        client = self.client()
        text = self.text_of(post)
        extra, data = {}, {}
        if self.has_card(post):
            embed, data["card"] = self._card(client, post.link)
            if embed:
                extra["embed"] = embed
        record = self.record(text, **extra)
        created = client.call("POST", "com.atproto.repo.createRecord", json={"repo": client.did, "collection": POST, "record": record})
        return Publication(remote_id=created["uri"], url=self._url(client, created["uri"]), published_at=record["createdAt"],
                           data={"cid": created["cid"], **data})

    def _card(self, client: Any, link: str) -> tuple[dict[str, Any] | None, str]:
        """The external embed for `link` and a word on it for the publication's data. A page or an
        image that cannot be read costs the card its thumbnail (or the card), never the post."""
        from .card import read_card, thumbnail

        card, note = read_card(client.http, link)
        if card is None:
            return None, note
        external: dict[str, Any] = {"uri": link, "title": card.title, "description": card.description}
        image = thumbnail(client.http, card)
        if isinstance(image, str):
            return {"$type": "app.bsky.embed.external", "external": external}, image
        content, mime = image
        external["thumb"] = client.call("POST", "com.atproto.repo.uploadBlob", data=content, content_type=mime)["blob"]
        return {"$type": "app.bsky.embed.external", "external": external}, "card with thumbnail"

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        done = any(f.kind == "reply" and f.state == "published" for f in publication.follow_ups)
        if post.link_policy != "first_comment" or not post.link or done:
            return publication
        try:  # never raises: a failure is recorded, with its kind, and the post stands
            client = self.client()
            parent = self._ref(client, publication)
            record = self.record(post.link, reply={"root": parent, "parent": parent})
            created = client.call("POST", "com.atproto.repo.createRecord", json={"repo": client.did, "collection": POST, "record": record})
            follow_up = FollowUp(kind="reply", remote_id=created["uri"], url=self._url(client, created["uri"]), at=record["createdAt"])
        except PublishError as exc:
            follow_up = FollowUp(kind="reply", state="failed", error=exc.message, error_kind=exc.kind, at=_now())
        return publication.model_copy(update={"follow_ups": [*publication.follow_ups, follow_up]})

    def _ref(self, client: Any, publication: Publication) -> dict[str, str]:
        """The post as a reply's root and parent (a strongRef: uri and cid). A post recorded by
        hand ('publish --resolve ... --as published URL') has neither: its PDS is asked."""
        if publication.remote_id.startswith("at://") and publication.data.get("cid"):
            return {"uri": publication.remote_id, "cid": publication.data["cid"]}
        repo, rkey = _repo_and_rkey(publication.remote_id)
        found = client.call("GET", "com.atproto.repo.getRecord", params={"repo": repo, "collection": POST, "rkey": rkey})
        return {"uri": found["uri"], "cid": found["cid"]}

    # --- looking back ----------------------------------------------------------------------------

    def _recent(self, client: Any) -> list[dict[str, Any]]:
        """The account's latest 100 posts and replies, newest first, from its own PDS: unlike the
        AppView's author feed, the repository has a record as soon as createRecord answered.
        A lookup that cannot connect cannot tell now: "transient", ask again later."""
        try:
            listed = client.call("GET", "com.atproto.repo.listRecords",
                                 params={"repo": client.did, "collection": POST, "limit": 100})
        except PublishError as exc:
            if exc.kind == "unreachable":
                raise PublishError("transient", exc.message) from None
            raise
        return listed["records"]

    def find_existing(self, post: Post) -> Publication | None:
        client = self.client()
        wanted = _squash(self.text_of(post))
        for item in self._recent(client):
            value = item["value"]
            if "reply" not in value and _squash(value.get("text", "")) == wanted:
                return Publication(remote_id=item["uri"], url=self._url(client, item["uri"]),
                                   published_at=value.get("createdAt"), data={"cid": item["cid"]})
        return None

    def find_follow_up(self, post: Post, publication: Publication) -> FollowUp | None:
        """After an unknown outcome: is the link reply under the post already? (The one follow-up
        publish_follow_up sends; None means sending it is safe.)"""
        client = self.client()
        for item in self._recent(client):
            value = item["value"]
            if value.get("reply", {}).get("parent", {}).get("uri") == publication.remote_id and value.get("text") == post.link:
                return FollowUp(kind="reply", remote_id=item["uri"], url=self._url(client, item["uri"]), at=value.get("createdAt"))
        return None

    # --- engagement ------------------------------------------------------------------------------

    def metrics(self, publications: list[Publication]) -> dict[str, Engagement | PublishError]:
        """Likes + reposts + replies + quotes + bookmarks (`postgen metrics`), from
        app.bsky.feed.getPosts, 25 uris a request, asked of the account's PDS (which passes
        app.bsky.* reads to the AppView). Bluesky shows no view counts and reads are free (no
        `metrics_cost`). A uri left out of the answer is a post that is gone (deleted, taken down)."""
        ids = list(dict.fromkeys(p.remote_id for p in publications))
        out: dict[str, Engagement | PublishError] = {}
        if not ids:
            return out
        client = self.client()
        asking: dict[str, list[str]] = {}  # at-uri -> the remote ids that name it
        dids = {client.login()["handle"].lower(): client.did}  # a refused password or a 429 on login raises here
        for remote_id in ids:
            try:
                asking.setdefault(self._at_uri(client, remote_id, dids), []).append(remote_id)
            except PublishError as exc:  # that post alone cannot be asked for
                out[remote_id] = exc
        uris = list(asking)
        for start in range(0, len(uris), GET_POSTS_BATCH):
            batch = uris[start:start + GET_POSTS_BATCH]
            try:
                found = client.call("GET", "app.bsky.feed.getPosts", params={"uris": batch})["posts"]
            except PublishError as exc:
                if not any(isinstance(a, Engagement) for a in out.values()):
                    raise
                out.update((i, exc) for uri in uris[start:] for i in asking[uri])  # read so far is kept; the rest wait
                break
            views = {view["uri"]: view for view in found}
            for uri in batch:
                if (view := views.get(uri)) is None:
                    answer = Engagement(deleted=True)
                else:
                    counts = {k: view[k] for k in COUNTS if isinstance(view.get(k), int)}
                    answer = Engagement(engagements=sum(counts.values()), counts=counts)
                out.update((i, answer) for i in asking[uri])
        return out

    def _at_uri(self, client: Any, remote_id: str, dids: dict[str, str]) -> str:
        """The post's at-uri with its DID, as getPosts wants it. A post recorded by hand has its
        bsky.app URL, which may name the account by handle: `dids` knows ours, and
        com.atproto.identity.resolveHandle any other (once each)."""
        repo, rkey = _repo_and_rkey(remote_id)
        if not repo.startswith("did:"):
            if repo.lower() not in dids:
                dids[repo.lower()] = client.call("GET", "com.atproto.identity.resolveHandle", params={"handle": repo})["did"]
            repo = dids[repo.lower()]
        return f"at://{repo}/{POST}/{rkey}"

    def check(self) -> Health:
        health = super().check()  # names the missing env vars
        if health.missing:
            return health
        try:
            session = self.client().login()
        except PublishError as exc:
            return Health(platform=self.name, ok=False, messages=[exc.message])
        if session.get("active") is False:
            return Health(platform=self.name, ok=False, identity=f"@{session['handle']}",
                          messages=[f"the account is not active ({session.get('status', 'no reason given')})"])
        return Health(platform=self.name, ok=True, identity=f"@{session['handle']}")

    def _url(self, client: Any, uri: str) -> str:
        _repo, rkey = _repo_and_rkey(uri)
        return f"https://bsky.app/profile/{client.login()['handle']}/post/{rkey}"


def _repo_and_rkey(uri: str) -> tuple[str, str]:
    """at://did:plc:x/app.bsky.feed.post/3kx -> ("did:plc:x", "3kx"); also https://bsky.app/profile/h/post/3kx."""
    parts = uri.rstrip("/").split("/")
    if uri.startswith("at://") and len(parts) == 5:
        return parts[2], parts[4]
    if "/profile/" in uri and "/post/" in uri:
        return parts[-3], parts[-1]
    raise PublishError("fatal", f"not a Bluesky post: {uri!r}")


def _now() -> str:
    """createdAt as the app writes it: UTC, milliseconds, Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _squash(text: str) -> str:
    return " ".join(text.split())
