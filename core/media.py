"""The picture of a video: which posts carry it, and its bytes.

A post carries the video's thumbnail when its platform's connector can upload pictures, its
`[platforms.<name>] media` is "thumbnail" (the default), and its link is not inline: an inline
link makes the platform show its own card, picture included, and a second picture would push
that card out. With the link in the first comment or reply (or no link), the picture is what
makes the post stop a thumb. Alt text is the video's title.

`load` reads the bytes at publish time (never for a dry run): a URL (`https://`), a packaged
file (`builtin:name`) or a path relative to postgen.toml's folder, the first of the picture's
sources that exists (YouTube's maxresdefault is missing for some videos: hqdefault follows).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .models import Media, Post, Video

if TYPE_CHECKING:  # pragma: no cover
    from .connector import Connector, MediaFile

MAX_BYTES = 5 * 1024 * 1024  # X's limit for images; LinkedIn's is larger
ALT_LIMIT = 1000  # X's alt text limit; LinkedIn allows more
TIMEOUT = (5.0, 20.0)
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class MediaError(Exception):
    """The picture could not be read (missing, not an image, too big): the post goes without it."""


def youtube_thumbnails(video_id: str) -> list[str]:
    """YouTube's pictures of a video, best first: 1280x720 when the video has one, else 480x360."""
    return [f"https://i.ytimg.com/vi/{video_id}/maxresdefault.jpg", f"https://i.ytimg.com/vi/{video_id}/hqdefault.jpg"]


def alt_text(video: Video) -> str:
    text = " ".join(video.title.split())
    return text if len(text) <= ALT_LIMIT else text[: ALT_LIMIT - 1].rstrip() + "…"


def plan(post: Post, video: Video, connector: Connector) -> Media | None:
    """The picture `post` carries, or None (see the module's docstring)."""
    from .connector import supports_media

    options = getattr(connector, "options", None)
    if getattr(options, "media", "none") != "thumbnail" or not video.thumbnails:
        return None
    if post.link_policy == "inline" or not supports_media(connector):
        return None
    return Media(sources=list(video.thumbnails), alt=alt_text(video))


def unsupported(connector: Connector) -> bool:
    """A connector whose config asks for pictures it cannot upload (worth a warning)."""
    from .connector import supports_media

    options = getattr(connector, "options", None)
    asked = "media" in getattr(options, "model_fields_set", set()) and getattr(options, "media", None) == "thumbnail"
    return asked and not supports_media(connector)


def describe(media: Media | None) -> str | None:
    """One line for a preview: the picture that goes with the post."""
    if media is None or media.state == "failed":
        return None
    what = "uploaded as media " + media.remote_id if media.state == "uploaded" and media.remote_id else _name(media.sources[0])
    return f"image: {what} (alt text: {media.alt!r})"


def _name(source: str) -> str:
    """The file name of a source: ".../maxresdefault.jpg" -> "maxresdefault.jpg", "builtin:x.png" -> "x.png"."""
    return source.removeprefix("builtin:").rsplit("/", 1)[-1]


def mime_type(data: bytes) -> str | None:
    for signature, mime in _SIGNATURES:
        if data.startswith(signature):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def load(media: Media, base_dir: Path | str = ".") -> MediaFile:
    """The bytes of the first of `media.sources` that exists. Raises MediaError naming each
    source and what was wrong with it."""
    from .connector import MediaFile

    tried: list[str] = []
    for source in media.sources:
        try:
            data = _read(source, Path(base_dir))
        except FileNotFoundError as exc:
            tried.append(f"{source}: {exc.args[0] if exc.args else 'not found'}")
            continue
        if len(data) > MAX_BYTES:
            raise MediaError(f"{source}: {len(data):,} bytes, over the {MAX_BYTES:,} a picture may have")
        mime = mime_type(data)
        if mime is None:
            raise MediaError(f"{source}: not a PNG, JPEG, GIF or WebP picture")
        return MediaFile(data=data, mime_type=mime, alt=media.alt, name=_name(source))
    raise MediaError("no picture found (" + "; ".join(tried) + ")")


def _read(source: str, base_dir: Path) -> bytes:
    """Bytes of one source. FileNotFoundError: it is not there (try the next); MediaError: it
    could not be read for another reason."""
    if source.startswith(("https://", "http://")):
        return _download(source)
    if source.startswith("builtin:"):
        from importlib.resources import files

        path = Path(str(files("postgen") / "data" / source.removeprefix("builtin:")))
    else:
        path = Path(source).expanduser()
        path = path if path.is_absolute() else base_dir / path
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no file {path}") from None
    except OSError as exc:
        raise MediaError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _download(url: str) -> bytes:
    import requests

    try:
        response = requests.get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise MediaError(f"{url}: could not be downloaded ({type(exc).__name__})") from None
    if response.status_code in (404, 410):
        raise FileNotFoundError(f"HTTP {response.status_code}")
    if response.status_code != 200:
        raise MediaError(f"{url}: HTTP {response.status_code}")
    return response.content
