"""End-to-end with a real Lean 4 toolchain. Skipped (with the reason) wherever `lean` is not on PATH.

Nothing here imitates Lean: without the executable these tests do not run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.claims.engine import check_claims, compare
from provenance.claims.model import load_claims, parse_check
from provenance.jsonio import load_json_file
from provenance.lean.emit import EmitItem, emit_project, plan_project, spec_from_check, write_project
from provenance.lean.encoding import encode
from provenance.lean.messages import ALLOWED_AXIOMS, TheoremRange, judge
from provenance.lean.pipeline import apply_lean, check_project, make_runner
from provenance.lean.runner import LeanRequest, Toolchain, find_lean

pytestmark = [pytest.mark.lean, pytest.mark.skipif(shutil.which("lean") is None, reason="lean not on PATH")]

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "lean" / "golden" / "seed-claims.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    found = find_lean()
    if found is None:
        pytest.skip("lean is on PATH but does not run (lean --print-prefix / --version failed)")
    return found


def test_seed_project_is_accepted(tmp_path: Path, toolchain: Toolchain) -> None:
    claims = load_claims(load_json_file(SEED))
    emit_project(claims, check_claims(claims, now=NOW), tmp_path / "p")
    result = check_project(tmp_path / "p", toolchain=toolchain, jobs=2, timeout=300)
    assert len(result.checks) == 5
    for check in result.checks:
        assert check.result.accepted, check.result.reason
        assert check.result.axioms is not None and set(check.result.axioms) <= ALLOWED_AXIOMS


def test_wrong_polarity_is_rejected_as_false(tmp_path: Path, toolchain: Toolchain) -> None:
    raw = {"formula": "mean", "inputs": {"a": "8.2", "b": "7.5", "c": "7.0"}, "expected": "7.8", "tolerance": {"absolute": "0.05"}}
    check = parse_check(raw)
    assert not compare(check).holds
    item = EmitItem("wrong", raw, encode(spec_from_check(check)), "verified")  # claims the false statement
    write_project(plan_project([item]), tmp_path / "p")
    (result,) = check_project(tmp_path / "p", toolchain=toolchain, timeout=300).checks
    assert not result.result.accepted and result.result.outcome == "false"


def test_gate_rejects_sorry_and_native_decide(tmp_path: Path, toolchain: Toolchain) -> None:
    # reference/lean-claims.md Ex6: a test fixture, never emitted; lean exits 0 on it.
    text = (
        "theorem ctl_sorry : (2 + 2 : Nat) = 5 := by\n  sorry\n\n"
        "theorem ctl_native : (2 + 2 : Nat) = 4 := by\n  native_decide\n\n"
        "#print axioms ctl_sorry\n#print axioms ctl_native\n"
    )
    (tmp_path / "Ctl.lean").write_text(text)
    runner, _ = make_runner(toolchain)
    run = runner.run(LeanRequest(tmp_path, "Ctl.lean", 300))
    results = judge(run, [TheoremRange("ctl_sorry", 1, 2), TheoremRange("ctl_native", 4, 5)])
    assert [r.accepted for r in results] == [False, False]
    assert "sorry" in results[0].reason
    assert "native_decide" in results[1].reason or "axioms outside" in results[1].reason


def test_lean_agrees_with_the_exact_engine_on_random_claims(tmp_path: Path, toolchain: Toolchain) -> None:
    rng = random.Random(5)
    claims_doc = []
    for i in range(150):
        inputs = {n: f"{rng.randint(0, 999)}.{rng.randint(0, 9)}" for n in ("a", "b", "c")}
        formula = rng.choice(["mean", "max(a, b) - min(b, c)", "ratio(a + 1, b + 1)", "percent_change(a + 1, c)", "abs(a - b) * 2"])
        expected = f"{rng.randint(0, 300)}.{rng.randint(0, 99):02d}"
        claims_doc.append({"id": f"r{i}", "text": "", "check": {"formula": formula, "inputs": inputs, "expected": expected,
                                                               "tolerance": {"relative": "0.5"}}})
    claims = load_claims({"claims": claims_doc})
    verdicts = check_claims(claims, now=NOW)
    out = apply_lean(claims, verdicts, "require", jobs=2, timeout=300)
    decided = [v for v in verdicts if v.status in ("verified", "falsified")]
    assert len(decided) > 100
    for before, after in zip(verdicts, out, strict=True):
        if before.status in ("verified", "falsified"):
            assert after.method == "lean4" and after.status == before.status, after.reason


def test_cli_lean_check_json(tmp_path: Path) -> None:
    env = dict(os.environ)
    subprocess.run([sys.executable, "-m", "provenance", "lean", "emit", str(SEED), "-o", str(tmp_path / "p")],
                   check=True, cwd=REPO, env=env, capture_output=True)
    result = subprocess.run([sys.executable, "-m", "provenance", "lean", "check", str(tmp_path / "p"), "--json"],
                            cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["accepted"] == 5 and doc["rejected"] == 0 and doc["lean_version"]


@pytest.mark.slow
def test_lake_builds_the_repository_library(tmp_path: Path, toolchain: Toolchain) -> None:
    lake = toolchain.prefix / "bin" / "lake"
    if not lake.is_file():
        pytest.skip("the toolchain has no lake binary")
    for name in ("lakefile.lean", "lean-toolchain"):
        shutil.copy(REPO / name, tmp_path / name)
    shutil.copytree(REPO / "lean", tmp_path / "lean")
    result = subprocess.run([str(lake), "build"], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
