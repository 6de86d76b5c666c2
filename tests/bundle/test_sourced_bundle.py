"""A bundle whose checks cite carried sources: build grounds them, `verify` re-grounds every input from the
carried bytes, tampering is caught and named, a hostile source is judged cleanly (issue 16 item 4)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from bundle_env import EPOCH, EXAMPLES, Env
from test_bundle import rebag

from provenance.bundle.report import load_report_data, render_html, render_markdown
from provenance.bundle.verify import verify_bundle
from provenance.jsonio import load_json_file, write_json

PROVENANCE = [sys.executable, "-m", "provenance"]
SOURCES = EXAMPLES / "sources"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "COLUMNS": "250"}
    return subprocess.run([*PROVENANCE, *args], capture_output=True, text=True, env=env, timeout=300, check=False, cwd=cwd)


def _record(env: Env, work: Path, claims: list[dict[str, Any]]) -> Path:
    """A paper manifest stating these claims (their ids and texts)."""
    manifest = load_json_file(env.manifest)
    manifest["claims"] = [{"id": c["id"], "text": c["text"]} for c in claims]
    path = work / "manifest.json"
    write_json(path, manifest)
    return path


def _build(env: Env, work: Path, claims_file: Path, *include: str) -> Path:
    claims = load_json_file(claims_file)["claims"]
    manifest = _record(env, work, claims)
    out = work / "bundle"
    args = ["bundle", "build", str(manifest), "--claims", str(claims_file), "--key", str(env.attestor_path),
            "--trust", str(env.trust_path), "--lean", "off", "-o", str(out), "--zip"]
    for path in include:
        args += ["--include", path]
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="module")
def sourced(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped example bundled as a user would: the claims file and the sources directory beside it."""
    work = tmp_path_factory.mktemp("sourced")
    shutil.copytree(SOURCES, work / "sources")
    shutil.copy(EXAMPLES / "sourced-claims.json", work / "sourced-claims.json")
    return _build(env, work, work / "sourced-claims.json", str(work / "sources"))


def _verdicts(bundle: Path) -> dict[str, dict[str, Any]]:
    return {v["claim_id"]: v for v in load_json_file(bundle / "data" / "verdicts.json")["exact_verdicts"]}


def _findings(report: Any) -> dict[str, tuple[str, str]]:
    return {f.id: (f.status, f.message) for f in report.findings}


def test_the_build_grounds_the_sources_it_carries(sourced: Path) -> None:
    assert (sourced / "data" / "artifacts" / "sources" / "results.pdf").read_bytes() == (SOURCES / "results.pdf").read_bytes()
    verdicts = _verdicts(sourced)
    assert {cid: v["scope"] for cid, v in verdicts.items()} == {"s1": "sourced", "s2": "sourced", "s3": "arithmetic", "s4": "sourced"}
    assert [(g["input"], g["status"]) for g in verdicts["s3"]["grounding"] if g["status"] != "found"] == [("mnli", "not found")]
    assert verdicts["s4"]["restatement"]["finding"].startswith("the check does not restate the claim")


@pytest.mark.parametrize("form", ["directory", "zip"])
def test_verify_re_grounds_every_input_from_the_carried_files(env: Env, sourced: Path, form: str) -> None:
    target = sourced if form == "directory" else sourced.with_name("bundle.zip")
    proc = run("verify", str(target), "--trust", str(env.trust_path), "--lean", "off", "--json")
    assert proc.returncode == 0, proc.stdout[-3000:]
    report = json.loads(proc.stdout)
    found = {f["id"]: f for f in report["findings"]}
    for cid, inputs in (("s1", 3), ("s2", 2), ("s4", 3)):
        assert found[f"claim.{cid}.grounding"]["status"] == "ok", found[f"claim.{cid}.grounding"]
        assert found[f"claim.{cid}.grounding"]["message"].startswith(f"{inputs} input(s) re-grounded from the carried files")
    s3 = found["claim.s3.grounding"]
    assert s3["status"] == "skip" and s3["message"].startswith("warning: inputs not grounded in their sources: mnli not found")
    assert found["claim.s4.restatement"]["status"] == "skip"
    assert "the check does not restate the claim" in found["claim.s4.restatement"]["message"]
    assert report["grounding"] == {"not_grounded": {"s3": ["mnli"]}, "not_restated": ["s4"]}
    assert (report["claims_summary"]["not_grounded"], report["claims_summary"]["not_restated"]) == (1, 1)


def test_the_checklist_shows_both_warnings_to_people(env: Env, sourced: Path) -> None:
    proc = run("verify", str(sourced), "--trust", str(env.trust_path), "--lean", "off")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "claim.s3.grounding" in proc.stdout and "inputs not grounded in their sources: mnli not found" in proc.stdout
    assert "claim.s4.restatement" in proc.stdout and "does not restate the claim" in proc.stdout
    facts = [line.strip() for line in proc.stdout.splitlines() if line.strip().startswith("claims:")]
    assert len(facts) == 2 and all(line.endswith("inputs not found in their sources: s3 (mnli); 1 check does not "
                                                 "restate its claim (s4)") for line in facts), facts


def _resigned(env: Env, sourced: Path, tmp_path: Path, change: Any) -> Path:
    """The bundle with verdicts.json changed by ``change(doc)``, re-hashed and re-signed by the attestor key
    (what a dishonest holder of the key can do): only the re-grounding can tell."""
    work = tmp_path / "copy"
    shutil.copytree(sourced, work)
    doc = load_json_file(work / "data" / "verdicts.json")
    change(doc)
    (work / "data" / "verdicts.json").unlink()
    write_json(work / "data" / "verdicts.json", doc)
    rebag(work, tmp_path / "resigned", env.attestor)
    return tmp_path / "resigned"


def _edit_record(doc: dict[str, Any], cid: str, name: str, **fields: Any) -> None:
    for key in ("verdicts", "exact_verdicts"):
        for verdict in doc[key]:
            if verdict["claim_id"] == cid:
                for record in verdict["grounding"]:
                    if record["input"] == name:
                        record.update(fields)


def test_a_recorded_span_that_is_not_in_the_carried_file_fails(env: Env, sourced: Path, tmp_path: Path) -> None:
    forged = "SQuAD,8.2 (forged)"
    bundle = _resigned(env, sourced, tmp_path, lambda doc: _edit_record(
        doc, "s1", "squad", span=forged, span_sha256=hashlib.sha256(forged.encode()).hexdigest()))
    report = verify_bundle(bundle, env.trust, lean_mode="off")
    status, message = _findings(report)["claim.s1.grounding"]
    assert status == "fail" and "input squad: recorded found, re-grounded from the carried sources/results.csv: found" in message
    assert "span, span_sha256 differ" in message


def test_a_not_found_input_recorded_as_found_fails(env: Env, sourced: Path, tmp_path: Path) -> None:
    report = verify_bundle(_resigned(env, sourced, tmp_path, lambda doc: _edit_record(
        doc, "s3", "mnli", status="found", reason="7.6 found")), env.trust, lean_mode="off")
    status, message = _findings(report)["claim.s3.grounding"]
    assert status == "fail" and "input mnli: recorded found, re-grounded from the carried sources/results.csv: not found" in message
    assert [f.id for f in report.failures if f.id.startswith("claim.")] == ["claim.s3.grounding"]


def test_a_hidden_restatement_finding_fails(env: Env, sourced: Path, tmp_path: Path) -> None:
    def hide(doc: dict[str, Any]) -> None:
        for key in ("verdicts", "exact_verdicts"):
            for verdict in doc[key]:
                if verdict["claim_id"] == "s4":
                    verdict["restatement"] = {**verdict["restatement"], "restates": True, "expected_stated": True, "finding": None}
    found = _findings(verify_bundle(_resigned(env, sourced, tmp_path, hide), env.trust, lean_mode="off"))
    assert found["claim.s4.restatement"][0] == "fail"


def test_a_tampered_carried_source_is_caught_and_named(env: Env, sourced: Path, tmp_path: Path) -> None:
    work = tmp_path / "tampered"
    shutil.copytree(sourced, work)
    csv = work / "data" / "artifacts" / "sources" / "results.csv"
    csv.write_bytes(csv.read_bytes().replace(b"8.2", b"8.3"))
    failed = {(f.id, f.file): f.message for f in verify_bundle(work, env.trust, lean_mode="off").failures}
    assert any(file == "data/artifacts/sources/results.csv" and fid.startswith("bag.") for fid, file in failed)
    message = failed[("claim.s1.grounding", "data/artifacts/sources/results.csv")]
    assert "input squad: recorded found, re-grounded from the carried sources/results.csv: not found" in message
    assert "the check cites" in message
    # re-hashed and re-signed with the attestor key, the bag is whole again, and the grounding still tells
    rebag(work, tmp_path / "resigned", env.attestor)
    report = verify_bundle(tmp_path / "resigned", env.trust, lean_mode="off")
    assert {f.id for f in report.failures} >= {"claim.s1.grounding", "claim.s1", "claim.s3.grounding"}
    assert not any(f.id.startswith("bag.") for f in report.failures)


def test_a_hostile_source_inside_a_bundle_is_judged_cleanly(env: Env, tmp_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
    from sources_env import deflate_bomb, pdf_of_streams

    hostile = tmp_path / "hostile"
    hostile.mkdir()
    bomb = pdf_of_streams([deflate_bomb(256 << 20)])
    (hostile / "bomb.pdf").write_bytes(bomb)
    (hostile / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    (hostile / "table.csv").write_bytes(b'a,b\n"unterminated,8.2\n')

    def cite(file: str, locator: Any) -> dict[str, Any]:
        return {"value": "8.2", "source": {"file": file, "sha256": hashlib.sha256((tmp_path / file).read_bytes()).hexdigest()
                                           if (tmp_path / file).is_file() else "0" * 64, "locator": locator}}

    claims = {"claims": [{"id": "h1", "text": "The gain is 8.2.", "check": {
        "formula": "a + b + c + d - 3 * e", "expected": "8.2", "precision": 1, "inputs": {
            "a": cite("hostile/bomb.pdf", {"page": 1, "quote": "8.2"}),
            "b": cite("hostile/garbage.pdf", {"page": 1, "quote": "8.2"}),
            "c": cite("hostile/table.csv", {"row": 1, "column": 2}),
            "d": cite("../manifest.json", {"line": 1}),
            "e": cite("hostile/bomb.pdf", {"page": 99, "quote": "8.2"}),
        }}}]}
    claims_file = tmp_path / "claims.json"
    write_json(claims_file, claims)
    started = time.monotonic()
    bundle = _build(env, tmp_path, claims_file, str(hostile))
    verdict = _verdicts(bundle)["h1"]
    assert verdict["status"] == "verified" and verdict["scope"] == "arithmetic"
    assert all(g["status"] == "not found" for g in verdict["grounding"])
    reasons = {g["input"]: g["reason"] for g in verdict["grounding"]}
    assert "unreadable" in reasons["a"] and "unreadable" in reasons["b"] and "unreadable" in reasons["c"]
    assert "not among the sources" in reasons["d"]
    report = verify_bundle(bundle, env.trust, lean_mode="off")
    assert report.ok, report.failures
    assert _findings(report)["claim.h1.grounding"][0] == "skip"
    assert time.monotonic() - started < 120


def test_the_report_shows_grounding_and_the_restatement_badge(env: Env, sourced: Path) -> None:
    data = load_report_data(sourced, env.trust)
    page = render_html(data)
    assert "Claims and their sources:</strong> 4 verified, of which 1 do not restate their claim (s4)" in page
    assert "3 with every input found in its source; inputs not found in their sources: s3 (mnli)" in page
    assert page.count('<span class="badge tone-warn">does not restate its claim</span>') == 1
    assert page.count('<span class="badge tone-good">found</span>') == 9
    assert page.count('<span class="badge tone-warn">not found</span>') == 1
    assert "HellaSwag 7.0" in page  # a span extracted from the carried PDF
    md = render_markdown(data)
    assert "**does not restate its claim**" in md and "source of mnli: **not found**" in md

