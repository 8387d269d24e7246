"""The journal: what was sent, recorded so that no stale copy of a run file can send it again."""

from __future__ import annotations

import json

import pytest
from ledger_fakes import FakeConnector, FakePlatform, make_run, journal_lines as lines, publisher

from postgen import ledger, runfile
from postgen.connector import PublishError
from postgen.ledger import journal
from postgen.models import PostState

FIVE = ("hormozi", "garyvee", "naval", "storytelling", "aida")


def test_every_intent_and_outcome_is_a_line_with_the_post_fields_after_it(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    publisher({"x": FakePlatform("x")}).publish_run(path)
    got = lines(path)
    assert [(l["event"], l["what"], l["result"]) for l in got] == [
        ("intent", "post", "intent"), ("outcome", "post", "published"),
        ("intent", "follow_up", "intent"), ("outcome", "follow_up", "published"),
    ]
    assert len({l["id"] for l in got}) == 4 and [l["seq"] for l in got] == [1, 2, 3, 4]
    run = runfile.load(path)
    post = run.post("x-hormozi")
    assert all(l["run"] == run.id and l["post"] == "x-hormozi" for l in got)
    assert {l["digest"] for l in got} == {ledger.content_digest(post, run.id)}
    assert [l["fields"]["state"] for l in got] == ["publishing", "published", "published", "published"]
    assert got[0]["attempt"] == 1 and got[1]["fields"]["publication"]["remote_id"] == post.publication.remote_id
    assert got[2]["fields"]["publication"]["follow_ups"][0]["state"] == "publishing"  # the follow-up's intent
    assert post.ledger_seq == 4  # the run file says which line it reflects
    assert (tmp_path / ".gitattributes").read_text().splitlines()[-1] == "ledger/*.jsonl merge=union"


def test_the_digest_changes_with_the_run_the_post_and_the_text(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")])
    run = runfile.load(path)
    a, b = run.post("x-hormozi"), run.post("x-naval")
    assert ledger.content_digest(a, run.id) != ledger.content_digest(a, "another-run")
    assert ledger.content_digest(a, run.id) != ledger.content_digest(b.model_copy(update={"body": a.body}), run.id)
    assert ledger.content_digest(a, run.id) != ledger.content_digest(a.model_copy(update={"body": a.body + "!"}), run.id)


def test_journal_lines_pass_the_redactor(tmp_path, monkeypatch):
    monkeypatch.setenv("X_API_SECRET", "s3cr3t-value-123")
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    x.errors.append(PublishError("invalid", "refused; the request said X_API_SECRET=s3cr3t-value-123", status=400))
    publisher({"x": x}).publish_run(path)
    text = (tmp_path / "ledger" / f"{path.stem}.jsonl").read_text(encoding="utf-8")
    assert "s3cr3t-value-123" not in text and "<X_API_SECRET>" in text
    assert all(json.loads(line) for line in text.splitlines())  # still JSON


@pytest.mark.parametrize("platform", ("reddit", "linkedin"))
def test_a_stale_copy_written_back_never_resends(tmp_path, cli, isolated, monkeypatch, platform):
    """The bug: an editor buffer (or an old `git checkout`) wrote back the run file as it was before
    publishing; every post and link comment went out again, exit 0, no warning."""
    import postgen.checks

    fake = FakePlatform(platform)
    monkeypatch.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, fake))
    path = make_run(isolated / "runs", [(platform, fw) for fw in FIVE])
    stale = path.read_text(encoding="utf-8")
    assert cli("publish", path.stem, "--yes").exit_code == 0
    assert fake.create_calls == 5 and len(fake.comments) == 5
    path.write_text(stale, encoding="utf-8")  # the stale copy comes back

    assert "would publish" not in cli("publish", path.stem, "--dry-run").output
    status = cli("status")
    assert "ready" not in status.output and status.output.count("published") >= 5
    assert "behind its journal" in status.stderr
    result = cli("publish", path.stem, "--yes")
    assert result.exit_code == 0, result.output
    assert "behind its journal" in result.output
    assert fake.create_calls == 5 and len(fake.comments) == 5  # nothing sent again
    assert all(fake.copies(f"{platform}-{fw}") == 1 and fake.comments_on(f"{platform}-{fw}") == 1 for fw in FIVE)
    assert all(p.state is PostState.published for p in runfile.load(path).posts)  # the file is brought up


def test_a_stale_copy_whose_journal_is_stale_too_is_caught_by_the_platform(tmp_path):
    """A re-run from an old commit has an old run file and an old journal: Reddit (which takes
    copies) is asked before every send, X refuses the copy; neither gets a second post."""
    path = make_run(tmp_path, [("reddit", "hormozi"), ("x", "hormozi")])
    stale = path.read_text(encoding="utf-8")
    reddit, x = FakePlatform("reddit"), FakePlatform("x")
    publisher({"reddit": reddit, "x": x}).publish_run(path)
    path.write_text(stale, encoding="utf-8")
    (tmp_path / "ledger" / f"{path.stem}.jsonl").unlink()
    outcomes = {o.post_id: o for o in publisher({"reddit": reddit, "x": x}).publish_run(path)}
    assert outcomes["reddit-hormozi"].status == "published" and "not sent again" in outcomes["reddit-hormozi"].reason
    assert outcomes["x-hormozi"].status == "published"
    assert reddit.copies("reddit-hormozi") == 1 and x.copies("x-hormozi") == 1
    assert reddit.create_calls == 1 and x.create_calls == 2  # X's copy was refused, not created


def test_restore_brings_the_run_file_up_and_never_moves_it_back(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    stale = path.read_text(encoding="utf-8")
    publisher({"linkedin": FakePlatform("linkedin")}).publish_run(path)
    done = path.read_text(encoding="utf-8")
    path.write_text(stale, encoding="utf-8")
    assert ledger.restore(path) == ["linkedin-hormozi"]
    assert runfile.load(path) == runfile.parse(done, path)
    assert ledger.restore(path) == [] and path.read_text(encoding="utf-8") == done  # nothing to do: nothing written
    # A journal that lost its last lines (the run file is ahead) never takes the file backwards.
    file = tmp_path / "ledger" / f"{path.stem}.jsonl"
    file.write_text("".join(file.read_text().splitlines(keepends=True)[:2]))
    assert ledger.restore(path) == [] and path.read_text(encoding="utf-8") == done


def test_a_hand_edit_back_to_ready_is_overridden_by_the_journal(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi")], link=None)
    reddit = FakePlatform("reddit")
    publisher({"reddit": reddit}).publish_run(path)
    with runfile.editing(path) as handle:  # same sequence number, state set back by hand
        handle.run.post("reddit-hormozi").state = PostState.ready
    assert publisher({"reddit": reddit}).publish_run(path) == []
    assert reddit.create_calls == 1 and runfile.load(path).post("reddit-hormozi").state is PostState.published


def test_union_merged_lines_of_two_writers_are_read_the_same_in_any_order(tmp_path):
    """`merge=union` keeps both sides' lines in either order: every reader picks the same newest line."""
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    stale = path.read_text(encoding="utf-8")
    file = tmp_path / "ledger" / f"{path.stem}.jsonl"
    publisher({"x": FakePlatform("x")}).publish_run(path)
    ours = file.read_text().splitlines(keepends=True)
    path.write_text(stale, encoding="utf-8")
    file.unlink()
    publisher({"x": FakePlatform("x")}).publish_run(path)  # another writer, same sequence numbers
    theirs = file.read_text().splitlines(keepends=True)
    views = []
    for merged in (ours + theirs, theirs + ours, [l for pair in zip(theirs, ours) for l in pair]):
        file.write_text("".join(merged))
        path.write_text(stale, encoding="utf-8")
        views.append(journal.load(path)[0].post("x-hormozi").publication)
    assert views[0] == views[1] == views[2] and views[0] is not None


def test_a_torn_last_line_is_skipped_and_the_next_line_starts_clean(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")], link=None)
    file = tmp_path / "ledger" / f"{path.stem}.jsonl"
    publisher({"x": FakePlatform("x")}).publish_run(path, post_ids=["x-hormozi"])
    file.write_text(file.read_text() + '{"v": 1, "id": "torn", "ru')  # killed mid-append
    publisher({"x": FakePlatform("x")}).publish_run(path, post_ids=["x-naval"])
    entries, bad = journal.read(file)
    assert bad == 1 and [e.post for e in entries].count("x-naval") == 2


def test_resolve_and_follow_up_decisions_are_journal_lines(tmp_path):
    path = make_run(tmp_path, [("linkedin", "hormozi")])
    with runfile.editing(path) as handle:
        handle.run.post("linkedin-hormozi").state = PostState.publishing
    ledger.resolve(path, "linkedin-hormozi", "published", "https://www.linkedin.com/feed/update/urn:li:share:1")
    ledger.resolve_follow_up(path, "linkedin-hormozi", "skip")
    got = lines(path)
    assert [(l["what"], l["result"]) for l in got] == [("resolve", "resolved_published"), ("resolve", "follow_up_skip")]
    assert got[0]["fields"]["follow_up_pending"] is True and got[1]["fields"]["follow_up_pending"] is False


# --------------------------------------------------------------------------- the durable hook


def test_the_hook_sees_each_intent_before_its_call_and_each_outcome_after(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")
    seen = []

    def durable(paths, moment):
        assert paths == [path, tmp_path / "ledger" / f"{path.stem}.jsonl"]  # the run file and its journal
        seen.append((moment, x.create_calls, len(x.comments), lines(path)[-1]["event"]))

    publisher({"x": x}, durable=durable).publish_run(path)
    assert seen == [("intent", 0, 0, "intent"), ("outcome", 1, 0, "outcome"),
                    ("intent", 1, 0, "intent"), ("outcome", 1, 1, "outcome")]


def test_replan_at_an_intent_sends_nothing_then_plans_again(tmp_path):
    path = make_run(tmp_path, [("reddit", "hormozi"), ("reddit", "naval")], link=None)
    reddit = FakePlatform("reddit")
    refusals = {"left": 1}

    def durable(paths, moment):
        if moment == "intent" and refusals["left"]:
            refusals["left"] -= 1
            raise ledger.Replan("push rejected: the branch moved")

    outcomes = publisher({"reddit": reddit}, durable=durable).publish_run(path)
    assert [o.status for o in outcomes] == ["published", "published"]
    assert reddit.create_calls == 2 and reddit.copies("reddit-hormozi") == 1
    assert [l["result"] for l in lines(path) if l["post"] == "reddit-hormozi"][:2] == ["intent", "withdrawn"]


def test_record_failed_stops_the_pass_and_the_next_pass_finishes(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi"), ("x", "naval")])
    x = FakePlatform("x")

    def durable(paths, moment):
        if moment == "outcome":
            raise ledger.RecordFailed("push refused: protected branch")

    pub = publisher({"x": x}, durable=durable)
    with pytest.raises(ledger.RecordFailed, match="push refused") as stopped:
        pub.publish_run(path)
    assert stopped.value.outcomes == []  # what the pass did before it stopped
    assert x.create_calls == 1 and not x.comments  # stopped: no follow-up, no second post
    assert runfile.load(path).post("x-hormozi").state is PostState.published  # kept locally
    with pytest.raises(ledger.RecordFailed, match="not tried"):  # the same pass sends nothing more
        pub.publish_run(path)
    assert x.create_calls == 1
    publisher({"x": x}).publish_run(path)  # the next pass
    assert x.copies("x-hormozi") == 1 and x.copies("x-naval") == 1 and len(x.comments) == 2


def test_a_hook_that_fails_any_other_way_at_an_intent_sends_nothing(tmp_path):
    path = make_run(tmp_path, [("x", "hormozi")])
    x = FakePlatform("x")

    def durable(paths, moment):
        raise OSError("git: no space left on device")

    with pytest.raises(ledger.RecordFailed, match="no space left"):
        publisher({"x": x}, durable=durable).publish_run(path)
    assert x.create_calls == 0


def test_a_person_edit_merged_in_at_the_intent_is_sent_as_edited(tmp_path):
    """The sync merged a person's text edit of the very post whose intent it pushed: the intent was
    for the old text, so nothing is sent on it; the pass plans again and sends the new text, once."""
    path = make_run(tmp_path, [("x", "hormozi")], link=None)
    x = FakePlatform("x")
    merged = {"done": False}

    def durable(paths, moment):
        if moment == "intent" and not merged["done"]:
            merged["done"] = True
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("The hormozi post for x", "The edited hormozi post for x"), encoding="utf-8")

    outcomes = publisher({"x": x}, durable=durable).publish_run(path)
    assert [o.status for o in outcomes] == ["published"]
    assert [c["text"] for c in x.created] == ["The edited hormozi post for x about abc123XYZ_0."]


def test_a_replaced_run_starts_afresh_but_one_that_sent_is_kept(tmp_path, cli, isolated, monkeypatch):
    """A refusal on the journal belongs to the text it refused: new text in its place (a run
    regenerated with --force, a post rewritten) is not failed by it. A send on the journal keeps
    the run from being replaced, even when the run file no longer shows it."""
    import postgen.checks

    fakes = {name: FakePlatform(name) for name in ("x", "linkedin", "reddit")}

    def publish(*args):
        with monkeypatch.context() as m:
            m.setattr(postgen.checks, "connector_for", lambda name, config=None: FakeConnector(name, fakes[name]))
            return cli("publish", *args)

    assert cli("run").exit_code == 0
    path = runfile.list_runs(isolated / "runs")[0]
    fresh = path.read_text(encoding="utf-8")
    first = runfile.load(path).posts[0]
    fake = fakes[first.platform]
    fake.errors.append(PublishError("invalid", "refused", status=400))
    publish(path.stem, "--post", first.id, "--yes")
    assert journal.load(path)[0].post(first.id).state is PostState.failed
    path.write_text(fresh.replace(first.body.splitlines()[0], "A new first line."), encoding="utf-8")
    assert journal.load(path)[0].post(first.id).state is PostState.ready  # new text: no old refusal
    path.write_text(fresh, encoding="utf-8")
    assert journal.load(path)[0].post(first.id).state is PostState.failed  # the same text: refused
    assert cli("run", "--video", "builtin:sample", "--force").exit_code == 0  # replaced: nothing was sent
    publish(path.stem, "--post", first.id, "--yes")
    assert fake.copies(first.id) == 1
    path.write_text(fresh, encoding="utf-8")  # the run file no longer shows the send...
    result = cli("run", "--video", "builtin:sample", "--force")
    assert result.exit_code == 2 and "already has published posts" in result.output  # ...the journal does
