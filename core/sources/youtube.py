"""YouTube videos without an API key: id parsing, oEmbed metadata, transcripts, and the
`youtube` source (a list of URLs or ids in postgen.toml).

Every request goes through `session()`: a timeout on every call and one bounded retry on
connection errors and 5xx, so nothing hangs and a blip does not fail a run. `requests` and
`youtube_transcript_api` are imported inside functions so `postgen --help` stays light.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable
from urllib.parse import parse_qs, urlsplit

from postgen import hookimpl
from postgen.media import youtube_thumbnails
from postgen.models import Video
from postgen.source import Candidate, Source, SourceError

if TYPE_CHECKING:  # pragma: no cover
    import requests

TIMEOUT = (5.0, 20.0)  # seconds: connect, read
RETRY_STATUSES = (500, 502, 503, 504)
OEMBED_URL = "https://www.youtube.com/oembed"

_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_HOSTS = {
    "youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
    "youtube-nocookie.com", "www.youtube-nocookie.com",
}
_SHORT_HOSTS = {"youtu.be", "www.youtu.be"}
_PATH_FORMS = ("shorts", "embed", "live", "v", "e")
_CHANNEL_FORMS = ("channel", "c", "user")


def video_id(text: str) -> str:
    """The 11-character id of a YouTube video, from any form a person pastes.

    Accepts watch URLs (extra parameters in any order), youtu.be, /shorts/, /embed/, /live/,
    youtube-nocookie, m. and music. hosts, no scheme, surrounding spaces, or a bare id.
    Raises ValueError naming what is wrong (other host, channel, playlist, bad id).
    """
    raw = (text or "").strip()
    if not raw:
        raise ValueError("empty video: give a YouTube URL or an 11-character video id")
    if _ID.fullmatch(raw):
        return raw
    if "/" not in raw and "." not in raw:
        raise ValueError(f"not a YouTube URL or 11-character video id: {raw!r}")
    url = raw if "://" in raw else "https://" + raw.lstrip("/")
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise ValueError(f"not a YouTube video URL or id: {raw!r}") from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise ValueError(f"not a YouTube video URL or id: {raw!r} (expected youtube.com/watch?v=… or youtu.be/…)")
    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)
    if host in _SHORT_HOSTS:
        candidate = segments[0] if segments else ""
    elif host in _HOSTS:
        candidate = _from_youtube_path(raw, segments, query)
    else:
        raise ValueError(f"not a YouTube URL: host {host!r} in {raw!r} (expected youtube.com or youtu.be)")
    if not _ID.fullmatch(candidate):
        raise ValueError(f"not a valid YouTube video id: {candidate!r} in {raw!r} (ids are 11 characters of A-Z a-z 0-9 _ -)")
    return candidate


def _from_youtube_path(raw: str, segments: list[str], query: dict[str, list[str]]) -> str:
    if segments[:1] == ["watch"] or (not segments and "v" in query):
        if "v" not in query:
            raise ValueError(f"no video in {raw!r}: a watch URL needs ?v=<id>")
        return query["v"][0]
    if len(segments) >= 2 and segments[0] in _PATH_FORMS and segments[1] != "videoseries":  # an embedded playlist
        return segments[1]
    if segments and (segments[0] in _CHANNEL_FORMS or segments[0].startswith("@")):
        raise ValueError(f"{raw!r} is a channel, not a video: use a [[sources]] entry of type \"channel\" with its channel_id")
    if segments[:1] == ["playlist"] or "list" in query:
        raise ValueError(f"{raw!r} is a playlist, not a video: use a [[sources]] entry of type \"playlist\" with its playlist_id")
    raise ValueError(f"not a YouTube video URL: {raw!r} (expected /watch?v=…, /shorts/…, /embed/…, /live/… or youtu.be/…)")


def watch_url(vid: str) -> str:
    return f"https://www.youtube.com/watch?v={vid}"


def session() -> requests.Session:
    """A requests session with a default timeout and one bounded retry (connection errors, 5xx)."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class _Session(requests.Session):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            kwargs.setdefault("timeout", TIMEOUT)
            return super().request(method, url, *args, **kwargs)

    s = _Session()
    retry = Retry(total=1, connect=1, read=1, status=1, status_forcelist=RETRY_STATUSES,
                  allowed_methods=None, backoff_factor=0.5, raise_on_status=False,
                  respect_retry_after_header=False)  # a 503 "Retry-After: 3600" must not hang a run
    adapter = HTTPAdapter(max_retries=retry)
    s.mount("https://", adapter)
    s.mount("http://", adapter)
    return s


def get(http: requests.Session, url: str, what: str, params: dict[str, str] | None = None) -> requests.Response:
    """GET `url`; a network failure becomes a SourceError naming `what` (a video or feed)."""
    import requests

    try:
        return http.get(url, params=params)
    except requests.Timeout:
        raise SourceError(f"{what}: no answer from {url} within {TIMEOUT[1]:.0f}s (tried twice); try again later") from None
    except requests.RequestException as exc:
        raise SourceError(f"{what}: could not reach {url} (tried twice): {type(exc).__name__}; check the network") from None


def oembed(vid: str, http: requests.Session | None = None) -> dict[str, Any]:
    """Title and channel of a public video. 401: embedding disabled; 404: private or deleted."""
    http = http or session()
    what = f"video {vid} ({watch_url(vid)})"
    response = get(http, OEMBED_URL, what, {"url": watch_url(vid), "format": "json"})
    if response.status_code == 401:
        raise SourceError(f"{what}: the owner disabled embedding, so YouTube gives no metadata (oEmbed 401); pick another video")
    if response.status_code == 404:
        raise SourceError(f"{what}: private, deleted or never existed (oEmbed 404); check the URL")
    if response.status_code == 400:
        raise SourceError(f"{what}: YouTube rejected the URL (oEmbed 400); check the id")
    if response.status_code != 200:
        raise SourceError(f"{what}: oEmbed answered HTTP {response.status_code}; try again later")
    try:
        data = response.json()
    except ValueError:
        raise SourceError(f"{what}: oEmbed did not answer JSON; try again later") from None
    if not isinstance(data, dict) or not data.get("title"):
        raise SourceError(f"{what}: oEmbed answer has no title")
    return data


@dataclass
class TranscriptResult:
    text: str | None
    language: str | None = None
    reason: str | None = None  # why there is none
    cues: list[tuple[int, int]] | None = None  # where each caption starts (postgen.timing)

    @property
    def warning(self) -> str | None:
        if self.text is not None:
            return None
        return f"{self.reason}; the posts are written from the title and description only"


def transcript(vid: str, languages: Iterable[str], http: requests.Session | None = None) -> TranscriptResult:
    """The video's transcript in the first available preferred language, or why there is none.

    Never raises for a missing transcript: the caller decides whether that is fatal.
    """
    import requests
    import youtube_transcript_api as yte

    langs = list(languages) or ["en"]
    try:
        fetched = yte.YouTubeTranscriptApi(http_client=http or session()).fetch(vid, languages=langs)
    except yte.TranscriptsDisabled:
        why = "captions are disabled for this video"
    except yte.NoTranscriptFound:
        why = f"no transcript in {', '.join(langs)} (set [selection] transcript_languages to add languages)"
    except yte.RequestBlocked:  # IpBlocked is a subclass
        why = "YouTube blocked the transcript request from this machine (common on cloud and CI runners)"
    except yte.VideoUnavailable:
        why = "YouTube says the video is unavailable"
    except yte.CouldNotRetrieveTranscript as exc:
        why = f"the transcript could not be read ({type(exc).__name__})"
    except requests.RequestException as exc:
        why = f"the transcript request failed ({type(exc).__name__})"
    else:
        from postgen.timing import from_segments

        text, cues = from_segments((s.start, s.text) for s in fetched)
        if text:
            return TranscriptResult(text=text, language=fetched.language_code, cues=cues)
        why = "the transcript is empty"
    return TranscriptResult(text=None, reason=f"no transcript for video {vid}: {why}")


@dataclass
class Extra:
    """What a feed already told us about a video (oEmbed has no description, date or views)."""

    title: str = ""
    channel: str = ""
    description: str = ""
    published: datetime | None = None
    views: int | None = None


def fetch_video(vid: str, *, source: str, languages: Iterable[str] = ("en",), require_transcript: bool = False,
                extra: Extra | None = None, channel_id: str | None = None,
                warnings: list[str] | None = None, http: requests.Session | None = None) -> Video:
    """A full Video: oEmbed metadata, feed details where known, the transcript.

    With no transcript the Video has transcript=None and a warning is appended to `warnings`,
    unless `require_transcript`, which makes it a SourceError.
    """
    http = http or session()
    meta = oembed(vid, http)
    extra = extra or Extra()
    if not (extra.description or extra.published):
        channel_id = channel_id or _channel_id_from(meta.get("author_url", ""))
        if channel_id:
            extra = _feed_details(vid, channel_id, http, warnings) or extra
    result = transcript(vid, languages, http)
    if result.text is None:
        if require_transcript:
            raise SourceError(f"{result.reason}; [selection] require_transcript = true, so this video "
                              "cannot be used (set it to false to write from title and description)")
        if warnings is not None:
            warnings.append(result.warning)
    return Video(
        id=vid,
        url=watch_url(vid),
        title=str(meta.get("title") or extra.title),
        channel=str(meta.get("author_name") or extra.channel),
        published=extra.published,
        description=extra.description,
        transcript=result.text,
        cues=result.cues,
        views=extra.views,
        source=source,
        thumbnails=youtube_thumbnails(vid),
    )


def _channel_id_from(author_url: str) -> str | None:
    m = re.search(r"/channel/(UC[A-Za-z0-9_-]{22})", author_url or "")
    return m.group(1) if m else None


def _feed_details(vid: str, channel_id: str, http: requests.Session, warnings: list[str] | None) -> Extra | None:
    from .feeds import fetch_feed

    try:
        entries = fetch_feed("channel_id", channel_id, http)
    except SourceError as exc:
        if warnings is not None:
            warnings.append(f"no description or date for video {vid}: {exc}")
        return None
    for entry in entries:
        if entry.video_id == vid:
            return entry.extra()
    return None  # older than the feed's latest 15 videos: oEmbed alone


class YouTubeBase(Source):
    """Shared fetch for sources whose candidates are YouTube videos (list, queue, feeds)."""

    def __init__(self, spec: dict[str, Any], base_dir: Any = "."):
        super().__init__(spec, base_dir)
        self.warnings: list[str] = []
        self.extras: dict[str, Extra] = {}

    def fetch(self, candidate: Candidate) -> Video:
        return fetch_video(
            candidate.video_id,
            source=self.name,
            languages=self.spec.get("transcript_languages") or ["en"],
            require_transcript=bool(self.spec.get("require_transcript", False)),
            extra=self.extras.get(candidate.video_id),
            channel_id=self.spec.get("channel_id"),
            warnings=self.warnings,
        )


def candidates_from_lines(lines: Iterable[tuple[int, str]], where: str, source: str, warnings: list[str]) -> list[Candidate]:
    """Candidates from (line number, text) pairs; a bad entry is a warning, not the end of the list."""
    out: list[Candidate] = []
    seen: set[str] = set()
    for number, text in lines:
        try:
            vid = video_id(text)
        except ValueError as exc:
            warnings.append(f"{where}:{number}: skipped: {exc}")
            continue
        if vid in seen:
            continue
        seen.add(vid)
        out.append(Candidate(video_id=vid, url=watch_url(vid), position=len(out), source=source))
    return out


class YouTubeSource(YouTubeBase):
    """`type = "youtube"`: `videos = ["https://youtu.be/…", "dQw4w9WgXcQ", …]`, in order.

    Optional `channel_id` lets the channel feed supply description, date and views.
    """

    name = "youtube"

    def candidates(self) -> list[Candidate]:
        videos = self.spec.get("videos", self.spec.get("urls", []))
        if isinstance(videos, str):
            videos = [videos]
        if not isinstance(videos, list) or not videos:
            raise SourceError("youtube source: give `videos = [\"<url or id>\", …]` in its [[sources]] entry")
        return candidates_from_lines(enumerate(map(str, videos), 1), "youtube source videos", self.name, self.warnings)

    def describe(self) -> str:
        videos = self.spec.get("videos", self.spec.get("urls", []))
        return f"{len(videos) if isinstance(videos, list) else 1} video(s)"


@hookimpl
def postgen_register_sources(register) -> None:
    register(YouTubeSource)
