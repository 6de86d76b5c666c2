"""Regressions of issue 13 items 14-17 (the editor's log), each named after its bug; real CLI, real files."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from correction_env import Env

from provenance.corrections.errors import LogCheckFailed, LogInputError
from provenance.corrections.record import CorrectionRequest
from provenance.corrections.store import append_correction, checkpoint_path
from provenance.errors import InputError

PROVENANCE = [sys.executable, "-m", "provenance"]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROVENANCE, *map(str, args)], capture_output=True, text=True, timeout=120)


def append(env: Env, target: Path, *extra: str, ctype: str = "correction") -> subprocess.CompletedProcess[str]:
    return run("correct", "append", target, "--type", ctype, "--reason", "the mean used the wrong denominator",
               "--key", env.corrector_path, "--log-key", env.log_key_path, "--trust", env.trust_path, *extra)


def one_line_error(proc: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
    return proc.stderr


# -- 14: nothing is written to a target until it is recognised as a log ---------------------------


def test_append_to_a_notes_file_no_longer_deletes_its_last_line(env: Env, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"line one of a notes file\nsecond line, no newline at the end")
    before = notes.read_bytes()
    err = one_line_error(append(env, notes, "--record-id", "R1", "--claim", "c1"))
    assert "not a correction log" in err
    assert notes.read_bytes() == before and not checkpoint_path(notes).exists()


def test_append_to_a_copy_of_a_manifest_keeps_its_closing_brace(env: Env, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest-copy.json"
    manifest.write_bytes(b'{\n  "contract": "paper-manifest-v1.1",\n  "claims": []\n}')
    before = manifest.read_bytes()
    err = one_line_error(append(env, manifest, "--record-id", "R1", "--claim", "c1"))
    assert "not a correction log" in err
    assert manifest.read_bytes() == before and not checkpoint_path(manifest).exists()


def test_append_to_a_short_file_without_newline_leaves_it_alone(env: Env, tmp_path: Path) -> None:
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"hello, world")
    one_line_error(append(env, short, "--record-id", "R1", "--claim", "c1"))
    assert short.read_bytes() == b"hello, world"


def test_torn_tail_is_not_cut_from_a_log_that_fails_its_checkpoint(env: Env) -> None:
    for claim in ("c1", "c2", "c3"):
        env.append(claims=(claim,))
    lines = env.log.read_bytes().split(b"\n")[:-1]
    lines[0], lines[1] = lines[1], lines[0]
    tampered = b"".join(line + b"\n" for line in lines) + b'{"payload":"eyJjb250'  # and a torn tail
    env.log.write_bytes(tampered)
    with pytest.raises(LogCheckFailed, match="does not match its checkpoint"):
        env.append(claims=("c4",))
    assert env.log.read_bytes() == tampered


def test_torn_tail_is_not_cut_from_a_log_without_checkpoint(env: Env) -> None:
    env.append(claims=("c1",))
    checkpoint_path(env.log).unlink()
    data = env.log.read_bytes() + b'{"payload":"eyJj'
    env.log.write_bytes(data)
    with pytest.raises(LogCheckFailed, match="no checkpoint"):
        env.append(claims=("c2",))
    assert env.log.read_bytes() == data


def test_a_seed_whose_checkpoint_does_not_verify_is_not_written(env: Env, tmp_path: Path) -> None:
    env.append(claims=("c1",))
    seed_log = env.log.read_bytes()
    forged_cp = checkpoint_path(env.log).read_bytes().replace(b"\n1\n", b"\n2\n")
    target = tmp_path / "beside.jsonl"
    request = CorrectionRequest(type="correction", record_id="SRCH:2A059E4E", what_was_wrong="w", reason_text="r")
    with pytest.raises(LogCheckFailed):
        append_correction(target, request, signer=env.corrector, log_key=env.log_key, trust=env.trust,
                          seed=(seed_log, forged_cp))
    assert target.read_bytes() == b"" and not checkpoint_path(target).exists()


def test_a_seed_that_is_not_a_log_is_not_written(env: Env, tmp_path: Path) -> None:
    target = tmp_path / "beside.jsonl"
    request = CorrectionRequest(type="correction", record_id="R1", what_was_wrong="w", reason_text="r")
    with pytest.raises(LogInputError, match="not a correction log"):
        append_correction(target, request, signer=env.corrector, log_key=env.log_key, trust=env.trust,
                          seed=(b"{\n}\n", b"not a checkpoint"))
    assert target.read_bytes() == b"" and not checkpoint_path(target).exists()


def test_a_torn_first_entry_is_still_repaired(env: Env) -> None:
    env.log.write_bytes(b'{"payload":"eyJjb250cmFjdCI6')  # the first append crashed mid-write
    result = env.append(claims=("c1",))
    assert result.seq == 0 and result.repaired_bytes == len(b'{"payload":"eyJjb250cmFjdCI6')
    assert run("correct", "verify", env.log, "--trust", env.trust_path).returncode == 0


# -- 15: claim ids are checked; a claim-level notice names a claim ----------------------------------


def _bag_with_manifest(directory: Path, claims: list[str]) -> Path:
    (directory / "data").mkdir(parents=True)
    (directory / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (directory / "bag-info.txt").write_text("Bagging-Date: 2026-11-22\nExternal-Identifier: SRCH:2A059E4E\nPayload-Oxum: 0.0\n")
    (directory / "tagmanifest-sha256.txt").write_text("0" * 64 + "  bagit.txt\n")
    manifest = {"contract": "paper-manifest-v1.1", "record_id": "SRCH:2A059E4E",
                "claims": [{"id": c, "text": f"claim {c}"} for c in claims]}
    (directory / "data" / "manifest.json").write_text(json.dumps(manifest))
    return directory


def test_unknown_claim_id_is_refused_against_the_manifest_the_bundle_carries(env: Env, tmp_path: Path) -> None:
    bag = _bag_with_manifest(tmp_path / "bundle", ["c1", "c3"])
    err = one_line_error(append(env, bag, "--claim", "c99"))
    assert "c99" in err and "not in the manifest" in err and "c1, c3" in err
    assert not (tmp_path / "bundle.corrections.jsonl").exists() or not (tmp_path / "bundle.corrections.jsonl").read_bytes()
    ok = append(env, bag, "--claim", "c3", "--json")
    assert ok.returncode == 0, ok.stderr
    doc: dict[str, Any] = json.loads(ok.stdout)
    assert doc["claims_checked"] and doc["record"]["claims"][0]["before"]["values"] == {"text": "claim c3"}


def test_append_without_any_claim_is_refused_for_a_claim_level_type(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    for ctype in ("correction", "erratum", "addendum", "clarification", "partial_retraction"):
        err = one_line_error(append(env, log, "--record-id", "R1", ctype=ctype))
        assert f"a {ctype} names what it corrects" in err
    assert not log.exists() or log.read_bytes() == b""


def test_record_wide_types_may_name_no_claim_and_others_may_name_a_file(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    for ctype in ("expression_of_concern", "retraction"):
        proc = append(env, log, "--record-id", "R1", ctype=ctype)
        assert proc.returncode == 0, proc.stderr
    proc = append(env, log, "--path", "data/paper.pdf", ctype="erratum")
    assert proc.returncode == 0, proc.stderr
    err = one_line_error(append(env, log, "--path", "data/paper.pdf", ctype="partial_retraction"))
    assert "give --claim ID" in err


def test_a_plain_log_says_its_claim_ids_were_not_checked(env: Env, tmp_path: Path) -> None:
    proc = append(env, tmp_path / "c.jsonl", "--record-id", "R1", "--claim", "c1")
    assert proc.returncode == 0 and "claim ids were not checked" in proc.stderr


# -- 16: --issued-at earlier than the last entry is refused -----------------------------------------


def test_issued_at_earlier_than_the_last_entry_is_refused_not_replaced(env: Env, tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    assert append(env, log, "--record-id", "R1", "--claim", "c1", "--issued-at", "2026-11-22T01:00:00Z").returncode == 0
    before = log.read_bytes(), checkpoint_path(log).read_bytes()
    err = one_line_error(append(env, log, "--claim", "c2", "--issued-at", "2026-11-21T00:00:00Z"))
    assert "earlier than the last entry's" in err and "2026-11-22T01:00:00Z" in err
    assert (log.read_bytes(), checkpoint_path(log).read_bytes()) == before
    same = append(env, log, "--claim", "c2", "--issued-at", "2026-11-22T01:00:00Z", "--json")
    assert same.returncode == 0 and json.loads(same.stdout)["record"]["issued_at"] == "2026-11-22T01:00:00Z"


def test_issued_at_is_refused_by_the_library_too(env: Env) -> None:
    env.append(claims=("c1",), issued_at="2026-11-22T01:00:00Z")
    with pytest.raises(InputError, match="earlier than the last entry"):
        env.append(claims=("c2",), issued_at="2026-11-22T00:59:59Z")


# -- 17: an empty or binary file is not a log ---------------------------------------------------------


@pytest.mark.parametrize("command", ["verify", "show", "prove"])
def test_empty_file_is_not_a_log_exit_2(env: Env, tmp_path: Path, command: str) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    extra = ["0"] if command == "prove" else []
    err = one_line_error(run("correct", command, empty, *extra))
    assert "empty" in err and "not a correction log" in err


@pytest.mark.parametrize("data", [os.urandom(300) + b"\x00", b"\x00\x01\x02\n\xff\xfe\n", b"\x89PNG\r\n\x1a\n" + bytes(64)],
                         ids=["random", "binary-lines", "png"])
def test_binary_file_gives_one_line_not_four(env: Env, tmp_path: Path, data: bytes) -> None:
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(data)
    err = one_line_error(run("correct", "verify", binary, "--trust", env.trust_path))
    assert "not a correction log" in err


def test_a_log_emptied_under_its_checkpoint_is_still_a_truncation_finding(env: Env) -> None:
    env.append(claims=("c1",))
    env.log.write_bytes(b"")
    proc = run("correct", "verify", env.log, "--trust", env.trust_path, "--json")
    assert proc.returncode == 1 and "truncated" in {f["code"] for f in json.loads(proc.stdout)["findings"]}


def test_a_damaged_first_entry_of_a_log_is_a_finding_not_a_refusal(env: Env) -> None:
    env.append(claims=("c1",))
    env.append(claims=("c2",))
    lines = env.log.read_bytes().split(b"\n")
    envelope = json.loads(lines[0])
    envelope["payload"] = base64.b64encode(b'{"seq": 0}').decode()
    lines[0] = json.dumps(envelope).encode()
    env.log.write_bytes(b"\n".join(lines))
    proc = run("correct", "verify", env.log, "--trust", env.trust_path, "--json")
    assert proc.returncode == 1 and "signature" in {f["code"] for f in json.loads(proc.stdout)["findings"]}


def test_a_record_without_a_type_is_a_finding_not_an_internal_error(tmp_path: Path) -> None:
    # Without --trust nothing is signed-checked, so anyone can write such a line; the status fold read rec["type"].
    from provenance.corrections.record import PAYLOAD_TYPE
    from provenance.jsonio import canonical_bytes

    payload = canonical_bytes({"seq": 0, "log": "example.org/log", "prev": None})
    envelope = {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE,
                "signatures": [{"keyid": "", "sig": base64.b64encode(bytes(64)).decode()}]}
    log = tmp_path / "odd.jsonl"
    log.write_bytes(canonical_bytes(envelope) + b"\n")
    proc = run("correct", "verify", log, "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert "schema" in {f["code"] for f in doc["findings"]} and doc["status"]["count"] == 1
    shown = run("correct", "show", log)
    assert shown.returncode == 1 and "internal error" not in shown.stderr
