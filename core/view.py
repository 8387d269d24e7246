"""A run as a person reviews it: per post its state, slot, length against the platform's limit,
problems and text. `postgen show` prints it in a terminal; the review page can build on `build`.

The text shown is the run file's text as it is now (hand edits included) and the problems are
checked again, so what you read is what `validate` and `publish` will see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .models import Problem, Run


def printable(text: str) -> str:
    """`text` with every hidden character (controls, bidi overrides, zero-width...: what validate
    reports, see postgen.untrusted) shown as a visible \\u.... A hand-edited file could hold an
    escape sequence that repaints the terminal, or an override that reorders what you read."""
    from .untrusted import hidden_characters

    hidden = hidden_characters(text)
    if not hidden:
        return text
    out, last = [], 0
    for index, char in hidden:
        out.append(text[last:index] + f"\\u{ord(char):04x}")
        last = index + 1
    return "".join(out) + text[last:]


@dataclass
class PostView:
    id: str
    platform: str
    platform_label: str
    framework: str
    heading: str  # "🔥 HORMOZI"
    state: str
    approved: bool
    slot: datetime | None
    deferred_until: datetime | None
    length: int | None  # as the platform counts it (X weighs, LinkedIn counts its escapes)
    limit: int | None
    title: str | None
    text: str
    url: str | None
    last_error: str | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def over(self) -> bool:
        return self.length is not None and self.limit is not None and self.length > self.limit


def build(run: Run, config=None) -> list[PostView]:
    """One view per post, in the run's order (platform by platform, as in the file)."""
    from .checks import connector_for, current_problems
    from .connectors._common import sent_body  # the text as sent (stripped, an inline link added): what validate counts
    from .registry import connectors as registered
    from .runfile import _framework_heading, _platform_label

    connectors: dict[str, object | None] = {}
    views = []
    for post in run.posts:
        if post.platform not in connectors:
            connectors[post.platform] = connector_for(post.platform, config) if post.platform in registered else None
        connector = connectors[post.platform]
        limit = getattr(connector, "limit", None)
        views.append(PostView(
            id=post.id,
            platform=post.platform,
            platform_label=_platform_label(post.platform),
            framework=post.framework,
            heading=run.headings.get(post.framework) or _framework_heading(post.framework),
            state=post.state.value,
            approved=post.approved,
            slot=post.scheduled_at,
            deferred_until=post.deferred_until,
            length=connector.measure(sent_body(post)) if connector is not None else None,
            limit=limit if isinstance(limit, int) else None,
            title=post.title,
            text=post.body,
            url=post.publication.url if post.publication else None,
            last_error=post.last_error,
            problems=current_problems(post, run, connector, config),
        ))
    return views


STATE_STYLES = {"ready": "green", "published": "blue", "publishing": "yellow", "failed": "bold red", "draft": "dim"}


def _when(moment: datetime | None) -> str:
    return moment.strftime("%a %Y-%m-%d %H:%M %Z").strip() if moment else "no slot"


def render(run: Run, views: list[PostView], *, width: int = 100, color: bool = False) -> str:
    """The terminal view as text (ANSI colours when `color`). Post text is never read as markup."""
    from rich.console import Console
    from rich.rule import Rule
    from rich.text import Text

    console = Console(width=width, force_terminal=color, no_color=None if color else True, highlight=False, emoji=False,
                      markup=False, soft_wrap=False)
    counts: dict[str, int] = {}
    for v in views:
        counts[v.state] = counts.get(v.state, 0) + 1
    video = run.video
    with console.capture() as capture:
        head = Text()
        head.append(run.id, style="bold")
        head.append(f"  {printable(video.title)}" + (f" | {printable(video.channel)}" if video.channel else ""))
        console.print(head)
        made = f"{run.generator}{' ' + run.model if run.model else ''}" if run.generator else "?"
        console.print(Text(f"{printable(video.url)}  ·  written by {made}  ·  {len(views)} posts: "
                           + ", ".join(f"{n} {s}" for s, n in counts.items()), style="dim"))
        for warning in run.warnings:
            console.print(Text(f"note: {printable(warning)}", style="dim"))
        platform = None
        for v in views:
            if v.platform != platform:
                platform = v.platform
                console.print()
                console.print(Rule(Text(v.platform_label, style="bold"), align="left"))
            console.print(_post(v))
    return capture.get()


def _post(v: PostView):  # -> rich.panel.Panel
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    facts = Text()
    facts.append(v.state, style=STATE_STYLES.get(v.state, ""))
    if v.approved:
        facts.append(" (approved)")
    facts.append(f"  ·  {_when(v.slot)}")
    if v.deferred_until and v.state == "ready":
        facts.append(f"  ·  deferred until {_when(v.deferred_until)}", style="yellow")
    if v.length is not None:
        size = f"{v.length:,}" + (f"/{v.limit:,}" if v.limit is not None else "") + " characters"
        facts.append(f"  ·  {size}", style="bold red" if v.over else "")
    if v.url:
        facts.append(f"  ·  {printable(v.url)}")
    lines = [facts]
    for problem in v.problems:
        style = "red" if problem.severity == "error" else "yellow"
        lines.append(Text(f"{problem.severity}: {printable(problem.message)}", style=style))
    if v.last_error and v.state != "published":
        lines.append(Text(f"last attempt: {printable(v.last_error)}", style="yellow"))
    body = Text()
    if v.title is not None:
        body.append(printable(v.title) + "\n\n", style="bold")
    body.append(printable(v.text) or "(empty)")
    lines.append(Text(""))
    lines.append(body)
    title = Text()
    title.append(f"{printable(v.heading)}  ", style="bold")
    title.append(v.id, style="dim")
    return Panel(Group(*lines), title=title, title_align="left", padding=(0, 1))
