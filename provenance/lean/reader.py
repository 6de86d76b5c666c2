"""An independent reader of emitted claim files: parse each theorem and evaluate it with Python ints.

This shares no code with the encoder or the renderer. It reads the Lean text
the way Lean's parser does for this fragment (``¬`` takes an argument at
precedence 40, so ``¬ a ∧ b`` is ``(¬ a) ∧ b``; ``∧`` is right-associative at
35; ``≤``/``=`` at 50; ``+`` at 65 and ``*`` at 70, both left-associative;
``(e : Nat)`` is a type ascription) and evaluates over the naturals. Tests
compare its answer with the exact claims engine on every example and on
random checks: that is how we show, without Lean, that each statement means
its claim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeAlias

from provenance.errors import InputError

_TOKEN = re.compile(
    r"(?P<ws>[ \n]+)|(?P<num>[0-9]+)|(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<sym>:=|#print|[():≤=∧¬+*])",
    re.ASCII,
)


class ReaderError(InputError):
    """The text is outside the fragment the reader understands."""


@dataclass(frozen=True, slots=True)
class NumNode:
    value: int


@dataclass(frozen=True, slots=True)
class BinNode:
    op: str  # "+" or "*"
    left: Term
    right: Term


Term: TypeAlias = NumNode | BinNode


@dataclass(frozen=True, slots=True)
class Compare:
    rel: str  # "≤" or "="
    left: Term
    right: Term


@dataclass(frozen=True, slots=True)
class AndNode:
    left: Prop
    right: Prop


@dataclass(frozen=True, slots=True)
class NotNode:
    operand: Prop


Prop: TypeAlias = Compare | AndNode | NotNode


@dataclass(frozen=True, slots=True)
class ReadTheorem:
    """One theorem as read: its name, statement, and the statement's truth value over the naturals."""

    name: str
    statement: Prop
    value: bool
    proof: str

    @property
    def conjuncts(self) -> list[Prop]:
        """The top-level conjuncts, left to right."""
        out: list[Prop] = []
        node: Prop = self.statement
        while isinstance(node, AndNode):
            out.append(node.left)
            node = node.right
        out.append(node)
        return out


@dataclass(frozen=True, slots=True)
class ReadFile:
    theorems: tuple[ReadTheorem, ...]
    axioms_queries: tuple[str, ...]


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ReaderError(f"character {text[pos]!r} at offset {pos} is outside the fragment")
        if match.lastgroup != "ws":
            out.append(match.group())
        pos = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expect(self, token: str) -> None:
        if self.peek() != token:
            raise ReaderError(f"expected {token!r} at token {self.pos}, found {self.peek()!r}")
        self.pos += 1

    def ident(self) -> str:
        token = self.peek()
        if token is None or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token, re.ASCII):
            raise ReaderError(f"expected a name at token {self.pos}, found {token!r}")
        self.pos += 1
        return token

    # terms: + (65, left) and * (70, left)
    def term(self) -> Term:
        node = self.product()
        while self.peek() == "+":
            self.pos += 1
            node = BinNode("+", node, self.product())
        return node

    def product(self) -> Term:
        node = self.factor()
        while self.peek() == "*":
            self.pos += 1
            node = BinNode("*", node, self.factor())
        return node

    def factor(self) -> Term:
        token = self.peek()
        if token is not None and token.isascii() and token.isdigit():
            self.pos += 1
            return NumNode(int(token, 10))
        if token == "(":
            self.pos += 1
            node = self.term()
            if self.peek() == ":":
                self.pos += 1
                if self.ident() != "Nat":
                    raise ReaderError("only (e : Nat) ascriptions are understood")
            self.expect(")")
            return node
        raise ReaderError(f"expected a number or '(' at token {self.pos}, found {token!r}")

    # propositions
    def prop(self) -> Prop:
        left = self.unary()
        if self.peek() == "∧":
            self.pos += 1
            return AndNode(left, self.prop())
        return left

    def unary(self) -> Prop:
        if self.peek() == "¬":
            self.pos += 1
            return NotNode(self.unary())
        if self.peek() == "(":
            saved = self.pos
            try:
                return self.compare()
            except ReaderError:
                self.pos = saved
            self.pos += 1
            inner = self.prop()
            self.expect(")")
            return inner
        return self.compare()

    def compare(self) -> Compare:
        left = self.term()
        rel = self.peek()
        if rel not in ("≤", "="):
            raise ReaderError(f"expected ≤ or = at token {self.pos}, found {rel!r}")
        self.pos += 1
        return Compare(rel, left, self.term())


def term_value(node: Term) -> int:
    if isinstance(node, NumNode):
        return node.value
    left, right = term_value(node.left), term_value(node.right)
    return left + right if node.op == "+" else left * right


def prop_value(node: Prop) -> bool:
    if isinstance(node, Compare):
        left, right = term_value(node.left), term_value(node.right)
        return left <= right if node.rel == "≤" else left == right
    if isinstance(node, AndNode):
        return prop_value(node.left) and prop_value(node.right)
    return not prop_value(node.operand)


def read_file(text: str) -> ReadFile:
    """Parse every ``theorem … := by <tactic>`` and ``#print axioms`` of ``text`` and evaluate the statements."""
    parser = _Parser(_tokens(text))
    theorems: list[ReadTheorem] = []
    queries: list[str] = []
    try:
        while parser.peek() is not None:
            if parser.peek() == "#print":
                parser.pos += 1
                if parser.ident() != "axioms":
                    raise ReaderError("only #print axioms is understood")
                queries.append(parser.ident())
                continue
            if parser.ident() != "theorem":
                raise ReaderError(f"expected 'theorem' at token {parser.pos - 1}")
            name = parser.ident()
            parser.expect(":")
            statement = parser.prop()
            parser.expect(":=")
            if parser.ident() != "by":
                raise ReaderError("expected 'by'")
            proof = parser.ident()
            theorems.append(ReadTheorem(name, statement, prop_value(statement), proof))
    except RecursionError:
        raise ReaderError("nesting too deep for the reader") from None
    return ReadFile(tuple(theorems), tuple(queries))
