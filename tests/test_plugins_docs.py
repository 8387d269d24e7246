"""docs/plugins.md stays true: every hook documented with its real arguments, every hook tested,
the reference names the real members, and no code block goes untested.

Kinds of code block in the doc:
- `<!-- file: PATH -->` / `<!-- append: PATH -->` / `<!-- run -->` / `<!-- output -->`: the path
  from an empty folder to a published post, built and run by tests/test_plugins_tutorial.py.
- `<!-- snippet: PATH#REGION -->` blocks are copies of the `# [docs:start REGION]` ...
  `# [docs:end REGION]` lines of PATH (dedented); a test asserts they are identical.
  `python tests/test_plugins_docs.py --update` rewrites them from the source.
- `<!-- example: NAME -->` blocks are run here: each hook's example is registered as a plugin and
  its effect checked, so an example that stops working fails a test.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"
EXAMPLE_SRC = ROOT / "examples" / "postgen-mastodon" / "src"

FENCE = r"```[a-z]*\n(?P<code>.*?)```"
SNIPPET = re.compile(r"<!-- snippet: (?P<path>[^#\s]+)#(?P<region>[\w-]+) -->\n" + FENCE, re.S)
EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n" + FENCE, re.S)
TUTORIAL = re.compile(r"<!-- (?:file|append): (?P<path>\S+\.py) -->\n" + FENCE, re.S)
HOOK_HEADING = re.compile(r"^### (?P<name>postgen_\w+)\((?P<args>[^)]*)\)\s*$", re.M)
REGION = re.compile(r"^[ \t]*# \[docs:start (?P<name>[\w-]+)\]\n(?P<body>.*?)^[ \t]*# \[docs:end (?P=name)\]\n", re.S | re.M)
CONTRACT = ("style", "validate", "preview", "publish", "publish_follow_up", "find_existing", "check")


def regions(path: Path) -> dict[str, str]:
    """The named regions of a source file, dedented."""
    return {m["name"]: textwrap.dedent(m["body"]) for m in REGION.finditer(path.read_text(encoding="utf-8"))}


def synced(doc: str) -> str:
    """The doc with every snippet block replaced by its region's current source."""

    def replace(m: re.Match) -> str:
        source = regions(ROOT / m["path"])
        if m["region"] not in source:
            raise KeyError(f"{m['path']} has no region {m['region']!r} (# [docs:start {m['region']}])")
        lang = m.group(0).split("```", 1)[1].split("\n", 1)[0]
        return f"<!-- snippet: {m['path']}#{m['region']} -->\n```{lang}\n{source[m['region']]}```"

    return SNIPPET.sub(replace, doc)


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def examples() -> dict[str, str]:
    found: dict[str, str] = {}
    for m in EXAMPLE.finditer(doc_text()):
        assert m["name"] not in found, f"two examples named {m['name']!r} in {DOC.name}"
        found[m["name"]] = m["code"]
    return found


def hookspecs() -> dict[str, list[str]]:
    from postgen import hookspecs as specs

    return {
        name: list(inspect.signature(fn).parameters)
        for name, fn in vars(specs).items()
        if name.startswith("postgen_") and callable(fn)
    }


def load_example(name: str) -> types.ModuleType:
    """Run the doc's example NAME as a module and register it as a plugin."""
    from postgen import registry
    from postgen.plugins import get_plugin_manager

    module = types.ModuleType(f"doc_example_{name}")
    exec(compile(examples()[name], f"{DOC}:{name}", "exec"), module.__dict__)
    get_plugin_manager().register(module, name=f"doc:{name}")
    registry.reset()
    return module


# --- the doc against the code ---------------------------------------------------------------


def test_every_hookspec_is_documented_with_its_arguments():
    documented = {m["name"]: [a.strip() for a in m["args"].split(",") if a.strip()] for m in HOOK_HEADING.finditer(doc_text())}
    assert documented == hookspecs()


def test_every_hook_section_has_an_example():
    text = doc_text()
    headings = list(HOOK_HEADING.finditer(text))
    for heading in headings:
        name = heading["name"]
        start = heading.end()
        later = [h.start() for h in headings if h.start() > start] + [text.index("\n## ", start)]
        section = text[start:min(later)]
        linked = re.search(r"\]\(#(adding-a-[\w-]+)\)", section)
        has_code = f"<!-- example: {name} -->" in section or "<!-- snippet: " in section
        assert has_code or (linked and f"<!-- example: {name} -->" in text), f"{name}: no example"


def test_snippets_are_the_example_plugins_code():
    text = doc_text()
    assert SNIPPET.search(text), "no snippet blocks found"
    assert synced(text) == text, "docs/plugins.md is out of date: run python tests/test_plugins_docs.py --update"


def test_every_region_of_the_example_is_in_the_doc():
    used = {(m["path"], m["region"]) for m in SNIPPET.finditer(doc_text())}
    for path in {p for p, _ in used}:
        for region in regions(ROOT / path):
            assert (path, region) in used, f"{path}#{region} is marked for the docs but not shown"


def test_the_connector_contract_is_shown_whole():
    """The tutorial's connector writes every method of the contract that a platform needs."""
    shown = "".join(m["code"] for m in TUTORIAL.finditer(doc_text()))
    # find_existing is inherited there (a webhook cannot search), and the page says so
    assert "inherits `find_existing`" in doc_text()
    for method in [m for m in CONTRACT if m != "find_existing"] + ["limit", "measure"]:
        assert f"def {method}(" in shown, f"Connector.{method} is not in the tutorial"


def test_the_reference_names_every_public_member():
    from postgen import Connector, FollowUp, Publication

    text = doc_text()
    members = [name for name in vars(Connector) if not name.startswith("_")]
    for name in members:
        assert f"`{name}" in text, f"Connector.{name} is not in the reference"
    section = text.split("### Publication and FollowUp", 1)[1].split("\n### ", 1)[0]
    for model in (Publication, FollowUp):
        for name in model.model_fields:
            assert f"`{name}`" in section, f"{model.__name__}.{name} is not in the reference"
    for key in ("kind", "text", "characters", "weighted_length", "limit", "in_reply_to", "details"):
        assert f"| `{key}`" in text, f"preview part key {key!r} is not in the reference"
    assert "`Connector(options=None, env=None)`" in text


def test_every_publish_error_kind_is_in_the_reference():
    """The kinds the ledger acts on (core/ledger.py and connectors) each have a row."""
    import inspect

    from postgen import connector, ledger

    source = inspect.getsource(ledger) + inspect.getsource(connector)
    kinds = set(re.findall(r'"(rate_limited|transient|unreachable|unknown|duplicate|auth|permission|retired_version|config|invalid|fatal)"', source))
    table = doc_text().split("### PublishError kinds", 1)[1].split("\n## ", 1)[0]
    for kind in kinds | {"unreachable"}:
        assert f"`{kind}`" in table, kind


def test_every_python_block_is_tested():
    lines = doc_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "```python":
            assert lines[i - 1].startswith(("<!-- snippet: ", "<!-- example: ", "<!-- file: ", "<!-- append: ")), \
                f"{DOC.name}:{i + 1} is untested code"


def test_linked_files_exist():
    for target in re.findall(r"\]\((\.\./[^)#]+)\)", doc_text()):
        assert (DOC.parent / target).resolve().exists(), target


# --- every hook has a test ----------------------------------------------------------------------

HOOK_TESTS = {
    "postgen_register_sources": "test_hook_register_sources",
    "postgen_register_generators": "test_hook_register_generators",
    "postgen_register_frameworks": "test_hook_register_frameworks",
    "postgen_register_connectors": "test_hook_register_connectors",
    "postgen_register_commands": "test_hook_register_commands",
    "postgen_event": "test_hook_event",
}


def test_every_example_is_run_by_a_test():
    # connectors are shown by snippets of the example plugin; the rest are run by the tests here
    run = (set(HOOK_TESTS) - {"postgen_register_connectors"}) | {"framework-toml", "trace"}
    assert set(examples()) == run


def test_every_hookspec_has_a_test():
    assert set(HOOK_TESTS) == set(hookspecs()), "add a test for the new hook to HOOK_TESTS"
    for test_name in HOOK_TESTS.values():
        assert callable(globals().get(test_name)), test_name


def test_hook_register_sources(tmp_path):
    load_example("postgen_register_sources")
    from postgen.registry import sources

    cls = sources.get("url-list")
    (tmp_path / "videos.txt").write_text(
        "https://www.youtube.com/watch?v=aaaaaaaaaaa\n\nhttps://www.youtube.com/watch?v=bbbbbbbbbbb\n", encoding="utf-8"
    )
    source = cls({"type": "url-list", "path": "videos.txt"}, base_dir=tmp_path)
    found = list(source.candidates())
    assert [(c.video_id, c.position) for c in found] == [("aaaaaaaaaaa", 0), ("bbbbbbbbbbb", 1)]
    assert source.fetch(found[1]).id == "bbbbbbbbbbb"

    from postgen import SourceError

    with pytest.raises(SourceError, match="missing.txt"):
        list(cls({"type": "url-list", "path": "missing.txt"}, base_dir=tmp_path).candidates())


def test_hook_register_generators():
    load_example("postgen_register_generators")
    from postgen import DraftRequest, Video
    from postgen.registry import frameworks, generators

    generator = generators.get("quote")()
    video = Video(id="abc", url="https://www.youtube.com/watch?v=abc", title="Compounding knowledge")
    brief, _ = generator.brief(video)
    request = DraftRequest(platform="reddit", platform_style="", framework=frameworks.get("naval"), brief=brief,
                           video=video, link_policy="none", has_title=True)
    draft = generator.draft(request)
    assert draft.title == "Compounding knowledge" and "Compounding knowledge" in draft.body


def test_hook_register_frameworks(tmp_path):
    load_example("postgen_register_frameworks")
    from postgen.registry import frameworks

    assert frameworks.get("pas").beats[0] == "the problem"
    assert "naval" in frameworks  # added to the built-ins, not instead of them

    from postgen.frameworks import load_file

    toml = tmp_path / "pas.toml"
    toml.write_text(examples()["framework-toml"], encoding="utf-8")
    from_file = load_file(toml)
    assert (from_file.name, from_file.label, len(from_file.beats)) == ("pas", "PAS", 3)


def test_hook_register_connectors(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE_SRC))
    import postgen_mastodon
    from postgen import registry
    from postgen.plugins import get_plugin_manager

    get_plugin_manager().register(postgen_mastodon, name="mastodon")
    registry.reset()
    assert registry.connectors.get("mastodon") is postgen_mastodon.MastodonConnector
    assert [e.plugin for e in registry.connectors.entries() if e.name == "mastodon"] == ["mastodon"]


def test_hook_register_commands(cli, tmp_path):
    load_example("postgen_register_commands")
    assert cli("count-runs").output.strip() == "0"


def test_hook_event(isolated):
    load_example("postgen_event")
    from postgen.events import Event, fire

    fire(Event(kind="post_failed", run_id="r", post_id="x-naval"))
    fire(Event(kind="post_published", run_id="2026-11-24-abc", post_id="x-naval", data={"url": "https://x.com/i/1"}))
    lines = (isolated / "published.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines == ['{"run": "2026-11-24-abc", "post": "x-naval", "url": "https://x.com/i/1"}']


if __name__ == "__main__":  # python tests/test_plugins_docs.py --update
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_plugins_docs.py --update")
    text = doc_text()
    new = synced(text)
    DOC.write_text(new, encoding="utf-8")
    print("docs/plugins.md: snippets " + ("updated" if new != text else "already current"))
