"""The formula language: parser, evaluator, limits, and property tests against an independent evaluator."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.claims.errors import (
    ArityError,
    ClaimError,
    DivisionByZero,
    FormulaSyntaxError,
    FormulaTooComplex,
    UnknownName,
)
from provenance.claims.formula import (
    MAX_FORMULA_CHARS,
    BinOp,
    Call,
    Name,
    Neg,
    Num,
    evaluate,
    names_used,
    parse_formula,
    to_text,
)

INPUTS = ["a", "b", "c"]
VALUES = {"a": Fraction(82, 10), "b": Fraction(75, 10), "c": Fraction(7)}


def ev(text: str, values: dict[str, Fraction] | None = None) -> Fraction:
    return evaluate(parse_formula(text, INPUTS), VALUES if values is None else values)


def test_ast_shapes() -> None:
    assert parse_formula("a + 2.5 * b", INPUTS) == BinOp("+", Name("a"), BinOp("*", Num(Fraction(5, 2), "2.5"), Name("b")))
    assert parse_formula("-a", INPUTS) == Neg(Name("a"))
    assert parse_formula("a - b - c", INPUTS) == BinOp("-", BinOp("-", Name("a"), Name("b")), Name("c"))
    assert parse_formula("mean", INPUTS) == Call("mean", (Name("a"), Name("b"), Name("c")))
    assert parse_formula("ratio(a, b)", INPUTS) == Call("ratio", (Name("a"), Name("b")))


def test_functions() -> None:
    assert ev("mean") == Fraction(227, 30)
    assert ev("mean(a, b, c)") == Fraction(227, 30)
    assert ev("sum") == Fraction(227, 10)
    assert ev("min") == 7 and ev("max") == Fraction(41, 5)
    assert ev("abs(c - a)") == Fraction(6, 5)
    assert ev("difference(a, b)") == Fraction(7, 10)
    assert ev("ratio(a, 2)") == Fraction(41, 10)
    assert ev("percent_change(a, b)") == Fraction(100) * (Fraction(75, 10) - Fraction(82, 10)) / Fraction(82, 10)
    assert ev("-(a - b) * 2") == Fraction(-7, 5)
    assert ev("a - -b") == Fraction(157, 10)
    assert ev("1 / 3 * 3") == 1  # exact, no float rounding


def test_bare_aggregate_follows_input_order() -> None:
    expr = parse_formula("max - min", ["x", "y"])
    assert expr == BinOp("-", Call("max", (Name("x"), Name("y"))), Call("min", (Name("x"), Name("y"))))
    assert names_used(expr) == {"x", "y"}


@pytest.mark.parametrize(
    ("text", "error", "fragment"),
    [
        ("a +", FormulaSyntaxError, "incomplete"),
        ("a b", FormulaSyntaxError, "column 3"),
        ("(a", FormulaSyntaxError, "expected ')'"),
        ("a)", FormulaSyntaxError, "unexpected ')'"),
        ("a ^ 2", FormulaSyntaxError, "'^'"),
        ("1.", FormulaSyntaxError, "column 2"),
        (".5", FormulaSyntaxError, "column 1"),
        ("1e5", FormulaSyntaxError, "operator"),
        ("a \u00d7 b", FormulaSyntaxError, "U+00D7"),
        ("\u0663", FormulaSyntaxError, "U+0663"),
        ("__import__(a)", UnknownName, "__import__"),
        ("__import__('os')", FormulaSyntaxError, "column 12"),
        ("x", UnknownName, "unknown name 'x'"),
        ("foo(a)", UnknownName, "unknown function 'foo'"),
        ("ratio(a)", ArityError, "takes 2 arguments"),
        ("abs(a, b)", ArityError, "takes 1 argument"),
        ("mean()", ArityError, "at least one"),
        ("ratio", FormulaSyntaxError, "needs arguments"),
        ("", FormulaSyntaxError, "empty"),
        ("   ", FormulaSyntaxError, "empty"),
    ],
)
def test_clean_errors_name_the_claim(text: str, error: type[ClaimError], fragment: str) -> None:
    with pytest.raises(error) as info:
        parse_formula(text, INPUTS, where="claim c9: check.formula")
    assert fragment in str(info.value)
    assert str(info.value).startswith("claim c9: check.formula: ")
    assert info.value.exit_code == 2


def test_division_by_zero_is_clean() -> None:
    with pytest.raises(DivisionByZero, match="ratio\\(a, z\\): z is 0"):
        evaluate(parse_formula("ratio(a, z)", ["a", "z"]), {"a": Fraction(1), "z": Fraction(0)})
    with pytest.raises(DivisionByZero):
        evaluate(parse_formula("a / (z - z)", ["a", "z"]), {"a": Fraction(1), "z": Fraction(3)})
    with pytest.raises(DivisionByZero):
        evaluate(parse_formula("percent_change(z, a)", ["a", "z"]), {"a": Fraction(1), "z": Fraction(0)})


def test_input_names_must_be_identifiers_and_not_functions() -> None:
    with pytest.raises(FormulaSyntaxError, match="also a function name"):
        parse_formula("mean", ["mean"])
    with pytest.raises(FormulaSyntaxError, match="not an identifier"):
        parse_formula("a", ["a b"])


def test_limits() -> None:
    with pytest.raises(FormulaTooComplex, match="characters"):
        parse_formula("a+" * (MAX_FORMULA_CHARS // 2) + "a", INPUTS)
    with pytest.raises(FormulaTooComplex, match="nests deeper"):
        parse_formula("(" * 40 + "a" + ")" * 40, INPUTS)
    with pytest.raises(FormulaTooComplex, match="nests deeper"):
        parse_formula("-" * 40 + "a", INPUTS)
    with pytest.raises(FormulaTooComplex, match="depth"):
        parse_formula("+".join(["a"] * 300), INPUTS)
    with pytest.raises(FormulaTooComplex, match="number at column 1"):
        parse_formula("1" * 101, INPUTS)
    assert ev("+".join(["a"] * 100)) == 820  # long but legal sums still work
    assert ev("(" * 30 + "a" + ")" * 30) == VALUES["a"]


# ------------------------------------------------------------------ properties
# The test's own trees (nested tuples), its own fully parenthesised text, and
# its own evaluator: independent of the module's AST, printer and evaluator.

decimals = st.builds(
    lambda units, places: (f"{units // 10**places}.{units % 10**places:0{places}d}" if places else str(units)),
    st.integers(0, 10**6),
    st.integers(0, 4),
)
leaves = st.one_of(st.tuples(st.just("num"), decimals), st.tuples(st.just("name"), st.sampled_from(INPUTS)))


def _extend(children: Any) -> Any:
    return st.one_of(
        st.tuples(st.just("neg"), children),
        st.tuples(st.just("bin"), st.sampled_from("+-*/"), children, children),
        st.tuples(st.just("call"), st.sampled_from(["mean", "sum", "min", "max"]), st.lists(children, min_size=1, max_size=3)),
        st.tuples(st.just("call"), st.sampled_from(["difference", "ratio", "percent_change"]), st.lists(children, min_size=2, max_size=2)),
        st.tuples(st.just("call"), st.just("abs"), st.lists(children, min_size=1, max_size=1)),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)
input_values = st.fixed_dictionaries(
    {n: st.fractions(min_value=-1000, max_value=1000, max_denominator=100) for n in INPUTS}
)


def render(tree: Any) -> str:
    kind = tree[0]
    if kind == "num":
        return str(tree[1])
    if kind == "name":
        return str(tree[1])
    if kind == "neg":
        return f"(-{render(tree[1])})"
    if kind == "bin":
        return f"({render(tree[2])} {tree[1]} {render(tree[3])})"
    return f"{tree[1]}({', '.join(render(t) for t in tree[2])})"


class Undefined(Exception):
    pass


def reference(tree: Any, values: dict[str, Fraction]) -> Fraction:
    kind = tree[0]
    if kind == "num":
        whole, _, frac = tree[1].partition(".")
        return Fraction(int(whole) * 10 ** len(frac) + (int(frac) if frac else 0), 10 ** len(frac))
    if kind == "name":
        return values[tree[1]]
    if kind == "neg":
        return -reference(tree[1], values)
    if kind == "bin":
        x, y = reference(tree[2], values), reference(tree[3], values)
        if tree[1] == "/" and y == 0:
            raise Undefined
        return {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else Fraction(0)}[tree[1]]
    args = [reference(t, values) for t in tree[2]]
    name = tree[1]
    if name == "mean":
        return sum(args, Fraction(0)) / len(args)
    if name == "sum":
        return sum(args, Fraction(0))
    if name == "min":
        return min(args)
    if name == "max":
        return max(args)
    if name == "abs":
        return abs(args[0])
    if name == "difference":
        return args[0] - args[1]
    if args[0 if name == "percent_change" else 1] == 0:
        raise Undefined
    if name == "ratio":
        return args[0] / args[1]
    return (args[1] - args[0]) * 100 / args[0]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(trees, input_values)
def test_evaluator_agrees_with_independent_computation(tree: Any, values: dict[str, Fraction]) -> None:
    expr = parse_formula(render(tree), INPUTS)
    try:
        expected = reference(tree, values)
    except Undefined:
        with pytest.raises(DivisionByZero):
            evaluate(expr, values)
        return
    assert evaluate(expr, values) == expected


@settings(max_examples=300)
@given(trees)
def test_printer_round_trips(tree: Any) -> None:
    expr = parse_formula(render(tree), INPUTS)
    assert parse_formula(to_text(expr), INPUTS) == expr


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=80), st.text(alphabet="abc()+-*/., 0123456789meansumratioxz_\t", max_size=80)))
def test_no_input_string_crashes_the_parser(text: str) -> None:
    try:
        expr = parse_formula(text, INPUTS)
    except ClaimError:
        return
    try:
        evaluate(expr, VALUES)
    except DivisionByZero:
        pass
