"""`postgen plugin new NAME`: a connector package whose own tests pass as written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from package_install import install_editable


def run_tests(package: Path, site: Path, home: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTGEN_")}
    # site first, as a site-packages: .pth files there are read (sitecustomize-free way: site.addsitedir)
    code = f"import site, sys; site.addsitedir({str(site)!r}); import pytest; sys.exit(pytest.main(sys.argv[1:]))"
    env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-c", code, "-q", "-rs", "-p", "no:cacheprovider", "--record-mode=none", str(package / "tests")],
                          cwd=package, env=env, capture_output=True, text=True, timeout=300)


def test_the_skeleton_installs_and_its_tests_pass(cli, tmp_path):
    result = cli("plugin", "new", "acme_social", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    package = tmp_path / "postgen-acme-social"
    assert f"created {package}" in result.output and "pip install -e" in result.output
    assert sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()) == [
        "README.md", "pyproject.toml", "src/postgen_acme_social.py", "tests/conftest.py", "tests/test_postgen_acme_social.py"]
    site = tmp_path / "site"
    site.mkdir()
    assert install_editable(package, site) == "postgen-acme-social"
    done = run_tests(package, site, tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "6 passed" in done.stdout and "skipped" not in done.stdout  # the entry-point test ran too


def test_the_skeleton_is_a_plugin_postgen_drafts_for(cli, tmp_path, isolated, monkeypatch):
    """Installed and enabled, it gets five distinct offline posts, and publishing sends nothing."""
    import importlib
    import site as site_module

    assert cli("plugin", "new", "acme", "--dir", str(tmp_path)).exit_code == 0
    site = tmp_path / "site"
    site.mkdir()
    install_editable(tmp_path / "postgen-acme", site)
    monkeypatch.setattr(sys, "path", list(sys.path))
    site_module.addsitedir(str(site))
    importlib.invalidate_caches()
    monkeypatch.setenv("POSTGEN_LOAD_PLUGINS", "acme")
    from postgen.plugins import reset_plugin_manager

    reset_plugin_manager()
    (isolated / "postgen.toml").write_text('[platforms]\nenabled = ["acme"]\n[schedule.slots]\nacme = ["12:00"]\n', encoding="utf-8")
    assert cli("plugins").output.count("acme") >= 2
    assert cli("run", "--dry-run").exit_code == 0
    from postgen import runfile

    run = runfile.load(runfile.list_runs(isolated / "runs")[0])
    assert len({p.body for p in run.posts}) == 5 and all(p.state.value == "ready" and not p.problems for p in run.posts)
    skipped = cli("publish", "latest", "--yes")  # no key set yet: skipped (stays ready), not failed
    assert skipped.exit_code == 0 and "ACME_TOKEN not set" in skipped.output
    monkeypatch.setenv("ACME_TOKEN", "test-token")
    published = cli("publish", "latest", "--yes")
    assert published.exit_code == 1 and "cannot publish yet" in published.output
    assert {p.state.value for p in runfile.load(runfile.list_runs(isolated / "runs")[0]).posts} == {"ready"}  # nothing lost


def test_plugin_new_refuses_a_bad_name_and_an_existing_folder(cli, tmp_path):
    bad = cli("plugin", "new", "Acme-Social", "--dir", str(tmp_path))
    assert bad.exit_code == 2 and "lowercase letters, digits and '_'" in bad.output
    assert cli("plugin", "new", "acme", "--dir", str(tmp_path)).exit_code == 0
    (tmp_path / "postgen-acme" / "README.md").write_text("mine", encoding="utf-8")
    again = cli("plugin", "new", "acme", "--dir", str(tmp_path))
    assert again.exit_code == 2 and "already exists" in again.output
    assert (tmp_path / "postgen-acme" / "README.md").read_text(encoding="utf-8") == "mine"
