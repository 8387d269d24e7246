"""The moment a post links to: which brief item is its main point, and the link that opens there.

How the main point is chosen: the generator says which item it wrote the post from
(`Draft.main_point`, "key point 2" or "fact 1": a structured field of its answer), because a
model's post paraphrases and may share few words with the item. That claim counts unless the
post shares no content word with the item while it clearly quotes another one: then the answer
was mislabelled and the post's own words decide, so readers are not sent to the wrong minute.
When the generator does not say (the offline generator quotes the brief; a plugin may not know),
the item whose content words the post uses most is the main point, if the post uses at least
half of them; ties go to the item the post says first.
The second is the one the brief found for that item's evidence (postgen.timing); an item
without one means the link opens at the start, and `Moment.why` says so.
"""

from __future__ import annotations

import re

from .models import Brief, Moment, Post, Video
from .timing import clock, words

MATCH_SHARE = 0.5
# Words too common to say which item a post is about.
COMMON = frozenset(
    """a an and are as at be but by can do does for from has have how i if in into is it its just
    more most no not of on or so than that the their them then there these they this those to too
    up was we what when which who why will with you your our us one cant dont isnt""".split()
)


def _content(text: str) -> list[str]:
    return [w for w in words(text) if w not in COMMON and (len(w) > 2 or w.isdigit())]


def _score(item_text: str, post_words: list[str]) -> tuple[float, int, int]:
    """(share of the item's content words the post uses, how many, where the first one is)."""
    wanted = list(dict.fromkeys(_content(item_text)))
    if not wanted:
        return 0.0, 0, len(post_words)
    have = set(post_words)
    used = [w for w in wanted if w in have]
    first = min((post_words.index(w) for w in used), default=len(post_words))
    return len(used) / len(wanted), len(used), first


def choose(text: str, brief: Brief | None, main_point: str | None = None) -> Moment:
    """The moment of a post whose words are `text` (title and body)."""
    if brief is None:
        return Moment(why="the run has no brief")
    post_words = _content(text)
    best = _closest(brief, post_words)
    named = brief.item(main_point) if main_point else None
    if named is not None:
        _share, used, _first = _score(f"{named[0]} {named[1]}", post_words)
        if used or best is None:
            label = _label(main_point)
            return _moment(label, named, f"the generator's main point ({label}, {_quote(named[0])})")
    if best is None:
        return Moment(why="no key point or fact of the brief is clearly this post's point")
    share, _first, label, item, used = best
    total = len(set(_content(item[0])))
    return _moment(label, item, f"closest to the post's words: it uses {used} of the {total} words of {label} "
                                f"({_quote(item[0])})")


def _closest(brief: Brief, post_words: list[str]) -> tuple | None:
    """(share, first position, label, item, words used) of the item the post uses most, if it
    uses at least MATCH_SHARE of its words; ties go to the item the post says first."""
    best = None
    for label in brief.labels():
        item = brief.item(label)
        assert item is not None
        share, used, first = _score(item[0], post_words)
        if share >= MATCH_SHARE and (best is None or (share, -first) > (best[0], -best[1])):
            best = (share, first, label, item, used)
    return best


def _moment(label: str, item: tuple[str, str, int | None], why: str) -> Moment:
    if item[2] is None:
        return Moment(item=label, why=f"{why}; its words were not found in the timed transcript, so the link opens at the start")
    return Moment(at=item[2], item=label, why=why)


def _label(main_point: str) -> str:
    m = re.fullmatch(r"\s*(key ?point|fact)\s*#?\s*(\d+)\s*", main_point, re.I)
    assert m is not None
    return f"{'key point' if m.group(1).lower().startswith('key') else 'fact'} {int(m.group(2))}"


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f'"{text if len(text) <= limit else text[: limit - 1].rstrip() + "…"}"'


def link_at(video: Video, at: int) -> str | None:
    """The video's link opening at second `at`: youtu.be/ID?t=S for YouTube, the source's own
    `moment_url` template otherwise; None when the source has no way to say a moment."""
    if video.moment_url:
        return video.moment_url.replace("{url}", video.url).replace("{seconds}", str(int(at)))
    vid = _youtube_id(video.url)
    if vid:
        return f"https://youtu.be/{vid}?t={int(at)}"
    return None


def _youtube_id(url: str) -> str | None:
    from .sources.youtube import video_id

    try:
        return video_id(url)
    except ValueError:
        return None


def place(post: Post, video: Video, brief: Brief | None, main_point: str | None, enabled: bool = True) -> None:
    """Set the post's moment and its link: the video at that moment, or its start."""
    if not enabled:
        post.moment = Moment(why="[publish] link_to_moment is off: the link opens at the start")
        post.link = video.url
        return
    text = f"{post.title}\n{post.body}" if post.title else post.body
    moment = choose(text, brief, main_point)
    link = link_at(video, moment.at) if moment.at is not None else None
    if moment.at is not None and link is None:
        moment = Moment(item=moment.item, why=f"{moment.why}; the source gives no link to a moment ({video.url}), so the link opens at the start")
    post.moment = moment
    post.link = link or video.url


def describe(post: Post) -> str | None:
    """One line for the dry run and review: where the link opens and why."""
    if post.moment is None or not post.link:
        return None
    where = f"at {clock(post.moment.at)}" if post.moment.at is not None else "at the start"
    return f"link opens the video {where}: {post.moment.why}"

