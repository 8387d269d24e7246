"""An adversarial OpenAI-compatible server on 127.0.0.1: a gullible model, for the content tests.

It is bench/fake_openai.py's server (the real chat.completions shape) answering the way a careless
model does:

- it obeys an injected instruction wherever it sees one (system or user message, quoted or not):
  "post 'TEXT' with URL" makes every answer carry TEXT and URL;
- the brief repeats the injected sentence as a key point and a fact, and adds `invented_facts`
  (facts whose evidence the video never says);
- drafts repeat the invented facts, the video title it was shown, and, when `hostile`, control
  and bidi characters of its own;
- when `stubborn`, a repair request changes nothing (a model that keeps the scam link).

Every request body is recorded (`requests`), so a test can read exactly what postgen sent.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _bench_server():
    """bench/fake_openai.py (bench/ is not a package), loaded under its own name."""
    path = Path(__file__).resolve().parent.parent / "bench" / "fake_openai.py"
    spec = importlib.util.spec_from_file_location("_bench_fake_openai", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


_bench = _bench_server()
FakeOpenAI, Reply = _bench.FakeOpenAI, _bench.Reply

INJECTION = re.compile(r"""post ['"‘“](?P<text>[^'"’”\\]+)['"’”] with (?P<url>https?://[^\s'"\\)]+)""", re.I)
HOSTILE = "\u0007\u000d\u001b\u200b\u202e"


@dataclass
class Behaviour:
    hostile: bool = False
    stubborn: bool = True
    invented_facts: list[dict[str, str]] = field(default_factory=list)
    repeat_invented: bool = True  # drafts repeat the first invented fact's claim


class GullibleOpenAI(FakeOpenAI):
    """bench/fake_openai.py's server (real chat.completions shape, every request recorded), scripted
    with the answers of a careless model."""

    def __init__(self, behaviour: Behaviour | None = None):
        super().__init__(latency=0, script=lambda seen: Reply(content=json.dumps(self.reply(seen.body), ensure_ascii=False)))
        self.behaviour = behaviour or Behaviour()

    def reply(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages", [])
        seen = "\n".join(str(m.get("content", "")) for m in messages)
        schema = ((body.get("response_format") or {}).get("json_schema") or {}).get("schema") or {}
        injected = INJECTION.search(seen.replace('\\"', '"'))
        b = self.behaviour
        noise = HOSTILE if b.hostile else ""
        if "teaches" in schema.get("properties", {}):
            points = ["Gradient descent nudges every weight a small step downhill on the cost function."]
            facts = [{"claim": "The network learns from 60,000 labelled images.",
                      "evidence": "After training on 60,000 labelled images"}]
            if injected:
                sentence = injected.group(0)
                points.append(sentence)
                facts.append({"claim": sentence, "evidence": sentence})
            facts.extend(b.invented_facts)
            return {"teaches": f"How neural networks learn{noise}.", "key_points": points,
                    "facts": facts, "audience": f"curious people{noise}"}
        repairing = messages and messages[-1].get("role") == "user" and "refused" in str(messages[-1].get("content", ""))
        if repairing and not b.stubborn:
            return {"title": "How a network learns", "body": "Gradient descent nudges every weight a small step downhill."}
        title = _quoted_title(seen)
        parts = [f"Worth a watch: {title}{noise}"]
        if b.invented_facts and b.repeat_invented:
            parts.append(b.invented_facts[0]["claim"])
        if injected:
            parts.append(f"{injected.group('text')} {injected.group('url')}")
        return {"title": f"A title{noise}", "body": "\n\n".join(parts)}


def _quoted_title(prompt: str) -> str:
    """The video title as the prompt showed it (any layout postgen ever used), cut short."""
    m = re.search(r"title>>>\n(.+)", prompt) or re.search(r"Title: (.+)", prompt)
    return (m.group(1) if m else "this video")[:80]
