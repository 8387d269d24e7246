"""Timed transcripts: where in the video the brief's words are said.

A source that knows when each caption segment starts (YouTube captions, a `.vtt`/`.srt` file,
`[m:ss]` marks in a local file) gives the Video its `cues`: (index of the segment's first word,
second). The brief's facts and key points then get the second where their evidence starts, by
finding the evidence's words in the transcript's words (compared as grounding compares them: case and
punctuation folded), across segment boundaries, in order. Not found means no time: nothing here is guessed.
"""

from __future__ import annotations

import bisect
import re
from typing import Iterable

from .models import Brief, Video

_ELLIPSIS = re.compile(r"\.{3,}|…")
# "[1:23]", "[01:02:03]", "(12:05)" at the start of a line: a time mark in a local transcript.
MARK = re.compile(r"^[ \t]*[\[(]((?:\d{1,2}:)?\d{1,2}:\d{2})[\])][ \t]*", re.M)
MIN_WORDS = 3  # shorter evidence is found only where it occurs once


def words(text: str) -> list[str]:
    """The words postgen compares, as grounding compares them (postgen.grounding.canonical):
    case-folded, apostrophes alike (it's = it’s), thousands separators gone ("13,000" = "13000"),
    "%" read as "percent", every other mark a separator."""
    from .grounding import canonical

    return canonical(text or "").split()


def seconds(stamp: str) -> int:
    """"1:02:03" / "02:03" / "2:03.500" / "00:02:03,500" -> whole seconds."""
    parts = re.split(r"[:]", stamp.strip().replace(",", "."))
    total = 0.0
    for part in parts:
        total = total * 60 + float(part)
    return int(total)


def clock(at: int) -> str:
    """192 -> "3:12", 3723 -> "1:02:03"."""
    h, rest = divmod(max(0, int(at)), 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def from_segments(segments: Iterable[tuple[float, str]], joiner: str = " ") -> tuple[str, list[tuple[int, int]]]:
    """The transcript text and its cues from (start second, text) segments, in order. Each
    segment is normalized first (postgen.untrusted), as the Video will normalize the whole text,
    so the word counts the cues rest on are the Video's own; empty segments are dropped."""
    from .untrusted import normalize

    texts: list[str] = []
    cues: list[tuple[int, int]] = []
    count = 0
    for start, text in segments:
        text = normalize(str(text))
        text = " ".join(text.split()) if joiner == " " else text.strip()
        n = len(words(text))
        if not n:
            continue
        cues.append((count, max(0, int(start))))
        texts.append(text)
        count += n
    return joiner.join(texts), cues


def check_cues(cues: list[tuple[int, int]], transcript: str | None) -> None:
    """Raise ValueError unless the cues index the transcript: word indices strictly increasing
    from 0 and within it, seconds not negative."""
    if not cues:
        return
    if not transcript:
        raise ValueError("cues need the transcript they index")
    total = len(words(transcript))
    last = -1
    for index, second in cues:
        if index <= last or index < 0 or second < 0:
            raise ValueError(f"cues must be (word index, second) with increasing indices and seconds >= 0; got {(index, second)}")
        last = index
    if last >= total:
        raise ValueError(f"a cue points at word {last}, but the transcript has {total} words")


def _find(needle: list[str], hay: list[str], start: int = 0) -> list[int]:
    """Every index >= start where `needle` occurs in `hay`."""
    found = []
    first = needle[0]
    for i in range(start, len(hay) - len(needle) + 1):
        if hay[i] == first and hay[i : i + len(needle)] == needle:
            found.append(i)
    return found


def locate(evidence: str, transcript_words: list[str], cues: list[tuple[int, int]]) -> int | None:
    """The second where `evidence` starts in the timed transcript, or None.

    Evidence cut with "..." must have its pieces in that order; very short evidence counts only
    where it occurs once (a bare "23" says nothing about where)."""
    pieces = [words(p) for p in _ELLIPSIS.split(evidence or "")]
    pieces = [p for p in pieces if p]
    if not pieces or not cues:
        return None
    starts = _find(pieces[0], transcript_words)
    if len(pieces[0]) < MIN_WORDS and len(starts) != 1:
        return None
    for start in starts:
        at = start + len(pieces[0])
        for piece in pieces[1:]:
            later = _find(piece, transcript_words, at)
            if not later:
                break
            at = later[0] + len(piece)
        else:
            return second_of(start, cues)
    return None


def second_of(word_index: int, cues: list[tuple[int, int]]) -> int | None:
    """The start second of the segment holding the word at `word_index`."""
    i = bisect.bisect_right([c[0] for c in cues], word_index) - 1
    return cues[i][1] if i >= 0 else None


def time_brief(brief: Brief, video: Video) -> Brief:
    """The brief with the second of each fact's and key point's evidence, found in the video's
    timed transcript (None where not found; all None without cues)."""
    if not video.cues or not video.transcript:
        return brief.model_copy(update={"key_point_at": [], "facts": [f.model_copy(update={"at": None}) for f in brief.facts]})
    hay = words(video.transcript)
    facts = [f.model_copy(update={"at": locate(f.evidence, hay, video.cues)}) for f in brief.facts]
    points = []
    for i, point in enumerate(brief.key_points):
        quoted = brief.key_point_evidence[i] if i < len(brief.key_point_evidence) else ""
        points.append(locate(quoted or point, hay, video.cues))
    return brief.model_copy(update={"facts": facts, "key_point_at": points})


# --------------------------------------------------------------------------- caption files


_TAG = re.compile(r"<[^>]*>")
_ARROW = re.compile(r"((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})")


def parse_captions(text: str) -> list[tuple[int, str]]:
    """(start second, text) of each cue of a WebVTT or SubRip file. Styling tags go; a cue that
    repeats the line before it (rolling captions) adds only what is new."""
    out: list[tuple[int, str]] = []
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    previous = ""
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        timing = next((i for i, line in enumerate(lines) if _ARROW.search(line)), None)
        if timing is None:
            continue  # WEBVTT header, NOTE, STYLE, REGION
        start = seconds(_ARROW.search(lines[timing]).group(1))
        body = " ".join(_TAG.sub("", line).strip() for line in lines[timing + 1 :]).strip()
        body = " ".join(body.split())
        if previous and body.startswith(previous):
            body = body[len(previous):].strip()
        if body:
            out.append((start, body))
            previous = body
    return out


def split_marks(text: str) -> list[tuple[int, str]] | None:
    """A transcript with "[m:ss]" marks at line starts as (second, text) pieces; None when it has
    no marks. Text before the first mark starts at 0."""
    marks = list(MARK.finditer(text or ""))
    if not marks:
        return None
    pieces = []
    head = text[: marks[0].start()].strip()
    if head:
        pieces.append((0, head))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        pieces.append((seconds(mark.group(1)), text[mark.end() : end].strip()))
    return pieces
