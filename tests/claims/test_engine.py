"""The exact engine: seed claims, verdict wording and schema, bounds, scopes, broken checks."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.claims.engine import check_claim, check_claims
from provenance.claims.model import Claim, load_claims, parse_check
from provenance.claims.verdict import Verdict
from provenance.decimal_text import render_decimal
from provenance.jsonio import canonical_sha256, load_json_file
from provenance.schemas import validate

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def claim(check: dict[str, Any], cid: str = "c1") -> Claim:
    return load_claims({"claims": [{"id": cid, "text": "t", "check": check}]})[0]


def test_seed_claims_get_their_expected_status(seed_claims_path: Path) -> None:
    doc = load_json_file(seed_claims_path)
    verdicts = check_claims(load_claims(doc, source=str(seed_claims_path)), now=NOW)
    assert len(verdicts) == len(doc["claims"]) == 6
    for raw, verdict in zip(doc["claims"], verdicts, strict=True):
        assert verdict.claim_id == raw["id"]
        assert verdict.status == raw["expected_status"], verdict.reason
        assert validate(verdict.to_json(), "verdict-v1") == []
    by_id = {v.claim_id: v for v in verdicts}
    assert by_id["c1"].reason == "Computed 7.57 matches expected 7.57 (tolerance=5.0%)"
    assert by_id["c3"].reason == "Computed 7.6 does not match expected 7.8 (tolerance=0.05)"
    assert by_id["c1"].computed is not None and by_id["c1"].computed.fraction == "227/30"
    assert by_id["c1"].computed.decimal == "7.5666666667"
    assert "c6" in by_id["c6"].reason and "division by zero" in by_id["c6"].reason
    assert by_id["c6"].computed is None


def test_seed_checks_are_valid_claim_check_v1(seed_claims_path: Path) -> None:
    for raw in load_json_file(seed_claims_path)["claims"]:
        assert validate(raw["check"], "claim-check-v1") == []


def test_verdict_fields_and_artifact() -> None:
    raw = {"formula": "difference(a, b)", "inputs": {"a": "8.7", "b": "8.2"}, "expected": "0.5", "tolerance": {"absolute": "0"}}
    verdict = check_claim(claim(raw), now=NOW)
    out = verdict.to_json()
    assert out["contract"] == "verdict-v1"
    assert out["status"] == "verified" and out["method"] == "exact" and out["scope"] == "arithmetic"
    assert out["evaluated_at"] == "2026-01-02T03:04:05Z"
    assert out["check_sha256"] == canonical_sha256(raw)
    assert out["computed"] == {"fraction": "1/2", "decimal": "0.5", "decimal_is_exact": True}
    assert validate(out, "verdict-v1") == []


def test_verdict_round_trips_with_unknown_fields() -> None:
    verdict = check_claim(claim({"formula": "a", "inputs": {"a": "1"}, "expected": "1", "precision": 0}), now=NOW)
    doc = verdict.to_json() | {"x_reviewer": {"name": "A"}}
    again = Verdict.from_json(copy.deepcopy(doc))
    assert again == verdict
    assert again.to_json() == doc


def test_falsified_rendering_never_shows_equal_numbers() -> None:
    # 7.56 rendered to 1 decimal is 7.6 = expected, but 0.04 > 0.01: the reason must show the difference.
    verdict = check_claim(claim({"formula": "a", "inputs": {"a": "7.56"}, "expected": "7.6", "tolerance": {"absolute": "0.01"}}), now=NOW)
    assert verdict.status == "falsified"
    assert verdict.reason == "Computed 7.56 does not match expected 7.6 (tolerance=0.01)"


def test_tolerance_and_precision_both_must_hold() -> None:
    both = {"formula": "a", "inputs": {"a": "7.66"}, "expected": "7.6", "tolerance": {"relative": "0.05"}, "precision": 1}
    verdict = check_claim(claim(both), now=NOW)
    assert verdict.status == "falsified"
    assert "tolerance=5.0%; precision=1 decimal, ±0.05" in verdict.reason


def test_relative_tolerance_is_against_the_expected_value() -> None:
    # |10.5 - 10| = 0.5 = 5% of 10 (holds); 5% of 10.5 would also hold, so use a sharper case:
    ok = check_claim(claim({"formula": "a", "inputs": {"a": "9.5"}, "expected": "10", "tolerance": {"relative": "0.05"}}), now=NOW)
    assert ok.status == "verified"
    zero = check_claim(claim({"formula": "a", "inputs": {"a": "0.001"}, "expected": "0", "tolerance": {"relative": "0.5"}}), now=NOW)
    assert zero.status == "falsified"


def test_broken_check_does_not_stop_the_others() -> None:
    doc = {
        "claims": [
            {"id": "ok", "check": {"formula": "a", "inputs": {"a": "1"}, "expected": "1", "precision": 0}},
            {"id": "bad-formula", "check": {"formula": "a +* b", "inputs": {"a": "1", "b": "2"}, "expected": "1", "precision": 0}},
            {"id": "bad-decimal", "check": {"formula": "a", "inputs": {"a": "1,5"}, "expected": "1e3", "tolerance": {"absolute": "-1"}}},
            {"id": "unknown-name", "check": {"formula": "a + q", "inputs": {"a": "1"}, "expected": "1", "precision": 0}},
            {"id": "no-check", "text": "nothing to check"},
            {"id": "after", "check": {"formula": "a * 2", "inputs": {"a": "1.5"}, "expected": "3", "precision": 0}},
        ]
    }
    verdicts = check_claims(load_claims(doc), now=NOW)
    statuses = {v.claim_id: v.status for v in verdicts}
    assert statuses == {"ok": "verified", "bad-formula": "error", "bad-decimal": "error", "unknown-name": "error", "after": "verified"}
    bad = next(v for v in verdicts if v.claim_id == "bad-decimal")
    # every problem of the check at once
    assert "inputs.a" in bad.reason and "expected" in bad.reason and "tolerance.absolute" in bad.reason
    assert "unknown name 'q'" in next(v for v in verdicts if v.claim_id == "unknown-name").reason
    for v in verdicts:
        assert validate(v.to_json(), "verdict-v1") == []


def test_claim_without_check_is_inconclusive_when_asked() -> None:
    verdict = check_claim(Claim("c1", "text", None), now=NOW)
    assert verdict.status == "inconclusive"


# ------------------------------------------------------------------ sourced scope

def sourced(tmp_path: Path, content: bytes, cited: str | None = None, file: str = "table.csv") -> dict[str, Any]:
    (tmp_path / "table.csv").write_bytes(content)
    digest = cited or hashlib.sha256(content).hexdigest()
    source = {"file": file, "sha256": digest, "locator": "row 2"}
    return {
        "formula": "difference(a, b)",
        "inputs": {"a": {"value": "8.7", "source": source}, "b": {"value": "8.2", "source": source}},
        "expected": "0.5",
        "tolerance": {"absolute": "0"},
    }


def test_sourced_scope_when_every_input_is_found_in_its_source(tmp_path: Path) -> None:
    check = sourced(tmp_path, b"a,b\n8.7,8.2\n")
    for column in ("a", "b"):
        check["inputs"][column]["source"] = {**check["inputs"][column]["source"], "locator": {"row": 1, "column": column}}
    verdict = check_claim(claim(check), now=NOW, base_dir=tmp_path)
    assert (verdict.status, verdict.scope) == ("verified", "sourced")
    assert [a.role for a in verdict.artifacts] == ["source"]
    assert verdict.artifacts[0].sha256 == hashlib.sha256(b"a,b\n8.7,8.2\n").hexdigest()
    assert validate(verdict.to_json(), "verdict-v1") == []
    # issue 16: a free-text locator is kept but not checked, so the input is not grounded
    free_text = check_claim(claim(sourced(tmp_path, b"a,b\n8.7,8.2\n")), now=NOW, base_dir=tmp_path)
    assert (free_text.status, free_text.scope) == ("verified", "arithmetic")
    assert "free-text locators, not checked: a, b" in free_text.reason


def test_source_digest_mismatch_is_inconclusive(tmp_path: Path) -> None:
    verdict = check_claim(claim(sourced(tmp_path, b"changed", cited="0" * 64)), now=NOW, base_dir=tmp_path)
    assert (verdict.status, verdict.scope) == ("inconclusive", "arithmetic")
    assert "source digest mismatch" in verdict.reason


def test_sources_not_checked_without_base_dir_or_file(tmp_path: Path) -> None:
    check = sourced(tmp_path, b"x")
    assert check_claim(claim(check), now=NOW).scope == "arithmetic"
    missing = sourced(tmp_path, b"x", file="absent.csv")
    verdict = check_claim(claim(missing), now=NOW, base_dir=tmp_path)
    assert (verdict.status, verdict.scope) == ("verified", "arithmetic")
    assert "absent.csv not found" in verdict.reason


def test_source_path_cannot_leave_the_bundle(tmp_path: Path) -> None:
    inner = tmp_path / "bundle"
    inner.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"x")
    check = sourced(inner, b"x", cited=hashlib.sha256(b"x").hexdigest(), file="../secret.txt")
    verdict = check_claim(claim(check), now=NOW, base_dir=inner)
    assert verdict.scope == "arithmetic"
    assert "stay inside the bundle" in verdict.reason


# ------------------------------------------------------------------ exact inclusive bounds

small_decimals = st.builds(lambda u, p: render_decimal(Fraction(u, 10**p), p), st.integers(-(10**8), 10**8), st.integers(0, 6))
nonneg = st.builds(lambda u, p: render_decimal(Fraction(u, 10**p), p), st.integers(0, 10**6), st.integers(0, 6))
EPS = Fraction(1, 10**30)


def status_of(value: Fraction, expected: str, bound: dict[str, Any]) -> str:
    check = {"formula": "x", "inputs": {"x": render_decimal(value, 40 if value.denominator > 1 else 0)}, "expected": expected, **bound}
    return check_claim(claim(check), now=NOW).status


def exact(value: Fraction) -> Fraction:
    assert (value * 10**40).denominator == 1
    return value


@settings(max_examples=200)
@given(small_decimals, nonneg, st.booleans())
def test_absolute_bound_is_exact_and_inclusive(expected: str, tol: str, above: bool) -> None:
    e = parse(expected)
    t = parse(tol)
    edge = e + t if above else e - t
    beyond = edge + EPS if above else edge - EPS
    assert status_of(exact(edge), expected, {"tolerance": {"absolute": tol}}) == "verified"
    assert status_of(exact(beyond), expected, {"tolerance": {"absolute": tol}}) == "falsified"


@settings(max_examples=200)
@given(small_decimals, nonneg, st.booleans())
def test_relative_bound_is_exact_and_inclusive(expected: str, rel: str, above: bool) -> None:
    e = parse(expected)
    bound = parse(rel) * abs(e)
    edge = e + bound if above else e - bound
    beyond = edge + EPS if above else edge - EPS
    assert status_of(exact(edge), expected, {"tolerance": {"relative": rel}}) == "verified"
    assert status_of(exact(beyond), expected, {"tolerance": {"relative": rel}}) == "falsified"


@settings(max_examples=200)
@given(small_decimals, st.integers(0, 20), st.booleans())
def test_precision_bound_is_exact_and_inclusive(expected: str, places: int, above: bool) -> None:
    e = parse(expected)
    half = Fraction(5, 10 ** (places + 1))
    edge = e + half if above else e - half
    beyond = edge + EPS if above else edge - EPS
    assert status_of(exact(edge), expected, {"precision": places}) == "verified"
    assert status_of(exact(beyond), expected, {"precision": places}) == "falsified"


def parse(text: str) -> Fraction:
    return parse_check({"formula": "x", "inputs": {"x": text}, "expected": text, "precision": 0}).input_values()["x"]


@settings(max_examples=300)
@given(small_decimals, small_decimals, nonneg)
def test_falsified_reason_never_shows_the_expected_number(value: str, expected: str, tol: str) -> None:
    check = {"formula": "x", "inputs": {"x": value}, "expected": expected, "tolerance": {"absolute": tol}}
    verdict = check_claim(claim(check), now=NOW)
    shown = verdict.reason.split()[1]
    if verdict.status == "falsified":
        assert shown != expected
        assert verdict.reason.startswith(f"Computed {shown} does not match expected {expected} (tolerance={tol})")
    else:
        assert verdict.reason.startswith(f"Computed {shown} matches expected {expected}")


def test_regression_tiny_difference_far_beyond_the_stated_decimals() -> None:
    value = "7.6" + "0" * 60 + "1"
    verdict = check_claim(claim({"formula": "x", "inputs": {"x": value}, "expected": "7.6", "tolerance": {"absolute": "0"}}), now=NOW)
    assert verdict.status == "falsified"
    assert verdict.reason.split()[1] != "7.6"


def test_sourced_needs_a_locator(tmp_path: Path) -> None:
    check = sourced(tmp_path, b"a,b\n8.7,8.2\n")
    check["inputs"]["b"]["source"] = {k: v for k, v in check["inputs"]["b"]["source"].items() if k != "locator"}
    verdict = check_claim(claim(check), now=NOW, base_dir=tmp_path)
    assert (verdict.status, verdict.scope) == ("verified", "arithmetic")
    assert "without a locator: b" in verdict.reason
