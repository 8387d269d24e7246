"""The review page driven in headless Chromium (skipped where it is missing): a run loads as each
platform shows it; an edit past the limit shows the error and leaves the file alone, its fix is
saved and valid; approve and a slot move land in the file; a published post cannot be edited; a
change made elsewhere is never overwritten; the static --html page renders with no console error."""

from __future__ import annotations

import json

from review_helpers import change_file, publish_in_file, run_path, served  # noqa: F401 - fixtures

TIMEOUT = 15_000  # ms: two cores shared by several test runs
VALID_X = "Random IDs collide sooner than you think: the square root of the space is where trouble starts."


def _file(path):
    from postgen import runfile

    return runfile.load(path)


def _open(browser, served):
    page = browser.open(served.server.url)
    page.set_default_timeout(TIMEOUT)
    return page


def test_the_page_loads_a_run_as_each_platform_shows_it(browser, served):
    from playwright.sync_api import expect

    page = _open(browser, served)
    assert page.url == f"http://127.0.0.1:{served.port}/"  # the key left the address bar for a cookie
    expect(page.locator("article.post")).to_have_count(15)
    # LinkedIn: the feed's fold; X: the weighted counter and the link reply; Reddit: title, Markdown, comment.
    expect(page.locator("#post-linkedin-hormozi .see-more")).to_have_text("…see more")
    expect(page.locator("#post-linkedin-hormozi .below-fold")).not_to_be_empty()
    expect(page.locator("#post-x-hormozi .sizes .count").first).to_contain_text("/ 280 weighted characters")
    expect(page.locator('#post-x-hormozi .follow-up[data-kind="reply"]')).to_contain_text("https://")
    expect(page.locator("#post-reddit-hormozi h4.rd-title")).not_to_be_empty()
    assert page.locator("#post-reddit-hormozi .md li").count() >= 1
    expect(page.locator('#post-reddit-hormozi .follow-up[data-kind="first_comment"]')).to_contain_text("https://")
    expect(page.locator("table.schedule tbody tr")).to_have_count(15)
    expect(page.locator(".total-cost")).to_contain_text("$")
    assert browser.errors == []
    assert all(url.startswith(f"http://127.0.0.1:{served.port}/") for url in browser.requests)


def test_an_edit_past_the_limit_shows_the_error_and_is_not_saved_until_fixed(browser, served):
    from playwright.sync_api import expect

    from postgen.checks import check_post

    page = _open(browser, served)
    before = served.path.read_bytes()
    article = page.locator("#post-x-hormozi")
    article.locator("textarea.body").fill("word " * 70)
    expect(article.locator(".status")).to_contain_text("not saved")
    expect(article.locator('.problem.error[data-code="too_long"]')).to_contain_text("of 280 weighted characters")
    expect(article.locator(".count.over").first).to_contain_text("349 / 280")
    assert served.path.read_bytes() == before  # the file is unchanged, byte for byte

    article.locator("textarea.body").fill(VALID_X)
    expect(article.locator(".status")).to_have_text("saved")
    expect(article.locator(".problems.ok")).to_be_visible()
    run = _file(served.path)
    post = run.post("x-hormozi")
    assert post.body == VALID_X
    assert [p for p in check_post(post, run) if p.severity == "error"] == []
    assert article.get_attribute("data-version") == served.version("x-hormozi")
    assert browser.errors == []


def test_a_hook_past_linkedins_fold_is_warned_as_you_type_and_saved(browser, served):
    from playwright.sync_api import expect

    hook = "This opening sentence keeps on going " + "and going " * 20 + "until the feed has cut it off."
    page = _open(browser, served)
    article = page.locator("#post-linkedin-garyvee")
    article.locator("textarea.body").fill(hook + "\n\nThe point, below the fold.")
    expect(article.locator(".status")).to_have_text("saved with 1 warning")  # a warning does not stop a save
    expect(article.locator(".fold-warning")).to_contain_text("LinkedIn folds at about 210")
    expect(article.locator(".see-more")).to_be_visible()
    shown = article.locator(".li-text").inner_text()
    assert len(shown) < len(hook) and hook.startswith(shown.removesuffix("…see more").strip())
    post = _file(served.path).post("linkedin-garyvee")
    assert post.body.startswith(hook) and "hook_after_fold" in {p.code for p in post.warnings}
    assert browser.errors == []


def test_approve_and_move_a_slot_land_in_the_file(browser, served):
    from playwright.sync_api import expect

    page = _open(browser, served)
    article = page.locator("#post-linkedin-naval")
    article.locator("button.approve").click()
    expect(article.locator(".status")).to_contain_text("approved")
    expect(article.locator("button.approve")).to_have_text("Un-approve")
    assert _file(served.path).post("linkedin-naval").approved is True

    article.locator("input.slot").fill("2031-05-06T07:45")
    article.locator("button.move").click()
    expect(article.locator(".status")).to_contain_text("moved to")
    assert _file(served.path).post("linkedin-naval").scheduled_at.isoformat() == "2031-05-06T07:45:00+00:00"

    article.locator("button.approve").click()
    expect(article.locator("button.approve")).to_have_text("Approve")
    assert _file(served.path).post("linkedin-naval").approved is False
    assert browser.errors == []


def test_a_published_post_cannot_be_edited_in_the_page_nor_through_the_server(browser, served):
    publish_in_file(served.path, "x-naval")
    before = served.path.read_bytes()
    page = _open(browser, served)
    article = page.locator("#post-x-naval")
    assert article.locator("textarea.body").is_disabled() and article.locator("button.approve").is_disabled()
    assert article.locator(".locked").count() == 1
    # Past the page: the same request its script would send, straight to the server.
    reply = page.evaluate("""async (version) => {
        const key = document.getElementById("review").dataset.launch;
        const r = await fetch("/api/posts/x-naval/text", {method: "POST",
            headers: {"Content-Type": "application/json", "X-Postgen-Review": key},
            body: JSON.stringify({version, body: "Edited after it went out."})});
        return {status: r.status, body: await r.json()};
    }""", served.version("x-naval"))
    assert reply["status"] == 409 and "x-naval is published" in reply["body"]["message"]
    assert served.path.read_bytes() == before
    # Chromium logs the refused request (409) itself; nothing else may fail.
    assert [e for e in browser.errors if "status of 409" not in e] == []


def test_a_change_made_elsewhere_is_not_overwritten(browser, served):
    from playwright.sync_api import expect

    page = _open(browser, served)
    change_file(served.path, "x-garyvee", body="Changed in an editor after the page loaded.")
    article = page.locator("#post-x-garyvee")
    article.locator("textarea.body").fill(VALID_X)
    expect(article.locator(".status")).to_contain_text("changed in the file since this page loaded it")
    expect(article.locator("textarea.body")).to_have_value("Changed in an editor after the page loaded.")
    expect(article.locator("details.conflict pre")).to_have_text(VALID_X)  # what was typed is not lost
    assert _file(served.path).post("x-garyvee").body == "Changed in an editor after the page loaded."


def test_the_static_page_renders_with_no_console_errors(browser, cli, run_path, tmp_path):
    from playwright.sync_api import expect

    change_file(run_path, "reddit-naval", body="**Bold**, a list:\n\n- one\n- two\n\n<script>alert(1)</script> "
                                               "[x](javascript:alert(1))")
    out = tmp_path / "review.html"
    result = cli("review", "latest", "--html", str(out))
    assert result.exit_code == 0, result.output
    page = browser.open(out)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    expect(page.locator("article.post")).to_have_count(15)
    assert page.locator("textarea, button, script").count() == 0  # read-only: no editors, no script
    expect(page.locator("#post-reddit-naval .md strong")).to_have_text("Bold")
    expect(page.locator("#post-reddit-naval .md")).to_contain_text("<script>alert(1)</script>")
    assert page.locator("#post-reddit-naval .md a").count() == 0
    assert browser.errors == [] and dialogs == []
    assert browser.requests == [out.resolve().as_uri()]
    assert json.loads(page.evaluate("JSON.stringify(document.querySelectorAll('.see-more').length)")) >= 1
