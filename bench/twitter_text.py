"""Speed of X's weighted length (connectors/_twitter_text.py): per call, warm and cold.

Run from the repository root with the project's venv:

    python bench/twitter_text.py                  # the installed postgen
    python bench/twitter_text.py --module FILE    # another implementation file, e.g. an older one
                                                  # (git show REV:connectors/_twitter_text.py > FILE)

Prints microseconds per `weighted_length` call over typical X posts and over the 3,000-text
conformance corpus of tests/twitter_text_oracle.py, and the cold cost (import plus first call, in a
fresh process, where the URL grammar is compiled). Nothing is asserted: figures go in reports.
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


def cold_ms(module: Path | None, repeat: int) -> float:
    """Import plus first call in a fresh interpreter, minus the interpreter's own start."""
    load_line = ("from postgen.connectors._twitter_text import weighted_length" if module is None else
                 f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import twitter_text as b; "
                 f"weighted_length = b.load(__import__('pathlib').Path({str(module)!r})).weighted_length")
    code = f"import time; t = time.perf_counter(); {load_line}; weighted_length({POSTS[1]!r}); print(time.perf_counter() - t)"
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
    print(f"cold (import + first call):     {cold_ms(args.module, args.repeat):8.1f} ms")


if __name__ == "__main__":
    main()
