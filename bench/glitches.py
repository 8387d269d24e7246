"""Generation glitches: what a run loses to one-off bad answers and how much it sends after an
exhausted quota, against the local fake OpenAI server (127.0.0.1, no network).

    python bench/glitches.py

Prints, for the postgen that is importable (run it with PYTHONPATH pointing at an older copy to
compare): ready posts when the first answer to every prompt is malformed, calls recorded in the
run's usage against calls the server received, and requests the server received after it sent
the first `insufficient_quota` refusal (beyond those already in flight).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fake_openai import FakeOpenAI, Reply, schema_answer  # noqa: E402

GLITCHES = (
    '{"title": "What a single video taught me", "body": "One idea from this talk',  # cut off
    '```json\n{"title": "What a single video taught me", "body": "One idea."}\n```',  # fenced
    '{"text": "One idea from this talk changed how I study."}',  # off the schema
)
REFUSAL = {"error": {"message": "You exceeded your current quota, please check your plan and billing details.",
                     "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}}


def _video():
    from postgen.models import Video

    return Video(id="bench-glitch", url="https://www.youtube.com/watch?v=IHZwWFHWa-w", title="Gradient descent",
                 channel="3Blue1Brown", transcript="Gradient descent nudges each weight downhill. " * 40, source="bench")


def _generate(server: FakeOpenAI, **generator):
    from postgen.config import parse_config
    from postgen.pipeline import generate
    from postgen.plugins import reset_plugin_manager

    os.environ.update(OPENAI_API_KEY="bench-key", OPENAI_BASE_URL=server.base_url, POSTGEN_LOAD_PLUGINS="")
    reset_plugin_manager()
    return generate(parse_config({"generator": {"name": "openai", **generator}}), _video())


def glitches() -> None:
    seen: set[str] = set()
    lock = threading.Lock()

    def script(request):
        prompt = json.dumps(request.body["messages"], sort_keys=True)
        with lock:
            first, n = prompt not in seen, len(seen)
            seen.add(prompt)
        if first:
            return Reply(content=GLITCHES[n % len(GLITCHES)])
        answer = json.loads(schema_answer(request.body))
        if "body" in answer:
            answer["body"] = f"Lesson {n}: one idea from this talk changed how I study. Practice beats rereading."
        return Reply(content=json.dumps(answer))

    def brief_ok(request):  # the case: the brief went through, drafts glitched
        if "Platform:" not in json.dumps(request.body["messages"]):
            return Reply(content=schema_answer(request.body))
        return script(request)

    with FakeOpenAI(latency=0.05, script=brief_ok) as server:
        run = _generate(server, max_retries=2)
    ready = sum(p.state.value == "ready" for p in run.posts)
    print(f"malformed first answer per post: {ready}/{len(run.posts)} ready; "
          f"calls recorded {run.usage.calls}, calls the server received {len(server.requests)}")


def quota(concurrency: int) -> None:
    lock = threading.Lock()
    refused: list = []

    def script(request):
        if "Platform:" not in json.dumps(request.body["messages"]):
            return None
        with lock:
            first = not refused
            if first:
                refused.append(request)
        return Reply(status=429, body=REFUSAL, delay=0.2) if first else Reply(status=429, body=REFUSAL, delay=0.5)

    with FakeOpenAI(latency=0.05, script=script) as server:
        try:
            _generate(server, max_retries=2, concurrency=concurrency)
        except Exception as exc:  # the run stops with a quota error, as it should
            outcome = type(exc).__name__
        else:
            outcome = "no error"
    cut = refused[0].answered
    after = sum(s.arrived > cut for s in server.log)
    in_flight = sum(s.arrived <= cut < (s.answered or 0) for s in server.log if s is not refused[0])
    print(f"insufficient_quota on every draft, concurrency {concurrency}: {after} requests after the first refusal "
          f"({in_flight} were in flight); {len(server.requests)} in all; run ended with {outcome}")


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        glitches()
        quota(16)
        quota(4)
