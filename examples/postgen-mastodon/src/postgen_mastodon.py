"""postgen-mastodon: publish postgen posts to Mastodon.

The whole plugin is this module. `pip install postgen-mastodon` makes postgen load it through
the `postgen` entry point in pyproject.toml.
Mastodon.py is imported inside the methods that talk to the server, so `postgen --help` stays fast.
"""

from __future__ import annotations

import hashlib
import html.parser
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Literal

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

__version__ = "0.1.0"


@hookimpl
def postgen_register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(MastodonConnector)


class MastodonOptions(ConnectorOptions):
    """`[platforms.mastodon]` in postgen.toml."""

    limit: int = Field(default=500, ge=1)  # some servers allow more: set it to yours
    visibility: Literal["public", "unlisted", "private", "direct"] = "public"


class MastodonConnector(Connector):
    name = "mastodon"  # [platforms.mastodon], post ids "mastodon-<framework>"
    label = "MASTODON"  # "## MASTODON POSTS" in the run file
    credentials = ("MASTODON_API_BASE_URL", "MASTODON_ACCESS_TOKEN")  # names, never values
    Options = MastodonOptions
    options: MastodonOptions

    @property
    def limit(self) -> int:  # the run summary shows "185/500"; generators fit drafts under it
        return self.options.limit

    def measure(self, text: str) -> int:
        from mastodon import Mastodon  # graphemes, every link 23, @user@server as @user

        return Mastodon.get_status_length(text)

    def style(self) -> str:
        link = {
            "first_comment": "Do not put the link in the post: it follows as a reply.",
            "inline": "The link is added at the end of the post; do not repeat it.",
            "none": "Do not mention a link.",
        }[self.options.link_policy]
        return (
            f"Mastodon: plain text, at most {self.options.limit} characters; every link counts 23. "
            "Markdown is shown literally, so use none. There is no algorithm: 1-3 CamelCase "
            f"hashtags at the end are how people find the post. {link}"
        )

    def validate(self, post: Post) -> list[Problem]:
        problems = []
        text = self.status_text(post)
        if not post.body.strip():
            problems.append(Problem(severity="error", code="empty", message="the post is empty"))
        length = self.measure(text)
        if length > self.limit:
            problems.append(Problem(
                severity="error", code="too_long",
                message=f"{length} of {self.options.limit} characters (every link counts 23)",
            ))
        if post.link_policy == "first_comment" and not post.link:
            problems.append(Problem(
                severity="warning", code="no_link",
                message="link policy is first_comment but the post has no link: no reply will be posted",
            ))
        return problems

    def status_text(self, post: Post) -> str:
        """The status as sent: the body, plus the link when the policy puts it inline."""
        if post.link_policy == "inline" and post.link and post.link not in post.body:
            return f"{post.body.rstrip()}\n\n{post.link}"
        return post.body

    def preview(self, post: Post) -> Preview:
        parts: list[dict[str, Any]] = [
            {"kind": "post", "text": self.status_text(post), "visibility": self.options.visibility}
        ]
        if post.link_policy == "first_comment" and post.link:
            parts.append({"kind": "reply", "text": post.link, "visibility": self.options.visibility})
        return Preview(post_id=post.id, platform=self.name, parts=parts, estimated_cost_usd=0.0)

    def publish(self, post: Post) -> Publication:
        client = self.client()
        text = self.status_text(post)
        with _errors(client):
            status = client.status_post(
                text, visibility=self.options.visibility, idempotency_key=_key(post.id, text)
            )
        return Publication(remote_id=str(status["id"]), url=status["url"], published_at=status["created_at"])

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        done = any(f.kind == "reply" and f.state == "published" for f in publication.follow_ups)
        if post.link_policy != "first_comment" or not post.link or done:
            return publication
        try:  # never raises: a failure is recorded with its kind, and the post stands
            client = self.client()
            with _errors(client):
                reply = client.status_post(
                    post.link, in_reply_to_id=publication.remote_id, visibility=self.options.visibility,
                    idempotency_key=_key(publication.remote_id, post.link),
                )
            follow_up = FollowUp(kind="reply", remote_id=str(reply["id"]), url=reply["url"], at=reply["created_at"])
        except PublishError as exc:
            follow_up = FollowUp(kind="reply", state="failed", error=exc.message, error_kind=exc.kind)
        return publication.model_copy(update={"follow_ups": [*publication.follow_ups, follow_up]})

    def find_existing(self, post: Post) -> Publication | None:
        client = self.client()
        wanted = _squash(self.status_text(post))
        with _errors(client):
            me = client.account_verify_credentials()
            recent = client.account_statuses(me["id"], exclude_reblogs=True, limit=40)
        for status in recent:
            if _squash(_html_text(status["content"])) == wanted:
                return Publication(remote_id=str(status["id"]), url=status["url"], published_at=status["created_at"])
        return None

    def check(self) -> Health:
        health = super().check()  # names the missing env vars
        if health.missing:
            return health
        from mastodon import MastodonError

        try:
            me = self.client().account_verify_credentials()
        except MastodonError as exc:
            return Health(platform=self.name, ok=False, messages=[_describe(exc)])
        return Health(platform=self.name, ok=True, identity=f"@{me['acct']}")

    def client(self) -> Any:
        missing = [name for name in self.credentials if not self.env.get(name)]
        if missing:
            raise PublishError("auth", f"set {' and '.join(missing)} (see the postgen-mastodon README)")
        from mastodon import Mastodon

        return Mastodon(
            api_base_url=self.env["MASTODON_API_BASE_URL"],
            access_token=self.env["MASTODON_ACCESS_TOKEN"],
            ratelimit_method="throw",  # the core decides whether to wait, never a sleep in here
            version_check_mode="none",  # no instance request before the real one
            request_timeout=30,
        )

    def metrics(self, publications: list[Publication]) -> dict[str, Engagement | PublishError]:
        """Favourites, boosts and replies (`postgen metrics`), 20 statuses a request (GET
        /api/v1/statuses?id[]=…, Mastodon 4.3+). Mastodon gives no view counts. The batch answer
        leaves out statuses that are gone, so each one missing is asked for alone: a 404 means
        deleted."""
        client = self.client()
        ids = list(dict.fromkeys(p.remote_id for p in publications))
        out: dict[str, Engagement | PublishError] = {}
        try:
            for start in range(0, len(ids), 20):
                with _errors(client):
                    found = client.statuses(ids[start:start + 20])
                for status in found:
                    counts = {k: status[k] for k in ("favourites_count", "reblogs_count", "replies_count")}
                    out[str(status["id"])] = Engagement(engagements=sum(counts.values()), counts=counts)
            for missing in [i for i in ids if i not in out]:
                try:
                    with _errors(client):
                        client.status(missing)
                except PublishError as exc:
                    if exc.status != 404:
                        raise
                    out[missing] = Engagement(deleted=True)
        except PublishError as exc:
            if not out:
                raise
            out.update((i, exc) for i in ids if i not in out)  # the rest wait for the next pass
        return out


@contextmanager
def _errors(client: Any) -> Iterator[None]:
    """Turn Mastodon.py's exceptions into the PublishError kinds the ledger acts on."""
    from mastodon import (
        MastodonAPIError,
        MastodonNetworkError,
        MastodonNotFoundError,
        MastodonRatelimitError,
        MastodonServerError,
        MastodonUnauthorizedError,
    )

    try:
        yield
    except MastodonRatelimitError as exc:  # reset time from the X-RateLimit-Reset header
        raise PublishError("rate_limited", _describe(exc), status=429, retry_at=client.ratelimit_reset) from exc
    except (MastodonServerError, MastodonNetworkError) as exc:
        raise PublishError("transient", _describe(exc), status=_status(exc)) from exc
    except MastodonUnauthorizedError as exc:
        raise PublishError("auth", f"{_describe(exc)}: create a new MASTODON_ACCESS_TOKEN", status=401) from exc
    except MastodonNotFoundError as exc:
        raise PublishError("fatal", f"{_describe(exc)}: is MASTODON_API_BASE_URL your server?", status=404) from exc
    except MastodonAPIError as exc:
        kind = {403: "permission", 422: "invalid"}.get(_status(exc) or 0, "fatal")
        raise PublishError(kind, _describe(exc), status=_status(exc)) from exc


def _status(exc: BaseException) -> int | None:
    """Mastodon.py raises APIError('Mastodon API returned error', status, reason, message)."""
    return exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None


def _describe(exc: BaseException) -> str:
    if _status(exc) is not None:
        detail = exc.args[3] if len(exc.args) > 3 and exc.args[3] else exc.args[2]
        return f"Mastodon answered {exc.args[1]}: {detail}"
    return f"Mastodon: {exc}"


def _key(*parts: str) -> str:
    """An Idempotency-Key: Mastodon creates one status per key (for an hour), however often asked."""
    return "postgen-" + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


class _TextOf(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("br", "p"):
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def _html_text(content: str) -> str:
    """A status's `content` is HTML; the text a person wrote is its text, links spelled out."""
    parser = _TextOf()
    parser.feed(content)
    return "".join(parser.out)


def _squash(text: str) -> str:
    return " ".join(text.split())
