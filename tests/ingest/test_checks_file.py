"""Issue 15.8 and 13.2: a checks file's mistakes are said in plain words, as the checks file's, exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
RECORD = REPO / "examples" / "rag-benchmark-paper.txt"
GOOD = {"formula": "difference(b, a)", "inputs": {"a": "51.4", "b": "52.1"}, "expected": "0.7", "precision": 1}


def _ingest(tmp_path: Path, doc: Any) -> subprocess.CompletedProcess[str]:
    checks = tmp_path / "checks.json"
    checks.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    out = tmp_path / "manifest.json"
    proc = subprocess.run([sys.executable, "-m", "provenance", "ingest", str(RECORD), "--checks", str(checks),
                           "-o", str(out)], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        assert not out.exists() and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        assert str(checks) in proc.stderr
    return proc


def _bad(tmp_path: Path, check: dict[str, Any]) -> str:
    proc = _ingest(tmp_path, {"claims": [{"id": "c5", "check": check}]})
    assert proc.returncode == 2, proc.stderr
    assert "paper-manifest" not in proc.stderr and "is not valid under any of the given schemas" not in proc.stderr
    assert "checks file" in proc.stderr
    return proc.stderr


def test_a_check_with_neither_tolerance_nor_precision_says_what_to_write(tmp_path: Path) -> None:
    text = _bad(tmp_path, {k: v for k, v in GOOD.items() if k != "precision"})
    assert '$.claims[0].check: no "tolerance" and no "precision"' in text
    assert '"tolerance": {"absolute": "0.05"}' in text and '"precision": N' in text


def test_an_exponent_says_the_plain_decimal_to_write(tmp_path: Path) -> None:
    text = _bad(tmp_path, {**GOOD, "inputs": {"a": "5.14e1", "b": "52.1"}})
    assert "$.claims[0].check.inputs.a: malformed decimal '5.14e1'" in text and 'write "51.4"' in text


def test_a_decimal_comma_says_both_readings(tmp_path: Path) -> None:
    text = _bad(tmp_path, {**GOOD, "expected": "0,7"})
    assert "$.claims[0].check.expected: malformed decimal '0,7'" in text
    assert 'write "0.7" if the comma is a decimal point, or "07" if it separates thousands' in text


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    check = {"formula": "mean", "inputs": {"a": "7.1e1", "b": "71,2"}, "expected": "71"}
    text = _bad(tmp_path, check)
    for part in ("inputs.a: malformed decimal", "inputs.b: malformed decimal", 'no "tolerance" and no "precision"'):
        assert part in text


def test_duplicate_claim_ids_in_a_checks_file_are_refused(tmp_path: Path) -> None:
    doc = {"claims": [{"id": "c5", "check": GOOD}, {"id": "c5", "check": {**GOOD, "expected": "1.8"}}]}
    proc = _ingest(tmp_path, doc)
    assert proc.returncode == 2
    assert "$.claims[1].id: claim 'c5' already has a check at $.claims[0]" in proc.stderr


@pytest.mark.parametrize("formula, words", [
    ("difference(b, a", "expected ',' or ')' in the call of difference at the end"),
    ("difference(b, c)", "unknown name 'c' at column 15 (inputs: a, b)"),
    ("b - - ", "formula is incomplete"),
    ("ratio(b)", "ratio at column 1 takes 2 arguments, got 1"),
    ("median(a, b)", "unknown function 'median'"),
])
def test_a_formula_that_does_not_parse_is_bad_input_at_ingest(tmp_path: Path, formula: str, words: str) -> None:
    text = _bad(tmp_path, {**GOOD, "formula": formula})
    assert "$.claims[0].check.formula: " + words in text


def test_a_good_checks_file_is_attached(tmp_path: Path) -> None:
    proc = _ingest(tmp_path, {"claims": [{"id": "c5", "check": GOOD}]})
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert next(c for c in manifest["claims"] if c["id"] == "c5")["check"] == GOOD


def test_an_integer_longer_than_pythons_limit_is_an_input_error(tmp_path: Path) -> None:
    """Issue 13.2: a 5,000-digit JSON integer crashed every reader (internal error: ValueError)."""
    huge = "1" * 5000
    doc = '{"claims": [{"id": "c5", "check": {"formula": "a", "inputs": {"a": "1"}, "expected": "1", "precision": ' \
          + huge + "}}]}"
    proc = _ingest(tmp_path, doc)
    assert proc.returncode == 2 and "internal error" not in proc.stderr
    claims = tmp_path / "claims.json"
    claims.write_text(doc, encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "provenance", "claims", "check", str(claims), "--lean", "off"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 2 and "internal error" not in check.stderr and str(claims) in check.stderr
    assert check.stderr.count("\n") == 1


def test_one_claim_is_one_claim(tmp_path: Path) -> None:
    """Issue 15.10: "1 claims"."""
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"claims": [{"id": "c1", "text": "x", "check": GOOD}, {"id": "c2", "text": "y"}]}),
                      encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "provenance", "claims", "check", str(claims), "--lean", "off"],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert f"{claims}: 1 check" in out.stdout and "1 checks" not in out.stdout
    assert "1 claim without a check" in out.stdout and "1 claims" not in out.stdout
