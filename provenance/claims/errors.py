"""Typed errors of the claims engine: every one names the claim and says what to do."""

from __future__ import annotations

from provenance.errors import (
    ClaimError as ClaimError,  # the root of these kinds, shared with the decimal reader
)
from provenance.errors import DecimalFormatError as DecimalFormatError


class CheckFormatError(ClaimError):
    """The ``check`` object does not follow claim-check-v1."""


class FormulaSyntaxError(ClaimError):
    """The formula text does not parse."""


class FormulaTooComplex(ClaimError):
    """The formula is longer or nests deeper than the limits allow."""


class UnknownName(ClaimError):
    """The formula names an input or function that does not exist."""


class ArityError(ClaimError):
    """A function is called with the wrong number of arguments."""


class DivisionByZero(ClaimError):
    """Evaluation divided by an exact zero."""


class ValueTooLarge(ClaimError):
    """A value reached while evaluating has more digits than :data:`provenance.claims.formula.MAX_VALUE_DIGITS`."""
