"""Every tamper class of the correction log is detected, each by its own test (real keys, real files)."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest
from correction_env import Env, make_env

from provenance.corrections.record import PAYLOAD_TYPE
from provenance.corrections.report import LogReport
from provenance.corrections.store import checkpoint_path, read_log
from provenance.corrections.verify import verify_log
from provenance.jsonio import canonical_bytes
from provenance.signing.dsse import sign_envelope


def _verify(env: Env, log: Path | None = None, *, since: bytes | None = None, trust: bool = True) -> LogReport:
    files = read_log(log or env.log)
    return verify_log(files.entries, files.checkpoint, trust=env.trust if trust else None, since_checkpoint=since)


def _codes(report: LogReport) -> set[str]:
    return {f.code for f in report.errors}


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(line + b"\n" for line in lines))


def _record(line: bytes) -> dict:  # type: ignore[type-arg]
    return json.loads(base64.b64decode(json.loads(line)["payload"]))


def _resigned(record: dict, env: Env) -> bytes:  # type: ignore[type-arg]
    """What a holder of the corrector key could write: a validly signed, edited record."""
    return canonical_bytes(sign_envelope(canonical_bytes(record), PAYLOAD_TYPE, [env.corrector]))


@pytest.fixture
def six(env: Env) -> Env:
    for i in range(6):
        env.append(claims=(f"c{i}",))
    return env


def test_untouched_log_verifies(six: Env) -> None:
    report = _verify(six)
    assert report.ok, report.findings
    assert report.size == 6 and report.checkpoint is not None and report.checkpoint.size == 6
    assert report.checkpoint_verified and report.signatures_verified
    assert not report.findings


def test_edited_entry_payload_is_detected(six: Env) -> None:
    lines = _lines(six.log)
    env_obj = json.loads(lines[2])
    record = _record(lines[2])
    record["reason"]["text"] = "nothing was wrong"
    env_obj["payload"] = base64.b64encode(canonical_bytes(record)).decode()
    lines[2] = canonical_bytes(env_obj)
    _write_lines(six.log, lines)
    report = _verify(six)
    assert not report.ok
    assert {"signature", "root-mismatch", "chain"} <= _codes(report)
    assert any(f.seq == 2 and f.code == "signature" for f in report.errors)


def test_edited_entry_resigned_by_corrector_is_detected(six: Env) -> None:
    lines = _lines(six.log)
    record = _record(lines[4])
    record["what_was_wrong"] = "rewritten history"
    lines[4] = _resigned(record, six)
    _write_lines(six.log, lines)
    report = _verify(six)
    assert not report.ok
    assert "root-mismatch" in _codes(report)
    assert any(f.seq == 5 and f.code == "chain" for f in report.errors)


def test_removed_entry_is_detected(six: Env) -> None:
    lines = _lines(six.log)
    del lines[3]
    _write_lines(six.log, lines)
    report = _verify(six)
    assert {"seq", "chain", "truncated"} <= _codes(report)


def test_truncation_is_detected(six: Env) -> None:
    _write_lines(six.log, _lines(six.log)[:4])
    assert "truncated" in _codes(_verify(six))


def test_truncation_with_rolled_back_checkpoint_is_detected_by_since(env: Env) -> None:
    for i in range(4):
        env.append(claims=(f"c{i}",))
    old_log, old_cp = env.log.read_bytes(), checkpoint_path(env.log).read_bytes()
    env.append(claims=("c4",))
    env.append(claims=("c5",))
    trusted = checkpoint_path(env.log).read_bytes()
    # The attacker restores a consistent older state: log and checkpoint both of size 4.
    env.log.write_bytes(old_log)
    checkpoint_path(env.log).write_bytes(old_cp)
    assert _verify(env).ok  # without prior state, truncation is undetectable (documented)
    report = _verify(env, since=trusted)
    assert "truncated" in _codes(report)


def test_reordered_entries_are_detected(six: Env) -> None:
    lines = _lines(six.log)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(six.log, lines)
    report = _verify(six)
    assert {"seq", "chain", "root-mismatch"} <= _codes(report)


def test_inserted_entry_by_outsider_is_detected(six: Env) -> None:
    lines = _lines(six.log)
    record = _record(lines[-1])
    record["seq"] = 6
    record["prev"] = __import__("hashlib").sha256(lines[-1]).hexdigest()
    record["issued_by"]["keyid"] = six.outsider.keyid
    forged = canonical_bytes(sign_envelope(canonical_bytes(record), PAYLOAD_TYPE, [six.outsider]))
    _write_lines(six.log, [*lines, forged])
    report = _verify(six)
    assert "signature" in _codes(report)
    assert any(f.seq == 6 for f in report.errors)


def test_replay_from_another_log_is_detected(tmp_path: Path) -> None:
    a_dir, b_dir = tmp_path / "a", tmp_path / "b"
    a_dir.mkdir()
    b_dir.mkdir()
    a = make_env(a_dir)
    a.append(claims=("c1",))
    b = Env(**{**a.__dict__, "dir": b_dir})
    from provenance.corrections.record import CorrectionRequest
    from provenance.corrections.store import append_correction

    append_correction(b.log, CorrectionRequest(type="erratum", record_id="OTHER:1", what_was_wrong="w", reason_text="r"),
                      signer=b.corrector, log_key=b.log_key, trust=b.trust)
    # Entry 0 of log A, signed by the same trusted corrector, replayed as entry 0 of log B.
    _write_lines(b.log, [_lines(a.log)[0]])
    report = _verify(b)
    assert "origin" in _codes(report)
    assert "root-mismatch" in _codes(report)


def test_fork_is_detected_by_equal_size_checkpoints(env: Env, tmp_path: Path) -> None:
    for i in range(3):
        env.append(claims=(f"c{i}",))
    fork_dir = tmp_path / "fork"
    fork_dir.mkdir()
    fork_log = fork_dir / "corrections.jsonl"
    shutil.copy(env.log, fork_log)
    shutil.copy(checkpoint_path(env.log), checkpoint_path(fork_log))
    env.append(claims=("c3",))
    env.append(log=fork_log, type="retraction", claims=())
    # Both are signed by the log key and verify alone: the split view needs the other's checkpoint.
    assert _verify(env).ok and _verify(env, fork_log).ok
    report = _verify(env, since=checkpoint_path(fork_log).read_bytes())
    assert "fork" in _codes(report)


def test_fork_is_detected_against_an_older_checkpoint_of_the_other_branch(env: Env, tmp_path: Path) -> None:
    for i in range(3):
        env.append(claims=(f"c{i}",))
    fork_log = tmp_path / "fork.jsonl"
    shutil.copy(env.log, fork_log)
    shutil.copy(checkpoint_path(env.log), checkpoint_path(fork_log))
    env.append(log=fork_log, type="retraction", claims=())
    fork_cp = checkpoint_path(fork_log).read_bytes()  # size 4 on the fork
    env.append(claims=("c3",))
    env.append(claims=("c4",))  # size 5 on the main branch
    assert "inconsistent" in _codes(_verify(env, since=fork_cp))


def test_consistent_older_checkpoint_passes(env: Env) -> None:
    for i in range(3):
        env.append(claims=(f"c{i}",))
    old = checkpoint_path(env.log).read_bytes()
    for i in range(4):
        env.append(claims=(f"d{i}",))
    report = _verify(env, since=old)
    assert report.ok, report.findings


def test_checkpoint_signed_by_wrong_key_is_detected(six: Env) -> None:
    from provenance.corrections import note

    files = read_log(six.log)
    cp = note.parse_checkpoint(files.checkpoint or b"")
    forged = note.sign_checkpoint(cp, six.corrector.public.raw, six.corrector.sign)
    checkpoint_path(six.log).write_bytes(forged)
    assert "checkpoint" in _codes(_verify(six))


def test_checkpoint_with_edited_root_is_detected(six: Env) -> None:
    text = checkpoint_path(six.log).read_bytes().split(b"\n")
    text[2] = base64.b64encode(bytes(32))
    checkpoint_path(six.log).write_bytes(b"\n".join(text))
    assert "checkpoint" in _codes(_verify(six))


def test_missing_checkpoint_is_an_error(six: Env) -> None:
    checkpoint_path(six.log).unlink()
    assert "no-checkpoint" in _codes(_verify(six))


def test_swapped_payload_type_is_detected(six: Env) -> None:
    lines = _lines(six.log)
    obj = json.loads(lines[0])
    obj["payloadType"] = "application/json"
    lines[0] = canonical_bytes(obj)
    _write_lines(six.log, lines)
    assert "signature" in _codes(_verify(six))


def test_torn_tail_is_a_warning_and_the_next_append_repairs_it(six: Env) -> None:
    good = six.log.read_bytes()
    with six.log.open("ab") as handle:
        handle.write(b'{"payload":"eyJjb250cmFjdCI6')  # a crash mid-write
    report = _verify(six)
    assert report.ok and report.torn_bytes > 0
    assert any(f.code == "torn-tail" and f.severity == "warning" for f in report.findings)
    result = six.append(claims=("c9",))
    assert result.repaired_bytes > 0 and result.seq == 6
    assert six.log.read_bytes().startswith(good)
    assert _verify(six).ok and not _verify(six).findings


def test_entry_written_but_not_checkpointed_is_a_warning_and_next_append_checkpoints_it(six: Env) -> None:
    stale = checkpoint_path(six.log).read_bytes()
    six.append(claims=("c6",))
    checkpoint_path(six.log).write_bytes(stale)  # crash between the line's fsync and the checkpoint
    report = _verify(six)
    assert report.ok
    assert any(f.code == "uncheckpointed" for f in report.findings)
    six.append(claims=("c7",))
    report = _verify(six)
    assert report.ok and report.checkpoint is not None and report.checkpoint.size == 8


def test_append_refuses_to_extend_a_tampered_log(six: Env) -> None:
    from provenance.corrections.errors import LogCheckFailed

    lines = _lines(six.log)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(six.log, lines)
    with pytest.raises(LogCheckFailed, match="does not match its checkpoint"):
        six.append(claims=("c9",))


def test_append_refuses_a_signer_without_the_corrector_role(env: Env) -> None:
    from provenance.errors import InputError

    with pytest.raises(InputError, match="corrector role"):
        env.append(signer=env.outsider)
    assert not env.log.exists() or env.log.read_bytes() == b""


def test_issuer_field_must_name_a_signer(six: Env) -> None:
    lines = _lines(six.log)
    record = _record(lines[5])
    record["issued_by"]["keyid"] = six.outsider.keyid
    lines[5] = _resigned(record, six)
    _write_lines(six.log, lines)
    assert "issuer" in _codes(_verify(six))


def test_time_going_backwards_is_detected(env: Env) -> None:
    env.append(claims=("c1",), issued_at="2026-01-02T00:00:00Z")
    env.append(claims=("c2",), issued_at="2026-01-03T00:00:00Z")
    lines = _lines(env.log)
    record = _record(lines[1])
    record["issued_at"] = "2025-12-31T00:00:00Z"
    lines[1] = _resigned(record, env)
    _write_lines(env.log, lines)
    assert "time" in _codes(_verify(env))


def test_without_trust_the_report_says_unauthenticated(six: Env) -> None:
    report = _verify(six, trust=False)
    assert report.ok and not report.signatures_verified and not report.checkpoint_verified
    assert any(f.code == "unauthenticated" for f in report.findings)


def test_append_reads_claim_status_from_the_records_that_matter(env: Env) -> None:
    """Regression guard for the append fast path: before-statuses equal a full fold of the log."""
    from provenance.corrections.status import claim_statuses
    from provenance.corrections.store import records_about

    env.append(claims=("c1",))
    env.append(type="expression_of_concern", claims=())
    env.append(type="clarification", claims=("c2",))
    env.append(type="partial_retraction", claims=("c3",))
    env.append(type="correction", claims=("c3",), supersedes=3)
    env.append(type="erratum", claims=('odd "id"\\x',))
    lines = _lines(env.log)
    everything = [_record(line) for line in lines]
    for wanted in ({"c1"}, {"c2"}, {"c3"}, {"c4"}, {'odd "id"\\x'}, {"c1", "c3"}):
        assert claim_statuses(records_about(lines, wanted), wanted) == claim_statuses(everything, wanted)
    result = env.append(claims=("c3",))
    assert result.record["claims"][0]["before"]["status"] == "UNDER_CONCERN"


@pytest.mark.parametrize("claims", [5, True])
@pytest.mark.parametrize("trusted", [True, False])
def test_a_signed_record_whose_claims_is_not_a_list_is_reported_not_a_crash(six: Env, claims: object, trusted: bool) -> None:
    lines = _lines(six.log)
    record = _record(lines[5])
    record["claims"] = claims
    lines[5] = _resigned(record, six)
    _write_lines(six.log, lines)
    report = _verify(six, trust=trusted)
    assert not report.ok
    assert any(f.seq == 5 and f.code == "schema" and "claims" in f.message for f in report.errors)
    assert report.status.count == 6


@pytest.mark.parametrize(("path", "value"), [(("type",), ["correction"]), (("claims", 0, "before", "status"), ["CURRENT"]),
                                             (("reason", "category"), {"honest_error": 1}),
                                             (("claims", 0, "after", "status"), {})])
def test_a_signed_record_with_a_list_or_object_where_a_keyword_belongs_is_reported_not_a_crash(
        six: Env, path: tuple[str | int, ...], value: object) -> None:
    # The fast shape check looked such values up in a frozenset: TypeError (unhashable) ended verification.
    lines = _lines(six.log)
    record = _record(lines[3])
    node = record
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    lines[3] = _resigned(record, six)
    _write_lines(six.log, lines)
    report = _verify(six)
    assert any(f.seq == 3 and f.code == "schema" for f in report.errors)


def test_a_supersedes_seq_of_true_is_still_checked_against_the_entry_it_names(six: Env) -> None:
    # JSON true is a Python int: the chunk loop took it as seq 1 before it was rewritten, and must still.
    lines = _lines(six.log)
    record = _record(lines[3])
    record["supersedes"] = {"seq": True, "sha256": "00" * 32}
    lines[3] = _resigned(record, six)
    _write_lines(six.log, lines)
    found = {(f.code, f.seq) for f in _verify(six).errors}
    assert {("schema", 3), ("supersedes", 3)} <= found
