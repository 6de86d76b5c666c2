"""The one JSON reader of :mod:`archive`: bounded, so hostile bytes give an error, never a crash.

Everything archive parses (a server's answers, request bodies at the stand-in,
journals, the local archive's rows) goes through :func:`loads`. Python's own
``json.loads`` crashes on such bytes in ways no caller expects: an integer
longer than 4,300 digits raises a bare ``ValueError`` (or is converted slowly),
deep nesting raises ``RecursionError``, and ``NaN``, ``Infinity`` or ``1e999``
become floats that later conversions choke on. Here each of them is a
:class:`JSONTextError` saying what was refused.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from archive.errors import ArchiveInputError

MAX_INTEGER_DIGITS = 20
"""Longest integer literal accepted (any 64-bit count or identifier fits)."""


class JSONTextError(ArchiveInputError):
    """Bytes that are not JSON archive accepts: malformed, or holding a value it refuses."""


class _Refused(ValueError):
    """Raised inside the decoder hooks; becomes a :class:`JSONTextError`."""


def _integer(literal: str) -> int:
    if len(literal) - literal.startswith("-") > MAX_INTEGER_DIGITS:
        raise _Refused(f"an integer of {len(literal.lstrip('-'))} digits (at most {MAX_INTEGER_DIGITS})")
    return int(literal)


def _number(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _Refused(f"the number {literal[:24]} is out of range")
    return value


def _constant(name: str) -> NoReturn:
    raise _Refused(f"{name}, which is not JSON")


def loads(data: bytes | str, *, what: str = "the JSON text") -> Any:
    """The JSON value in ``data`` (UTF-8 bytes or text), named ``what`` in errors.

    :class:`JSONTextError` when it is not UTF-8, not JSON, nested too deeply, or
    holds an integer longer than :data:`MAX_INTEGER_DIGITS` digits, ``NaN``,
    ``Infinity`` or a number beyond the float range.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_constant)
    except UnicodeDecodeError as exc:
        raise JSONTextError(f"{what} is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise JSONTextError(f"{what} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except _Refused as exc:
        raise JSONTextError(f"{what} holds {exc}") from None
    except RecursionError:
        raise JSONTextError(f"{what} is nested too deeply") from None
