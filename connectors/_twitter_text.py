"""X's URL extraction and weighted length, as twitter-text v3 (3.1.0) does them, written for postgen.

X counts every URL as 23 whatever its length, so a post's length depends on exactly which strings
X takes for links: `bolt.new` and `foo.jp` are links, `tar.bz2` and `node.js` are not, a URL ends
before a sentence's full stop but keeps a balanced `(film)`. These rules follow twitter-text's
published behaviour (its conformance files, stored under tests/data, and the npm package used as an
oracle in tests/test_twitter_text_oracle.py), including its quirks, because X measures with them.
The TLD list is data generated from twitter-text's (connectors/data/twitter_tlds.txt).

Emoji are the one deliberate difference: every emoji sequence counts 2 using the `emoji` package's
current table (twitter-text's table predates Unicode 13, so it counts newer emoji per code point).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MAX_WEIGHTED_LENGTH = 280
URL_WEIGHT = 23
EMOJI_WEIGHT = 2
MAX_URL_LENGTH = 4096  # twitter-text's cap, in UTF-16 units, protocol counted
MAX_TCO_SLUG_LENGTH = 40
MAX_LABEL_LENGTH = 63
TLD_FILE = Path(__file__).parent / "data" / "twitter_tlds.txt"

# Code points that weigh 1; every other one weighs 2 (twitter-text v3's configuration).
_HEAVY = re.compile("[^\u0000-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")
_INVALID_CHARS = frozenset("\ufffe\ufeff\uffff")

# Character groups of twitter-text's URL grammar (what may precede, build or end a URL).
_PUNCT = r"!'#%&()*+,\\\-./:;<=>?@\[\]^_{|}~$"
_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_INVALID = "\ufffe\ufeff\uffff"
_DIRECTIONAL = "\u202a-\u202e\u061c\u200e\u200f\u2066-\u2069"
_LATIN = ("\xc0-\xd6\xd8-\xf6\xf8-\xff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263\u0268"
          "\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff")
_CYRILLIC = "\u0400-\u04ff"
_QUERY_CHAR = r"[A-Za-z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]"
_QUERY_END = r"[A-Za-z0-9\-_&=#/]"
_PROTOCOL = "[hH][tT][tT][pP][sS]?://"
# Blocks of the Basic Multilingual Plane that hold letters with case (where case-blind matching
# can reach a character outside a class's own ranges).
_CASED_BLOCKS = ((0x80, 0x590), (0x10A0, 0x1100), (0x13A0, 0x1400), (0x1C80, 0x1CC0), (0x1D00, 0x2000),
                 (0x2100, 0x2190), (0x24B0, 0x24F0), (0x2C00, 0x2D30), (0xA640, 0xA6A0), (0xA720, 0xA800),
                 (0xAB30, 0xABC0), (0xFB00, 0xFB07), (0xFF21, 0xFF5B))


@dataclass(frozen=True)
class ExtractedUrl:
    """One link as twitter-text reports it: `url` is the link text, `start`/`end` index the text.

    `url` is usually `text[start:end]`. The exception is twitter-text's own: a bare domain glued to
    non-ASCII text (`twitter.comテスト.com/path`) reports the ASCII domain plus the path as `url`
    while `end` stays at the end of the path; X's weighted length skips `len(url)` characters.
    """

    url: str
    start: int
    end: int


def load_tlds(path: Path = TLD_FILE) -> dict[str, list[str]]:
    """{"country": [...], "generic": [...]} from the generated TLD file (comments skipped)."""
    lists: dict[str, list[str]] = {}
    current: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = lists.setdefault(line[1:-1], [])
        else:
            current.append(line)
    return lists


def _canonical(ch: str) -> str:
    """The character a case-blind JavaScript regular expression (without the u flag) compares."""
    upper = ch.upper()
    if len(upper) != 1 or ord(upper) > 0xFFFF or (ord(ch) >= 128 and ord(upper) < 128):
        return ch
    return upper


@cache
def _case_partners() -> dict[str, str]:
    """canonical character -> every non-ASCII character with that canonical form."""
    partners: dict[str, str] = {}
    for lo, hi in _CASED_BLOCKS:
        for cp in range(lo, hi):
            ch = chr(cp)
            partners[_canonical(ch)] = partners.get(_canonical(ch), "") + ch
    return partners


def _case_blind(members: str) -> str:
    """Characters outside `members` (a class body of literal characters and ranges) that a
    case-blind match of that class accepts anyway, e.g. 'ⱥ' for 'Ⱥ' in the Latin range."""
    chars: set[str] = set()
    for m in re.finditer(r"(.)-(.)|(.)", members, re.S):
        chars.update(map(chr, range(ord(m[1]), ord(m[2]) + 1)) if m[1] else m[3])
    partners = _case_partners()
    extra = {p for ch in chars for p in partners.get(_canonical(ch), "")} | {_canonical(ch) for ch in chars}
    return "".join(sorted(ch for ch in extra - chars if ord(ch) >= 128))


def _key(text: str) -> str:
    """`text` as a case-blind JavaScript regular expression compares it, for set look-ups."""
    return text.upper() if text.isascii() else "".join(map(_canonical, text))


_TLD_STOP = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ@+-")
_PUNYCODE_TLD = re.compile(r"[xX][nN]--[\-0-9a-zA-Z]+")
_ASCII_RUN = re.compile("[0-9A-Za-z]+")


class _Tlds:
    """twitter-text's TLD alternatives, answered with set look-ups.

    Its pattern tries the generic list, then the country list, each longest first (the
    alternation is reverse-sorted), each TLD followed by anything but [0-9a-zA-Z@+-], then
    punycode `xn--…`. A 1,574-way alternation costs Python's re over 60 ms to compile per
    pattern; these sets cost about as much as reading the file.
    """

    def __init__(self, lists: dict[str, list[str]]) -> None:
        self.kinds = []
        for kind in ("generic", "country"):
            words = {_key(word) for word in lists[kind]}
            # An ASCII TLD must be a whole run of ASCII letters and digits (the character after it
            # may not be one); only the few other TLDs are tried length by length.
            lengths: dict[str, list[int]] = {}
            for word in words:
                if not word.isascii():
                    lengths.setdefault(word[0], []).append(len(word))
            self.kinds.append((words, {first: sorted(set(ls), reverse=True) for first, ls in lengths.items()}))

    def end(self, text: str, at: int) -> int | None:
        """Where the TLD starting at `text[at]` ends, or None when none starts there."""
        if at >= len(text):
            return None
        run = _ASCII_RUN.match(text, at)
        first = _key(text[at])
        for words, lengths in self.kinds:
            for length in lengths.get(first, ()):
                end = at + length
                if end <= len(text) and (end == len(text) or text[end] not in _TLD_STOP) \
                        and _key(text[at:end]) in words:
                    return end
            if run and (run.end() == len(text) or text[run.end()] not in "@+-") and run[0].upper() in words:
                return run.end()
        m = _PUNYCODE_TLD.match(text, at)
        return m.end() if m else None


@dataclass(frozen=True)
class _Grammar:
    tlds: _Tlds
    candidate: re.Pattern  # where a link may start: after a character allowed before one
    protocol: re.Pattern
    label: re.Pattern  # one label of a domain with its dot (underscores allowed: subdomains)
    tail: re.Pattern  # port, path and query after the TLD
    ascii_labels: re.Pattern  # labels of an ASCII (and accented Latin) domain inside a bare one
    tco: re.Pattern


@cache
def _grammar() -> _Grammar:
    """Compile twitter-text's URL grammar once, on first use (keeps `postgen --help` fast)."""
    domain_char = f"[^{_PUNCT}{_SPACES}{_INVALID}{_DIRECTIONAL}]"
    subdomain = rf"(?:(?:{domain_char}(?:[_\-]|{domain_char})*)?{domain_char}\.)"
    letters = f"{_CYRILLIC}{_LATIN}"
    letters += _case_blind(letters)
    path_char = rf"[A-Za-z0-9!*';:=+,.$/%#\[\]\-\u2013_~@|&{letters}]"
    path_end_char = rf"[+\-A-Za-z0-9=_#/{letters}]"
    parens = rf"\((?:{path_char}+|{path_char}*\({path_char}+\){path_char}*)\)"
    # twitter-text splices its "ending character or balanced parentheses" into the path without a
    # group, so a path piece is chars-then-an-ending-char, or parentheses alone: "/x:(a)" ends at x.
    path_segment = rf"(?:{path_char}*(?:{parens}{path_char}*)*{path_end_char}|{parens}|@{path_char}+/)"
    latin = _LATIN + _case_blind(_LATIN)
    return _Grammar(
        tlds=_Tlds(load_tlds()),
        candidate=re.compile(rf"(?:(?<=[^A-Za-z0-9@＠$#＃{_INVALID}])|(?=[\U00010000-\U0010ffff])|^)"
                             rf"(?:{_PROTOCOL}|{domain_char})"),
        protocol=re.compile(_PROTOCOL),
        label=re.compile(subdomain),
        tail=re.compile(rf"(?::[0-9]+)?(?P<path>/{path_segment}*)?(?:\?{_QUERY_CHAR}*{_QUERY_END})?"),
        ascii_labels=re.compile(rf"(?:[\-a-zA-Z0-9{latin}]+\.)+"),
        tco=re.compile(rf"{_PROTOCOL}[tT]\.[cC][oO]/([a-zA-Z0-9]+)(?:\?{_QUERY_CHAR}*{_QUERY_END})?"),
    )


def _ascii_domains(domain: str, grammar: _Grammar) -> list[tuple[int, int]]:
    """(start, end) of each ASCII domain twitter-text finds inside a bare domain: the most labels
    followed by a TLD win, as its greedy pattern backtracks."""
    found = []
    at = 0
    while m := grammar.ascii_labels.search(domain, at):
        dots = [m.start() + i for i, ch in enumerate(m[0]) if ch == "."]
        end = next((e for dot in reversed(dots) if (e := grammar.tlds.end(domain, dot + 1)) is not None), None)
        if end is not None:
            found.append((m.start(), end))
        at = end if end is not None else m.end()  # a failed run fails from each of its positions too
    return found


def _may_precede(ch: str) -> bool:
    return not ("a" <= ch <= "z" or "A" <= ch <= "Z" or "0" <= ch <= "9" or ch in "@＠$#＃\ufffe\ufeff\uffff")


class _Scan:
    """One pass of twitter-text's URL pattern over a text, as JavaScript's regex engine runs it.

    The domain is labels then a TLD: the most labels that a TLD follows win, and only subdomains
    may hold underscores. What follows each dot is worked out once per text (`_after`), so long
    texts of dotted words (Japanese sentences ended by ASCII full stops) stay linear.
    """

    def __init__(self, text: str, grammar: _Grammar) -> None:
        self.text, self.grammar = text, grammar
        self._after: dict[int, int | None] = {}  # dot -> end of the longest domain after it (2+ labels)

    def _tld(self, dot: int) -> int | None:
        return self.grammar.tlds.end(self.text, dot + 1)

    def after(self, dot: int) -> int | None:
        """End of the domain that takes the most further labels after `dot` and then a TLD."""
        if dot not in self._after:
            dots, at = [dot], dot + 1
            while label := self.grammar.label.match(self.text, at):
                dots.append(label.end() - 1)
                at = label.end()
            best = None
            for i in range(len(dots) - 1, 0, -1):  # fill the answer for every dot of this chain
                if best is None and "_" not in self.text[dots[i - 1] + 1:dots[i]]:
                    best = self._tld(dots[i])
                self._after[dots[i - 1]] = best
            self._after.setdefault(dots[-1], None)
        return self._after[dot]

    def link_at(self, at: int) -> tuple[re.Match | None, int | None, int]:
        """(protocol match or None, end of the domain or None, where to look next on failure)."""
        protocol = self.grammar.protocol.match(self.text, at)
        start = protocol.end() if protocol else at
        first = self.grammar.label.match(self.text, start)
        if first is None:
            return protocol, None, at + 1
        dot = first.end() - 1
        end = self.after(dot)
        if end is None and "_" not in first[0]:
            end = self._tld(dot)
        if end is None and protocol is None and self._tld(dot) is None:
            return None, None, dot  # every later start inside this label meets the same labels
        return protocol, end, at + 1

    def next_link(self, pos: int) -> tuple[str, int, re.Match | None, int] | None:
        """(preceding character, start, protocol match, domain end) of the next match from `pos`,
        trying start positions in the order JavaScript does; None when there is none."""
        text = self.text
        at = pos
        if pos == 0 and text and _may_precede(text[0]) and ord(text[0]) <= 0xFFFF:
            # the first character is tried as the one preceding a link before the text's start is
            for before, start in ((text[0], 1), ("", 0)):
                protocol, end, _ = self.link_at(start)
                if end is not None:
                    return before, start, protocol, end
            at = 2
        while candidate := self.grammar.candidate.search(text, at):
            at = candidate.start()
            if at > pos and _may_precede(text[at - 1]):
                before = text[at - 1]
            elif at < len(text) and ord(text[at]) > 0xFFFF:
                before = text[at]  # JavaScript's first half of this character precedes its second half
            elif at != 0:
                at += 1
                continue
            else:
                before = ""
            protocol, end, following = self.link_at(at)
            if end is not None:
                return before, at, protocol, end
            at = following
        return None


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _punycode_length(label: str) -> int | None:
    """Length of `label` in ASCII (IDNA) form as twitter-text's punycode library writes it."""
    if label.isascii() and label.isprintable():
        return len(label)
    parts = re.split("[.\u3002\uff0e\uff61]", label)
    total = len(parts) - 1
    for part in parts:
        if any(not " " <= ch <= "~" for ch in part):
            try:
                total += 4 + len(part.encode("punycode"))
            except (UnicodeError, OverflowError):  # pragma: no cover - punycode encodes any str
                return None
        else:
            total += len(part)
    return total


def _domain_ok(url: str, protocol: str, domain: str, grammar: _Grammar) -> bool:
    """twitter-text's check on a matched URL: every label 1-63 characters once punycoded, a
    domain written as punycode holds an ASCII domain, the whole under 4,096 UTF-16 units."""
    if domain.startswith("xn--") and not _ascii_domains(domain, grammar):
        return False
    for label in domain.split("."):
        length = _punycode_length(label)
        if length is None or not 1 <= length <= MAX_LABEL_LENGTH:
            return False
    return len(protocol or "https://") + _utf16_length(url) <= MAX_URL_LENGTH


def extract_urls(text: str) -> list[ExtractedUrl]:
    """Every link X would make of `text` (and count as 23), in order, indexed into `text` as given.

    The contract other modules rely on: links with and without `http(s)://` (bare domains on any
    TLD in twitter-text's list: `bolt.new`, `foo.jp`, `t.co/x`), never inside @mentions, #hashtags,
    $cashtags or e-mail addresses, without trailing sentence punctuation, with balanced parentheses
    kept. `ExtractedUrl.url` is the link's text (no scheme added); see ExtractedUrl for the one case
    where it is not `text[start:end]`. Text is not NFC-normalised here (`parse_tweet` does that).
    """
    if "." not in text:
        return []
    grammar = _grammar()
    scan = _Scan(text, grammar)
    urls: list[ExtractedUrl] = []
    pos = 0
    while found := scan.next_link(pos):
        before, start, protocol_match, domain_end = found
        tail = grammar.tail.match(text, domain_end)
        end = tail.end()
        pos = end  # like JavaScript's lastIndex: a rejected match is skipped whole
        protocol = protocol_match[0] if protocol_match else ""
        url, domain = text[start:end], text[start + len(protocol):domain_end]
        if not _domain_ok(url, protocol, domain, grammar):
            continue
        if protocol:
            if tco := grammar.tco.match(url):
                if len(tco[1]) > MAX_TCO_SLUG_LENGTH:
                    continue
                url, end = tco[0], start + tco.end()
            urls.append(ExtractedUrl(url, start, end))
            continue
        if before and before in "-_./":
            continue  # "foo_bar.com", "x/y.com": part of a word or path, not a link
        found_here: list[ExtractedUrl] = []
        offset = 0
        for a, b in _ascii_domains(domain, grammar):
            offset = domain.index(domain[a:b], offset)  # twitter-text places each at its first occurrence
            found_here.append(ExtractedUrl(domain[a:b], start + offset, start + offset + b - a))
            offset += b - a
        if found_here and tail["path"]:
            last = found_here[-1]
            found_here[-1] = ExtractedUrl(last.url + url[len(domain):], last.start, end)
        urls += found_here
    return urls


def url_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every link in `text` (see `extract_urls`)."""
    return [(u.start, u.end) for u in extract_urls(text)]


_URL_PARTS = re.compile(r"(?:([^:/?#]+)://)?([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#(.*))?")
_OCTET = "(?:[0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
_IP = f"(?:{_OCTET}(?:\\.{_OCTET}){{3}}|\\[[A-Fa-f0-9:.]+\\])"
_WIDE = "[^\\x00-\\x7f]"


@cache
def _url_grammar() -> dict[str, re.Pattern]:
    """twitter-text's RFC 3986 subset for `is_valid_url`, compiled on first use."""
    unreserved = f"[A-Za-z0-9\\-._~{_CYRILLIC}{_case_blind(_CYRILLIC)}]"
    pct, sub_delims = "%[0-9A-Fa-f]{2}", "[!$&'()*+,;=]"
    pchar = f"(?:{unreserved}|{pct}|{sub_delims}|[:|@])"
    userinfo = f"(?:{unreserved}|{pct}|{sub_delims}|:)*"
    grammar = {
        "scheme": re.compile("[A-Za-z][A-Za-z0-9+\\-.]*"),
        "path": re.compile(f"(?:/{pchar}*)*"),
        "query": re.compile(f"(?:{pchar}|/|\\?)*"),  # also the fragment's grammar
    }
    for wide in (False, True):
        alnum = f"(?:[A-Za-z0-9]|{_WIDE})" if wide else "[A-Za-z0-9]"
        alpha = f"(?:[A-Za-z]|{_WIDE})" if wide else "[A-Za-z]"

        def label(first: str, inner: str) -> str:
            inner = f"(?:[A-Za-z0-9{inner}]|{_WIDE})" if wide else f"[A-Za-z0-9{inner}]"  # noqa: B023
            return f"{first}(?:{inner}*{alnum})?"  # noqa: B023

        domain = f"(?:{label(alnum, '_-')}\\.)*{label(alnum, '-')}\\.{label(alpha, '-')}"
        grammar["unicode_authority" if wide else "authority"] = re.compile(
            f"(?:{userinfo}@)?(?:{_IP}|{domain})(?::[0-9]{{1,5}})?")
    return grammar


def _whole(pattern: re.Pattern, text: str) -> bool:
    """twitter-text's test: the first match of `pattern` at the start is all of `text` (a full
    match found only by backtracking further does not count)."""
    m = pattern.match(text)
    return m is not None and m.end() == len(text)


def is_valid_url(url: str, *, unicode_domains: bool = True, require_protocol: bool = True) -> bool:
    """Whether `url` alone is a well-formed http(s) URL by twitter-text's `isValidUrl` (an RFC 3986
    subset: IPv4 octets up to 255, IPv6 in brackets, ports up to 5 digits, userinfo characters,
    underscores only in subdomains, no label starting or ending with a hyphen, IDN labels)."""
    parts = _URL_PARTS.fullmatch(url) if url else None
    if parts is None:
        return False
    scheme, authority, path, query, fragment = parts.groups()
    g = _url_grammar()
    if require_protocol and not (scheme and _whole(g["scheme"], scheme) and scheme.lower() in ("http", "https")):
        return False
    return (_whole(g["path"], path) and (not query or _whole(g["query"], query))
            and (not fragment or _whole(g["query"], fragment))
            and _whole(g["unicode_authority" if unicode_domains else "authority"], authority))


def emoji_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every emoji sequence (ZWJ families, skin tones, flags, keycaps) in `text`."""
    if text.isascii():
        return []
    import emoji

    return [(e["match_start"], e["match_end"]) for e in emoji.emoji_list(text)]


def _weight(text: str) -> int:
    return len(text) + len(_HEAVY.findall(text))


@dataclass(frozen=True)
class TweetLength:
    weighted_length: int
    valid: bool
    urls: int


def parse_tweet(text: str, *, limit: int = MAX_WEIGHTED_LENGTH, discount_emoji: bool = True) -> TweetLength:
    """Weighted length and validity; `discount_emoji=False` is twitter-text's older v2 config."""
    text = unicodedata.normalize("NFC", text)
    urls = extract_urls(text)
    entities = {u.start: (len(u.url), URL_WEIGHT) for u in urls}
    if discount_emoji:
        for start, end in emoji_spans(text):
            entities.setdefault(start, (end - start, EMOJI_WEIGHT))
    total = 0
    i = plain = 0  # text[plain:i] is weighed per character when the next entity starts
    for start in sorted(entities):
        if start < i:
            continue  # inside an entity already counted (an emoji within a URL, or the reverse)
        length, weight = entities[start]
        total += _weight(text[plain:start]) + weight
        i = plain = start + length
    total += _weight(text[plain:])
    valid = 0 < total <= limit and not any(ch in _INVALID_CHARS for ch in text)
    return TweetLength(weighted_length=total, valid=valid, urls=len(urls))


def weighted_length(text: str) -> int:
    """X's weighted length of `text` (twitter-text v3, current emoji)."""
    return parse_tweet(text).weighted_length
