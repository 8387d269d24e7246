"""Grounding that checks: what a brief or a post claims must be said by the video itself.

- `ground(brief, video)`: a brief's fact stays only when its evidence is the video's own words
  (found in the transcript, description or title, tolerant of case, punctuation, whitespace and
  curly quotes; "..." may elide words) and its claim adds no number, name or result the video
  does not give. The others are dropped, with a warning each.
- `find_claims(text)`: the checkable claims of a text: numbers ("$40K", "20 minutes", "six
  figures"), names of people and organisations ("MIT", "Andrew Ng", "OpenAI") and results or
  superlatives ("doubled", "10x", "the #1", "best", "fastest").
- `Support(texts)`: the texts a claim may rest on. A claim is backed when ONE of them says it,
  so the verdict is the same whether the whole transcript is at hand (generation) or only the
  sentences kept in the run (`backing_sentences`, for a later `postgen validate`).

Pure functions over strings and models: no I/O, no postgen imports beyond the models.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Iterable, Literal

from .models import Brief, Fact, Video

# --------------------------------------------------------------------------- canonical text


def canonical(text: str) -> str:
    """Lower case, NFKC, no possessive 's, no apostrophes (don't = don’t = dont), every other punctuation mark a
    space, thousands separators gone (60,000 = 60000), '%' as 'percent'; padded with spaces so a
    search for " word " is a whole-word search."""
    t = unicodedata.normalize("NFKC", text).casefold()
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)
    t = t.replace("%", " percent ").replace("&", " and ")
    t = re.sub(r"['’‘`´ʼ]s\b", "", t)  # possessives: Ng's = Ng
    t = re.sub(r"['’‘`´ʼ]", "", t)
    t = re.sub(r"[\W_]+", " ", t)
    return f" {' '.join(t.split())} "


ELLIPSIS = re.compile(r"\[\s*(?:\.\.\.|…)\s*\]|\.\.\.+|…")
MIN_EVIDENCE_WORDS = 2


def evidence_found(evidence: str, source: str) -> bool:
    """`evidence` (pieces in order where it elides with '...') is in `source` (canonical text)."""
    pieces = [canonical(p) for p in ELLIPSIS.split(evidence)]
    pieces = [p for p in pieces if p.strip()]
    if sum(len(p.split()) for p in pieces) < MIN_EVIDENCE_WORDS:
        return False  # "yes" or "98%" alone proves nothing
    at = 0
    for piece in pieces:
        i = source.find(piece, at)
        if i < 0:
            return False
        at = i + len(piece) - 1  # the piece's closing space may open the next one
    return True


SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n\s*\n")
MAX_SENTENCE = 300


def sentences(text: str) -> list[str]:
    """The text cut into sentences, long ones at commas and then at words (never over 300 chars)."""
    out: list[str] = []
    for sentence in SENTENCE_END.split(text or ""):
        sentence = " ".join(sentence.split())
        while len(sentence) > MAX_SENTENCE:
            cut = max(sentence.rfind(m, 0, MAX_SENTENCE) for m in (", ", "; ", ": ", " - "))
            if cut < MAX_SENTENCE // 3:
                cut = sentence.rfind(" ", 0, MAX_SENTENCE)
            if cut <= 0:
                cut = MAX_SENTENCE
            out.append(sentence[: cut + 1].strip())
            sentence = sentence[cut + 1 :].strip()
        if sentence:
            out.append(sentence)
    return out


# --------------------------------------------------------------------------- claims

NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|thousand|million|billion|trillion|half|double|triple|dozen"
)
UNITS = (
    r"minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|seconds?|percent|figures?|x|times|"
    r"people|customers|clients|users|dollars|math|equations|steps|ways|rules|lessons|mistakes|k|m|bn"
)
# A number (digits with $ % K M, or a number word) and, when there is one, the unit after it.
# Not "#1" or "10x": those are results (below).
NUMBER = re.compile(
    rf"(?<![\w$#])(?![\d,.]*[x×](?!\w))(?P<num>\$?\d[\d,.]*(?:\s?(?:%|[kKmMbB]\b))?(?![^\W\d_])|(?:{NUMBER_WORDS})\b)"
    rf"(?:[\s-]+(?P<unit>{UNITS})\b)?",
    re.IGNORECASE,
)
# Number words that are usually not claims when they stand alone ("one idea", "no one").
SOFT_WORDS = {"one", "half", "double", "dozen"}
BIG_WORDS = {"zero", "million", "billion", "trillion", "thousand", "hundred"}

# Results and superlatives, each with what backs it in the video (None: the same word).
TIMES = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?[x×](?!\w)", re.I)
RESULTS: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"\bdoubl(?:e|ed|es|ing)\b", re.I), r"\bdoubl|\btwice\b|\b2\s?x\b|\btwo times\b"),
    (re.compile(r"\btripl(?:e|ed|es|ing)\b", re.I), r"\btripl|\b3\s?x\b|\bthree times\b"),
    (re.compile(r"\bquadrupl(?:e|ed|es|ing)\b", re.I), r"\bquadrupl|\b4\s?x\b|\bfour times\b"),
    (TIMES, None),  # "10x": backed by "10x" or "10 times"
    (re.compile(r"#\s?1\b|\bnumber one\b|\bno\.\s?1\b", re.I), r"#\s?1\b|\bnumber one\b|\bno\.?\s?1\b"),
    (re.compile(r"\b(?:best|worst|fastest|quickest|biggest|largest|greatest|highest|cheapest|strongest|smartest)\b", re.I), None),
    (re.compile(r"\bmost (?:successful|popular|powerful|effective|profitable|accurate|advanced)\b", re.I), None),
    (re.compile(r"\b(?:skyrocket\w*|guarantee[ds]?|proven|record-breaking|world['’]s first|first[- ]ever)\b", re.I), None),
]

# Capitalised words that are not claims: calendar words, platforms a post names by habit,
# acronyms of everyday shop talk.
NOT_NAMES = {
    "i", "i'm", "i've", "i'd", "i'll", "ok", "okay",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
    "youtube", "linkedin", "reddit", "x", "twitter", "tl;dr", "tldr", "dm", "dms", "ps", "p.s.",
    "ai", "ml", "api", "apis", "ceo", "cto", "roi", "seo", "faq", "fyi", "diy", "llm", "llms", "ui", "ux",
    "url", "urls", "id", "ids", "pdf", "tv", "gpu", "cpu", "saas", "b2b", "b2c", "kpi", "kpis", "asap", "imo", "imho",
}
# Lower-case words that may sit inside a name ("Bank of America", "Vincent van Gogh").
NAME_JOINERS = {"of", "de", "da", "van", "von", "der", "la", "le", "du", "del", "and", "&", "for", "the"}
# Title-case words that start a sentence and are not part of the name that follows ("The MIT study").
LEADING = set("""the a an in at by for from with and but or so as if when this that these those my our your their
his her its according per via on to of after before since what why how who where here there it we you they he
she is are was were do does did can could will would should have has had every each all no not just even only
also then now still yes meet ask thanks thank watch read learn see""".split())
WORD = re.compile(r"(?<![\w'’&.-])[^\W_][\w'’&.-]*[^\W_]|(?<![\w'’&.-])[^\W\d_]")
URLISH = re.compile(r"\S+://\S+|\b\S+\.[a-z]{2,}/\S*|[#@]\w+|\bu/\w+|\br/\w+", re.I)


@dataclass(frozen=True)
class Claim:
    text: str  # as the text writes it
    kind: Literal["number", "name", "result"]
    start: int
    key: str = ""  # numbers: the figure alone, normalized ("40k", "98%"); a number word: the phrase


def _number_claims(text: str) -> list[Claim]:
    out = []
    for m in NUMBER.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        word = num.lower()
        phrase = m.group(0).strip().rstrip(",.")
        if word.isalpha():
            if not unit and (word in SOFT_WORDS or word not in BIG_WORDS):
                continue  # "three ideas" style counting words are fine without a unit claim
            key = phrase.lower()
        else:
            key = word.replace("$", "").replace(",", "").replace(" ", "").rstrip(".")
        out.append(Claim(phrase, "number", m.start(), key))
    return out


def _result_claims(text: str) -> list[Claim]:
    return [Claim(m.group(0), "result", m.start()) for pattern, _ in RESULTS for m in pattern.finditer(text)]


def _capitalised(word: str) -> bool:
    """Mary, MIT, OpenAI, 3Blue1Brown, 4-Hour; not I, A, 2M, 10X or 64-bit."""
    if word[:1].isdigit():
        return sum(c.isalpha() for c in word) >= 2 and any(c.isupper() for c in word)
    return word[:1].isupper() and len(word.rstrip("'’s.")) > 1 or word.isupper() and len(word) > 1


def _sentence_start(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or not (text[j].isalnum() or text[j] in ",")


def _name_claims(text: str) -> list[Claim]:
    """Runs of capitalised words (with 'of', 'van'... inside) that are not a sentence's ordinary
    first word: at a sentence start only acronyms, CamelCase or two capitalised words count, and
    a Title Case heading ("Key Takeaways:") is not a name."""
    masked = URLISH.sub(lambda m: " " * len(m.group()), text)
    words = list(WORD.finditer(masked))
    out: list[Claim] = []
    i = 0
    while i < len(words):
        w = words[i]
        if not _capitalised(w.group()) or w.group().lower().rstrip(".") in NOT_NAMES:
            i += 1
            continue
        run = [w]
        j = i + 1
        while j < len(words):
            gap = masked[run[-1].end() : words[j].start()]
            if gap != " ":
                break
            token = words[j].group()
            if _capitalised(token) and token.lower() not in NOT_NAMES:
                run.append(words[j])
            elif token.lower() in NAME_JOINERS and j + 1 < len(words) and _capitalised(words[j + 1].group()) \
                    and masked[words[j].end() : words[j + 1].start()] == " ":
                run += [words[j], words[j + 1]]
                j += 1
            else:
                break
            j += 1
        i = j
        at_start = _sentence_start(masked, run[0].start())
        while at_start and run and run[0].group().lower() in LEADING:
            run = run[1:]
        if not run:
            continue
        first = run[0].group()
        odd = first.isupper() or first[:1].isdigit() or re.search(r"[a-z][A-Z]", first) is not None  # MIT, OpenAI
        capitals = sum(_capitalised(r.group()) for r in run)
        if at_start and not odd and capitals < 2:
            continue  # "Understanding beats hype."
        after = masked[run[-1].end() : run[-1].end() + 1]
        if at_start and after in (":", "\n", "", "?"):
            continue  # a heading ("Key Takeaways:") or a question line, not a claim about someone
        name = text[run[0].start() : run[-1].end()]
        name = re.sub(r"(?:['’]s|['’])$", "", name).rstrip(".")
        out.append(Claim(name, "name", run[0].start()))
    return out


def find_claims(text: str) -> list[Claim]:
    """Every checkable claim of `text`, in reading order (numbers, names, results)."""
    claims = _number_claims(text) + _name_claims(text) + _result_claims(text)
    return sorted(claims, key=lambda c: c.start)


# --------------------------------------------------------------------------- support


def _number_in(norm: str, support: str) -> bool:
    """`norm` ("20", "40k", "98%") as a whole number of `support`: 2024 or 120 does not back "20"."""
    m = re.fullmatch(r"([\d.]+)(.*)", norm)
    if not m:
        return norm in support
    digits, suffix = m.groups()
    pattern = rf"(?<![\d.]){re.escape(digits)}(?!\d|\.\d)"
    if suffix:  # "40k" is backed by "40k" or "40 thousand", "2m" by "2 million"
        spelled = {"k": "k|thousand", "m": "m|mn|million", "b": "b|bn|billion", "%": "%|percent|per cent"}.get(
            suffix, re.escape(suffix))
        pattern += rf"\s?(?:{spelled})(?![a-z])"
    return re.search(pattern, support, re.IGNORECASE) is not None


class Support:
    """Texts a claim may rest on, each on its own: a claim is backed when one of them says it."""

    SEPARATOR = "\n\u241e\n"  # no claim pattern matches across it

    def __init__(self, texts: Iterable[str]):
        self.texts = [t for t in texts if t and t.strip()]

    @cached_property
    def lower(self) -> str:
        return self.SEPARATOR.join(self.texts).lower()

    @cached_property
    def numbers(self) -> str:
        return re.sub(r"(?<=\d),(?=\d)|\$", "", self.lower)  # 40,000 -> 40000, $40k -> 40k

    @cached_property
    def canonical(self) -> str:
        return "|".join(canonical(t) for t in self.texts)

    def backs(self, claim: Claim) -> bool:
        if claim.kind == "number":
            if claim.key[:1].isalpha():  # "six figures", "zero math": the phrase itself
                return re.search(rf"\b{re.escape(claim.key)}\b", self.lower) is not None
            return _number_in(claim.key, self.numbers)
        if claim.kind == "name":
            return canonical(claim.text) in self.canonical
        times = TIMES.fullmatch(claim.text)
        if times:
            n = re.escape(times.group(1))
            return re.search(rf"(?<![\w.]){n}\s?(?:[x×]|times)(?!\w)", self.lower) is not None
        for pattern, backing in RESULTS:
            if backing and pattern.fullmatch(claim.text):
                return re.search(backing, self.lower) is not None
        return canonical(claim.text) in self.canonical

    def unsupported(self, text: str) -> list[Claim]:
        return [c for c in find_claims(text) if not self.backs(c)]


@lru_cache(maxsize=4)
def source_support(text: str) -> Support:
    """The transcript as support, sentence by sentence (cached: every check of a run reuses it)."""
    return Support(sentences(text))


def unsupported_claims(text: str, support: str | Support) -> list[str]:
    """The claims of `text` that `support` does not back, as written."""
    if isinstance(support, str):
        support = Support([support])
    return [c.text for c in support.unsupported(text)]


def backing_sentences(texts: Iterable[str], kept: Support, source: Support, limit: int = 60) -> list[str]:
    """Sentences of `source` that back the claims of `texts` which `kept` does not: stored in the
    run so a later validate, without the transcript, reaches the same verdicts."""
    out: list[str] = []
    chosen = Support([])
    for text in texts:
        for claim in kept.unsupported(text):
            if chosen.texts and Support(chosen.texts).backs(claim):
                continue
            sentence = next((s for s in source.texts if Support([s]).backs(claim)), None)
            if sentence and sentence not in out and len(out) < limit:
                out.append(sentence)
                chosen = Support(out)
    return out


# --------------------------------------------------------------------------- the brief


def _short(text: str, n: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def ground(brief: Brief, video: Video) -> tuple[Brief, list[str]]:
    """The brief with only the facts the video backs, and a warning for each fact dropped."""
    texts = [t for t in (video.transcript, video.description, video.title) if t]
    canons = [canonical(t) for t in texts]
    support = Support([*sentences(video.transcript or ""), video.description, video.title, video.channel])
    kept: list[Fact] = []
    warnings: list[str] = []
    for fact in brief.facts:
        if not any(evidence_found(fact.evidence, c) for c in canons):
            warnings.append(f'brief: dropped the fact "{_short(fact.claim)}": its evidence is not in the video\'s own words')
            continue
        extra = support.unsupported(fact.claim)
        if extra:
            shown = ", ".join(f'"{c.text}"' for c in extra)
            warnings.append(f'brief: dropped the fact "{_short(fact.claim)}": the video does not say {shown}')
            continue
        kept.append(fact)
    return brief.model_copy(update={"facts": kept}), warnings
