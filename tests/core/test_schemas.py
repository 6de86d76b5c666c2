"""Every shipped schema is Draft 2020-12, has an $id, describes every property, and never uses fractional numbers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from provenance.schemas import SCHEMA_BASE_URI, load_schema, schema_names

# Conditions (if/then/else/not) constrain properties defined elsewhere; they define none.
_CONDITIONS = {"if", "then", "else", "not"}


def _property_schemas(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{path}.{name}", sub
        for key, value in node.items():
            if key not in _CONDITIONS:
                yield from _property_schemas(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _property_schemas(value, f"{path}[{index}]")


def _number_types(node: Any, path: str = "$") -> Iterator[str]:
    if isinstance(node, dict):
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "number" in kinds:
            yield path
        for key, value in node.items():
            yield from _number_types(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _number_types(value, f"{path}[{index}]")


def test_the_four_contracts_are_shipped() -> None:
    assert {"paper-manifest-v1.1", "source-provenance-v1", "correction-record-v1", "verdict-v1"} <= set(schema_names())


@pytest.mark.parametrize("name", schema_names())
def test_schema_is_well_formed(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{SCHEMA_BASE_URI}{name}.json"
    assert schema.get("description")
    undocumented = [path for path, sub in _property_schemas(schema) if "description" not in sub and "$ref" not in sub]
    assert undocumented == []
    assert list(_number_types(schema)) == [], "measured values must be decimal strings, not JSON numbers"
