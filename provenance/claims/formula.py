"""The formula language of claim checks: tokenizer, parser, AST and exact evaluator.

Grammar (ASCII only, whitespace between tokens ignored)::

    expr    := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | primary
    primary := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"
    NUMBER  := [0-9]+ ("." [0-9]+)?
    NAME    := [A-Za-z_][A-Za-z0-9_]*

Functions: ``mean sum min max`` (one or more arguments), ``abs(x)``,
``difference(a, b)`` = a - b, ``ratio(a, b)`` = a / b,
``percent_change(old, new)`` = 100 * (new - old) / old. A bare aggregate name
(``"mean"``) that is not an input stands for that aggregate over all inputs,
in the order given. ``+ - * /`` associate to the left.

The AST is five frozen dataclasses (:class:`Num`, :class:`Name`, :class:`Neg`,
:class:`BinOp`, :class:`Call`); calls are kept as written, never desugared, so
a translator (the Lean encoder) sees what the claim said. Evaluation is exact
over :class:`fractions.Fraction`. Nothing here uses ``eval`` or ``ast``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Literal, TypeAlias

from provenance.claims.errors import (
    ArityError,
    DivisionByZero,
    FormulaSyntaxError,
    FormulaTooComplex,
    UnknownName,
    ValueTooLarge,
)
from provenance.decimal_text import MAX_DECIMAL_CHARS, parse_decimal

MAX_FORMULA_CHARS = 2000
"""Longest formula text accepted."""
MAX_NESTING = 32
"""Deepest nesting of parentheses, calls and unary minus."""
MAX_DEPTH = 128
"""Deepest AST accepted (a chain ``a + b + c`` has depth 3)."""
MAX_NODES = 1000
"""Most AST nodes accepted (after a bare aggregate is expanded)."""
MAX_VALUE_DIGITS = 1000
"""Most decimal digits in the numerator or the denominator (in lowest terms) of any value a formula reaches,
intermediate or final. Inputs have at most 99 digits; a product of a few dozen of them would be too large to
print (Python refuses int-to-text beyond 4,300 digits), so evaluation stops with :class:`ValueTooLarge`."""
_MAX_VALUE_BITS = (MAX_VALUE_DIGITS * 3321928) // 1000000
"""The cheap first test: an integer of at most this many bits is below 2**bits <= 10**MAX_VALUE_DIGITS
(log2(10) > 3.321928), so it has at most :data:`MAX_VALUE_DIGITS` digits."""
_VALUE_LIMIT = 10**MAX_VALUE_DIGITS
"""The smallest integer with more than :data:`MAX_VALUE_DIGITS` digits: the exact test."""

AGGREGATES: frozenset[str] = frozenset({"mean", "sum", "min", "max"})
"""Functions of one or more arguments; their bare name means "over all inputs"."""
FUNCTIONS: Mapping[str, int | None] = {
    "mean": None,
    "sum": None,
    "min": None,
    "max": None,
    "abs": 1,
    "difference": 2,
    "ratio": 2,
    "percent_change": 2,
}
"""Every function name and its fixed arity (``None``: one or more)."""

Op: TypeAlias = Literal["+", "-", "*", "/"]


@dataclass(frozen=True, slots=True)
class Num:
    """A decimal literal: its exact ``value`` and the ``text`` it was written as."""

    value: Fraction
    text: str


@dataclass(frozen=True, slots=True)
class Name:
    """A reference to the check input called ``name``."""

    name: str


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class BinOp:
    """``left op right`` with ``op`` one of ``+ - * /``."""

    op: Op
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Call:
    """``func(args...)`` with ``func`` a key of :data:`FUNCTIONS`."""

    func: str
    args: tuple[Expr, ...]


Expr: TypeAlias = Num | Name | Neg | BinOp | Call


# ---------------------------------------------------------------- tokenizer

@dataclass(frozen=True, slots=True)
class Token:
    kind: Literal["num", "name", "op", "(", ")", ",", "end"]
    text: str
    column: int  # 1-based


_TOKEN = re.compile(
    r"(?P<ws>[ \t]+)|(?P<num>[0-9]+(?:\.[0-9]+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>[-+*/])|(?P<punct>[(),])",
    re.ASCII,
)


def tokenize(text: str, *, where: str = "formula") -> list[Token]:
    """Split ``text`` into tokens ending with an ``end`` token; :class:`FormulaSyntaxError` on a stray character."""
    if len(text) > MAX_FORMULA_CHARS:
        raise FormulaTooComplex(
            f"formula is {len(text)} characters, over the limit of {MAX_FORMULA_CHARS}",
            where=where,
            remedy="split the claim into smaller checks",
        )
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            ch = text[pos]
            shown = ch if ch.isprintable() and ch.isascii() else f"U+{ord(ch):04X}"
            extra = ""
            if ch == ".":
                extra = ' (write decimals as "0.5", with digits on both sides of the point)'
            raise FormulaSyntaxError(
                f"unexpected character {shown!r} at column {pos + 1}{extra}",
                where=where,
                remedy="use decimal numbers, input names, + - * /, parentheses and the functions "
                + ", ".join(sorted(FUNCTIONS)),
            )
        kind = match.lastgroup
        value = match.group()
        if kind == "num":
            if len(value) > MAX_DECIMAL_CHARS:
                raise FormulaTooComplex(
                    f"number at column {pos + 1} has {len(value)} characters, over the limit of {MAX_DECIMAL_CHARS}",
                    where=where,
                    remedy="give a shorter number",
                )
            tokens.append(Token("num", value, pos + 1))
        elif kind == "name":
            tokens.append(Token("name", value, pos + 1))
        elif kind == "op":
            tokens.append(Token("op", value, pos + 1))
        elif kind == "punct":
            tokens.append(Token(value, value, pos + 1))  # type: ignore[arg-type]
        pos = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


# ---------------------------------------------------------------- parser

class _Parser:
    def __init__(self, tokens: list[Token], input_names: Sequence[str], where: str) -> None:
        self.tokens = tokens
        self.pos = 0
        self.inputs = tuple(input_names)
        self.input_set = frozenset(input_names)
        self.where = where
        self.nesting = 0

    def peek(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def fail(self, message: str, token: Token) -> FormulaSyntaxError:
        place = "at the end" if token.kind == "end" else f"at column {token.column}"
        return FormulaSyntaxError(f"{message} {place}", where=self.where, remedy="fix the formula")

    def enter(self, token: Token) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise FormulaTooComplex(
                f"formula nests deeper than {MAX_NESTING} levels at column {token.column}",
                where=self.where,
                remedy="flatten the formula",
            )

    def expr(self) -> Expr:
        node = self.term()
        while self.peek().kind == "op" and self.peek().text in "+-":
            op = self.take().text
            node = BinOp(op, node, self.term())  # type: ignore[arg-type]
        return node

    def term(self) -> Expr:
        node = self.unary()
        while self.peek().kind == "op" and self.peek().text in "*/":
            op = self.take().text
            node = BinOp(op, node, self.unary())  # type: ignore[arg-type]
        return node

    def unary(self) -> Expr:
        token = self.peek()
        if token.kind == "op" and token.text == "-":
            self.take()
            self.enter(token)
            operand = self.unary()
            self.nesting -= 1
            return Neg(operand)
        return self.primary()

    def primary(self) -> Expr:
        token = self.take()
        if token.kind == "num":
            return Num(parse_decimal(token.text, where=self.where), token.text)
        if token.kind == "(":
            self.enter(token)
            node = self.expr()
            self.nesting -= 1
            if self.take().kind != ")":
                raise self.fail("expected ')' to close the '(' of column " + str(token.column), self.tokens[self.pos - 1])
            return node
        if token.kind == "name":
            return self.name(token)
        if token.kind == "end":
            raise self.fail("formula is incomplete: expected a number, name or '('", token)
        raise self.fail(f"unexpected {token.text!r}: expected a number, name or '('", token)

    def name(self, token: Token) -> Expr:
        name = token.text
        if self.peek().kind == "(":
            if name not in FUNCTIONS:
                raise UnknownName(
                    f"unknown function {name!r} at column {token.column}",
                    where=self.where,
                    remedy="use one of " + ", ".join(sorted(FUNCTIONS)),
                )
            self.enter(self.take())
            args: list[Expr] = []
            if self.peek().kind != ")":
                args.append(self.expr())
                while self.peek().kind == ",":
                    self.take()
                    args.append(self.expr())
            close = self.take()
            if close.kind != ")":
                raise self.fail(f"expected ',' or ')' in the call of {name}", close)
            self.nesting -= 1
            _check_arity(name, len(args), column=token.column, where=self.where)
            return Call(name, tuple(args))
        if name in self.input_set:
            return Name(name)
        if name in AGGREGATES:
            if not self.inputs:
                raise ArityError(
                    f"bare {name!r} needs inputs, and the check has none", where=self.where, remedy="add inputs"
                )
            return Call(name, tuple(Name(n) for n in self.inputs))
        if name in FUNCTIONS:
            raise FormulaSyntaxError(
                f"function {name!r} at column {token.column} needs arguments in parentheses",
                where=self.where,
                remedy=f"write {name}(...)",
            )
        known = ", ".join(self.inputs) if self.inputs else "none"
        raise UnknownName(
            f"unknown name {name!r} at column {token.column} (inputs: {known})",
            where=self.where,
            remedy="add it to the check's inputs or fix the spelling",
        )


def _check_arity(name: str, count: int, *, column: int, where: str) -> None:
    wanted = FUNCTIONS[name]
    if wanted is None and count == 0:
        raise ArityError(
            f"{name}() at column {column} needs at least one argument", where=where, remedy=f"write {name}(a, b, ...)"
        )
    if wanted is not None and count != wanted:
        plural = "argument" if wanted == 1 else "arguments"
        raise ArityError(
            f"{name} at column {column} takes {wanted} {plural}, got {count}",
            where=where,
            remedy="fix the call",
        )


def _measure(expr: Expr) -> tuple[int, int]:
    """(depth, node count) without recursion, so a hostile tree cannot exhaust the stack."""
    max_depth = 0
    nodes = 0
    stack: list[tuple[Expr, int]] = [(expr, 1)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        max_depth = max(max_depth, depth)
        if isinstance(node, Neg):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, BinOp):
            stack.append((node.left, depth + 1))
            stack.append((node.right, depth + 1))
        elif isinstance(node, Call):
            stack.extend((arg, depth + 1) for arg in node.args)
    return max_depth, nodes


def parse_formula(text: str, input_names: Sequence[str], *, where: str = "formula") -> Expr:
    """Parse ``text`` over the inputs ``input_names`` into an :data:`Expr`.

    Raises :class:`FormulaSyntaxError`, :class:`UnknownName`, :class:`ArityError`
    or :class:`FormulaTooComplex` (all :class:`ClaimError`), naming ``where``.
    Input names must be NAME tokens and must not be function names.
    """
    if not isinstance(text, str):
        raise FormulaSyntaxError("formula must be a string", where=where, remedy='e.g. "mean(a, b)"')
    for name in input_names:
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name, re.ASCII) is None or len(name) > 64:
            raise FormulaSyntaxError(
                f"input name {name!r} is not an identifier",
                where=where,
                remedy="name inputs with ASCII letters, digits and '_' (at most 64), starting with a letter or '_'",
            )
        if name in FUNCTIONS:
            raise FormulaSyntaxError(
                f"input name {name!r} is also a function name", where=where, remedy="rename the input"
            )
    tokens = tokenize(text, where=where)
    if tokens[0].kind == "end":
        raise FormulaSyntaxError("formula is empty", where=where, remedy='give a formula, e.g. "mean"')
    parser = _Parser(tokens, input_names, where)
    expr = parser.expr()
    token = parser.peek()
    if token.kind != "end":
        raise parser.fail(f"unexpected {token.text!r}: expected an operator", token)
    depth, nodes = _measure(expr)
    if depth > MAX_DEPTH or nodes > MAX_NODES:
        raise FormulaTooComplex(
            f"formula has depth {depth} and {nodes} nodes, over the limits {MAX_DEPTH} and {MAX_NODES}",
            where=where,
            remedy="split the claim into smaller checks",
        )
    return expr


# ---------------------------------------------------------------- evaluation
# Exact rationals as (numerator, denominator) int pairs with denominator > 0,
# not reduced while evaluating: the same exact value as Fraction arithmetic
# without a gcd per operation (this is the hot path of every check).

Pair: TypeAlias = tuple[int, int]


def _div_pair(a: Pair, b: Pair, what: Callable[[], str], where: str) -> Pair:
    if b[0] == 0:
        raise DivisionByZero(f"division by zero in {what()}", where=where, remedy="a claim cannot divide by a zero input")
    n, d = a[0] * b[1], a[1] * b[0]
    return (-n, -d) if d < 0 else (n, d)


def _sum_pairs(args: list[Pair], expr: Expr, where: str) -> Pair:
    n, d = args[0]
    for an, ad in args[1:]:
        if ad == d:
            n += an
        else:
            n, d = _bounded((n * ad + an * d, d * ad), expr, where)
    return n, d


def _less(a: Pair, b: Pair) -> bool:
    return a[0] * b[1] < b[0] * a[1]


def _bounded(pair: Pair, expr: Expr, where: str) -> Pair:
    """``pair`` when both parts fit in :data:`MAX_VALUE_DIGITS` digits (reduced first if needed); else :class:`ValueTooLarge`."""
    n, d = pair
    if n.bit_length() <= _MAX_VALUE_BITS and d.bit_length() <= _MAX_VALUE_BITS:
        return pair
    g = gcd(n, d)
    n, d = n // g, d // g
    for part, value in (("numerator", n), ("denominator", d)):
        if abs(value) >= _VALUE_LIMIT:
            raise ValueTooLarge(
                f"the value of {_shorten(to_text(expr))} has a {part} of more than {MAX_VALUE_DIGITS} digits "
                f"(the bound on every value a formula reaches)",
                where=where,
                remedy="a stated claim never needs numbers this large: check the formula and its inputs",
            )
    return n, d


def _shorten(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."


def evaluate_pair(expr: Expr, values: Mapping[str, Pair], *, where: str = "formula") -> Pair:
    """The exact value of ``expr`` as an unreduced ``(numerator, denominator > 0)`` pair.

    Every value reached is bounded by :data:`MAX_VALUE_DIGITS` digits (:class:`ValueTooLarge`).
    """
    if isinstance(expr, Name):
        try:
            return values[expr.name]
        except KeyError:
            raise UnknownName(f"no value for input {expr.name!r}", where=where, remedy="add the input") from None
    if isinstance(expr, Num):
        return expr.value.numerator, expr.value.denominator
    if isinstance(expr, BinOp):
        return _bounded(_binop(expr, values, where), expr, where)
    if isinstance(expr, Neg):
        n, d = evaluate_pair(expr.operand, values, where=where)
        return -n, d
    return _bounded(_call(expr, values, where), expr, where)


def _binop(expr: BinOp, values: Mapping[str, Pair], where: str) -> Pair:
    a = evaluate_pair(expr.left, values, where=where)
    b = evaluate_pair(expr.right, values, where=where)
    op = expr.op
    if op == "+":
        return (a[0] + b[0], a[1]) if a[1] == b[1] else (a[0] * b[1] + b[0] * a[1], a[1] * b[1])
    if op == "-":
        return (a[0] - b[0], a[1]) if a[1] == b[1] else (a[0] * b[1] - b[0] * a[1], a[1] * b[1])
    if op == "*":
        return a[0] * b[0], a[1] * b[1]
    return _div_pair(a, b, lambda: f"{to_text(expr)} ({to_text(expr.right)} is 0)", where)


def _call(expr: Call, values: Mapping[str, Pair], where: str) -> Pair:
    try:  # the common case: a call over input names
        args = [values[arg.name] if type(arg) is Name else evaluate_pair(arg, values, where=where) for arg in expr.args]
    except KeyError:
        args = [evaluate_pair(arg, values, where=where) for arg in expr.args]
    func = expr.func
    call = expr
    if func == "mean":
        n, d = _sum_pairs(args, expr, where)
        return n, d * len(args)
    if func == "sum":
        return _sum_pairs(args, expr, where)
    if func == "difference":
        a, b = args
        return (a[0] - b[0], a[1]) if a[1] == b[1] else (a[0] * b[1] - b[0] * a[1], a[1] * b[1])
    if func == "ratio":
        return _div_pair(args[0], args[1], lambda: f"{to_text(call)}: {to_text(call.args[1])} is 0", where)
    if func == "percent_change":
        old, new = args
        change = (100 * (new[0] * old[1] - old[0] * new[1]), new[1] * old[1])
        return _div_pair(change, old, lambda: f"{to_text(call)}: {to_text(call.args[0])} is 0", where)
    if func == "abs":
        return abs(args[0][0]), args[0][1]
    if func == "min":
        best = args[0]
        for item in args[1:]:
            if _less(item, best):
                best = item
        return best
    if func == "max":
        best = args[0]
        for item in args[1:]:
            if _less(best, item):
                best = item
        return best
    raise UnknownName(f"unknown function {func!r}", where=where, remedy="use one of " + ", ".join(sorted(FUNCTIONS)))


def evaluate(expr: Expr, values: Mapping[str, Fraction], *, where: str = "formula") -> Fraction:
    """The exact value of ``expr``; :class:`UnknownName` or :class:`DivisionByZero` naming ``where``."""
    pairs = {name: (value.numerator, value.denominator) for name, value in values.items()}
    n, d = evaluate_pair(expr, pairs, where=where)
    return Fraction(n, d)


# ---------------------------------------------------------------- helpers

_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def to_text(expr: Expr) -> str:
    """Canonical formula text of ``expr``; parsing it gives back an equal AST."""
    if isinstance(expr, Num):
        return expr.text
    if isinstance(expr, Name):
        return expr.name
    if isinstance(expr, Neg):
        inner = to_text(expr.operand)
        if isinstance(expr.operand, BinOp):
            inner = f"({inner})"
        return f"-{inner}"
    if isinstance(expr, BinOp):
        prec = _PRECEDENCE[expr.op]
        left = to_text(expr.left)
        right = to_text(expr.right)
        if isinstance(expr.left, BinOp) and _PRECEDENCE[expr.left.op] < prec:
            left = f"({left})"
        if isinstance(expr.right, BinOp) and _PRECEDENCE[expr.right.op] <= prec:
            right = f"({right})"
        return f"{left} {expr.op} {right}"
    return f"{expr.func}({', '.join(to_text(a) for a in expr.args)})"


def names_used(expr: Expr) -> frozenset[str]:
    """The input names ``expr`` refers to."""
    found: set[str] = set()
    stack: list[Expr] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Name):
            found.add(node.name)
        elif isinstance(node, Neg):
            stack.append(node.operand)
        elif isinstance(node, BinOp):
            stack.extend((node.left, node.right))
        elif isinstance(node, Call):
            stack.extend(node.args)
    return frozenset(found)
