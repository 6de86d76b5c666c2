"""The sha256 of a check's RFC 8785 bytes, with a fast path for the common shape.

A check is small JSON of ASCII keys, strings and small integers. For such
documents ``json.dumps(sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` produces exactly the RFC 8785 bytes: keys are ASCII (so
code-point order equals UTF-16 order), strings are escaped the same way
(``\\" \\\\ \\b \\f \\n \\r \\t`` and ``\\u00xx`` for other controls, nothing
else), and integers within +-2**53 print identically. Anything else (floats,
big integers, non-ASCII keys, lone surrogates) goes through
:func:`provenance.jsonio.canonical_sha256`, the one canonical form.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from provenance.jsonio import canonical_sha256

_SAFE_INT = 2**53
_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _simple(obj: Any) -> bool:
    stack = [obj]
    pop = stack.pop
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if -_SAFE_INT <= item <= _SAFE_INT:
                continue
            return False
        if kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            stack.extend(item.values())
            continue
        if kind is list:
            stack.extend(item)
            continue
        return False
    return True


def check_digest(raw: Any) -> str:
    """Lowercase hex sha256 of the RFC 8785 bytes of ``raw`` (identical to ``canonical_sha256``)."""
    if _simple(raw):
        try:
            return hashlib.sha256(_encoder.encode(raw).encode("utf-8")).hexdigest()
        except UnicodeEncodeError:  # a lone surrogate: let the canonical encoder decide
            pass
    return canonical_sha256(raw)
