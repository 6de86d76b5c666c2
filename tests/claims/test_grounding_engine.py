"""The engine grounds sourced inputs and says whether a check restates its claim (issue 16 item 2)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provenance.claims.engine import check_claim, check_claims
from provenance.claims.model import Claim, load_claims, parse_check
from provenance.claims.verdict import Verdict
from provenance.jsonio import load_json_file
from provenance.schemas import validate
from provenance.sources.grounding import MAX_SPAN_CHARS, MemoryStore
from provenance.sources.normalise import NORMALISATION
from provenance.sources.numbers import TOKEN_RULE

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _examples() -> dict[str, Verdict]:
    claims = load_claims(load_json_file(EXAMPLES / "sourced-claims.json"))
    return {v.claim_id: v for v in check_claims(claims, now=NOW, base_dir=EXAMPLES)}


def _sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _claim(text: str, check: dict[str, Any]) -> Claim:
    return Claim("c", text, parse_check(check), {"id": "c", "text": text, "check": check})


def test_the_examples_are_sourced_only_when_every_input_is_found() -> None:
    verdicts = _examples()
    assert {cid: (v.status, v.scope) for cid, v in verdicts.items()} == {
        "s1": ("verified", "sourced"), "s2": ("verified", "sourced"),
        "s3": ("verified", "arithmetic"), "s4": ("verified", "sourced"),
    }
    s3 = verdicts["s3"]
    assert s3.ungrounded == ("mnli",)
    assert "inputs not grounded in their sources: mnli not found: 7.6 is not written at row 'MNLI'" in s3.reason
    assert "every input found in its source" not in s3.reason and s3.artifacts == ()
    assert verdicts["s1"].reason.endswith("; every input found in its source")
    for verdict in verdicts.values():
        assert validate(verdict.to_json(), "verdict-v1") == []
        assert Verdict.from_json(verdict.to_json()).to_json() == verdict.to_json()


def test_every_grounding_record_carries_its_evidence() -> None:
    for verdict in _examples().values():
        for record in verdict.grounding:
            data = (EXAMPLES / record["file"]).read_bytes()
            assert record["sha256"] == _sha(data)
            assert record["status"] in ("found", "not found")
            assert record["resolved"] is not None and 0 < len(record["span"]) <= MAX_SPAN_CHARS
            assert record["span_sha256"] == _sha(record["span"])
            assert (record["normalisation"], record["token_rule"]) == (NORMALISATION, TOKEN_RULE)
            assert ("extractor" in record) == record["file"].endswith(".pdf")
            if record["status"] == "found":
                written = record.get("as_written", record["value"])
                assert written in record["span"]


def test_the_check_that_does_not_restate_its_claim_gets_the_finding_and_keeps_its_status() -> None:
    verdicts = _examples()
    assert [cid for cid, v in verdicts.items() if v.restatement_finding] == ["s4"]
    s4 = verdicts["s4"]
    assert s4.status == "verified"
    assert s4.restatement_finding == (
        "the check does not restate the claim: its expected 7.57 is not stated in the claim text (which states 8.2, 7.5, 7.0)"
    )
    assert s4.to_json()["restatement"]["restates"] is False
    assert verdicts["s1"].to_json()["restatement"] == {
        "restates": True, "stated": ["8.2", "7.5", "7.0", "7.57"], "expected_stated": True, "unexplained": [], "finding": None,
    }


def test_the_held_out_seed_claims_keep_their_exact_verdicts(seed_claims_path: Path) -> None:
    doc = load_json_file(seed_claims_path)
    expected = {c["id"]: c["expected_status"] for c in doc["claims"] if "check" in c}
    verdicts = check_claims(load_claims(doc), now=NOW)
    assert {v.claim_id: v.status for v in verdicts} == expected
    assert all(v.scope == "arithmetic" and not v.grounding for v in verdicts)
    c1 = next(v for v in verdicts if v.claim_id == "c1")
    assert c1.reason == "Computed 7.57 matches expected 7.57 (tolerance=5.0%)"
    # the findings are visible in the record, never in the status or the reason
    assert {v.claim_id for v in verdicts if v.restatement_finding} == {"c4"}  # c6 is an error verdict: nothing decided
    assert not any("restate" in v.reason for v in verdicts)


def _table_check(cell: str, *, as_written: str | None = None, locator: Any = None) -> tuple[dict[str, Any], MemoryStore]:
    data = f"task,gain\nSQuAD,{cell}\nMNLI,7.5\n".encode()
    source: dict[str, Any] = {"file": "t.csv", "sha256": _sha(data), "locator": locator or {"row": "SQuAD", "column": "gain"}}
    other = {**source, "locator": {"row": "MNLI", "column": "gain"}}
    if as_written is not None:
        source["as_written"] = as_written
    check = {"formula": "difference(a, b)", "inputs": {"a": {"value": "8.2", "source": source}, "b": {"value": "7.5", "source": other}},
             "expected": "0.7", "tolerance": {"absolute": "0"}}
    return check, MemoryStore({"t.csv": data})


def _one(check: dict[str, Any], store: MemoryStore, text: str = "SQuAD 8.2 beats MNLI 7.5 by 0.7") -> Verdict:
    return check_claims([_claim(text, check)], now=NOW, store=store)[0]


def test_a_value_written_with_more_zeros_needs_as_written() -> None:
    check, store = _table_check("8.20")
    verdict = _one(check, store)
    assert (verdict.scope, verdict.ungrounded) == ("arithmetic", ("a",))
    assert "it is written there as 8.20: give as_written '8.20'" in verdict.reason
    check, store = _table_check("8.20", as_written="8.20")
    verdict = _one(check, store)
    assert (verdict.status, verdict.scope, verdict.ungrounded) == ("verified", "sourced", ())


def test_a_number_that_only_contains_the_value_is_not_found() -> None:
    check, store = _table_check("18.25")
    verdict = _one(check, store)
    assert verdict.scope == "arithmetic" and verdict.grounding[0]["status"] == "not found"


def test_a_cited_digest_that_is_not_the_file_is_inconclusive_and_said_once() -> None:
    check, store = _table_check("8.2")
    check["inputs"]["a"]["source"]["sha256"] = "0" * 64
    verdict = _one(check, store)
    assert (verdict.status, verdict.scope) == ("inconclusive", "arithmetic")
    assert verdict.reason.count("t.csv has sha256") == 1 and "not grounded" not in verdict.reason
    assert verdict.grounding[0]["status"] == "not found" and verdict.ungrounded == ("a",)


def test_an_ambiguous_locator_is_not_grounded() -> None:
    data = b"SQuAD gains 8.2 points.\nSQuAD gains 8.2 points.\n"
    source = {"file": "p.md", "sha256": _sha(data), "locator": {"quote": "SQuAD gains 8.2"}}
    check = {"formula": "a", "inputs": {"a": {"value": "8.2", "source": source}}, "expected": "8.2", "precision": 1}
    verdict = _one(check, MemoryStore({"p.md": data}), text="SQuAD gains 8.2 points")
    assert verdict.scope == "arithmetic" and verdict.grounding[0]["status"] == "ambiguous"
    assert "a ambiguous:" in verdict.reason


def test_a_missing_source_is_not_checked_and_named() -> None:
    check, _ = _table_check("8.2")
    verdict = _one(check, MemoryStore({}))
    assert verdict.scope == "arithmetic" and "sources not checked: a (t.csv not found), b (t.csv not found)" in verdict.reason
    assert [g["status"] for g in verdict.grounding] == ["not found", "not found"]


def test_without_a_store_sources_are_not_checked_and_nothing_is_grounded() -> None:
    check, _ = _table_check("8.2")
    verdict = check_claim(_claim("8.2 and 7.5 differ by 0.7", check), now=NOW)
    assert verdict.scope == "arithmetic" and verdict.grounding == ()
    assert "sources cited but not checked" in verdict.reason
