"""Reddit connector: self posts through praw, the link as a comment (or, with `post_as = "link"`,
a link post to the video, whose card shows its picture, with the post's text as its body).

Plugin module: `postgen_register_connectors` registers `RedditConnector`.
Reddit refuses no duplicate self post: only the ledger prevents doubles, so `find_existing` looks
through the account's recent submissions.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator, Literal

from pydantic import Field, model_validator

from postgen import hookimpl
from postgen.connector import Connector, ConnectorOptions, Engagement, Health, Preview, PublishError
from postgen.models import FollowUp, Post, Problem, Publication

from . import _common as common

TITLE_LIMIT = 300
BODY_LIMIT = 40_000
COMMENT_LIMIT = 10_000
CREDENTIALS = ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USERNAME", "REDDIT_PASSWORD")
AUTH_HINT = ("Check REDDIT_CLIENT_ID/REDDIT_CLIENT_SECRET (a 'script' app) and REDDIT_USERNAME/REDDIT_PASSWORD; "
             "accounts with two-factor auth cannot use a script app's password flow.")


class RedditOptions(ConnectorOptions):
    """[platforms.reddit]: where to post and the flair the subreddit may require."""

    subreddit: str | None = None
    flair_id: str | None = None
    flair_text: str | None = None
    # "self": a text post, the link in the first comment (the default). "link": a link post to the
    # video (Reddit shows its card, picture included) carrying the post's text as its body (praw
    # sends both; body text on link posts is optional on Reddit's side): for subreddits that want
    # links, or allow no text posts (NO_SELFS).
    post_as: Literal["self", "link"] = "self"
    timeout: int = Field(default=int(common.DEFAULT_TIMEOUT), gt=0)

    @model_validator(mode="after")
    def _link_posts_carry_their_link(self) -> RedditOptions:
        if self.post_as == "link":
            if "link_policy" in self.model_fields_set and self.link_policy != "none":
                raise ValueError('a link post is the link: with post_as = "link" leave link_policy out (or set it to "none")')
            self.link_policy = "none"
        return self


class RedditConnector(Connector):
    name = "reddit"
    label = "REDDIT"
    credentials = CREDENTIALS
    has_title = True
    listing_lags = True  # a submission can be missing from the user's listing for a while after it landed
    limit = BODY_LIMIT  # self-text characters
    Options = RedditOptions
    options: RedditOptions

    def style(self) -> str:
        where = f"r/{self.options.subreddit}" if self.options.subreddit else "the configured subreddit"
        return (
            f"Reddit {'link post (it links to the video)' if self.options.post_as == 'link' else 'self post'} in {where}. A title (1-{TITLE_LIMIT} characters, no clickbait, no emoji spam) and a "
            f"body (markdown is rendered; at most {BODY_LIMIT} characters). Write like a community member sharing "
            "something useful, not an ad: give the substance in the post itself. "
            + ("The video link goes in a comment." if self.options.link_policy == "first_comment" else "")
        ).strip()

    def _link_post(self, post: Post) -> bool:
        return self.options.post_as == "link"

    def validate(self, post: Post) -> list[Problem]:
        problems: list[Problem] = []
        title = (post.title or "").strip()
        if not title:
            problems.append(Problem(severity="error", code="no_title", message="a Reddit post needs a title (the first line)"))
        elif len(title) > TITLE_LIMIT:
            problems.append(Problem(severity="error", code="title_too_long",
                                    message=f"title is {len(title)} of {TITLE_LIMIT} characters; cut {len(title) - TITLE_LIMIT}"))
        if self._link_post(post) and not post.link:
            problems.append(Problem(severity="error", code="no_link", message="post_as = \"link\" needs the post's link"))
        body = common.sent_body(post)
        if len(body) > BODY_LIMIT:
            problems.append(Problem(severity="error", code="too_long",
                                    message=f"body is {len(body)} of {BODY_LIMIT} characters; cut {len(body) - BODY_LIMIT}"))
        link = common.follow_up_link(post)
        if link and len(link) > COMMENT_LIMIT:
            problems.append(Problem(severity="error", code="comment_too_long", message="the link comment is over 10,000 characters"))
        problems.extend(common.link_problems(post, "comment with the link"))
        return problems

    def preview(self, post: Post) -> Preview:
        sub = self.options.subreddit
        part: dict[str, Any] = {"kind": "post", "subreddit": sub, "title": (post.title or "").strip(), "text": common.sent_body(post)}
        if self._link_post(post):
            part["details"] = [f"a link post to {post.link}: Reddit shows the video's card, picture included"]
        if self.options.flair_id or self.options.flair_text:
            part["flair"] = self.options.flair_text or self.options.flair_id
        parts = [part]
        link = common.follow_up_link(post)
        if link:
            parts.append({"kind": "first_comment", "text": link})
        notes = [] if sub else ["no subreddit set: add subreddit = \"...\" under [platforms.reddit] before publishing"]
        return Preview(post_id=post.id, platform=self.name, parts=parts, estimated_cost_usd=0.0, notes=notes)

    # -- praw ------------------------------------------------------------------------------------------
    def _reddit(self) -> Any:
        """One praw.Reddit per connector (one token request for a post and its comment)."""
        cached = self.__dict__.get("_praw")
        if cached is not None:
            return cached
        missing = [n for n in CREDENTIALS if not self.env.get(n)]
        if missing:
            raise PublishError("auth", f"Reddit keys missing: set {', '.join(missing)}")
        import praw

        env = self.env
        self._praw = praw.Reddit(
            client_id=env["REDDIT_CLIENT_ID"], client_secret=env["REDDIT_CLIENT_SECRET"],
            username=env["REDDIT_USERNAME"], password=env["REDDIT_PASSWORD"],
            user_agent=env.get("REDDIT_USER_AGENT") or user_agent(env["REDDIT_USERNAME"]),
            check_for_updates=False, timeout=self.options.timeout,
            requestor_kwargs={"session": common.timeout_session(self.options.timeout, force=True)},
        )
        return self._praw

    @staticmethod
    @contextmanager
    def _once(reddit: Any) -> Iterator[None]:
        """No automatic retry of a creating call: prawcore retries 5xx and read timeouts, and Reddit
        refuses no duplicate, so a retried submit that had landed would post twice."""
        from prawcore.sessions import FiniteRetryStrategy

        class _Once(FiniteRetryStrategy):
            def _sleep_seconds(self) -> float | None:
                return None

            def should_retry_on_failure(self) -> bool:
                return False

        core = getattr(reddit, "_core", None)
        previous = getattr(core, "_retry_strategy_class", None)
        if previous is not None:
            core._retry_strategy_class = _Once
        try:
            yield
        finally:
            if previous is not None:
                core._retry_strategy_class = previous

    def _subreddit_name(self) -> str:
        if not self.options.subreddit:
            raise PublishError("config", "no subreddit configured: set subreddit = \"name\" under [platforms.reddit]")
        return self.options.subreddit.removeprefix("r/")

    def _error(self, exc: Exception) -> PublishError:
        import praw.exceptions
        import prawcore.exceptions as pc

        if isinstance(exc, PublishError):
            return exc
        if isinstance(exc, praw.exceptions.RedditAPIException):
            item = exc.items[0]
            kind, message = item.error_type, item.message or ""
            if kind == "RATELIMIT":
                retry_at = common.retry_in(message)
                return PublishError("rate_limited", f"Reddit rate limit (RATELIMIT): {message}", retry_at=retry_at)
            if kind == "SUBMIT_VALIDATION_FLAIR_REQUIRED":
                return PublishError("config", f"r/{self.options.subreddit} requires a flair: set flair_id (or flair_text) "
                                    "under [platforms.reddit]; 'postgen doctor' lists the subreddit's rules")
            if kind == "NO_SELFS":
                return PublishError("config", f"r/{self.options.subreddit} does not allow text posts (NO_SELFS): "
                                    "choose another subreddit in [platforms.reddit]")
            if kind in ("SUBREDDIT_NOEXIST", "SUBREDDIT_NOTALLOWED"):
                return PublishError("permission", f"cannot post to r/{self.options.subreddit} ({kind}): {message}")
            if kind == "TOO_LONG":
                return PublishError("invalid", f"Reddit says a field is too long ({item.field}): {message}")
            return PublishError("invalid", f"Reddit refused the post: {item.error_message}")
        if isinstance(exc, pc.OAuthException):
            return PublishError("auth", f"Reddit refused the login ({exc}). {AUTH_HINT}")
        if isinstance(exc, pc.TooManyRequests):
            retry = exc.retry_after
            retry_at = time.time() + float(retry) if retry else None
            return common.http_error("Reddit", 429, "too many requests", retry_at=retry_at)
        if isinstance(exc, pc.ResponseException):
            status = exc.response.status_code
            return common.http_error("Reddit", status, exc.response.text[:200], auth_hint=AUTH_HINT)
        if isinstance(exc, pc.RequestException):
            return common.network_error("Reddit", exc)
        if isinstance(exc, KeyError) and exc.args == (401,):
            # prawcore maps a 401 by its www-authenticate header; without one its lookup fails with
            # KeyError(401) (prawcore.util.authorization_error_class): still a refused login.
            return common.http_error("Reddit", 401, "unauthorized", auth_hint=AUTH_HINT)
        # Anything else says nothing about whether the post landed (Reddit accepts copies: never `failed`).
        return PublishError("unknown", f"Reddit call failed: {type(exc).__name__}: {exc}; the post may be there, "
                            "postgen looks before trying again")

    def _post_url(self, submission_id: str) -> str:
        return f"https://www.reddit.com/r/{self._subreddit_name()}/comments/{submission_id}/"

    def publish(self, post: Post) -> Publication:
        name = self._subreddit_name()
        reddit = self._reddit()
        url = post.link if self._link_post(post) else None
        try:
            with self._once(reddit):
                submission = reddit.subreddit(name).submit(
                    (post.title or "").strip(), selftext=common.sent_body(post), url=url,
                    flair_id=self.options.flair_id, flair_text=self.options.flair_text,
                )
        except Exception as exc:
            raise self._error(exc) from exc
        warning = self._readback(submission, common.sent_body(post))
        return Publication(remote_id=submission.id, url=self._post_url(submission.id), published_at=common.now(),
                           warnings=[warning] if warning else [])

    @staticmethod
    def _readback(submission: Any, sent: str) -> str | None:
        """Compare the self text Reddit stored with what was sent. Reading it is one more call
        (praw fetches the submission); when that fails the post still stands: no warning."""
        try:
            stored = submission.selftext
        except Exception:
            return None
        return common.readback_warning("Reddit", sent, stored)

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        link = common.follow_up_link(post)
        if not link or common.published_follow_ups(publication, "first_comment"):
            return publication
        try:
            reddit = self._reddit()
            with self._once(reddit):
                comment = reddit.submission(id=publication.remote_id).reply(link)
        except Exception as exc:
            failed = common.failed_follow_up("first_comment", self._error(exc))
            return common.replace_follow_ups(publication, "first_comment", [failed])
        if comment is not None:
            follow = self._comment_follow_up(publication, comment.id)
        else:
            # Reddit took the comment but did not hand it back (praw: in a quarantined subreddit,
            # for one): it is there, so it is recorded as sent, never posted again.
            try:
                follow = self.find_follow_up(post, publication)
            except PublishError:
                follow = None
            if follow is None:
                publication = publication.model_copy(update={"warnings": [*publication.warnings, (
                    "Reddit accepted the link comment but did not return it and it is not listed yet; "
                    f"check {publication.url or self._post_url(publication.remote_id)}")]})
                follow = FollowUp(kind="first_comment", url=publication.url, at=common.now())
        return common.replace_follow_ups(publication, "first_comment", [follow])

    def _comment_follow_up(self, publication: Publication, comment_id: str) -> FollowUp:
        return FollowUp(kind="first_comment", remote_id=comment_id,
                        url=f"{self._post_url(publication.remote_id)}_/{comment_id}/", at=common.now())

    def find_follow_up(self, post: Post, publication: Publication) -> FollowUp | None:
        """The link comment among the submission's comments by this account."""
        link = common.follow_up_link(post)
        if not link or common.published_follow_ups(publication, "first_comment"):
            return None
        me = (self.env.get("REDDIT_USERNAME") or "").lower()
        try:
            reddit = self._reddit()
            submission = reddit.submission(id=publication.remote_id)
            submission.comment_sort = "new"
            submission.comments.replace_more(limit=0)
            for comment in submission.comments.list():
                author = getattr(comment.author, "name", "") or ""
                if author.lower() == me and (comment.body or "").strip() == link.strip():
                    return self._comment_follow_up(publication, comment.id)
        except Exception as exc:
            err = self._error(exc)
            raise common.lookup_error(err, f"cannot tell whether the link comment of {post.id} is on Reddit: {err.message}") from exc
        return None

    def find_existing(self, post: Post) -> Publication | None:
        """The account's recent submissions: same title in the same subreddit."""
        name = self._subreddit_name().lower()
        title = (post.title or "").strip()
        try:
            reddit = self._reddit()
            for submission in reddit.user.me().submissions.new(limit=50):
                if submission.title.strip() == title and submission.subreddit.display_name.lower() == name:
                    return Publication(remote_id=submission.id, url=self._post_url(submission.id))
        except Exception as exc:
            err = self._error(exc)
            raise common.lookup_error(err, f"cannot tell whether {post.id} is on Reddit: {err.message}") from exc
        return None

    def metrics(self, publications: list[Publication]) -> dict[str, Engagement | PublishError]:
        """GET /api/info?id=t3_…,t3_… (praw asks 100 fullnames a request): score, upvote_ratio and
        num_comments. Engagements: the score (never below 0) plus the comments; Reddit gives no
        views. A post deleted by its author or removed by a moderator still answers, with
        `removed_by_category` set: it counts as gone."""
        ids = list(dict.fromkeys(p.remote_id.removeprefix("t3_") for p in publications))
        out: dict[str, Engagement | PublishError] = {}
        if not ids:
            return out
        reddit = self._reddit()
        try:
            for submission in reddit.info(fullnames=[f"t3_{i}" for i in ids]):
                data = vars(submission)  # what the listing said: attribute access could fetch more
                if data.get("removed_by_category"):
                    out[submission.id] = Engagement(deleted=True)
                    continue
                counts = {k: data[k] for k in ("score", "upvote_ratio", "num_comments") if isinstance(data.get(k), (int, float))}
                out[submission.id] = Engagement(
                    engagements=max(0, int(counts.get("score", 0))) + int(counts.get("num_comments", 0)), counts=counts)
        except Exception as exc:
            err = self._error(exc)
            if not out:
                raise err from exc
            out.update((i, err) for i in ids if i not in out)  # a later batch failed: those wait
        return out

    def check(self) -> Health:
        missing = [n for n in CREDENTIALS if not self.env.get(n)]
        health = Health(platform=self.name, ok=not missing, missing=missing)
        if not self.options.subreddit:
            health.ok = False
            health.messages.append("error: no subreddit: set subreddit = \"name\" under [platforms.reddit]")
        if missing:
            return health
        try:
            reddit = self._reddit()
            me = reddit.user.me()
            health.identity = f"u/{me.name}"
            if self.options.subreddit:
                rules = reddit.subreddit(self._subreddit_name()).post_requirements()
                if rules.get("is_flair_required") and not (self.options.flair_id or self.options.flair_text):
                    health.ok = False
                    health.messages.append(f"error: r/{self.options.subreddit} requires a flair: set flair_id under [platforms.reddit]")
                if rules.get("body_restriction_policy") == "notAllowed":
                    health.ok = False
                    health.messages.append(f"error: r/{self.options.subreddit} does not allow text in posts")
        except Exception as exc:
            health.ok = False
            health.messages.append(self._error(exc).message)
        health.messages.append("new Reddit API apps need Reddit's approval (2025 policy)")
        return health


def user_agent(username: str) -> str:
    """Reddit's required format: <platform>:<app id>:<version> (by /u/<reddit username>)."""
    from postgen import __version__

    return f"python:postgen:v{__version__} (by /u/{username.removeprefix('u/').removeprefix('/u/')})"


@hookimpl
def postgen_register_connectors(register) -> None:
    register(RedditConnector)
