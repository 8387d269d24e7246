"""Throwaway connectors and a sample video for the generation tests.

The real connectors come from another branch; these apply the same limits (X 280 weighted,
LinkedIn 3000, Reddit title 300 / body 40,000) so repair and readiness are exercised for real.
"""

from __future__ import annotations

import sys
import types

from postgen import hookimpl
from postgen.connector import Connector
from postgen.models import Problem, Video


def _too_long(n: int, limit: int, what: str = "characters", code: str = "too_long") -> Problem:
    return Problem(severity="error", code=code, message=f"{n} of {limit} {what}; cut {n - limit}")


class FakeX(Connector):
    name, label, limit = "x", "X/TWITTER", 280

    def style(self) -> str:
        return "X: at most 280 weighted characters (emoji and CJK count 2, URLs 23). No markdown."

    def measure(self, text: str) -> int:
        from postgen.connectors.x import weighted_length

        return weighted_length(text)

    def validate(self, post):
        n = self.measure(post.body)
        problems = [] if n <= self.limit else [_too_long(n, self.limit, "weighted characters")]
        if not post.body.strip():
            problems.append(Problem(severity="error", code="empty", message="empty post"))
        return problems


class FakeLinkedIn(Connector):
    name, label, limit = "linkedin", "LINKEDIN", 3000

    def style(self) -> str:
        return "LinkedIn: commentary up to 3000 characters; plain text, no markdown; hook before the fold."

    def validate(self, post):
        n = len(post.body)
        return [] if n <= self.limit else [_too_long(n, self.limit)]


class FakeReddit(Connector):
    name, label, limit, has_title = "reddit", "REDDIT", 40000, True

    def style(self) -> str:
        return "Reddit: a title (1-300 characters) and a self-text body up to 40000 characters; markdown is fine."

    def validate(self, post):
        problems = []
        title = post.title or ""
        if not 1 <= len(title) <= 300:
            problems.append(Problem(severity="error", code="title_length", message=f"title is {len(title)} characters; Reddit allows 1 to 300"))
        if len(post.body) > self.limit:
            problems.append(_too_long(len(post.body), self.limit))
        return problems


def install(*classes) -> None:
    """Register `classes` (default: all three) as one plugin, after a clean plugin manager."""
    from postgen import registry
    from postgen.plugins import get_plugin_manager, reset_plugin_manager

    classes = classes or (FakeLinkedIn, FakeX, FakeReddit)
    module = types.ModuleType("fake_connectors")

    @hookimpl
    def postgen_register_connectors(register):
        for cls in classes:
            register(cls)

    module.postgen_register_connectors = postgen_register_connectors
    reset_plugin_manager()
    pm = get_plugin_manager()
    for cls in classes:  # the fakes stand in for the built-in connectors of the same name
        builtin = f"postgen.connectors.{cls.name}"
        if pm.has_plugin(builtin):
            pm.unregister(name=builtin)
    pm.register(module, name="fake_connectors")
    registry.reset()


TRANSCRIPT = (
    "In the last video we saw how a neural network is structured. Today we ask how it learns. "
    "The network starts with random weights and biases, so at first its answers are garbage. "
    "We define a cost function that measures how wrong the network is on the training examples. "
    "Learning means finding weights and biases that make this cost function as small as possible. "
    "Gradient descent is the trick: compute which direction lowers the cost fastest, then take a small step that way. "
    "The gradient of the cost function tells you how to nudge each of the 13,000 weights and biases. "
    "Think of a ball rolling downhill in a landscape with thousands of dimensions. "
    "Each step uses the average over many training examples, which is why good data matters so much. "
    "Backpropagation is the algorithm for computing that gradient efficiently. "
    "After training on 60,000 labelled images the network classifies about 98% of new digits correctly. "
    "But looking at what the hidden layers learned shows they do not pick up the neat edges and loops we hoped for. "
    "So the network learns to minimise the cost, which is not quite the same as understanding."
)


def sample_video(**changes) -> Video:
    data = dict(
        id="IHZwWFHWa-w",
        url="https://www.youtube.com/watch?v=IHZwWFHWa-w",
        title="Gradient descent, how neural networks learn",
        channel="3Blue1Brown",
        description="How neural networks learn, using gradient descent to minimise a cost function.",
        transcript=TRANSCRIPT,
        duration=1260,
        source="test",
    )
    data.update(changes)
    return Video(**data)


def use_module(name: str):
    return sys.modules[name]
