"""The ``--json`` text: exactly ``json.dumps(obj, indent=2, ensure_ascii=False)``, written fast and streamed.

The standard library's C encoder does not indent, and its pure-Python indenting encoder
costs more than checking 100,000 claims. :func:`indented` renders the JSON trees our
commands print (dicts with string keys, lists, tuples, strings, integers, booleans,
None) with the C string escaper and plain recursion; any other value (floats, other
key types, subclasses) makes it defer to ``json.dumps`` for that value, so the bytes
never differ. :func:`write_list` writes a list one item at a time, so a long list
is never one giant string.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring
from typing import Any

_INDENT = "  "


def _generic(value: Any, indent: str) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    return text.replace("\n", "\n" + indent) if indent else text


_KEYS: dict[str, str] = {}
"""``"key": `` for keys seen before (the same few keys recur in every item of a long list)."""
_SCALARS: dict[Any, str] = {None: "null", True: "true", False: "false"}


def indented(value: Any, indent: str = "") -> str:
    """``value`` as ``json.dumps(value, indent=2, ensure_ascii=False)`` renders it, nested at ``indent``."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is dict:
        if not value:
            return "{}"
        inner = indent + _INDENT
        parts: list[str] = []
        append = parts.append
        keys = _KEYS
        for key, item in value.items():
            prefix = keys.get(key)
            if prefix is None:
                if type(key) is not str:
                    return _generic(value, indent)
                prefix = encode_basestring(key) + ": "
                if len(keys) < 4096:
                    keys[key] = prefix
            item_kind = type(item)
            if item_kind is str:
                append(prefix + encode_basestring(item))
            elif item is None or item_kind is bool:
                append(prefix + _SCALARS[item])
            else:
                append(prefix + indented(item, inner))
        return "{\n" + inner + (",\n" + inner).join(parts) + "\n" + indent + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = indent + _INDENT
        return ("[\n" + inner + (",\n" + inner).join([encode_basestring(item) if type(item) is str
                                                      else indented(item, inner) for item in value])
                + "\n" + indent + "]")
    if value is None or kind is bool:
        return _SCALARS[value]
    if kind is int:
        return int.__repr__(value)
    return _generic(value, indent)


def write_list(items: Iterable[Any], write: Callable[[str], object], *, batch: int = 256) -> None:
    """Write ``[...]`` of ``items`` as :func:`indented` renders the list, in batches of ``batch`` items."""
    sep = ",\n" + _INDENT
    pending: list[str] = []
    opened = False
    for item in items:
        pending.append(indented(item, _INDENT))
        if len(pending) >= batch:
            write(("[\n" + _INDENT if not opened else sep) + sep.join(pending))
            opened = True
            pending.clear()
    if pending:
        write(("[\n" + _INDENT if not opened else sep) + sep.join(pending))
        opened = True
    write("\n]" if opened else "[]")
