"""postgen's X URL handling agrees with the official JavaScript twitter-text (npm 3.1.0).

3,000 texts built from twitter-text's conformance files (tests/twitter_text_oracle.py): every URL
postgen extracts (text and indices), the weighted length with emoji parsing off on both sides, and
URL validity must match what twitter-text says. Skipped where node or the package is missing
(`.ci/run` installs it under .ci/twitter-text).
"""

from __future__ import annotations

import pytest
from twitter_text_oracle import available, corpus, oracle

from postgen.connectors._twitter_text import extract_urls, is_valid_url, parse_tweet

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.fixture(scope="module")
def answers():
    texts = corpus(3000)
    return list(zip(texts, oracle(texts)))


def test_corpus_exercises_urls(answers):
    with_urls = sum(bool(a["urls"]) for _, a in answers)
    assert len(answers) == 3000 and 1000 < with_urls < 2900  # links and non-links both well represented


def test_url_spans_agree_with_twitter_text(answers):
    wrong = [(text, [[u.url, u.start, u.end] for u in extract_urls(text)], a["urls"]) for text, a in answers
             if [[u.url, u.start, u.end] for u in extract_urls(text)] != a["urls"]]
    assert wrong == []


def test_weighted_length_agrees_with_twitter_text(answers):
    wrong = [(text, parse_tweet(text, discount_emoji=False).weighted_length, a["weighted"]) for text, a in answers
             if parse_tweet(text, discount_emoji=False).weighted_length != a["weighted"]]
    assert wrong == []


def test_url_validity_agrees_with_twitter_text(answers):
    def ours(text):
        return [is_valid_url(text), is_valid_url(text, require_protocol=False)]

    wrong = [(text, ours(text), a["valid"]) for text, a in answers if ours(text) != a["valid"]]
    assert wrong == []
    assert sum(a["valid"][0] for _, a in answers) > 100  # not agreeing on "invalid" alone
