"""Speed of X's weighted length (connectors/_twitter_text.py): per call, warm and cold.

Run from the repository root with the project's venv:

    python bench/twitter_text.py                  # the installed postgen
    python bench/twitter_text.py --module FILE    # another implementation file, e.g. an older one
                                                  # (git show REV:connectors/_twitter_text.py > FILE)

Prints microseconds per `weighted_length` call over typical X posts and over the 3,000-text
conformance corpus of tests/twitter_text_oracle.py, milliseconds for two 25,000-character texts, and the cold cost (loading the module plus the
first call, in a fresh process: the URL grammar and the emoji table load then). Nothing is
asserted: figures go in reports.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

POSTS = [
    "Most people study by rereading. It feels productive and teaches almost nothing. Test yourself "
    "instead: close the book, write what you remember, check. Ten minutes a day beats an hour of "
    "highlighting. Full talk: https://www.youtube.com/watch?v=IHZwWFHWa-w 🔥",
    "3 things I learned building on bolt.new and deno.land this week:\n\n1. Ship the ugly version\n"
    "2. Measure before you optimise\n3. Write it down\n\nSlides at slides.zip (yes, that's a domain) 👇",
    "The one question that changed how I plan my week: what would make everything else easier? "
    "Answer it every Monday, do that first. #productivity #focus",
    "Naval: 'Learn to sell, learn to build.' Here is what that looked like for me, in one thread "
    "(with the numbers) 🧵👩‍💻 https://example.com/notes/2026/naval_(talk)",
    "日本語の投稿もあります。詳しくは https://example.jp/記事 をご覧ください。とても参考になりました！",
]


# Premium posts may hold 25,000 characters; text with few spaces and ASCII full stops is where a
# regex-engine URL scan can turn quadratic.
LONG = {
    "25,000 chars, Japanese with '.'": ("日本語の文章です." * 2800)[:25000],
    "25,000 chars, English with URLs": ("see bolt.new/x, then (https://a.com/b). " * 700)[:25000],
}


def load(module: Path | None):
    if module is None:
        from postgen.connectors import _twitter_text

        return _twitter_text
    spec = importlib.util.spec_from_file_location("twitter_text_under_test", module)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def per_call_us(fn, texts: list[str], repeat: int) -> float:
    fn(texts[0])  # compile lazily built patterns outside the timing
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            fn(text)
        runs.append((time.perf_counter() - start) / len(texts) * 1e6)
    return statistics.median(runs)


def cold_ms(module: Path, repeat: int) -> float:
    """Loading the module file plus its first call, in a fresh interpreter (the module is loaded by
    path for old and new alike, so postgen's own package import is not counted)."""
    code = (f"import sys, time; sys.path.insert(0, {str(Path(__file__).parent)!r}); import twitter_text as b; "
            f"t = time.perf_counter(); b.load(__import__('pathlib').Path({str(module)!r})).weighted_length({POSTS[1]!r}); "
            "print(time.perf_counter() - t)")
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
             for _ in range(repeat)]
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", type=Path, help="implementation file to measure instead of the installed one")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    impl = load(args.module)
    from twitter_text_oracle import corpus

    texts = corpus(3000)
    print(f"implementation: {args.module or impl.__file__}")
    print(f"typical X posts ({len(POSTS)}):      {per_call_us(impl.weighted_length, POSTS * 200, args.repeat):8.1f} µs per call")
    print(f"conformance corpus ({len(texts)}): {per_call_us(impl.weighted_length, texts, args.repeat):8.1f} µs per call")
    for name, text in LONG.items():
        print(f"{name + ':':31} {per_call_us(impl.weighted_length, [text], args.repeat) / 1000:8.1f} ms per call")
    print(f"cold (import + first call):     {cold_ms(args.module or Path(impl.__file__), args.repeat):8.1f} ms")


if __name__ == "__main__":
    main()
