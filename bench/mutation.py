"""Mutation testing of the ledger, the three connectors and the run-file parser (issue 11).

    python bench/mutation.py run [--module M ...] [--sample N] [--seed S] [--jobs J] [--batch B]
    python bench/mutation.py rerun [--module M ...]        # the survivors again, after new tests
    python bench/mutation.py report [--survivors]          # per-module figures (and the survivors)
    python bench/mutation.py list [--module M] [--sample N]  # sampled mutants not yet killed

mutmut 3 (PyPI) does the work: it mutates each function, selects per mutant the tests that
called that function in one instrumented run, and runs only those, in forked workers. It names
a mutant's module after its file (`src/postgen/ledger/send.py` -> `postgen.ledger.send`) and
only activates a mutant whose name matches the running function's `__module__`. This repo maps
`core/` onto `postgen` (setuptools package-dir), so run from the repository mutmut would call
the module `core.ledger.send` and every mutant would silently survive. This script therefore
stages a src-layout copy in `.mutation/` (git-ignored): `src/postgen` is `core/` with
`connectors/` and `frameworks/` inside it, the tests and the files they read are linked in,
and mutmut runs there with the `[tool.mutmut]` section of pyproject.toml. mutmut puts its
mutated copy first on `sys.path`, ahead of the editable install's finder, so the tests import
the mutants. Results persist in `.mutation/mutants/`; a function whose source changed is
re-tested on the next run, the rest keep their verdicts.

Two small additions to mutmut, both here: the tests of a mutant run fastest first (mutmut
passes them in set order, and stops at the first failure, so a slow test first makes every
kill slow), and mutants are run in batches drawn with a fixed seed, so a sample is repeatable
and an interrupted run loses at most the mutants in flight.

Everything runs under `nice -n 19`; `--jobs` forked workers (default 2, the machine's cores).
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / ".mutation"
PACKAGE = STAGE / "src" / "postgen"
# Where each folder of the repository lives in the staged `postgen` package.
SOURCES = {ROOT / "core": PACKAGE, ROOT / "connectors": PACKAGE / "connectors",
           ROOT / "frameworks": PACKAGE / "frameworks"}
# Read by tests relative to the repository root; linked into the stage, copied by mutmut.
LINKED = ("tests", "cassettes", "examples", "docs", "bench", ".github", ".ci", "requirements",
          "runs", "postgen.toml", "README.md")

KILLED = {1, 3, 24, -24, 152, 255, 36}  # test failure, pytest internal error, timeouts
NOT_RUN = {None}


def module_of(name: str) -> str:
    """`postgen.ledger.send.x_publish__mutmut_3` -> `postgen.ledger.send`."""
    parts = name.split(".")
    for i, part in enumerate(parts):
        if part.startswith(("x_", "xǁ")):
            return ".".join(parts[:i])
    raise ValueError(name)


def stage() -> None:
    """Bring `.mutation/` up to date with the working tree (unchanged files keep their mtime,
    which is how mutmut knows their mutants and verdicts are still good)."""
    for source, target in SOURCES.items():
        nested = {t for t in SOURCES.values() if t != target and t.is_relative_to(target)}
        wanted: set[Path] = set()
        for path in source.rglob("*"):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            dest = target / path.relative_to(source)
            wanted.add(dest)
            if not dest.exists() or not filecmp.cmp(path, dest, shallow=False):
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)
        if target.exists():
            for dest in target.rglob("*"):
                if dest.is_file() and dest not in wanted and "__pycache__" not in dest.parts \
                        and not any(dest.is_relative_to(n) for n in nested):
                    dest.unlink()
    shutil.copy2(ROOT / "pyproject.toml", STAGE / "pyproject.toml")
    for name in LINKED:
        link = STAGE / name
        if not link.is_symlink() and (ROOT / name).exists():
            link.symlink_to(ROOT / name)


def _mutmut(*args: str, jobs: int | None = None) -> int:
    """Run mutmut in the stage, niced, through the small patch below."""
    cmd = ["nice", "-n", "19", sys.executable, str(Path(__file__).resolve()), "_mutmut", *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    if jobs:
        env["MUTATION_JOBS"] = str(jobs)
    return subprocess.call(cmd, cwd=STAGE, env=env)


def _patched_mutmut(argv: list[str]) -> None:
    """mutmut's own CLI, with the tests of each mutant ordered fastest first."""
    from mutmut.runners import harness
    from mutmut.state import state

    regular = harness.PytestRunner._pytest_args_regular_run

    def fastest_first(self, tests):
        durations = state().duration_by_test
        return regular(self, sorted(tests, key=lambda t: (durations.get(t, 0.0), t)))

    harness.PytestRunner._pytest_args_regular_run = fastest_first
    from mutmut.__main__ import cli

    jobs = os.environ.get("MUTATION_JOBS")
    if argv and argv[0] == "run" and jobs:
        argv = ["run", "--max-children", jobs, *argv[1:]]
    sys.argv = ["mutmut", *argv]
    cli()


def generate() -> None:
    """Write the mutants (no tests run) so they can be listed and sampled."""
    code = ("import sys; sys.argv=['mutmut'];"
            "from mutmut.__main__ import copy_src_dir, copy_also_copy_files, create_mutants;"
            "from mutmut.mutation.trampoline import set_mutant_under_test;"
            "import os; os.makedirs('mutants', exist_ok=True);"
            "set_mutant_under_test('mutant_generation');"
            "copy_src_dir(); copy_also_copy_files(); create_mutants(1)")
    subprocess.run(["nice", "-n", "19", sys.executable, "-c", code], cwd=STAGE, check=True,
                   stdout=subprocess.DEVNULL)
    # mutmut copies the package's other files (the bundled sample, templates) only once; bring
    # them up to date, or the tests read last week's sample.
    for path in (STAGE / "src").rglob("*"):
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
            dest = STAGE / "mutants" / path.relative_to(STAGE)
            if not dest.exists() or not filecmp.cmp(path, dest, shallow=False):
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)


def results(durations: dict[str, float] | None = None) -> dict[str, dict[str, int | None]]:
    """Every mutant's exit code (None: not run yet), by module; fills `durations` (seconds a
    worker spent on each mutant) when given."""
    by_module: dict[str, dict[str, int | None]] = {}
    for meta in sorted((STAGE / "mutants" / "src").rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        for name, code in data["exit_code_by_key"].items():
            by_module.setdefault(module_of(name), {})[name] = code
        if durations is not None:
            durations.update(data["durations_by_key"])
    return by_module


def selected(by_module, modules, sample: int, seed: int, exclude: str | None = None) -> dict[str, list[str]]:
    """The mutants to judge per module: all of them, or a fixed-seed sample of `sample`; with
    `exclude` ("SEED:N"), drawn from those the sample of N with that seed did not take (a held-out
    sample, for mutants nobody wrote tests against)."""
    chosen = {}
    left_out = set()
    if exclude:
        old_seed, old_sample = (int(x) for x in exclude.split(":"))
        left_out = {n for names in selected(by_module, modules, old_sample, old_seed).values() for n in names}
    for module, codes in by_module.items():
        if modules and not any(f".{m}." in f".{module}." for m in modules):  # ledger: each ledger module
            continue
        names = sorted(set(codes) - left_out)
        if sample and len(names) > sample:
            names = sorted(random.Random(f"{seed}:{module}").sample(names, sample))
        chosen[module] = names
    return chosen


def run(args) -> None:
    stage()
    generate()
    by_module = results()
    chosen = selected(by_module, args.module, args.sample, args.seed, args.exclude)
    todo = [n for names in chosen.values() for n in names if by_module[module_of(n)][n] in NOT_RUN]
    if args.rerun:
        todo = [n for names in chosen.values() for n in names
                if by_module[module_of(n)][n] not in KILLED]
    random.Random(args.seed).shuffle(todo)
    print(f"{sum(map(len, chosen.values()))} mutants selected, {len(todo)} to run", flush=True)
    started = time.monotonic()
    for i in range(0, len(todo), args.batch):
        batch = todo[i:i + args.batch]
        code = _mutmut("run", *batch, jobs=args.jobs)
        print(f"batch {i // args.batch + 1}: {len(batch)} mutants, exit {code}, "
              f"{time.monotonic() - started:.0f} s so far", flush=True)
        if code not in (0, 1):
            sys.exit(code)
    report(args)


def _function_lines(path: Path) -> dict[str, int]:
    """First line of every top-level function and method, under mutmut's mangled names."""
    lines = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines[f"x_{node.name}"] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    lines[f"xǁ{node.name}ǁ{item.name}"] = item.lineno
    return lines


def describe(names: list[str]) -> list[tuple[str, int, str, str]]:
    """(module, line, original line, mutated line) of each mutant, from mutmut's own diff."""
    code = ("import json, sys\nfrom mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant\n"
            "def diff(n):\n"
            "    try: return get_diff_for_mutant(n, path=find_mutant(n).path)\n"
            "    except Exception as e: return ''\n"
            "print(json.dumps({n: diff(n) for n in sys.argv[1:]}))")
    proc = subprocess.run([sys.executable, "-c", code, *names], cwd=STAGE, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"mutmut could not show the mutants: {proc.stderr.strip().splitlines()[-1:]}")
    diffs = json.loads(proc.stdout.strip().splitlines()[-1])
    out = []
    lines_by_file: dict[Path, dict[str, int]] = {}
    for name in names:
        module = module_of(name)
        path = STAGE / "src" / Path(*module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        lines = lines_by_file.setdefault(path, _function_lines(path))
        function = name[len(module) + 1:].partition("__mutmut_")[0]
        start = lines.get(function, 0)
        before = after = ""
        offset = 0
        body = diffs[name].splitlines()
        for row in body:
            if row.startswith("@@"):
                offset = int(row.split()[1].split(",")[0].lstrip("-")) - 1
                continue
            if row.startswith(("---", "+++")):
                continue
            if row.startswith("-") and not before:
                before = row[1:].strip()
                line = start + offset
            elif row.startswith("+") and not after:
                after = row[1:].strip()
            if not row.startswith("+"):
                offset += 1
        out.append((module, line if before else start, before, after))
    return out


def report(args) -> None:
    durations: dict[str, float] = {}
    by_module = results(durations)
    chosen = selected(by_module, getattr(args, "module", None), args.sample, args.seed, args.exclude)
    print("| module | mutants | judged | killed | survived | no tests | killed % | worker time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    survivors = []
    for module, names in sorted(chosen.items()):
        codes = [by_module[module][n] for n in names]
        judged = [c for c in codes if c not in NOT_RUN]
        killed = sum(c in KILLED for c in judged)
        no_tests = sum(c == 33 for c in judged)
        survived = len(judged) - killed - no_tests
        survivors += [n for n in names if by_module[module][n] not in KILLED | NOT_RUN]
        pct = f"{100 * killed / len(judged):.1f}" if judged else "-"
        spent = sum(durations.get(n, 0.0) for n in names)
        print(f"| {module} | {len(by_module[module])} | {len(judged)} | {killed} | {survived} "
              f"| {no_tests} | {pct} | {spent / 60:.0f} min |")
    if args.survivors and survivors:
        print()
        for module, line, before, after in describe(survivors):
            print(f"{module}:{line}\t{before}\t->\t{after}")


def listing(args) -> None:
    """Each sampled mutant not known killed, with its line: a worklist for writing tests."""
    by_module = results()
    chosen = selected(by_module, args.module, args.sample, args.seed, args.exclude)
    names = [n for ns in chosen.values() for n in ns if by_module[module_of(n)][n] not in KILLED]
    for (module, line, before, after), name in zip(describe(names), names):
        state = "not run" if by_module[module][name] in NOT_RUN else "survived"
        print(f"{name}\t{state}\t{module}:{line}\t{before}\t->\t{after}")


def main() -> None:
    if sys.argv[1:2] == ["_mutmut"]:
        return _patched_mutmut(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("run", "rerun", "report", "list"))
    parser.add_argument("--module", action="append", help="e.g. ledger.send, connectors.x, runfile")
    parser.add_argument("--sample", type=int, default=0, help="at most N mutants per module (0: all)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--exclude", metavar="SEED:N", help="leave out the sample of N that SEED draws (held out)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--survivors", action="store_true")
    args = parser.parse_args()
    args.rerun = args.command == "rerun"
    STAGE.mkdir(exist_ok=True)
    {"report": report, "list": listing}.get(args.command, run)(args)


if __name__ == "__main__":
    main()
