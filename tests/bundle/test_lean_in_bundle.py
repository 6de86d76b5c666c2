"""The Lean path of build and verify, with a runner replaying documented `lean --json` messages.

There is no Lean toolchain on this machine; the runner below answers the way `lean --json`
documents (an axioms line per theorem; for a false statement, decide's error), reading the
real emitted project. It tests what build and verify do with Lean's answers, not Lean.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from bundle_env import Env, build

from provenance.bundle.tools import LeanTools
from provenance.bundle.verify import verify_bundle
from provenance.jsonio import load_json_file
from provenance.lean.messages import RunFacts
from provenance.lean.runner import LeanRequest, Toolchain

TOOLCHAIN = Toolchain(Path("/nonexistent/bin/lean"), Path("/nonexistent"), "4.19.0", "Lean (version 4.19.0, replay)")


class Replay:
    """Messages as `lean --json` prints them; ``reject`` names a theorem Lean finds false."""

    def __init__(self, reject: str | None = None) -> None:
        self.reject = reject
        self.files: list[str] = []

    def run(self, request: LeanRequest) -> RunFacts:
        self.files.append(request.file)
        doc = json.loads((request.project / "claims-map.json").read_text())
        lines = []
        for name, entry in doc["theorems"].items():
            if entry["file"] != request.file:
                continue
            if name == self.reject:
                lines.append(json.dumps({"severity": "error", "pos": {"line": entry["lines"][1], "column": 2},
                                         "fileName": request.file,
                                         "data": "tactic 'decide' proved that the proposition\n  p\nis false"}))
            lines.append(json.dumps({"severity": "information", "pos": {"line": entry["axioms_line"], "column": 0},
                                     "fileName": request.file, "data": f"'{name}' does not depend on any axioms"}))
        return RunFacts(1 if self.reject else 0, "\n".join(lines) + "\n", "", False)


@pytest.fixture(scope="module")
def lean_bundle(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lean") / "bundle"
    build(env, out, lean_mode="auto", lean=LeanTools(TOOLCHAIN, Replay()))
    return out


def test_build_records_lean_backed_verdicts_whose_files_are_in_the_bundle(lean_bundle: Path) -> None:
    doc = load_json_file(lean_bundle / "data" / "verdicts.json")
    assert doc["lean_version"] == "4.19.0"
    for verdict in doc["exact_verdicts"]:
        assert verdict["method"] == "lean4" and verdict["lean"]["status"] == "accepted"
        carried = lean_bundle / "data" / verdict["lean"]["file"]
        assert hashlib.sha256(carried.read_bytes()).hexdigest() == verdict["lean"]["file_sha256"]
    crate = load_json_file(lean_bundle / "data" / "ro-crate-metadata.json")
    assert any(e.get("@id") == "#run-lean" for e in crate["@graph"])


def test_verify_re_checks_every_theorem(env: Env, lean_bundle: Path) -> None:
    runner = Replay()
    report = verify_bundle(lean_bundle, env.trust, lean_mode="require", lean=LeanTools(TOOLCHAIN, runner))
    assert report.ok, report.failures
    lean_ok = [f for f in report.findings if f.id.startswith("lean.c") and f.status == "ok"]
    assert {f.id for f in lean_ok} == {"lean.c2", "lean.c3", "lean.c4", "lean.c5"}
    assert runner.files  # Lean was really asked


def test_verify_fails_when_lean_now_rejects_a_theorem(env: Env, lean_bundle: Path) -> None:
    theorems = load_json_file(lean_bundle / "data" / "lean" / "claims-map.json")["theorems"]
    c3 = next(name for name, entry in theorems.items() if entry["claim_id"] == "c3")
    report = verify_bundle(lean_bundle, env.trust, lean_mode="auto", lean=LeanTools(TOOLCHAIN, Replay(reject=c3)))
    assert [f.id for f in report.failures] == ["lean.c3"]


def test_without_lean_the_project_is_still_checked_against_its_map(env: Env, lean_bundle: Path) -> None:
    report = verify_bundle(lean_bundle, env.trust, lean_mode="off")
    assert report.ok
    statuses = {f.id: f.status for f in report.findings}
    assert statuses["lean.project"] == "ok" and statuses["lean.check"] == "skip"
