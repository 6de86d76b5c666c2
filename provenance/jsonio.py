"""The one strict JSON reader and the one canonical byte form (RFC 8785).

Every command that reads or signs JSON goes through here. The reader rejects
duplicate keys, NaN and Infinity, (unless asked) fractional JSON numbers
(measured values are decimal strings, "8.2", never floats), and integers
outside ±(2**53 - 1): the range RFC 8785 and I-JSON (RFC 7493) allow, far
below Python's 4,300-digit conversion limit, so no integer literal however long
is ever converted, and everything read can be canonicalised.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, NoReturn

import rfc8785

from archive.atomic import atomic_write_bytes
from provenance.errors import InputError
from provenance.inputfile import read_input_bytes

MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest magnitude of a JSON integer we read or sign (RFC 8785, I-JSON)."""
_SAFE_DIGITS = len(str(MAX_SAFE_INTEGER))  # JSON has no leading zeros: a longer literal is out of range
# Any integer literal of fewer digits than MAX_SAFE_INTEGER is in range; only text holding a run of that
# many digits (an integer, or digits inside a string) takes the slower path that checks every integer.
# The run is looked for on the UTF-8 bytes with every ASCII digit mapped to "0" and every other byte to " "
# (no byte of a multi-byte UTF-8 sequence is an ASCII digit): ten times faster than a regex search.
_DIGITS_AS_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_DIGIT_RUN = b"0" * _SAFE_DIGITS


def _has_long_digit_run(utf8: bytes) -> bool:
    """Whether ``utf8`` holds a run of as many ASCII digits as MAX_SAFE_INTEGER has."""
    return _LONG_DIGIT_RUN in utf8.translate(_DIGITS_AS_ZERO)


class _Reject(ValueError):
    """Raised inside the decoder hooks; turned into an InputError with a position."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Reject(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _no_constant(name: str) -> NoReturn:
    raise _Reject(f"{name} is not allowed in JSON documents")


def _no_fraction(text: str) -> NoReturn:
    raise _Reject(f"fractional JSON number {text}: write it as a decimal string \"{text}\"")


class _OutOfRange:
    """Stands in for an integer literal out of range until its JSON path is known."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _path_of(obj: Any, target: object) -> str | None:
    """The JSON path of ``target`` inside ``obj`` (depth first, without recursion)."""
    stack: list[tuple[str, Any]] = [("$", obj)]
    while stack:
        path, node = stack.pop()
        if node is target:
            return path
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return None


def _out_of_range_error(result: Any, marker: _OutOfRange, source: str) -> InputError:
    digits = marker.text.lstrip("-")
    shown = marker.text if len(marker.text) <= 24 else f"{marker.text[:12]}...{marker.text[-6:]}"
    return InputError(
        f"integer {shown} ({len(digits)} digits) is out of range: JSON integers here are at most "
        f"{MAX_SAFE_INTEGER} in magnitude",
        where=f"{source}: {_path_of(result, marker) or '$'}",
        remedy="write a smaller number, or a large quantity as a decimal string",
    )


def loads_strict(data: bytes | str, *, source: str = "<input>", allow_fractions: bool = False) -> Any:
    """Parse JSON strictly; raise :class:`InputError` naming ``source`` and the line (or JSON path)."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not UTF-8 text (byte {exc.start})", where=source, remedy="give a UTF-8 JSON file"
            ) from None
        utf8 = data
    else:
        text = data
        utf8 = data.encode("utf-8", "surrogatepass")
    if text.startswith("\ufeff"):
        text = text[1:]
    out_of_range: list[_OutOfRange] = []

    def parse_int(literal: str) -> Any:
        if len(literal) - (literal[0] == "-") <= _SAFE_DIGITS:
            value = int(literal)
            if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
                return value
        marker = _OutOfRange(literal)
        out_of_range.append(marker)
        return marker

    try:
        result = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=float if allow_fractions else _no_fraction,
            parse_int=parse_int if _has_long_digit_run(utf8) else None,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", where=f"{source}:{exc.lineno}:{exc.colno}", remedy="fix the JSON syntax"
        ) from None
    except _Reject as exc:
        raise InputError(str(exc), where=source, remedy="fix the document") from None
    except RecursionError:
        raise InputError("JSON nested too deeply", where=source, remedy="flatten the document") from None
    if out_of_range:
        raise _out_of_range_error(result, out_of_range[0], source)
    return result


def load_json_file(path: str | os.PathLike[str], *, allow_fractions: bool = False) -> Any:
    """Read and strictly parse a JSON file; every failure is one :class:`InputError`."""
    p = Path(path)
    data = read_input_bytes(p, max_bytes=MAX_JSON_BYTES, what="a JSON document")
    if not data.strip():
        raise InputError("file is empty", where=str(p), remedy="give a non-empty JSON document")
    return loads_strict(data, source=str(p), allow_fractions=allow_fractions)


def _reject_floats(obj: Any, path: str = "$") -> None:
    if isinstance(obj, float):
        raise InputError(f"float {obj!r} cannot be signed exactly", where=path, remedy="use a decimal string")
    if isinstance(obj, dict):
        for key, value in obj.items():
            _reject_floats(value, f"{path}.{key}")
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            _reject_floats(value, f"{path}[{index}]")


def canonical_bytes(obj: Any) -> bytes:
    """The one signed byte form: RFC 8785 JSON Canonicalization Scheme.

    Floats, integers beyond ±(2**53 - 1), lone surrogates, non-string keys and
    nesting too deep are :class:`InputError`, never a crash.
    """
    _reject_floats(obj)
    try:
        return bytes(rfc8785.dumps(obj))
    except rfc8785.CanonicalizationError as exc:
        raise InputError(f"cannot be written as canonical JSON: {exc}", where="$",
                         remedy="integers at most 2**53 - 1 in magnitude, string keys, valid Unicode") from None
    except RecursionError:
        raise InputError("JSON nested too deeply to canonicalise", where="$", remedy="flatten the document") from None


def canonical_sha256(obj: Any) -> str:
    """Lowercase hex sha256 of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


def pretty_bytes(obj: Any) -> bytes:
    """Human-readable, deterministic JSON (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_json(path: str | os.PathLike[str], obj: Any, *, mode: int = 0o644) -> None:
    """Atomically write ``obj`` as :func:`pretty_bytes`."""
    atomic_write_bytes(path, pretty_bytes(obj), mode)
