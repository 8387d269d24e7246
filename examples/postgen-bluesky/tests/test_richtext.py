"""Bluesky's counting and facets, checked against the cases @atproto/api's own tests use."""

from __future__ import annotations

import pytest

from postgen_bluesky.richtext import facets, graphemes, utf8_len


@pytest.mark.parametrize("text,count", [
    ("a", 1), ("ö", 1), ("©", 1), ("⽘", 1), ("☎", 1), ("𓋓", 1), ("😀", 1),
    ("👨‍👩‍👧‍👧", 1),  # a ZWJ family is one
    ("a~öñ©⽘☎𓋓😀👨‍👩‍👧‍👧", 10),
    ("नमस्ते", 3),  # Unicode 15.1 conjuncts: atproto issue 4321
    ("🇫🇷", 1), ("🫶🏽", 1), ("e\u0301", 1),
])
def test_graphemes_as_the_app_counts(text, count):
    assert graphemes(text) == count


def spans(text: str) -> list[tuple[str, str]]:
    raw = text.encode()
    out = []
    for facet in facets(text):
        feature = facet["features"][0]
        covered = raw[facet["index"]["byteStart"]:facet["index"]["byteEnd"]].decode()
        out.append((covered, feature.get("uri") or "#" + feature["tag"]))
    return out


def test_link_offsets_are_utf8_bytes_not_characters():
    text = "🌱 café → https://example.com/a"
    [facet] = facets(text)
    assert facet["index"] == {"byteStart": text.index("https") + 3 + 1 + 2, "byteEnd": utf8_len(text)}  # 🌱 4 bytes, é 2, → 3
    assert spans(text) == [("https://example.com/a", "https://example.com/a")]


@pytest.mark.parametrize("text,expected", [
    ("see https://example.com.", [("https://example.com", "https://example.com")]),
    ("(https://example.com/x)", [("https://example.com/x", "https://example.com/x")]),
    ("https://en.wikipedia.org/wiki/Fish_(disambiguation)", [("https://en.wikipedia.org/wiki/Fish_(disambiguation)",) * 2]),
    ("https://a.example/#top and #Tag", [("https://a.example/#top", "https://a.example/#top"), ("#Tag", "#Tag")]),
    ("nohttps://example.com", []),
    ("example.com bare domains stay text", []),
])
def test_links(text, expected):
    assert spans(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("#Learning #Leverage", [("#Learning", "#Learning"), ("#Leverage", "#Leverage")]),
    ("end of a sentence #tag.", [("#tag", "#tag")]),
    ("#2026 is a number, #2026goals is a tag", [("#2026goals", "#2026goals")]),
    ("full-width ＃タグ works", [("＃タグ", "#タグ")]),
    ("no#tag mid-word", []),
    ("#" + "a" * 65, []),  # over 64 graphemes
    ("#\ufe0f⃣ keycap", []),
])
def test_tags(text, expected):
    assert spans(text) == expected
