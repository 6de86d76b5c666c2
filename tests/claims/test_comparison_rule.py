"""The comparison rule (engine.compare_pair / _bounds) against an independent restatement of DESIGN.md.

A check holds when the exact value v and the expected e satisfy every bound given, inclusive:
absolute tolerance |v - e| <= t; relative tolerance |v - e| <= t * |e|; precision N |v - e| <= 5 * 10**-(N+1).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.claims.engine import compare, compare_pair
from provenance.claims.errors import DivisionByZero
from provenance.claims.model import parse_check


def _check(value: str, expected: str, **bounds: Any) -> Any:
    return parse_check({"formula": "x", "inputs": {"x": value}, "expected": expected, **bounds})


def _reference(v: Fraction, e: Fraction, tolerance: dict[str, str] | None, precision: int | None) -> bool:
    gap = abs(v - e)
    ok = True
    if tolerance is not None:
        ((kind, amount),) = tolerance.items()
        allowed = Fraction(amount) if kind == "absolute" else Fraction(amount) * abs(e)
        ok = ok and gap <= allowed
    if precision is not None:
        ok = ok and gap <= Fraction(5, 10 ** (precision + 1))
    return ok


def _text(q: Fraction, places: int = 6) -> str:
    """``q`` as a decimal string (``q`` must have at most ``places`` decimals)."""
    scaled = q * 10**places
    assert scaled.denominator == 1
    sign, digits = ("-" if scaled < 0 else ""), str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


decimals = st.integers(-(10**8), 10**8).map(lambda n: Fraction(n, 10**4))
amounts = st.integers(0, 10**6).map(lambda n: Fraction(n, 10**4))


@settings(max_examples=400)
@given(decimals, decimals, st.one_of(st.none(), st.tuples(st.sampled_from(["absolute", "relative"]), amounts)),
       st.one_of(st.none(), st.integers(0, 5)))
def test_the_rule_agrees_with_its_restatement(v: Fraction, e: Fraction, tol: tuple[str, Fraction] | None,
                                              precision: int | None) -> None:
    if tol is None and precision is None:
        precision = 2
    tolerance = {tol[0]: _text(tol[1])} if tol is not None else None
    bounds: dict[str, Any] = {}
    if tolerance is not None:
        bounds["tolerance"] = tolerance
    if precision is not None:
        bounds["precision"] = precision
    check = _check(_text(v), _text(e), **bounds)
    (n, d), holds = compare_pair(check)
    assert Fraction(n, d) == v
    assert holds == _reference(v, e, tolerance, precision)
    outcome = compare(check)
    assert outcome.value == v and outcome.holds == holds


@pytest.mark.parametrize("value, expected, bounds, holds", [
    # absolute: inclusive edge on both sides, one unit beyond fails
    ("1.05", "1", {"tolerance": {"absolute": "0.05"}}, True),
    ("0.95", "1", {"tolerance": {"absolute": "0.05"}}, True),
    ("1.0500001", "1", {"tolerance": {"absolute": "0.05"}}, False),
    ("0.9499999", "1", {"tolerance": {"absolute": "0.05"}}, False),
    # relative is against |expected|, also for a negative expected value
    ("-10.5", "-10", {"tolerance": {"relative": "0.05"}}, True),
    ("-9.5", "-10", {"tolerance": {"relative": "0.05"}}, True),
    ("-10.5000001", "-10", {"tolerance": {"relative": "0.05"}}, False),
    ("10.5", "10", {"tolerance": {"relative": "0.05"}}, True),
    ("10.6", "10", {"tolerance": {"relative": "0.05"}}, False),
    # relative tolerance of a zero expected value allows only zero
    ("0", "0", {"tolerance": {"relative": "0.5"}}, True),
    ("0.0000001", "0", {"tolerance": {"relative": "0.5"}}, False),
    # precision N: the half unit of the last stated decimal, inclusive
    ("7.565", "7.57", {"precision": 2}, True),
    ("7.575", "7.57", {"precision": 2}, True),
    ("7.5649999", "7.57", {"precision": 2}, False),
    ("7.5750001", "7.57", {"precision": 2}, False),
    ("2.5", "2", {"precision": 0}, True),
    ("2.5000001", "2", {"precision": 0}, False),
    ("1.49", "2", {"precision": 0}, False),
    # both: every bound must hold
    ("7.569", "7.57", {"precision": 2, "tolerance": {"absolute": "0.0001"}}, False),
    ("7.569", "7.57", {"precision": 3, "tolerance": {"absolute": "0.01"}}, False),
    ("7.5699", "7.57", {"precision": 3, "tolerance": {"absolute": "0.0001"}}, True),
    # exact equality with a zero tolerance
    ("3.14", "3.14", {"tolerance": {"absolute": "0"}}, True),
    ("3.1400001", "3.14", {"tolerance": {"absolute": "0"}}, False),
])
def test_edges(value: str, expected: str, bounds: dict[str, Any], holds: bool) -> None:
    assert compare_pair(_check(value, expected, **bounds))[1] is holds


def test_values_given_replace_the_inputs_and_keep_the_rule() -> None:
    check = _check("1", "2", tolerance={"absolute": "0.1"})
    assert compare_pair(check)[1] is False
    assert compare_pair(check, {"x": (21, 10)})[1] is True  # 2.1: on the edge
    assert compare_pair(check, {"x": (211, 100)})[1] is False
    assert compare(check, {"x": Fraction(19, 10)}).holds is True


def test_an_evaluation_error_names_the_claim_and_the_formula() -> None:
    check = parse_check({"formula": "ratio(x, y)", "inputs": {"x": "1", "y": "0"}, "expected": "1", "precision": 0})
    with pytest.raises(DivisionByZero) as info:
        compare_pair(check, where="claim c9: check")
    assert info.value.where == "claim c9: check.formula"
