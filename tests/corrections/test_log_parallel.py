"""The parallel verifier (worker processes over power-of-two chunks) agrees with the serial one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from provenance.corrections import merkle
from provenance.corrections.errors import ProofError
from provenance.corrections.proofs import proof_document, verify_proof_document
from provenance.corrections.verify import CHUNK_ENTRIES, verify_log

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
