"""The decimal reader and renderer at their edges (issue 13.19: each guard and constant pinned by a test)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provenance import decimal_text as dt
from provenance.claims.errors import DecimalFormatError


def test_length_limit_is_inclusive() -> None:
    at, over = "1" * dt.MAX_DECIMAL_CHARS, "1" * (dt.MAX_DECIMAL_CHARS + 1)
    assert dt.is_decimal(at) and not dt.is_decimal(over)
    assert dt.parse_decimal_pair(at) == (int(at), 1)
    with pytest.raises(DecimalFormatError, match=f"is {dt.MAX_DECIMAL_CHARS + 1} characters, over the limit of "
                                                 f"{dt.MAX_DECIMAL_CHARS}"):
        dt.parse_decimal_pair(over)


@pytest.mark.parametrize("text, pair", [
    ("0", (0, 1)), ("7", (7, 1)), ("007", (7, 1)), ("-12", (-12, 1)), ("8.2", (82, 10)), ("-0.05", (-5, 100)),
    ("-1.50", (-150, 100)), ("10.001", (10001, 1000)), ("-0", (0, 1)), ("0.0", (0, 10)),
])
def test_pairs_are_exact_and_unreduced(text: str, pair: tuple[int, int]) -> None:
    assert dt.parse_decimal_pair(text) == pair
    assert dt.parse_decimal_pair(text) == pair  # the cached answer is the same


def test_pow10_agrees_with_power_everywhere() -> None:
    for places in range(0, len(dt.POW10) + 40):
        assert dt.pow10(places) == 10**places, places


def test_pair_cache_stays_bounded() -> None:
    for i in range(dt._PAIRS_MAX + 10):
        dt.parse_decimal_pair(f"{i}.5")
    assert len(dt._PAIRS) <= dt._PAIRS_MAX
    assert dt.parse_decimal_pair(f"{dt._PAIRS_MAX + 5}.5") == ((dt._PAIRS_MAX + 5) * 10 + 5, 10)


@pytest.mark.parametrize("value, hint", [(5, 'write it as the string "5"'), (2.5, 'write it as the string "2.5"'),
                                         (True, None), (None, None), ([1], None)])
def test_non_strings_say_what_they_are_and_numbers_how_to_write_them(value: object, hint: str | None) -> None:
    with pytest.raises(DecimalFormatError) as info:
        dt.parse_decimal_pair(value, where="$.x")
    text = str(info.value)
    assert f"got a JSON {type(value).__name__}" in text and text.startswith("$.x: ")
    assert (hint in text) if hint else ("write it as the string" not in text)


def test_malformed_text_is_shown_when_short_and_printable_else_repr_cut() -> None:
    with pytest.raises(DecimalFormatError, match="malformed decimal '7.1e1'"):
        dt.parse_decimal_pair("7.1e1")
    forty = "x" * 40
    with pytest.raises(DecimalFormatError) as info:
        dt.parse_decimal_pair(forty)
    assert f"malformed decimal '{forty}'" in str(info.value)
    with pytest.raises(DecimalFormatError) as info:
        dt.parse_decimal_pair(forty + "y")
    assert "malformed decimal \"'" + forty + "'\"" in str(info.value)  # over 40: repr of the first 40
    with pytest.raises(DecimalFormatError) as info:
        dt.parse_decimal_pair("1\n2")
    assert "malformed decimal \"'1\\\\n2'\"" in str(info.value)


def test_render_refuses_negative_places() -> None:
    with pytest.raises(ValueError, match="places must be >= 0"):
        dt.render_pair(1, 3, -1)
    assert dt.render_pair(2, 3, 0) == "1"


@pytest.mark.parametrize("n, d, places", [(5, 10, 1), (3, 6, 1), (1, 3, None), (7, 1, 0), (1, 8, 3), (3, 40, 3),
                                          (0, 7, 0), (-1, 4, 2), (6, 15, 1)])
def test_terminating_places(n: int, d: int, places: int | None) -> None:
    assert dt.terminating_places(n, d) == places


@pytest.mark.parametrize("n, d, places, text", [(1, 2, 0, "1"), (-1, 2, 0, "-1"), (5, 100, 1, "0.1"),
                                                (-5, 100, 1, "-0.1"), (-4, 100, 1, "0.0"), (1, 3, 2, "0.33"),
                                                (-2, 3, 3, "-0.667"), (0, 1, 2, "0.00")])
def test_render_rounds_halves_away_from_zero(n: int, d: int, places: int, text: str) -> None:
    assert dt.render_pair(n, d, places) == text


@given(st.integers(-(10**25), 10**25), st.integers(1, 10**12), st.integers(0, 15))
def test_render_agrees_with_decimal_half_up(n: int, d: int, places: int) -> None:
    assert dt.render_pair(n, d, places) == _reference(Fraction(n, d), places)


def _reference(value: Fraction, places: int) -> str:
    """Half away from zero, independently: work on the magnitude with Fraction arithmetic, then place the point."""
    scaled = abs(value) * 10**places
    q = int(scaled)
    if scaled - q >= Fraction(1, 2):
        q += 1
    digits = str(q).rjust(places + 1, "0")
    body = digits if places == 0 else digits[:-places] + "." + digits[-places:]
    return ("-" if value < 0 and q != 0 else "") + body


@given(st.integers(-(10**30), 10**30), st.integers(0, 30))
def test_parse_agrees_with_decimal(units: int, places: int) -> None:
    text = str(Decimal(units).scaleb(-places)) if places else str(units)
    if "E" in text:
        return
    assert dt.parse_decimal(text) == Fraction(Decimal(text))


def test_shortest_rendering_says_whether_it_is_exact() -> None:
    assert dt.render_shortest_pair(1, 8, 10) == ("0.125", True)
    assert dt.render_shortest_pair(1, 3, 4) == ("0.3333", False)
    assert dt.render_shortest_pair(1, 1024, 10) == ("0.0009765625", True)
    assert dt.render_shortest_pair(1, 2048, 10) == ("0.0004882813", False)  # 11 places exist, 10 are shown
    assert dt.is_exact_in(Fraction(1, 8), 3) and not dt.is_exact_in(Fraction(1, 8), 2)
    assert dt.render_fraction(Fraction(6, 4)) == "3/2" and dt.render_fraction(Fraction(4, 2)) == "2"
    assert dt.decimal_places("8.20") == 2 and dt.decimal_places("-8") == 0
    assert dt.round_half_away(Fraction(-5, 2), 0) == -3 and dt.render_decimal(Fraction(1, 2), 0) == "1"


def test_a_100_character_decimal_is_accepted_and_a_malformed_one_is_called_malformed() -> None:
    exactly = "9" * 50 + "." + "7" * 49  # 100 characters, parsed nowhere else (no cached answer)
    assert dt.parse_decimal_pair(exactly) == (int("9" * 50 + "7" * 49), 10**49)
    with pytest.raises(DecimalFormatError, match="malformed decimal") as info:
        dt.parse_decimal_pair("8" * 99 + "x")  # 100 characters: the length is fine, the text is not
    assert "over the limit" not in str(info.value)


def test_shortest_renderings_default_to_ten_places() -> None:
    assert dt.render_shortest(Fraction(1, 3)) == "0.3333333333"
    assert dt.render_shortest_pair(2, 3) == ("0.6666666667", False)
    assert dt.render_shortest(Fraction(1, 1024)) == "0.0009765625"


def _remedy(text: str) -> str | None:
    with pytest.raises(DecimalFormatError) as caught:
        dt.parse_decimal_pair(text)
    return caught.value.remedy


GENERIC_REMEDY = 'write it as ASCII digits with an optional "-" and "." (e.g. "8.2"), no exponent or separators'


@pytest.mark.parametrize("text, plain", [
    ("1e-3", "0.001"), ("1.5E2", "150"), ("-2.5e+1", "-25"), ("1e-60", "0." + "0" * 59 + "1"),
    ("1e99", "1" + "0" * 99),
])
def test_an_exponent_is_answered_with_its_plain_decimal(text: str, plain: str) -> None:
    assert _remedy(text) == f'write "{plain}" (decimal strings have no exponent)'


@pytest.mark.parametrize("text", ["1e-61", "1e100", "1e-999"])
def test_an_exponent_whose_plain_decimal_is_too_long_gets_the_general_remedy(text: str) -> None:
    # 61 places, or 101 characters, is past what the reader accepts: no rewrite is offered
    assert _remedy(text) == GENERIC_REMEDY


def test_a_decimal_comma_is_answered_with_both_readings() -> None:
    assert _remedy("-3,25") == ('write "-3.25" if the comma is a decimal point, or "-325" if it separates '
                                "thousands (decimal strings have no separators)")


@pytest.mark.parametrize("text", ["8.2.1", "1,2,3", "+1", "1e", "١٢"])
def test_other_malformed_decimals_get_the_general_remedy(text: str) -> None:
    assert _remedy(text) == GENERIC_REMEDY
