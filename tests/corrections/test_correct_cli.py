"""The `provenance correct` commands as users run them: real subprocesses, real files and keys."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from correction_env import Env

from provenance.corrections.store import checkpoint_path

PROVENANCE = [sys.executable, "-m", "provenance"]


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROVENANCE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def append(env: Env, target: Path, *extra: str, ctype: str = "correction", key: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run("correct", "append", target, "--type", ctype, "--reason", "the mean used the wrong denominator",
               "--key", key or env.corrector_path, "--log-key", env.log_key_path, "--trust", env.trust_path, *extra)


def as_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def test_demo_flow_append_verify_show_prove(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "corrections.jsonl"
    first = append(env, log, "--claim", "c3", "--record-id", "SRCH:2A059E4E", "--origin", "example.org/srch",
                   "--before", "c3:expected=7.57", "--after", "c3:expected=7.60", "--json")
    assert first.returncode == 0, first.stderr
    doc = as_json(first)
    assert doc["seq"] == 0 and doc["created"] and doc["origin"] == "example.org/srch" and doc["roles_checked"]
    assert doc["record"]["claims"][0] == {"claim_id": "c3", "before": {"status": "CURRENT", "values": {"expected": "7.57"}},
                                          "after": {"status": "CORRECTED", "values": {"expected": "7.60"}}}
    second = append(env, log, "--claim", "c1", "--json", ctype="partial_retraction")
    assert second.returncode == 0, second.stderr
    assert as_json(second)["seq"] == 1

    verified = run("correct", "verify", log, "--trust", env.trust_path, "--json")
    assert verified.returncode == 0, verified.stderr
    report = as_json(verified)
    assert report["ok"] and report["size"] == 2 and report["checkpoint"]["signature_verified"]
    assert report["findings"] == []

    shown = as_json(run("correct", "show", log, "--trust", env.trust_path, "--json"))
    assert shown["status"] == "PARTIALLY_RETRACTED" and shown["verified"]
    assert shown["claims"] == {"c1": "RETRACTED", "c3": "CORRECTED"}
    assert [h["type"] for h in shown["history"]] == ["correction", "partial_retraction"]

    human = run("correct", "show", log, "--trust", env.trust_path)
    assert human.returncode == 0 and "PARTIALLY_RETRACTED" in human.stdout

    proof_file = tmp_path / "proof.json"
    assert run("correct", "prove", log, "0", "-o", proof_file).returncode == 0
    checked = run("correct", "verify-proof", proof_file, "--trust", env.trust_path, "--json")
    assert checked.returncode == 0, checked.stderr
    assert as_json(checked)["checkpoint_verified"] and as_json(checked)["entry_matched"]


def test_verify_fails_with_exit_1_on_a_tampered_log(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    for claim in ("c1", "c2", "c3"):
        assert append(env, log, "--claim", claim, "--record-id", "R1").returncode == 0
    lines = log.read_bytes().split(b"\n")
    lines[0], lines[1] = lines[1], lines[0]
    log.write_bytes(b"\n".join(lines))
    proc = run("correct", "verify", log, "--trust", env.trust_path, "--json")
    assert proc.returncode == 1
    codes = {f["code"] for f in as_json(proc)["findings"]}
    assert {"seq", "chain", "root-mismatch"} <= codes
    human = run("correct", "verify", log, "--trust", env.trust_path)
    assert human.returncode == 1 and "FAILED" in human.stdout


def test_verify_since_an_older_checkpoint(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    assert append(env, log, "--claim", "c1", "--record-id", "R1").returncode == 0
    old = tmp_path / "old.checkpoint"
    old.write_bytes(checkpoint_path(log).read_bytes())
    assert append(env, log, "--claim", "c2").returncode == 0
    assert run("correct", "verify", log, "--trust", env.trust_path, "--since", old).returncode == 0
    log.write_bytes(b"")  # truncated to nothing, and the checkpoint rolled back too
    checkpoint_path(log).unlink()
    proc = run("correct", "verify", log, "--trust", env.trust_path, "--since", old, "--json")
    assert proc.returncode == 1 and "truncated" in {f["code"] for f in as_json(proc)["findings"]}


def test_tampered_proof_fails_with_exit_1(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    for claim in ("c1", "c2", "c3"):
        assert append(env, log, "--claim", claim, "--record-id", "R1").returncode == 0
    proof = as_json(run("correct", "prove", log, "1", "--json"))
    proof["seq"] = 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(proof))
    proc = run("correct", "verify-proof", bad, "--trust", env.trust_path)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--claim", "c1"), "no record id"),
        (("--record-id", "R1", "--claim-status", "c1=FINE", "--claim", "c1"), "status must be one of"),
        (("--record-id", "R1", "--claim", "c1", "--before", "c9:expected=1"), "not named with --claim"),
        (("--record-id", "R1", "--claim", "c1", "--before", "oops"), "CLAIM:FIELD=VALUE"),
        (("--record-id", "R1", "--claim", "c1", "--supersedes", "4"), "--supersedes 4"),
        (("--record-id", "R1"), "a correction names what it corrects: give --claim ID"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(env: Env, tmp_path: Path, extra: tuple[str, ...], message: str) -> None:
    log = tmp_path / "c.jsonl"
    proc = append(env, log, *extra)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not log.exists() or log.read_bytes() == b""
    assert not checkpoint_path(log).exists()


def test_signer_without_corrector_role_is_refused(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    proc = append(env, log, "--record-id", "R1", "--claim", "c1", key=env.outsider_path)
    assert proc.returncode == 2 and "corrector role" in proc.stderr
    proc = run("correct", "append", log, "--type", "erratum", "--reason", "r", "--key", env.corrector_path,
               "--log-key", env.corrector_path, "--trust", env.trust_path, "--record-id", "R1", "--claim", "c1")
    assert proc.returncode == 2 and "log role" in proc.stderr


def test_manifest_supplies_record_id_doi_and_before_values(env: Env, tmp_path: Path) -> None:
    manifest = {"contract": "paper-manifest-v1.1", "record_id": "SRCH:2A059E4E", "doi": "10.5072/local.7",
                "claims": [{"id": "c3", "text": "The mean is 7.57.", "confidence": "0.27",
                            "check": {"formula": "mean", "inputs": {"a": "7"}, "expected": "7.57"}}]}
    mpath = tmp_path / "manifest.json"
    mpath.write_text(json.dumps(manifest))
    log = tmp_path / "c.jsonl"
    doc = as_json(append(env, log, "--manifest", str(mpath), "--claim", "c3", "--after", "c3:expected=7.60", "--json"))
    record = doc["record"]
    assert record["target"]["record_id"] == "SRCH:2A059E4E" and record["target"]["doi"] == "10.5072/local.7"
    assert record["claims"][0]["before"]["values"] == {"text": "The mean is 7.57.", "confidence": "0.27", "expected": "7.57"}
    assert doc["origin"] == "provenance-archive.dev/corrections/SRCH:2A059E4E"
    proc = append(env, log, "--manifest", str(mpath), "--claim", "c99")
    assert proc.returncode == 2 and "not in the manifest" in proc.stderr


def _bag(directory: Path, record_id: str, carried: tuple[bytes, bytes] | None = None) -> Path:
    directory.mkdir(parents=True)
    (directory / "data").mkdir()
    (directory / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (directory / "bag-info.txt").write_text(f"Bagging-Date: 2026-11-22\nExternal-Identifier: {record_id}\nPayload-Oxum: 0.0\n")
    (directory / "tagmanifest-sha256.txt").write_text("0" * 64 + "  bagit.txt\n")
    if carried is not None:
        (directory / "data" / "corrections").mkdir()
        (directory / "data" / "corrections" / "corrections.jsonl").write_bytes(carried[0])
        (directory / "data" / "corrections" / "corrections.jsonl.checkpoint").write_bytes(carried[1])
    return directory


def test_append_to_a_bundle_directory_writes_the_log_beside_it(env: Env, tmp_path: Path) -> None:
    bag = _bag(tmp_path / "bundle", "SRCH:2A059E4E")
    doc = as_json(append(env, bag, "--claim", "c3", "--json"))
    beside = tmp_path / "bundle.corrections.jsonl"
    assert doc["log"] == str(beside) and beside.exists() and checkpoint_path(beside).exists()
    expected_id = "sha256:" + hashlib.sha256((bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    assert doc["record"]["target"] == {"record_id": "SRCH:2A059E4E", "doi": None, "bundle_id": expected_id,
                                       "claims": ["c3"], "paths": []}
    assert run("correct", "verify", bag, "--trust", env.trust_path).returncode == 0
    assert as_json(run("correct", "show", bag, "--json"))["status"] == "CORRECTED"


def test_bundle_log_is_seeded_from_the_carried_log_and_zip_is_read_without_extracting(env: Env, tmp_path: Path) -> None:
    first = _bag(tmp_path / "v1", "SRCH:2A059E4E")
    assert append(env, first, "--claim", "c1").returncode == 0
    carried_log = (tmp_path / "v1.corrections.jsonl").read_bytes()
    carried_cp = checkpoint_path(tmp_path / "v1.corrections.jsonl").read_bytes()
    second = _bag(tmp_path / "build" / "v2", "SRCH:2A059E4E", (carried_log, carried_cp))
    zpath = tmp_path / "v2.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for path in sorted(second.rglob("*")):
            if path.is_file():
                zf.write(path, "v2/" + path.relative_to(second).as_posix())
    # The carried log verifies straight from the zip member.
    assert run("correct", "verify", zpath, "--trust", env.trust_path).returncode == 0
    doc = as_json(append(env, zpath, "--claim", "c2", "--json"))
    assert doc["seeded_from_bundle"] and doc["seq"] == 1 and doc["log"] == str(tmp_path / "v2.corrections.jsonl")
    assert not (tmp_path / "v2").exists()  # nothing was extracted
    shown = as_json(run("correct", "show", zpath, "--trust", env.trust_path, "--json"))
    assert shown["claims"] == {"c1": "CORRECTED", "c2": "CORRECTED"}


def test_bundle_log_that_rewrote_the_deposited_history_fails_verify(env: Env, tmp_path: Path) -> None:
    first = _bag(tmp_path / "v1", "SRCH:2A059E4E")
    assert append(env, first, "--claim", "c1").returncode == 0
    assert append(env, first, "--claim", "c2").returncode == 0
    log = tmp_path / "v1.corrections.jsonl"
    second = _bag(tmp_path / "v2", "SRCH:2A059E4E", (log.read_bytes(), checkpoint_path(log).read_bytes()))
    beside = tmp_path / "v2.corrections.jsonl"
    # Someone rebuilds the log beside v2 from scratch (a fork of the deposited history), validly signed.
    assert append(env, beside, "--claim", "c9", "--record-id", "SRCH:2A059E4E").returncode == 0
    assert append(env, beside, "--claim", "c8").returncode == 0
    assert run("correct", "verify", beside, "--trust", env.trust_path).returncode == 0  # alone it looks fine
    proc = run("correct", "verify", second, "--trust", env.trust_path, "--json")
    assert proc.returncode == 1
    assert {"fork"} <= {f["code"] for f in as_json(proc)["findings"]}


def test_consistency_proof_through_the_cli(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    assert append(env, log, "--claim", "c1", "--record-id", "R1").returncode == 0
    old = tmp_path / "old.checkpoint"
    old.write_bytes(checkpoint_path(log).read_bytes())
    for claim in ("c2", "c3"):
        assert append(env, log, "--claim", claim).returncode == 0
    proof = tmp_path / "consistency.json"
    assert run("correct", "prove", log, "--from-checkpoint", old, "-o", proof).returncode == 0
    checked = run("correct", "verify-proof", proof, "--trust", env.trust_path, "--since", old, "--json")
    assert checked.returncode == 0, checked.stderr
    assert as_json(checked)["kind"] == "consistency" and as_json(checked)["old_size"] == 1
    assert run("correct", "prove", log).returncode == 2


def test_auditor_state_catches_a_later_rollback(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    for claim in ("c1", "c2"):
        assert append(env, log, "--claim", claim, "--record-id", "R1").returncode == 0
    before = (log.read_bytes(), checkpoint_path(log).read_bytes())
    assert append(env, log, "--claim", "c3").returncode == 0
    state = tmp_path / "auditor.checkpoint"
    assert run("correct", "verify", log, "--trust", env.trust_path, "--state", state).returncode == 0
    assert state.read_bytes() == checkpoint_path(log).read_bytes()
    log.write_bytes(before[0])  # rolled back to a consistent, validly signed older state
    checkpoint_path(log).write_bytes(before[1])
    assert run("correct", "verify", log, "--trust", env.trust_path).returncode == 0  # alone: undetectable
    proc = run("correct", "verify", log, "--trust", env.trust_path, "--state", state, "--json")
    assert proc.returncode == 1 and "truncated" in {f["code"] for f in as_json(proc)["findings"]}


def test_same_inputs_and_time_give_byte_identical_logs(env: Env, tmp_path: Path) -> None:
    logs = []
    for name in ("a.jsonl", "b.jsonl"):
        log = tmp_path / name
        for i, claim in enumerate(("c1", "c2")):
            proc = append(env, log, "--claim", claim, "--record-id", "R1", "--issued-at", f"2026-11-22T01:00:0{i}Z")
            assert proc.returncode == 0, proc.stderr
        logs.append((log.read_bytes(), checkpoint_path(log).read_bytes()))
    assert logs[0] == logs[1]
    proc = append(env, tmp_path / "c.jsonl", "--record-id", "R1", "--issued-at", "yesterday")
    assert proc.returncode == 2 and "RFC 3339" in proc.stderr


def test_without_trust_a_key_declared_for_another_role_is_refused(env: Env, tmp_path: Path) -> None:
    from provenance.signing.keys import generate_key, save_signing_key

    attestor = tmp_path / "attestor.key"
    save_signing_key(generate_key(), attestor, None, role="attestor")
    log = tmp_path / "c.jsonl"
    proc = run("correct", "append", log, "--type", "erratum", "--reason", "r", "--record-id", "R1", "--claim", "c1",
               "--key", attestor, "--log-key", env.log_key_path)
    assert proc.returncode == 2 and "declared for role attestor, not corrector" in proc.stderr
    assert not log.exists() or log.read_bytes() == b""
    ok = run("correct", "append", log, "--type", "erratum", "--reason", "r", "--record-id", "R1", "--claim", "c1",
             "--key", env.corrector_path, "--log-key", env.log_key_path)
    assert ok.returncode == 0 and "were not checked" in ok.stderr
