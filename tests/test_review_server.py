"""`postgen review`: the server's gate (launch key, 127.0.0.1, host), the rules every change obeys
(validate rules, lock, versions, published posts), what the page renders, and the command itself.
The browser side is tests/test_review_page.py."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from postgen.pages import escape
from review_helpers import change_file, publish_in_file, run_path, served  # noqa: F401 - fixtures

VALID_X = "Random IDs collide sooner than you think: the square root of the space is where trouble starts."


def _file(path: Path):
    from postgen import runfile

    return runfile.load(path)


# --------------------------------------------------------------------------- the gate


def test_every_request_needs_the_launch_key(served):
    before = served.path.read_bytes()
    assert served.request("GET", "/")[0] == 403
    assert served.request("GET", "/?review=" + "0" * 48)[0] == 403
    status, headers, _ = served.request("GET", f"/?review={served.server.key}")
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert cookie.startswith(f"postgen-review-{served.port}={served.server.key};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, headers, page = served.request("GET", "/", headers={"Cookie": f"postgen-review-{served.port}={served.server.key}"})
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert b'data-post="x-hormozi"' in page and headers["cache-control"] == "no-store"
    assert f'data-launch="{served.server.key}"'.encode() in page  # for its script's header (the redactor left it)
    assert served.request("GET", "/", headers={"Cookie": f"postgen-review-{served.port}=nope"})[0] == 403
    # A change needs the key in the header: the cookie alone (which another site's form could ride on) is not enough.
    version = served.version("x-hormozi")
    status, _, _ = served.request("POST", "/api/posts/x-hormozi/approve", {"version": version, "approved": True},
                                  {"Cookie": f"postgen-review-{served.port}={served.server.key}"})
    assert status == 403
    assert served.post("x-hormozi", "approve", {"version": version, "approved": True}, key="0" * 48)[0] == 403
    assert served.path.read_bytes() == before


def test_listens_on_127_0_0_1_only_at_a_port_the_os_picks(served):
    from postgen.pages.server import ReviewServer

    host, port = served.server.server_address[:2]
    assert host == "127.0.0.1" and port > 0
    with pytest.raises(OSError):  # another loopback address of this machine: nothing listens there
        socket.create_connection(("127.0.0.2", port), timeout=2).close()
    other = ReviewServer(served.server.review)
    try:
        assert other.port != port and other.key != served.server.key
    finally:
        other.server_close()


def test_a_foreign_host_or_origin_is_refused(served):
    key = served.server.key
    # A page on another site that rebinds its name to 127.0.0.1 sends its own Host.
    assert served.request("GET", f"/?review={key}", headers={"Host": f"evil.example:{served.port}"})[0] == 403
    status, _, _ = served.request("POST", "/api/posts/x-hormozi/approve", {"version": served.version("x-hormozi"), "approved": True},
                                  {"X-Postgen-Review": key, "Origin": "http://evil.example"})
    assert status == 403
    assert _file(served.path).post("x-hormozi").approved is False


# --------------------------------------------------------------------------- changes


def test_an_edit_with_an_error_is_not_saved_and_its_fix_is(served):
    from postgen.checks import check_post

    before = served.path.read_bytes()
    status, reply = served.post("x-hormozi", "text", {"version": served.version("x-hormozi"), "body": "word " * 70})
    assert status == 200 and reply["saved"] is False and "not saved" in reply["message"]
    assert 'data-code="too_long"' in reply["post"]["card"] and "349 / 280" in reply["post"]["card"]
    assert served.path.read_bytes() == before  # the file stays as it was, byte for byte

    status, reply = served.post("x-hormozi", "text", {"version": served.version("x-hormozi"), "body": VALID_X})
    assert status == 200 and reply["saved"] is True
    run = _file(served.path)
    post = run.post("x-hormozi")
    assert post.body == VALID_X and post.state.value == "ready"
    assert [p for p in check_post(post, run) if p.severity == "error"] == []
    assert reply["post"]["version"] == served.version("x-hormozi")


def test_a_text_with_warnings_only_is_saved_with_them(served):
    body = "**Bold** does not render on LinkedIn.\n\nThe rest of the post."
    status, reply = served.post("linkedin-naval", "text", {"version": served.version("linkedin-naval"), "body": body})
    assert status == 200 and reply["saved"] is True and "warning" in reply["message"]
    post = _file(served.path).post("linkedin-naval")
    assert post.body == body and "markdown" in {p.code for p in post.warnings}


def test_a_failed_post_whose_text_is_fixed_becomes_ready(served):
    from postgen.models import PostState, Problem

    why = Problem(severity="error", code="generator", message="the model refused (400): try again later")
    change_file(served.path, "x-naval", state=PostState.failed, last_error="refused", problems=[why])
    page = served.server.review.page("k")
    assert "the model refused (400): try again later" in page  # why generation failed is shown with the post
    status, reply = served.post("x-naval", "text", {"version": served.version("x-naval"), "body": VALID_X})
    assert reply["saved"] is True and "the model refused" not in reply["post"]["card"]
    post = _file(served.path).post("x-naval")
    assert post.state is PostState.ready and post.last_error is None and post.errors == []


def test_a_stale_edit_is_refused_and_the_other_change_kept(served):
    seen = served.version("x-naval")
    change_file(served.path, "x-naval", body="Changed in an editor meanwhile.")
    status, reply = served.post("x-naval", "text", {"version": seen, "body": VALID_X})
    assert status == 409 and reply["saved"] is False and "changed in the file" in reply["message"]
    assert _file(served.path).post("x-naval").body == "Changed in an editor meanwhile."
    # The reply is the file's version, so the page can show it and carry on from there.
    assert reply["post"]["body"] == "Changed in an editor meanwhile." and reply["post"]["version"] == served.version("x-naval")
    status, reply = served.post("x-naval", "approve", {"version": seen, "approved": True})
    assert status == 409 and _file(served.path).post("x-naval").approved is False


@pytest.mark.parametrize("state", ["published", "publishing"])
def test_a_post_that_went_out_cannot_be_changed(served, state):
    from postgen.models import PostState

    publish_in_file(served.path, "x-aida")
    change_file(served.path, "x-aida", state=PostState(state))
    before = served.path.read_bytes()
    version = served.version("x-aida")
    for action, body in (("text", {"body": VALID_X}), ("approve", {"approved": True}), ("slot", {"at": "2030-01-01T10:00"})):
        status, reply = served.post("x-aida", action, {"version": version, **body})
        assert status == 409 and reply["saved"] is False and f"x-aida is {state}" in reply["message"]
        assert reply["post"]["editable"] is False
    assert served.path.read_bytes() == before


def test_a_run_file_behind_its_journal_is_seen_as_the_journal_says(served):
    from postgen.ledger.journal import Journal
    from postgen.models import PostState, Publication

    run = _file(served.path)
    sent = run.post("x-aida")
    sent.state, sent.attempts = PostState.published, 1
    sent.publication = Publication(remote_id="9", url="https://x.com/i/web/status/9")
    Journal.of(served.path, run.id).append(run.id, sent, event="outcome", what="post", result="published")
    before = served.path.read_bytes()  # the file still says ready: a stale copy, as after a bad merge
    assert _file(served.path).post("x-aida").state is PostState.ready
    page = served.server.review.page("k")
    assert re.search(r'id="post-x-aida" [^>]*data-state="published"', page) and "https://x.com/i/web/status/9" in page
    status, reply = served.post("x-aida", "text", {"version": served.version("x-aida"), "body": VALID_X})
    assert status == 409 and "x-aida is published" in reply["message"]
    assert served.path.read_bytes() == before
    # A change to another post saves the journal's view of x-aida with it (forward only).
    assert served.post("x-naval", "approve", {"version": served.version("x-naval"), "approved": True})[0] == 200
    assert _file(served.path).post("x-aida").state is PostState.published


def test_a_run_locked_by_another_process_is_a_clear_message(served):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom postgen import runfile\nwith runfile.locked(sys.argv[1]):\n"
                               "    print('held', flush=True)\n    sys.stdin.read()\n", str(served.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        before = served.path.read_bytes()
        status, reply = served.post("x-hormozi", "approve", {"version": served.version("x-hormozi"), "approved": True})
        assert status == 423 and reply["saved"] is False
        assert "another postgen process is working on this run" in reply["message"]
        assert served.path.read_bytes() == before
    finally:
        holder.stdin.close()  # the holder leaves its `with` and ends
        holder.wait(timeout=20)
    status, reply = served.post("x-hormozi", "approve", {"version": served.version("x-hormozi"), "approved": True})
    assert status == 200 and _file(served.path).post("x-hormozi").approved is True


def test_approve_unapprove_and_move_a_slot(served):
    from datetime import datetime, timezone

    status, reply = served.post("reddit-naval", "approve", {"version": served.version("reddit-naval"), "approved": True})
    assert status == 200 and reply["post"]["approved"] is True and _file(served.path).post("reddit-naval").approved
    served.post("reddit-naval", "approve", {"version": reply["post"]["version"], "approved": False})
    assert _file(served.path).post("reddit-naval").approved is False

    status, reply = served.post("reddit-naval", "slot", {"version": served.version("reddit-naval"), "at": "2031-05-06T07:45"})
    assert status == 200 and reply["saved"] is True
    assert _file(served.path).post("reddit-naval").scheduled_at == datetime(2031, 5, 6, 7, 45, tzinfo=timezone.utc)
    taken = _file(served.path).post("reddit-aida").scheduled_at.strftime("%Y-%m-%dT%H:%M")
    status, reply = served.post("reddit-naval", "slot", {"version": served.version("reddit-naval"), "at": taken})
    assert status == 422 and "reddit-aida already has that slot" in reply["message"]
    status, reply = served.post("reddit-naval", "slot", {"version": served.version("reddit-naval"), "at": "tomorrow"})
    assert status == 422 and reply["saved"] is False


def test_bad_requests_are_refused_without_a_change(served):
    before = served.path.read_bytes()
    assert served.post("nope", "approve", {"version": "x", "approved": True})[0] == 404
    assert served.post("x-hormozi", "approve", {"version": served.version("x-hormozi"), "approved": "yes"})[0] == 400
    assert served.post("x-hormozi", "text", {"version": served.version("x-hormozi"), "body": 3})[0] == 400
    status, _, _ = served.request("POST", "/api/posts/x-hormozi/text", None, {"X-Postgen-Review": served.server.key})
    assert status == 400
    assert served.path.read_bytes() == before


# --------------------------------------------------------------------------- what the page shows


def test_pages_and_answers_pass_the_redactor(served, cli, monkeypatch, tmp_path):
    secret = "sk-live-0123456789abcdefghijklmnop"
    monkeypatch.setenv("X_API_KEY", secret)
    change_file(served.path, "linkedin-aida", body=f"Our key is {secret}, do not tell.")
    _, _, page = served.request("GET", "/", headers={"Cookie": f"postgen-review-{served.port}={served.server.key}"})
    assert secret.encode() not in page and b"&lt;X_API_KEY&gt;" in page
    _, reply = served.post("linkedin-aida", "text", {"version": served.version("linkedin-aida"), "body": f"Still {secret}"})
    assert secret not in json.dumps(reply)
    out = tmp_path / "review.html"
    assert cli("review", "latest", "--html", str(out)).exit_code == 0
    assert secret not in out.read_text(encoding="utf-8")


def test_reddit_markdown_is_rendered_and_stays_data():
    from postgen.pages.review import markdown

    html = markdown("**bold** and ~~gone~~\n\n- one\n- two\n\n<script>alert(1)</script>\n\n"
                    "[click](javascript:alert(1)) [site](https://example.com) ![img](https://example.com/a.png)")
    assert "<strong>bold</strong>" in html and "<s>gone</s>" in html and "<li>one</li>" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[click](javascript:alert(1))", "")  # shown as text, never a link
    assert 'href="https://example.com"' in html and "<img" not in html


def test_the_fold_and_the_hook_lint_agree_at_the_boundary():
    from postgen.lint import FOLD, lint_post, see_more_at
    from postgen.models import Post

    for length, warned in ((FOLD, False), (FOLD + 1, True)):
        hook = ("a" * (length - 1)) + "."
        body = f"{hook} More after the hook.\nLine two.\nLine three.\nLine four is below the fold."
        post = Post(id="linkedin-t", platform="linkedin", framework="t", body=body)
        assert ("hook_after_fold" in {p.code for p in lint_post(post)}) is warned
        assert (see_more_at(body) < len(hook)) is warned


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .!?\n"), min_size=1, max_size=500))
def test_a_hook_the_lint_passes_always_shows_above_the_fold(body):
    from postgen.lint import _hook, lint_post, see_more_at
    from postgen.models import Post

    if not body.strip():
        return
    post = Post(id="linkedin-t", platform="linkedin", framework="t", body=body)
    warned = "hook_after_fold" in {p.code for p in lint_post(post)}
    cut = see_more_at(body)
    shown = body.strip() if cut is None else body.strip()[:cut]
    assert warned is not shown.startswith(_hook(body))


def test_the_page_marks_linkedins_fold_and_the_x_counter(served):
    from postgen.pages.review import card, card_html
    from postgen.schedule import zone

    run = _file(served.path)
    long_hook = "This first sentence keeps going " + "and going " * 22 + "until it is past the fold."
    post = run.post("linkedin-hormozi").model_copy(update={"body": long_hook + "\n\nThe rest."})
    html = card_html(card(post, run), zone("UTC"))
    assert '<span class="see-more">…see more</span>' in html and 'class="fold-warning"' in html
    x = card(run.post("x-naval"), run)
    html = card_html(x, zone("UTC"))
    assert f'data-count="{x.length}"' in html and f"{x.length} / 280 weighted characters" in html
    assert 'data-kind="reply"' in html  # the link reply


def test_the_picture_and_the_moment_a_post_links_to_are_shown(served):
    from postgen.models import Moment
    from postgen.pages.review import card, card_html
    from postgen.schedule import zone

    run = _file(served.path)
    post = run.post("x-naval").model_copy(update={"moment": Moment(at=475, item="key point 4", why="its words")})
    html = card_html(card(post, run), zone("UTC"))
    assert "links to 7:55 (key point 4)" in html and 'title="its words"' in html
    details = card(post, run).preview.parts[0]["details"]  # the sample run's X posts carry its thumbnail
    assert post.media is not None and details[0].startswith("image: ")
    assert f'<ul class="details"><li>{escape(details[0])}</li>' in html


def test_an_x_thread_shows_each_part_with_its_counter(served):
    from postgen.connectors.x import XConnector, XOptions
    from postgen.pages.review import card, card_html
    from postgen.schedule import zone

    run = _file(served.path)
    post = run.post("x-storytelling").model_copy(update={"body": "A sentence that says one thing. " * 20})
    view = card(post, run, connector=XConnector(XOptions(long_posts="thread")))
    parts = [p for p in view.preview.parts if p["kind"] in ("post", "thread")]
    html = card_html(view, zone("UTC"))
    assert len(parts) == 3 and view.errors == []
    for i, part in enumerate(parts, 1):
        assert f"post {i} of 3" in html and f'data-count="{part["weighted_length"]}"' in html
    assert html.index("post 3 of 3") < html.index('data-kind="reply"')  # the link reply comes after the thread


def test_a_once_link_shows_under_the_first_post_of_its_platform_only(served):
    from postgen.pages.review import cards

    for post_id in ("x-hormozi", "x-garyvee", "x-naval", "x-storytelling", "x-aida"):
        change_file(served.path, post_id, link_policy="once")
    run = _file(served.path)
    views = {v.post.id: v for v in cards(run)}
    first = min((v for v in views.values() if v.post.platform == "x"), key=lambda v: v.post.scheduled_at)
    replies = [v.post.id for v in views.values() if any(p["kind"] == "reply" for p in v.preview.parts)]
    assert replies == [first.post.id]
    assert views["x-naval"].preview.estimated_cost_usd < first.preview.estimated_cost_usd  # no link reply to pay for
    page = served.server.review.page("k")
    assert page.count('data-kind="reply"') == 1


# --------------------------------------------------------------------------- the command


def test_help_stays_light():
    code = ("import sys\nsys.argv = ['postgen', '--help']\nfrom postgen.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('http.server', 'markdown_it', 'postgen.pages', 'postgen.pages.server') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "  review " in out
    assert out.strip().splitlines()[-1] == "[]"


def test_review_prints_the_address_and_opens_it_unless_told_not_to(cli, run_path, monkeypatch):
    import webbrowser

    from postgen.pages.server import ReviewServer

    opened, served = [], []

    def serve(self, *args, **kwargs):
        served.append(self.server_address)
        raise KeyboardInterrupt

    monkeypatch.setattr(ReviewServer, "serve_forever", serve)
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url) or True)
    result = cli("review", "--no-open")
    assert result.exit_code == 0, result.output
    assert opened == [] and served[0][0] == "127.0.0.1"
    url = next(line.split()[1] for line in result.output.splitlines() if line.startswith("open "))
    assert url.startswith(f"http://127.0.0.1:{served[0][1]}/?review=")
    result = cli("review", "latest")
    assert result.exit_code == 0 and len(opened) == 1 and opened[0] in result.output


def test_review_of_a_broken_run_or_to_an_unwritable_file_is_one_line(cli, run_path, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")  # (a read-only folder would not stop root)
    result = cli("review", "latest", "--html", str(tmp_path / "a-file" / "page.html"))
    assert result.exit_code == 2 and "cannot write it" in result.output and "Traceback" not in result.output
    run_path.write_text("---\nnot a run\n", encoding="utf-8")
    result = cli("review", "latest", "--no-open")
    assert result.exit_code == 2 and "Error:" in result.output and "Traceback" not in result.output
