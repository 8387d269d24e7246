"""A video described in a local file: YAML, JSON, or Markdown with YAML front matter.

Keys: url, title (required), channel, description, published, views, id, and transcript or
notes (in Markdown the body is the transcript). No network at all, which is why the packaged
sample (`path = "builtin:sample"`) is the default source: `postgen run --dry-run` works on a
fresh machine.

Timing, so posts can link to the moment they quote (any one of these):
- a caption file: `captions: talk.vtt` (WebVTT or SubRip), or one named like the file or like
  its `video: talk.mp4` (talk.vtt / talk.srt beside it); its text is then the transcript;
- "[m:ss]" marks at the start of the transcript's lines ("[3:12] Now the part that matters...");
- in YAML or JSON, `transcript` as a list of `{start: seconds, text: ...}`.
`thumbnail` (a path beside the file, or an https URL) is the picture posts carry;
`moment_url` ("{url}#t={seconds}") says how to link to a moment when `url` is not YouTube's.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from postgen import hookimpl
from postgen.models import Video
from postgen.source import Candidate, Source, SourceError

BUILTIN = {"builtin:sample": "sample-video.md"}
SUFFIXES = (".md", ".markdown", ".yaml", ".yml", ".json")
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def builtin_path(name: str) -> Path:
    """The packaged file behind a `builtin:` path."""
    from importlib.resources import files

    if name not in BUILTIN:
        raise SourceError(f"local source: unknown {name!r} (known: {', '.join(BUILTIN)})")
    return Path(str(files("postgen") / "data" / BUILTIN[name]))


def read_video_file(path: Path) -> dict[str, Any]:
    """The file's fields as a dict (`transcript` from the Markdown body when not given)."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError(f"local video {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"local video {path}: cannot be read ({exc})") from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            data = _front_matter(text, path)
    except (ValueError, yaml.YAMLError) as exc:
        raise SourceError(f"local video {path}: not valid {path.suffix.lstrip('.').upper() or 'text'}: {exc}") from None
    if not isinstance(data, dict):
        raise SourceError(f"local video {path}: expected keys (url, title, …), got {type(data).__name__}")
    return data


def _front_matter(text: str, path: Path) -> dict[str, Any]:
    import yaml

    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise SourceError(f"local video {path}: Markdown needs YAML front matter between '---' lines (url, title, …)")
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise SourceError(f"local video {path}: the front matter is never closed with '---'")
    data = yaml.safe_load("\n".join(lines[1:end])) or {}
    if isinstance(data, dict):
        body = "\n".join(lines[end + 1:]).strip()
        if body and not data.get("transcript"):
            data["transcript"] = body
    return data


def to_video(data: dict[str, Any], path: Path, base_dir: Path | None = None) -> Video:
    """Validate the fields of a video file into a Video (source `local`). `base_dir` (postgen.toml's
    folder) is what the thumbnail's path is kept relative to, so a run file made here publishes
    from another checkout."""
    missing = [k for k in ("title", "url") if not str(data.get(k) or "").strip()]
    if missing:
        raise SourceError(f"local video {path}: missing {', '.join(missing)} (needed for the posts and their link)")
    url = str(data["url"]).strip()
    vid = str(data.get("id") or "").strip() or _id_from(url, path)
    if not _SAFE_ID.fullmatch(vid):
        raise SourceError(f"local video {path}: id {vid!r} must be 1-64 characters of A-Z a-z 0-9 _ - (it names the run file)")
    transcript, cues = _timed_transcript(data, path)
    views = data.get("views")
    moment_url = str(data["moment_url"]).strip() if data.get("moment_url") else None
    if moment_url is not None and "{seconds}" not in moment_url:
        raise SourceError(f"local video {path}: moment_url {moment_url!r} must contain {{seconds}} (e.g. \"{{url}}#t={{seconds}}\")")
    return Video(
        id=vid,
        url=url,
        title=str(data["title"]).strip(),
        channel=str(data.get("channel") or "").strip(),
        published=_when(data.get("published"), path),
        duration=int(data["duration"]) if str(data.get("duration", "")).isdigit() else None,
        description=str(data.get("description") or "").strip(),
        transcript=transcript,
        cues=cues,
        views=int(views) if str(views or "").isdigit() else None,
        source="local",
        thumbnails=_thumbnails(data.get("thumbnail"), path, base_dir),
        moment_url=moment_url,
    )


def _timed_transcript(data: dict[str, Any], path: Path) -> tuple[str | None, list[tuple[int, int]] | None]:
    """The transcript and, where the file gives timing, its cues (see the module's docstring)."""
    from postgen.timing import from_segments, parse_captions, split_marks

    captions = _caption_file(data, path)
    if captions is not None:
        try:
            segments = parse_captions(captions.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"local video {path}: captions {captions} cannot be read ({exc})") from None
        if not segments:
            raise SourceError(f"local video {path}: {captions} holds no timed captions (WebVTT or SubRip expected)")
        return from_segments(segments)
    raw = data.get("transcript") or data.get("notes")
    if isinstance(raw, list):
        return from_segments(_listed(raw, path))
    if not raw:
        return None, None
    text = str(raw).strip()
    marked = split_marks(text)
    if marked is None:
        return text, None
    return from_segments(marked, joiner="\n\n")


def _listed(items: list[Any], path: Path) -> list[tuple[float, str]]:
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "text" not in item or not isinstance(item.get("start"), (int, float)):
            raise SourceError(f"local video {path}: transcript[{i}] must be {{start: seconds, text: ...}}")
        out.append((float(item["start"]), str(item["text"])))
    return out


def _caption_file(data: dict[str, Any], path: Path) -> Path | None:
    named = data.get("captions")
    if named:
        found = path.parent / str(named)
        if not found.is_file():
            raise SourceError(f"local video {path}: captions {found} not found")
        return found
    stems = [path.with_suffix("")]
    if data.get("video"):
        stems.append((path.parent / str(data["video"])).with_suffix(""))
    for stem in stems:
        for suffix in (".vtt", ".srt"):
            candidate = stem.with_name(stem.name + suffix)
            if candidate.is_file():
                return candidate
    return None


def _thumbnails(value: Any, path: Path, base_dir: Path | None) -> list[str]:
    """The picture as a source the publisher can read later: a URL as it is; a file next to a
    packaged sample as builtin:<name>; another file relative to postgen.toml's folder."""
    if not value:
        return []
    text = str(value).strip()
    if text.startswith(("https://", "http://", "builtin:")):
        return [text]
    file = (path.parent / text).resolve()
    if not file.is_file():
        raise SourceError(f"local video {path}: thumbnail {file} not found")
    packaged = builtin_path("builtin:sample").parent.resolve()
    if file.parent == packaged:
        return [f"builtin:{file.name}"]
    if base_dir is not None:
        try:
            return [str(file.relative_to(Path(base_dir).resolve()))]
        except ValueError:
            pass
    return [str(file)]


def _id_from(url: str, path: Path) -> str:
    from .youtube import video_id

    try:
        return video_id(url)
    except ValueError:
        return re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-")[:64] or "local"


def _when(value: Any, path: Path) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        return _when(datetime.fromisoformat(str(value).strip()), path)
    except ValueError:
        raise SourceError(f"local video {path}: published {value!r} is not a date (use YYYY-MM-DD)") from None


class LocalSource(Source):
    """`type = "local"`, `path = "talk.md"` (a file, or a folder of them; relative to postgen.toml),
    or `path = "builtin:sample"` for the packaged sample."""

    name = "local"

    def __init__(self, spec: dict[str, Any], base_dir: Any = "."):
        super().__init__(spec, base_dir)
        self.warnings: list[str] = []
        self._videos: dict[str, Video] = {}

    def files(self) -> list[Path]:
        value = str(self.spec.get("path") or "").strip()
        if not value:
            raise SourceError('local source: give `path = "video.md"` (or "builtin:sample") in its [[sources]] entry')
        if value.startswith("builtin:"):
            return [builtin_path(value)]
        path = Path(value).expanduser()
        path = path if path.is_absolute() else Path(self.base_dir) / path
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES
                           and not p.name.startswith((".", "README")))
            if not found:
                raise SourceError(f"local source {path}: no {'/'.join(SUFFIXES)} files in this folder")
            return found
        if not path.exists():
            raise SourceError(f"local source {path}: no such file or folder (relative paths start at postgen.toml's folder)")
        return [path]

    def candidates(self) -> list[Candidate]:
        out = []
        files = self.files()
        for path in files:
            try:
                video = to_video(read_video_file(path), path, Path(self.base_dir))
            except SourceError as exc:
                if len(files) == 1:
                    raise
                self.warnings.append(f"{exc}; skipped")  # one bad file of a folder: the others still serve
                continue
            if video.id in self._videos:
                self.warnings.append(f"local video {path}: id {video.id!r} appears twice; skipped")
                continue
            self._videos[video.id] = video
            out.append(Candidate(video_id=video.id, url=video.url, title=video.title, published=video.published,
                                 views=video.views, position=len(out), source=self.name))
        return out

    def fetch(self, candidate: Candidate) -> Video:
        if candidate.video_id not in self._videos:
            self.candidates()
        if candidate.video_id not in self._videos:
            raise SourceError(f"local source {self.describe()}: no video {candidate.video_id!r} (was the file changed?)")
        video = self._videos[candidate.video_id].model_copy()
        if not video.transcript:
            why = f"no transcript for video {video.id}: its file has no transcript or notes"
            if self.spec.get("require_transcript"):
                raise SourceError(f"{why}; [selection] require_transcript = true, so it cannot be used")
            self.warnings.append(f"{why}; the posts are written from the title and description only")
        return video

    def describe(self) -> str:
        return str(self.spec.get("path", "?"))


@hookimpl
def postgen_register_sources(register: Any) -> None:
    register(LocalSource)
