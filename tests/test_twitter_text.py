"""twitter-text conformance for X counting: URL extraction (extract.yml, tlds.yml), URL validation
(validate.yml), weighted length with current emoji, and the TLD data kept in step with the cases.

The cases are twitter-text's own files, copied by scripts/twitter_text_data.py into tests/data
(the weighted-length sections run in tests/test_connector_x.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from postgen.connectors._twitter_text import (
    TLD_FILE,
    extract_urls,
    is_valid_url,
    load_tlds,
    parse_tweet,
    url_spans,
    weighted_length,
)

DATA = Path(__file__).parent / "data"


def _load(name: str) -> dict:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


EXTRACT = _load("twitter_text_extract_urls.yml")
TLDS = _load("twitter_text_tlds.yml")
VALIDATE = _load("twitter_text_validate.yml")


def _cases(data: dict, *sections: str) -> list:
    return [pytest.param(case, id=f"{section}: {case['description'][:70]}")
            for section in sections for case in data[section]]


@pytest.mark.parametrize("case", _cases(EXTRACT, "urls", "tco_urls_with_params"))
def test_extract_urls_conformance(case):
    assert [u.url for u in extract_urls(case["text"])] == case["expected"]


@pytest.mark.parametrize("case", _cases(EXTRACT, "urls_with_indices", "urls_with_directional_markers"))
def test_extract_urls_with_indices_conformance(case):
    found = extract_urls(case["text"])
    assert [{"url": u.url, "indices": [u.start, u.end]} for u in found] == case["expected"]
    assert url_spans(case["text"]) == [tuple(e["indices"]) for e in case["expected"]]


@pytest.mark.parametrize("section", ["country", "generic"])
def test_every_tld_with_and_without_scheme(section):
    """tlds.yml: `https://twitter.<tld>` is one URL; so is the bare `twitter.<tld>` inside a sentence
    (one test per list, not 1,574: the failures are listed together)."""
    wrong = []
    for case in TLDS[section]:
        bare = case["text"].removeprefix("https://")
        sentence = f"on {bare}, today"
        if [u.url for u in extract_urls(case["text"])] != case["expected"]:
            wrong.append(case["text"])
        if [u.url for u in extract_urls(sentence)] != [bare] or weighted_length(sentence) != 3 + 23 + 7:
            wrong.append(sentence)
    assert wrong == []


@pytest.mark.parametrize("case", _cases(VALIDATE, "urls"))
def test_is_valid_url_conformance(case):
    assert is_valid_url(case["text"]) is case["expected"]


@pytest.mark.parametrize("case", _cases(VALIDATE, "urls_without_protocol"))
def test_is_valid_url_without_protocol_conformance(case):
    assert is_valid_url(case["text"], require_protocol=False) is case["expected"]


def test_conformance_sections_complete():
    counts = {section: len(EXTRACT[section]) for section in EXTRACT}
    assert counts == {"urls": 91, "urls_with_indices": 10, "urls_with_directional_markers": 2, "tco_urls_with_params": 5}
    assert (len(TLDS["country"]), len(TLDS["generic"])) == (315, 1259)
    assert (len(VALIDATE["urls"]), len(VALIDATE["urls_without_protocol"])) == (24, 5)


def _tld_of(case: dict) -> str:
    return case["expected"][0].removeprefix("https://twitter.")


def test_tld_data_matches_the_conformance_list():
    """The generated TLD file and the stored tlds.yml come from the same twitter-text commit and
    name the same TLDs: regenerating one without the other (scripts/twitter_text_data.py) fails here."""
    lists = load_tlds()
    assert lists["country"] == [_tld_of(c) for c in TLDS["country"]]
    assert lists["generic"] == [_tld_of(c) for c in TLDS["generic"]]
    commit = re.compile(r"at commit ([0-9a-f]{40})")
    stored = {commit.search(path.read_text(encoding="utf-8")).group(1)
              for path in [TLD_FILE, *DATA.glob("twitter_text_*.yml")]}
    assert len(stored) == 1, f"twitter-text data from different commits: {stored}"


def test_issue_example_measures_320():
    text = "Built on bolt.new, shipped on deno.land, slides at slides.zip. " + "a" * 215
    assert [u.url for u in extract_urls(text)] == ["bolt.new", "deno.land", "slides.zip"]
    assert weighted_length(text) == 320
    assert parse_tweet(text).valid is False


@pytest.mark.parametrize("text,urls", [
    ("https://x.com.", ["https://x.com"]),
    ("(https://x.com)", ["https://x.com"]),
    ("Use perplexity.ai, bit.ly and readme.md", ["perplexity.ai", "bit.ly", "readme.md"]),
    ("see https://en.wikipedia.org/wiki/Primer_(film)).", ["https://en.wikipedia.org/wiki/Primer_(film)"]),
    ("mail me@example.com or @example.com", []),
    ("#example.com $example.com", []),
    ("tar.bz2 node.js e.g. i.e.", []),
    ("http://localhost:8000/x http://127.0.0.1/ http://[::1]/", []),
    ("http://user:pass@example.com/", []),  # twitter-text extracts no URL with userinfo
    ("Ports: https://example.com:8443/a?b=1#c!", ["https://example.com:8443/a?b=1#c"]),
    ("http://" + "a" * 63 + ".com " + "http://" + "a" * 64 + ".com", ["http://" + "a" * 63 + ".com"]),
    ("http://sub_domain.example.com http://under_score.com", ["http://sub_domain.example.com"]),
    ("xn--bcher-kva.de and http://xn--bcher-kva.de/", ["xn--bcher-kva.de", "http://xn--bcher-kva.de/"]),
    ("http://bücher.de/ and bücher.de", ["http://bücher.de/", "bücher.de"]),  # accented Latin counts as ASCII here
])
def test_url_edge_cases(text, urls):
    assert [u.url for u in extract_urls(text)] == urls


@pytest.mark.parametrize("url,valid", [
    ("http://localhost/", False),
    ("http://127.0.0.1:8080/", True),
    ("http://256.0.0.1/", False),
    ("http://192.168.0.100/", False),  # twitter-text takes "192.168.0.1" as the host and stops: invalid
    ("http://example.com:123456/", False),
    ("http://us%20er:p@ss@example.com/", False),
    ("http://" + "a" * 64 + ".com/", True),  # isValidUrl checks no label length; extraction does
])
def test_is_valid_url_hosts(url, valid):
    assert is_valid_url(url) is valid


@pytest.mark.parametrize("text", [
    "\U0001FAE8",  # shaking face (Unicode 15)
    "\U0001FA77",  # pink heart (15)
    "\U0001F426\u200d\u2B1B",  # black bird ZWJ (15)
    "\U0001FAF8\U0001F3FD",  # rightwards pushing hand, skin tone (15)
    "\U0001F642\u200d\u2194\ufe0f",  # head shaking horizontally (15.1)
    "\U0001F9D1\u200d\U0001F9D1\u200d\U0001F9D2",  # family: adult, adult, child (15.1)
    "\U0001FAE9",  # face with bags under eyes (16)
    "\U0001FADF",  # splatter (16)
    "\U0001F1E8\U0001F1F6",  # flag: Sark (16)
])
def test_current_emoji_count_two(text):
    assert weighted_length(text) == 2
    assert weighted_length(f"a{text}b") == 4


def test_emoji_inside_a_url_counts_with_the_url():
    assert weighted_length("see http://example.com/🔥 now") == 4 + 23 + 2 + 4


def test_glued_bare_domain_skips_the_reported_url_length():
    # twitter-text reports "twitter.com/path" for the span [0, 23) and skips 16 characters
    text = "twitter.comテスト.com/path"
    assert extract_urls(text)[0].url == "twitter.com/path"
    assert url_spans(text) == [(0, 23)]
    assert weighted_length(text) == 23 + len("om/path")
