"""The JSON Schemas in ``schemas/`` (Draft 2020-12): lookup, cross-references, validation.

Schemas are the single source of truth for every document. In a wheel they are
package data (``provenance/schemas``); in a checkout they are read from the
repository's ``schemas/`` directory. Cross-references between schemas resolve
by ``$id`` through one registry, never over the network.

A document is first judged by the compiled fast path (:mod:`provenance.schema_accept`);
jsonschema is imported only when that cannot show it valid (to list every error) or when
a caller asks for a full validator: a valid document, the normal case, never loads it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provenance.errors import InputError
from provenance.schema_accept import Acceptor, Compiler, Decider

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

SCHEMA_BASE_URI = "https://provenance-archive.dev/schemas/"
"""Namespace of our schema ``$id``s: ``SCHEMA_BASE_URI + NAME + ".json"``."""

# The contract field a document carries, and the schema it names.
CONTRACT_FIELDS: tuple[str, ...] = ("contract", "schema", "_type", "predicateType")


def schemas_dir() -> Path:
    """Directory holding the schema files (package data first, then the checkout)."""
    packaged = Path(__file__).parent / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schemas"


@functools.cache
def _all_schemas() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(schemas_dir().glob("*.json")):
        found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    return found


def schema_names() -> list[str]:
    """Names of the schemas shipped, e.g. ``paper-manifest-v1.1``."""
    return sorted(_all_schemas())


def load_schema(name: str) -> dict[str, Any]:
    """The schema called ``name`` (file stem); :class:`InputError` if there is none."""
    schemas = _all_schemas()
    if name not in schemas:
        raise InputError(
            f"unknown schema {name!r}", remedy=f"use one of: {', '.join(sorted(schemas))}"
        )
    return schemas[name]


@functools.cache
def _registry() -> Registry:
    from referencing import Registry, Resource

    resources = [
        (schema["$id"], Resource.from_contents(schema)) for schema in _all_schemas().values() if "$id" in schema
    ]
    return Registry().with_resources(resources)


def ecma_pattern(pattern: str) -> str:
    """``pattern`` with ECMA-262's ``$`` (the end of the string) spelled for Python's :mod:`re`.

    JSON Schema patterns are ECMA-262 regular expressions, where ``$`` matches only at the
    end; in Python ``$`` also matches before a final newline, so ``"^[0-9a-f]{64}$"`` would
    accept a digest followed by ``"\\n"``. Every unescaped ``$`` outside a character class
    becomes ``\\Z``; nothing else changes.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = "\\Z"
        out.append(ch)
        i += 1
    return "".join(out)


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(ecma_pattern(pattern))


def _pattern_keyword(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Any:
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _validator_class() -> Any:
    """Draft 2020-12 with ECMA-262 pattern anchors: the one validator class for every schema we ship."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _pattern_keyword})  # type: ignore[no-untyped-call]


def validator_for(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The one validator class for ``schema``, resolving our ``$id``s through the one registry.

    Imports jsonschema (the fast path of :func:`accepts` does not).
    """
    cls = _validator_class()
    validator: Draft202012Validator = cls(schema, registry=_registry(), format_checker=cls.FORMAT_CHECKER)
    return validator


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    # Only shipped schemas load here; tests/core/test_schemas.py checks each against the metaschema, so a
    # run does not pay for that again (about 25 ms a schema, most of a small verify's start-up).
    return validator_for(load_schema(name))


@dataclass(frozen=True)
class SchemaFinding:
    """One validation error: the JSON path of the offending value and the message."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _json_path(error: ValidationError) -> str:
    path = "$"
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _full_check(subschema: Mapping[str, Any], base: str) -> Decider:
    """The full validator's answer for ``subschema``, its references resolved from the schema ``base``; the
    validator (and jsonschema) is loaded when first asked, so a document that never reaches it never pays."""
    root = next((s for s in _all_schemas().values() if s.get("$id") == base), None)
    if root is None:  # a base we do not ship: not decided here, so the full validator judges the document
        return lambda _document: None
    made: list[Any] = []  # the subschema's validator, once made

    def decide(document: Any) -> bool:
        if not made:
            made.append(validator_for(root).evolve(schema=subschema))
        return bool(made[0].is_valid(document))

    return decide


@functools.cache
def _compiler() -> Compiler:
    resources = {s["$id"]: s for s in _all_schemas().values() if "$id" in s}
    return Compiler(resources, fallback=_full_check, pattern=_compiled)


@functools.cache
def _decider(name: str) -> Decider:
    return _compiler().decider(load_schema(name))


def acceptor_for(schema: Mapping[str, Any]) -> Acceptor:
    """The compiled fast path for any ``schema`` (say a ``$ref`` into one we ship): True only when valid."""
    decide = _compiler().decider(schema)
    return lambda document: decide(document) is True


def accepts(document: Any, name: str) -> bool:
    """True only if ``document`` is valid against schema ``name``: the compiled fast path of :func:`validate`.

    False means "not shown valid" (the full validator then finds the errors, if any).
    """
    return _decider(name)(document) is True


def validate(document: Any, name: str) -> list[SchemaFinding]:
    """Every error of ``document`` against schema ``name``, sorted by path (empty when valid)."""
    if accepts(document, name):
        return []
    errors = _validator(name).iter_errors(document)
    findings = [SchemaFinding(_json_path(e), e.message) for e in errors]
    return sorted(findings, key=lambda f: (f.path, f.message))


def contract_of(document: Any) -> str | None:
    """The schema name a document declares in its contract field, if any we ship."""
    if not isinstance(document, Mapping):
        return None
    names = set(schema_names())
    for field in CONTRACT_FIELDS:
        value = document.get(field)
        if isinstance(value, str):
            candidate = value.removeprefix(SCHEMA_BASE_URI).removesuffix(".json")
            if candidate in names:
                return candidate
    return None


def require_valid(document: Any, name: str, *, where: str) -> None:
    """Raise one :class:`InputError` listing every schema error of ``document``."""
    findings = validate(document, name)
    if findings:
        listed = "; ".join(str(f) for f in findings[:20])
        more = f" (+{len(findings) - 20} more)" if len(findings) > 20 else ""
        raise InputError(
            f"not a valid {name} document: {listed}{more}",
            where=where,
            remedy=f"fix the fields named (provenance schema validate FILE --schema {name})",
        )
