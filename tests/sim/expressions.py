"""GitHub Actions expressions (`${{ ... }}` and `if:`), enough of them to run postgen's workflow.

Literals, context paths (`steps.publish.outcome`, `github.event.repository.default_branch`),
`!`, `&&`, `||` (which return an operand, so `a || b` is a fallback), `==`/`!=` (strings compare
case-insensitively, other mixed types as numbers), and the functions the workflow may use. An
unknown function or character is an error, so a workflow change the emulator does not
understand fails the simulation instead of being read wrongly.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

TOKEN = re.compile(r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])"
                   r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))")
TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot read expression {text!r} at {text[pos:]!r}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip() or 0)
    except ValueError:
        return float("nan")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b):
        return a == b
    return _number(a) == _number(b)


def as_text(value: Any) -> str:
    """How an expression's value is written into a string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


class Evaluator:
    """`contexts`: {"github": {...}, "steps": {...}, ...}; `status`: {"success": f, "failure": f,
    "cancelled": f, "always": f} for the status functions."""

    def __init__(self, contexts: dict[str, Any], status: dict[str, Callable[[], bool]] | None = None):
        self.contexts = contexts
        self.status = status or {}
        self.used_status = False

    def evaluate(self, text: str) -> Any:
        match = re.fullmatch(r"\s*\$\{\{(.*)\}\}\s*", text, re.S)
        self.tokens, self.pos = _tokens(match.group(1) if match else text), 0
        value = self._or()
        if self.pos != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.pos][1]!r} in {text!r}")
        return value

    def condition(self, text: str | bool | None, default: str = "success()") -> bool:
        """An `if:`: with no status function in it, GitHub ands it with success()."""
        if text is None:
            text = default
        if isinstance(text, bool):
            text = "true" if text else "false"
        self.used_status = False
        value = truthy(self.evaluate(str(text)))
        if not self.used_status:
            value = value and self.status["success"]()
        return value

    def interpolate(self, text: Any) -> Any:
        if not isinstance(text, str):
            return text
        return TEMPLATE.sub(lambda m: as_text(Evaluator(self.contexts, self.status).evaluate(m.group(1))), text)

    # ---- the grammar: or -> and -> comparison -> unary -> primary

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self, value: str | None = None) -> tuple[str, str]:
        token = self._peek()
        if token is None or (value is not None and token[1] != value):
            raise ValueError(f"expected {value!r}, got {token!r}")
        self.pos += 1
        return token

    def _or(self) -> Any:
        return self._chain("||", self._and, lambda left, right: left if truthy(left) else right)

    def _and(self) -> Any:
        return self._chain("&&", self._comparison, lambda left, right: right if truthy(left) else left)

    def _chain(self, op: str, operand: Callable[[], Any], pick: Callable[[Any, Any], Any]) -> Any:
        """`a op b op c`, left to right; `pick` chooses the operand the operator returns."""
        value = operand()
        while self._peek() == ("op", op):
            self._take()
            value = pick(value, operand())
        return value

    def _comparison(self) -> Any:
        value = self._unary()
        token = self._peek()
        if token and token[0] == "op" and token[1] in ("==", "!=", "<", ">", "<=", ">="):
            self._take()
            right = self._unary()
            op = token[1]
            if op == "==":
                return _equal(value, right)
            if op == "!=":
                return not _equal(value, right)
            a, b = _number(value), _number(right)
            return {"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[op]
        return value

    def _unary(self) -> Any:
        if self._peek() == ("op", "!"):
            self._take()
            return not truthy(self._unary())
        return self._primary()

    def _primary(self) -> Any:
        kind, text = self._take()
        if kind == "number":
            return float(text)
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "op" and text == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "name":
            raise ValueError(f"unexpected {text!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self._peek() == ("op", "("):
            return self._call(text)
        value: Any = self.contexts.get(text)
        if text not in self.contexts:
            raise ValueError(f"unknown context {text!r}")
        while self._peek() in (("op", "."), ("op", "[")):
            if self._take()[1] == ".":
                key = self._take()[1]
            else:
                key = as_text(self._or())
                self._take("]")
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def _call(self, name: str) -> Any:
        self._take("(")
        args = []
        while self._peek() != ("op", ")"):
            args.append(self._or())
            if self._peek() == ("op", ","):
                self._take()
        self._take(")")
        if name in ("success", "failure", "cancelled", "always"):
            self.used_status = True
            return self.status[name]()
        if name == "format":
            return re.sub(r"\{(\d+)\}", lambda m: as_text(args[1 + int(m.group(1))]), args[0])
        if name == "contains":
            hay, needle = args
            if isinstance(hay, list):
                return any(_equal(item, needle) for item in hay)
            return as_text(needle).casefold() in as_text(hay).casefold()
        if name == "startsWith":
            return as_text(args[0]).casefold().startswith(as_text(args[1]).casefold())
        if name == "fromJSON":
            return json.loads(args[0])
        raise ValueError(f"the simulation does not know the function {name}()")
