"""postgen benchmarks: generation speed-up, tokens, start-up, scale, dry-run, memory.

Run from the repository root with the project's venv:  python bench/run.py [--quick]

Figures are ratios against the naive way measured in the same run, so they hold on a noisy
machine. Nothing here touches the network: the OpenAI-compatible server is a local fake on
127.0.0.1 with a fixed latency (bench/fake_openai.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fake_openai import FakeOpenAI  # noqa: E402

HEAVY = ("tweepy", "praw", "prawcore", "openai", "requests", "youtube_transcript_api", "httpx", "httpx2", "rich", "pydantic", "yaml")
MUST_NOT = {"tweepy", "praw", "prawcore", "openai", "requests", "youtube_transcript_api"}
POSTGEN = [sys.executable, "-m", "postgen"]


def timed(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int, subprocess.CompletedProcess | None]:
    """Wall seconds and peak RSS (KiB) of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:  # files: pipes could fill up
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read().decode(), err.read().decode())
    return elapsed, usage.ru_maxrss, done


def median_time(cmd: list[str], cwd: Path, repeat: int, env: dict[str, str] | None = None) -> float:
    return statistics.median(timed(cmd, cwd, env)[0] for _ in range(repeat))


def medians_interleaved(cases: list[tuple[list[str], Path]], repeat: int, env: dict[str, str]) -> list[float]:
    """Median wall time of each (command, cwd), running them in turn `repeat` times."""
    times: list[list[float]] = [[] for _ in cases]
    for _ in range(repeat):
        for i, (cmd, cwd) in enumerate(cases):
            times[i].append(timed(cmd, cwd, env)[0])
    return [statistics.median(t) for t in times]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "X_", "REDDIT_", "LINKEDIN_", "POSTGEN_"))}
    env["POSTGEN_LOAD_PLUGINS"] = ""
    env.update(extra)
    return env


# --------------------------------------------------------------------------- generation


def sample_transcript() -> str:
    from postgen.sources.local import builtin_path, read_video_file, to_video

    path = builtin_path("builtin:sample")
    return to_video(read_video_file(path), path).transcript or ""


def generation(workdir: Path, latency: float, concurrency: int) -> dict:
    """One full `postgen run` against the fake server; times from the server's point of view."""
    work = workdir / f"gen-c{concurrency}"
    work.mkdir()
    (work / "postgen.toml").write_text(
        f'[[sources]]\ntype = "local"\npath = "builtin:sample"\n\n[generator]\nname = "openai"\nmodel = "bench"\n'
        f"concurrency = {concurrency}\nrepair_rounds = 2\nmax_retries = 0\n",
        encoding="utf-8",
    )
    with FakeOpenAI(latency) as server:
        env = clean_env(OPENAI_API_KEY="bench-not-a-key", OPENAI_BASE_URL=server.base_url)
        wall, rss, proc = timed(POSTGEN + ["run", "--dry-run"], work, env)
        requests = list(server.requests)
        span = (server.last_done - server.first_seen) if server.first_seen else 0.0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"postgen run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return {"wall": wall, "span": span, "calls": len(requests), "requests": requests, "rss_kib": rss}


def source_share(requests: list[dict], transcript: str) -> tuple[float, list[int]]:
    """How many times the transcript's text was sent (by paragraph), and prompt chars per call."""
    paragraphs = [p.strip() for p in transcript.split("\n\n") if len(p.strip()) > 40]
    sent = 0
    per_call = []
    for body in requests:
        text = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        per_call.append(len(text))
        sent += sum(len(p) for p in paragraphs if p in text)
    total = sum(len(p) for p in paragraphs) or 1
    return sent / total, per_call


def shared_prefix(requests: list[dict]) -> int:
    """Characters every draft prompt shares from the start: what the service can cache."""
    import os.path

    texts = ["\n".join(str(m.get("content", "")) for m in body.get("messages", [])) for body in requests]
    return len(os.path.commonprefix(texts)) if len(texts) > 1 else 0


# --------------------------------------------------------------------------- scale


def make_runs(runs_dir: Path, count: int) -> None:
    """`count` realistic run files of 15 posts, their schedules spread over past and future."""
    from postgen import runfile
    from postgen.models import Brief, Fact, Post, PostState, Run, Video

    runs_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    frameworks = ("hormozi", "garyvee", "naval", "storytelling", "aida")
    body = "A line of a post that says something useful about the video.\n" * 6
    for i in range(count):
        vid = f"v{i:010d}"
        created = now - timedelta(days=count - i)
        posts = [
            Post(
                id=f"{platform}-{fw}",
                platform=platform,
                framework=fw,
                title="A title for the subreddit" if platform == "reddit" else None,
                body=body,
                link=f"https://www.youtube.com/watch?v={vid}",
                state=PostState.published if i < count - 2 else PostState.ready,
                scheduled_at=created + timedelta(hours=j),
            )
            for j, (platform, fw) in enumerate((p, f) for p in ("linkedin", "x", "reddit") for f in frameworks)
        ]
        run = Run(
            id=f"{created.date().isoformat()}-{vid}",
            created=created,
            video=Video(id=vid, url=f"https://www.youtube.com/watch?v={vid}", title=f"Video {i}", channel="Bench"),
            brief=Brief(teaches="How to benchmark.", key_points=["one", "two"], facts=[Fact(claim="c", evidence="e")]),
            posts=posts,
            generator="offline",
        )
        runfile.save(runs_dir / f"{run.id}-{i}.md", run)


def scale(workdir: Path, sizes: list[int], repeat: int) -> dict:
    results = {}
    for n in sizes:
        work = workdir / f"scale-{n}"
        make_runs(work / "runs", n)
        env = clean_env()
        status = median_time(POSTGEN + ["status", "--json"], work, repeat, env)
        due = median_time(POSTGEN + ["publish", "--due", "--dry-run"], work, repeat, env)
        results[n] = {"status": status, "due_dry_run": due}
    return results


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter latency and fewer repeats (about a minute)")
    args = parser.parse_args()
    latency = 0.25 if args.quick else 1.0
    repeat = 3 if args.quick else 7
    rows: list[tuple[str, str]] = []

    def row(name: str, value: str) -> None:
        rows.append((name, value))
        print(f"{name:<44} {value}", flush=True)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}")
    with tempfile.TemporaryDirectory(prefix="postgen-bench-") as tmp:
        workdir = Path(tmp)

        # Generation against the fake server: postgen's normal mode vs one call at a time.
        from postgen.config import GeneratorConfig

        normal = generation(workdir, latency, GeneratorConfig().concurrency)
        naive = generation(workdir, latency, 1)
        row("fake server latency per call", f"{latency:.2f} s")
        row("calls per run (brief + drafts + repairs)", f"{normal['calls']} (naive: {naive['calls']})")
        row("generation wall, parallel (server span)", f"{normal['span']:.2f} s  (process {normal['wall']:.2f} s)")
        row("generation wall, sequential (server span)", f"{naive['span']:.2f} s  (process {naive['wall']:.2f} s)")
        speedup = naive["span"] / normal["span"] if normal["span"] else float("nan")
        print(f"speedup: {speedup:.1f}x   (limit for 16 calls in two dependent rounds: ~8x; target >= 5x)")
        rows.append(("speedup", f"{speedup:.1f}x"))

        transcript = sample_transcript()
        share, per_call = source_share(normal["requests"], transcript)
        row("source text sent per run / transcript", f"{share:.2f}x  (target <= 1.05x)")
        drafts = per_call[1:] or [0]
        row("prompt size per post (chars, ~tokens)", f"{statistics.mean(drafts):.0f} chars, ~{statistics.mean(drafts) / 4:.0f} tokens")
        row("brief prompt size (chars)", f"{per_call[0] if per_call else 0}")
        prefix = shared_prefix(normal["requests"][1:])
        row("shared (cacheable) prefix of draft prompts", f"{prefix} chars, {prefix / statistics.mean(drafts):.0%} of a draft prompt")

        # Start-up: against `python -c "import click"`, measured in the same run (target <= 3x).
        env = clean_env()
        empty = workdir / "empty"  # no runs, no postgen.toml
        empty.mkdir()
        # Interleaved, so a machine busy with other work slows all four alike and the ratios hold.
        help_t, status_t, pass_t, click_t = medians_interleaved(
            [(POSTGEN + ["--help"], workdir), (POSTGEN + ["status"], empty),
             ([sys.executable, "-c", "pass"], workdir), ([sys.executable, "-c", "import click"], workdir)],
            repeat * 5, env)
        row("postgen --help", f"{help_t * 1000:.0f} ms")
        row("postgen status (no runs)", f"{status_t * 1000:.0f} ms")
        row("python -c pass", f"{pass_t * 1000:.0f} ms")
        row("python -c 'import click'", f"{click_t * 1000:.0f} ms")
        row("start-up ratio: --help / import click", f"{help_t / click_t:.2f}x  (target <= 3x)")
        row("start-up ratio: status / import click", f"{status_t / click_t:.2f}x  (target <= 3x)")
        # Entry points looked up (POSTGEN_LOAD_PLUGINS unset): any installed plugin is loaded.
        scanned = {k: v for k, v in env.items() if k != "POSTGEN_LOAD_PLUGINS"}
        from importlib.metadata import entry_points

        installed = ", ".join(sorted(ep.name for ep in entry_points(group="postgen"))) or "none"
        help_ep = median_time(POSTGEN + ["--help"], workdir, repeat * 3, scanned)
        row(f"--help, plugins installed: {installed}", f"{help_ep * 1000:.0f} ms, {help_ep / click_t:.2f}x import click")
        probe = (
            "import sys; sys.argv=['postgen','--help']\nfrom postgen.cli import main\ntry: main()\nexcept SystemExit: pass\n"
            f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({list(HEAVY)!r}))))"
        )
        imported = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env).stdout.split("\n")[-2].split()
        bad = sorted(set(imported) & MUST_NOT)
        row("--help imports it should not", ", ".join(bad) or "none")
        row("--help imports (heavy-ish, allowed)", ", ".join(sorted(set(imported) - MUST_NOT)) or "none")

        # Scale.
        sizes = [1, 100, 1000]
        results = scale(workdir, sizes, repeat)
        for n in sizes[1:]:
            row(f"status --json over {n} runs ({n * 15} posts)", f"{results[n]['status']:.2f} s")
            row(f"publish --due --dry-run over {n} runs", f"{results[n]['due_dry_run']:.2f} s")
        # Growth net of start-up (the same command over one run: it imports what the others do):
        # (t1000 - t1) / (t100 - t1) against the 10x of linear.
        for key, label in (("status", "status"), ("due_dry_run", "publish --due --dry-run")):
            small, large = results[100][key] - results[1][key], results[1000][key] - results[1][key]
            growth = large / small if small > 0 else float("nan")
            row(f"{label}: growth 100 -> 1000 runs (net of start-up)", f"{growth:.1f}x (linear: 10x)")

        # Dry-run of one run, and peak memory of a run (offline generator).
        one = workdir / "one"
        one.mkdir()
        t_run, rss, proc = timed(POSTGEN + ["run", "--dry-run"], one, clean_env())
        row("postgen run --dry-run (offline generator)", f"{t_run:.2f} s, peak RSS {rss / 1024:.0f} MiB")
        row("peak RSS of a run (openai generator, fake server)", f"{normal['rss_kib'] / 1024:.0f} MiB")
        dry = median_time(POSTGEN + ["publish", "latest", "--dry-run"], one, repeat, clean_env())
        row("publish RUN --dry-run (one run, 15 posts)", f"{dry:.2f} s  (target < 0.5 s)")

    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(dict(rows), indent=2))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
