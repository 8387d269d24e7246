"""X (Twitter) connector: weighted-length validation, threads, tweepy publishing.

Plugin module: `postgen_register_connectors` registers `XConnector`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field

from postgen import hookimpl
from postgen.connector import (
    Connector,
    ConnectorOptions,
    Engagement,
    Health,
    MediaFile,
    Preview,
    PublishError,
    UploadedMedia,
    uploaded_media,
)
from postgen.models import FollowUp, Post, Problem, Publication

from . import _common as common
# Public through this module: X's counting (twitter-text 3) and the links in any text.
from ._twitter_text import extract_urls as extract_urls
from ._twitter_text import parse_tweet as parse_tweet
from ._twitter_text import url_spans as url_spans
from ._twitter_text import weighted_length as weighted_length

PREMIUM_LIMIT = 25_000
ALT_TEXT_LIMIT = 1000
OAUTH1 = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
_SENTENCE_BREAK = re.compile(r"((?<=[.!?…])[ \t]+|[ \t]*\n\s*)")


class XOptions(ConnectorOptions):
    """[platforms.x]: limit, what to do with long posts, and the (estimated) pay-per-use prices."""

    limit: int = Field(default=280, ge=1, le=PREMIUM_LIMIT)
    long_posts: Literal["shorten", "thread", "premium"] = "shorten"
    # Estimates in USD per created post (X pay-per-use since 2026-02; a post with a URL costs ~13x).
    price_post_usd: float = Field(default=0.015, ge=0)
    price_post_with_url_usd: float = Field(default=0.20, ge=0)
    price_read_usd: float = Field(default=0.001, ge=0)  # per post read back (`postgen metrics`)
    # A picture is two calls: the upload (not on X's published rate card: priced like a post, to
    # be safe) and its alt text ("Media Metadata", $0.005 a request).
    price_media_upload_usd: float = Field(default=0.015, ge=0)
    price_media_metadata_usd: float = Field(default=0.005, ge=0)
    timeout: float = Field(default=common.DEFAULT_TIMEOUT, gt=0)


def _numbered(parts: list[str]) -> list[str]:
    n = len(parts)
    return parts if n == 1 else [f"{p} {i}/{n}" for i, p in enumerate(parts, 1)]


def _units(text: str, budget: int) -> list[tuple[str, str]]:
    """(piece, separator after it): sentences, or words of a sentence too long on its own."""
    pieces = _SENTENCE_BREAK.split(text)
    out: list[tuple[str, str]] = []
    for i in range(0, len(pieces), 2):
        sentence = pieces[i]
        gap = pieces[i + 1] if i + 1 < len(pieces) else " "
        sep = "\n" * min(gap.count("\n"), 2) or " "  # keep line and paragraph breaks
        if not sentence.strip():
            continue
        if weighted_length(sentence) <= budget:
            out.append((sentence, sep))
            continue
        words = sentence.split()
        for j, word in enumerate(words):
            word_sep = sep if j == len(words) - 1 else " "
            while weighted_length(word) > budget:  # a single word longer than a part: cut it
                cut = len(word)
                while cut > 1 and weighted_length(word[:cut]) > budget:
                    cut -= 1
                out.append((word[:cut], ""))
                word = word[cut:]
            out.append((word, word_sep))
    return out


def split_thread(text: str, limit: int = 280) -> list[str]:
    """Split `text` at sentence boundaries into numbered parts (" 2/5"), each within `limit`."""
    text = text.strip()
    if weighted_length(text) <= limit:
        return [text]
    guess = 9
    while True:
        budget = limit - len(f" {guess}/{guess}")
        parts: list[str] = []
        current, sep = "", ""
        for piece, next_sep in _units(text, budget):
            candidate = f"{current}{sep}{piece}" if current else piece
            if current and weighted_length(candidate) > budget:
                parts.append(current.strip())
                candidate = piece
            current, sep = candidate, next_sep
        if current.strip():
            parts.append(current.strip())
        if len(str(len(parts))) <= len(str(guess)):
            return _numbered(parts)
        guess = 10 ** len(str(len(parts))) - 1


def strip_number(part: str) -> str:
    """A thread part without its " i/n" suffix."""
    return re.sub(r" \d+/\d+$", "", part)


class XConnector(Connector):
    name = "x"
    label = "X/TWITTER"
    credentials = OAUTH1
    has_title = False
    refuses_duplicates = True  # X answers 403 "duplicate content" to a copy
    Options = XOptions
    options: XOptions

    # -- rules -----------------------------------------------------------------------------------
    @property
    def limit(self) -> int:
        return max(self.options.limit, PREMIUM_LIMIT) if self.options.long_posts == "premium" else self.options.limit

    def measure(self, text: str) -> int:
        return weighted_length(text)

    def style(self) -> str:
        policy = {
            "shorten": f"The whole post must fit in {self.limit} weighted characters.",
            "thread": f"Long posts become a numbered thread; each part fits {self.limit} weighted characters.",
            "premium": f"Long posts are allowed up to {self.limit} weighted characters (Premium).",
        }[self.options.long_posts]
        return (
            "X (Twitter). Weighted length: Latin letters, digits and common punctuation count 1; CJK, most "
            "symbols and arrows count 2; every emoji counts 2; every URL counts 23 whatever its length. "
            f"{policy} Plain text only: no markdown (**bold** shows as asterisks). Short lines, one idea. "
            "At most 1-2 hashtags. Do not put the video link in the post unless told: "
            + ("it goes in a reply to the post." if self.options.link_policy == "first_comment" else "see the link policy.")
        )

    def parts(self, post: Post) -> list[str]:
        """The texts that make the post itself: one, or the thread parts."""
        text = common.sent_body(post)
        if self.options.long_posts == "thread":
            return split_thread(text, self.options.limit)
        return [text]

    def validate(self, post: Post) -> list[Problem]:
        text = common.sent_body(post)
        problems: list[Problem] = []
        if not text:
            return [Problem(severity="error", code="empty", message="the post is empty")]
        if any(ch in text for ch in "\ufffe\ufeff\uffff"):
            problems.append(Problem(severity="error", code="invalid_character",
                                    message="the post contains U+FFFE, U+FEFF or U+FFFF, which X refuses; delete them"))
        n = weighted_length(text)
        if self.options.long_posts == "thread":
            parts = self.parts(post)
            bad = [i for i, p in enumerate(parts, 1) if weighted_length(p) > self.options.limit]
            if bad:
                problems.append(Problem(severity="error", code="too_long",
                                        message=f"thread parts {bad} are over {self.options.limit} weighted characters"))
            elif len(parts) > 1:
                problems.append(Problem(severity="warning", code="thread",
                                        message=f"{n} of {self.options.limit} weighted characters: will be sent as a thread of {len(parts)} parts"))
        elif n > self.limit:
            hint = " (or set long_posts = \"thread\" in [platforms.x])" if self.options.long_posts == "shorten" else ""
            problems.append(Problem(severity="error", code="too_long",
                                    message=f"{n} of {self.limit} weighted characters; cut {n - self.limit}{hint}"))
        link = common.follow_up_link(post)
        if link and weighted_length(link) > self.options.limit:
            problems.append(Problem(severity="error", code="link_too_long", message="the link reply is too long for X"))
        problems.extend(common.link_problems(post, "reply with the link"))
        return problems

    # -- preview -----------------------------------------------------------------------------------
    def _price(self, text: str) -> float:
        return self.options.price_post_with_url_usd if url_spans(text) else self.options.price_post_usd

    def preview(self, post: Post) -> Preview:
        texts = self.parts(post)
        parts: list[dict[str, Any]] = []
        for i, text in enumerate(texts):
            parts.append({"kind": "post" if i == 0 else "thread", "text": text, "weighted_length": weighted_length(text),
                          "limit": self.limit if len(texts) == 1 else self.options.limit})
        image = common.media_detail(post)
        if image:
            parts[0]["details"] = [image]
        link = common.follow_up_link(post)
        if link:
            parts.append({"kind": "reply", "text": link, "weighted_length": weighted_length(link), "in_reply_to": "the post"})
        uploads = common.uploads_ahead(post)
        media_cost = uploads * (self.options.price_media_upload_usd + self.options.price_media_metadata_usd)
        cost = round(sum(self._price(p["text"]) for p in parts) + media_cost, 4)
        notes = [
            f"estimated X API cost ${cost:.3f}: {len(parts)} post(s) at ${self.options.price_post_usd} each, "
            f"${self.options.price_post_with_url_usd} when it contains a URL"
            + (f", the picture's upload and alt text ${media_cost:.3f}" if uploads else "")
            + " (estimates; set price_post_usd / price_post_with_url_usd / price_media_upload_usd in [platforms.x] "
            "from your X developer console)"
        ]
        if link:
            notes.append("self-serve X tiers may refuse replies; a refused link reply is recorded, the post stays")
        return Preview(post_id=post.id, platform=self.name, parts=parts, estimated_cost_usd=cost, notes=notes)

    # -- publishing ----------------------------------------------------------------------------------
    def _client(self) -> tuple[Any, bool]:
        """A tweepy Client and whether calls use OAuth 1.0a user context."""
        import tweepy

        env = self.env
        if all(env.get(name) for name in OAUTH1):
            client = tweepy.Client(consumer_key=env["X_API_KEY"], consumer_secret=env["X_API_SECRET"],
                                   access_token=env["X_ACCESS_TOKEN"], access_token_secret=env["X_ACCESS_TOKEN_SECRET"])
            user_auth = True
        elif env.get("X_BEARER_TOKEN"):
            client = tweepy.Client(bearer_token=env["X_BEARER_TOKEN"])
            user_auth = False
        else:
            missing = [n for n in OAUTH1 if not env.get(n)]
            raise PublishError("auth", f"X keys missing: set {', '.join(missing)} (or X_BEARER_TOKEN for an OAuth 2 user token)")
        client.session = common.timeout_session(self.options.timeout)
        return client, user_auth

    def _error(self, exc: Exception) -> PublishError:
        import requests
        import tweepy

        if isinstance(exc, PublishError):
            return exc
        if isinstance(exc, tweepy.errors.HTTPException):
            status = exc.response.status_code
            detail = "; ".join(str(m) for m in exc.api_messages) or str(exc)
            if status == 403 and "duplicate" in detail.lower():
                return PublishError("duplicate", f"X says this post already exists (403 duplicate content): {detail}", status=status)
            if status == 403 and _problem_type(exc.response).endswith("/oauth1-permissions"):
                return PublishError("permission", f"X refused: the app may only read (403 oauth1-permissions): {detail} "
                                    "In the X developer portal set the app's permissions to \"Read and write\", then "
                                    "regenerate the access token and secret (old tokens keep the old permission) and "
                                    "update X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET.", status=status)
            if status == 400 and ("too long" in detail.lower() or "length" in detail.lower()):
                return PublishError("invalid", f"X refused the text as too long (400): {detail}. Shorten it "
                                    "('postgen validate' shows the weighted length).", status=status)
            return common.http_error("X", status, detail, retry_at=_reset(exc.response.headers) if status == 429 else None,
                                     auth_hint="Re-create the access token and secret in the X developer portal "
                                               "(app with Read and Write permission) and update the X_* env vars.")
        if isinstance(exc, (requests.Timeout, requests.ConnectionError)):
            return common.network_error("X", exc)
        # Anything else (an answer cut off or unreadable) says nothing about whether the post landed.
        return PublishError("unknown", f"X call failed: {type(exc).__name__}: {exc}; the post may be there, "
                            "postgen looks before trying again")

    def _create(self, client: Any, user_auth: bool, text: str, reply_to: str | None = None,
                media_id: str | None = None) -> dict:
        """POST /2/tweets (with `media.media_ids` when a picture goes with it); X's answer:
        {"id", "text" as stored, ...}."""
        try:
            response = client.create_tweet(text=text, in_reply_to_tweet_id=reply_to, user_auth=user_auth,
                                           media_ids=[media_id] if media_id else None)
        except Exception as exc:
            raise self._error(exc) from exc
        return dict(response.data)

    def upload_media(self, post: Post, media: MediaFile) -> UploadedMedia:
        """POST /2/media/upload (tweepy 4 has no v2 upload and X retired v1.1's for self-serve
        apps: the v2 call goes through tweepy's own signed request), then its alt text
        (POST /2/media/metadata). An id is good for `expires_after_secs` (a day for images)."""
        import base64

        client, user_auth = self._client()
        body = {"media": base64.b64encode(media.data).decode("ascii"), "media_category": "tweet_image",
                "media_type": media.mime_type}
        try:
            answer = client.request("POST", "/2/media/upload", json=body, user_auth=user_auth).json()
            data = answer["data"]
            media_id = str(data["id"])
        except Exception as exc:
            raise self._error(exc) from exc
        expires = data.get("expires_after_secs")
        expires_at = common.now() + timedelta(seconds=int(expires)) if isinstance(expires, int) else None
        note = None
        try:
            client.request("POST", "/2/media/metadata", user_auth=user_auth,
                           json={"id": media_id, "metadata": {"alt_text": {"text": media.alt[:ALT_TEXT_LIMIT]}}})
        except Exception as exc:  # the picture stands without its alt text: say so, do not upload it again
            note = f"the picture went without alt text: {self._error(exc).message}"
        return UploadedMedia(remote_id=media_id, expires_at=expires_at, note=note)

    def _tweet(self, client: Any, user_auth: bool, text: str, reply_to: str | None = None) -> str:
        return str(self._create(client, user_auth, text, reply_to)["id"])

    @staticmethod
    def _url(tweet_id: str) -> str:
        return f"https://x.com/i/web/status/{tweet_id}"

    def publish(self, post: Post) -> Publication:
        client, user_auth = self._client()
        text = self.parts(post)[0]
        media_id, warnings = uploaded_media(post), []
        try:
            data = self._create(client, user_auth, text, media_id=media_id)
        except PublishError as exc:
            if not (media_id and exc.kind == "invalid" and "media" in exc.message.lower()):
                raise
            # X refused the picture (an id past its time, say), not the text: the post goes without it.
            data, media_id = self._create(client, user_auth, text), None
            warnings.append(f"posted without the picture: {exc.message}")
        tweet_id = str(data["id"])
        # Read-back: X answers with the text it stored (links t.co-shortened, & < > as entities,
        # and a post with a picture ends with the picture's own t.co link).
        stored = _full_text(data)
        if media_id and isinstance(stored, str):
            stored = MEDIA_LINK.sub("", stored)
        warning = common.readback_warning("X", text, stored, url_spans)
        return Publication(remote_id=tweet_id, url=self._url(tweet_id), published_at=common.now(),
                           warnings=warnings + ([warning] if warning else []))

    def needs_follow_up(self, post: Post) -> bool:
        """Thread parts after the first are follow-ups too, whatever the link policy."""
        return len(self.parts(post)) > 1 or super().needs_follow_up(post)

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        """Thread parts (each a reply to the previous), then the link reply. Failures are recorded."""
        parts = self.parts(post)[1:]
        link = common.follow_up_link(post)
        done = common.published_follow_ups(publication, "thread")
        if len(done) >= len(parts) and (not link or common.published_follow_ups(publication, "reply")):
            return publication
        try:
            client, user_auth = self._client()
        except PublishError as exc:
            kind = "thread" if len(done) < len(parts) else "reply"
            kept = done if kind == "thread" else []
            return common.replace_follow_ups(publication, kind, kept + [common.failed_follow_up(kind, exc)])
        last = done[-1].remote_id if done else publication.remote_id
        thread = list(done)
        for text in parts[len(done):]:
            try:
                last = self._tweet(client, user_auth, text, reply_to=last)
            except PublishError as exc:
                thread.append(common.failed_follow_up("thread", exc))
                publication = common.replace_follow_ups(publication, "thread", thread)
                return publication  # the link reply waits for a complete thread
            thread.append(FollowUp(kind="thread", remote_id=last, url=self._url(last), at=common.now()))
        publication = common.replace_follow_ups(publication, "thread", thread)
        if link and not common.published_follow_ups(publication, "reply"):
            try:
                reply_id = self._tweet(client, user_auth, link, reply_to=publication.remote_id)
                follow = FollowUp(kind="reply", remote_id=reply_id, url=self._url(reply_id), at=common.now())
            except PublishError as exc:
                follow = common.failed_follow_up("reply", exc)
            publication = common.replace_follow_ups(publication, "reply", [follow])
        return publication

    def _recent(self, what: str) -> list[dict]:
        """The account's recent posts and replies (GET /2/users/:id/tweets, newest first), with the
        full text of long posts (`note_tweet`; `text` is cut short) and what each replies to."""
        try:
            client, user_auth = self._client()
            me = client.get_me(user_auth=user_auth)
            tweets = client.get_users_tweets(me.data["id"], max_results=50, tweet_fields=TIMELINE_FIELDS, user_auth=user_auth)
        except Exception as exc:
            err = self._error(exc)
            raise common.lookup_error(err, f"cannot tell whether {what} is on X: {err.message}") from exc
        return [dict(tweet.data) if hasattr(tweet, "data") else dict(tweet) for tweet in tweets.data or []]

    def find_existing(self, post: Post) -> Publication | None:
        """Look through the account's recent posts for the same text."""
        wanted = _comparable(self.parts(post)[0])
        for tweet in self._recent(post.id):
            if _same(_full_text(tweet) or "", wanted) and not _replied_to(tweet):
                return Publication(remote_id=str(tweet["id"]), url=self._url(str(tweet["id"])))
        return None

    def find_follow_up(self, post: Post, publication: Publication) -> FollowUp | None:
        """The next thread part or the link reply, if the account's recent replies hold it: a
        reply to the right post with the same text."""
        parts = self.parts(post)[1:]
        done = common.published_follow_ups(publication, "thread")
        if len(done) < len(parts):
            kind, text, parent = "thread", parts[len(done)], (done[-1].remote_id if done else publication.remote_id)
        elif common.follow_up_link(post) and not common.published_follow_ups(publication, "reply"):
            kind, text, parent = "reply", common.follow_up_link(post) or "", publication.remote_id
        else:
            return None
        wanted = _comparable(text)
        for tweet in self._recent(f"the {kind} of {post.id}"):
            if _replied_to(tweet) == str(parent) and _comparable(_full_text(tweet) or "") == wanted:
                return FollowUp(kind=kind, remote_id=str(tweet["id"]), url=self._url(str(tweet["id"])), at=common.now())
        return None

    def metrics(self, publications: list[Publication]) -> dict[str, Engagement | PublishError]:
        """GET /2/tweets?ids=…&tweet.fields=public_metrics, 100 ids a request (reads are billed per
        post: one request per hundred). Engagements: likes + reposts + replies + quotes + bookmarks;
        impressions: `impression_count`. A post X cannot find (deleted) comes back as an `errors`
        entry of type resource-not-found."""
        ids = list(dict.fromkeys(p.remote_id for p in publications))
        out: dict[str, Engagement | PublishError] = {}
        if not ids:
            return out
        client, user_auth = self._client()
        for start in range(0, len(ids), METRICS_BATCH):
            batch = ids[start:start + METRICS_BATCH]
            try:
                response = client.get_tweets(batch, tweet_fields=["public_metrics"], user_auth=user_auth)
            except Exception as exc:
                err = self._error(exc)
                if start == 0:
                    raise err from exc
                out.update((rest, err) for rest in ids[start:])  # read so far is kept; the rest wait
                break
            for tweet in response.data or []:
                data = dict(tweet.data) if hasattr(tweet, "data") else dict(tweet)
                counts = {k: v for k, v in (data.get("public_metrics") or {}).items() if isinstance(v, (int, float))}
                out[str(data["id"])] = Engagement(
                    engagements=int(sum(counts.get(k, 0) for k in ENGAGEMENT_COUNTS)),
                    impressions=int(counts["impression_count"]) if "impression_count" in counts else None,
                    counts=counts)
            for error in response.errors or []:
                if str(error.get("type", "")).endswith("/resource-not-found") and error.get("value") is not None:
                    out[str(error["value"])] = Engagement(deleted=True)
        return out

    def metrics_cost(self, count: int) -> float:
        return round(count * self.options.price_read_usd, 6)

    def check(self) -> Health:
        has_oauth1 = all(self.env.get(n) for n in OAUTH1)
        if not has_oauth1 and not self.env.get("X_BEARER_TOKEN"):
            missing = [n for n in OAUTH1 if not self.env.get(n)]
            return Health(platform=self.name, ok=False, missing=missing,
                          messages=[f"set {', '.join(missing)} (or X_BEARER_TOKEN)"])
        messages = [] if has_oauth1 else [
            "warning: X_BEARER_TOKEN is an OAuth 2 user token: it expires 2 hours after it was issued and postgen "
            "does not refresh it, so unattended runs (CI, publish --due) will fail with 401. For those set "
            f"{', '.join(OAUTH1)} (OAuth 1.0a user keys, which do not expire)"]
        client, user_auth = self._client()
        try:
            me = client.get_me(user_auth=user_auth)
        except Exception as exc:
            return Health(platform=self.name, ok=False, messages=[self._error(exc).message, *messages])
        return Health(platform=self.name, ok=True, identity=f"@{me.data['username']}",
                      messages=[f"long posts: {self.options.long_posts}, limit {self.limit}", *messages])


_LIMITS = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")  # 15-minute window, daily caps


def _reset(headers: Any) -> float | None:
    """When to try again after a 429: the latest reset among the exhausted limits (a daily cap
    outlasts the 15-minute window); the window's reset when none says it is exhausted."""
    def number(name: str) -> float | None:
        try:
            return float(headers.get(name))
        except (TypeError, ValueError):
            return None

    exhausted = [number(f"{p}-reset") for p in _LIMITS if number(f"{p}-remaining") == 0]
    exhausted = [r for r in exhausted if r is not None]
    return max(exhausted) if exhausted else number("x-rate-limit-reset")


TIMELINE_FIELDS = ["note_tweet", "referenced_tweets"]
METRICS_BATCH = 100  # ids per GET /2/tweets
ENGAGEMENT_COUNTS = ("like_count", "retweet_count", "reply_count", "quote_count", "bookmark_count")


def _comparable(text: str) -> str:
    """Text as X returns it, made comparable: URLs (t.co-shortened by X) and entities neutralised."""
    return common.comparable(text, url_spans)


MEDIA_LINK = re.compile(r"\s*https://t\.co/\w+\s*$")


def _same(stored: str, wanted: str) -> bool:
    """Whether a timeline text is the post `wanted` (comparable form): X adds the picture's own
    t.co link at the end of a post with a picture."""
    text = _comparable(stored)
    return text == wanted or text == f"{wanted} <url>"


def _full_text(tweet: dict) -> str | None:
    """A post's whole text: a long (Premium) post's `text` is cut short, `note_tweet.text` is all of it."""
    note = tweet.get("note_tweet")
    return note.get("text") if isinstance(note, dict) and note.get("text") else tweet.get("text")


def _replied_to(tweet: dict) -> str | None:
    """The id of the post `tweet` replies to, if it is a reply."""
    for ref in tweet.get("referenced_tweets") or []:
        if ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


def _problem_type(response: Any) -> str:
    """The `type` of an X API v2 problem answer ("https://api.twitter.com/2/problems/...")."""
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("type") or "") if isinstance(data, dict) else ""


@hookimpl
def postgen_register_connectors(register) -> None:
    register(XConnector)
