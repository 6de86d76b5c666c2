"""correction-record-v1 building and validation, the fast shape check against the schema, and the status fold."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from provenance.corrections.record import (
    CORRECTION_TYPES,
    ClaimChange,
    CorrectionRequest,
    build_record,
    origin_for,
    record_findings,
    severity_of,
    shape_problems,
)
from provenance.corrections.status import current_status
from provenance.schemas import validate

KEYID = "ab" * 32


def _record(seq: int = 0, type: str = "correction", claims: tuple[str, ...] = ("c3",), **kw: Any) -> dict[str, Any]:
    request = CorrectionRequest(
        type=type, record_id="SRCH:2A059E4E", what_was_wrong="wrong denominator", reason_text="re-check",
        claims=tuple(ClaimChange(c, before_values={"expected": "7.57"}, after_values={"expected": "7.6"}) for c in claims),
        **kw,
    )
    return build_record(request, origin=origin_for("SRCH:2A059E4E"), seq=seq, prev=None if seq == 0 else "cd" * 32,
                        issuer_keyid=KEYID, issued_at="2026-11-22T01:00:00Z", claim_status_before={},
                        supersedes_sha256="ef" * 32 if kw.get("supersedes_seq") is not None else None)


@pytest.mark.parametrize("ctype", CORRECTION_TYPES)
def test_every_type_builds_a_valid_record(ctype: str) -> None:
    rec = _record(type=ctype)
    assert record_findings(rec) == []
    assert shape_problems(rec) == []
    assert rec["severity"] == ("error" if ctype in ("retraction", "partial_retraction", "withdrawal") else "alert")
    assert severity_of(ctype) == rec["severity"]


def test_origin_is_a_valid_note_key_name() -> None:
    assert origin_for("SRCH:2A059E4E") == "provenance-archive.dev/corrections/SRCH:2A059E4E"
    assert origin_for("a b+c") == "provenance-archive.dev/corrections/a-b-c"


def test_validator_reports_every_error_at_once() -> None:
    rec = _record()
    rec["type"] = "oops"
    rec["reason"]["category"] = "because"
    rec["issued_at"] = "yesterday"
    paths = {f.path for f in record_findings(rec)}
    assert {"$.type", "$.reason.category", "$.issued_at"} <= paths


def test_semantic_rules() -> None:
    rec = _record(type="partial_retraction", claims=())
    assert any("partial retraction" in f.message for f in record_findings(rec))
    rec = _record(seq=2, supersedes_seq=5)
    assert any(f.path == "$.supersedes.seq" for f in record_findings(rec))
    rec = _record()
    rec["target"]["claims"] = ["c9"]
    assert any(f.path == "$.claims" for f in record_findings(rec))


def test_unknown_fields_are_allowed() -> None:
    rec = _record()
    rec["x_extension"] = {"kept": True}
    rec["target"]["x_more"] = "yes"
    assert record_findings(rec) == [] and shape_problems(rec) == []


# Mutations that each break exactly one schema rule; the fast check must catch every one.
_MUTATIONS: list[tuple[str, Any]] = [
    ("contract", "correction-record-v2"), ("id", "uuid"), ("log", "has space"), ("log", "a+b"), ("log", ""),
    ("seq", -1), ("seq", "1"), ("seq", True), ("seq", 1.5), ("prev", "ab" * 32), ("type", "typo"),
    ("severity", "error"), ("severity", "info"), ("target", {}), ("target", {"record_id": ""}),
    ("target", {"record_id": "r", "doi": "doi:10.1/x"}), ("target", {"record_id": "r", "bundle_id": "ab" * 32}),
    ("target", {"record_id": "r", "claims": ["c1", "c1"]}), ("claims", [{"claim_id": "c3"}]),
    ("claims", [{"claim_id": "c3", "before": {"status": "FINE"}, "after": {"status": "CURRENT"}}]),
    ("claims", [{"claim_id": "c3", "before": {"status": "CURRENT", "values": {"x": 1}}, "after": {"status": "CURRENT"}}]),
    ("what_was_wrong", ""), ("what_changed", []), ("what_changed", [{"path": "a"}]),
    ("what_changed", [{"summary": "s", "before_sha256": "xyz"}]), ("reason", {"category": "other"}),
    ("reason", {"category": "misc", "text": "t"}), ("issued_by", {"keyid": "ab" * 32, "role": "attestor"}),
    ("issued_by", {"keyid": "AB" * 32, "role": "corrector"}), ("issued_by", {"keyid": "ab" * 32, "role": "corrector", "orcid": "1"}),
    ("issued_at", "2026-11-22 01:00:00"), ("issued_at", "2026-11-22T01:00:00+00:00"), ("supersedes", {"seq": 0}),
    ("supersedes", 3), ("evidence", [{"name": "f"}]), ("evidence", None), ("notice_text", 5),
]


@pytest.mark.parametrize(("field", "value"), _MUTATIONS, ids=[f"{f}={v!r}"[:40] for f, v in _MUTATIONS])
def test_shape_check_rejects_what_the_schema_rejects(field: str, value: Any) -> None:
    rec = _record(seq=0)
    rec[field] = value
    from provenance.corrections.record import shape_ok

    assert validate(rec, "correction-record-v1"), "mutation should break the schema"
    assert shape_problems(rec), "the shape check missed a schema error"
    assert not shape_ok(rec), "the fast shape path missed a schema error"


@pytest.mark.parametrize("missing", ["contract", "id", "log", "seq", "prev", "type", "severity", "target", "claims",
                                     "what_was_wrong", "what_changed", "reason", "issued_by", "issued_at",
                                     "supersedes", "evidence"])
def test_shape_check_rejects_missing_required_fields(missing: str) -> None:
    rec = _record(seq=1)
    del rec[missing]
    assert validate(rec, "correction-record-v1") and shape_problems(rec)


_json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3), st.sampled_from(["ab" * 32, "CURRENT", "corrector"]))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_shape_check_agrees_with_the_schema(data: st.DataObject) -> None:
    rec = _record(seq=data.draw(st.integers(0, 2)), type=data.draw(st.sampled_from(CORRECTION_TYPES)))
    rec = copy.deepcopy(rec)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(sorted(rec)))
        node: Any = rec
        if isinstance(rec[path], dict) and rec[path] and data.draw(st.booleans()):
            node, path = rec[path], data.draw(st.sampled_from(sorted(rec[path])))
        leaf = data.draw(_json_leaf)
        # Python's re.search lets "$" match before a final newline; ECMA-262 (the schema's dialect) does not.
        assume(not (isinstance(leaf, str) and leaf.endswith("\n")))
        node[path] = leaf
    assert bool(shape_problems(rec)) == bool(validate(rec, "correction-record-v1"))


@pytest.mark.parametrize(("field", "value"), [("type", ["correction"]), ("severity", {}), ("reason", {"category": [], "text": "t"}),
                                              ("claims", [{"claim_id": "c3", "before": {"status": []}, "after": {"status": "CURRENT"}}])])
def test_shape_check_of_an_unhashable_value_says_invalid_instead_of_raising(field: str, value: Any) -> None:
    from provenance.corrections.record import shape_ok

    rec = _record(seq=0)
    rec[field] = value
    assert not shape_ok(rec) and shape_problems(rec) == [field] + (["severity"] if field == "type" else [])
    assert validate(rec, "correction-record-v1")


@pytest.mark.parametrize(("field", "value"), [("log", "example.org/log\n"), ("issued_at", "2026-11-22T01:00:00Z\n"),
                                              ("id", "urn:uuid:7cf897c3-c7fa-58cf-8ebf-fe07d0189e5c\n")])
def test_a_pattern_matches_the_whole_string_so_a_trailing_newline_is_refused(field: str, value: str) -> None:
    rec = _record()
    rec[field] = value
    assert shape_problems(rec) == [field]
    assert [f.path for f in record_findings(rec)] == [f"$.{field}"]


# -- status ------------------------------------------------------------------


def _log(*specs: tuple[str, tuple[str, ...]] | tuple[str, tuple[str, ...], int]) -> list[dict[str, Any]]:
    out = []
    for seq, spec in enumerate(specs):
        sup = spec[2] if len(spec) == 3 else None  # type: ignore[misc]
        out.append(_record(seq=seq, type=spec[0], claims=spec[1], supersedes_seq=sup))
    return out


def test_status_of_an_empty_log_is_current() -> None:
    view = current_status([])
    assert view.status == "CURRENT" and view.count == 0 and view.claim_status("c1") == "CURRENT"


def test_correction_marks_claim_corrected() -> None:
    view = current_status(_log(("correction", ("c3",))))
    assert view.status == "CORRECTED" and view.claims == {"c3": "CORRECTED"} and view.claim_status("c1") == "CURRENT"


def test_retraction_applies_to_every_claim() -> None:
    view = current_status(_log(("correction", ("c3",)), ("retraction", ())))
    assert view.status == "RETRACTED" and view.claim_status("c3") == "RETRACTED" and view.claim_status("c9") == "RETRACTED"


def test_partial_retraction_then_clarification_keeps_retracted() -> None:
    view = current_status(_log(("partial_retraction", ("c1",)), ("clarification", ("c1", "c2"))))
    assert view.status == "PARTIALLY_RETRACTED"
    assert view.claims == {"c1": "RETRACTED", "c2": "CLARIFIED"}


def test_superseded_expression_of_concern_no_longer_counts() -> None:
    view = current_status(_log(("expression_of_concern", ()), ("correction", ("c2",)), ("clarification", (), 0)))
    assert view.status == "CORRECTED" and view.claim_status("c5") == "CURRENT"
    assert view.history[0].superseded_by == 2 and view.count == 2


def test_withdrawn_retraction_restores_claims() -> None:
    view = current_status(_log(("partial_retraction", ("c1",)), ("correction", ("c1",), 0)))
    assert view.claims == {"c1": "CORRECTED"} and view.status == "CORRECTED"


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_fast_shape_path_agrees_with_the_diagnostic_check(data: st.DataObject) -> None:
    from provenance.corrections.record import shape_ok

    rec = copy.deepcopy(_record(seq=data.draw(st.integers(0, 2)), type=data.draw(st.sampled_from(CORRECTION_TYPES))))
    for _ in range(data.draw(st.integers(0, 3))):
        key = data.draw(st.sampled_from(sorted(rec)))
        node: Any = rec
        if isinstance(rec[key], dict) and rec[key] and data.draw(st.booleans()):
            node, key = rec[key], data.draw(st.sampled_from(sorted(rec[key])))
        node[key] = data.draw(_json_leaf)
    assert shape_ok(rec) == (not shape_problems(rec)) == (not validate(rec, "correction-record-v1"))


def test_record_id_is_derived_from_content() -> None:
    a, b = _record(seq=1), _record(seq=1)
    assert a["id"] == b["id"] and a["id"].startswith("urn:uuid:")
    assert _record(seq=2)["id"] != a["id"]
    assert record_findings(a) == []
