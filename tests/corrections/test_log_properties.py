"""Properties of the verifier over a real signed log, and key revocation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from correction_env import Env, make_env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.corrections.record import CorrectionRequest
from provenance.corrections.store import append_correction, checkpoint_path, read_log
from provenance.corrections.verify import verify_log
from provenance.signing.keys import generate_key
from provenance.signing.trust import add_key, load_trust_root, remove_key, write_trust_document


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_byte_change_to_a_committed_entry_is_detected(env: Env, data: st.DataObject) -> None:
    if not env.log.exists():
        for i in range(5):
            env.append(claims=(f"c{i}",))
    original = env.log.read_bytes()
    position = data.draw(st.integers(0, len(original) - 1))
    new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != original[position]))
    tampered = original[:position] + bytes([new_byte]) + original[position + 1 :]
    report = verify_log(tampered, checkpoint_path(env.log).read_bytes(), trust=env.trust)
    assert not report.ok


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(1, 400))
def test_any_truncation_is_detected_or_is_a_torn_uncommitted_tail(env: Env, cut: int) -> None:
    if not env.log.exists():
        for i in range(3):
            env.append(claims=(f"c{i}",))
    original = env.log.read_bytes()
    report = verify_log(original[: len(original) - cut], checkpoint_path(env.log).read_bytes(), trust=env.trust)
    assert not report.ok  # every line is covered by the checkpoint: losing any byte of it is an error


def test_reports_every_finding_not_just_the_first(env: Env) -> None:
    for i in range(4):
        env.append(claims=(f"c{i}",))
    lines = env.log.read_bytes().split(b"\n")[:-1]
    env.log.write_bytes(b"\n".join([lines[0], lines[2], lines[1], lines[3]]) + b"\n")
    report = verify_log(*_files(env), trust=env.trust)
    seqs = {f.seq for f in report.errors if f.code == "seq"}
    assert seqs == {1, 2}


def _files(env: Env) -> tuple[bytes, bytes | None]:
    files = read_log(env.log)
    return files.entries, files.checkpoint


def test_signature_by_a_key_revoked_later_is_a_warning_and_after_revocation_an_error(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    env.append(claims=("c1",), issued_at="2026-01-01T00:00:00Z")
    # A second corrector signs an entry; then the first corrector key is revoked.
    now = datetime.now(UTC)
    doc = json.loads(env.trust_path.read_text())
    spare = generate_key()
    doc = add_key(doc, "corrector", spare.public, [env.root_key], now=now)
    doc = remove_key(doc, env.corrector.keyid, [env.root_key], now=now + timedelta(seconds=1))
    write_trust_document(env.trust_path, doc)
    trust = load_trust_root(env.trust_path)
    report = verify_log(*_files(env), trust=trust)
    assert report.ok
    assert [f.code for f in report.findings] == ["revoked-key"] and report.findings[0].severity == "warning"
    # An entry the revoked key signs after its revocation is rejected.
    request = CorrectionRequest(type="erratum", record_id="SRCH:2A059E4E", what_was_wrong="w", reason_text="r")
    append_correction(env.log, request, signer=env.corrector, log_key=env.log_key, trust=None,
                      issued_at="2999-01-01T00:00:00Z")
    report = verify_log(*_files(env), trust=trust)
    assert any(f.code == "revoked-key" and f.severity == "error" and f.seq == 1 for f in report.findings)
    # The new key appends fine.
    append_correction(env.log, request, signer=spare, log_key=env.log_key, trust=trust)
    assert verify_log(*_files(env), trust=trust).findings[-1].seq == 1
