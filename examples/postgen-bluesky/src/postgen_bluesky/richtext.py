"""Bluesky's rich text: lengths as the app and the PDS count them, and the facets that make URLs
and hashtags live.

A post's `text` is limited to 300 graphemes and 3000 UTF-8 bytes (lexicon app.bsky.feed.post);
the app counts graphemes with Intl.Segmenter (Unicode extended grapheme clusters, so "नमस्ते" is 3,
a ZWJ family 1). Facets point into the text by UTF-8 byte offsets (app.bsky.richtext.facet
#byteSlice), never by character index. The detection rules follow @atproto/api's detectFacets:
a URL starts at the beginning, after a space or "(", and loses one trailing . , ; : ! ? and an
unbalanced ")"; a hashtag follows the beginning or a space, loses trailing punctuation, needs a
character that is neither a digit nor punctuation, and is at most 64 graphemes. Bare domains
("example.com") and @mentions (which need a DID lookup) are left as plain text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_GRAPHEMES = 300
MAX_BYTES = 3000
MAX_TAG_GRAPHEMES = 64

URL = re.compile(r"(?:^|(?<=[\s(]))(https?://\S+)", re.IGNORECASE)
# Zero-width and soft characters end a tag, as in the app.
TAG = re.compile(r"(?:^|(?<=\s))[#＃]([^\s\u00AD\u2060\u200A\u200B\u200C\u200D\u20e2]*)")


def graphemes(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, Unicode 16+), as Bluesky counts."""
    import grapheme  # graphemeu: current Unicode tables, pure Python

    return grapheme.length(text)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P")


def facets(text: str) -> list[dict[str, Any]]:
    """The link and tag facets of `text`, in order, with UTF-8 byte offsets."""
    found: list[tuple[int, int, dict[str, Any]]] = []
    for match in URL.finditer(text):
        uri, start = match.group(1), match.start(1)
        if uri[-1] in ".,;:!?":
            uri = uri[:-1]
        if uri.endswith(")") and "(" not in uri:
            uri = uri[:-1]
        found.append((start, start + len(uri), {"$type": "app.bsky.richtext.facet#link", "uri": uri}))
    for match in TAG.finditer(text):
        tag = match.group(1)
        if tag.startswith("\ufe0f"):
            continue
        while tag and _punctuation(tag[-1]):
            tag = tag[:-1]
        if not any(not c.isdigit() and not _punctuation(c) for c in tag) or graphemes(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start()  # the "#"
        found.append((start, start + 1 + len(tag), {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))
    return [{"index": {"byteStart": utf8_len(text[:start]), "byteEnd": utf8_len(text[:end])}, "features": [feature]}
            for start, end, feature in sorted(found, key=lambda f: f[0])]


def describe(text: str, facet: dict[str, Any]) -> str:
    """One facet for people: what it makes live, and where (the bytes it covers)."""
    feature = facet["features"][0]
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
    covered = text.encode("utf-8")[start:end].decode("utf-8")
    kind = feature["$type"].rsplit("#", 1)[1]
    target = feature.get("uri") or f"#{feature.get('tag')}"
    return f"{kind} {covered}" + (f" -> {target}" if target != covered else "") + f" (bytes {start}-{end})"
