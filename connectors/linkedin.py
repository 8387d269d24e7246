"""LinkedIn connector: little-text escaping, the Posts API over requests, the first comment.

Plugin module: `postgen_register_connectors` registers `LinkedInConnector`.
"""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any
from urllib.parse import quote

from pydantic import Field, field_validator

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

API = "https://api.linkedin.com"
LIMIT = 3000
# A version LinkedIn documents (its docs carry a "li-lms-2026-08" view; 202601, the newest on the
# English versioning page, is sunset on 2027-01-15). Versions live about a year: `doctor` warns
# from month 10 and confirms the version with a call that carries it.
DEFAULT_VERSION = "202608"
WARN_MONTHS, RETIRED_MONTHS = 10, 12
RESERVED = "\\|{}@[]()<>#*_~"
MENTION = re.compile(r"@\[[^\]\\\n]+\]\(urn:li:(?:person|organization):[^)\s\\]+\)")
_UNESCAPE = re.compile(r"\\([\\|{}@\[\]()<>#*_~])")
EXCEPTION_PREFIX = "com.linkedin.content.common.exception.BadRequestResponseException: "
# memberCreatorPostAnalytics answers one metric per call (queryType); these four make a reading.
ANALYTICS = ("IMPRESSION", "REACTION", "COMMENT", "RESHARE")
ANALYTICS_HINT = ("LinkedIn post analytics are unavailable for this token: reading them needs the "
                  "r_member_postAnalytics permission (LinkedIn's Community Management API product). Add it to the app, "
                  "create a new token with that scope and set LINKEDIN_ACCESS_TOKEN; until then LinkedIn posts get no readings.")
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
        image = common.media_detail(post)
        if image:
            parts[0]["details"] = [image]
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
            raise common.network_error("LinkedIn", exc) from exc
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
        codes = _error_codes(data)
        detail = str(data.get("message") or response.text[:300]).removeprefix(EXCEPTION_PREFIX)
        if status == 426 or "NONEXISTENT_VERSION" in codes or "NONEXISTENT_VERSION" in response.text:
            return PublishError("retired_version", f"LinkedIn-Version {self.options.version} is retired ({status} "
                                f"NONEXISTENT_VERSION): set version = \"YYYYMM\" of a recent month in [platforms.linkedin].",
                                status=status)
        if "DUPLICATE_POST" in codes or "DUPLICATE_POST" in response.text:
            # "Content is a duplicate of urn:li:share:…": the post LinkedIn already has.
            existing = re.search(r"urn:li:(?:share|ugcPost):\d+", detail)
            return PublishError("duplicate", f"LinkedIn says this post already exists ({status} DUPLICATE_POST): {detail}",
                                status=status, remote_id=existing.group(0) if existing else None,
                                url=self._url(existing.group(0)) if existing else None)
        if status == 400 and ("FIELD_ARRAY_SIZE_TOO_HIGH" in codes or "length" in detail.lower()):
            return PublishError("invalid", f"LinkedIn refused the commentary as too long (400): {detail}. Shorten it "
                                f"to {LIMIT} characters after escaping ('postgen validate').", status=status)
        retry = response.headers.get("Retry-After")
        if retry and retry.isdigit():
            retry_at: float | None = time.time() + float(retry)
        else:  # LinkedIn sends no Retry-After; its daily limits reset at midnight UTC
            retry_at = common.next_utc_midnight() if status == 429 else None
        return common.http_error("LinkedIn", status, detail, retry_at=retry_at, auth_hint=AUTH_HINT)

    def _author(self, session: Any) -> str:
        author = self.options.author or self.env.get("LINKEDIN_AUTHOR")
        if author:
            return author
        data = self._call(session, "GET", f"{API}/v2/userinfo").json()
        return f"urn:li:person:{data['sub']}"

    @staticmethod
    def _url(urn: str) -> str:
        return f"https://www.linkedin.com/feed/update/{urn}"

    def upload_media(self, post: Post, media: MediaFile) -> UploadedMedia:
        """The Images API: initialize the upload (owner: the post's author), PUT the bytes to the
        upload URL it gives. The image URN does not expire; its alt text goes with the post."""
        session = self._session()
        answer = self._call(session, "POST", f"{API}/rest/images", params={"action": "initializeUpload"},
                            json={"initializeUploadRequest": {"owner": self._author(session)}})
        try:
            value = answer.json()["value"]
            upload_url, urn = str(value["uploadUrl"]), str(value["image"])
        except (ValueError, KeyError, TypeError) as exc:
            raise PublishError("unknown", f"LinkedIn's initializeUpload answer has no uploadUrl and image ({type(exc).__name__})") from None
        self._call(session, "PUT", upload_url, data=media.data, headers={"Content-Type": media.mime_type})
        return UploadedMedia(remote_id=urn)

    def _post_body(self, post: Post, session: Any, image: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "author": self._author(session),
            "commentary": self.commentary(post),
            "visibility": self.options.visibility,
            "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if image and post.media is not None:
            body["content"] = {"media": {"altText": post.media.alt, "id": image}}  # alt: the title, at most 1000 characters
        return body

    def publish(self, post: Post) -> Publication:
        session = self._session()
        image, warnings = uploaded_media(post), []
        try:
            response = self._call(session, "POST", f"{API}/rest/posts", json=self._post_body(post, session, image))
        except PublishError as exc:
            if not (image and exc.kind == "invalid" and "image" in exc.message.lower()):
                raise
            # LinkedIn refused the picture, not the text: the post goes without it.
            response = self._call(session, "POST", f"{API}/rest/posts", json=self._post_body(post, session, None))
            warnings.append(f"posted without the picture: {exc.message}")
        urn = response.headers.get("x-restli-id")
        if not urn:
            raise PublishError("unknown", "LinkedIn answered 201 without the post URN (x-restli-id); check the feed")
        return Publication(remote_id=urn, url=self._url(urn), published_at=common.now(), warnings=warnings)

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

    def _organization(self) -> str | None:
        """The author when it is a company page: LinkedIn lets its admins read the page's posts and
        comments (r_organization_social); a member's own cannot be read (r_member_social is for
        approved partners only)."""
        author = self.options.author or self.env.get("LINKEDIN_AUTHOR")
        return author if author and author.startswith("urn:li:organization:") else None

    def _read(self, url: str, params: dict[str, Any], what: str) -> list[dict]:
        """GET a collection (`elements`) for a lookup; errors as `lookup_error` kinds."""
        try:
            data = self._call(self._session(), "GET", url, params=params).json()
        except PublishError as exc:
            hint = (" The token needs the r_organization_social scope (and the member a role on the page)."
                    if exc.status == 403 else "")
            raise common.lookup_error(exc, f"cannot tell whether {what} is on LinkedIn: {exc.message}{hint}") from exc
        except ValueError as exc:
            raise PublishError("unknown", f"cannot tell whether {what} is on LinkedIn: its answer was not JSON") from exc
        elements = data.get("elements") if isinstance(data, dict) else None
        return [e for e in elements or [] if isinstance(e, dict)]

    def find_existing(self, post: Post) -> Publication | None:
        """A company page's recent posts (GET /rest/posts?q=author) with the same commentary."""
        organization = self._organization()
        if organization is None:
            raise PublishError("unknown", "LinkedIn does not let apps read a member's own posts (r_member_social is for "
                               "approved partners): look at https://www.linkedin.com/in/me/recent-activity/all/ and "
                               "record or retry by hand")
        wanted = common.comparable(common.sent_body(post))
        elements = self._read(f"{API}/rest/posts", {"q": "author", "author": organization, "count": 50,
                                                    "sortBy": "LAST_MODIFIED"}, post.id)
        for element in elements:
            if element.get("id") and common.comparable(unescape(str(element.get("commentary") or ""))) == wanted:
                return Publication(remote_id=str(element["id"]), url=self._url(str(element["id"])))
        return None

    def find_follow_up(self, post: Post, publication: Publication) -> FollowUp | None:
        """The link comment, among the post's comments by the page (company pages only)."""
        link = common.follow_up_link(post)
        if not link or common.published_follow_ups(publication, "first_comment"):
            return None
        organization = self._organization()
        if organization is None:
            raise PublishError("unknown", "LinkedIn does not let apps read a member's comments (r_member_social is for "
                               f"approved partners): look under {self._url(publication.remote_id)} and add the link "
                               "comment by hand if it is missing")
        urn = publication.remote_id
        elements = self._read(f"{API}/rest/socialActions/{quote(urn, safe='')}/comments", {"count": 100},
                              f"the link comment of {post.id}")
        for element in elements:
            message = element.get("message")
            text = message.get("text") if isinstance(message, dict) else None
            if element.get("actor") == organization and isinstance(text, str) and text.strip() == link.strip():
                comment = element.get("commentUrn") or element.get("$URN") or element.get("id")
                return FollowUp(kind="first_comment", remote_id=str(comment) if comment else None, url=self._url(urn),
                                at=common.now())
        return None

    def metrics(self, publications: list[Publication]) -> dict[str, Engagement | PublishError]:
        """Member post analytics (GET /rest/memberCreatorPostAnalytics?q=entity, TOTAL aggregation),
        one call per metric per post: impressions, and reactions + comments + reshares as the
        engagements. Needs the r_member_postAnalytics permission: without it the first call's 403
        says so once and no more calls are made. 404: the post is gone."""
        out: dict[str, Engagement | PublishError] = {}
        session = self._session()
        todo = list(dict.fromkeys(p.remote_id for p in publications))
        for i, urn in enumerate(todo):
            try:
                counts = {metric: self._analytics(session, urn, metric) for metric in ANALYTICS}
            except PublishError as exc:
                if exc.status == 404:
                    out[urn] = Engagement(deleted=True)
                    continue
                if exc.kind == "permission":
                    exc = PublishError("permission", f"{ANALYTICS_HINT} ({exc.message})", status=exc.status)
                if i == 0 and exc.kind in ("permission", "auth", "rate_limited", "retired_version"):
                    raise exc from None  # nothing read: the same answer holds for every post
                for rest in todo[i:]:  # stop asking: the rest wait for a later pass
                    out[rest] = exc
                break
            known = {k: v for k, v in counts.items() if v is not None}
            out[urn] = Engagement(
                engagements=sum(known.get(k, 0) for k in ("REACTION", "COMMENT", "RESHARE")),
                impressions=known.get("IMPRESSION"), counts={k.lower(): v for k, v in known.items()})
        return out

    def _analytics(self, session: Any, urn: str, metric: str) -> int | None:
        """One metric's total for one post; None when LinkedIn has no data point for it yet."""
        kind = "ugc" if urn.startswith("urn:li:ugcPost:") else "share"
        # Rest.li 2.0: the URN is percent-encoded inside the literal (kind:...) of the query.
        url = (f"{API}/rest/memberCreatorPostAnalytics?q=entity&entity=({kind}:{quote(urn, safe='')})"
               f"&queryType={metric}&aggregation=TOTAL")
        try:
            data = self._call(session, "GET", url).json()
        except ValueError:
            raise PublishError("transient", "LinkedIn analytics answered with something that is not JSON") from None
        for element in (data.get("elements") if isinstance(data, dict) else None) or []:
            if isinstance(element, dict) and isinstance(element.get("count"), int):
                return element["count"]
        return None

    def _confirm_version(self, session: Any, author: str) -> tuple[bool, str]:
        """One harmless GET under /rest/ carrying the LinkedIn-Version header (the /v2 identity call
        ignores it): a retired version answers 426 NONEXISTENT_VERSION before anything else."""
        version = self.options.version
        try:
            self._call(session, "GET", f"{API}/rest/posts", params={"q": "author", "author": author, "count": 1})
        except PublishError as exc:
            if exc.kind == "retired_version":
                return False, f"error: {exc.message}"
            if exc.status in (403, 404):  # the version was accepted; the read itself is not allowed
                where = ("; the page's posts cannot be read, so after a crash postgen asks you instead of looking: "
                         "add the r_organization_social scope" if author.startswith("urn:li:organization:") else "")
                return True, f"LinkedIn-Version {version} accepted (GET /rest/posts answered {exc.status}){where}"
            return True, f"warning: could not confirm LinkedIn-Version {version}: {exc.message}"
        return True, f"LinkedIn-Version {version} accepted" + (
            "; the page's posts can be looked up after a crash" if author.startswith("urn:li:organization:") else "")

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
        author = self.options.author or self.env.get("LINKEDIN_AUTHOR") or f"urn:li:person:{data.get('sub')}"
        accepted, message = self._confirm_version(session, author)
        if accepted and age > RETIRED_MONTHS:  # LinkedIn's answer outranks the calendar
            health.messages[0] = (f"warning: LinkedIn-Version {self.options.version} is {age} months old; LinkedIn still "
                                  "accepts it but retires versions after about a year: bump version in [platforms.linkedin]")
        health.ok = accepted
        health.messages.append(message)
        return health


def _error_codes(data: dict) -> set[str]:
    """Every error code in a LinkedIn error answer: the top-level `code` (426, 401) and those in
    `errorDetails.inputErrors[].code` (422 DUPLICATE_POST, 400 FIELD_ARRAY_SIZE_TOO_HIGH)."""
    codes = {str(data.get("code") or "")}
    details = data.get("errorDetails")
    for item in (details.get("inputErrors") if isinstance(details, dict) else None) or []:
        if isinstance(item, dict) and item.get("code"):
            codes.add(str(item["code"]))
    return codes - {""}


@hookimpl
def postgen_register_connectors(register) -> None:
    register(LinkedInConnector)
