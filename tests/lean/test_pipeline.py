"""The Lean step without a toolchain: modes, tamper detection, verdict policy, the CLI's exit codes."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from provenance.claims.engine import check_claims
from provenance.claims.model import load_claims
from provenance.errors import InputError, ToolMissing
from provenance.jsonio import load_json_file
from provenance.lean.emit import emit_project
from provenance.lean.messages import RunFacts
from provenance.lean.pipeline import apply_lean, check_project, load_project
from provenance.lean.runner import (
    NO_LEAN,
    LeanRequest,
    Toolchain,
    bubblewrap_sandbox,
    find_lean,
    sandbox_request,
)

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests" / "lean" / "golden" / "seed-claims.json"
NOW = datetime(2026, 1, 1, tzinfo=UTC)



def _claims_and_verdicts() -> tuple[list, list]:  # type: ignore[type-arg]
    claims = load_claims(load_json_file(SEED))
    return claims, check_claims(claims, now=NOW)


def _project(tmp_path: Path) -> Path:
    claims, verdicts = _claims_and_verdicts()
    out = tmp_path / "proj"
    emit_project(claims, verdicts, out)
    return out


def test_off_leaves_verdicts_unchanged() -> None:
    claims, verdicts = _claims_and_verdicts()
    assert apply_lean(claims, verdicts, "off") == verdicts


def test_auto_without_lean_records_not_run_and_keeps_status(no_lean_path: Path) -> None:
    claims, verdicts = _claims_and_verdicts()
    out = apply_lean(claims, verdicts, "auto")
    assert [v.status for v in out] == [v.status for v in verdicts]
    assert all(v.lean == {"status": "not_run", "reason": NO_LEAN} for v in out)
    assert all(v.method == "exact" for v in out)


def test_require_without_lean_raises_tool_missing(no_lean_path: Path) -> None:
    claims, verdicts = _claims_and_verdicts()
    with pytest.raises(ToolMissing) as info:
        apply_lean(claims, verdicts, "require")
    assert info.value.exit_code == 3 and "elan" in str(info.value)


def test_unknown_mode_is_bad_input() -> None:
    claims, verdicts = _claims_and_verdicts()
    with pytest.raises(InputError):
        apply_lean(claims, verdicts, "sometimes")


def test_find_lean_is_none_without_lean(no_lean_path: Path) -> None:
    assert find_lean() is None


def test_load_project_accepts_emitted(tmp_path: Path) -> None:
    project = load_project(_project(tmp_path))
    assert [t.claim_id for t in project.theorems] == ["c1", "c2", "c3", "c4", "c5"]
    assert [s.claim_id for s in project.skipped] == ["c6"]


def _rehash(project: Path, rel: str) -> None:
    doc = json.loads((project / "claims-map.json").read_text())
    doc["files"][rel]["sha256"] = hashlib.sha256((project / rel).read_bytes()).hexdigest()
    (project / "claims-map.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


@pytest.mark.parametrize(
    "tamper",
    [
        "edit_file",
        "edit_file_and_rehash",
        "inject_eval_and_rehash",
        "swap_expected",
        "change_check",
        "drop_file",
        "rename_theorem",
        "lakefile_runs_code",
        "toolchain_option",
        "root_imports_more",
    ],
)
def test_tampered_projects_are_refused(tmp_path: Path, tamper: str) -> None:
    project = _project(tmp_path)
    rel = "Claims/C0001.lean"
    path = project / rel
    doc = json.loads((project / "claims-map.json").read_text())
    first = next(iter(doc["theorems"]))
    if tamper == "edit_file":
        path.write_text(path.read_text().replace("757", "758"))
    elif tamper == "edit_file_and_rehash":
        path.write_text(path.read_text().replace("757", "758"))
        _rehash(project, rel)
    elif tamper == "inject_eval_and_rehash":
        path.write_text("#eval IO.println 1\n" + path.read_text())
        _rehash(project, rel)
    elif tamper == "swap_expected":
        doc["theorems"][first]["expected"] = "falsified"
        (project / "claims-map.json").write_text(json.dumps(doc))
    elif tamper == "change_check":
        doc["theorems"][first]["check"]["expected"] = "7.58"
        (project / "claims-map.json").write_text(json.dumps(doc))
    elif tamper == "drop_file":
        path.unlink()
    elif tamper == "lakefile_runs_code":
        with open(project / "lakefile.lean", "a") as handle:
            handle.write('\n#eval IO.Process.run { cmd := "sh", args := #["-c", "id"] }\n')
    elif tamper == "toolchain_option":
        (project / "lean-toolchain").write_text("leanprover/lean4:v4.19.0 -D debug.skipKernelTC=true\n")
    elif tamper == "root_imports_more":
        with open(project / "Claims.lean", "a") as handle:
            handle.write("import Claims.C0002\n")
    elif tamper == "rename_theorem":
        doc["theorems"]["claim_0000000000000000"] = doc["theorems"].pop(first)
        (project / "claims-map.json").write_text(json.dumps(doc))
    with pytest.raises(InputError):
        load_project(project)


class SampleReplay:
    """Replays lean --json message samples written from the documented format (never a stand-in lean).

    Used only to test how verdicts are derived from judged results.
    """

    def __init__(self, falsify: str | None) -> None:
        self.falsify = falsify

    def run(self, request: LeanRequest) -> RunFacts:
        doc = json.loads((request.project / "claims-map.json").read_text())
        lines = []
        for name, entry in doc["theorems"].items():
            if entry["file"] != request.file:
                continue
            if name == self.falsify:
                lines.append(json.dumps({"severity": "error", "pos": {"line": entry["lines"][1], "column": 2},
                                         "fileName": request.file, "data": "tactic 'decide' proved that the proposition\n  p\nis false"}))
                lines.append(json.dumps({"severity": "information", "pos": {"line": entry["axioms_line"], "column": 0},
                                         "fileName": request.file, "data": f"'{name}' depends on axioms: [sorryAx]"}))
            else:
                lines.append(json.dumps({"severity": "information", "pos": {"line": entry["axioms_line"], "column": 0},
                                         "fileName": request.file, "data": f"'{name}' does not depend on any axioms"}))
        return RunFacts(1 if self.falsify else 0, "\n".join(lines) + "\n", "", False)


SAMPLE_TOOLCHAIN = Toolchain(Path("/nonexistent/bin/lean"), Path("/nonexistent"), "4.19.0", "Lean (version 4.19.0, sample)")


def test_verdict_policy_accepted_and_rejected(tmp_path: Path) -> None:
    claims, verdicts = _claims_and_verdicts()
    project = _project(tmp_path)
    c2_theorem = next(n for n, e in json.loads((project / "claims-map.json").read_text())["theorems"].items() if e["claim_id"] == "c2")
    out = apply_lean(claims, verdicts, "auto", runner=SampleReplay(c2_theorem), toolchain=SAMPLE_TOOLCHAIN)
    by_id = {v.claim_id: v for v in out}
    c1 = by_id["c1"]
    assert c1.status == "verified" and c1.method == "lean4" and c1.lean is not None
    assert c1.lean["status"] == "accepted" and c1.lean["lean_version"] == "4.19.0" and c1.lean["axioms"] == []
    assert any(a.role == "lean" and a.sha256 == c1.lean["file_sha256"] for a in c1.artifacts)
    assert by_id["c3"].status == "falsified" and by_id["c3"].method == "lean4"  # Lean proved the negation
    c2 = by_id["c2"]
    assert c2.status == "error" and c2.lean is not None and c2.lean["status"] == "rejected"
    assert "found the statement false" in c2.reason
    c6 = by_id["c6"]
    assert c6.status == "error" and c6.method == "exact" and c6.lean is not None and c6.lean["status"] == "not_run"


def test_timeout_is_not_run_in_auto_and_rejected_in_require(tmp_path: Path) -> None:
    class Slow:
        def run(self, request: LeanRequest) -> RunFacts:
            return RunFacts(None, "", "", True)

    claims, verdicts = _claims_and_verdicts()
    auto = {v.claim_id: v for v in apply_lean(claims, verdicts, "auto", runner=Slow(), toolchain=SAMPLE_TOOLCHAIN)}
    assert auto["c1"].status == "verified" and auto["c1"].lean is not None and auto["c1"].lean["status"] == "not_run"
    req = {v.claim_id: v for v in apply_lean(claims, verdicts, "require", runner=Slow(), toolchain=SAMPLE_TOOLCHAIN)}
    assert req["c1"].status == "error" and req["c1"].lean is not None and req["c1"].lean["status"] == "rejected"


def test_check_project_runs_every_file_in_parallel(tmp_path: Path) -> None:
    doc = {"claims": [
        {"id": f"k{i}", "text": "", "check": {"formula": "a + b", "inputs": {"a": str(i), "b": "1"}, "expected": str(i + 1), "precision": 0}}
        for i in range(250)
    ]}
    claims = load_claims(doc)
    out = tmp_path / "many"
    result = emit_project(claims, check_claims(claims, now=NOW), out)
    assert sorted({t.file for t in result.theorems}) == ["Claims/C0001.lean", "Claims/C0002.lean", "Claims/C0003.lean"]
    done: list[str] = []
    checked = check_project(out, toolchain=SAMPLE_TOOLCHAIN, runner=SampleReplay(None), jobs=3, on_file_done=done.append)
    assert len(checked.checks) == 250 and checked.all_accepted
    assert sorted(done) == ["Claims/C0001.lean", "Claims/C0002.lean", "Claims/C0003.lean"]
    assert [c.theorem.claim_id for c in checked.checks] == [f"k{i}" for i in range(250)]  # map order kept


def test_emit_refuses_to_overwrite_foreign_directory(tmp_path: Path) -> None:
    claims, verdicts = _claims_and_verdicts()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    with pytest.raises(InputError):
        emit_project(claims, verdicts, foreign)
    assert (foreign / "thesis.tex").read_text() == "keep me"
    project = _project(tmp_path)
    emit_project(claims, verdicts, project)  # an earlier emitted project is replaced
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, check=False)


def _env_without_lean(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "nolean"
    bin_dir.mkdir(exist_ok=True)
    return {**os.environ, "PATH": str(bin_dir)}


def test_cli_check_exit_3_without_lean(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = _cli("lean", "check", str(project), env=_env_without_lean(tmp_path))
    assert result.returncode == 3
    assert "lean not found on PATH" in result.stderr and "elan" in result.stderr
    assert result.stderr.count("elan") == 2 and result.stderr.count("install") == 1  # the hint once (and its URL)
    assert result.stderr.count("\n") == 1


def test_require_without_lean_names_the_install_hint_once(tmp_path: Path) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps(load_json_file(SEED)), encoding="utf-8")
    result = _cli("claims", "check", str(claims), "--lean", "require", env=_env_without_lean(tmp_path))
    assert result.returncode == 3 and "(--lean require)" in result.stderr
    assert result.stderr.count("install") == 1


def test_cli_check_exit_2_on_bad_input(tmp_path: Path) -> None:
    result = _cli("lean", "check", str(tmp_path / "missing"), env=_env_without_lean(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error: ")
    project = _project(tmp_path)
    (project / "Claims" / "C0001.lean").write_text("axiom cheat : False\n")
    result = _cli("lean", "check", str(project), env=_env_without_lean(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_cli_emit_bad_input_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\"claims\": 3}")
    result = _cli("lean", "emit", str(bad), "-o", str(tmp_path / "o"))
    assert result.returncode == 2 and not (tmp_path / "o").exists()


def test_cli_read_reports_every_statement_true(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = _cli("lean", "read", str(project), "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)["theorems"]
    assert [r["claim_id"] for r in rows] == ["c1", "c2", "c3", "c4", "c5"] and all(r["reads_true"] for r in rows)


def test_cli_claims_check_lean_modes_without_lean(tmp_path: Path) -> None:
    env = _env_without_lean(tmp_path)
    auto = _cli("claims", "check", str(SEED), "--json", "--lean", "auto", env=env)
    verdicts = json.loads(auto.stdout)
    assert all(v["lean"]["status"] == "not_run" and v["lean"]["reason"] == NO_LEAN for v in verdicts)
    require = _cli("claims", "check", str(SEED), "--lean", "require", env=env)
    assert require.returncode == 3 and "elan" in require.stderr


@pytest.mark.bwrap
def test_lean_sandbox_request_mounts(tmp_path: Path) -> None:
    if shutil.which("bwrap") is None:
        pytest.skip("bwrap not on PATH")
    sandbox = bubblewrap_sandbox()
    if sandbox is None:
        pytest.skip("bubblewrap cannot create namespaces here")
    project = _project(tmp_path)
    prefix = tmp_path / "toolchain"
    (prefix / "bin").mkdir(parents=True)
    (prefix / "bin" / "marker").write_text("toolchain")
    toolchain = Toolchain(prefix / "bin" / "lean", prefix, "0", "layout only")
    request = sandbox_request(toolchain, LeanRequest(project, "Claims/C0001.lean", 30))
    assert request.argv[1:] == ("--json", "Claims/C0001.lean") and request.cwd == "/work"
    script = (
        f"cat {prefix.resolve()}/bin/marker; echo; head -c 7 Claims/C0001.lean; echo; "
        "touch /work/x 2>/dev/null && echo writable || echo readonly; "
        "ls /home 2>/dev/null | wc -l; cat /proc/net/dev | grep -c ':'"
    )
    result = sandbox.run(dataclasses.replace(request, argv=("/bin/sh", "-c", script)))
    lines = result.stdout.decode().split()
    assert lines[:3] == ["toolchain", "theorem", "readonly"]
    assert lines[-1] == "1"  # only the private loopback


def test_inconclusive_scope_still_gets_its_arithmetic_proved(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("a,b\n1,3\n")
    doc = {"claims": [{"id": "s1", "text": "", "check": {
        "formula": "a + b",
        "inputs": {"a": {"value": "1", "source": {"file": "data.csv", "sha256": "0" * 64, "locator": "row 1"}}, "b": "3"},
        "expected": "4", "precision": 0}}]}
    claims = load_claims(doc)
    verdicts = check_claims(claims, now=NOW, base_dir=tmp_path)
    assert verdicts[0].status == "inconclusive"
    kept = tmp_path / "kept"
    (out,) = apply_lean(claims, verdicts, "auto", runner=SampleReplay(None), toolchain=SAMPLE_TOOLCHAIN, project_dir=kept)
    assert out.status == "inconclusive" and out.method == "exact"
    assert out.lean is not None and out.lean["status"] == "accepted" and "scope is not" in out.lean["reason"]
    cited = kept / out.lean["file"].removeprefix("lean/")
    assert hashlib.sha256(cited.read_bytes()).hexdigest() == out.lean["file_sha256"]


class PoisonReplay:
    """Replays message samples for a file, except that any batch holding ``poison`` times out."""

    def __init__(self, poison: str) -> None:
        self.poison = poison
        self.runs = 0

    def run(self, request: LeanRequest) -> RunFacts:
        from provenance.lean.grammar import check_claim_file

        self.runs += 1
        text = (request.project / request.file).read_text()
        theorems = check_claim_file(text)
        if any(t.name == self.poison for t in theorems):
            return RunFacts(None, "", "", True)
        first_axioms = theorems[-1].end + 2
        lines = [json.dumps({"severity": "information", "pos": {"line": first_axioms + i, "column": 0},
                             "fileName": request.file, "data": f"'{t.name}' does not depend on any axioms"})
                 for i, t in enumerate(theorems)]
        return RunFacts(0, "\n".join(lines) + "\n", "", False)


def test_timed_out_batch_is_bisected_down_to_the_slow_theorem(tmp_path: Path) -> None:
    doc = {"claims": [
        {"id": f"k{i}", "text": "", "check": {"formula": "a + b", "inputs": {"a": str(i), "b": "1"}, "expected": str(i + 1), "precision": 0}}
        for i in range(40)
    ]}
    claims = load_claims(doc)
    out = tmp_path / "p"
    emit_project(claims, check_claims(claims, now=NOW), out)
    names = list(json.loads((out / "claims-map.json").read_text())["theorems"])
    runner = PoisonReplay(names[17])
    result = check_project(out, toolchain=SAMPLE_TOOLCHAIN, runner=runner, timeout=5)
    by_name = {c.theorem.name: c.result for c in result.checks}
    assert by_name[names[17]].outcome == "unchecked" and not by_name[names[17]].accepted
    others = [r for n, r in by_name.items() if n != names[17]]
    assert len(others) == 39 and all(r.accepted and "after its file timed out" in r.reason for r in others)
    assert runner.runs <= 1 + 2 * 7  # one batch, then at most two runs per halving level


def test_lean_verdicts_validate_against_verdict_schema(tmp_path: Path, no_lean_path: Path) -> None:
    from provenance.schemas import validate

    claims, verdicts = _claims_and_verdicts()
    project = _project(tmp_path)
    c2 = next(n for n, e in json.loads((project / "claims-map.json").read_text())["theorems"].items() if e["claim_id"] == "c2")
    produced = apply_lean(claims, verdicts, "auto", runner=SampleReplay(c2), toolchain=SAMPLE_TOOLCHAIN)
    produced += apply_lean(claims, verdicts, "auto")  # no lean on PATH: not_run
    for verdict in produced:
        assert validate(verdict.to_json(), "verdict-v1") == [], verdict.claim_id


def test_verdict_on_other_inputs_gets_no_theorem() -> None:
    from provenance.lean.emit import items_from

    claims, verdicts = _claims_and_verdicts()
    changed = [dataclasses.replace(verdicts[0], inputs={"squad": "9.9", "mnli": "7.5", "hellaswag": "7.0"}), *verdicts[1:]]
    items, skipped = items_from(claims, changed)
    assert "c1" not in {i.claim_id for i in items}
    assert any(s.claim_id == "c1" and "other input values" in s.reason for s in skipped)


@pytest.mark.parametrize("special", ["fifo", "device"])
def test_a_claim_file_that_is_a_fifo_or_device_is_refused_at_once(tmp_path: Path, special: str) -> None:
    """Issue 13 item 4: `lean check` read a FIFO claim file with read_bytes() (it waited forever; /dev/zero without end)."""
    project = _project(tmp_path)
    claim_file = project / "Claims" / "C0001.lean"
    claim_file.unlink()
    if special == "fifo":
        os.mkfifo(claim_file)
    else:
        claim_file.symlink_to("/dev/zero")
    result = subprocess.run([sys.executable, "-m", "provenance", "lean", "check", str(project)], capture_output=True,
                            text=True, cwd=REPO, env=_env_without_lean(tmp_path), timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "not a regular file" in result.stderr and "C0001.lean" in result.stderr
