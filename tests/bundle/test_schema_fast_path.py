"""The compiled schema fast path (provenance.schema_accept) never accepts what the full validator rejects.

Differential: the real documents of a real bundle (manifest, verdicts, source provenance, trust root), and
Hypothesis mutations of them (a value replaced at any path, a key removed or added), judged by both.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from bundle_env import Env, build
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.schemas import accepts, load_schema, validator_for


def full_valid(doc: Any, name: str) -> bool:
    """The oracle: the full jsonschema validator alone (``validate`` itself takes the fast path first)."""
    return bool(validator_for(load_schema(name)).is_valid(doc))


@pytest.fixture(scope="module")
def documents(env: Env, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Any]]:
    out = tmp_path_factory.mktemp("fast-path") / "b"
    build(env, out)
    data = out / "data"
    envelope = json.loads((data / "provenance" / "source-provenance.dsse.json").read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    docs: list[tuple[str, Any]] = [
        ("paper-manifest-v1.1", json.loads((data / "manifest.json").read_text())),
        ("source-provenance-v1", statement["predicate"]),
        ("trust-root-v1", json.loads(Path(env.trust_path).read_text())),
    ]
    docs += [("verdict-v1", v) for v in json.loads((data / "verdicts.json").read_text())["verdicts"]]
    return docs


def test_every_real_document_takes_the_fast_path(documents: list[tuple[str, Any]]) -> None:
    for name, doc in documents:
        assert full_valid(doc, name), name
        assert accepts(doc, name), f"{name}: valid but not accepted by the fast path (it would be slow, not wrong)"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "x", "c1", "a" * 64, "0" * 64, "8.2", "2026-01-01", "sha256", "verified"]) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


def _paths(doc: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*here, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc[:4]):
            found += _paths(value, (*here, index))
    return found


def _mutated(doc: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    copy = json.loads(json.dumps(doc))
    if not path:
        return value
    parent = copy
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "remove" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        parent["zz-added"] = value
    else:
        parent[last] = value
    return copy


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), action=st.sampled_from(["replace", "remove", "add"]), value=JSON_VALUES)
def test_the_fast_path_never_accepts_an_invalid_document(
    documents: list[tuple[str, Any]], data: st.DataObject, action: str, value: Any
) -> None:
    name, doc = data.draw(st.sampled_from(documents))
    path = data.draw(st.sampled_from(_paths(doc)))
    mutant = _mutated(doc, path, action, value)
    if accepts(mutant, name):
        assert full_valid(mutant, name), (name, path, action, value)


def test_a_float_where_an_integer_belongs_goes_to_the_full_validator(documents: list[tuple[str, Any]]) -> None:
    """Stricter than JSON Schema on purpose: 2.0 is an integer to the full validator, 'not sure' here."""
    tried = 0
    for name, doc in documents:
        for path in _paths(doc):
            value: Any = doc
            for part in path:
                value = value[part]
            if isinstance(value, int) and not isinstance(value, bool):
                mutant = _mutated(doc, path, "replace", float(value))
                if full_valid(mutant, name):
                    assert not accepts(mutant, name), (name, path)
                    tried += 1
    assert tried > 0


def test_a_subschema_under_a_base_we_do_not_ship_is_never_accepted() -> None:
    """Regression guard: a nested $id names a base with no shipped schema; the fallback must answer 'not shown
    valid' (the full validator then judges), not raise StopIteration."""
    from provenance.schemas import _full_check

    assert _full_check({"oneOf": [{"type": "string"}]}, "https://example.invalid/nested.json")("x") is False
