"""The compiled schema fast path (provenance.schema_accept) never accepts what the full validator rejects, and
never rejects what it accepts.

Differential: the real documents of a real bundle (manifest, verdicts, source provenance, trust root), correction
records and sourced claim checks, and Hypothesis mutations of them (a value replaced at any path, a key removed or
added), judged by both.
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

from provenance.corrections.record import ClaimChange, CorrectionRequest, build_record, origin_for
from provenance.schemas import _decider, accepts, load_schema, validator_for

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


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
    docs += [("correction-record-v1", r) for r in _correction_records()]
    sourced = json.loads((EXAMPLES / "sourced-claims.json").read_text())["claims"]
    docs += [("claim-check-v1", c["check"]) for c in sourced if "check" in c]
    return docs


def _correction_records() -> list[dict[str, Any]]:
    """Records that take each branch of the schema's if/then/else and oneOf: first and later, alert and error,
    superseding or not."""
    def record(seq: int, ctype: str, supersedes: int | None = None) -> dict[str, Any]:
        request = CorrectionRequest(
            type=ctype, record_id="rec-1", what_was_wrong="wrong denominator", reason_text="re-check",
            claims=(ClaimChange("c3", before_values={"expected": "7.57"}, after_values={"expected": "7.6"}),),
            supersedes_seq=supersedes)
        return build_record(request, origin=origin_for("rec-1"), seq=seq, prev=None if seq == 0 else "cd" * 32,
                            issuer_keyid="ab" * 32, issued_at="2026-11-22T01:00:00Z", claim_status_before={},
                            supersedes_sha256="ef" * 32 if supersedes is not None else None)

    return [record(0, "correction"), record(1, "retraction"), record(2, "erratum", supersedes=1)]


def test_every_real_document_takes_the_fast_path(documents: list[tuple[str, Any]]) -> None:
    for name, doc in documents:
        assert full_valid(doc, name), name
        assert accepts(doc, name), f"{name}: valid but not accepted by the fast path (it would be slow, not wrong)"


SAMPLE_STRINGS = [
    "", "x", "c1", "a" * 64, "0" * 64, "ab" * 32, "8.2", "sha256", "verified", "falsified", "sandbox", "lean4", "exact",
    "sourced", "reproduced", "accepted", "rejected", "correction", "retraction", "error", "alert", "mean", "SQuAD",
    "2026-01-01", "2026-02-30", "2026-1-01", "2026-01-01T00:00:00Z", "2026-02-29T00:00:00Z", "2024-02-29T23:59:59.5Z",
    "0000-01-01T00:00:00Z", "2026-01-01t00:00:00z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00+01:00",
    "2026-01-01T00:00:00Z\n", "sha256:" + "0" * 64,
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0, 1, 1.0, 2.0, 100000001]) | st.sampled_from(SAMPLE_STRINGS) | st.text(max_size=5),
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


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), action=st.sampled_from(["replace", "remove", "add"]), value=JSON_VALUES)
def test_the_fast_path_never_contradicts_the_full_validator(
    documents: list[tuple[str, Any]], data: st.DataObject, action: str, value: Any
) -> None:
    """True means valid and False means invalid to the full validator (None: not decided, the full one judges)."""
    name, doc = data.draw(st.sampled_from(documents))
    path = data.draw(st.sampled_from(_paths(doc)))
    mutant = _mutated(doc, path, action, value)
    decided = _decider(name)(mutant)
    if decided is not None:
        assert decided == full_valid(mutant, name), (name, path, action, value, decided)
    assert accepts(mutant, name) == (decided is True)


@pytest.mark.parametrize(("schema", "instance", "expected"), [
    ({"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 1}]}, "x", True),
    ({"oneOf": [{"type": "string"}, {"type": "integer", "minimum": 1}]}, 0, False),
    ({"oneOf": [{"type": "string"}, {"type": "string", "minLength": 1}]}, "x", False),  # valid under both
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, 2.0, None),  # 2.0 is an integer: not decided
    ({"not": {"enum": ["mean", "sum"]}}, "mean", False),
    ({"not": {"enum": ["mean", "sum"]}}, "squad", True),
    ({"if": {"properties": {"seq": {"const": 0}}, "required": ["seq"]}, "then": {"properties": {"prev": {"type": "null"}}},
      "else": {"properties": {"prev": {"type": "string"}}}}, {"seq": 0, "prev": "x"}, False),
    ({"if": {"properties": {"seq": {"const": 0}}, "required": ["seq"]}, "then": {"properties": {"prev": {"type": "null"}}},
      "else": {"properties": {"prev": {"type": "string"}}}}, {"seq": 1, "prev": "x"}, True),
    ({"const": 0}, False, False),  # False is not 0 in JSON Schema
    ({"enum": [1]}, True, False),
    ({"const": 1}, 1.0, True),
    ({"type": "array", "uniqueItems": True}, ["a", "b", "a"], False),
    ({"type": "array", "uniqueItems": True}, ["a", "b"], True),
    ({"type": "array", "uniqueItems": True}, [1, True], None),
    ({"format": "date"}, "2026-02-30", False),
    ({"format": "date"}, "2024-02-29", True),
    ({"format": "date"}, 7, True),
    ({"format": "date-time"}, "2026-01-01T00:00:00Z", True),
    ({"format": "date-time"}, "yesterday", None),  # whether the full validator checks date-time depends on a package
    ({"format": "email"}, "x", None),
    ({"minimum": 1}, 0.5, False),
    ({"maximum": 1}, True, True),  # a boolean is not a number
    (False, None, False),
])
def test_each_keyword_is_decided_as_the_full_validator_decides(schema: Any, instance: Any, expected: bool | None) -> None:
    from provenance.schema_accept import compile_decider
    from provenance.schemas import _compiled, _full_check

    decided = compile_decider(schema if isinstance(schema, dict) else {"allOf": [schema]}, resources={},
                              fallback=_full_check, pattern=_compiled)(instance)
    assert decided is expected
    if expected is not None:
        assert bool(validator_for(schema).is_valid(instance)) is expected


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
    """Regression guard: a nested $id names a base with no shipped schema; the fallback must answer 'not
    decided' (the full validator then judges), not raise StopIteration."""
    from provenance.schemas import _full_check

    assert _full_check({"oneOf": [{"type": "string"}]}, "https://example.invalid/nested.json")("x") is None
