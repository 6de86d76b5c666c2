"""The one strict JSON reader and the one canonical byte form (RFC 8785).

Every command that reads or signs JSON goes through here. The reader rejects
duplicate keys, NaN and Infinity, and (unless asked) fractional JSON numbers:
measured values are decimal strings ("8.2"), never floats.
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


class _Reject(ValueError):
    """Raised inside the decoder hooks; turned into an InputError with a position."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Reject(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> NoReturn:
    raise _Reject(f"{name} is not allowed in JSON documents")


def _no_fraction(text: str) -> NoReturn:
    raise _Reject(f"fractional JSON number {text}: write it as a decimal string \"{text}\"")


def loads_strict(data: bytes | str, *, source: str = "<input>", allow_fractions: bool = False) -> Any:
    """Parse JSON strictly; raise :class:`InputError` naming ``source`` and the line."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"not UTF-8 text (byte {exc.start})", where=source, remedy="give a UTF-8 JSON file"
            ) from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constant,
            parse_float=float if allow_fractions else _no_fraction,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", where=f"{source}:{exc.lineno}:{exc.colno}", remedy="fix the JSON syntax"
        ) from None
    except _Reject as exc:
        raise InputError(str(exc), where=source, remedy="fix the document") from None
    except RecursionError:
        raise InputError("JSON nested too deeply", where=source, remedy="flatten the document") from None


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
    """The one signed byte form: RFC 8785 JSON Canonicalization Scheme. Floats are refused."""
    _reject_floats(obj)
    return bytes(rfc8785.dumps(obj))


def canonical_sha256(obj: Any) -> str:
    """Lowercase hex sha256 of :func:`canonical_bytes`."""
    return hashlib.sha256(canonical_bytes(obj)).hexdigest()


def pretty_bytes(obj: Any) -> bytes:
    """Human-readable, deterministic JSON (sorted keys, two-space indent, trailing newline)."""
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def write_json(path: str | os.PathLike[str], obj: Any, *, mode: int = 0o644) -> None:
    """Atomically write ``obj`` as :func:`pretty_bytes`."""
    atomic_write_bytes(path, pretty_bytes(obj), mode)
