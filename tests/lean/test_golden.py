"""Golden files of the six seed claims, compared byte for byte; the Lean library quotes them verbatim."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from provenance.claims.engine import check_claims
from provenance.claims.model import load_claims
from provenance.jsonio import load_json_file
from provenance.lean.emit import items_from, plan_project
from provenance.lean.grammar import check_claim_file
from provenance.lean.reader import read_file

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "lean" / "golden"
PROJECT = GOLDEN / "seed-claims"
from datetime import UTC, datetime  # noqa: E402

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _plan_files() -> dict[str, bytes]:
    claims = load_claims(load_json_file(GOLDEN / "seed-claims.json"))
    items, skipped = items_from(claims, check_claims(claims, now=NOW))
    return dict(plan_project(items, skipped).files)


def test_golden_files_match_byte_for_byte() -> None:
    files = _plan_files()
    on_disk = {p.relative_to(PROJECT).as_posix() for p in PROJECT.rglob("*") if p.is_file()}
    assert on_disk == set(files)
    for rel, data in files.items():
        assert (PROJECT / rel).read_bytes() == data, f"{rel} differs; run scripts/regen_lean_golden.py if intended"


def test_golden_input_is_the_shared_seed_claims(seed_claims_path: Path) -> None:
    assert (GOLDEN / "seed-claims.json").read_bytes() == seed_claims_path.read_bytes()


def test_regen_script_check_mode_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "regen_lean_golden.py"), "--check"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "golden files match" in result.stdout


def test_emit_is_deterministic_and_equals_golden(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "provenance", "lean", "emit", str(GOLDEN / "seed-claims.json")]
    for out in (tmp_path / "a", tmp_path / "b"):
        result = subprocess.run([*cli, "-o", str(out)], capture_output=True, text=True, check=False, cwd=REPO)
        assert result.returncode == 0, result.stderr
    for rel in _plan_files():
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes() == (PROJECT / rel).read_bytes()


def test_golden_verdict_shapes() -> None:
    text = (PROJECT / "Claims" / "C0001.lean").read_text(encoding="utf-8")
    ranges = check_claim_file(text)
    assert len(ranges) == 5  # c6 divides by zero: no theorem
    negated = [r.negated for r in ranges]
    assert negated == [False, False, True, False, False]  # c3 is falsified: its negation is proved
    assert all(t.value and t.proof == "decide" for t in read_file(text).theorems)


def _lean_theorem_blocks(text: str) -> list[str]:
    return re.findall(r"^theorem [^\n]*\n(?:    [^\n]*\n)*  decide$", text, flags=re.MULTILINE)


def test_library_examples_quote_the_golden_theorems_and_read_true() -> None:
    examples = (REPO / "lean" / "ProvenanceClaims" / "Examples.lean").read_text(encoding="utf-8")
    golden = (PROJECT / "Claims" / "C0001.lean").read_text(encoding="utf-8")
    for block in _lean_theorem_blocks(golden):
        assert block in examples
    blocks = _lean_theorem_blocks(examples)
    assert len(blocks) >= 12
    for block in blocks:
        (theorem,) = read_file(block + "\n").theorems
        assert theorem.value, theorem.name


def test_lean_side_of_the_repo_exists() -> None:
    assert (REPO / "lean-toolchain").read_text().startswith("leanprover/lean4:v4.")
    lakefile = (REPO / "lakefile.lean").read_text()
    assert "lean_lib «ProvenanceClaims»" in lakefile and 'srcDir := "lean"' in lakefile
    root = (REPO / "lean" / "ProvenanceClaims.lean").read_text()
    assert "import ProvenanceClaims.Encoding" in root and "import ProvenanceClaims.Examples" in root
    for path in (REPO / "lean").rglob("*.lean"):
        body = path.read_text()
        for banned in ("sorry", "native_decide", "axiom ", "Mathlib", "set_option"):
            assert banned not in body, f"{path}: {banned}"
