"""A compiled accept-only check for our JSON Schemas: the fast path before full validation.

:func:`compile_acceptor` turns a schema into a function ``instance -> bool`` that
returns True only when the instance is valid. It understands the keywords our
schemas use on large arrays (``type``, ``required``, ``properties``, ``items``,
``pattern``, lengths, ``const``, ``enum``, ``anyOf``, ``allOf``, ``$ref`` ...) and
hands any subschema it does not understand (``oneOf``, ``not``, ``if``,
``format``, ``uniqueItems``, an unknown keyword) to the full validator, so it is
never looser than the full validator; where it is stricter (a float where an
integer is allowed), it answers False and the caller runs the full validator
for the real findings. One invariant, pinned by a differential Hypothesis test:
``acceptor(x)`` implies the full validator finds no error in ``x``.

A document listing 10,000 files costs one jsonschema descent per keyword per
item; this costs a few dict lookups per item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

Acceptor = Callable[[Any], bool]

# Keywords that say nothing about validity.
_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "$defs", "$comment", "examples", "default"})

_TYPES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    # Stricter than JSON Schema (which also takes 1.0 as an integer): a float goes to the full validator.
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def _scalar_equal(a: Any, b: Any) -> bool:
    """JSON equality for strings, booleans, null and integers; anything else is 'not sure' (False)."""
    if type(a) is not type(b) or not isinstance(a, (str, bool, int, type(None))):
        return False
    return bool(a == b)


class _Compiler:
    def __init__(
        self,
        resources: Mapping[str, Mapping[str, Any]],
        fallback: Callable[[Mapping[str, Any], str], Acceptor],
        pattern: Callable[[str], re.Pattern[str]],
    ) -> None:
        self.resources = resources  # $id -> schema document
        self.fallback = fallback  # (subschema, base uri) -> the full validator's is_valid
        self.pattern = pattern
        self.done: dict[tuple[int, str], Acceptor] = {}

    def compile(self, schema: Any, base: str) -> Acceptor:
        key = (id(schema), base)
        if key in self.done:
            return self.done[key]
        cell: list[Acceptor] = []
        self.done[key] = lambda v: cell[0](v)  # a recursive $ref reaches this before it is built
        built = self._build(schema, base)
        cell.append(built)
        self.done[key] = built
        return built

    def _resolve(self, ref: str, base: str) -> tuple[Any, str] | None:
        uri, fragment = urldefrag(urljoin(base, ref))
        node: Any = self.resources.get(uri)
        if node is None or (fragment and not fragment.startswith("/")):
            return None
        for part in fragment.split("/")[1:] if fragment else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                return None
            node = node[part]
        return node, uri

    def _build(self, schema: Any, base: str) -> Acceptor:
        if schema is True:
            return lambda v: True
        if not isinstance(schema, Mapping):  # False, or not a schema: never accepted here
            return lambda v: False
        if isinstance(schema.get("$id"), str):  # a (nested) resource: its references resolve against its own id
            base = urljoin(base, schema["$id"])
        checks: list[Acceptor] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            check = self._keyword(keyword, value, schema, base)
            if check is None:  # a keyword this compiler does not handle: the full validator judges the subschema
                return self.fallback(schema, base)
            checks.append(check)
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)

    def _keyword(self, keyword: str, value: Any, schema: Mapping[str, Any], base: str) -> Acceptor | None:
        if keyword == "type":
            kinds = [value] if isinstance(value, str) else value
            if not isinstance(kinds, list) or any(k not in _TYPES for k in kinds):
                return None
            tests = [_TYPES[k] for k in kinds]
            return lambda v: any(t(v) for t in tests)
        if keyword == "required":
            names = list(value)
            return lambda v: not isinstance(v, dict) or all(n in v for n in names)
        if keyword == "properties":
            props = {name: self.compile(sub, base) for name, sub in value.items()}
            return lambda v: not isinstance(v, dict) or all(p(v[n]) for n, p in props.items() if n in v)
        if keyword == "additionalProperties":
            known = frozenset(schema.get("properties", {}))
            if "patternProperties" in schema:
                return None
            if value is False:
                return lambda v: not isinstance(v, dict) or all(k in known for k in v)
            extra = self.compile(value, base)
            return lambda v: not isinstance(v, dict) or all(extra(x) for k, x in v.items() if k not in known)
        if keyword == "propertyNames":
            names_ok = self.compile(value, base)
            return lambda v: not isinstance(v, dict) or all(names_ok(k) for k in v)
        if keyword == "items":
            item = self.compile(value, base)
            return lambda v: not isinstance(v, list) or all(item(x) for x in v)
        if keyword in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            kind = str if keyword.endswith("Length") else list if keyword.endswith("Items") else dict
            bound = value
            if keyword.startswith("min"):
                return lambda v: not isinstance(v, kind) or len(v) >= bound
            return lambda v: not isinstance(v, kind) or len(v) <= bound
        if keyword in ("minimum", "maximum"):
            if not isinstance(value, int) or isinstance(value, bool):
                return None
            limit = value
            at_least = keyword == "minimum"
            return lambda v: (not isinstance(v, (int, float)) or isinstance(v, bool)
                              or (v >= limit if at_least else v <= limit))
        if keyword == "pattern":
            compiled = self.pattern(value)
            return lambda v: not isinstance(v, str) or compiled.search(v) is not None
        if keyword == "const":
            expected = value
            return lambda v: _scalar_equal(v, expected)
        if keyword == "enum":
            options = list(value)
            return lambda v: any(_scalar_equal(v, o) for o in options)
        if keyword in ("anyOf", "allOf"):
            branches = [self.compile(sub, base) for sub in value]
            if keyword == "anyOf":
                return lambda v: any(b(v) for b in branches)
            return lambda v: all(b(v) for b in branches)
        if keyword == "$ref":
            target = self._resolve(value, base)
            if target is None:
                return lambda v: False
            node, uri = target
            return self.compile(node, uri)
        return None


def compile_acceptor(
    schema: Mapping[str, Any],
    *,
    resources: Mapping[str, Mapping[str, Any]],
    fallback: Callable[[Mapping[str, Any], str], Acceptor],
    pattern: Callable[[str], re.Pattern[str]],
) -> Acceptor:
    """An accept-only check of ``schema`` (module docstring).

    ``resources`` maps each ``$id`` to its schema (for ``$ref``); ``fallback(subschema, base)``
    gives the full validator's answer for a subschema this compiler does not handle;
    ``pattern`` compiles a schema pattern the way the full validator does.
    """
    base = str(schema.get("$id", ""))
    return _Compiler(resources, fallback, pattern).compile(schema, base)
