"""The check format: strict parsing, every problem reported at once, unknown fields kept."""

from __future__ import annotations

from typing import Any

import pytest

from provenance.claims.errors import CheckFormatError, ClaimError
from provenance.claims.model import Source, Tolerance, load_claims, parse_check
from provenance.errors import InputError
from provenance.schemas import validate

GOOD: dict[str, Any] = {
    "formula": "mean(squad, mnli)",
    "inputs": {"squad": "8.2", "mnli": {"value": "7.5", "source": {"file": "t.csv", "sha256": "a" * 64, "locator": "row 2"}}},
    "expected": "7.85",
    "tolerance": {"relative": "0.05"},
    "x_note": "kept",
}


def test_parse_good_check() -> None:
    check = parse_check(GOOD)
    assert check.formula == "mean(squad, mnli)"
    assert check.inputs["squad"].value == "8.2" and check.inputs["squad"].source is None
    assert check.inputs["mnli"].source == Source("t.csv", "a" * 64, "row 2")
    assert check.tolerance == Tolerance("relative", "0.05") and check.precision is None
    assert check.raw["x_note"] == "kept"
    assert validate(GOOD, "claim-check-v1") == []


def test_every_problem_reported_at_once() -> None:
    bad = {"formula": 3, "inputs": {"a": "1e3", "b": 2.5, "c": {"value": "1", "source": {"file": "", "sha256": "xyz"}}}, "expected": "", "tolerance": {"absolute": "-1"}, "precision": True}
    with pytest.raises(CheckFormatError) as info:
        parse_check(bad, where="claim c7: check")
    text = str(info.value)
    for fragment in ("formula: required", "inputs.a", "inputs.b", "source.file", "source.sha256", "expected", "tolerance.absolute", "precision"):
        assert fragment in text, fragment
    assert info.value.exit_code == 2
    # the schema agrees that it is invalid, and finds the same fields
    paths = {f.path for f in validate(bad, "claim-check-v1")}
    assert {"$.formula", "$.expected", "$.precision"} <= paths


@pytest.mark.parametrize(
    "tolerance",
    [{"absolute": "0.1", "relative": "0.1"}, {"percent": "5"}, {}, "0.05", {"absolute": 0.05}],
)
def test_bad_tolerances(tolerance: Any) -> None:
    with pytest.raises(CheckFormatError, match="tolerance"):
        parse_check({"formula": "a", "inputs": {"a": "1"}, "expected": "1", "tolerance": tolerance})


def test_a_bound_is_required() -> None:
    with pytest.raises(CheckFormatError, match='no "tolerance" and no "precision"'):
        parse_check({"formula": "a", "inputs": {"a": "1"}, "expected": "1"})
    assert validate({"formula": "a", "inputs": {"a": "1"}, "expected": "1"}, "claim-check-v1") != []


def test_formula_errors_name_the_claim() -> None:
    with pytest.raises(ClaimError) as info:
        parse_check({"formula": "mean(a, q)", "inputs": {"a": "1"}, "expected": "1", "precision": 0}, where="claim c3: check")
    assert str(info.value).startswith("claim c3: check.formula: unknown name 'q'")


def test_cached_formula_still_names_each_claim() -> None:
    # regression: the AST cache must not let the first claim's name leak into another claim's error
    for cid in ("first", "second"):
        with pytest.raises(ClaimError) as info:
            parse_check({"formula": "a / ", "inputs": {"a": "1"}, "expected": "1", "precision": 0}, where=f"claim {cid}: check")
        assert f"claim {cid}:" in str(info.value)


def test_load_claims_from_manifest_and_claims_doc() -> None:
    manifest = {"contract": "paper-manifest-v1.1", "record_id": "r", "claims": [{"id": "c1", "text": "t", "verified": None, "check": GOOD}, {"id": "c2", "text": "no check"}]}
    claims = load_claims(manifest)
    assert [c.id for c in claims] == ["c1", "c2"]
    assert claims[0].check is not None and claims[1].check is None
    assert claims[0].raw["verified"] is None  # unknown-to-us fields are kept


def test_broken_check_is_kept_not_raised() -> None:
    claims = load_claims({"claims": [{"id": "c1", "check": {"formula": "("}}, {"id": "c2", "check": GOOD}]})
    assert claims[0].check is None and isinstance(claims[0].check_error, ClaimError)
    assert claims[1].check is not None


@pytest.mark.parametrize(
    ("doc", "fragment"),
    [
        ([], "claims array"),
        ({"claims": {}}, "no claims array"),
        ({"claims": "abc"}, "no claims array"),
        ({"claims": [3]}, "must be an object"),
        ({"claims": [{"text": "x"}]}, ".id: required"),
        ({"claims": [{"id": "a"}, {"id": "a"}]}, "duplicate claim id 'a'"),
    ],
)
def test_unusable_documents(doc: Any, fragment: str) -> None:
    with pytest.raises(InputError) as info:
        load_claims(doc, source="f.json")
    assert fragment in str(info.value) and "f.json" in str(info.value)
    assert info.value.exit_code == 2


def test_with_inputs_replaces_values() -> None:
    check = parse_check(GOOD).with_inputs({"squad": "9.0"})
    assert check.inputs["squad"].value == "9.0"
    assert check.input_pairs()["squad"] == (90, 10)
    assert check.inputs["mnli"].source is not None
