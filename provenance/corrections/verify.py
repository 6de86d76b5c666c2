"""Verify a correction log: every entry, the Merkle root against the signed checkpoint, and consistency.

:func:`verify_log` is pure (bytes in, :class:`~provenance.corrections.report.LogReport`
out), so it also runs on a zip member. It checks every signature (in worker
processes for big logs, over chunks of ``CHUNK_ENTRIES`` lines, each a perfect
Merkle subtree), the chain, the Merkle root against the checkpoint, and
consistency with an older trusted checkpoint; it reports every finding and
never raises for what it finds.
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import NamedTuple

from provenance import clock
from provenance.corrections import merkle, note
from provenance.corrections.entries import EntryJob, EntryResult, check_entries, read_record, split_lines
from provenance.corrections.errors import LogCheckFailed, NoteError, ProofError
from provenance.corrections.report import LogFinding, LogReport
from provenance.signing.trust import TrustRoot

__all__ = ["CHUNK_ENTRIES", "verify_log"]

PARALLEL_MIN_ENTRIES = 2000
CHUNK_HEIGHT = 10
CHUNK_ENTRIES = 1 << CHUNK_HEIGHT  # a power of two: each full chunk is a perfect Merkle subtree


class _ChunkResult(NamedTuple):
    entries: list[EntryResult]
    root: bytes  # MTH of the chunk's leaves: a perfect subtree when the chunk is a power of two long


def _check_chunk(job: EntryJob) -> _ChunkResult:
    # The loop makes no reference cycles; pausing the collector saves it scanning every record.
    enabled = gc.isenabled()
    gc.disable()
    try:
        entries = check_entries(job)
    finally:
        if enabled:
            gc.enable()
    return _ChunkResult(entries, merkle.root([e.leaf for e in entries]))


# Jobs handed to forked workers: they inherit this list (copy-on-write) instead of
# receiving every line through a pipe. Set only while a pool runs.
_FORK_JOBS: list[EntryJob] = []


def _check_forked_chunk(index: int) -> _ChunkResult:
    return _check_chunk(_FORK_JOBS[index])


def _run_jobs(jobs: list[EntryJob], workers: int | None) -> list[_ChunkResult]:
    total = sum(len(j.lines) for j in jobs)
    n_workers = workers if workers is not None else len(os.sched_getaffinity(0))
    if n_workers <= 1 or total < PARALLEL_MIN_ENTRIES or len(jobs) == 1:
        return [_check_chunk(job) for job in jobs]
    n_workers = min(n_workers, len(jobs))
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        global _FORK_JOBS
        _FORK_JOBS = jobs
        # Frozen objects are never scanned by the children's collector, so it does not
        # walk (and copy-on-write) the parent's whole heap.
        gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=n_workers, mp_context=multiprocessing.get_context("fork")) as pool:
                return list(pool.map(_check_forked_chunk, range(len(jobs))))
        finally:
            _FORK_JOBS = []
            gc.unfreeze()
    with ProcessPoolExecutor(max_workers=n_workers) as pool:
        return list(pool.map(_check_chunk, jobs))


def _peek_origin(line: bytes) -> str | None:
    """The ``log`` field of an entry's payload, read without verifying anything."""
    try:
        value = read_record(line, 0).get("log")
    except LogCheckFailed:
        return None
    return value if isinstance(value, str) else None


def _log_keys(trust: TrustRoot) -> list[bytes]:
    keys, _ = trust.keys_for("log")
    return [k.raw for k in keys.values()]


def _read_checkpoint(text: bytes | None, trust: TrustRoot | None, origin: str | None,
                     has_lines: bool) -> tuple[note.Checkpoint | None, bool, list[LogFinding]]:
    """The checkpoint, whether its signature was verified, and what is wrong with it."""
    if text is None:
        return None, False, [LogFinding("no-checkpoint", "no checkpoint: truncation of the log cannot be detected", None,
                                        "error" if has_lines else "warning")]
    try:
        checkpoint = note.parse_checkpoint(text)
    except NoteError as exc:
        return None, False, [LogFinding("checkpoint", f"checkpoint: {exc}")]
    if trust is None:
        return checkpoint, False, []
    try:
        note.verify_checkpoint(text, _log_keys(trust), origin=origin)
    except NoteError as exc:
        return checkpoint, False, [LogFinding("checkpoint", f"checkpoint: {exc}")]
    return checkpoint, True, []


def _jobs(lines: list[bytes], origin: str | None, trust: TrustRoot | None) -> list[EntryJob]:
    corrector: dict[str, bytes] | None = None
    threshold = 1
    revoked: dict[str, bytes] = {}
    if trust is not None:
        keys, threshold = trust.keys_for("corrector")
        corrector = {k: v.raw for k, v in keys.items()}
        revoked = {k: v.raw for k, v in trust.revoked.items()}
    jobs: list[EntryJob] = []
    prev_hash: str | None = None
    for start in range(0, len(lines), CHUNK_ENTRIES):
        chunk = lines[start : start + CHUNK_ENTRIES]
        jobs.append(EntryJob(start, chunk, prev_hash, origin, corrector, threshold, revoked))
        prev_hash = hashlib.sha256(chunk[-1]).hexdigest()
    return jobs


def _entry_findings(results: Sequence[EntryResult], line_hashes: Sequence[str],
                    trust: TrustRoot | None) -> tuple[list[LogFinding], list[int]]:
    """Findings across entries (problems, time order, revoked signers, supersedes) and the seqs with a record."""
    findings: list[LogFinding] = []
    good: list[int] = []
    last_time = ""
    revocation_times = trust.revoked_at if trust is not None else {}
    for seq, result in enumerate(results):
        for code, message in result.problems:
            findings.append(LogFinding(code, message, seq))
        if not result.has_record:
            continue
        issued_at = result.issued_at
        if issued_at is not None:
            if issued_at < last_time:
                findings.append(LogFinding("time", f"issued_at {issued_at} is earlier than the previous entry's {last_time}", seq))
            last_time = max(last_time, issued_at)
        if result.revoked_signer is not None:
            when = revocation_times.get(result.revoked_signer)
            stamp = clock.rfc3339(when) if when is not None else None
            if stamp is not None and issued_at is not None and issued_at < stamp:
                findings.append(LogFinding("revoked-key", f"signed by key {result.revoked_signer[:16]}, revoked at {stamp}, "
                                           "and dated before that (the date is the signer's own claim)", seq, "warning"))
            else:
                findings.append(LogFinding("revoked-key", f"signed by revoked key {result.revoked_signer[:16]} after its revocation", seq))
        if result.supersedes is not None:
            target, sha = result.supersedes
            if not 0 <= target < seq or line_hashes[target] != sha:
                findings.append(LogFinding("supersedes", f"supersedes entry {target}, whose bytes do not match the stated sha256", seq))
        good.append(seq)
    return findings, good


def _tree_root(chunks: Sequence[_ChunkResult]) -> bytes:
    tree = merkle.CompactTree()
    for done in chunks:  # every chunk but the last is a perfect subtree of CHUNK_ENTRIES leaves
        if len(done.entries) == CHUNK_ENTRIES:
            tree.append_subtree(done.root, CHUNK_HEIGHT)
        else:
            for entry in done.entries:
                tree.append(entry.leaf)
    return tree.root()


def _checkpoint_findings(checkpoint: note.Checkpoint, size: int, root: bytes,
                         leaf_hashes: Sequence[bytes]) -> list[LogFinding]:
    if checkpoint.size > size:
        return [LogFinding("truncated", f"checkpoint covers {checkpoint.size} entries but the log has {size}: entries were removed")]
    found: list[LogFinding] = []
    prefix_root = root if checkpoint.size == size else merkle.root(leaf_hashes, checkpoint.size)
    if prefix_root != checkpoint.root:
        found.append(LogFinding("root-mismatch", f"the first {checkpoint.size} entries do not hash to the checkpoint's root: "
                                "entries were edited, reordered or replaced"))
    if checkpoint.size < size:
        found.append(LogFinding("uncheckpointed", f"{size - checkpoint.size} entries after the checkpoint (size {checkpoint.size}) "
                                "are not yet checkpointed", checkpoint.size, "warning"))
    return found


def verify_log(
    entries_bytes: bytes,
    checkpoint_text: bytes | None,
    *,
    trust: TrustRoot | None,
    since_checkpoint: bytes | None = None,
    origin: str | None = None,
    workers: int | None = None,
) -> LogReport:
    """Verify a correction log given as bytes; never raises for what it finds, it reports.

    Checks: every line a DSSE envelope signed by a threshold of ``corrector`` keys
    (when ``trust`` is given), a valid correction-record-v1 at its ``seq``, in this
    log's ``origin``, chained by ``prev``, issued_at never decreasing, supersedes
    pointing at an earlier entry's bytes; the checkpoint signed by a ``log`` key,
    of this origin, no larger than the log, with the root of that prefix; and an
    older checkpoint (``since_checkpoint``) consistent with it. Findings with
    severity ``warning``: a torn last line, entries not yet checkpointed,
    signatures not checked (no trust root).
    """
    findings: list[LogFinding] = []
    lines, torn = split_lines(entries_bytes)
    if torn:
        findings.append(LogFinding("torn-tail", f"the last {torn} bytes are a torn, uncommitted line (no newline); "
                                   "the next append removes them", len(lines), "warning"))
    checkpoint, checkpoint_verified, cp_findings = _read_checkpoint(checkpoint_text, trust, origin, bool(lines))
    findings.extend(cp_findings)
    if origin is None:
        origin = checkpoint.origin if checkpoint is not None else (_peek_origin(lines[0]) if lines else None)
    if checkpoint is not None and checkpoint.origin != origin:
        findings.append(LogFinding("origin", f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}"))
    if trust is None:
        findings.append(LogFinding("unauthenticated", "no trust root given: signatures and the checkpoint were not verified",
                                   None, "warning"))
    elif not trust.keys_for("corrector")[0]:
        findings.append(LogFinding("trust", "the trust root names no corrector keys"))

    chunks = _run_jobs(_jobs(lines, origin, trust), workers)
    results = [entry for done in chunks for entry in done.entries]
    leaf_hashes = [r.leaf for r in results]
    line_hashes = [r.line_sha for r in results]
    entry_findings, good = _entry_findings(results, line_hashes, trust)
    findings.extend(entry_findings)

    root = _tree_root(chunks)
    if checkpoint is not None:
        findings.extend(_checkpoint_findings(checkpoint, len(lines), root, leaf_hashes))
    if since_checkpoint is not None:
        log_keys = _log_keys(trust) if trust is not None else []
        findings.extend(_check_since(since_checkpoint, checkpoint, leaf_hashes, log_keys, origin, trust is not None))

    return LogReport(
        origin=origin,
        size=len(lines),
        root=root,
        checkpoint=checkpoint,
        checkpoint_verified=checkpoint_verified,
        signatures_verified=trust is not None,
        torn_bytes=torn,
        findings=tuple(findings),
        lines=tuple(lines),
        record_seqs=tuple(good),
        leaf_hashes=tuple(leaf_hashes),
        line_hashes=tuple(line_hashes),
    )


def _check_since(
    since: bytes,
    current: note.Checkpoint | None,
    leaf_hashes: Sequence[bytes],
    log_keys: Sequence[bytes],
    origin: str | None,
    authenticated: bool,
) -> list[LogFinding]:
    """Consistency of an older trusted checkpoint with the current checkpoint and entries."""
    try:
        old = note.verify_checkpoint(since, log_keys, origin=origin)[0] if authenticated else note.parse_checkpoint(since)
    except NoteError as exc:
        return [LogFinding("since-checkpoint", f"older checkpoint: {exc}")]
    if origin is not None and old.origin != origin:
        return [LogFinding("since-checkpoint", f"older checkpoint is for log {old.origin!r}, not {origin!r}")]
    if old.size > len(leaf_hashes):
        return [LogFinding("truncated", f"an earlier checkpoint covered {old.size} entries; the log now has {len(leaf_hashes)}: "
                           "entries were removed")]
    found: list[LogFinding] = []
    if current is not None and old.size > current.size:
        found.append(LogFinding("rollback", f"the checkpoint (size {current.size}) is older than a checkpoint already seen "
                                f"(size {old.size}): rolled back"))
    if old.size > 0 and merkle.root(leaf_hashes, old.size) != old.root:
        if current is not None and old.size == current.size and old.root != current.root:
            found.append(LogFinding("fork", f"two checkpoints of size {old.size} signed with different roots: the log forked (equivocation)"))
        else:
            found.append(LogFinding("inconsistent", f"the first {old.size} entries no longer hash to the earlier checkpoint's root: "
                                    "history was rewritten"))
        return found
    if current is not None and 0 < old.size <= current.size <= len(leaf_hashes):
        try:
            proof = merkle.consistency_proof(leaf_hashes, old.size, current.size)
            merkle.verify_consistency(old.size, current.size, proof, old.root, current.root)
        except ProofError as exc:
            found.append(LogFinding("inconsistent", f"no consistency between the earlier and current checkpoints: {exc}"))
    return found
