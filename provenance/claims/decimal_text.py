"""Strict decimal strings <-> exact fractions.

Measured values travel as ASCII decimal strings (``"8.2"``, ``"-0.05"``). Only
``-?[0-9]+(\\.[0-9]+)?`` is accepted: no exponent, no ``+``, no spaces, no
thousands separators, no non-ASCII digits (``int()`` and ``\\d`` accept those,
so neither is used on raw text), and a bounded length.
"""

from __future__ import annotations

import re
from fractions import Fraction

from provenance.claims.errors import DecimalFormatError

MAX_DECIMAL_CHARS = 100
"""Longest decimal string accepted, sign and point included."""

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


def is_decimal(text: object) -> bool:
    """True when ``text`` is a string :func:`parse_decimal` accepts."""
    return (
        isinstance(text, str) and len(text) <= MAX_DECIMAL_CHARS and _DECIMAL.fullmatch(text) is not None
    )


def parse_decimal(text: object, *, where: str = "value") -> Fraction:
    """The exact value of a decimal string; :class:`DecimalFormatError` naming ``where`` otherwise."""
    if not isinstance(text, str):
        kind = type(text).__name__
        hint = f' write it as the string "{text}"' if isinstance(text, int | float) and not isinstance(text, bool) else ""
        raise DecimalFormatError(
            f"expected a decimal string, got a JSON {kind}", where=where, remedy=f"give a decimal string;{hint}".rstrip(";")
        )
    if len(text) > MAX_DECIMAL_CHARS:
        raise DecimalFormatError(
            f"decimal string is {len(text)} characters, over the limit of {MAX_DECIMAL_CHARS}",
            where=where,
            remedy="give a shorter decimal",
        )
    if _DECIMAL.fullmatch(text) is None:
        shown = text if text.isprintable() and len(text) <= 40 else repr(text[:40])
        raise DecimalFormatError(
            f"malformed decimal {shown!r}",
            where=where,
            remedy='write it as ASCII digits with an optional "-" and "." (e.g. "8.2"), no exponent or separators',
        )
    negative = text.startswith("-")
    digits = text[1:] if negative else text
    whole, _, frac = digits.partition(".")
    value = Fraction(int(whole + frac, 10), 10 ** len(frac))
    return -value if negative else value


def _pow10(places: int) -> int:
    return int(10**places)


def decimal_places(text: str) -> int:
    """Number of digits after the point of a decimal string (0 for integers)."""
    _, dot, frac = text.partition(".")
    return len(frac) if dot else 0


def round_half_away(value: Fraction, places: int) -> int:
    """``value * 10**places`` rounded to the nearest integer, halves away from zero."""
    scaled = value * _pow10(places)
    magnitude = abs(scaled)
    n = magnitude.numerator // magnitude.denominator
    if (magnitude - n) * 2 >= 1:
        n += 1
    return -n if scaled < 0 else n


def render_decimal(value: Fraction, places: int) -> str:
    """``value`` as a decimal string with exactly ``places`` digits after the point (halves away from zero)."""
    if places < 0:
        raise ValueError("places must be >= 0")
    n = round_half_away(value, places)
    sign = "-" if n < 0 else ""
    digits = str(abs(n)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def render_fraction(value: Fraction) -> str:
    """``value`` as ``"numerator/denominator"`` in lowest terms (``"7"`` when whole)."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def is_exact_in(value: Fraction, places: int) -> bool:
    """True when ``value`` has a finite decimal expansion of at most ``places`` digits."""
    return (value * _pow10(places)).denominator == 1


def render_shortest(value: Fraction, max_places: int = 10) -> str:
    """Shortest exact decimal of ``value`` if it has at most ``max_places`` digits, else rounded to ``max_places``."""
    for places in range(max_places + 1):
        if is_exact_in(value, places):
            return render_decimal(value, places)
    return render_decimal(value, max_places)
