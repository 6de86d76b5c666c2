"""The formula language at its edges (issue 13.19: each limit, guard and printer rule pinned by a test)."""

from __future__ import annotations

import dataclasses
import re
from fractions import Fraction

import pytest

from provenance.claims import formula as fm
from provenance.claims.errors import (
    ArityError,
    ClaimError,
    FormulaSyntaxError,
    FormulaTooComplex,
    UnknownName,
)
from provenance.claims.formula import (
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

# The limits are written out (not read from the module): they are documented contracts, and a test that
# read them back would follow a changed limit instead of catching it.

def test_formula_length_limit_is_2000_characters_inclusive() -> None:
    assert parse_formula("a" + " " * 1999, ["a"]) == Name("a")
    with pytest.raises(FormulaTooComplex, match="formula is 2001 characters, over the limit of 2000"):
        parse_formula("a" + " " * 2000, ["a"])


def test_number_length_limit_is_100_characters_inclusive() -> None:
    assert parse_formula("1" * 100, []) == Num(Fraction(int("1" * 100)), "1" * 100)
    with pytest.raises(FormulaTooComplex, match="number at column 3 has 101 characters, over the limit of 100"):
        parse_formula("1+" + "1" * 101, [])


def test_nesting_limit_is_32_inclusive() -> None:
    assert evaluate(parse_formula("-" * 32 + "a", ["a"]), {"a": Fraction(3)}) == 3
    assert evaluate(parse_formula("(" * 32 + "a" + ")" * 32, ["a"]), {"a": Fraction(3)}) == 3
    with pytest.raises(FormulaTooComplex, match="nests deeper than 32 levels at column 33"):
        parse_formula("-" * 33 + "a", ["a"])
    with pytest.raises(FormulaTooComplex, match="nests deeper than 32 levels at column 33"):
        parse_formula("(" * 33 + "a" + ")" * 33, ["a"])


def test_depth_limit_is_128_inclusive() -> None:
    # a left-associated chain of n terms has depth n and 2n - 1 nodes
    at = "+".join(["a"] * 128)
    assert evaluate(parse_formula(at, ["a"]), {"a": Fraction(1)}) == 128
    with pytest.raises(FormulaTooComplex, match="depth 129 and 257 nodes, over the limits 128 and 1000"):
        parse_formula(at + "+a", ["a"])


def test_unary_minus_counts_in_depth_and_nodes() -> None:
    assert parse_formula("-a" + "+a" * 126, ["a"]) is not None  # the deepest leaf, under the minus, at 128
    with pytest.raises(FormulaTooComplex, match="depth 129 and 256 nodes"):
        parse_formula("-a" + "+a" * 127, ["a"])


def test_node_limit_is_1000_inclusive_and_counts_an_expanded_bare_aggregate() -> None:
    inputs = [f"x{i}" for i in range(999)]  # "sum" over them: one call and 999 names
    expr = parse_formula("sum", inputs)
    assert isinstance(expr, Call) and len(expr.args) == 999
    with pytest.raises(FormulaTooComplex, match="depth 2 and 1001 nodes, over the limits 128 and 1000"):
        parse_formula("sum", [*inputs, "extra"])


@pytest.mark.parametrize("expr, text", [
    (BinOp("*", BinOp("+", Name("a"), Name("b")), Name("c")), "(a + b) * c"),
    (BinOp("*", BinOp("-", Name("a"), Name("b")), Name("c")), "(a - b) * c"),
    (BinOp("/", Name("a"), BinOp("*", Name("b"), Name("c"))), "a / (b * c)"),
    (BinOp("*", Name("a"), BinOp("/", Name("b"), Name("c"))), "a * (b / c)"),
    (BinOp("*", BinOp("/", Name("a"), Name("b")), Name("c")), "a / b * c"),
    (BinOp("-", Name("a"), BinOp("+", Name("b"), Name("c"))), "a - (b + c)"),
    (BinOp("+", Name("a"), BinOp("-", Name("b"), Name("c"))), "a + (b - c)"),
    (BinOp("+", BinOp("-", Name("a"), Name("b")), Name("c")), "a - b + c"),
    (BinOp("-", BinOp("*", Name("a"), Name("b")), Name("c")), "a * b - c"),
    (BinOp("+", Name("a"), BinOp("*", Name("b"), Name("c"))), "a + b * c"),
    (BinOp("-", Name("a"), BinOp("/", Name("b"), Name("c"))), "a - b / c"),
    (Neg(BinOp("*", Name("a"), Name("b"))), "-(a * b)"),
])
def test_printer_parenthesises_exactly_where_precedence_needs_it(expr: fm.Expr, text: str) -> None:
    assert to_text(expr) == text
    assert parse_formula(text, ["a", "b", "c"]) == expr


def test_a_formula_that_is_not_a_string_is_a_syntax_error() -> None:
    with pytest.raises(FormulaSyntaxError, match="formula must be a string"):
        parse_formula(12, ["a"])  # type: ignore[arg-type]


def test_a_call_missing_its_comma_or_close_says_so() -> None:
    with pytest.raises(FormulaSyntaxError, match="expected ',' or '\\)' in the call of mean at column 8"):
        parse_formula("mean(a b)", ["a", "b"])
    with pytest.raises(FormulaSyntaxError, match="in the call of max at the end"):
        parse_formula("max(a, b", ["a", "b"])


def test_a_bare_aggregate_without_inputs_is_an_arity_error() -> None:
    with pytest.raises(ArityError, match="bare 'mean' needs inputs"):
        parse_formula("mean", [])


def test_evaluating_a_name_without_a_value_is_unknown_name() -> None:
    with pytest.raises(UnknownName, match="no value for input 'b'"):
        evaluate(parse_formula("a + b", ["a", "b"]), {"a": Fraction(1)})


def test_evaluating_a_built_call_of_an_unknown_function_is_unknown_name() -> None:
    # the parser never builds one, but the AST is public: evaluation still refuses it cleanly
    with pytest.raises(UnknownName, match="unknown function 'median'") as caught:
        evaluate(Call("median", (Num(Fraction(1), "1"),)), {})
    assert caught.value.remedy == "use one of " + ", ".join(sorted(fm.FUNCTIONS))


def test_names_used_looks_under_unary_minus() -> None:
    assert names_used(parse_formula("-a * -(b - -c)", ["a", "b", "c"])) == {"a", "b", "c"}


@pytest.mark.parametrize("node", [Num(Fraction(1), "1"), Name("a"), Neg(Name("a")),
                                  BinOp("+", Name("a"), Name("b")), Call("abs", (Name("a"),))])
def test_ast_nodes_are_frozen_and_slotted(node: fm.Expr) -> None:
    field = dataclasses.fields(node)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(node, field, None)
    assert not hasattr(node, "__dict__")


@pytest.mark.parametrize("text, shown", [("+a", "'+'"), ("*a", "'*'"), ("a * / b", "'/'")])
def test_only_minus_is_a_unary_operator(text: str, shown: str) -> None:
    with pytest.raises(FormulaSyntaxError, match=re.escape(f"unexpected {shown}: expected a number, name or")):
        parse_formula(text, ["a", "b"])


def test_a_stray_point_gets_the_decimal_hint_and_other_characters_do_not() -> None:
    hint = '(write decimals as "0.5", with digits on both sides of the point)'
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_formula("a + .5", ["a"])
    assert f"unexpected character '.' at column 5 {hint}" in str(caught.value)
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_formula("a ^ 2", ["a"])
    assert "digits on both sides" not in str(caught.value)


def _too_large(text: str, inputs: list[str]) -> str:
    big = Fraction(9 * 10**98)  # 99 digits: ten factors stay under 1000 digits, the eleventh passes them
    with pytest.raises(fm.ValueTooLarge) as caught:
        evaluate(parse_formula(text, inputs), dict.fromkeys(inputs, big))
    return str(caught.value)


def test_a_too_large_value_names_its_formula_in_full_up_to_80_characters() -> None:
    # eleven factors: ten 4-letter names and one 10-letter name, joined by " * ", print as exactly 80 characters
    text = " * ".join(["abcd"] * 10 + ["abcdefghij"])
    assert len(text) == 80
    assert f"the value of {text} has a numerator of more than 1000 digits" in _too_large(text, ["abcd", "abcdefghij"])
    longer = " * ".join(["abcd"] * 10 + ["abcdefghijk"])
    assert f"the value of {longer[:77]}... has a numerator" in _too_large(longer, ["abcd", "abcdefghijk"])


@pytest.mark.parametrize("text", [
    "+".join(["-a"] * 40), "+".join(["(a)"] * 40), "+".join(["abs(a)"] * 40), "+".join(["-(-a)"] * 40),
])
def test_nesting_counts_only_open_levels_not_siblings(text: str) -> None:
    assert evaluate(parse_formula(text, ["a"]), {"a": Fraction(1)}) in (40, -40)


@pytest.mark.parametrize("first", ["-a", "(a)", "abs(a)"])
@pytest.mark.parametrize("deep", ["-" * 33 + "a", "(" * 33 + "a" + ")" * 33, "abs(" * 33 + "a" + ")" * 33])
def test_a_closed_level_does_not_lend_its_depth_to_the_next(first: str, deep: str) -> None:
    with pytest.raises(FormulaTooComplex, match="nests deeper than 32 levels"):
        parse_formula(f"{first} + {deep}", ["a"])


def test_input_names_are_at_most_64_characters() -> None:
    assert parse_formula("x" * 64, ["x" * 64]) == Name("x" * 64)
    with pytest.raises(FormulaSyntaxError, match="is not an identifier"):
        parse_formula("a", ["a", "x" * 65])


@pytest.mark.parametrize("text, message", [
    ("a 12", "unexpected '12': expected an operator at column 3"),
    ("a + * b", "unexpected '*': expected a number, name or '(' at column 5"),
    ("a  +", "formula is incomplete: expected a number, name or '(' at the end"),
    ("(a b", "expected ')' to close the '(' of column 1 at column 4"),
    ("abs(a, b)", "abs at column 1 takes 1 argument, got 2"),
    ("b + ratio(a)", "ratio at column 5 takes 2 arguments, got 1"),
    ("sum() + a", "sum() at column 1 needs at least one argument"),
])
def test_syntax_errors_name_the_token_and_its_column(text: str, message: str) -> None:
    with pytest.raises(ClaimError) as caught:
        parse_formula(text, ["a", "b"], where="w")
    assert str(caught.value).split("; ")[0] == f"w: {message}"


_PAIRS = [(n, d) for d in range(1, 5) for n in range(-4, 5)]  # unreduced on purpose: (2, 4) next to (1, 2)
_BINARY = {
    "a + b": lambda a, b: a + b, "a - b": lambda a, b: a - b, "a * b": lambda a, b: a * b,
    "difference(a, b)": lambda a, b: a - b, "sum(a, b, a)": lambda a, b: 2 * a + b,
    "mean(a, b)": lambda a, b: (a + b) / 2, "min(a, b)": min, "max(a, b)": max, "min(b, a, b)": min,
    "max(b, a, b)": max, "abs(a) - abs(b)": lambda a, b: abs(a) - abs(b),
}
_DIVIDING = {"a / b": lambda a, b: a / b, "ratio(a, b)": lambda a, b: a / b,
             "percent_change(b, a)": lambda a, b: 100 * (a - b) / b}


@pytest.mark.parametrize("text", [*_BINARY, *_DIVIDING])
def test_pair_arithmetic_agrees_with_fractions_on_unreduced_pairs(text: str) -> None:
    expr = parse_formula(text, ["a", "b"])
    reference = {**_BINARY, **_DIVIDING}[text]
    for a in _PAIRS:
        for b in _PAIRS:
            if text in _DIVIDING and b[0] == 0:
                continue
            n, d = fm.evaluate_pair(expr, {"a": a, "b": b})
            assert d > 0 and Fraction(n, d) == reference(Fraction(*a), Fraction(*b)), (text, a, b)


def test_depth_is_measured_down_the_right_operand_too() -> None:
    # a + (127-term product): the product hangs off the right of the sum, one level down
    assert parse_formula("a + " + "*".join(["a"] * 127), ["a"]) is not None
    with pytest.raises(FormulaTooComplex, match="depth 129 and 257 nodes"):
        parse_formula("a + " + "*".join(["a"] * 128), ["a"])


@pytest.mark.parametrize("text, message", [
    ("percent_change(z, a)", "division by zero in percent_change(z, a): z is 0"),
    ("ratio(a, z)", "division by zero in ratio(a, z): z is 0"),
    ("a / z", "division by zero in a / z (z is 0)"),
    # regression: the divisor was printed without its brackets ("a / z * a (z * a is 0)")
    ("a / (z * a)", "division by zero in a / (z * a) (z * a is 0)"),
])
def test_division_by_zero_names_the_input_that_is_zero(text: str, message: str) -> None:
    with pytest.raises(fm.DivisionByZero) as caught:
        evaluate(parse_formula(text, ["a", "z"]), {"a": Fraction(2), "z": Fraction(0)})
    assert str(caught.value).split("; ")[0] == f"formula: {message}"
