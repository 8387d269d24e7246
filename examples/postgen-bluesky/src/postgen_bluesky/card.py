"""The link card of a post: `app.bsky.embed.external` with the page's title, description and
thumbnail, read from its Open Graph tags when publishing, as the Bluesky app does.

A card is a nicety: a page that cannot be read, or a thumbnail that is too big, gives a card with
less in it (or none), never a failed post. Thumbnails go up with com.atproto.repo.uploadBlob; the
lexicon accepts image/* up to 1,000,000 bytes.
"""

from __future__ import annotations

import html.parser
from dataclasses import dataclass
from typing import Any

MAX_THUMB_BYTES = 1_000_000
PAGE_TIMEOUT = 15


@dataclass
class Card:
    uri: str
    title: str
    description: str
    image: str | None = None  # the og:image URL


class _Meta(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or "").lower()
            if key and key not in self.meta and a.get("content"):
                self.meta[key] = a["content"].strip()
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False if tag == "title" else self._in_title

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)


def read_card(http: Any, uri: str) -> tuple[Card | None, str]:
    """The card for `uri` from its page, or None and why (a bare URL card would say nothing the
    link does not)."""
    import requests

    try:
        page = http.get(uri, timeout=PAGE_TIMEOUT, headers={"Accept": "text/html"})
    except requests.RequestException as exc:
        return None, f"no card: page not read ({type(exc).__name__})"
    kind = page.headers.get("Content-Type", "")
    if page.status_code >= 400 or "html" not in kind:
        return None, f"no card: the page answered {page.status_code} {kind}".rstrip()
    parser = _Meta()
    parser.feed(page.text[:500_000])
    meta = parser.meta
    title = meta.get("og:title") or " ".join("".join(parser.title).split())
    if not title:
        return None, "no card: the page has no title"
    description = meta.get("og:description") or meta.get("description") or ""
    return Card(uri, title[:300], description[:1000], image=meta.get("og:image") or None), ""


def thumbnail(http: Any, card: Card) -> tuple[bytes, str] | str:
    """The card's image as (bytes, MIME type) when it is an image small enough for a blob; else why not."""
    import requests

    if not card.image:
        return "card without thumbnail: the page names no og:image"
    try:
        image = http.get(card.image, timeout=PAGE_TIMEOUT)
    except requests.RequestException as exc:
        return f"card without thumbnail: image not read ({type(exc).__name__})"
    mime = image.headers.get("Content-Type", "").split(";")[0].strip()
    if image.status_code >= 400 or not mime.startswith("image/"):
        return f"card without thumbnail: the image answered {image.status_code} {mime}".rstrip()
    if len(image.content) > MAX_THUMB_BYTES:
        return f"card without thumbnail: {len(image.content):,} bytes, Bluesky takes {MAX_THUMB_BYTES:,}"
    return image.content, mime
