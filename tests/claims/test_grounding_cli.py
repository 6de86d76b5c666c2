"""`claims check` and `claims suggest --sources` on sourced claims, as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=180, check=False, env=env)


def _examples(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples" / "sources", tmp_path / "sources")
    shutil.copy(REPO / "examples" / "sourced-claims.json", tmp_path / "sourced-claims.json")
    return tmp_path


def test_claims_check_shows_the_input_not_in_its_source_and_the_check_that_does_not_restate(tmp_path: Path) -> None:
    work = _examples(tmp_path)
    proc = run("claims", "check", "sourced-claims.json", "--lean", "off", cwd=work)
    assert proc.returncode == 0, proc.stderr  # every status is verified: the findings do not change statuses
    out = proc.stdout
    assert "s3" in out and "exact/arithmetic" in out
    assert "inputs not grounded in their sources: mnli not found: 7.6 is not written at row 'MNLI', column 'gain'" in out
    assert "the check does not restate the claim: its expected 7.57 is not stated in the claim text" in out
    summary = out.strip().splitlines()[-1]
    assert summary == ("4 verified; 3 with every input found in its source; inputs not found in their sources: s3 (mnli); "
                       "1 check does not restate its claim: s4")


def test_claims_check_json_carries_grounding_and_restatement(tmp_path: Path) -> None:
    work = _examples(tmp_path)
    proc = run("claims", "check", "sourced-claims.json", "--lean", "off", "--json", cwd=work)
    assert proc.returncode == 0, proc.stderr
    verdicts = {v["claim_id"]: v for v in json.loads(proc.stdout)}
    assert {cid: v["scope"] for cid, v in verdicts.items()} == {"s1": "sourced", "s2": "sourced", "s3": "arithmetic", "s4": "sourced"}
    assert {(g["input"], g["status"]) for g in verdicts["s3"]["grounding"]} == {("squad", "found"), ("mnli", "not found")}
    assert [cid for cid, v in verdicts.items() if v["restatement"]["finding"]] == ["s4"]
    pdf = next(g for g in verdicts["s1"]["grounding"] if g["file"].endswith(".pdf"))
    assert pdf["extractor"].startswith("pypdf ") and pdf["resolved"]["page"] == 2


def test_a_tampered_source_is_caught_by_claims_check(tmp_path: Path) -> None:
    work = _examples(tmp_path)
    csv = work / "sources" / "results.csv"
    csv.write_bytes(csv.read_bytes().replace(b"8.2", b"8.3"))
    proc = run("claims", "check", "sourced-claims.json", "--lean", "off", "--json", cwd=work)
    assert proc.returncode == 1  # a cited digest that is not the file's makes a verified claim inconclusive
    verdicts = {v["claim_id"]: v for v in json.loads(proc.stdout)}
    assert verdicts["s1"]["status"] == "inconclusive" and "source digest mismatch for squad (sources/results.csv" in verdicts["s1"]["reason"]


def test_claims_suggest_with_sources_cites_a_unique_place_and_stays_unconfirmed(tmp_path: Path) -> None:
    work = _examples(tmp_path)
    (work / "claims.json").write_text(json.dumps({"claims": [
        {"id": "u1", "text": "Gains of 8.2, 7.5 and 7.0 points, 7.57 on average."},
    ]}), encoding="utf-8")
    proc = run("claims", "suggest", "claims.json", "--sources", "sources/results.csv", "--json", cwd=work)
    assert proc.returncode == 0, proc.stderr
    suggestion = json.loads(proc.stdout)["suggestions"][0]
    assert suggestion["confirmed"] is False
    squad = suggestion["check"]["inputs"]["x1"]
    assert squad["value"] == "8.2" and squad["source"]["file"] == "sources/results.csv"
    assert squad["source"]["locator"] == {"row": "SQuAD", "column": "gain"}
    assert any("source located automatically" in note for note in suggestion["notes"])
    # every source after --sources counts; a value at several places is left for a person to pick
    proc = run("claims", "suggest", "claims.json", "--sources", "sources/results.csv", "sources/results.md", "--json", cwd=work)
    suggestion = json.loads(proc.stdout)["suggestions"][0]
    assert suggestion["check"]["inputs"]["x1"] == "8.2"
    assert any("x1 = 8.2: stands at 2 places" in note for note in suggestion["notes"])
    # and the suggested check, once a person adds it, grounds
    claims = {"claims": [{"id": "u1", "text": "Gains of 8.2, 7.5 and 7.0 points, 7.57 on average.",
                          "check": json.loads(run("claims", "suggest", "claims.json", "--sources", "sources/results.csv",
                                                  "--json", cwd=work).stdout)["suggestions"][0]["check"]}]}
    (work / "confirmed.json").write_text(json.dumps(claims), encoding="utf-8")
    proc = run("claims", "check", "confirmed.json", "--lean", "off", "--json", cwd=work)
    assert json.loads(proc.stdout)[0]["scope"] == "sourced"


def test_claims_suggest_with_an_unreadable_source_is_bad_input(tmp_path: Path) -> None:
    work = _examples(tmp_path)
    (work / "claims.json").write_text(json.dumps({"claims": [{"id": "u1", "text": "8.2 and 7.5, 7.85 on average."}]}))
    (work / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    proc = run("claims", "suggest", "claims.json", "--sources", "broken.pdf", cwd=work)
    assert proc.returncode == 2 and "broken.pdf" in proc.stderr and "Traceback" not in proc.stderr
