"""The parallel verifier (worker processes over power-of-two chunks) agrees with the serial one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.corrections import merkle
from provenance.corrections.errors import ProofError
from provenance.corrections.log import CHUNK_ENTRIES, verify_log
from provenance.corrections.proofs import proof_document, verify_proof_document

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_corrections.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_corrections", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_corrections"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes, object]:
    bench = _bench()
    trust, corrector, log_key = bench.make_trust(tmp_path_factory.mktemp("trust"))
    entries, checkpoint, _ = bench.make_log(2 * CHUNK_ENTRIES + 77, corrector, log_key)
    return entries, checkpoint, trust


def test_parallel_and_serial_agree_on_a_good_log(big: tuple[bytes, bytes, object]) -> None:
    entries, checkpoint, trust = big
    serial = verify_log(entries, checkpoint, trust=trust, workers=1)  # type: ignore[arg-type]
    parallel = verify_log(entries, checkpoint, trust=trust, workers=2)  # type: ignore[arg-type]
    assert serial.ok and parallel.ok and not parallel.findings
    assert serial.root == parallel.root == merkle.root([merkle.leaf_hash(x) for x in entries.split(b"\n")[:-1]])
    assert serial.leaf_hashes == parallel.leaf_hashes and serial.size == parallel.size == 2 * CHUNK_ENTRIES + 77


def test_tampering_at_a_chunk_boundary_is_found_by_the_parallel_verifier(big: tuple[bytes, bytes, object]) -> None:
    entries, checkpoint, trust = big
    lines = entries.split(b"\n")[:-1]
    lines[CHUNK_ENTRIES - 1], lines[CHUNK_ENTRIES] = lines[CHUNK_ENTRIES], lines[CHUNK_ENTRIES - 1]
    tampered = b"".join(line + b"\n" for line in lines)
    serial = verify_log(tampered, checkpoint, trust=trust, workers=1)  # type: ignore[arg-type]
    parallel = verify_log(tampered, checkpoint, trust=trust, workers=2)  # type: ignore[arg-type]
    assert [str(f) for f in serial.findings] == [str(f) for f in parallel.findings]
    found = {(f.code, f.seq) for f in parallel.errors}
    assert {("seq", CHUNK_ENTRIES - 1), ("seq", CHUNK_ENTRIES), ("chain", CHUNK_ENTRIES + 1), ("root-mismatch", None)} <= found


def test_inclusion_proofs_from_a_verified_report(big: tuple[bytes, bytes, object]) -> None:
    entries, checkpoint, trust = big
    report = verify_log(entries, checkpoint, trust=trust)  # type: ignore[arg-type]
    lines = entries.split(b"\n")
    for seq in (0, 1, CHUNK_ENTRIES, report.size - 1):
        doc = proof_document(report, seq, checkpoint)
        check = verify_proof_document(doc, trust=trust, entry_line=lines[seq])  # type: ignore[arg-type]
        assert check.checkpoint_verified and check.seq == seq
    doc = proof_document(report, 5, checkpoint)
    with pytest.raises(ProofError):
        verify_proof_document(doc, trust=trust, entry_line=lines[6])  # type: ignore[arg-type]
    doc["proof"] = doc["proof"][:-1]
    with pytest.raises(ProofError):
        verify_proof_document(doc, trust=trust)  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_offset_cut_accepts_only_lines_in_the_exact_append_form(big: tuple[bytes, bytes, object], data: st.DataObject) -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from provenance.corrections.log import _ENVELOPE_LINE, _fast_parts

    entries, _, trust = big
    keys = {k: Ed25519PublicKey.from_public_bytes(v.raw) for k, v in trust.keys_for("corrector")[0].items()}  # type: ignore[attr-defined]
    line = bytearray(entries.split(b"\n")[data.draw(st.integers(0, 50))])
    for _ in range(data.draw(st.integers(0, 3))):
        line[data.draw(st.integers(0, len(line) - 1))] = data.draw(st.sampled_from(list(b'"\\{}[],:aZ09+/= ')))
    parts = _fast_parts(bytes(line), keys)
    match = _ENVELOPE_LINE.fullmatch(bytes(line))
    if parts is not None:
        assert match is not None
        assert parts[3] == base64.b64decode(match.group(1)) and parts[1] == base64.b64decode(match.group(3))
