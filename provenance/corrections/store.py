"""The log on disk: reading a consistent snapshot, and locked, durable appends.

Storage. ``LOG`` holds one DSSE envelope (RFC 8785 JSON) per line; its payload
is a correction-record-v1 carrying ``log`` (the origin), ``seq`` and ``prev``
(sha256 of the previous line's bytes). Leaf ``i`` of the RFC 6962 tree is
``SHA-256(0x00 || line_i)`` over the stored bytes. ``LOG.checkpoint`` is a C2SP
checkpoint of the whole log signed by the log key (key name = origin).

Appends hold ``fcntl.flock`` on the log file, write the line in one
``O_APPEND`` write, fsync, then replace the checkpoint atomically. A crash
leaves at worst a torn last line (no newline) or a checkpoint one entry behind;
verification reports both as warnings and the next append repairs them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.atomic import atomic_write_bytes, fsync_dir
from provenance import clock
from provenance.corrections import fastpath, merkle, note
from provenance.corrections.entries import (
    HEAD_BYTES,
    EntryJob,
    KeyMaterial,
    check_entries,
    check_log_head,
    read_record,
    split_lines,
)
from provenance.corrections.errors import LogCheckFailed, LogInputError, NoteError
from provenance.corrections.record import (
    PAYLOAD_TYPE,
    RECORD_WIDE_TYPES,
    CorrectionRequest,
    build_record,
    origin_for,
    record_findings,
)
from provenance.corrections.status import claim_statuses
from provenance.errors import InputError
from provenance.inputfile import open_regular_fd, read_input_bytes
from provenance.jsonio import canonical_bytes, loads_strict
from provenance.signing.dsse import sign_envelope
from provenance.signing.keys import PublicKey, SigningKey
from provenance.signing.trust import TrustRoot

__all__ = ["AppendResult", "LogFiles", "LogStream", "append_correction", "checkpoint_path", "log_identity", "open_log",
           "read_log"]

CHECKPOINT_SUFFIX = ".checkpoint"
MAX_CHECKPOINT_BYTES = 1024 * 1024
"""A signed note of a few hundred bytes per signature: anything larger is not a checkpoint."""


def checkpoint_path(log_path: str | os.PathLike[str]) -> Path:
    """Where a log's checkpoint lives: ``LOG.checkpoint`` beside it."""
    p = Path(log_path)
    return p.with_name(p.name + CHECKPOINT_SUFFIX)


# -- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogFiles:
    """A log's bytes and its checkpoint's bytes (None when there is none)."""

    path: Path
    entries: bytes
    checkpoint: bytes | None


def read_log(path: str | os.PathLike[str]) -> LogFiles:
    """Read ``LOG`` and ``LOG.checkpoint`` as one consistent snapshot; a missing log is an :class:`InputError`.

    Holds a shared lock on the log while reading (appends hold it exclusively),
    and reads the checkpoint first: an append writes its line before its
    checkpoint, so the log read is never behind the checkpoint read.
    """
    p = Path(path)
    fd = _open_for_reading(p)
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH)
        checkpoint = _read_checkpoint(p)
        data = _read_fd(fd)
    finally:
        os.close(fd)
    return LogFiles(p, data, checkpoint)


def _open_for_reading(p: Path) -> int:
    """A read-only descriptor of the log file; one-line errors for a missing path or anything not a regular file."""
    if not os.path.lexists(p):
        raise LogInputError("no such correction log", where=str(p), remedy="check the path (the first `correct append` creates it)")
    return open_regular_fd(p, what="a correction log (.jsonl)")


def read_checkpoint_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a checkpoint file: a regular file of at most :data:`MAX_CHECKPOINT_BYTES` (else InputError)."""
    return read_input_bytes(path, max_bytes=MAX_CHECKPOINT_BYTES, what="a checkpoint (signed note)")


def _read_checkpoint(log: Path) -> bytes | None:
    """The checkpoint beside ``log``, or None when there is none."""
    cp_file = checkpoint_path(log)
    return read_checkpoint_file(cp_file) if os.path.lexists(cp_file) else None


class LogStream:
    """An open log, read as one consistent snapshot: its checkpoint, then its bytes block by block.

    Made by :func:`open_log`; the shared lock is held until the block ends.
    """

    def __init__(self, path: Path, fd: int, checkpoint: bytes | None, block_size: int) -> None:
        self.path = path
        self.checkpoint = checkpoint
        self._fd = fd
        self._block_size = block_size
        self._end = os.fstat(fd).st_size
        self.head = os.pread(fd, min(block_size, self._end), 0)

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of the log from ``offset``, within its size when opened (a worker forked
        from this process may call it: the descriptor is inherited)."""
        end = min(offset + length, self._end)
        parts: list[bytes] = []
        while offset < end:
            part = os.pread(self._fd, end - offset, offset)
            if not part:
                break
            parts.append(part)
            offset += len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def blocks(self) -> Iterator[bytes]:
        """The log's bytes up to its size when opened, in blocks (the first is :attr:`head`)."""
        offset = len(self.head)
        if self.head:
            yield self.head
        while offset < self._end:
            block = os.pread(self._fd, min(self._block_size, self._end - offset), offset)
            if not block:
                return
            offset += len(block)
            yield block


@contextlib.contextmanager
def open_log(path: str | os.PathLike[str], *, block_size: int = 8 << 20) -> Iterator[LogStream]:
    """Open ``LOG`` for streaming under a shared lock (appends wait), its checkpoint read first.

    The same snapshot as :func:`read_log` without holding the whole log in memory.
    """
    p = Path(path)
    fd = _open_for_reading(p)
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield LogStream(p, fd, _read_checkpoint(p), block_size)
    finally:
        os.close(fd)


def _read_fd(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks: list[bytes] = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def log_identity(first_line: bytes) -> tuple[str | None, str | None]:
    """The origin and record id named by a log's first entry (unverified; for defaults only)."""
    try:
        record = read_record(first_line, 0)
    except LogCheckFailed:
        return None, None
    origin = record.get("log")
    target = record.get("target")
    record_id = target.get("record_id") if isinstance(target, dict) else None
    return (origin if isinstance(origin, str) else None, record_id if isinstance(record_id, str) else None)


_RECORD_WIDE = tuple(canonical_bytes(t) for t in sorted(RECORD_WIDE_TYPES))
_NO_SUPERSEDES = re.compile(rb'"supersedes"\s*:\s*null')


def _may_matter(payload: bytes, needles: Sequence[bytes]) -> bool:
    """False only when the payload provably neither names a needle, is record-wide, nor supersedes.

    Without a backslash, every JSON string appears literally in the bytes, so a
    record naming a claim holds its quoted id; ``supersedes`` must occur once, as null.
    """
    if b"\\" in payload or any(n in payload for n in needles):
        return True
    return payload.count(b'"supersedes"') != 1 or _NO_SUPERSEDES.search(payload) is None


def records_about(lines: Sequence[bytes], claim_ids: set[str]) -> list[dict[str, Any]]:
    """The records that can affect the status of ``claim_ids``, in log order, parsing only those.

    A record matters when it names one of the claims, is record-wide (retraction,
    withdrawal, expression of concern) or supersedes another. Unverified: for
    entries vouched for by a signed checkpoint root.
    """
    needles = [canonical_bytes(c) for c in sorted(claim_ids)]
    needles.extend(_RECORD_WIDE)
    out: list[dict[str, Any]] = []
    for seq, line in enumerate(lines):
        payload = fastpath.narrow_payload(line)
        if payload is None:
            out.append(read_record(line, seq))
        elif _may_matter(payload, needles):
            record = loads_strict(payload, source=f"entry {seq} payload")
            out.append(record if isinstance(record, dict) else read_record(line, seq))
    return out


# -- appending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppendResult:
    """What an append committed."""

    seq: int
    origin: str
    line_sha256: str
    size: int
    root: bytes
    checkpoint: bytes
    record: Mapping[str, Any]
    repaired_bytes: int
    created: bool
    seeded: bool = False


@dataclass(frozen=True)
class _Authority:
    """Who may extend the log: corrector keys and threshold (None: not checked), and the log keys."""

    corrector: dict[str, PublicKey] | None
    threshold: int
    log_keys: list[bytes]


def _authority(trust: TrustRoot | None, signer: SigningKey, log_key: SigningKey) -> _Authority:
    """The keys the append checks against; refuses a signer or log key without its role in ``trust``."""
    if trust is None:
        return _Authority(None, 1, [log_key.public.raw])
    keys, threshold = trust.keys_for("corrector")
    if signer.keyid not in keys:
        raise InputError(
            f"key {signer.keyid[:16]} does not hold the corrector role in the trust root",
            remedy="sign with a corrector key, or add this key to the corrector role (provenance trust add-key)",
        )
    log_keys, _ = trust.keys_for("log")
    if log_key.keyid not in log_keys:
        raise InputError(
            f"log key {log_key.keyid[:16]} does not hold the log role in the trust root",
            remedy="give --log-key a key of the log role",
        )
    return _Authority(dict(keys), threshold, [k.raw for k in log_keys.values()])


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    """Open ``path`` for appending (creating it) and hold an exclusive flock until the block ends."""
    if not path.parent.is_dir():
        raise LogInputError("directory does not exist", where=str(path.parent), remedy="create it first")
    fd = open_regular_fd(path, what="a correction log (.jsonl)", flags=os.O_RDWR | os.O_CREAT | os.O_APPEND)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


@dataclass(frozen=True)
class _LogState:
    """A log checked for extension: its lines, their leaf hashes and its origin."""

    lines: list[bytes]
    leaf_hashes: list[bytes]
    origin: str


def _origin(path: Path, lines: Sequence[bytes], origin: str | None, request: CorrectionRequest) -> str:
    """The log's origin: the first entry's, which an ``origin`` given must equal; else ``origin`` or one derived."""
    existing = read_record(lines[0], 0).get("log") if lines else None
    if existing is None:
        return origin if origin is not None else origin_for(request.record_id)
    if origin is not None and origin != existing:
        raise LogInputError(f"the log's origin is {existing!r}, not {origin!r}", where=str(path),
                            remedy="drop --origin, or give the log of that origin")
    return str(existing)


def _checkpointed_size(path: Path, cp_bytes: bytes | None, lines: Sequence[bytes], leaf_hashes: Sequence[bytes],
                       origin: str, authority: _Authority) -> int:
    """How many entries the log's checkpoint covers; refuses a checkpoint that does not verify or match."""
    cp_file = checkpoint_path(path)
    if cp_bytes is None:
        if lines:
            raise LogCheckFailed("the log has entries but no checkpoint", where=str(cp_file),
                                 remedy="restore the checkpoint beside the log (LOG.checkpoint)")
        return 0
    try:
        cp, _ = note.verify_checkpoint(cp_bytes, authority.log_keys, origin=origin)
    except NoteError as exc:
        raise LogCheckFailed(f"the log's checkpoint does not verify: {exc}", where=str(cp_file),
                             remedy="run `provenance correct verify`; do not extend a log you cannot verify") from None
    if cp.size > len(lines) or merkle.root(leaf_hashes, cp.size) != cp.root:
        raise LogCheckFailed(f"the log does not match its checkpoint (size {cp.size}, log has {len(lines)} entries)",
                             where=str(path), remedy="run `provenance correct verify`; restore the log from its last deposit")
    return cp.size


def _verify_after_checkpoint(path: Path, lines: list[bytes], checkpointed: int, origin: str, authority: _Authority) -> None:
    """Entries after the checkpoint (a crash between line and checkpoint) must verify before we build on them."""
    if checkpointed == len(lines):
        return
    prev = hashlib.sha256(lines[checkpointed - 1]).hexdigest() if checkpointed else None
    corrector = {k: v.raw for k, v in authority.corrector.items()} if authority.corrector is not None else None
    job = EntryJob(checkpointed, lines[checkpointed:], prev, origin, KeyMaterial(corrector, authority.threshold, {}))
    for offset, result in enumerate(check_entries(job)):
        if result.problems:
            code, message = result.problems[0]
            raise LogCheckFailed(f"entry {checkpointed + offset} after the checkpoint fails: {message} [{code}]",
                                 where=str(path), remedy="run `provenance correct verify`")


def _next_record(state: _LogState, request: CorrectionRequest, signer: SigningKey, issued_at: str | None) -> dict[str, Any]:
    """The record of the next entry: its position, chain link, claims' current statuses and time; validated."""
    lines = state.lines
    seq = len(lines)
    wanted = {c.claim_id for c in request.claims}
    claim_before = claim_statuses(records_about(lines, wanted), wanted) if wanted else {}
    sup_sha = None
    if request.supersedes_seq is not None:
        if not 0 <= request.supersedes_seq < seq:
            raise InputError(f"--supersedes {request.supersedes_seq}: the log has entries 0..{seq - 1}",
                             remedy="give the seq of an existing entry")
        sup_sha = hashlib.sha256(lines[request.supersedes_seq]).hexdigest()
    last_time = str(read_record(lines[-1], seq - 1).get("issued_at", "")) if lines else ""
    if issued_at is not None and issued_at < last_time:
        raise InputError(f"--issued-at {issued_at} is earlier than the last entry's issue time {last_time}",
                         remedy=f"give {last_time} or later (the log's times never go back), or leave --issued-at out")
    # Without --issued-at the entry is dated now, or the last entry's time if this clock is behind it.
    when = issued_at or max(clock.rfc3339(clock.utc_now()), last_time)
    record = build_record(
        request, origin=state.origin, seq=seq, prev=hashlib.sha256(lines[-1]).hexdigest() if lines else None,
        issuer_keyid=signer.keyid, issued_at=when, claim_status_before=claim_before, supersedes_sha256=sup_sha,
    )
    problems = record_findings(record)
    if problems:
        listed = "; ".join(str(p) for p in problems)
        raise InputError(f"the correction record would be invalid: {listed}", remedy="fix the options named")
    return record


def _signed_line(record: Mapping[str, Any], signer: SigningKey) -> bytes:
    line = canonical_bytes(sign_envelope(canonical_bytes(record), PAYLOAD_TYPE, [signer]))
    if b"\n" in line:
        raise AssertionError("canonical JSON never contains a raw newline")
    return line


@dataclass(frozen=True)
class _Snapshot:
    """What an append builds on: the log's bytes and checkpoint, or the seed's when the log is empty."""

    data: bytes
    checkpoint: bytes | None
    seeded: bool


def _snapshot(fd: int, path: Path, seed: tuple[bytes, bytes] | None) -> _Snapshot:
    data = _read_fd(fd)
    if not data and seed is not None and seed[0]:
        return _Snapshot(seed[0], seed[1], True)
    return _Snapshot(data, _read_checkpoint(path), False)


def _write_entry(fd: int, path: Path, snap: _Snapshot, torn: int, line: bytes, created: bool) -> None:
    """Seed the log, cut a torn tail, append ``line``: each step durable before the next."""
    if snap.seeded:
        _write_all(fd, snap.data)
        os.fsync(fd)
        if snap.checkpoint is not None:
            atomic_write_bytes(checkpoint_path(path), snap.checkpoint, 0o644)
    if torn:
        os.ftruncate(fd, len(snap.data) - torn)
        os.fsync(fd)
    _write_all(fd, line + b"\n")
    os.fsync(fd)
    if created:
        fsync_dir(path.parent)


def append_correction(
    log_path: str | os.PathLike[str],
    request: CorrectionRequest,
    *,
    signer: SigningKey,
    log_key: SigningKey,
    trust: TrustRoot | None,
    origin: str | None = None,
    issued_at: str | None = None,
    seed: tuple[bytes, bytes] | None = None,
) -> AppendResult:
    """Append one signed correction record to ``log_path`` and write a new checkpoint.

    The signer must hold the ``corrector`` role and ``log_key`` the ``log`` role in
    ``trust`` (checked when ``trust`` is given). The existing log must match its
    checkpoint (signed by ``log_key`` or a trusted log key); entries after the
    checkpoint must verify. ``seed`` (log bytes, checkpoint bytes), e.g. the log
    a bundle carries, fills an empty log under the lock before the append, so
    the history continues. Nothing is written until the log (or the seed) has
    been recognised as a log and verified, and the new entry built: then a torn
    last line is cut off and the entry appended. Raises :class:`LogInputError`
    for a file that is not a log, :class:`LogCheckFailed` rather than extend a
    log that does not verify, and :class:`InputError` for an ``issued_at``
    earlier than the last entry's.
    """
    path = Path(log_path)
    authority = _authority(trust, signer, log_key)
    with _locked(path) as fd:
        snap = _snapshot(fd, path, seed)
        lines, torn = split_lines(snap.data)
        if snap.data:
            check_log_head(snap.data[:HEAD_BYTES], str(path))
        leaf_hashes = [merkle.leaf_hash(line) for line in lines]
        state = _LogState(lines, leaf_hashes, _origin(path, lines, origin, request))
        checkpointed = _checkpointed_size(path, snap.checkpoint, lines, leaf_hashes, state.origin, authority)
        _verify_after_checkpoint(path, lines, checkpointed, state.origin, authority)
        record = _next_record(state, request, signer, issued_at)
        line = _signed_line(record, signer)
        # Only now, with the log recognised and verified and the entry built, is anything written.
        created = not lines or snap.seeded
        _write_entry(fd, path, snap, torn, line, created)
        tree = merkle.CompactTree(leaf_hashes)
        tree.append(merkle.leaf_hash(line))
        cp_out = note.sign_checkpoint(note.Checkpoint(state.origin, tree.size, tree.root()), log_key.public.raw, log_key.sign)
        atomic_write_bytes(checkpoint_path(path), cp_out, 0o644)
        return AppendResult(
            seq=len(lines), origin=state.origin, line_sha256=hashlib.sha256(line).hexdigest(), size=tree.size,
            root=tree.root(), checkpoint=cp_out, record=record, repaired_bytes=torn, created=created, seeded=snap.seeded,
        )
