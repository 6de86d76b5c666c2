"""Correction log: full verification of N signed entries vs bare Ed25519 verification; append latency.

Verify: ``provenance correct verify LOG --trust TRUST`` (the whole CLI: start-up,
the log streamed from disk, every DSSE signature on all cores, record shape,
seq, origin and prev chain, issued_at order, the status folded per chunk in
the workers, Merkle root against the signed checkpoint) against the bare
single-core ``Ed25519PublicKey.verify`` of the same signatures over their
pre-computed PAE bytes, measured in the same run on the same data. Goal: ours
>= 1.5x faster with peak RSS < 300 MB; where the ratio is below the goal the
machine's ceiling (the bare loop on two processes against one) is printed
beside it. ``verify_log`` in-process is measured too.

Append: one locked, fsynced append (read and check the log against its
checkpoint, fold the status, sign the entry, extend the tree, sign and write
the checkpoint) on a 10-entry log against the bare minimum of any signed
append-only file (sign the same line, write it, fsync); and how its cost grows
on a 1,000-entry log.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from provenance.corrections import merkle, note
from provenance.corrections.record import (
    PAYLOAD_TYPE,
    ClaimChange,
    CorrectionRequest,
    build_record,
    origin_for,
)
from provenance.corrections.store import append_correction, checkpoint_path
from provenance.corrections.verify import verify_log
from provenance.jsonio import canonical_bytes
from provenance.signing.dsse import pae
from provenance.signing.keys import SigningKey, generate_key
from provenance.signing.trust import (
    TrustRoot,
    add_key,
    init_trust_root,
    load_trust_root,
    write_trust_document,
)

VERIFY_TARGET = 1.5
RSS_TARGET_MB = 300
APPEND_TARGET = 25.0  # ours / bare sign+write+fsync: at most this many times the bare minimum
GROWTH_TARGET = 10.0  # append at 1,000 entries / append at 10 entries


def _dumps(obj: Any) -> bytes:
    # Equal to RFC 8785 for these ASCII-only, integer-and-string documents (checked on entry 0 below).
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def make_log(n: int, corrector: SigningKey, log_key: SigningKey,
             supersedes: dict[int, int] | None = None) -> tuple[bytes, bytes, list[tuple[bytes, bytes]]]:
    """N signed entries (as an append would write them), their checkpoint, and (sig, PAE) pairs.

    ``supersedes`` maps an entry's seq to the earlier seq it supersedes.
    """
    origin = origin_for("BENCH:1")
    lines: list[bytes] = []
    pairs: list[tuple[bytes, bytes]] = []
    tree = merkle.CompactTree()
    prev: str | None = None
    import hashlib

    for seq in range(n):
        target = (supersedes or {}).get(seq)
        request = CorrectionRequest(
            type="correction", record_id="BENCH:1", what_was_wrong=f"value of claim c{seq % 97} was mis-stated",
            reason_text="re-check of the arithmetic", claims=(ClaimChange(f"c{seq % 97}", before_values={"expected": "7.57"},
                                                                           after_values={"expected": "7.60"}),),
            supersedes_seq=target,
        )
        record = build_record(request, origin=origin, seq=seq, prev=prev, issuer_keyid=corrector.keyid,
                              issued_at="2026-11-22T01:00:00Z", claim_status_before={},
                              supersedes_sha256=hashlib.sha256(lines[target]).hexdigest() if target is not None else None,
                              record_uuid=f"urn:uuid:00000000-0000-4000-8000-{seq:012x}")
        payload = _dumps(record)
        message = pae(PAYLOAD_TYPE, payload)
        sig = corrector.sign(message)
        envelope = {"payload": base64.b64encode(payload).decode(), "payloadType": PAYLOAD_TYPE,
                    "signatures": [{"keyid": corrector.keyid, "sig": base64.b64encode(sig).decode()}]}
        line = _dumps(envelope)
        if seq == 0:
            assert payload == canonical_bytes(record) and line == canonical_bytes(envelope)
        lines.append(line)
        pairs.append((sig, message))
        tree.append(merkle.leaf_hash(line))
        prev = hashlib.sha256(line).hexdigest()
    cp = note.sign_checkpoint(note.Checkpoint(origin, n, tree.root()), log_key.public.raw, log_key.sign)
    return b"".join(line + b"\n" for line in lines), cp, pairs


def make_trust(directory: Path) -> tuple[TrustRoot, SigningKey, SigningKey]:
    now = datetime.now(UTC)
    root, corrector, log_key = generate_key(), generate_key(), generate_key()
    doc = init_trust_root([root], now=now, expires=now + timedelta(days=30))
    doc = add_key(doc, "corrector", corrector.public, [root], now=now)
    doc = add_key(doc, "log", log_key.public, [root], now=now)
    write_trust_document(directory / "trust-root.json", doc)
    return load_trust_root(directory / "trust-root.json"), corrector, log_key


def bare_verify(pairs: list[tuple[bytes, bytes]], raw: bytes) -> float:
    key = Ed25519PublicKey.from_public_bytes(raw)
    t0 = time.perf_counter()
    for sig, message in pairs:
        key.verify(sig, message)
    return time.perf_counter() - t0


def _bare_part(args: tuple[list[tuple[bytes, bytes]], bytes]) -> None:
    pairs, raw = args
    bare_verify(pairs, raw)


def bare_two_processes(pairs: list[tuple[bytes, bytes]], raw: bytes) -> float:
    """Wall time of the bare loop split over two forked processes: what two cores can give at best."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    half = len(pairs) // 2
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(_bare_part, [(pairs[:2], raw)] * 2))  # start both workers first
        t0 = time.perf_counter()
        list(pool.map(_bare_part, [(pairs[:half], raw), (pairs[half:], raw)]))
        return time.perf_counter() - t0


def cli_verify(log: Path, trust_path: Path, env: dict[str, str]) -> tuple[float, str]:
    """Wall seconds and stdout of one ``correct verify``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "provenance", "correct", "verify", str(log), "--trust", str(trust_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out, err = proc.communicate()
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"correct verify failed ({proc.returncode}): {err.decode()[-400:]}")
    return elapsed, out.decode()


def peak_rss_of_cli(log: Path, trust_path: Path, env: dict[str, str]) -> float:
    """Peak RSS (MB) of one ``correct verify`` run, alone in a fresh measuring process (RUSAGE_CHILDREN is a maximum)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    args = [sys.executable, "-c", code, sys.executable, "-m", "provenance", "correct", "verify", str(log), "--trust", str(trust_path)]
    return int(subprocess.run(args, check=True, capture_output=True, env=env).stdout) / 1024


def bench_append(directory: Path, entries: bytes, checkpoint: bytes, n_prefix: int, rounds: int,
                 trust: TrustRoot, corrector: SigningKey, log_key: SigningKey) -> tuple[float, float]:
    """Median seconds of one append to a log of ``n_prefix`` entries, and of bare sign+write+fsync."""
    log = directory / f"append-{n_prefix}.jsonl"
    lines = entries.split(b"\n")[:n_prefix]
    log.write_bytes(b"".join(line + b"\n" for line in lines))
    tree = merkle.CompactTree(merkle.leaf_hash(line) for line in lines)
    checkpoint_path(log).write_bytes(
        note.sign_checkpoint(note.Checkpoint(origin_for("BENCH:1"), len(lines), tree.root()), log_key.public.raw, log_key.sign)
    )
    ours: list[float] = []
    bare: list[float] = []
    bare_path = directory / "bare.jsonl"
    for i in range(rounds):
        request = CorrectionRequest(type="erratum", record_id="BENCH:1", what_was_wrong=f"typo {i}", reason_text="typo",
                                    claims=(ClaimChange(f"c{i}"),))
        t0 = time.perf_counter()
        result = append_correction(log, request, signer=corrector, log_key=log_key, trust=trust)
        ours.append(time.perf_counter() - t0)
        line = canonical_bytes(result.record)
        t0 = time.perf_counter()
        fd = os.open(bare_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            sig = corrector.sign(pae(PAYLOAD_TYPE, line))
            os.write(fd, line + base64.b64encode(sig) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        bare.append(time.perf_counter() - t0)
    return statistics.median(ours), statistics.median(bare)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10,000 entries instead of 100,000 (under 10 s)")
    parser.add_argument("--entries", type=int, default=None, help="number of log entries to verify")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds of peer and ours (best of each)")
    args = parser.parse_args()
    n = args.entries or (10_000 if args.quick else 100_000)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        trust, corrector, log_key = make_trust(directory)
        t0 = time.perf_counter()
        entries, checkpoint, pairs = make_log(n, corrector, log_key)
        print(f"generated {n:,} signed entries ({len(entries) / n:.0f} bytes each) in {time.perf_counter() - t0:.1f} s")

        # Alternate peer and ours and keep each one's best round: on a shared machine a
        # burst of other work then disturbs both sides alike instead of one.
        peer = ours = peer_cpu = main_cpu = child_cpu = float("inf")
        for _ in range(args.rounds or (3 if args.quick else 2)):
            cpu0 = time.process_time()
            elapsed = bare_verify(pairs, corrector.public.raw)
            if elapsed < peer:
                peer, peer_cpu = elapsed, time.process_time() - cpu0
            children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            report = verify_log(entries, checkpoint, trust=trust)
            elapsed = time.perf_counter() - t0
            children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if elapsed < ours:
                ours, main_cpu = elapsed, time.process_time() - cpu0
                child_cpu = (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime)
        if not report.ok or report.findings:
            print("verification failed unexpectedly:", [str(f) for f in report.findings[:5]])
            return 1
        ratio = peer / ours
        cores = os.cpu_count() or 1
        sample = pairs[: max(2000, len(pairs) // 8)]
        ceiling = bare_verify(sample, corrector.public.raw) / bare_two_processes(sample, corrector.public.raw)
        print(f"(this machine's ceiling: the bare loop split over 2 processes runs {ceiling:.2f}x faster than on one)")
        print(f"best of alternating rounds; bare Ed25519 verify, one core: {peer:7.2f} s ({n / peer:,.0f}/s)")
        print(f"verify_log, {cores} core(s), all checks:  {ours:7.2f} s ({n / ours:,.0f}/s)")
        print(f"speed-up {ratio:.2f}x (target >= {VERIFY_TARGET}x)  {'met' if ratio >= VERIFY_TARGET else 'NOT met'}")
        rows.append({"figure": f"verify {n:,}-entry correction log, wall (s)", "ours": round(ours, 3), "peer": round(peer, 3),
                     "ratio": round(ratio, 3), "target": VERIFY_TARGET, "met": ratio >= VERIFY_TARGET})
        # On a shared machine the other core is often busy, so wall time cannot show what two
        # cores give. The critical path in CPU seconds can: the main process plus one worker's
        # share (pool.map hands out chunks on demand, so the workers' loads are balanced).
        workers = min(len(os.sched_getaffinity(0)), 2) if child_cpu > 0 else 1
        critical = main_cpu + child_cpu / workers
        cpu_ratio = peer_cpu / critical
        print(f"CPU seconds: bare {peer_cpu:.2f}; ours main {main_cpu:.2f} + workers {child_cpu:.2f} "
              f"-> critical path on {workers} core(s) {critical:.2f}; ratio {cpu_ratio:.2f}")
        rows.append({"figure": f"verify {n:,}-entry correction log, critical-path CPU (s)", "ours": round(critical, 3),
                     "peer": round(peer_cpu, 3), "ratio": round(cpu_ratio, 3), "target": VERIFY_TARGET,
                     "met": cpu_ratio >= VERIFY_TARGET})

        # The whole CLI on the log as a file, against the same bare loop, alternating rounds.
        log = directory / "log.jsonl"
        log.write_bytes(entries)
        checkpoint_path(log).write_bytes(checkpoint)
        env = {**os.environ, "XDG_STATE_HOME": str(directory / "state")}
        cli = cli_peer = float("inf")
        for _ in range(args.rounds or (3 if args.quick else 2)):
            cli_peer = min(cli_peer, bare_verify(pairs, corrector.public.raw))
            elapsed, out = cli_verify(log, directory / "trust-root.json", env)
            if "verified" not in out:
                print("correct verify did not verify:", out[-300:])
                return 1
            cli = min(cli, elapsed)
        rss = peak_rss_of_cli(log, directory / "trust-root.json", env)
        cli_ratio = cli_peer / cli
        met = cli_ratio >= VERIFY_TARGET
        beside = "" if met else f"; this machine's ceiling {ceiling:.2f}x (bare loop on 2 processes vs 1)"
        print(f"`provenance correct verify` of {n:,} entries (whole CLI): {cli:7.2f} s; bare one-core loop {cli_peer:.2f} s; "
              f"ratio {cli_ratio:.2f}x (goal >= {VERIFY_TARGET}x) {'met' if met else 'NOT met'}{beside}")
        print(f"peak RSS of `correct verify`: {rss:.0f} MB (goal < {RSS_TARGET_MB} MB) {'met' if rss < RSS_TARGET_MB else 'NOT met'}")
        rows.append({"figure": f"`correct verify` {n:,} entries, whole CLI, wall (s)", "ours": round(cli, 3),
                     "peer": round(cli_peer, 3), "ratio": round(cli_ratio, 3), "target": VERIFY_TARGET, "met": met,
                     "ceiling": round(ceiling, 3)})
        rows.append({"figure": f"`correct verify` {n:,} entries, peak RSS (MB)", "ours": round(rss, 1), "peer": None,
                     "ratio": None, "target": RSS_TARGET_MB, "met": rss < RSS_TARGET_MB})

        rounds = 10 if args.quick else 20
        small, bare_append = bench_append(directory, entries, checkpoint, 10, rounds, trust, corrector, log_key)
        prefix = min(1000, n)
        large, _ = bench_append(directory, entries, checkpoint, prefix, rounds, trust, corrector, log_key)
        a_ratio = small / bare_append
        growth = large / small
        print(f"append to a 10-entry log: {small * 1000:.1f} ms median of {rounds}; bare sign+write+fsync "
              f"{bare_append * 1000:.2f} ms; ratio {a_ratio:.1f} (target <= {APPEND_TARGET})")
        print(f"append to a {prefix:,}-entry log: {large * 1000:.1f} ms; {growth:.1f}x the 10-entry append "
              f"(each append re-checks the log against its checkpoint: O(n) hashing; target <= {GROWTH_TARGET})")
        rows.append({"figure": "append latency at 10 entries (ms)", "ours": round(small * 1000, 2),
                     "peer": round(bare_append * 1000, 2), "ratio": round(a_ratio, 2), "target": APPEND_TARGET,
                     "met": a_ratio <= APPEND_TARGET})
        rows.append({"figure": f"append latency at {prefix:,} vs 10 entries (ms)", "ours": round(large * 1000, 2),
                     "peer": round(small * 1000, 2), "ratio": round(growth, 2), "target": GROWTH_TARGET,
                     "met": growth <= GROWTH_TARGET})
    print(json.dumps({"bench": "corrections", "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
