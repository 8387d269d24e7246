"""Channel and playlist feeds: `https://www.youtube.com/feeds/videos.xml?channel_id=…` (or
`playlist_id=…`), public Atom with the latest 15 videos, no API key.

The feed is also the only keyless place with a video's description, publish date and views,
so its entries are kept and handed to the fetch of the chosen video.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from postgen import hookimpl
from postgen.source import Candidate, SourceError

from .youtube import Extra, YouTubeBase, get, session, watch_url

if TYPE_CHECKING:  # pragma: no cover
    import requests

FEED_URL = "https://www.youtube.com/feeds/videos.xml"
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "yt": "http://www.youtube.com/xml/schemas/2015",
    "media": "http://search.yahoo.com/mrss/",
}
_FEED_ID = re.compile(r"[A-Za-z0-9_-]{10,64}")


@dataclass
class FeedEntry:
    video_id: str
    title: str
    published: datetime | None
    description: str = ""
    views: int | None = None
    channel: str = ""

    def extra(self) -> Extra:
        return Extra(title=self.title, channel=self.channel, description=self.description,
                     published=self.published, views=self.views)


def feed_url(kind: str, ident: str) -> str:
    return f"{FEED_URL}?{kind}={ident}"


def parse_feed(xml: str | bytes, where: str) -> list[FeedEntry]:
    """Entries of a YouTube Atom feed, newest first as YouTube lists them."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise SourceError(f"{where}: the answer is not XML ({exc}); YouTube may be down, try again later") from None
    if root.tag != f"{{{NS['atom']}}}feed":
        raise SourceError(f"{where}: the answer is XML but not a YouTube feed (root <{root.tag}>)")
    entries = []
    for node in root.findall("atom:entry", NS):
        vid = (node.findtext("yt:videoId", "", NS) or "").strip()
        if not vid:
            continue
        group = node.find("media:group", NS)
        description = group.findtext("media:description", "", NS) if group is not None else ""
        stats = group.find("media:community/media:statistics", NS) if group is not None else None
        views = stats.get("views") if stats is not None else None
        entries.append(FeedEntry(
            video_id=vid,
            title=(node.findtext("atom:title", "", NS) or "").strip(),
            published=_date(node.findtext("atom:published", "", NS)),
            description=(description or "").strip(),
            views=int(views) if views and views.isdigit() else None,
            channel=(node.findtext("atom:author/atom:name", "", NS) or "").strip(),
        ))
    return entries


def _date(text: str | None) -> datetime | None:
    try:
        value = datetime.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def fetch_feed(kind: str, ident: str, http: requests.Session | None = None) -> list[FeedEntry]:
    """Download and parse one feed; a missing, failing or non-XML feed is a SourceError naming it."""
    url = feed_url(kind, ident)
    what = f"{kind.split('_')[0]} feed {url}"
    response = get(http or session(), FEED_URL, what, {kind: ident})
    if response.status_code == 404:
        raise SourceError(f"{what}: not found (404); check the {kind} in postgen.toml")
    if response.status_code != 200:
        raise SourceError(f"{what}: HTTP {response.status_code}; YouTube may be down, try again later")
    return parse_feed(response.content, what)


class _FeedSource(YouTubeBase):
    kind = ""  # the query parameter: channel_id or playlist_id

    def ident(self) -> str:
        value = str(self.spec.get(self.kind, "")).strip()
        if not _FEED_ID.fullmatch(value):
            raise SourceError(f"{self.name} source: `{self.kind}` must be a YouTube {self.name} id (got {value!r})")
        return value

    def candidates(self) -> list[Candidate]:
        entries = fetch_feed(self.kind, self.ident())
        out = []
        for position, entry in enumerate(entries):
            self.extras[entry.video_id] = entry.extra()
            out.append(Candidate(video_id=entry.video_id, url=watch_url(entry.video_id), title=entry.title,
                                 published=entry.published, views=entry.views, position=position, source=self.name))
        return out

    def describe(self) -> str:
        return f"{self.kind}={self.spec.get(self.kind, '?')}"


class ChannelSource(_FeedSource):
    """`type = "channel"`, `channel_id = "UC…"`: the channel's latest videos."""

    name = "channel"
    kind = "channel_id"


class PlaylistSource(_FeedSource):
    """`type = "playlist"`, `playlist_id = "PL…"`: the playlist's videos in its order."""

    name = "playlist"
    kind = "playlist_id"


@hookimpl
def postgen_register_sources(register: Any) -> None:
    register(ChannelSource)
    register(PlaylistSource)
