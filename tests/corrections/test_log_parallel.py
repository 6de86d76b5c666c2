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
from provenance.corrections.proofs import proof_document, verify_proof_document
from provenance.corrections.verify import CHUNK_ENTRIES, verify_log, verify_log_blocks

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


def _blocks(data: bytes, sizes: list[int]) -> list[bytes]:
    out, pos = [], 0
    for size in sizes:
        out.append(data[pos : pos + size])
        pos += size
    out.append(data[pos:])
    return out


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sizes=st.lists(st.integers(1, 400_000), max_size=12), torn=st.binary(max_size=40).filter(lambda b: b"\n" not in b))
def test_streamed_blocks_cut_anywhere_give_the_same_report(big: tuple[bytes, bytes, object], sizes: list[int],
                                                           torn: bytes) -> None:
    entries, checkpoint, trust = big
    data = entries + torn
    whole = verify_log(data, checkpoint, trust=trust, workers=2)  # type: ignore[arg-type]
    streamed = verify_log_blocks(_blocks(data, sizes), checkpoint, trust=trust, workers=2)  # type: ignore[arg-type]
    read_by_workers = verify_log_blocks(_blocks(data, sizes), checkpoint, trust=trust, workers=2,  # type: ignore[arg-type]
                                        read_at=lambda offset, length: data[offset : offset + length])
    assert streamed == whole == read_by_workers
    assert streamed.torn_bytes == len(torn) and streamed.size == 2 * CHUNK_ENTRIES + 77


def test_status_is_folded_in_the_workers_and_matches_the_records(big: tuple[bytes, bytes, object]) -> None:
    from provenance.corrections.entries import read_record
    from provenance.corrections.status import current_status

    entries, checkpoint, trust = big
    report = verify_log(entries, checkpoint, trust=trust, workers=2)  # type: ignore[arg-type]
    records = [read_record(line, seq) for seq, line in enumerate(entries.split(b"\n")[:-1])]
    assert report.status == current_status(records)
    lean = verify_log(entries, checkpoint, trust=trust, workers=2, history=False)  # type: ignore[arg-type]
    assert lean.status.history == () and lean.status.claims == report.status.claims and lean.ok


def test_a_stream_reads_the_log_in_bounded_blocks(big: tuple[bytes, bytes, object], tmp_path: Path) -> None:
    from provenance.corrections.store import checkpoint_path, open_log

    entries, checkpoint, trust = big
    log = tmp_path / "log.jsonl"
    log.write_bytes(entries)
    checkpoint_path(log).write_bytes(checkpoint)
    with open_log(log, block_size=100_000) as stream:
        blocks = list(stream.blocks())
        report = verify_log_blocks(stream.blocks(), stream.checkpoint, trust=trust)  # type: ignore[arg-type]
        by_offset = verify_log_blocks(stream.blocks(), stream.checkpoint, trust=trust,  # type: ignore[arg-type]
                                      workers=2, read_at=stream.read_at)
        assert stream.read_at(len(entries) - 10, 100) == entries[-10:]
    assert max(len(b) for b in blocks) <= 100_000 and b"".join(blocks) == entries
    assert report.ok and report.size == 2 * CHUNK_ENTRIES + 77
    assert by_offset == report


def test_a_chunk_that_changed_between_cutting_and_reading_is_reported(big: tuple[bytes, bytes, object]) -> None:
    entries, checkpoint, trust = big
    lines = entries.split(b"\n")[:-1]
    lines[2 * CHUNK_ENTRIES - 1] = lines[2 * CHUNK_ENTRIES - 2]
    other = b"".join(line + b"\n" for line in lines)
    start = len(b"".join(line + b"\n" for line in lines[:CHUNK_ENTRIES]))
    # For the second chunk the workers read other bytes than the cutter saw (its last line differs). What
    # the workers read is what is verified; the cut must agree with it where chunks meet.
    report = verify_log_blocks([entries], checkpoint, trust=trust, workers=2,  # type: ignore[arg-type]
                               read_at=lambda offset, length: (other if offset == start else entries)[offset : offset + length])
    assert not report.ok
    assert ("changed", CHUNK_ENTRIES) in {(f.code, f.seq) for f in report.errors}
    assert "changed while the log was read" in next(f.message for f in report.errors if f.code == "changed")


def test_a_record_superseded_from_another_chunk_is_folded_again_in_the_parent(tmp_path: Path) -> None:
    from provenance.corrections.entries import read_record
    from provenance.corrections.status import current_status

    bench = _bench()
    trust, corrector, log_key = bench.make_trust(tmp_path)
    # Entry 2 * CHUNK_ENTRIES + 3 (third chunk) supersedes entry 5 (first chunk), which names claim c5 alone.
    entries, checkpoint, _ = bench.make_log(2 * CHUNK_ENTRIES + 10, corrector, log_key, supersedes={2 * CHUNK_ENTRIES + 3: 5})
    report = verify_log(entries, checkpoint, trust=trust, workers=2)
    assert report.ok, report.findings
    records = [read_record(line, seq) for seq, line in enumerate(entries.split(b"\n")[:-1])]
    assert report.status == current_status(records)
    assert report.status.count == 2 * CHUNK_ENTRIES + 9
    assert report.status.history[5].superseded_by == 2 * CHUNK_ENTRIES + 3
