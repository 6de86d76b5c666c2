"""The one evaluation pipeline: exact, then Lean, then repro; the same answer whoever calls it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.claims.engine import check_claims
from provenance.claims.model import load_claims, load_claims_file
from provenance.errors import InputError, ToolMissing
from provenance.lean.messages import RunFacts
from provenance.lean.runner import NO_LEAN, LeanRequest, Toolchain
from provenance.pipeline import LeanStep, ReproStep, all_verified, evaluate, parse_lean_mode
from provenance.sandbox import UNSAFE_HOST_RUNNER, HostRunner, choose_sandbox

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TOOLCHAIN = Toolchain(Path("/nonexistent/bin/lean"), Path("/nonexistent"), "4.19.0", "Lean (version 4.19.0, fake)")


def _claims() -> list:  # type: ignore[type-arg]
    return load_claims({"claims": [
        {"id": "c1", "text": "mean 7.57", "check": {"formula": "mean", "inputs": {"a": "8.2", "b": "7.0", "c": "7.5"},
                                                    "expected": "7.57", "precision": 2}},
        {"id": "c2", "text": "gain 1.8", "check": {"formula": "difference(b, a)", "inputs": {"a": "70.1", "b": "71.2"},
                                                   "expected": "1.8", "tolerance": {"absolute": "0.05"}}},
        {"id": "c3", "text": "no check"},
    ]})



class AcceptAll:
    """A LeanRunner that accepts every theorem of a file, as lean --json would for true statements."""

    def __init__(self) -> None:
        self.files: list[str] = []

    def run(self, request: LeanRequest) -> RunFacts:
        self.files.append(request.file)
        text = (request.project / request.file).read_text(encoding="utf-8")
        lines = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.startswith("#print axioms "):
                name = line.split()[-1]
                lines.append(json.dumps({"severity": "information", "pos": {"line": number, "column": 0},
                                         "endPos": None, "fileName": request.file,
                                         "data": f"'{name}' does not depend on any axioms"}))
        return RunFacts(0, "\n".join(lines) + "\n", "", False)


def test_exact_only_is_the_engine() -> None:
    claims = _claims()
    evaluation = evaluate(claims, now=NOW)
    assert list(evaluation.exact) == check_claims(claims, now=NOW)
    assert evaluation.verdicts == evaluation.exact and evaluation.runs == () and evaluation.lean_version is None
    assert [v.status for v in evaluation.verdicts] == ["verified", "falsified"]
    assert all(v.lean is None for v in evaluation.verdicts)


def test_lean_auto_without_lean_records_not_run_on_every_verdict(no_lean_path: Path) -> None:
    evaluation = evaluate(_claims(), now=NOW, lean=LeanStep("auto"))
    assert evaluation.lean_version is None
    assert [v.lean for v in evaluation.verdicts] == [{"status": "not_run", "reason": NO_LEAN}] * 2
    assert [v.method for v in evaluation.verdicts] == ["exact", "exact"]


def test_lean_require_without_lean_is_tool_missing(no_lean_path: Path) -> None:
    with pytest.raises(ToolMissing, match="--lean require"):
        evaluate(_claims(), now=NOW, lean=LeanStep("require"))


def test_lean_require_without_any_check_needs_no_lean(no_lean_path: Path) -> None:
    claims = load_claims({"claims": [{"id": "c1", "text": "nothing to check"}]})
    assert evaluate(claims, now=NOW, lean=LeanStep("require")).verdicts == ()


def test_lean_with_a_toolchain_runs_the_runner_and_names_its_version(tmp_path: Path) -> None:
    runner = AcceptAll()
    evaluation = evaluate(_claims(), now=NOW, lean=LeanStep("auto", toolchain=TOOLCHAIN, runner=runner))
    assert runner.files and evaluation.lean_version == "4.19.0"
    assert [(v.method, (v.lean or {}).get("status")) for v in evaluation.verdicts] == [("lean4", "accepted")] * 2


def test_unknown_lean_mode_is_bad_input() -> None:
    with pytest.raises(InputError, match="unknown Lean mode"):
        parse_lean_mode("sometimes")
    with pytest.raises(InputError, match="unknown Lean mode"):
        evaluate(_claims(), now=NOW, lean=LeanStep("sometimes"))  # type: ignore[arg-type]


def test_repro_verdict_replaces_the_exact_one_and_order_is_kept(tmp_path: Path) -> None:
    script = tmp_path / "r.py"
    script.write_text('import json; print(json.dumps({"a": "70.2", "c3.x": "1"}))\n', encoding="utf-8")
    seen: list[Path] = []
    step = ReproStep((script,), HostRunner(), UNSAFE_HOST_RUNNER, timeout=30, memory_mb=512)
    evaluation = evaluate(_claims(), now=NOW, repro=step, on_script=seen.append)
    assert seen == [script]
    (outcome,) = evaluation.runs
    assert outcome.run.error is None and outcome.run.runner == UNSAFE_HOST_RUNNER
    fed = {v.claim_id: v for v in outcome.verdicts}
    assert set(fed) == {"c1", "c2"}  # "a" feeds both; c3 has no check
    assert [v.claim_id for v in evaluation.verdicts] == ["c1", "c2"]
    assert [v.method for v in evaluation.verdicts] == ["sandbox", "sandbox"]
    assert evaluation.verdicts[1].inputs == {"a": "70.2", "b": "71.2"}
    assert [v.method for v in evaluation.exact] == ["exact", "exact"]


def test_a_later_run_replaces_an_earlier_runs_verdict(tmp_path: Path) -> None:
    first, second = tmp_path / "1.py", tmp_path / "2.py"
    first.write_text('print(\'{"a": "70.0"}\')\n', encoding="utf-8")
    second.write_text('print(\'{"c2.a": "69.4"}\')\n', encoding="utf-8")
    step = ReproStep((first, second), HostRunner(), UNSAFE_HOST_RUNNER, timeout=30, memory_mb=512)
    evaluation = evaluate(_claims(), now=NOW, repro=step)
    by_id = {v.claim_id: v for v in evaluation.verdicts}
    assert by_id["c2"].inputs == {"a": "69.4", "b": "71.2"}
    assert by_id["c1"].inputs == {"a": "70.0", "b": "7.0", "c": "7.5"}


def test_the_unsafe_sandbox_is_named_once() -> None:
    sandbox, name = choose_sandbox(unsafe_no_sandbox=True)
    assert isinstance(sandbox, HostRunner) and name == UNSAFE_HOST_RUNNER == "host (unsafe, not sealed)"


def test_all_verified_is_vacuously_true_and_false_on_any_other_status() -> None:
    assert all_verified([])
    verdicts = evaluate(_claims(), now=NOW).verdicts
    assert not all_verified(verdicts)
    assert all_verified([v for v in verdicts if v.status == "verified"])


def test_load_claims_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    path.write_text('{"claims": 3}', encoding="utf-8")
    with pytest.raises(InputError, match="claims.json"):
        load_claims_file(path)
