"""The review page: every post of a run as it will appear on its platform, with its problems, slot
and estimated cost. One renderer for both pages: `postgen review` serves it live (editors, approve,
slot; see `postgen.pages.server`) and `postgen review RUN --html FILE` writes it static and
read-only. The server sends a post's card back after each change, rendered by this same module.

Everything shown comes from the public contracts: `checks.check_post` (the rules `postgen
validate` applies), the connector's `preview` (exactly what would be sent, its cost), `measure`
and `limit`. All text from the run passes `postgen.redact.redact`, then is HTML-escaped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from typing import TYPE_CHECKING, Any

from . import escape, page

if TYPE_CHECKING:  # pragma: no cover
    from ..connector import Connector, Preview
    from ..models import Post, Problem, Run

# A post in one of these states went (or may have gone) out: its text, approval and slot are history.
LOCKED_STATES = ("publishing", "published")


def version(post: Post) -> str:
    """A fingerprint of everything the file says about one post: a change made by anyone since the
    page loaded it (an edit, a publish, an approval) changes it."""
    data = json.dumps(post.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def editable(post: Post) -> bool:
    return post.state.value not in LOCKED_STATES


def sent_text(post: Post) -> str:
    """The post's text as its connector sends it (stripped; an inline link appended): what the
    platform counts against its limit."""
    from ..connectors._common import sent_body

    return sent_body(post)


@dataclass
class Card:
    """One post as the page shows it."""

    post: Post
    problems: list[Problem]
    connector: Connector | None
    preview: Preview | None = None
    preview_error: str | None = None
    length: int | None = None
    limit: int | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


def link_policies(run: Run) -> dict[str, str]:
    """Each post's link policy as it goes out (a "once" link rides only on the first post of its
    platform to go out: `ledger.plan.outgoing`, which the dry run's spend counts by too)."""
    from ..ledger.plan import outgoing

    sent = {post.id: post.link_policy for post in outgoing(run)}
    return {post.id: sent.get(post.id, post.link_policy) for post in run.posts}


def card(post: Post, run: Run, config=None, connector: Connector | None = None,
         policies: dict[str, str] | None = None) -> Card:
    """Check and preview one post (as it is, or as a person is editing it), as it goes out."""
    from ..checks import connector_for, current_problems
    from ..registry import connectors

    if connector is None and post.platform in connectors:
        connector = connector_for(post.platform, config)
    policy = (policies if policies is not None else link_policies(run)).get(post.id, post.link_policy)
    sent = post if policy == post.link_policy else post.model_copy(update={"link_policy": policy})
    problems = current_problems(sent, run, connector, config)
    view = Card(post=post, problems=problems, connector=connector)
    if connector is None:
        return view
    limit = getattr(connector, "limit", None)
    view.limit = limit if isinstance(limit, int) else None
    try:
        view.length = connector.measure(sent_text(sent))
        view.preview = connector.preview(sent)
    except Exception as exc:  # a plugin's preview must not take the page down
        view.preview_error = f"{type(exc).__name__}: {exc}"
    return view


def cards(run: Run, config=None) -> list[Card]:
    from ..checks import connector_for
    from ..registry import connectors

    made: dict[str, Any] = {}
    policies = link_policies(run)
    out = []
    for post in run.posts:
        if post.platform not in made:
            made[post.platform] = connector_for(post.platform, config) if post.platform in connectors else None
        out.append(card(post, run, config, made[post.platform], policies))
    return out


# --------------------------------------------------------------------------- text to HTML


def text(value: object) -> str:
    """Untrusted text (post, title, video, problem) made safe: redacted, then escaped."""
    from ..redact import redact

    return escape(redact(str(value)))


def when(moment: datetime | None, tz: tzinfo) -> str:
    if moment is None:
        return "no slot"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(tz).strftime("%a %Y-%m-%d %H:%M %Z").strip()


def slot_value(moment: datetime | None, tz: tzinfo) -> str:
    """The slot as a datetime-local input holds it, in the schedule's time zone."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def markdown(source: str) -> str:
    """Reddit's Markdown as HTML, safely: markdown-it-py (already installed with rich) in its
    CommonMark preset with raw HTML off, so any tag in the text is shown as text, and its link
    check refuses javascript:, vbscript:, file: and data: URLs. Images are off: Reddit shows none
    in a self post, and the page's CSP would block them. Strikethrough and tables as Reddit has them."""
    from markdown_it import MarkdownIt

    from ..redact import redact

    md = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"]).disable("image")
    return md.render(redact(source))


def _size(n: int | None, limit: int | None, unit: str) -> str:
    if n is None:
        return ""
    over = limit is not None and n > limit
    shown = f"{n:,}" + (f" / {limit:,}" if limit is not None else "") + f" {unit}"
    return f'<span class="count{" over" if over else ""}" data-count="{n}">{escape(shown)}</span>'


def _part_size(part: dict[str, Any]) -> str:
    for key, unit in (("weighted_length", "weighted characters"), ("characters", "characters")):
        if isinstance(part.get(key), int):
            limit = part.get("limit") if isinstance(part.get("limit"), int) else None
            return _size(part[key], limit, unit)
    return ""


def _linkedin(view: Card) -> str:
    from ..lint import see_more_at

    shown = sent_text(view.post)
    cut = see_more_at(shown)
    if cut is None:
        body = f'<div class="li-text">{text(shown)}</div>'
    else:
        body = (f'<div class="li-text">{text(shown[:cut])}<span class="see-more">…see more</span></div>'
                f'<div class="below-fold" title="hidden until a reader clicks see more">{text(shown[cut:].strip())}</div>')
    hook = next((p for p in view.problems if p.code == "hook_after_fold"), None)
    if hook is not None:
        body += f'<p class="fold-warning">⚠ {text(hook.message)}</p>'
    parts = view.preview.parts if view.preview else []
    sent = next((p for p in parts if p.get("kind") == "post"), {})
    out = [f'<div class="feed li"><div class="who">You · now · 🌐</div>{body}{_details(sent)}',
           f'<p class="sizes">{_part_size(sent) or _size(view.length, view.limit, "characters")}'
           ' <span class="muted">as sent (reserved characters escaped)</span></p></div>']
    out += [_follow_up(p) for p in parts if p.get("kind") != "post"]
    return "".join(out)


def _x(view: Card) -> str:
    parts = view.preview.parts if view.preview else []
    out = [f'<p class="sizes">{_size(view.length, view.limit, "weighted characters")}</p>']
    posts = [p for p in parts if p.get("kind") in ("post", "thread")]
    for i, part in enumerate(posts, 1):
        label, size = (f"post {i} of {len(posts)}", f'<p class="sizes">{_part_size(part)}</p>') if len(posts) > 1 else ("post", "")
        out.append(f'<div class="feed x-part"><div class="who">You · {escape(label)}</div>'
                   f'<div class="x-text">{text(part.get("text", ""))}</div>{_details(part)}{size}</div>')
    out += [_follow_up(p) for p in parts if p.get("kind") not in ("post", "thread")]
    return "".join(out)


def _reddit(view: Card) -> str:
    from ..connectors.reddit import TITLE_LIMIT

    parts = view.preview.parts if view.preview else []
    post = next((p for p in parts if p.get("kind") == "post"), {})
    sub = post.get("subreddit")
    where = f"r/{text(sub)}" if sub else '<span class="warn">no subreddit set</span>'
    title = (view.post.title or "").strip()
    flair = f' <span class="badge">{text(post["flair"])}</span>' if post.get("flair") else ""
    out = [f'<div class="feed rd"><div class="who">{where} · You{flair}</div>',
           f'<h4 class="rd-title">{text(title) or "<em>(no title)</em>"}</h4>',
           f'<div class="md">{markdown(str(post.get("text", sent_text(view.post))))}</div>{_details(post)}',
           f'<p class="sizes">title {_size(len(title), TITLE_LIMIT, "characters")} · body '
           f'{_size(view.length, view.limit, "characters")}</p></div>']
    out += [_follow_up(p) for p in parts if p.get("kind") != "post"]
    return "".join(out)


def _generic(view: Card) -> str:
    parts = view.preview.parts if view.preview else [{"kind": "post", "text": sent_text(view.post)}]
    out = [f'<p class="sizes">{_size(view.length, view.limit, "characters")}</p>'] if view.length is not None else []
    for part in parts:
        title = f'<h4>{text(part["title"])}</h4>' if part.get("title") else ""
        out.append(f'<div class="feed"><div class="who">{text(part.get("kind", "post"))}</div>{title}'
                   f'<div class="plain">{text(part.get("text", ""))}</div>{_details(part)}'
                   f'<p class="sizes">{_part_size(part)}</p></div>')
    return "".join(out)


def _details(part: dict[str, Any]) -> str:
    """What goes with a part that its text does not show (the picture, a Reddit link post's card)."""
    details = [d for d in part.get("details", ()) if d]
    if not details:
        return ""
    return '<ul class="details">' + "".join(f"<li>{text(d)}</li>" for d in details) + "</ul>"


FOLLOW_UP_NAMES = {"reply": "link reply", "first_comment": "link comment", "comment": "comment"}


def _follow_up(part: dict[str, Any]) -> str:
    kind = str(part.get("kind", "follow-up"))
    name = FOLLOW_UP_NAMES.get(kind, kind.replace("_", " "))
    return (f'<div class="feed follow-up" data-kind="{escape(kind)}"><div class="who">↳ {escape(name)}</div>'
            f'<div class="plain">{text(part.get("text", ""))}</div>{_details(part)}</div>')


RENDERERS = {"linkedin": _linkedin, "x": _x, "reddit": _reddit}


def card_html(view: Card, tz: tzinfo) -> str:
    """The part of a post's card that changes with it: facts, how it will appear, problems, cost."""
    post = view.post
    facts = [f'<span class="badge state-{escape(post.state.value)}">{escape(post.state.value)}</span>']
    if post.approved:
        facts.append('<span class="badge approved">approved</span>')
    facts.append(f'<span class="slot">{escape(when(post.scheduled_at, tz))}</span>')
    if post.deferred_until and post.state.value == "ready":
        facts.append(f'<span class="warn">deferred until {escape(when(post.deferred_until, tz))}</span>')
    if post.moment is not None:  # where the link opens the video, and why postgen chose it
        at = post.moment.at
        clock = f"{at // 3600}:{at // 60 % 60:02d}:{at % 60:02d}" if at and at >= 3600 else f"{(at or 0) // 60}:{(at or 0) % 60:02d}"
        where = clock if at else "the start"
        facts.append(f'<span class="moment" title="{text(post.moment.why)}">links to {escape(where)}'
                     f'{" (" + text(post.moment.item) + ")" if post.moment.item else ""}</span>')
    if post.publication and post.publication.url:
        facts.append(f'<span class="url">{text(post.publication.url)}</span>')
    if view.preview and view.preview.estimated_cost_usd is not None:
        facts.append(f'<span class="cost">est. ${view.preview.estimated_cost_usd:.3f}</span>')
    out = [f'<p class="facts">{" · ".join(facts)}</p>']
    if view.preview_error:
        out.append(f'<p class="problem error">preview failed: {text(view.preview_error)}</p>')
    elif view.connector is None:
        out.append(_generic(view))
    else:
        out.append(RENDERERS.get(post.platform, _generic)(view))
    if view.problems:
        items = "".join(f'<li class="problem {escape(p.severity)}" data-code="{escape(p.code)}">'
                        f'<b>{escape(p.severity)}</b>: {text(p.message)}</li>' for p in view.problems)
        out.append(f'<ul class="problems">{items}</ul>')
    else:
        out.append('<p class="problems ok">no problems: valid</p>')
    if post.last_error and post.state.value != "published":
        out.append(f'<p class="problem warning">last attempt: {text(post.last_error)}</p>')
    notes = view.preview.notes if view.preview else []
    if notes:
        out.append('<ul class="notes">' + "".join(f"<li>{text(n)}</li>" for n in notes) + "</ul>")
    return "".join(out)


def post_data(view: Card, tz: tzinfo) -> dict[str, Any]:
    """A post for the page's script: its card and the fields its controls hold."""
    from ..redact import redact

    post = view.post
    return {"id": post.id, "version": version(post), "state": post.state.value, "approved": post.approved,
            "editable": editable(post), "title": None if post.title is None else redact(post.title),
            "body": redact(post.body), "slot": slot_value(post.scheduled_at, tz), "card": card_html(view, tz),
            "errors": len(view.errors)}


def _controls(view: Card, tz: tzinfo) -> str:
    post = view.post
    off = "" if editable(post) else " disabled"
    why = "" if editable(post) else (f'<p class="locked">{escape(post.state.value)}: it went out (or may have), '
                                     "so its text, approval and slot can no longer change</p>")
    title = ""
    if post.title is not None:
        title = (f'<label>Title <input class="title" type="text" value="{text(post.title)}"'
                 f'{" readonly" if off else ""}{off}></label>')
    label = "Un-approve" if post.approved else "Approve"
    return (f'<div class="edit">{why}{title}'
            f'<label>Text <textarea class="body" rows="8" spellcheck="true"{" readonly" if off else ""}{off}>'
            f"\n{text(post.body)}</textarea></label>"  # the parser drops a newline right after the tag: this one
            f'<p class="status" role="status" aria-live="polite"></p>'
            f'<p class="actions"><button type="button" class="approve"{off}>{label}</button> '
            f'<label>Slot ({escape(str(tz))}) <input class="slot" type="datetime-local" value="{slot_value(post.scheduled_at, tz)}"{off}></label> '
            f'<button type="button" class="move"{off}>Move</button></p>'
            '<details class="conflict" hidden><summary>your text that was not saved</summary><pre></pre></details></div>')


def _article(view: Card, tz: tzinfo, heading: str, live: bool) -> str:
    post = view.post
    attrs = (f'id="post-{escape(post.id)}" data-post="{escape(post.id)}" data-version="{version(post)}" '
             f'data-state="{escape(post.state.value)}"')
    controls = _controls(view, tz) if live else ""
    return (f'<article class="post" {attrs}><h3>{text(heading)} <span class="muted">{escape(post.id)}</span></h3>'
            f'<div class="view">{card_html(view, tz)}</div>{controls}</article>')


def _schedule(views: list[Card], tz: tzinfo) -> str:
    far = datetime.max.replace(tzinfo=timezone.utc)

    def key(view: Card):
        at = view.post.scheduled_at
        return (at is None, (at if at.tzinfo else at.replace(tzinfo=timezone.utc)) if at else far, view.post.id)

    rows = []
    for view in sorted(views, key=key):
        post = view.post
        cost = view.preview.estimated_cost_usd if view.preview else None
        rows.append(f'<tr data-post="{escape(post.id)}"><td>{escape(when(post.scheduled_at, tz))}</td>'
                    f"<td>{escape(post.platform)}</td><td><a href=\"#post-{escape(post.id)}\">{escape(post.id)}</a></td>"
                    f"<td>{escape(post.state.value)}</td><td>{'yes' if post.approved else 'no'}</td>"
                    f'<td class="num">{"" if cost is None else f"${cost:.3f}"}</td></tr>')
    return ('<table class="schedule"><thead><tr><th>when</th><th>platform</th><th>post</th><th>state</th>'
            '<th>approved</th><th class="num">est. cost</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>")


def _headings(run: Run) -> tuple[dict[str, str], dict[str, str]]:
    from ..runfile import _framework_heading, _platform_label

    platforms = {p.platform: _platform_label(p.platform) for p in run.posts}
    frameworks = {p.framework: run.headings.get(p.framework) or _framework_heading(p.framework) for p in run.posts}
    return platforms, frameworks


def render(run: Run, views: list[Card], *, tz: tzinfo, live: bool, source: str = "", require_approval: bool = True,
           key: str = "") -> str:
    """The whole page. `live`: with editors and the script that talks to the local server (whose
    per-launch `key` its script sends in a request header); else static and read-only.
    The caller passes the result through `postgen.redact.redact` (the key is added after)."""
    video = run.video
    counts: dict[str, int] = {}
    for view in views:
        counts[view.post.state.value] = counts.get(view.post.state.value, 0) + 1
    to_send = [v for v in views if v.post.state.value in ("ready", "publishing") and v.preview]
    total = sum(v.preview.estimated_cost_usd or 0.0 for v in to_send if v.preview)
    errors = sum(len(v.errors) for v in views)
    made = run.generator + (f" ({run.model})" if run.model else "")
    head = [f"<h1>Review: {text(video.title)}</h1>",
            f'<p class="meta">{text(run.id)}{" · " + text(source) if source else ""} · '
            f'<a href="{text(video.url)}" rel="noreferrer noopener">{text(video.url)}</a>'
            f'{" · written by " + text(made) if made else ""}</p>',
            f'<p class="meta summary">{len(views)} posts: ' + ", ".join(f"{n} {escape(s)}" for s, n in counts.items())
            + f" · {errors} error{'s' if errors != 1 else ''} · estimated API cost of the {len(to_send)} posts ready to "
            f'send: <b class="total-cost">${total:.3f}</b> (an estimate, not a quote)</p>']
    if not require_approval:
        head.append('<p class="meta">publish.require_approval is off in the config: approval does not gate publishing</p>')
    if live:
        head.append('<p class="meta">Edits are checked as you type (the rules of <code>postgen validate</code>) and '
                    "saved to the run file when they have no errors; a text with errors is shown, not saved.</p>")
    else:
        head.append('<p class="meta">A read-only view (<code>postgen review --html</code>); '
                    "<code>postgen review</code> serves the same page with editors.</p>")
    for warning in run.warnings:
        head.append(f'<p class="meta warn">note: {text(warning)}</p>')
    body = ["<header>", *head, "</header>", f"<h2>Schedule <span class=\"muted\">({escape(str(tz))})</span></h2>",
            _schedule(views, tz)]
    platforms, frameworks = _headings(run)
    for platform, label in platforms.items():
        body.append(f'<section class="platform" id="platform-{escape(platform)}"><h2>{text(label)}</h2>')
        for view in (v for v in views if v.post.platform == platform):
            body.append(_article(view, tz, f"{frameworks[view.post.framework]} FRAMEWORK", live))
        body.append("</section>")
    main = f'<main id="review" data-launch="{escape(key)}">' if live else "<main>"
    return page(f"Review: {run.id}", main + "\n".join(body) + "</main>", css=CSS, script=SCRIPT if live else "",
                csp_extra="connect-src 'self'" if live else "")


CSS = """
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
article.post { border: 1px solid var(--line); border-radius: .5rem; padding: .8rem 1rem; margin: 1rem 0; }
.facts { margin: 0 0 .5rem; font-size: .9rem; color: var(--muted); }
.state-published, .state-publishing { background: #e6f0ff; } .state-failed { background: #fde8e8; } .approved { background: #e7f7ec; }
.feed { border: 1px solid var(--line); border-radius: .5rem; padding: .6rem .8rem; margin: .4rem 0; background: #fff; }
.feed .who { font-size: .8rem; color: var(--muted); margin-bottom: .3rem; }
.li-text, .x-text, .plain, .below-fold { white-space: pre-wrap; overflow-wrap: anywhere; }
.see-more { color: var(--muted); font-weight: 600; margin-left: .2rem; }
.below-fold { color: var(--muted); border-top: 1px dashed #b8860b; margin-top: .4rem; padding-top: .4rem; opacity: .75; }
.fold-warning, .warn { color: #8a5a00; }
.follow-up { margin-left: 1.5rem; background: var(--soft); }
.rd-title { margin: .2rem 0 .4rem; font-size: 1.05rem; } .md p { margin: .4rem 0; } .md pre { background: var(--soft); padding: .4rem; overflow-x: auto; }
.sizes { font-size: .85rem; color: var(--muted); margin: .3rem 0 0; } .count.over { color: #b00020; font-weight: 700; }
ul.problems { margin: .5rem 0; padding-left: 1.2rem; } .problem.error { color: #b00020; } .problem.warning { color: #8a5a00; }
.problems.ok { color: #1a7f37; margin: .5rem 0; }
ul.details { font-size: .85rem; color: var(--muted); padding-left: 1.2rem; margin: .3rem 0 0; }
ul.notes { font-size: .8rem; color: var(--muted); padding-left: 1.2rem; }
.edit label { display: block; margin: .4rem 0; font-size: .9rem; }
.edit textarea, .edit input.title { width: 100%; font: inherit; padding: .4rem; }
.status { min-height: 1.2em; font-size: .9rem; margin: .2rem 0; } .status.bad { color: #b00020; } .status.good { color: #1a7f37; }
.actions label { display: inline; } .locked { color: var(--muted); font-style: italic; }
.unsaved textarea, .unsaved input.title { outline: 2px solid #b00020; }
"""

# The live page's script: it never builds HTML from post text itself. Each change goes to the
# server, which checks it with the validate rules, saves it only when it has no errors, and sends
# back the post's card (rendered and escaped by this module) and its new version.
SCRIPT = r"""
"use strict";
const KEY = document.getElementById("review").dataset.launch;
const DEBOUNCE_MS = 400;

async function send(id, action, payload) {
  try {
    const r = await fetch("/api/posts/" + encodeURIComponent(id) + "/" + action, {
      method: "POST", cache: "no-store", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-Postgen-Review": KEY},
      body: JSON.stringify(payload)});
    let data = {};
    try { data = await r.json(); } catch (e) { data = {message: "the server answered " + r.status}; }
    return {status: r.status, data};
  } catch (e) {
    return {status: 0, data: {message: "the review server is gone (postgen review stopped?): nothing was saved"}};
  }
}

function say(article, message, good) {
  const status = article.querySelector(".status");
  status.textContent = message;
  status.className = "status " + (good ? "good" : "bad");
}

function show(article, post, replaceText) {
  article.dataset.version = post.version;
  article.dataset.state = post.state;
  article.querySelector(".view").innerHTML = post.card;
  const body = article.querySelector("textarea.body"), title = article.querySelector("input.title");
  if (replaceText) {
    body.value = post.body;
    if (title && post.title !== null) title.value = post.title;
  }
  for (const control of article.querySelectorAll("textarea, input, button")) {
    control.disabled = !post.editable;
    if (control.tagName !== "BUTTON") control.readOnly = !post.editable;
  }
  article.querySelector("button.approve").textContent = post.approved ? "Un-approve" : "Approve";
  article.querySelector("input.slot").value = post.slot;
}

function answer(article, reply, sentText) {
  const {status, data} = reply;
  if (data.post) show(article, data.post, status === 409);
  if (status === 409 && sentText !== null) {
    const box = article.querySelector("details.conflict");
    box.hidden = false;
    box.querySelector("pre").textContent = sentText;
  }
  if (status === 200 && data.saved) say(article, data.message || "saved", true);
  else say(article, data.message || ("not saved (" + status + ")"), false);
  article.classList.toggle("unsaved", !(status === 200 && data.saved) && sentText !== null);
}

function setup(article) {
  const id = article.dataset.post;
  const body = article.querySelector("textarea.body");
  if (!body) return;
  const title = article.querySelector("input.title");
  let timer = null, busy = false, again = false;

  function fields() {
    const f = {version: article.dataset.version, body: body.value};
    if (title) f.title = title.value;
    return f;
  }
  async function check() {
    if (busy) { again = true; return; }
    busy = true; again = false;
    const payload = fields();
    const reply = await send(id, "text", payload);
    busy = false;
    answer(article, reply, payload.body);
    if (again && reply.status !== 409) check();
  }
  function edited() {
    say(article, "checking…", true);
    clearTimeout(timer);
    timer = setTimeout(check, DEBOUNCE_MS);
  }
  body.addEventListener("input", edited);
  if (title) title.addEventListener("input", edited);
  article.querySelector("button.approve").addEventListener("click", async () => {
    const approved = article.querySelector("button.approve").textContent === "Approve";
    answer(article, await send(id, "approve", {version: article.dataset.version, approved}), null);
  });
  article.querySelector("button.move").addEventListener("click", async () => {
    const at = article.querySelector("input.slot").value;
    answer(article, await send(id, "slot", {version: article.dataset.version, at}), null);
  });
}

for (const article of document.querySelectorAll("article.post")) setup(article);
"""
