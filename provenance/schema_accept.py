"""A compiled check for our JSON Schemas: the fast path before full validation.

:func:`compile_decider` turns a schema into a function ``instance -> True | False | None``:
True only when the instance is valid, False only when it is invalid, None when this
compiler cannot tell (the caller then asks the full validator). It decides every
keyword our schemas use (``type``, ``required``, ``properties``, ``items``, ``pattern``,
lengths, ``const``, ``enum``, ``anyOf``, ``allOf``, ``oneOf``, ``not``, ``if``,
``uniqueItems`` of strings, ``format`` ``date`` and ``date-time``, ``$ref`` ...) the way
the full validator does, so a valid document needs no jsonschema at all; a subschema
with a keyword it does not know goes to ``fallback`` (the full validator for that
subschema, built when first asked). Where it is stricter (a float where an integer is
allowed, a ``date-time`` outside the plain RFC 3339 form) it answers None. Two
invariants, pinned by differential Hypothesis tests: True implies the full validator
finds no error, False implies it finds one. A :class:`Compiler` compiles schemas that
share references once each.

A document listing 10,000 files costs one jsonschema descent per keyword per
item; this costs a few dict lookups per item.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urldefrag, urljoin

Decider = Callable[[Any], "bool | None"]
"""instance -> True (valid), False (invalid) or None (not decided here)."""
Acceptor = Callable[[Any], bool]
"""instance -> True only if valid (False: not shown valid): ``decider(instance) is True``."""

# Keywords that say nothing about validity, and the two that ``if`` reads.
_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "$defs", "$comment", "examples", "default",
                          "then", "else"})


def _integer(v: Any) -> bool | None:
    if isinstance(v, bool):
        return False
    if isinstance(v, float):  # 2.0 is an integer to JSON Schema; not decided here (stricter on purpose)
        return None
    return isinstance(v, int)


def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, numbers.Number)


_TYPES: dict[str, Decider] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "integer": _integer,
    "number": _is_number,
}

_NUMERIC_OR_NULL = (bool, int, float, type(None))


def _equal(a: Any, b: Any) -> bool | None:
    """JSON Schema equality (jsonschema's ``equal``: ``True`` is not ``1``) for scalars; None for containers."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if not isinstance(a, _NUMERIC_OR_NULL) or not isinstance(b, _NUMERIC_OR_NULL):
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return bool(a == b)


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
_DATE_TIME = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?"
                        r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])")


def _format_date(v: Any) -> bool | None:
    """The full validator's ``date``: four-two-two ASCII digits that make a calendar date."""
    if not isinstance(v, str):
        return True
    if not _DATE.fullmatch(v):
        return False
    try:
        date.fromisoformat(v)
    except ValueError:
        return False
    return True


def _format_date_time(v: Any) -> bool | None:
    """True for a plain RFC 3339 date-time (which every ``date-time`` checker accepts, and none is a pass
    when the checker is not installed); anything else is not decided here."""
    if not isinstance(v, str):
        return True
    m = _DATE_TIME.fullmatch(v)
    if m is None:
        return None
    year, month, day = (int(g) for g in m.groups())
    try:
        date(year, month, day)  # year 0 and a day past the month's end are refused, as RFC 3339 checkers do
    except ValueError:
        return None
    return True


_FORMATS: dict[str, Decider] = {"date": _format_date, "date-time": _format_date_time}


def _unique_strings(v: Any) -> bool | None:
    if not isinstance(v, list):
        return True
    if not all(type(x) is str for x in v):
        return None
    return len(set(v)) == len(v)


def _all_hold(results: Iterable[bool | None]) -> bool | None:
    """All must hold: False if one is False, else None if one is not decided, else True."""
    outcome: bool | None = True
    for r in results:
        if r is not True:
            if r is False:
                return False
            outcome = None
    return outcome


def _one_holds(results: Iterable[bool | None]) -> bool | None:
    """One must hold: True if one is True, else None if one is not decided, else False."""
    outcome: bool | None = False
    for r in results:
        if r is not False:
            if r is True:
                return True
            outcome = None
    return outcome


def _exactly_one_holds(results: Iterable[bool | None]) -> bool | None:
    valid = 0
    undecided = False
    for r in results:
        if r is True:
            valid += 1
            if valid > 1:
                return False
        elif r is None:
            undecided = True
    return None if undecided else valid == 1


_APPLICATORS: dict[str, Callable[[Iterable[bool | None]], bool | None]] = {
    "allOf": _all_hold, "anyOf": _one_holds, "oneOf": _exactly_one_holds}


def _every(checks: list[Decider]) -> Decider:
    if len(checks) == 1:
        return checks[0]
    return lambda v: _all_hold(c(v) for c in checks)


class Compiler:
    """Compiles schemas that share ``resources``; a subschema reached from several is compiled once."""

    def __init__(
        self,
        resources: Mapping[str, Mapping[str, Any]],
        fallback: Callable[[Mapping[str, Any], str], Decider],
        pattern: Callable[[str], re.Pattern[str]],
    ) -> None:
        self.resources = resources  # $id -> schema document
        self.fallback = fallback  # (subschema, base uri) -> the full validator's answer
        self.pattern = pattern
        self.done: dict[tuple[int, str], Decider] = {}
        self._kept: list[Any] = []  # every schema compiled, so that no id() in ``done`` is ever reused

    def decider(self, schema: Mapping[str, Any]) -> Decider:
        """The three-valued check of ``schema`` (module docstring); its ``$id``, if any, is the base of its references."""
        return self.compile(schema, str(schema.get("$id", "")))

    def compile(self, schema: Any, base: str) -> Decider:
        key = (id(schema), base)
        if key in self.done:
            return self.done[key]
        self._kept.append(schema)
        cell: list[Decider] = []
        self.done[key] = lambda v: cell[0](v)  # a recursive $ref reaches this before it is built
        built = self._build(schema, base)
        cell.append(built)
        self.done[key] = built
        return built

    def _resolve(self, ref: str, base: str) -> tuple[Any, str] | None:
        if ref.startswith("#"):  # within the resource (what urljoin + urldefrag give, without their cost)
            uri, fragment = base.partition("#")[0], ref[1:]
        else:
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

    def _build(self, schema: Any, base: str) -> Decider:
        if schema is True or schema is False:
            verdict: bool = schema
            return lambda v: verdict
        if not isinstance(schema, Mapping):  # not a schema: the full validator says what it makes of it
            return lambda v: None
        if isinstance(schema.get("$id"), str):  # a (nested) resource: its references resolve against its own id
            base = urljoin(base, schema["$id"])
        checks: list[Decider] = []
        for keyword, value in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            check = self._keyword(keyword, value, schema, base)
            if check is None:  # a keyword this compiler does not handle: the full validator judges the subschema
                return self.fallback(schema, base)
            checks.append(check)
        if not checks:
            return lambda v: True
        return _every(checks)

    def _keyword(self, keyword: str, value: Any, schema: Mapping[str, Any], base: str) -> Decider | None:
        """The decider for one keyword, or None when this compiler does not handle it."""
        if keyword == "type":
            kinds = [value] if isinstance(value, str) else value
            if not isinstance(kinds, list) or any(k not in _TYPES for k in kinds):
                return None
            tests = [_TYPES[k] for k in kinds]
            return lambda v: _one_holds(t(v) for t in tests)
        if keyword == "required":
            names = list(value)
            return lambda v: not isinstance(v, dict) or all(n in v for n in names)
        if keyword == "properties":
            props = {name: self.compile(sub, base) for name, sub in value.items()}
            return lambda v: not isinstance(v, dict) or _all_hold(p(v[n]) for n, p in props.items() if n in v)
        if keyword == "additionalProperties":
            if "patternProperties" in schema:
                return None
            known = frozenset(schema.get("properties", {}))
            extra = self.compile(value, base)
            return lambda v: not isinstance(v, dict) or _all_hold(extra(x) for k, x in v.items() if k not in known)
        if keyword == "propertyNames":
            names_ok = self.compile(value, base)
            return lambda v: not isinstance(v, dict) or _all_hold(names_ok(k) for k in v)
        if keyword == "items":
            if "prefixItems" in schema:
                return None
            item = self.compile(value, base)
            return lambda v: not isinstance(v, list) or _all_hold(item(x) for x in v)
        if keyword in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
            kind = str if keyword.endswith("Length") else list if keyword.endswith("Items") else dict
            bound = value
            if keyword.startswith("min"):
                return lambda v: not isinstance(v, kind) or len(v) >= bound
            return lambda v: not isinstance(v, kind) or len(v) <= bound
        if keyword in ("minimum", "maximum"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return None
            limit = value
            if keyword == "minimum":
                return lambda v: not _is_number(v) or not v < limit
            return lambda v: not _is_number(v) or not v > limit
        if keyword == "pattern":
            compiled = self.pattern(value)
            return lambda v: not isinstance(v, str) or compiled.search(v) is not None
        if keyword == "const":
            expected = value
            return lambda v: _equal(v, expected)
        if keyword == "enum":
            options = list(value)
            return lambda v: _one_holds(_equal(v, o) for o in options)
        if keyword == "uniqueItems":
            return _unique_strings if value else (lambda v: True)
        if keyword == "format":
            checker: Decider | None = _FORMATS.get(value) if isinstance(value, str) else None
            return checker or (lambda v: True if not isinstance(v, str) else None)
        if keyword in _APPLICATORS:
            branches = [self.compile(sub, base) for sub in value]
            combine = _APPLICATORS[keyword]
            return lambda v: combine(b(v) for b in branches)
        if keyword == "not":
            inner = self.compile(value, base)
            return lambda v: None if (r := inner(v)) is None else not r
        if keyword == "if":
            return self._if(self.compile(value, base), self._branch(schema, "then", base),
                            self._branch(schema, "else", base))
        if keyword == "$ref":
            target = self._resolve(value, base)
            if target is None:
                return lambda v: None
            node, uri = target
            return self.compile(node, uri)
        return None

    def _branch(self, schema: Mapping[str, Any], name: str, base: str) -> Decider:
        return self.compile(schema[name], base) if name in schema else (lambda v: True)

    @staticmethod
    def _if(condition: Decider, then: Decider, otherwise: Decider) -> Decider:
        def decide(v: Any) -> bool | None:
            holds = condition(v)
            if holds is True:
                return then(v)
            if holds is False:
                return otherwise(v)
            a, b = then(v), otherwise(v)
            return a if a is b else None

        return decide


def compile_decider(
    schema: Mapping[str, Any],
    *,
    resources: Mapping[str, Mapping[str, Any]],
    fallback: Callable[[Mapping[str, Any], str], Decider],
    pattern: Callable[[str], re.Pattern[str]],
) -> Decider:
    """The three-valued check of ``schema`` (module docstring).

    ``resources`` maps each ``$id`` to its schema (for ``$ref``); ``fallback(subschema, base)``
    gives the full validator's answer for a subschema this compiler does not handle (it should
    build that validator only when first asked); ``pattern`` compiles a schema pattern the way
    the full validator does.
    """
    return Compiler(resources, fallback, pattern).decider(schema)
