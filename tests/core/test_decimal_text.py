"""Strict decimal strings: ASCII only, no exponent, bounded; exact rendering."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance.claims.errors import DecimalFormatError
from provenance.decimal_text import (
    MAX_DECIMAL_CHARS,
    decimal_places,
    parse_decimal,
    render_decimal,
    render_fraction,
    render_shortest,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("8.2", Fraction(82, 10)), ("-0.05", Fraction(-5, 100)), ("0", Fraction(0)), ("007.50", Fraction(15, 2))],
)
def test_parses_exactly(text: str, value: Fraction) -> None:
    assert parse_decimal(text) == value


@pytest.mark.parametrize(
    "text",
    ["1e5", "+1", " 1", "1 ", "1.", ".5", "1,000", "1_000", "", "-", "--1", "0x10", "NaN", "inf",
     "\u0663", "\uff11", "1\u00b2", "\u0661.\u0662", "1.2.3", "١٢"],
)
def test_rejects_malformed(text: str) -> None:
    with pytest.raises(DecimalFormatError) as info:
        parse_decimal(text, where="claim c1: check.expected")
    assert "claim c1: check.expected" in str(info.value)


@pytest.mark.parametrize("value", [8, 8.2, True, None, ["8.2"]])
def test_rejects_non_strings(value: object) -> None:
    with pytest.raises(DecimalFormatError, match="expected a decimal string"):
        parse_decimal(value)


def test_rejects_over_long() -> None:
    with pytest.raises(DecimalFormatError, match="over the limit"):
        parse_decimal("1" * (MAX_DECIMAL_CHARS + 1))
    assert parse_decimal("1" * MAX_DECIMAL_CHARS) == int("1" * MAX_DECIMAL_CHARS)


def test_rendering() -> None:
    assert render_decimal(Fraction(227, 30), 2) == "7.57"
    assert render_decimal(Fraction(227, 30), 0) == "8"
    assert render_decimal(Fraction(-227, 30), 1) == "-7.6"
    assert render_decimal(Fraction(1, 200), 2) == "0.01"  # half away from zero
    assert render_decimal(Fraction(-1, 200), 2) == "-0.01"
    assert render_decimal(Fraction(1, 1000), 2) == "0.00"
    assert render_fraction(Fraction(227, 30)) == "227/30"
    assert render_fraction(Fraction(7)) == "7"
    assert render_shortest(Fraction(15, 2)) == "7.5"
    assert render_shortest(Fraction(1, 3), 4) == "0.3333"
    assert decimal_places("7.570") == 3 and decimal_places("7") == 0


@given(st.integers(-(10**30), 10**30), st.integers(0, 20))
def test_render_parse_round_trip(units: int, places: int) -> None:
    value = Fraction(units, 10**places)
    text = render_decimal(value, places)
    assert parse_decimal(text) == value
    assert decimal_places(text) == places


@given(st.text(max_size=60))
def test_no_string_crashes_the_parser(text: str) -> None:
    try:
        value = parse_decimal(text)
    except DecimalFormatError:
        return
    assert isinstance(value, Fraction)
    assert text.isascii()
