"""X's weighted length, as twitter-text v3 counts it, without twitter-text-parser.

The PyPI port bundles a Unicode 12 emoji table (newer emoji count 4 or 8) and imports
pkg_resources, so postgen counts on its own: NFC; code points in a few ranges weigh 1, the rest 2;
every emoji sequence 2 as a whole, from the `emoji` package's current table; every URL 23.
Checked against twitter-text's own conformance cases (tests/data/twitter_text_weighted.yml).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_INVALID_CHARS = frozenset("\ufffe\ufeff\uffff")

# Country-code TLDs (ISO 3166 plus ac, eu, su, uk) and the generic TLDs people actually write.
_CCTLDS = frozenset("""
ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw
by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et
eu fi fj fk fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id
ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu
lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np
nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk
sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy
uz va vc ve vg vi vn vu wf ws ye yt za zm zw
""".split())
_GTLDS = frozenset("""
com org net edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat post xxx
app dev page blog shop store online site website tech cloud ai xyz top club live news today world
link space design studio media email digital agency academy network systems solutions software
tools guide wiki video tv fm art life love one fun game games codes social chat
""".split())
_TLD_ALT = "|".join(sorted(_CCTLDS | _GTLDS, key=len, reverse=True))

_PATH_CHARS = r"A-Za-z0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&()?\u00C0-\u024F\u0400-\u04FF"
_END_CHARS = set("=_#/+-)") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_STOP = r"\s\u202A-\u202E\u2066-\u2069"
_PROTOCOL_URL = re.compile(
    rf"(?<![A-Za-z0-9@＠$#＃])https?://"
    rf"(?P<host>(?:[^{_STOP}/?#@\[\]<>\"'，。、]+@)?(?:\[[0-9A-Fa-f:.]+\]|[^{_STOP}/?#:@\[\]<>\"'，。、]+)(?::\d+)?)"
    rf"(?P<path>[/?#][{_PATH_CHARS}]*)?",
    re.I,
)
_BARE_URL = re.compile(
    rf"(?<![A-Za-z0-9@＠$#＃/._\-:])(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+(?:{_TLD_ALT}))"
    rf"(?![A-Za-z0-9@])(?P<path>/[{_PATH_CHARS}]*)?",
    re.I,
)
_IPV4 = re.compile(r"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$")
_USERINFO = re.compile(r"^[A-Za-z0-9\-._~!$&'()*+,;=:%]*$")


def _label_ok(label: str, allow_underscore: bool) -> bool:
    if not label or label[0] in "-_" or label[-1] in "-_":
        return False
    if "_" in label and not allow_underscore:
        return False
    if label.isascii():
        return len(label) <= 63 and re.fullmatch(r"[A-Za-z0-9_-]+", label) is not None
    if not all(ch.isalnum() or ch in "-_" or unicodedata.category(ch).startswith("M") for ch in label):
        return False
    try:
        encoded = "xn--" + label.encode("punycode").decode("ascii")
    except UnicodeError:
        return False
    return len(encoded) <= 63


def _host_ok(host: str) -> bool:
    if "@" in host:
        userinfo, host = host.rsplit("@", 1)
        if not _USERINFO.match(userinfo):
            return False
    host = re.sub(r":\d+$", "", host)
    if host.startswith("["):
        return True
    if m := _IPV4.match(host):
        return all(int(part) <= 255 for part in m.groups())
    labels = host.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    return all(_label_ok(label, allow_underscore=i < len(labels) - 2) for i, label in enumerate(labels))


def _trim_path(path: str) -> str:
    """Drop trailing punctuation that ends the sentence rather than the URL."""
    while path:
        last = path[-1]
        if last == ")" and path.count("(") >= path.count(")"):
            break
        if last in _END_CHARS and last != ")" or last.isalpha():
            break
        path = path[:-1]
    return path


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every URL twitter-text would count as 23, in `text` as given (NFC first)."""
    spans: list[tuple[int, int]] = []
    for m in _PROTOCOL_URL.finditer(text):
        if not _host_ok(m["host"]):
            continue
        end = m.start("path") + len(_trim_path(m["path"])) if m["path"] else m.end("host")
        spans.append((m.start(), end))
    taken = [range(s, e) for s, e in spans]
    for m in _BARE_URL.finditer(text):
        if any(m.start() in r for r in taken):
            continue
        host = m["host"]
        if not all(len(label) <= 63 for label in host.split(".")):
            continue
        path = _trim_path(m["path"] or "")
        labels = host.lower().split(".")
        if not path and len(labels) == 2 and labels[1] in _CCTLDS and host.lower() != "t.co":
            continue  # "foo.io" alone is a word, not a link (twitter-text's short-domain rule)
        spans.append((m.start(), m.end("host") + len(path)))
    return sorted(spans)


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every emoji sequence (ZWJ families, skin tones, flags, keycaps) in `text`."""
    import emoji

    return [(e["match_start"], e["match_end"]) for e in emoji.emoji_list(text)]


def _char_weight(ch: str) -> int:
    cp = ord(ch)
    return 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2


@dataclass(frozen=True)
class TweetLength:
    weighted_length: int
    valid: bool
    urls: int


def parse_tweet(text: str, *, limit: int = MAX_WEIGHTED_LENGTH, discount_emoji: bool = True) -> TweetLength:
    """Weighted length and validity; `discount_emoji=False` is twitter-text's older v2 config."""
    text = unicodedata.normalize("NFC", text)
    urls = url_spans(text)
    weights = [_char_weight(ch) for ch in text]
    total = 0
    i = 0
    cuts = {start: (end, URL_WEIGHT) for start, end in urls}
    if discount_emoji:
        for start, end in emoji_spans(text):
            if not any(s <= start < e for s, e in urls):
                cuts.setdefault(start, (end, EMOJI_WEIGHT))
    while i < len(text):
        if i in cuts:
            end, weight = cuts[i]
            total += weight
            i = end
        else:
            total += weights[i]
            i += 1
    valid = bool(text) and total <= limit and not any(ch in _INVALID_CHARS for ch in text)
    return TweetLength(weighted_length=total, valid=valid, urls=len(urls))


def weighted_length(text: str) -> int:
    """X's weighted length of `text` (twitter-text v3)."""
    return parse_tweet(text).weighted_length
