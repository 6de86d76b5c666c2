"""Strict decimal strings <-> exact fractions.

Measured values travel as ASCII decimal strings (``"8.2"``, ``"-0.05"``). Only
``-?[0-9]+(\\.[0-9]+)?`` is accepted: no exponent, no ``+``, no spaces, no
thousands separators, no non-ASCII digits (``int()`` and ``\\d`` accept those,
so neither is used on raw text), and a bounded length.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from math import gcd

from provenance.errors import DecimalFormatError

MAX_DECIMAL_CHARS = 100
"""Longest decimal string accepted, sign and point included."""

_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


def is_decimal(text: object) -> bool:
    """True when ``text`` is a string :func:`parse_decimal` accepts."""
    return (
        isinstance(text, str) and len(text) <= MAX_DECIMAL_CHARS and _DECIMAL.fullmatch(text) is not None
    )


POW10: tuple[int, ...] = tuple(10**k for k in range(MAX_DECIMAL_CHARS + 64))
"""Powers of ten, precomputed (scaling decimals is the hot path of every check)."""


def pow10(places: int) -> int:
    """``10 ** places`` as an int."""
    return POW10[places] if 0 <= places < len(POW10) else int(10**places)


def _reject(text: object, where: str) -> DecimalFormatError:
    if not isinstance(text, str):
        kind = type(text).__name__
        number = isinstance(text, int | float) and not isinstance(text, bool)
        hint = f'; write it as the string "{text}"' if number else ""
        return DecimalFormatError(f"expected a decimal string, got a JSON {kind}", where=where, remedy=f"give a decimal string{hint}")
    if len(text) > MAX_DECIMAL_CHARS:
        return DecimalFormatError(
            f"decimal string is {len(text)} characters, over the limit of {MAX_DECIMAL_CHARS}",
            where=where,
            remedy="give a shorter decimal",
        )
    shown = text if text.isprintable() and len(text) <= 40 else repr(text[:40])
    return DecimalFormatError(
        f"malformed decimal {shown!r}",
        where=where,
        remedy=_suggestion(text)
        or 'write it as ASCII digits with an optional "-" and "." (e.g. "8.2"), no exponent or separators',
    )


_EXPONENT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?[eE][-+]?[0-9]{1,3}", re.ASCII)
_COMMA = re.compile(r"(-?[0-9]+),([0-9]+)", re.ASCII)


def _suggestion(text: str) -> str:
    """A concrete rewrite for the two common slips (an exponent, a decimal comma), else nothing."""
    if _EXPONENT.fullmatch(text):
        exact = Fraction(Decimal(text))
        places = terminating_places(exact.numerator, exact.denominator)
        plain = render_pair(exact.numerator, exact.denominator, places) if places is not None and places <= 60 else ""
        if plain and len(plain) <= MAX_DECIMAL_CHARS:
            return f'write "{plain}" (decimal strings have no exponent)'
    comma = _COMMA.fullmatch(text)
    if comma:
        return (f'write "{comma.group(1)}.{comma.group(2)}" if the comma is a decimal point, or '
                f'"{comma.group(1)}{comma.group(2)}" if it separates thousands (decimal strings have no separators)')
    return ""


_PAIRS: dict[str, tuple[int, int]] = {}
_PAIRS_MAX = 1 << 16


def parse_decimal_pair(text: object, *, where: str = "value") -> tuple[int, int]:
    """``(numerator, 10**places)`` of a decimal string, not reduced; :class:`DecimalFormatError` otherwise."""
    if type(text) is str:
        known = _PAIRS.get(text)
        if known is not None:
            return known
    if not isinstance(text, str) or len(text) > MAX_DECIMAL_CHARS or _DECIMAL.fullmatch(text) is None:
        raise _reject(text, where)
    whole, dot, frac = text.partition(".")
    if not dot:
        pair = int(whole, 10), 1
    elif whole.startswith("-"):
        pair = -int(whole[1:] + frac, 10), POW10[len(frac)]
    else:
        pair = int(whole + frac, 10), POW10[len(frac)]
    # only exact str keys: a subclass could redefine hashing
    if len(_PAIRS) < _PAIRS_MAX and type(text) is str:
        _PAIRS[text] = pair
    return pair


def parse_decimal(text: object, *, where: str = "value") -> Fraction:
    """The exact value of a decimal string; :class:`DecimalFormatError` naming ``where`` otherwise."""
    n, d = parse_decimal_pair(text, where=where)
    return Fraction(n, d)


def decimal_places(text: str) -> int:
    """Number of digits after the point of a decimal string (0 for integers)."""
    _, dot, frac = text.partition(".")
    return len(frac) if dot else 0


def round_half_away(value: Fraction, places: int) -> int:
    """``value * 10**places`` rounded to the nearest integer, halves away from zero."""
    return round_pair(value.numerator, value.denominator, places)


def round_pair(n: int, d: int, places: int) -> int:
    """``n/d * 10**places`` (``d > 0``) rounded to the nearest integer, halves away from zero."""
    q, r = divmod(abs(n) * pow10(places), d)
    if 2 * r >= d:
        q += 1
    return -q if n < 0 else q


def render_pair(n: int, d: int, places: int) -> str:
    """``n/d`` (``d > 0``) as a decimal string with exactly ``places`` digits (halves away from zero)."""
    if places < 0:
        raise ValueError("places must be >= 0")
    q = round_pair(n, d, places)
    sign = "-" if q < 0 else ""
    digits = str(abs(q)).rjust(places + 1, "0")
    if places == 0:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def render_decimal(value: Fraction, places: int) -> str:
    """``value`` as a decimal string with exactly ``places`` digits after the point (halves away from zero)."""
    return render_pair(value.numerator, value.denominator, places)


def render_fraction(value: Fraction) -> str:
    """``value`` as ``"numerator/denominator"`` in lowest terms (``"7"`` when whole)."""
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def terminating_places(n: int, d: int) -> int | None:
    """Digits after the point of the exact decimal of ``n/d`` (``d > 0``), or ``None`` if it does not terminate."""
    d //= gcd(n, d)
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    return max(twos, fives) if d == 1 else None


def is_exact_in(value: Fraction, places: int) -> bool:
    """True when ``value`` has a finite decimal expansion of at most ``places`` digits."""
    return pow10(places) % value.denominator == 0


def render_shortest(value: Fraction, max_places: int = 10) -> str:
    """Shortest exact decimal of ``value`` if it has at most ``max_places`` digits, else rounded to ``max_places``."""
    return render_shortest_pair(value.numerator, value.denominator, max_places)[0]


def render_shortest_pair(n: int, d: int, max_places: int = 10) -> tuple[str, bool]:
    """(shortest exact decimal of ``n/d`` if at most ``max_places`` digits else rounded, whether it is exact)."""
    places = terminating_places(n, d)
    if places is not None and places <= max_places:
        return render_pair(n, d, places), True
    return render_pair(n, d, max_places), False
