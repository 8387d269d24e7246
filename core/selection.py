"""Choose the next video: candidates from every configured source, minus every video that
already has a run, ordered by the policy, the oldest ones dropped by `max_age_days`.

A run file is `runs/<YYYY-MM-DD>-<video id>.md`, so the set of videos done comes from file
names alone (no parsing): that set is how a queue is "consumed in order" without rewriting it.
One failing source is a warning; the others still serve. `plan()` lists, `choose()` fetches.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .models import Video
from .source import Candidate, Source, SourceError

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a run file name can hold (YouTube ids, local ids)
MAX_FETCH_ATTEMPTS = 5  # candidates tried in order when the chosen one cannot be fetched


@dataclass
class Selected:
    video: Video
    reason: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Considered:
    """One candidate and what selection made of it."""

    candidate: Candidate
    source_label: str
    status: str = "eligible"  # "pick", "eligible", "skipped"
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = asdict(self.candidate)
        c["published"] = self.candidate.published.isoformat() if self.candidate.published else None
        return {**c, "source_label": self.source_label, "status": self.status, "reason": self.reason}


@dataclass
class Plan:
    """What `postgen next` shows: every candidate in policy order, the pick, and the warnings."""

    policy: str
    max_age_days: int | None
    considered: list[Considered] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sources: list[tuple[str, Source]] = field(default_factory=list)

    @property
    def eligible(self) -> list[Considered]:
        return [c for c in self.considered if c.status != "skipped"]

    @property
    def pick(self) -> Considered | None:
        eligible = self.eligible
        return eligible[0] if eligible else None

    def to_dict(self) -> dict[str, Any]:
        pick = self.pick
        return {
            "policy": self.policy,
            "max_age_days": self.max_age_days,
            "pick": pick.to_dict() if pick else None,
            "candidates": [c.to_dict() for c in self.considered],
            "warnings": list(self.warnings),
        }


class NoNewVideo(SourceError):
    """Every source answered and no video is left without a run: nothing to do, not a failure."""


def done_video_ids(runs_dir: Path) -> dict[str, Path]:
    """Video id -> run file, from names `<YYYY-MM-DD>-<video id>.md` (the id is what follows the date)."""
    from .runfile import list_runs

    return {p.stem[11:]: p for p in list_runs(runs_dir) if len(p.stem) > 11}


def build_sources(config: Config) -> list[tuple[str, Source]]:
    """One Source per `[[sources]]` entry, with the [selection] transcript options as defaults."""
    from . import registry

    out = []
    for i, spec in enumerate(config.sources):
        kind = spec.get("type", "")
        label = f"sources[{i}] ({kind})"
        try:
            cls = registry.sources.get(kind)
        except KeyError as exc:
            raise SourceError(f"{label}: {exc.args[0]}; fix `type` in postgen.toml") from None
        merged = {
            "transcript_languages": config.selection.transcript_languages,
            "require_transcript": config.selection.require_transcript,
            **spec,
        }
        source = cls(merged, base_dir=config.base_dir)
        describe = getattr(source, "describe", None)
        out.append((f"sources[{i}] {kind}: {describe()}" if describe else label, source))
    return out


def plan(config: Config, now: datetime | None = None) -> Plan:
    """Every candidate from every source, in policy order, each marked pick / eligible / skipped."""
    sel = config.selection
    result = Plan(policy=sel.policy, max_age_days=sel.max_age_days, sources=build_sources(config))
    done = done_video_ids(config.runs_path)
    seen: dict[str, str] = {}
    listed: list[Considered] = []
    for label, source in result.sources:
        try:
            found = list(source.candidates())
        except SourceError as exc:
            result.warnings.append(f"{label}: {exc}")
            continue
        except Exception as exc:  # a third-party source's bug must not stop the others
            result.warnings.append(f"{label}: failed unexpectedly: {type(exc).__name__}: {exc}")
            continue
        finally:
            result.warnings.extend(f"{label}: {w}" for w in _drain(source))
        for cand in found:
            item = Considered(cand, label)
            if cand.video_id in seen:
                item.status, item.reason = "skipped", f"duplicate: also in {seen[cand.video_id]}"
            else:
                seen[cand.video_id] = label
                if cand.video_id in done:
                    item.status, item.reason = "skipped", f"already has a run: {done[cand.video_id].name}"
            listed.append(item)
    if sel.max_age_days:
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=sel.max_age_days)
        for item in listed:
            published = item.candidate.published
            if published and published.tzinfo is None:
                published = published.replace(tzinfo=timezone.utc)
            if item.status != "skipped" and published and published < cutoff:
                item.status = "skipped"
                item.reason = f"older than max_age_days = {sel.max_age_days} (published {published.date()})"
    result.considered = _ordered(listed, sel.policy)
    pick = result.pick
    if pick:
        pick.status, pick.reason = "pick", _why(pick, sel.policy)
    return result


def _ordered(items: list[Considered], policy: str) -> list[Considered]:
    """Stable sort: queue = source order then position (as listed); unknown dates/views go last."""
    if policy == "newest":
        return sorted(items, key=lambda c: (c.candidate.published is None,
                                            -(c.candidate.published.timestamp() if c.candidate.published else 0)))
    if policy == "most-viewed":
        return sorted(items, key=lambda c: (c.candidate.views is None, -(c.candidate.views or 0)))
    return list(items)


def _why(item: Considered, policy: str) -> str:
    c = item.candidate
    if policy == "newest":
        when = f"published {c.published.date()}" if c.published else "no publish date known"
        return f"newest video without a run ({when}) from {item.source_label}"
    if policy == "most-viewed":
        views = f"{c.views:,} views" if c.views is not None else "views unknown"
        return f"most-viewed video without a run ({views}) from {item.source_label}"
    return f"first video without a run in queue order: #{c.position + 1} of {item.source_label}"


def _drain(source: Source) -> list[str]:
    warnings = getattr(source, "warnings", None)
    if not warnings:
        return []
    out = list(warnings)
    warnings.clear()
    return out


def choose(config: Config, video: str | None = None) -> Selected:
    """Pick the video for a run: `video` (URL/id/file) overrides; else the configured sources and policy.

    If the picked video cannot be fetched (private, deleted, no transcript while one is
    required), the next candidate is tried, up to MAX_FETCH_ATTEMPTS, each failure a warning.
    """
    if video is not None:  # --video "" (an unset variable in a script) is an error, not "pick one"
        return _chosen_by_user(config, video)
    p = plan(config)
    warnings = list(p.warnings)
    sources = dict(p.sources)
    for attempt, item in enumerate(p.eligible[:MAX_FETCH_ATTEMPTS]):
        source = sources[item.source_label]
        try:
            fetched = _usable(config, source.fetch(item.candidate))
        except SourceError as exc:
            warnings.append(f"{item.source_label}: skipped video {item.candidate.video_id}: {exc}")
            continue
        except Exception as exc:  # noqa: BLE001 - a source's bug (or a scraper broken by a page change)
            warnings.append(f"{item.source_label}: skipped video {item.candidate.video_id}: "
                            f"fetch failed unexpectedly: {type(exc).__name__}: {exc}")
            continue
        finally:
            warnings.extend(_drain(source))
        reason = item.reason if attempt == 0 else f"{_why(item, p.policy)} (earlier candidates failed)"
        return Selected(video=fetched, reason=reason, warnings=warnings)
    skipped = sum(1 for c in p.considered if c.status == "skipped")
    detail = "; ".join(warnings) if warnings else "no source listed any video"
    if p.eligible:
        raise SourceError(f"no video could be fetched (tried {min(len(p.eligible), MAX_FETCH_ATTEMPTS)}): {detail}")
    if not p.considered:
        summary = "no source listed any video" + (f" ({'; '.join(warnings)})" if warnings else "")
    else:
        summary = f"all {len(p.considered)} candidate(s) skipped (already run, duplicate or too old)" if skipped == len(p.considered) \
            else f"{len(p.considered)} candidate(s), {skipped} skipped (already run, duplicate or too old)"
        summary += f"; {'; '.join(warnings)}" if warnings else ""
    where = f"in {config.path.name}" if config.path else "(there is no postgen.toml here: 'postgen init' writes one to edit)"
    error = NoNewVideo if not warnings else SourceError  # a source that failed may have held a new video
    raise error(f"no video to pick: {summary}. Add videos to a source {where}, or pass --video URL. 'postgen next' shows why.")


def _usable(config: Config, video: Video) -> Video:
    """The fetched video, unless its id cannot name a run file, or a transcript is required and
    it has none (built-in sources see to both themselves; a plugin source may not)."""
    if not _SAFE_ID.fullmatch(video.id):
        raise SourceError(f"video id {video.id!r} cannot name a run file (<date>-<id>.md): the source must give "
                          "1-64 characters of A-Z a-z 0-9 _ -")
    if config.selection.require_transcript and not (video.transcript or "").strip():
        raise SourceError(f"no transcript for video {video.id}; [selection] require_transcript = true, so it cannot be used")
    return video


def _chosen_by_user(config: Config, text: str) -> Selected:
    """`--video`: a local file, a video a configured source lists (keeping its feed or file
    details), or any YouTube URL/id."""
    from .sources.local import LocalSource
    from .sources.youtube import YouTubeSource, video_id

    warnings: list[str] = []
    text = text.strip()
    path = Path(text).expanduser()
    source: Source | None
    if text.startswith("builtin:") or (path.suffix and path.is_file()):
        source = LocalSource({"path": str(path.resolve()) if path.is_file() else text,
                              "require_transcript": config.selection.require_transcript})
        cand, label = source.candidates()[0], f"file {text}"
    else:
        try:
            wanted, error = video_id(text), None
        except ValueError as exc:
            wanted, error = text, exc
        source, cand, label = _configured(config, wanted)
        if source is None:
            if error is not None and _path_like(text):
                raise SourceError(_not_a_video_file(text, path))
            if error is not None:
                raise SourceError(f"--video: {error} (nor is it a file or a video id listed by a configured source)")
            spec = {"videos": [wanted], "transcript_languages": config.selection.transcript_languages,
                    "require_transcript": config.selection.require_transcript}
            source = YouTubeSource(spec, base_dir=config.base_dir)
            cand, label = source.candidates()[0], f"video {wanted}"
    done = done_video_ids(config.runs_path)
    if cand.video_id in done:
        warnings.append(f"video {cand.video_id} already has a run ({done[cand.video_id].name}); --video makes another")
    fetched = _usable(config, source.fetch(cand))
    warnings.extend(_drain(source))
    return Selected(video=fetched, reason=f"chosen with --video ({label})", warnings=warnings)


def _path_like(text: str) -> bool:
    """Typed as a file path, not a URL: `../vids/x.md`, `~/talk.yaml`, `notes.json`."""
    from .sources.local import SUFFIXES

    return "://" not in text and ("/" in text or "\\" in text or text.startswith((".", "~"))
                                  or Path(text).suffix.lower() in SUFFIXES)


def _not_a_video_file(text: str, path: Path) -> str:
    from .sources.local import SUFFIXES

    kinds = f"a video file ({', '.join(SUFFIXES)} with url and title) or a YouTube URL or id"
    if path.is_dir():
        return f"--video {text}: is a folder; give {kinds}"
    if path.exists():
        return f"--video {text}: not a video file (it has no {'/'.join(SUFFIXES)} suffix); give {kinds}"
    return f"--video {text}: no such file (from {Path.cwd()}); give {kinds}"


def _configured(config: Config, vid: str) -> tuple[Source | None, Candidate | None, str]:
    """The configured source that lists `vid`, if any, without failing on sources that are down."""
    for label, source in build_sources(config):
        try:
            for cand in source.candidates():
                if cand.video_id == vid:
                    _drain(source)
                    return source, cand, label
        except Exception:  # noqa: BLE001 - down, or a third-party source's bug: as in plan(), the others still serve
            pass
        _drain(source)
    return None, None, ""
