"""Import a file in the seed's own layout (no state block) into a run.

The system postgen replaces wrote Markdown only, sometimes saved through the wrong code page
(UTF-8 read as cp1252, so 🔥 became ðŸ”¥). ftfy reverses that reliably; we report what it fixed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .models import Post, Run, Video, utcnow

HEADER = re.compile(r"^#\s+Autonomous Run\s*-\s*(?P<date>\d{4}-\d{2}-\d{2})")
VIDEO = re.compile(r"^\*\*Video Selected:\*\*\s*(?P<title>.*?)\s*(?:\|\s*(?P<channel>.*?))?\s*$")
URL = re.compile(r"^\*\*URL:\*\*\s*(?P<url>\S+)")
SECTION = re.compile(r"^##\s+(?P<label>.+?)\s+POSTS\s*$", re.I)
HEADING = re.compile(r"^###\s+(?P<text>.+?)\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})")
SECTION_PLATFORMS = {"LINKEDIN": "linkedin", "X/TWITTER": "x", "X": "x", "TWITTER": "x", "REDDIT": "reddit"}
METADATA_COUNT = re.compile(r"^-\s*\*\*(?P<key>Total Posts|Frameworks|Platforms):\*\*\s*(?P<n>\d+)\s*(?:\((?P<names>[^)]*)\))?", re.I)
LINK_PROMISE = re.compile(r"link (in|below|in the first|in first) ?(comments?|👇)?|link below", re.I)


@dataclass
class ImportReport:
    run: Run
    mojibake_lines: int = 0
    notes: list[str] = field(default_factory=list)
    missing: str | None = None  # posts the file's own METADATA counts and the file does not hold


def _key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _framework_lookup() -> dict[str, str]:
    from .registry import frameworks

    lookup = {}
    for entry in frameworks.entries():
        lookup[_key(entry.item.label)] = entry.name
        lookup[_key(entry.name)] = entry.name
    return lookup


def _platform_lookup() -> dict[str, str]:
    lookup = dict(SECTION_PLATFORMS)
    try:
        from .registry import connectors

        for entry in connectors.entries():
            if entry.item.label:
                lookup[entry.item.label.upper()] = entry.name
            lookup[entry.name.upper()] = entry.name
    except Exception:
        pass
    return lookup


def repair_text(raw: bytes) -> tuple[str, int]:
    """Decode and undo mojibake; returns the text and how many lines changed."""
    import ftfy

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    text = text.replace("\r\n", "\n")
    fixed = ftfy.fix_text(text, normalization="NFC", uncurl_quotes=False, fix_character_width=False)
    changed = sum(1 for a, b in zip(text.split("\n"), fixed.split("\n")) if a != b)
    return fixed, changed


def import_seed(path: Path | str) -> ImportReport:
    """Read a seed-layout file into a Run (posts in state draft; the caller validates)."""
    from .runfile import RunFileError

    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RunFileError(path, "no such file") from None
    text, changed = repair_text(raw)
    lines = text.split("\n")
    date = title = channel = url = None
    platform = framework = None
    posts: list[Post] = []
    frameworks = _framework_lookup()
    platforms = _platform_lookup()
    heading_line = 0  # where the framework heading waiting for its fenced text is

    def unfenced() -> RunFileError:
        return RunFileError(path, f"the post under '{lines[heading_line - 1].strip()}' has no fenced text (``` above and below it); "
                            "fence it so it is imported, or delete the heading", heading_line)

    metadata: dict[str, tuple[int, list[str]]] = {}  # what the file's own METADATA section says
    in_metadata = False
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if in_metadata and (m := METADATA_COUNT.match(line)):
            names = [n.strip() for n in (m["names"] or "").split(",") if n.strip()]
            metadata[m["key"].lower()] = (int(m["n"]), names)
        if framework and re.match(r"#{1,3}\s", line):  # the next heading came before any fenced text
            raise unfenced()
        if m := HEADER.match(line):
            date = m["date"]
        elif (m := VIDEO.match(line)) and title is None:
            title, channel = m["title"], (m["channel"] or "")
        elif (m := URL.match(line)) and url is None:
            url = m["url"]
        elif m := SECTION.match(line):
            label = m["label"].strip().upper()
            platform = platforms.get(label)
            if platform is None:
                raise RunFileError(path, f"unknown platform section '## {m['label']} POSTS' (known: {', '.join(sorted(set(platforms.values())))})", i + 1)
        elif line.startswith("## "):
            platform = None
            in_metadata = line[3:].strip().upper() == "METADATA"
        elif (m := HEADING.match(line)) and platform:
            words = re.sub(r"\bFRAMEWORK\b", "", m["text"], flags=re.I)
            key = _key(re.sub(r"^[^\w]+", "", words))
            framework = frameworks.get(key)
            if framework is None:
                raise RunFileError(path, f"unknown framework heading '{line}' (known: {', '.join(frameworks.values())})", i + 1)
            heading_line = i + 1
        elif (fence := FENCE.match(line)) and platform and framework:
            start = i + 1
            end = start
            while end < len(lines) and lines[end].rstrip() != fence.group(1):
                end += 1
            if end >= len(lines):
                raise RunFileError(path, "a fenced post is never closed (file truncated?)", i + 1)
            content = "\n".join(lines[start:end]).strip("\n")
            post = _make_post(platform, framework, content, url)
            if any(p.id == post.id for p in posts):
                raise RunFileError(path, f"post {post.id} appears twice", i + 1)
            posts.append(post)
            framework = None
            i = end
        elif FENCE.match(line) and platform:
            raise RunFileError(path, "fenced text with no framework heading ('### 🔥 HORMOZI FRAMEWORK') right above it; "
                               "one fenced post under each heading", i + 1)
        i += 1
    if framework:
        raise unfenced()
    if not url or not title:
        raise RunFileError(path, "not a seed-layout run: missing '**Video Selected:**' or '**URL:**' line")
    if not posts:
        raise RunFileError(path, "no posts found: a seed-layout run has '## LINKEDIN POSTS' (or X/TWITTER, REDDIT) "
                                 "sections, each with '### 🔥 HORMOZI FRAMEWORK' headings over fenced post text")
    from .sources.youtube import video_id as parse_video_id

    try:
        vid = parse_video_id(url)
    except ValueError:
        vid = re.sub(r"[^A-Za-z0-9_-]", "", url)[-11:]
    created = datetime.fromisoformat(date).replace(tzinfo=timezone.utc) if date else utcnow()
    video = Video(id=vid, url=url, title=title, channel=channel or "", source="import")
    run = Run(id=Run.make_id(vid, created), created=created, video=video, posts=posts, generator="import", imported_from=str(path))
    report = ImportReport(run=run, mojibake_lines=changed)
    if changed:
        report.notes.append(f"repaired mojibake (UTF-8 that had been read as cp1252) on {changed} lines")
    promised = [p.id for p in posts if LINK_PROMISE.search(p.body)]
    if promised:
        report.notes.append(f"{len(promised)} posts promise a link in the comments; postgen will post {url} as their first comment")
    report.missing = _missing(metadata, posts, frameworks, platforms)
    report.notes.extend(_escaped(posts))
    return report


def _missing(metadata: dict[str, tuple[int, list[str]]], posts: list[Post], frameworks: dict[str, str],
             platforms: dict[str, str]) -> str | None:
    """What the file's METADATA promises and the file does not hold ("Total Posts: 15", 10 found),
    naming the missing posts when it lists its frameworks and platforms."""
    if "total posts" not in metadata or metadata["total posts"][0] <= len(posts):
        return None
    total = metadata["total posts"][0]
    message = f"its METADATA says {total} posts (Total Posts: {total}) but {len(posts)} were found"
    fws = [frameworks.get(_key(re.sub(r"^[^\w]+", "", n))) for n in metadata.get("frameworks", (0, []))[1]]
    pls = [platforms.get(n.upper()) for n in metadata.get("platforms", (0, []))[1]]
    if fws and pls and None not in fws and None not in pls:
        found = {p.id for p in posts}
        gone = [Post.make_id(p, f) for p in pls for f in fws if Post.make_id(p, f) not in found]
        if gone:
            message += f"; missing: {', '.join(gone)}"
    return message + (". The run was imported without them: check the file (a section or heading may have been cut), "
                       "then import it again with --force")


def _escaped(posts: list[Post]) -> list[str]:
    """One note per LinkedIn post whose reserved characters will be sent backslash-escaped."""
    try:
        from .connectors.linkedin import LIMIT, escape
    except ImportError:  # pragma: no cover - the connector ships with postgen
        return []
    notes = []
    for post in posts:
        if post.platform != "linkedin":
            continue
        chars = _escaped_chars(post.body, escape(post.body))
        if chars:
            shown = " ".join(dict.fromkeys(chars))
            notes.append(f"{post.id}: {len(chars)} reserved character{'s' if len(chars) != 1 else ''} ({shown}) will be "
                         f"sent backslash-escaped, as LinkedIn requires (the backslashes count toward its {LIMIT:,}-character limit)")
    return notes


def _escaped_chars(text: str, escaped: str) -> list[str]:
    """The characters of `text` that `escaped` put a backslash before (escaping only inserts them)."""
    out, j = [], 0
    for ch in text:
        if escaped[j] == "\\" and (ch != "\\" or escaped[j + 1 : j + 2] == "\\"):
            out.append(ch)
            j += 1
        j += 1
    return out


def _make_post(platform: str, framework: str, content: str, url: str | None) -> Post:
    title = None
    body = content
    if platform == "reddit":
        first, _, rest = content.partition("\n")
        title, body = first.strip().strip("*").strip(), rest.lstrip("\n")
    return Post(
        id=Post.make_id(platform, framework),
        platform=platform,
        framework=framework,
        title=title,
        body=body,
        link=url,
        link_policy="first_comment",
    )
