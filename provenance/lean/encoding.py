"""Claim checks as closed statements over natural-number literals (the pure core).

A check says ``|f(inputs) - expected| <= bound``. Every decimal is scaled to an
integer, every denominator is cleared, and every negative term is moved to the
other side, so the statement uses only ``Nat`` literals, ``+``, ``*``, ``=``,
``≤`` and ``∧`` (``reference/lean-claims.md`` §2). Products stay unevaluated:
each literal maps back to a number of the claim, and Lean, not Python, does
the arithmetic.

Representation. A signed integer is a pair ``(pos, neg)`` of ``Nat``
expressions meaning ``pos - neg`` (``None`` is zero). A rational is a signed
numerator over a signed denominator whose value is positive. Where that
positivity is not visible from the literals (division by an expression), or
where the exact value picks a branch (``min``, ``max``, ``abs``), the branch
or sign is written as a *side condition*: an extra conjunct that Lean checks
too. The statement is ``side ∧ main`` where ``main`` is the tolerance
condition; a falsified claim gets ``side ∧ ¬(main)``, never ``¬(side ∧ main)``
(which a wrong branch choice would make true).

Policies (recorded in ``claims-map.json``): bounds are inclusive; a relative
tolerance is taken against the claimed value (``|v - e| <= r * |e|``); a
precision ``p`` means ``|v - e| <= 5 / 10^(p+1)``; a check with both a
tolerance and a precision must satisfy both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Literal, TypeAlias

from provenance.claims.formula import BinOp, Call, Expr, Name, Neg, Num
from provenance.errors import InputError

MAX_LITERAL_DIGITS = 400
"""Most digits in one decimal; a scaled literal then has at most twice that (``str(int)`` stops at 4300)."""
MAX_ATOM_CHARS = 20_000
"""Longest rendered comparison; a formula whose encoding is larger is refused, not truncated."""
SUM_CHUNK = 16
"""Sums and products longer than this are emitted as balanced groups (Lean's ``maxRecDepth``)."""

_DECIMAL = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?", re.ASCII)


class NotEncodable(InputError):
    """A check whose shape or size cannot be written in the templates; the reason says which."""


# ---------------------------------------------------------------- Nat expressions


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention; frozen __init__ costs 3x on hot paths
class Lit:
    """A natural-number literal, written by ``str(int)``."""

    value: int


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention; frozen __init__ costs 3x on hot paths
class Add:
    """A sum of two or more terms; ``size`` approximates its rendered length (kept at construction)."""

    terms: tuple[NatExpr, ...]
    size: int = field(default=0, compare=False)


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention; frozen __init__ costs 3x on hot paths
class Mul:
    """A product of two or more factors; ``size`` approximates its rendered length (kept at construction)."""

    factors: tuple[NatExpr, ...]
    size: int = field(default=0, compare=False)


NatExpr: TypeAlias = Lit | Add | Mul
Opt: TypeAlias = NatExpr | None  # None is zero


def nat_value(expr: Opt) -> int:
    """The value of ``expr`` (iteratively, so deep trees cannot exhaust the stack)."""
    if expr is None:
        return 0
    if isinstance(expr, Lit):
        return expr.value
    if isinstance(expr, Add):
        return sum(nat_value(t) for t in expr.terms)
    result = 1
    for factor in expr.factors:
        result *= nat_value(factor)
    return result


def size_of(expr: Opt) -> int:
    """Approximate rendered length of ``expr`` (exact for literals up to a digit)."""
    if expr is None:
        return 1
    if isinstance(expr, Lit):
        return expr.value.bit_length() * 30103 // 100000 + 1
    return expr.size


def nat_add(*items: Opt) -> Opt:
    """The sum of ``items``, nested sums flattened, zeros (``None``) dropped."""
    terms: list[NatExpr] = []
    size = 0
    for item in items:
        if item is None:
            continue
        if type(item) is Add:
            terms.extend(item.terms)
            size += item.size
        else:
            terms.append(item)
            size += (item.value.bit_length() * 30103 // 100000 + 4) if type(item) is Lit else item.size + 3  # type: ignore[union-attr]
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    return Add(tuple(terms), size)


def nat_mul(*items: Opt) -> Opt:
    """The product of ``items``; ``None`` if any is zero. A leading product is flattened, others keep their grouping."""
    factors: list[NatExpr] = []
    size = 2
    for item in items:
        if item is None:
            return None
        if not factors and type(item) is Mul:
            factors.extend(item.factors)  # ``a * b * c`` parses as ``(a * b) * c``: same tree, fewer parentheses
            size += item.size
        else:
            factors.append(item)
            size += (item.value.bit_length() * 30103 // 100000 + 4) if type(item) is Lit else item.size + 3  # type: ignore[union-attr]
    if not factors:
        return Lit(1)
    if len(factors) == 1:
        return factors[0]
    return Mul(tuple(factors), size)


def visibly_positive(expr: Opt) -> bool:
    """True when ``expr`` is positive by its shape alone: no zero literal anywhere."""
    if expr is None:
        return False
    if isinstance(expr, Lit):
        return expr.value > 0
    parts = expr.terms if isinstance(expr, Add) else expr.factors
    return all(visibly_positive(p) for p in parts)


# ---------------------------------------------------------------- signed and rational


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention; frozen __init__ costs 3x on hot paths
class Signed:
    """``pos - neg`` over ``Nat`` expressions; ``None`` parts are zero."""

    pos: Opt
    neg: Opt

    @property
    def value(self) -> int:
        return nat_value(self.pos) - nat_value(self.neg)

    def negate(self) -> Signed:
        return Signed(self.neg, self.pos)


def s_add(a: Signed, b: Signed) -> Signed:
    return Signed(nat_add(a.pos, b.pos), nat_add(a.neg, b.neg))


def s_mul(a: Signed, b: Signed) -> Signed:
    """``(ap - an)(bp - bn) = (ap bp + an bn) - (ap bn + an bp)``."""
    return Signed(
        nat_add(nat_mul(a.pos, b.pos), nat_mul(a.neg, b.neg)),
        nat_add(nat_mul(a.pos, b.neg), nat_mul(a.neg, b.pos)),
    )


def s_scale(a: Signed, factor: Opt) -> Signed:
    """``a * factor`` for a ``Nat`` factor (``None`` meaning one, not zero)."""
    if factor is None:
        return a
    return Signed(nat_mul(a.pos, factor), nat_mul(a.neg, factor))


@dataclass(slots=True, unsafe_hash=True)  # immutable by convention; frozen __init__ costs 3x on hot paths
class Ratio:
    """``num / den``; ``den`` is ``None`` (one) or a signed expression whose value is positive."""

    num: Signed
    den: Signed | None

    @property
    def value(self) -> Fraction:
        return Fraction(self.num.value, self.den.value if self.den is not None else 1)


def _den_mul(a: Signed | None, b: Signed | None) -> Signed | None:
    if a is None:
        return b
    if b is None:
        return a
    return s_mul(a, b)


def _times_den(num: Signed, den: Signed | None) -> Signed:
    return num if den is None else s_mul(num, den)


# ---------------------------------------------------------------- atoms and statements

Rel: TypeAlias = Literal["≤", "="]


@dataclass(frozen=True, slots=True)
class Atom:
    """``(left : Nat) rel right``; ``None`` sides are the literal ``0``."""

    left: Opt
    rel: Rel
    right: Opt

    def holds(self) -> bool:
        lv, rv = nat_value(self.left), nat_value(self.right)
        return lv <= rv if self.rel == "≤" else lv == rv


@dataclass(frozen=True, slots=True)
class Statement:
    """``side_1 ∧ … ∧ side_k ∧ main`` where ``main`` is a conjunction of atoms.

    ``form`` names the template (``equality``, ``within``); ``policy`` records
    how the bound was derived, for the claims map.
    """

    side: tuple[Atom, ...]
    main: tuple[Atom, ...]
    form: str
    policy: Mapping[str, str]

    def side_holds(self) -> bool:
        return all(a.holds() for a in self.side)

    def main_holds(self) -> bool:
        return all(a.holds() for a in self.main)


def atom_le(a: Signed, b: Signed) -> Atom:
    """``a ≤ b`` over integers as ``a.pos + b.neg ≤ b.pos + a.neg`` over naturals."""
    return Atom(nat_add(a.pos, b.neg), "≤", nat_add(b.pos, a.neg))


def atom_eq(a: Signed, b: Signed) -> Atom:
    return Atom(nat_add(a.pos, b.neg), "=", nat_add(b.pos, a.neg))


# ---------------------------------------------------------------- decimals


def decimal_parts(text: str, *, where: str) -> tuple[bool, int, int]:
    """``(negative, digits, places)`` of an ASCII decimal string; :class:`NotEncodable` otherwise."""
    parts = _decimal_parts(text) if isinstance(text, str) else None
    if parts is None:
        raise NotEncodable(f"{text!r} is not a plain ASCII decimal", where=where, remedy="give a decimal string")
    if isinstance(parts, int):
        raise NotEncodable(
            f"decimal has {parts} digits, over the {MAX_LITERAL_DIGITS}-digit limit",
            where=where,
            remedy="give a shorter number",
        )
    return parts


@lru_cache(maxsize=4096)
def _decimal_parts(text: str) -> tuple[bool, int, int] | int | None:
    """Parsed parts, the digit count when too long, or ``None`` when malformed (cached: inputs repeat)."""
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    sign, whole, frac = match.group(1), match.group(2), match.group(3) or ""
    if len(whole) + len(frac) > MAX_LITERAL_DIGITS:
        return len(whole) + len(frac)
    return sign == "-", int(whole + frac, 10), len(frac)


def _scaled(text: str, places: int, *, where: str) -> Signed:
    negative, digits, own = decimal_parts(text, where=where)
    magnitude = digits * 10 ** (places - own)
    return Signed(None, Lit(magnitude)) if negative and magnitude else Signed(Lit(magnitude), None)


@lru_cache(maxsize=256)
def _pow10(places: int) -> NatExpr | None:
    return Lit(10**places) if places > 0 else None


# ---------------------------------------------------------------- formula translation


class _Encoder:
    def __init__(self, inputs: Mapping[str, str], where: str) -> None:
        self.where = where
        self.inputs = inputs
        self.scale = 0
        for name, text in inputs.items():
            self.scale = max(self.scale, decimal_parts(text, where=f"{where}.inputs.{name}")[2])
        self.side: list[Atom] = []

    def fail(self, message: str) -> NotEncodable:
        return NotEncodable(message, where=self.where, remedy="the exact verdict stands; no Lean theorem is emitted")

    # rationals -----------------------------------------------------------

    def add(self, a: Ratio, b: Ratio) -> Ratio:
        if a.den == b.den:
            return Ratio(s_add(a.num, b.num), a.den)
        return Ratio(s_add(_times_den(a.num, b.den), _times_den(b.num, a.den)), _den_mul(a.den, b.den))

    def mul(self, a: Ratio, b: Ratio) -> Ratio:
        return Ratio(s_mul(a.num, b.num), _den_mul(a.den, b.den))

    def div(self, a: Ratio, b: Ratio) -> Ratio:
        if b.num.value == 0:
            raise self.fail("division by zero")
        if a.den == b.den:
            num, divisor = a.num, b.num
        else:
            num, divisor = _times_den(a.num, b.den), b.num
        if divisor.value < 0:
            num, divisor = num.negate(), divisor.negate()
        if not (divisor.neg is None and visibly_positive(divisor.pos)):
            # Lean checks the divisor's sign: 0 < pos - neg, i.e. neg + 1 ≤ pos.
            self.side.append(Atom(nat_add(divisor.neg, Lit(1)), "≤", divisor.pos))
        den = divisor if a.den == b.den else _den_mul(a.den, divisor)
        return Ratio(num, den)

    def le(self, a: Ratio, b: Ratio) -> Atom:
        """``a ≤ b``: denominators are positive, so cross-multiply (or compare numerators over one denominator)."""
        if a.den == b.den:
            return atom_le(a.num, b.num)
        return atom_le(_times_den(a.num, b.den), _times_den(b.num, a.den))

    # expressions ---------------------------------------------------------

    def expr(self, node: Expr) -> Ratio:
        if isinstance(node, Num):
            negative, digits, places = decimal_parts(node.text, where=f"{self.where}.formula")
            num = Signed(None, Lit(digits)) if negative and digits else Signed(Lit(digits), None)
            den = _pow10(places)
            return Ratio(num, Signed(den, None) if den is not None else None)
        if isinstance(node, Name):
            if node.name not in self.inputs:
                raise self.fail(f"formula uses {node.name!r}, which is not an input")
            den = _pow10(self.scale)
            num = _scaled(self.inputs[node.name], self.scale, where=f"{self.where}.inputs.{node.name}")
            return Ratio(num, Signed(den, None) if den is not None else None)
        if isinstance(node, Neg):
            inner = self.expr(node.operand)
            return Ratio(inner.num.negate(), inner.den)
        if isinstance(node, BinOp):
            left, right = self.expr(node.left), self.expr(node.right)
            if node.op == "+":
                return self.add(left, right)
            if node.op == "-":
                return self.add(left, Ratio(right.num.negate(), right.den))
            if node.op == "*":
                return self.mul(left, right)
            return self.div(left, right)
        return self.call(node)

    def call(self, node: Call) -> Ratio:
        args = [self.expr(a) for a in node.args]
        func = node.func
        if func in ("sum", "mean"):
            total = args[0]
            for item in args[1:]:
                total = self.add(total, item)
            if func == "sum":
                return total
            if len(args) == 1:
                return total
            count = Signed(Lit(len(args)), None)
            return Ratio(total.num, count if total.den is None else s_mul(count, total.den))
        if func in ("min", "max"):
            values = [a.value for a in args]
            pick = values.index(min(values) if func == "min" else max(values))
            chosen = args[pick]
            for index, other in enumerate(args):
                if index != pick:
                    self.side.append(self.le(chosen, other) if func == "min" else self.le(other, chosen))
            return chosen
        if func == "abs":
            (arg,) = args
            if arg.num.value >= 0:
                if arg.num.neg is not None:
                    self.side.append(Atom(arg.num.neg, "≤", arg.num.pos))
                return arg
            if arg.num.pos is not None:
                self.side.append(Atom(arg.num.pos, "≤", arg.num.neg))
            return Ratio(arg.num.negate(), arg.den)
        if func == "difference":
            return self.add(args[0], Ratio(args[1].num.negate(), args[1].den))
        if func == "ratio":
            return self.div(args[0], args[1])
        if func == "percent_change":
            old, new = args
            change = self.add(new, Ratio(old.num.negate(), old.den))
            hundred = Ratio(Signed(Lit(100), None), None)
            return self.div(self.mul(hundred, change), old)
        raise self.fail(f"function {func!r} has no Lean encoding")


# ---------------------------------------------------------------- the statement


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """What the encoder needs of a check: the parsed formula and the decimal strings."""

    expr: Expr
    inputs: Mapping[str, str]
    expected: str
    tolerance: tuple[Literal["absolute", "relative"], str] | None
    precision: int | None


def _bound_atoms(diff: Signed, bound: Signed) -> tuple[Atom, ...]:
    """``|diff| ≤ bound`` as ``diff ≤ bound ∧ -diff ≤ bound`` (X ≤ Y + T ∧ Y ≤ X + T)."""
    return (
        Atom(nat_add(diff.pos, bound.neg), "≤", nat_add(diff.neg, bound.pos)),
        Atom(nat_add(diff.neg, bound.neg), "≤", nat_add(diff.pos, bound.pos)),
    )


def encode(spec: CheckSpec, *, where: str = "check") -> Statement:
    """The statement that holds exactly when the check holds; :class:`NotEncodable` if it cannot be written.

    With value ``v = N / D`` (``D > 0``) and claimed ``e = C / E`` (``E = 10^k``):
    absolute bound ``H / K``: ``|N·E·K − C·D·K| ≤ H·D·E``; relative bound
    ``rn / rd``: ``|N·E·rd − C·D·rd| ≤ rn·|C|·D``; a zero bound gives the
    equality ``N·E = C·D``.
    """
    enc = _Encoder(spec.inputs, where)
    value = enc.expr(spec.expr)
    negative, c_digits, c_places = decimal_parts(spec.expected, where=f"{where}.expected")
    claimed = Signed(None, Lit(c_digits)) if negative and c_digits else Signed(Lit(c_digits), None)
    e_scale = _pow10(c_places)
    d = value.den

    bounds: list[tuple[str, tuple[Atom, ...]]] = []
    policy: dict[str, str] = {"bounds": "inclusive"}
    conditions: list[tuple[str, int, int]] = []  # (kind, bound digits, bound places)
    if spec.tolerance is not None:
        kind, text = spec.tolerance
        neg, digits, places = decimal_parts(text, where=f"{where}.tolerance.{kind}")
        if neg:
            raise enc.fail("a negative tolerance has no meaning")
        conditions.append((kind, digits, places))
        policy["tolerance"] = (
            "|value - expected| <= tolerance" if kind == "absolute" else "|value - expected| <= tolerance * |expected|"
        )
    if spec.precision is not None:
        conditions.append(("absolute", 5, spec.precision + 1))
        policy["precision"] = f"|value - expected| <= 5/10^{spec.precision + 1} (stated to {spec.precision} decimals)"
    if not conditions:
        conditions.append(("absolute", 0, 0))
        policy["tolerance"] = "exact equality"
    if len(conditions) > 1:
        policy["combined"] = "both the tolerance and the precision bound must hold"

    for bound_kind, digits, places in conditions:
        if bound_kind == "absolute":
            k = _pow10(places)
            x = s_scale(s_scale(value.num, e_scale), k)  # N·E·K
            y = s_scale(_times_den(claimed, d), k)  # C·D·K
            diff = s_add(x, y.negate())
            if digits == 0:
                bounds.append(("equality", (atom_eq(x, y),)))
                continue
            t = s_scale(_times_den(Signed(Lit(digits), None), d), e_scale)  # H·D·E
            bounds.append(("within", _bound_atoms(diff, t)))
        else:
            rd = _pow10(places)
            x = s_scale(s_scale(value.num, e_scale), rd)  # N·E·rd
            y = s_scale(_times_den(claimed, d), rd)  # C·D·rd
            diff = s_add(x, y.negate())
            if digits == 0 or c_digits == 0:
                bounds.append(("equality", (atom_eq(x, y),)))
                continue
            t = _times_den(Signed(nat_mul(Lit(digits), Lit(c_digits)), None), d)  # rn·|C|·D
            bounds.append(("within", _bound_atoms(diff, t)))

    main: list[Atom] = []
    for _, atoms in bounds:
        for atom in atoms:
            if atom not in main:
                main.append(atom)
    form = "equality" if all(f == "equality" for f, _ in bounds) else "within"
    statement = Statement(tuple(dict.fromkeys(enc.side)), tuple(main), form, policy)
    _check_size(statement, enc)
    return statement


def _check_size(statement: Statement, enc: _Encoder) -> None:
    for atom in (*statement.side, *statement.main):
        chars = size_of(atom.left) + size_of(atom.right)
        if chars > MAX_ATOM_CHARS:
            raise enc.fail(f"the encoding needs a comparison of about {chars} characters, over {MAX_ATOM_CHARS}")
