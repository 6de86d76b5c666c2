"""Inclusion and consistency proof documents: made from a real log, checked as an auditor would."""

from __future__ import annotations

import json

import pytest
from correction_env import Env

from provenance.corrections.errors import LogInputError, NoteError, ProofError
from provenance.corrections.proofs import consistency_document, proof_document, verify_proof_document
from provenance.corrections.store import checkpoint_path, read_log
from provenance.corrections.verify import verify_log


def _report(env: Env):  # type: ignore[no-untyped-def]
    files = read_log(env.log)
    return verify_log(files.entries, files.checkpoint, trust=env.trust), files


def test_consistency_proof_round_trip_and_tampering(env: Env) -> None:
    for i in range(3):
        env.append(claims=(f"c{i}",))
    old = checkpoint_path(env.log).read_bytes()
    for i in range(5):
        env.append(claims=(f"d{i}",))
    report, files = _report(env)
    doc = consistency_document(report, old, files.checkpoint)
    check = verify_proof_document(doc, trust=env.trust, trusted_old_checkpoint=old)
    assert check.kind == "consistency" and check.old_size == 3 and check.tree_size == 8 and check.checkpoint_verified

    bad = json.loads(json.dumps(doc))
    bad["proof"][0] = bad["proof"][1]
    with pytest.raises(ProofError):
        verify_proof_document(bad, trust=env.trust)
    bad = json.loads(json.dumps(doc))
    bad["size1"] = 4
    with pytest.raises(ProofError):
        verify_proof_document(bad, trust=env.trust)
    with pytest.raises(ProofError, match="another checkpoint"):
        verify_proof_document(doc, trust=env.trust, trusted_old_checkpoint=files.checkpoint)


def test_consistency_proof_against_a_forked_checkpoint_fails(env: Env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    for i in range(3):
        env.append(claims=(f"c{i}",))
    fork = tmp_path / "fork.jsonl"
    shutil.copy(env.log, fork)
    shutil.copy(checkpoint_path(env.log), checkpoint_path(fork))
    env.append(log=fork, type="retraction", claims=())
    env.append(log=fork, claims=("x",))
    forked_old = checkpoint_path(fork).read_bytes()  # size 5 on the fork
    for i in range(4):
        env.append(claims=(f"d{i}",))  # size 7 on the main branch
    report, files = _report(env)
    doc = consistency_document(report, forked_old, files.checkpoint)
    with pytest.raises(ProofError):
        verify_proof_document(doc, trust=env.trust, trusted_old_checkpoint=forked_old)


def test_proofs_need_a_checkpoint_signed_by_a_log_key(env: Env) -> None:
    for i in range(2):
        env.append(claims=(f"c{i}",))
    report, files = _report(env)
    doc = proof_document(report, 1, files.checkpoint)
    doc["checkpoint"] = None
    with pytest.raises(LogInputError, match="no checkpoint"):
        verify_proof_document(doc, trust=env.trust)
    from provenance.corrections import note

    cp = note.parse_checkpoint(files.checkpoint or b"")
    doc["checkpoint"] = note.sign_checkpoint(cp, env.corrector.public.raw, env.corrector.sign).decode()
    with pytest.raises(NoteError, match="no trusted key"):
        verify_proof_document(doc, trust=env.trust)


def test_unknown_proof_contract_is_bad_input(env: Env) -> None:
    with pytest.raises(LogInputError):
        verify_proof_document({"contract": "x", "proof": []}, trust=env.trust)
