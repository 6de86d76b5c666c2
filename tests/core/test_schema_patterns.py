"""Schema patterns mean ECMA-262: ``$`` is the end of the string, never "before a final newline"."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from provenance.schemas import ecma_pattern, validate


def _verdict(check_sha256: str) -> dict[str, object]:
    return {
        "contract": "verdict-v1",
        "claim_id": "c1",
        "status": "verified",
        "method": "exact",
        "scope": "arithmetic",
        "reason": "Computed 1 matches expected 1 (tolerance=5.0%)",
        "evaluated_at": "2026-01-02T03:04:05Z",
        "check_sha256": check_sha256,
    }


def test_a_schema_pattern_refuses_a_trailing_newline_that_pythons_dollar_would_accept() -> None:
    digest = "ab" * 32
    assert not [f for f in validate(_verdict(digest), "verdict-v1") if "check_sha256" in f.path]
    findings = validate(_verdict(digest + "\n"), "verdict-v1")
    assert any(f.path == "$.check_sha256" for f in findings), findings


def test_a_timestamp_pattern_ending_in_z_refuses_a_trailing_newline() -> None:
    doc = _verdict("ab" * 32)
    doc["evaluated_at"] = "2026-01-02T03:04:05Z\n"
    assert any(f.path == "$.evaluated_at" for f in validate(doc, "verdict-v1"))


def test_dollar_inside_a_class_or_escaped_is_left_alone() -> None:
    assert ecma_pattern(r"^a\$b[$]c$") == r"^a\$b[$]c\Z"
    assert ecma_pattern(r"^(x|y$)") == r"^(x|y\Z)"
    assert ecma_pattern(r"[\]$]$") == r"[\]$]\Z"


@given(st.text(alphabet="ab\n$", max_size=8))
def test_translated_anchor_matches_exactly_the_whole_string(text: str) -> None:
    assert (re.search(ecma_pattern("^[ab]*$"), text) is not None) == (re.fullmatch("[ab]*", text) is not None)
