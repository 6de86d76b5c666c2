"""Verify a correction log: every entry, the Merkle root against the signed checkpoint, and consistency.

:func:`verify_log_blocks` is pure (blocks of bytes in, a
:class:`~provenance.corrections.report.LogReport` out) and streams: the log is
cut into chunks of ``CHUNK_ENTRIES`` lines (each a perfect Merkle subtree),
worker processes check the chunks (signatures, records, chain, and the status
folded per chunk), and the parent keeps only leaf hashes, line digests and the
findings. It also checks the Merkle root against the checkpoint and consistency
with an older trusted checkpoint; it reports every finding and never raises
for what it finds. :func:`verify_log` is the same on one ``bytes``.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import itertools
import multiprocessing
import os
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import NamedTuple

from provenance import clock
from provenance.corrections import merkle, note
from provenance.corrections.entries import (
    ChunkJob,
    ChunkResult,
    ChunkSpan,
    KeyMaterial,
    check_chunk,
    load_facts,
    read_record,
)
from provenance.corrections.errors import LogCheckFailed, NoteError, ProofError
from provenance.corrections.report import LogFinding, LogReport
from provenance.corrections.status import (
    FoldedRun,
    HistoryItem,
    StatusView,
    fold_runs,
    status_view,
    with_superseded_by,
)
from provenance.signing.trust import TrustRoot

__all__ = ["CHUNK_ENTRIES", "ReadAt", "verify_log", "verify_log_blocks"]

PARALLEL_MIN_ENTRIES = 2000
CHUNK_HEIGHT = 10
CHUNK_ENTRIES = 1 << CHUNK_HEIGHT  # a power of two: each full chunk is a perfect Merkle subtree
IN_FLIGHT_PER_WORKER = 2  # chunks queued per worker: enough to keep it busy, few enough to bound memory


# -- cutting the log into chunks -------------------------------------------------------------------


class _Chunk(NamedTuple):
    """``lines`` complete lines of the log from byte ``offset`` on: their bytes (not copied) and the last one's sha256."""

    offset: int
    lines: int
    view: memoryview
    last_line_sha256: str


@dataclass
class _Chunker:
    """Cuts blocks of a log into chunks of ``CHUNK_ENTRIES`` complete lines; ``torn`` is set at the end."""

    blocks: Iterable[bytes]
    torn: int = 0
    lines: int = 0

    def __iter__(self) -> Iterator[_Chunk]:
        pending = b""
        offset = 0  # of ``data`` in the log
        for block in self.blocks:
            data = pending + block if pending else block
            pos = 0
            while (end := _after_nth_newline(data, pos, CHUNK_ENTRIES)) > 0:
                self.lines += CHUNK_ENTRIES
                yield _chunk(data, pos, end, offset, CHUNK_ENTRIES)
                pos = end
            pending = data[pos:]
            offset += pos
        cut = pending.rfind(b"\n") + 1
        if cut:
            lines = pending.count(b"\n", 0, cut)
            self.lines += lines
            yield _chunk(pending, 0, cut, offset, lines)
        self.torn = len(pending) - cut


def _chunk(data: bytes, pos: int, end: int, offset: int, lines: int) -> _Chunk:
    last = data[data.rfind(b"\n", pos, end - 1) + 1 : end - 1]
    return _Chunk(offset + pos, lines, memoryview(data)[pos:end], hashlib.sha256(last).hexdigest())


def _after_nth_newline(data: bytes, pos: int, n: int) -> int:
    """The offset just after the ``n``-th newline from ``pos``, or -1 when there are fewer."""
    find = data.find
    for _ in range(n):
        pos = find(b"\n", pos) + 1
        if not pos:
            return -1
    return pos


# -- running the chunks ------------------------------------------------------------------------------


@dataclass
class _Jobs:
    """Makes each chunk's job, in log order: the chunk's bytes, or (``by_span``) where a worker reads them."""

    origin: str | None
    keys: KeyMaterial
    history: bool
    start: int = 0
    prev: str | None = None

    def job(self, chunk: _Chunk, by_span: bool) -> ChunkJob:
        span = ChunkSpan(chunk.offset, len(chunk.view), chunk.lines, chunk.last_line_sha256) if by_span else None
        job = ChunkJob(self.start, b"" if by_span else bytes(chunk.view), self.prev, self.origin, self.keys, self.history,
                       span)
        self.start += chunk.lines
        self.prev = chunk.last_line_sha256
        return job


ReadAt = Callable[[int, int], bytes]
"""``read_at(offset, length)``: that many bytes of the log from that offset (the bytes its blocks hold)."""

_read_at: ReadAt | None = None
"""Set in each worker forked by :func:`_run` when chunks are read in the workers."""


def _set_read_at(read_at: ReadAt) -> None:
    global _read_at
    _read_at = read_at


def _check_chunk_quietly(job: ChunkJob) -> ChunkResult:
    if job.span is not None:
        assert _read_at is not None, "a chunk given by span in a process without a reader"
        job = job._replace(data=_read_at(job.span.offset, job.span.length))
    # The loop makes no reference cycles; pausing the collector saves it scanning every record.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return check_chunk(job)
    finally:
        if enabled:
            gc.enable()


def _run(chunks: Iterator[_Chunk], jobs: _Jobs, workers: int | None, read_at: ReadAt | None) -> Iterator[ChunkResult]:
    """Each chunk's result, in order: in worker processes when the log is big enough to pay for them.

    Workers forked from this process read their chunks with ``read_at`` when it is given;
    otherwise each chunk's bytes are sent to them.
    """
    ahead: list[_Chunk] = []
    lines = 0
    for chunk in chunks:
        ahead.append(chunk)
        lines += chunk.lines
        if lines >= PARALLEL_MIN_ENTRIES:
            break
    n_workers = workers if workers is not None else len(os.sched_getaffinity(0))
    rest = itertools.chain(ahead, chunks)
    if n_workers <= 1 or lines < PARALLEL_MIN_ENTRIES:
        yield from (_check_chunk_quietly(jobs.job(chunk, False)) for chunk in rest)
        return
    forking = "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1
    context = multiprocessing.get_context("fork" if forking else None)
    # A forked worker inherits ``read_at`` (never pickled) and reads its chunks itself.
    by_span = forking and read_at is not None
    if read_at is not None and by_span:
        pool = ProcessPoolExecutor(n_workers, context, initializer=_set_read_at, initargs=(read_at,))
    else:
        pool = ProcessPoolExecutor(n_workers, context)
    # Frozen objects are never scanned by the children's collector, so it does not
    # walk (and copy-on-write) the parent's whole heap.
    gc.freeze()
    try:
        with pool:
            pending: deque[Future[ChunkResult]] = deque()
            for chunk in rest:
                pending.append(pool.submit(_check_chunk_quietly, jobs.job(chunk, by_span)))
                if len(pending) >= IN_FLIGHT_PER_WORKER * n_workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
    finally:
        gc.unfreeze()


# -- folding the chunks' results --------------------------------------------------------------------


@dataclass
class _Fold:
    """What the parent keeps while chunk results arrive, in log order."""

    trust: TrustRoot | None
    want_history: bool
    leaves: list[bytes] = field(default_factory=list)
    digests: list[bytes] = field(default_factory=list)
    findings: list[tuple[int, int, LogFinding]] = field(default_factory=list)
    runs: list[ChunkResult] = field(default_factory=list)
    tree: merkle.CompactTree = field(default_factory=merkle.CompactTree)
    last_time: str = ""
    size: int = 0

    def digest(self, seq: int) -> bytes:
        blob = self.digests[seq // CHUNK_ENTRIES]
        offset = (seq % CHUNK_ENTRIES) * 32
        return blob[offset : offset + 32]

    def add(self, result: ChunkResult) -> None:
        self.leaves.append(result.leaves)
        self.digests.append(result.digests)
        self.size += result.lines
        if result.lines == CHUNK_ENTRIES:
            self.tree.append_subtree(result.root, CHUNK_HEIGHT)
        else:
            for i in range(0, len(result.leaves), 32):
                self.tree.append(result.leaves[i : i + 32])
        self.findings.extend((seq, 0, LogFinding(code, message, seq)) for seq, code, message in result.problems)
        self._times(result.times)
        self._revoked(result.revoked)
        self._supersedes(result.supersedes)
        self.runs.append(result._replace(leaves=b"", digests=b"", problems=[], times=[]))

    def _times(self, times: Sequence[tuple[int, str]]) -> None:
        last = self.last_time
        for seq, issued_at in times:
            if issued_at < last:
                self.findings.append((seq, 1, LogFinding("time", f"issued_at {issued_at} is earlier than the previous entry's {last}", seq)))
            elif issued_at > last:
                last = issued_at
        self.last_time = last

    def _revoked(self, revoked: Sequence[tuple[int, str, str | None]]) -> None:
        revocation_times = self.trust.revoked_at if self.trust is not None else {}
        for seq, keyid, issued_at in revoked:
            when = revocation_times.get(keyid)
            stamp = clock.rfc3339(when) if when is not None else None
            if stamp is not None and issued_at is not None and issued_at < stamp:
                finding = LogFinding("revoked-key", f"signed by key {keyid[:16]}, revoked at {stamp}, and dated before that "
                                     "(the date is the signer's own claim)", seq, "warning")
            else:
                finding = LogFinding("revoked-key", f"signed by revoked key {keyid[:16]} after its revocation", seq)
            self.findings.append((seq, 2, finding))

    def _supersedes(self, supersedes: Sequence[tuple[int, int, str]]) -> None:
        for seq, target, sha in supersedes:
            if not 0 <= target < seq or self.digest(target).hex() != sha:
                self.findings.append((seq, 3, LogFinding("supersedes", f"supersedes entry {target}, whose bytes do not "
                                                         "match the stated sha256", seq)))

    def entry_findings(self) -> list[LogFinding]:
        return [f for _, _, f in sorted(self.findings, key=lambda item: (item[0], item[1]))]

    def leaf_hashes(self) -> tuple[bytes, ...]:
        return tuple(blob[i : i + 32] for blob in self.leaves for i in range(0, len(blob), 32))

    def status(self) -> StatusView:
        runs = [FoldedRun(run.status, run.supersessions, run.record_seqs, functools.partial(load_facts, run.facts))
                for run in self.runs]
        total, superseded = fold_runs(runs)
        history: list[HistoryItem] = []
        if self.want_history:
            for run in self.runs:
                history.extend(pickle.loads(run.history))
            history = with_superseded_by(history, superseded)
        return status_view(total, history)


# -- the whole log -----------------------------------------------------------------------------------


def _log_keys(trust: TrustRoot) -> list[bytes]:
    keys, _ = trust.keys_for("log")
    return [k.raw for k in keys.values()]


def _key_material(trust: TrustRoot | None) -> KeyMaterial:
    if trust is None:
        return KeyMaterial(None, 1, {})
    keys, threshold = trust.keys_for("corrector")
    return KeyMaterial({k: v.raw for k, v in keys.items()}, threshold, {k: v.raw for k, v in trust.revoked.items()})


def _read_checkpoint(text: bytes | None, trust: TrustRoot | None,
                     origin: str | None) -> tuple[note.Checkpoint | None, bool, list[LogFinding]]:
    """The checkpoint, whether its signature was verified, and what is wrong with it (None: no checkpoint)."""
    if text is None:
        return None, False, []
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


def _peek_origin(chunk: _Chunk) -> str | None:
    """The ``log`` field of the first entry's payload, read without verifying anything."""
    data = bytes(chunk.view)
    try:
        value = read_record(data[: data.find(b"\n")], 0).get("log")
    except LogCheckFailed:
        return None
    return value if isinstance(value, str) else None


def _first_and_rest(chunks: Iterable[_Chunk]) -> tuple[_Chunk | None, Iterator[_Chunk]]:
    iterator = iter(chunks)
    first = next(iterator, None)
    return first, itertools.chain([first] if first is not None else [], iterator)


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
    history: bool = True,
) -> LogReport:
    """:func:`verify_log_blocks` of a log given as one ``bytes`` (a file's or a zip member's)."""
    return verify_log_blocks([entries_bytes], checkpoint_text, trust=trust, since_checkpoint=since_checkpoint,
                             origin=origin, workers=workers, history=history,
                             read_at=lambda offset, length: entries_bytes[offset : offset + length])


def verify_log_blocks(
    blocks: Iterable[bytes],
    checkpoint_text: bytes | None,
    *,
    trust: TrustRoot | None,
    since_checkpoint: bytes | None = None,
    origin: str | None = None,
    workers: int | None = None,
    history: bool = True,
    read_at: ReadAt | None = None,
) -> LogReport:
    """Verify a correction log read as consecutive blocks of bytes; never raises for what it finds, it reports.

    Checks: every line a DSSE envelope signed by a threshold of ``corrector`` keys
    (when ``trust`` is given), a valid correction-record-v1 at its ``seq``, in this
    log's ``origin``, chained by ``prev``, issued_at never decreasing, supersedes
    pointing at an earlier entry's bytes; the checkpoint signed by a ``log`` key,
    of this origin, no larger than the log, with the root of that prefix; and an
    older checkpoint (``since_checkpoint``) consistent with it. Findings with
    severity ``warning``: a torn last line, entries not yet checkpointed,
    signatures not checked (no trust root). ``history=False`` leaves the
    status's history empty (for callers that show only the status). ``read_at``
    reads the same bytes the blocks hold by offset: given, worker processes read
    their chunks themselves instead of receiving them through a pipe (a worker
    whose bytes differ from what was cut reports a ``changed`` finding).
    """
    checkpoint, checkpoint_verified, cp_findings = _read_checkpoint(checkpoint_text, trust, origin)
    chunker = _Chunker(blocks)
    first, chunks = _first_and_rest(chunker)
    if origin is None:
        origin = checkpoint.origin if checkpoint is not None else (_peek_origin(first) if first is not None else None)
    folded = _Fold(trust, history)
    for result in _run(chunks, _Jobs(origin, _key_material(trust), history), workers, read_at):
        folded.add(result)
    size = folded.size

    findings: list[LogFinding] = []
    if chunker.torn:
        findings.append(LogFinding("torn-tail", f"the last {chunker.torn} bytes are a torn, uncommitted line (no newline); "
                                   "the next append removes them", size, "warning"))
    findings.extend(cp_findings)
    if checkpoint_text is None:
        findings.append(LogFinding("no-checkpoint", "no checkpoint: truncation of the log cannot be detected", None,
                                   "error" if size else "warning"))
    if checkpoint is not None and checkpoint.origin != origin:
        findings.append(LogFinding("origin", f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}"))
    if trust is None:
        findings.append(LogFinding("unauthenticated", "no trust root given: signatures and the checkpoint were not verified",
                                   None, "warning"))
    elif not trust.keys_for("corrector")[0]:
        findings.append(LogFinding("trust", "the trust root names no corrector keys"))
    findings.extend(folded.entry_findings())

    root = folded.tree.root()
    leaf_hashes = folded.leaf_hashes()
    if checkpoint is not None:
        findings.extend(_checkpoint_findings(checkpoint, size, root, leaf_hashes))
    if since_checkpoint is not None:
        log_keys = _log_keys(trust) if trust is not None else []
        findings.extend(_check_since(since_checkpoint, checkpoint, leaf_hashes, log_keys, origin, trust is not None))

    return LogReport(
        origin=origin,
        size=size,
        root=root,
        checkpoint=checkpoint,
        checkpoint_verified=checkpoint_verified,
        signatures_verified=trust is not None,
        torn_bytes=chunker.torn,
        findings=tuple(findings),
        status=folded.status(),
        leaf_hashes=leaf_hashes,
        line_digests=b"".join(folded.digests),
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
