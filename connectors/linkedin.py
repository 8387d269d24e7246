"""LinkedIn connector: little-text escaping, the Posts API over requests, the first comment.

Plugin module: `postgen_register_connectors` registers `LinkedInConnector`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from urllib.parse import quote

from pydantic import Field, field_validator

from postgen import hookimpl
from postgen.connector import Connector, ConnectorOptions, Health, Preview, PublishError
from postgen.models import FollowUp, Post, Problem, Publication

from . import _common as common

API = "https://api.linkedin.com"
LIMIT = 3000
DEFAULT_VERSION = "202610"
WARN_MONTHS, RETIRED_MONTHS = 10, 12
RESERVED = "\\|{}@[]()<>#*_~"
MENTION = re.compile(r"@\[[^\]\\\n]+\]\(urn:li:(?:person|organization):[^)\s\\]+\)")
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
AUTH_HINT = ("LinkedIn access tokens last 60 days: create a new one (scopes openid profile w_member_social) "
             "and set LINKEDIN_ACCESS_TOKEN.")


def _is_hashtag(text: str, i: int) -> bool:
    """A '#' at a word start followed by a letter or digit: an intended hashtag."""
    before_ok = i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")
    after_ok = i + 1 < len(text) and text[i + 1].isalnum()
    return before_ok and after_ok


def escape(text: str) -> str:
    """LinkedIn "little text": backslash-escape reserved characters, keeping #hashtags and
    @[Name](urn:li:person:…) mentions as syntax. Unescaped, LinkedIn silently cuts the post."""
    out: list[str] = []
    pos = 0
    for m in list(MENTION.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        for i in range(pos, end):
            ch = text[i]
            if ch in RESERVED and not (ch == "#" and _is_hashtag(text, i)):
                out.append("\\")
            out.append(ch)
        if m:
            out.append(m.group(0))
            pos = m.end()
    return "".join(out)


def unescape(text: str) -> str:
    """The inverse of `escape`."""
    return _UNESCAPE.sub(r"\1", text)


def version_age_months(version: str, today: date | None = None) -> int:
    today = today or date.today()
    return (today.year - int(version[:4])) * 12 + today.month - int(version[4:6])


class LinkedInOptions(ConnectorOptions):
    """[platforms.linkedin]: the pinned LinkedIn-Version (YYYYMM) and optionally the author URN."""

    version: str = DEFAULT_VERSION
    author: str | None = None  # urn:li:person:… or urn:li:organization:…; else LINKEDIN_AUTHOR or userinfo
    visibility: str = "PUBLIC"
    timeout: float = Field(default=common.DEFAULT_TIMEOUT, gt=0)

    @field_validator("version")
    @classmethod
    def _yyyymm(cls, value: str) -> str:
        if not re.fullmatch(r"20\d\d(0[1-9]|1[0-2])", value):
            raise ValueError("must be a LinkedIn-Version like \"202610\" (YYYYMM)")
        return value

    @field_validator("author")
    @classmethod
    def _urn(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"urn:li:(person|organization):\S+", value):
            raise ValueError("must be an URN like urn:li:person:abc123 or urn:li:organization:123")
        return value


class LinkedInConnector(Connector):
    name = "linkedin"
    label = "LINKEDIN"
    credentials = ("LINKEDIN_ACCESS_TOKEN",)
    has_title = False
    refuses_duplicates = True  # LinkedIn answers 422 DUPLICATE_POST to a copy
    limit = LIMIT  # commentary characters, after escaping
    Options = LinkedInOptions
    options: LinkedInOptions

    def style(self) -> str:
        return (
            f"LinkedIn. Up to {LIMIT} characters; the first two lines show before \"see more\", so the hook "
            "goes there. Plain text: markdown is not rendered (no **bold**, no # headings, no [text](url)). "
            "Line breaks and emoji are fine. 3-5 #hashtags at the end at most. "
            + ("The video link goes in the first comment, not the post." if self.options.link_policy == "first_comment"
               else "")
        ).strip()

    def commentary(self, post: Post) -> str:
        """The commentary exactly as sent: escaped (the run file keeps the person's text)."""
        return escape(common.sent_body(post))

    def measure(self, text: str) -> int:
        return len(escape(text))  # the limit applies to the escaped commentary

    def validate(self, post: Post) -> list[Problem]:
        body = common.sent_body(post)
        if not body:
            return [Problem(severity="error", code="empty", message="the post is empty")]
        problems: list[Problem] = []
        sent = escape(body)
        if len(sent) > LIMIT:
            extra = f" ({len(body)} before escaping reserved characters)" if len(sent) != len(body) else ""
            problems.append(Problem(severity="error", code="too_long",
                                    message=f"{len(sent)} of {LIMIT} characters{extra}; cut {len(sent) - LIMIT}"))
        if m := common.MARKDOWN.search(body):
            problems.append(Problem(severity="warning", code="markdown",
                                    message=f"LinkedIn does not render markdown: {m.group(0)!r} will show as typed"))
        problems.extend(common.link_problems(post, "first comment"))
        return problems

    def preview(self, post: Post) -> Preview:
        parts: list[dict[str, Any]] = [{"kind": "post", "text": self.commentary(post), "characters": len(self.commentary(post)),
                                        "limit": LIMIT}]
        link = common.follow_up_link(post)
        if link:
            parts.append({"kind": "first_comment", "text": link})
        notes = [f"LinkedIn-Version {self.options.version}; reserved characters are backslash-escaped in what is sent"]
        if link:
            notes.append("comments through the API may be refused for personal accounts; a refusal is recorded, the post stays")
        return Preview(post_id=post.id, platform=self.name, parts=parts, estimated_cost_usd=0.0, notes=notes)

    # -- HTTP ------------------------------------------------------------------------------------------
    def _session(self) -> Any:
        token = self.env.get("LINKEDIN_ACCESS_TOKEN")
        if not token:
            raise PublishError("auth", "LINKEDIN_ACCESS_TOKEN is not set. " + AUTH_HINT)
        session = common.timeout_session(self.options.timeout)
        session.headers.update({
            "Authorization": f"Bearer {token}",
            "LinkedIn-Version": self.options.version,
            "X-Restli-Protocol-Version": "2.0.0",
        })
        return session

    def _call(self, session: Any, method: str, url: str, **kwargs: Any) -> Any:
        import requests

        try:
            response = session.request(method, url, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise common.timeout_error("LinkedIn", exc) from exc
        if response.status_code < 300:
            return response
        raise self._error(response)

    def _error(self, response: Any) -> PublishError:
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = {}
        if not isinstance(data, dict):  # a gateway's array or string
            data = {}
        code = str(data.get("code") or data.get("serviceErrorCode") or "")
        detail = data.get("message") or response.text[:300]
        if status == 426 or code == "NONEXISTENT_VERSION" or "NONEXISTENT_VERSION" in response.text:
            return PublishError("retired_version", f"LinkedIn-Version {self.options.version} is retired ({status} "
                                f"NONEXISTENT_VERSION): set version = \"YYYYMM\" of a recent month in [platforms.linkedin].",
                                status=status)
        if code == "DUPLICATE_POST" or "DUPLICATE_POST" in response.text:
            existing = re.search(r"urn:li:(?:share|ugcPost):\d+", str(detail))
            return PublishError("duplicate", f"LinkedIn says this post already exists (422 DUPLICATE_POST): {detail}",
                                status=status, remote_id=existing.group(0) if existing else None,
                                url=self._url(existing.group(0)) if existing else None)
        if status == 400 and "length" in str(detail).lower():
            return PublishError("invalid", f"LinkedIn refused the commentary as too long (400): {detail}. Shorten it "
                                f"to {LIMIT} characters after escaping ('postgen validate').", status=status)
        retry = response.headers.get("Retry-After")
        import time

        retry_at = time.time() + float(retry) if retry and retry.isdigit() else None
        return common.http_error("LinkedIn", status, str(detail), retry_at=retry_at, auth_hint=AUTH_HINT)

    def _author(self, session: Any) -> str:
        author = self.options.author or self.env.get("LINKEDIN_AUTHOR")
        if author:
            return author
        data = self._call(session, "GET", f"{API}/v2/userinfo").json()
        return f"urn:li:person:{data['sub']}"

    @staticmethod
    def _url(urn: str) -> str:
        return f"https://www.linkedin.com/feed/update/{urn}"

    def publish(self, post: Post) -> Publication:
        session = self._session()
        body = {
            "author": self._author(session),
            "commentary": self.commentary(post),
            "visibility": self.options.visibility,
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        response = self._call(session, "POST", f"{API}/rest/posts", json=body)
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise PublishError("unknown", "LinkedIn answered 201 without the post URN (x-restli-id); check the feed")
        return Publication(remote_id=urn, url=self._url(urn), published_at=common.now())

    def publish_follow_up(self, post: Post, publication: Publication) -> Publication:
        """The link as the first comment (socialActions). Its text is not little text: sent as is."""
        link = common.follow_up_link(post)
        if not link or common.published_follow_ups(publication, "first_comment"):
            return publication
        try:
            session = self._session()
            author = self._author(session)
            urn = publication.remote_id
            response = self._call(session, "POST", f"{API}/rest/socialActions/{quote(urn, safe='')}/comments",
                                  json={"actor": author, "object": urn, "message": {"text": link}})
            comment = response.headers.get("x-restli-id")
            if not comment:
                try:
                    comment = response.json().get("commentUrn") or response.json().get("$URN")
                except ValueError:
                    comment = None
            follow = FollowUp(kind="first_comment", remote_id=comment, url=self._url(urn), at=common.now())
        except Exception as exc:  # recorded on the post, never raised: the post itself stands
            follow = common.failed_follow_up("first_comment", exc)
        return common.replace_follow_ups(publication, "first_comment", [follow])

    def find_existing(self, post: Post) -> Publication | None:
        raise PublishError("unknown", "LinkedIn offers no practical lookup of a member's own posts: look at "
                           "https://www.linkedin.com/in/me/recent-activity/all/ and record or retry by hand")

    def check(self) -> Health:
        health = Health(platform=self.name, ok=True)
        age = version_age_months(self.options.version)
        if age > RETIRED_MONTHS:
            health.ok = False
            health.messages.append(f"error: LinkedIn-Version {self.options.version} is {age} months old and probably "
                                   "retired (426 NONEXISTENT_VERSION): bump version in [platforms.linkedin]")
        elif age > WARN_MONTHS:
            health.messages.append(f"warning: LinkedIn-Version {self.options.version} is {age} months old; LinkedIn "
                                   "retires versions after about a year: bump version in [platforms.linkedin] soon")
        else:
            health.messages.append(f"LinkedIn-Version {self.options.version} ({age} months old)")
        if not self.env.get("LINKEDIN_ACCESS_TOKEN"):
            health.ok = False
            health.missing.append("LINKEDIN_ACCESS_TOKEN")
            return health
        try:
            session = self._session()
            data = self._call(session, "GET", f"{API}/v2/userinfo").json()
        except PublishError as exc:
            health.ok = False
            health.messages.append(exc.message)
            return health
        health.identity = f"{data.get('name', '?')} (urn:li:person:{data.get('sub')})"
        return health


@hookimpl
def postgen_register_connectors(register) -> None:
    register(LinkedInConnector)
