"""The queue: a plain file of YouTube URLs or ids, one a line, `#` comments, consumed in order.

"Consumed" needs no bookkeeping in the file: selection skips every video that already has a
run in runs/, so the first entry without a run is next. The file is never rewritten; delete
or reorder lines by hand whenever you like.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from postgen import hookimpl
from postgen.source import Candidate, SourceError

from .youtube import YouTubeBase, candidates_from_lines

_COMMENT = re.compile(r"(^|\s)#.*$")  # '#' starts a comment at line start or after a space (URLs keep #t=30)


def read_queue(path: Path) -> list[tuple[int, str]]:
    """(line number, entry) for each non-empty, non-comment line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SourceError(f"queue {path}: no such file; create it with one YouTube URL or id per line") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"queue {path}: cannot be read ({exc})") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        entry = _COMMENT.sub("", line).strip()
        if entry:
            out.append((number, entry))
    return out


class QueueSource(YouTubeBase):
    """`type = "queue"`, `path = "queue.txt"` (relative to postgen.toml)."""

    name = "queue"

    @property
    def path(self) -> Path:
        value = self.spec.get("path")
        if not value:
            raise SourceError('queue source: give `path = "queue.txt"` in its [[sources]] entry')
        p = Path(str(value)).expanduser()
        return p if p.is_absolute() else Path(self.base_dir) / p

    def candidates(self) -> list[Candidate]:
        path = self.path
        return candidates_from_lines(read_queue(path), f"queue {path}", self.name, self.warnings)

    def describe(self) -> str:
        return str(self.spec.get("path", "?"))


@hookimpl
def postgen_register_sources(register: Any) -> None:
    register(QueueSource)
