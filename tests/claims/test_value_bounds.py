"""Issue 13.3: every value a formula reaches is bounded; a value too large to print is an error verdict, never a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.claims.engine import check_claims
from provenance.claims.errors import ValueTooLarge
from provenance.claims.formula import MAX_VALUE_DIGITS, evaluate_pair, parse_formula
from provenance.claims.model import load_claims
from provenance.schemas import validate

NOW = datetime(2026, 1, 1, tzinfo=UTC)
NINES = "9" * 99  # the longest integer input a check accepts (100 characters with a sign)


def _doc(formula: str, inputs: dict[str, str], expected: str = "1") -> dict[str, Any]:
    return {"claims": [{"id": "c1", "text": "a big claim",
                        "check": {"formula": formula, "inputs": inputs, "expected": expected, "precision": 0}}]}


def _verdict(formula: str, inputs: dict[str, str], expected: str = "1") -> Any:
    (verdict,) = check_claims(load_claims(_doc(formula, inputs, expected)), now=NOW)
    return verdict


def test_45_factors_of_a_99_digit_input_is_an_error_verdict_naming_the_bound() -> None:
    verdict = _verdict(" * ".join(["a"] * 45), {"a": NINES})
    assert verdict.status == "error" and verdict.computed is None
    assert f"numerator of more than {MAX_VALUE_DIGITS} digits" in verdict.reason
    assert validate(verdict.to_json(), "verdict-v1") == []


def test_a_denominator_too_large_is_named_as_the_denominator() -> None:
    tiny = "0." + "0" * 97 + "1"  # 10**-98: numerator 1, denominator 10**98
    verdict = _verdict(" * ".join(["a"] * 45), {"a": tiny})
    assert verdict.status == "error" and f"denominator of more than {MAX_VALUE_DIGITS} digits" in verdict.reason


def test_the_bound_is_inclusive_at_exactly_max_digits() -> None:
    ten98 = "1" + "0" * 98  # 10**98
    at_bound = " * ".join(["a"] * 10) + " * 10000000000000000000"  # 10**999: 1000 digits
    ok = _verdict(at_bound, {"a": ten98}, expected="1")
    assert ok.status == "falsified" and ok.computed is not None and len(ok.computed.fraction) == MAX_VALUE_DIGITS
    over = _verdict(at_bound + " * 10", {"a": ten98})
    assert over.status == "error" and "more than 1000 digits" in over.reason


def test_an_unreduced_pair_over_the_bound_is_reduced_before_it_is_refused() -> None:
    # mean of inputs with 60 and 61 decimals: the unreduced denominators multiply, the value itself is small
    inputs = {f"x{i}": "0." + "0" * (59 + i % 2) + "1" for i in range(40)}
    verdict = _verdict("sum(" + ", ".join(inputs) + ") * 0", inputs, expected="0")
    assert verdict.status == "verified"


def test_a_sum_of_large_terms_is_bounded_while_it_accumulates() -> None:
    # three terms of ~400-digit pairwise coprime denominators: each fits, their sum's denominator (~1200 digits) does not
    terms = [f"1 / ({x} * {x} * {x} * {x})" for x in ("a", "b", "c")]
    expr = parse_formula("sum(" + ", ".join(terms) + ")", ["a", "b", "c"])
    a = int(NINES)
    values = {"a": (a, 1), "b": (a - 1, 1), "c": (a - 2, 1)}
    with pytest.raises(ValueTooLarge, match=r"the value of sum\(.*denominator"):
        evaluate_pair(expr, values)
    assert evaluate_pair(parse_formula(terms[0], ["a"]), values)[1] == a**4


@settings(max_examples=60, deadline=None)
@given(factors=st.integers(1, 60), digits=st.integers(1, 99), invert=st.booleans())
def test_products_of_long_inputs_never_crash_and_never_print_too_much(factors: int, digits: int, invert: bool) -> None:
    product = " * ".join(["a"] * factors)
    formula = f"1 / ({product})" if invert else product
    verdict = _verdict(formula, {"a": "7" * digits})
    text = json.dumps(verdict.to_json())  # the verdict can always be printed
    if factors * digits <= MAX_VALUE_DIGITS:
        assert verdict.status in ("verified", "falsified")
    elif factors * (digits - 1) >= MAX_VALUE_DIGITS:
        assert verdict.status == "error" and "digits" in verdict.reason
    assert len(text) < 10 * MAX_VALUE_DIGITS


def test_claims_check_cli_reports_the_bound_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_doc(" * ".join(["a"] * 45), {"a": NINES})), encoding="utf-8")
    for extra in ([], ["--json"]):
        proc = subprocess.run([sys.executable, "-m", "provenance", "claims", "check", str(path), "--lean", "off", *extra],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 1, proc.stderr
        assert "internal error" not in proc.stderr and "more than 1000" in proc.stdout.replace("\n", " ").replace("│", "")


def test_verify_and_report_of_a_bundle_with_a_too_large_value(tmp_path: Path) -> None:
    from provenance.bundle.build import BuildRequest, build_bundle
    from provenance.bundle.report import load_report_data, render
    from provenance.bundle.verify import verify_bundle
    from provenance.ingest.record import ingest_file
    from provenance.jsonio import write_json
    from provenance.signing.keys import generate_key
    from provenance.signing.trust import add_key, init_trust_root, load_trust_root, write_trust_document

    root, attestor = generate_key(), generate_key()
    now = datetime.now(UTC)
    doc = add_key(init_trust_root([root], now=now, expires=now + timedelta(days=30)), "attestor", attestor.public,
                  [root], now=now)
    write_trust_document(tmp_path / "trust.json", doc)
    trust = load_trust_root(tmp_path / "trust.json")
    manifest = ingest_file(Path(__file__).resolve().parents[2] / "examples" / "rag-benchmark-paper.txt")
    manifest["claims"][0]["check"] = _doc(" * ".join(["a"] * 45), {"a": NINES})["claims"][0]["check"]
    write_json(tmp_path / "manifest.json", manifest)
    build_bundle(BuildRequest(tmp_path / "manifest.json", tmp_path / "bundle", lean_mode="off"), key=attestor,
                 trust=trust, epoch=1_767_225_600)
    report = verify_bundle(tmp_path / "bundle", trust, lean_mode="off")
    assert report.ok, [f.message for f in report.failures]
    for fmt in ("html", "md"):
        assert "more than 1000 digits" in render(load_report_data(tmp_path / "bundle", trust), fmt)
