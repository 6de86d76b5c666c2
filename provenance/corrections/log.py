"""The correction log: JSONL of DSSE envelopes, locked appends, Merkle checkpoints, full verification.

Storage. ``LOG`` holds one DSSE envelope (RFC 8785 JSON) per line; its payload
is a correction-record-v1 carrying ``log`` (the origin), ``seq`` and ``prev``
(sha256 of the previous line's bytes). Leaf ``i`` of the RFC 6962 tree is
``SHA-256(0x00 || line_i)`` over the stored bytes. ``LOG.checkpoint`` is a C2SP
checkpoint of the whole log signed by the log key (key name = origin).

Appends hold ``fcntl.flock`` on the log file, write the line in one
``O_APPEND`` write, fsync, then replace the checkpoint atomically. A crash
leaves at worst a torn last line (no newline) or a checkpoint one entry behind;
:func:`verify_log` reports both as warnings and the next append repairs them.

:func:`verify_log` is pure (bytes in, :class:`LogReport` out) so it also runs on
a zip member; it checks every signature (in worker processes for big logs),
the chain, the Merkle root against the checkpoint, and consistency with an
older trusted checkpoint, and reports every finding.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import functools
import gc
import hashlib
import json
import multiprocessing
import os
import re
import stat
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from archive.atomic import atomic_write_bytes
from provenance.corrections import merkle, note
from provenance.corrections.errors import LogCheckFailed, LogInputError, NoteError, ProofError
from provenance.corrections.record import (
    PAYLOAD_TYPE,
    CorrectionRequest,
    build_record,
    fast_record_findings,
    origin_for,
    record_findings,
    utc_now,
)
from provenance.corrections.status import StatusView, claim_statuses, current_status
from provenance.errors import InputError, ProvenanceError
from provenance.jsonio import canonical_bytes, loads_strict
from provenance.signing.dsse import MAX_SIGNATURES, pae, parse_envelope, sign_envelope, verify_envelope
from provenance.signing.keys import PublicKey, SigningKey, signature_is_canonical
from provenance.signing.trust import TrustRoot

__all__ = [
    "AppendResult",
    "Finding",
    "LogFiles",
    "LogReport",
    "append_correction",
    "checkpoint_path",
    "current_status",
    "read_log",
    "verify_log",
]

CHECKPOINT_SUFFIX = ".checkpoint"
PARALLEL_MIN_ENTRIES = 2000
CHUNK_HEIGHT = 10
CHUNK_ENTRIES = 1 << CHUNK_HEIGHT  # a power of two: each full chunk is a perfect Merkle subtree


def checkpoint_path(log_path: str | os.PathLike[str]) -> Path:
    """Where a log's checkpoint lives: ``LOG.checkpoint`` beside it."""
    p = Path(log_path)
    return p.with_name(p.name + CHECKPOINT_SUFFIX)


# -- findings and the report ---------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing verification found. ``severity`` is ``error`` (verification fails) or ``warning``."""

    code: str
    message: str
    seq: int | None = None
    severity: str = "error"

    def __str__(self) -> str:
        at = f"entry {self.seq}: " if self.seq is not None else ""
        return f"{self.severity}: {at}{self.message} [{self.code}]"

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "seq": self.seq, "message": self.message}


@dataclass(frozen=True)
class LogReport:
    """Everything verification established about a log, and every finding."""

    origin: str | None
    size: int
    root: bytes
    checkpoint: note.Checkpoint | None
    checkpoint_verified: bool
    signatures_verified: bool
    torn_bytes: int
    findings: tuple[Finding, ...]
    lines: tuple[bytes, ...] = field(repr=False)
    record_seqs: tuple[int, ...] = field(repr=False)
    leaf_hashes: tuple[bytes, ...] = field(repr=False)
    line_hashes: tuple[str, ...] = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @functools.cached_property
    def records(self) -> tuple[Mapping[str, Any], ...]:
        """The records of the entries that parsed and verified, in log order (decoded on first use)."""
        return tuple(_fast_payload(self.lines[i], i) for i in self.record_seqs)

    @functools.cached_property
    def status(self) -> StatusView:
        return current_status(self.records)

    def as_json(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "ok": self.ok,
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode("ascii"),
            "root_hex": self.root.hex(),
            "checkpoint": None
            if cp is None
            else {
                "origin": cp.origin,
                "size": cp.size,
                "root": base64.b64encode(cp.root).decode("ascii"),
                "signature_verified": self.checkpoint_verified,
            },
            "signatures_verified": self.signatures_verified,
            "torn_bytes": self.torn_bytes,
            "findings": [f.as_json() for f in self.findings],
            "status": self.status.as_json(),
        }


def split_lines(data: bytes) -> tuple[list[bytes], int]:
    """Complete lines (without newline) and the byte count of a torn last line, if any."""
    if not data:
        return [], 0
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1]
    return lines, len(data) - end


# -- per-entry checks (run in worker processes for big logs) ---------------------------


@dataclass(frozen=True)
class _Job:
    start: int
    lines: list[bytes]
    prev: str | None
    origin: str | None
    corrector: dict[str, bytes] | None
    threshold: int
    revoked: dict[str, bytes]


class _EntryResult(NamedTuple):
    """What a worker found about one line; a small tuple, so it crosses process boundaries cheaply."""

    leaf: bytes
    line_sha: str
    has_record: bool
    issued_at: str | None
    supersedes: tuple[int, str] | None
    signers: tuple[str, ...]
    revoked_signer: str | None
    problems: list[tuple[str, str]]


def _no_float(text: str) -> Any:
    raise ValueError(text)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("duplicate key")
    return obj


_STRICT_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_float=_no_float, parse_constant=_no_float)


def _strict_json(data: bytes) -> Any | None:
    """Parse with the rules of :func:`loads_strict` (no duplicate keys, NaN or fractions), or None.

    A reusable decoder: the hot path of verification. On None, the caller asks
    :func:`loads_strict` for the precise error.
    """
    try:
        return _STRICT_DECODER.decode(data.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def _b64(text: Any) -> bytes | None:
    """Strict standard base64 (padded, no stray bits), from str or ASCII bytes, or None."""
    if isinstance(text, str):
        text = text.encode("ascii", "replace")
    if not isinstance(text, bytes) or len(text) % 4:
        return None
    try:
        # strict_mode: only the alphabet, padding only at the end (what validate=True checks, in C).
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    # Only the last quantum can hide non-zero padding bits; re-encode just that.
    tail = len(raw) % 3 or 3
    if raw and base64.b64encode(raw[-tail:]) != text[-4:]:
        return None
    return raw


def _fast_dsse(envelope: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey], threshold: int) -> tuple[bytes, tuple[str, ...]] | None:
    """Accept the plain case (right type, every signature by its hinted trusted key, threshold met).

    Returns None for anything else, and the caller asks :func:`verify_envelope`
    for the authoritative answer: this path only ever accepts what it would accept.
    """
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        return None
    payload = _b64(envelope.get("payload"))
    sigs = envelope.get("signatures")
    if payload is None or not isinstance(sigs, list) or not 0 < len(sigs) <= MAX_SIGNATURES:
        return None
    message = pae(PAYLOAD_TYPE, payload)
    signers: set[str] = set()
    for entry in sigs:
        if not isinstance(entry, dict):
            return None
        keyid = entry.get("keyid")
        key = keys.get(keyid) if isinstance(keyid, str) else None
        sig = _b64(entry.get("sig"))
        if key is None or sig is None or not signature_is_canonical(sig):
            return None
        try:
            key.verify(sig, message)
        except InvalidSignature:
            return None
        signers.add(str(keyid))
    if len(signers) < threshold:
        return None
    return payload, tuple(sorted(signers))


# The exact bytes an append writes (RFC 8785 of a one-signature envelope). Base64 and hex
# hold no quotes or backslashes, so a full match is an unambiguous envelope; any
# other line is parsed as JSON.
_ENVELOPE_LINE = re.compile(
    rb'\{"payload":"([A-Za-z0-9+/]*={0,2})","payloadType":"' + re.escape(PAYLOAD_TYPE.encode()) +
    rb'","signatures":\[\{"keyid":"([0-9a-f]{64})","sig":"([A-Za-z0-9+/]{86}==)"\}\]\}'
)


_TAIL_HEAD = b'","payloadType":"' + PAYLOAD_TYPE.encode("ascii") + b'","signatures":[{"keyid":"'
_TAIL = len(_TAIL_HEAD) + 64 + len(b'","sig":"') + 88 + len(b'"}]}')
_PREFIX_LEN = len(b'{"payload":"')


def _fast_parts(line: bytes, keys: Mapping[str, Ed25519PublicKey]) -> tuple[Ed25519PublicKey, bytes, bytes, bytes, str] | None:
    """Key, signature, signed bytes, payload and key id of a line in the exact form appends write; else None.

    That form is ``_ENVELOPE_LINE`` and has a fixed-length tail, so it is cut by
    offsets; the strict base64 decoder rejects anything but the alphabet (a quote
    included), and only a trusted key id finds a key.
    """
    tail = line[-_TAIL:]
    if (
        not line.startswith(b'{"payload":"')
        or len(line) < _PREFIX_LEN + _TAIL
        or not tail.startswith(_TAIL_HEAD)
        or tail[len(_TAIL_HEAD) + 64 : len(_TAIL_HEAD) + 73] != b'","sig":"'
        or not tail.endswith(b'"}]}')
    ):
        return None
    keyid = tail[len(_TAIL_HEAD) : len(_TAIL_HEAD) + 64].decode("ascii", "replace")
    key = keys.get(keyid)
    if key is None:
        return None
    payload = _b64(line[_PREFIX_LEN:-_TAIL])
    sig = _b64(tail[len(_TAIL_HEAD) + 73 : -4])
    if payload is None or sig is None or not signature_is_canonical(sig):
        return None
    return key, sig, pae(PAYLOAD_TYPE, payload), payload, keyid


def _fast_batch(lines: Sequence[bytes], keys: Mapping[str, Ed25519PublicKey], threshold: int) -> list[tuple[bytes, tuple[str, ...]] | None]:
    """For each line: (payload, signers) when it is in the exact append form and its signature verifies, else None.

    The signatures are checked in one tight loop after the lines are split, which
    keeps the Ed25519 code hot in the caches. None sends a line down the general
    path (:func:`_fast_dsse`, then :func:`verify_envelope`), which decides.
    """
    out: list[tuple[bytes, tuple[str, ...]] | None] = [None] * len(lines)
    if threshold > 1:
        return out
    prepared = [(i, parts) for i, parts in enumerate(_fast_parts(line, keys) for line in lines) if parts is not None]
    for i, (key, sig, message, payload, keyid) in prepared:
        try:
            key.verify(sig, message)
        except InvalidSignature:
            continue
        out[i] = (payload, (keyid,))
    return out


_LEAF_PREFIX = hashlib.sha256(b"\x00")


def _check_entries(job: _Job) -> list[_EntryResult]:
    trusted = {k: PublicKey.from_raw(raw) for k, raw in (job.corrector or {}).items()}
    raw_keys = {k: Ed25519PublicKey.from_public_bytes(raw) for k, raw in (job.corrector or {}).items()}
    revoked = {k: PublicKey.from_raw(raw) for k, raw in job.revoked.items()}
    prev = job.prev
    out: list[_EntryResult] = []
    sha256 = hashlib.sha256
    verified_fast = _fast_batch(job.lines, raw_keys, job.threshold) if job.corrector is not None else [None] * len(job.lines)
    # Parse the verified payloads in one pass too (the JSON scanner stays hot in the caches).
    decoded = [_strict_json(fast[0]) if fast is not None else None for fast in verified_fast]
    for offset, line in enumerate(job.lines):
        seq = job.start + offset
        line_sha = sha256(line).hexdigest()
        leaf_h = _LEAF_PREFIX.copy()
        leaf_h.update(line)
        leaf = leaf_h.digest()
        problems: list[tuple[str, str]] = []
        record: dict[str, Any] | None = None
        signers: tuple[str, ...] = ()
        revoked_signer: str | None = None
        try:
            fast = verified_fast[offset]
            envelope: Any = None
            if fast is None:
                envelope = _strict_json(line)
                if envelope is None:
                    envelope = loads_strict(line, source=f"entry {seq}")
                if not isinstance(envelope, dict):
                    raise InputError("line is not a JSON object (a DSSE envelope)")
            if job.corrector is not None:
                if fast is None:
                    fast = _fast_dsse(envelope, raw_keys, job.threshold)
                if fast is not None:
                    payload, signers = fast
                else:
                    try:
                        verified = verify_envelope(
                            envelope, trusted, job.threshold, expected_payload_type=PAYLOAD_TYPE, where=f"entry {seq}"
                        )
                        payload, signers = verified.payload, tuple(sorted(verified.keyids))
                    except ProvenanceError as exc:
                        by_revoked = None
                        if revoked:
                            with contextlib.suppress(ProvenanceError):
                                by_revoked = verify_envelope(envelope, revoked, 1, expected_payload_type=PAYLOAD_TYPE)
                        if by_revoked is None:
                            raise LogCheckFailed(f"signature: {exc}") from None
                        payload, signers = by_revoked.payload, tuple(sorted(by_revoked.keyids))
                        revoked_signer = signers[0]
            else:
                parsed = parse_envelope(envelope, where=f"entry {seq}")
                if parsed.payload_type != PAYLOAD_TYPE:
                    raise LogCheckFailed(f"payloadType {parsed.payload_type!r} is not {PAYLOAD_TYPE}")
                payload = parsed.payload
            loaded = decoded[offset] if fast is verified_fast[offset] else None
            if loaded is None:
                loaded = _strict_json(payload)
            if loaded is None:
                loaded = loads_strict(payload, source=f"entry {seq} payload")
            record = loaded if isinstance(loaded, dict) else None
            for finding in fast_record_findings(loaded):
                problems.append(("schema", f"{finding.path}: {finding.message}"))
        except ProvenanceError as exc:
            code = "signature" if isinstance(exc, LogCheckFailed) or "signature" in type(exc).__name__.lower() else "malformed"
            problems.append((code, str(exc)))
        issued_at: str | None = None
        supersedes: tuple[int, str] | None = None
        if record is not None:
            if record.get("seq") != seq:
                problems.append(("seq", f"record says seq {record.get('seq')!r} but sits at position {seq}: reordered or replayed"))
            if job.origin is not None and record.get("log") != job.origin:
                problems.append(("origin", f"record belongs to log {record.get('log')!r}, not {job.origin!r}: replayed from another log"))
            if record.get("prev") != prev:
                problems.append(("chain", f"prev is {record.get('prev')!r} but the previous line hashes to {prev!r}: an entry was edited, removed or inserted"))
            issuer = record.get("issued_by", {}).get("keyid") if isinstance(record.get("issued_by"), dict) else None
            if signers and issuer not in signers:
                problems.append(("issuer", f"issued_by.keyid {str(issuer)[:16]} did not sign this entry"))
            if isinstance(record.get("issued_at"), str):
                issued_at = record["issued_at"]
            sup = record.get("supersedes")
            if isinstance(sup, dict) and isinstance(sup.get("seq"), int):
                supersedes = (sup["seq"], str(sup.get("sha256")))
        out.append(_EntryResult(leaf, line_sha, record is not None, issued_at, supersedes, signers, revoked_signer, problems))
        prev = line_sha
    return out


class _ChunkResult(NamedTuple):
    entries: list[_EntryResult]
    root: bytes  # MTH of the chunk's leaves: a perfect subtree when the chunk is a power of two long


def _check_chunk(job: _Job) -> _ChunkResult:
    # The loop makes no reference cycles; pausing the collector saves it scanning every record.
    enabled = gc.isenabled()
    gc.disable()
    try:
        entries = _check_entries(job)
    finally:
        if enabled:
            gc.enable()
    return _ChunkResult(entries, merkle.root([e.leaf for e in entries]))


# Jobs handed to forked workers: they inherit this list (copy-on-write) instead of
# receiving every line through a pipe. Set only while a pool runs.
_FORK_JOBS: list[_Job] = []


def _check_forked_chunk(index: int) -> _ChunkResult:
    return _check_chunk(_FORK_JOBS[index])


def _run_jobs(jobs: list[_Job], workers: int | None) -> list[_ChunkResult]:
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
        envelope = loads_strict(line)
        payload = base64.b64decode(envelope["payload"])
        value = loads_strict(payload).get("log")
        return value if isinstance(value, str) else None
    except (ProvenanceError, KeyError, TypeError, ValueError, AttributeError):
        return None


# -- verification ---------------------------------------------------------------------------


def _role_keys(trust: TrustRoot, role: str) -> tuple[dict[str, PublicKey], int]:
    keys, threshold = trust.keys_for(role)
    return dict(keys), threshold


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
    findings: list[Finding] = []
    lines, torn = split_lines(entries_bytes)
    if torn:
        findings.append(Finding("torn-tail", f"the last {torn} bytes are a torn, uncommitted line (no newline); the next append removes them", len(lines), "warning"))

    log_keys: list[bytes] = []
    if trust is not None:
        keys, _ = _role_keys(trust, "log")
        log_keys = [k.raw for k in keys.values()]

    checkpoint: note.Checkpoint | None = None
    checkpoint_verified = False
    if checkpoint_text is not None:
        try:
            parsed_note = note.parse_note(checkpoint_text)
            checkpoint = note.parse_checkpoint_text(parsed_note.text)
            if trust is not None:
                note.verify_checkpoint(checkpoint_text, log_keys, origin=origin)
                checkpoint_verified = True
        except NoteError as exc:
            findings.append(Finding("checkpoint", f"checkpoint: {exc}"))
    else:
        findings.append(Finding("no-checkpoint", "no checkpoint: truncation of the log cannot be detected", None, "warning" if not lines else "error"))

    if origin is None:
        origin = checkpoint.origin if checkpoint is not None else (_peek_origin(lines[0]) if lines else None)
    if checkpoint is not None and checkpoint.origin != origin:
        findings.append(Finding("origin", f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}"))

    corrector: dict[str, bytes] | None = None
    threshold = 1
    revoked: dict[str, bytes] = {}
    if trust is not None:
        keys, threshold = _role_keys(trust, "corrector")
        corrector = {k: v.raw for k, v in keys.items()}
        revoked = {k: v.raw for k, v in trust.revoked.items()}
        if not corrector:
            findings.append(Finding("trust", "the trust root names no corrector keys"))
    else:
        findings.append(Finding("unauthenticated", "no trust root given: signatures and the checkpoint were not verified", None, "warning"))

    jobs: list[_Job] = []
    prev_hash: str | None = None
    for start in range(0, len(lines), CHUNK_ENTRIES):
        chunk = lines[start : start + CHUNK_ENTRIES]
        jobs.append(_Job(start, chunk, prev_hash, origin, corrector, threshold, revoked))
        prev_hash = hashlib.sha256(chunk[-1]).hexdigest()
    chunks = _run_jobs(jobs, workers)
    results = [entry for done in chunks for entry in done.entries]

    leaf_hashes = [r.leaf for r in results]
    line_hashes = [r.line_sha for r in results]
    good: list[int] = []
    last_time = ""
    revocation_times = trust.revoked_at if trust is not None else {}
    for seq, result in enumerate(results):
        for code, message in result.problems:
            findings.append(Finding(code, message, seq))
        if not result.has_record:
            continue
        issued_at = result.issued_at
        if issued_at is not None:
            if issued_at < last_time:
                findings.append(Finding("time", f"issued_at {issued_at} is earlier than the previous entry's {last_time}", seq))
            last_time = max(last_time, issued_at)
        if result.revoked_signer is not None:
            when = revocation_times.get(result.revoked_signer)
            stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(when, datetime) else None
            if stamp is not None and issued_at is not None and issued_at < stamp:
                findings.append(Finding("revoked-key", f"signed by key {result.revoked_signer[:16]}, revoked at {stamp}, and dated before that (the date is the signer's own claim)", seq, "warning"))
            else:
                findings.append(Finding("revoked-key", f"signed by revoked key {result.revoked_signer[:16]} after its revocation", seq))
        if result.supersedes is not None:
            target, sha = result.supersedes
            if not 0 <= target < seq or line_hashes[target] != sha:
                findings.append(Finding("supersedes", f"supersedes entry {target}, whose bytes do not match the stated sha256", seq))
        good.append(seq)

    size = len(lines)
    tree = merkle.CompactTree()
    for done in chunks:  # every chunk but the last is a perfect subtree of CHUNK_ENTRIES leaves
        if len(done.entries) == CHUNK_ENTRIES:
            tree.append_subtree(done.root, CHUNK_HEIGHT)
        else:
            for entry in done.entries:
                tree.append(entry.leaf)
    root = tree.root()
    if checkpoint is not None:
        if checkpoint.size > size:
            findings.append(Finding("truncated", f"checkpoint covers {checkpoint.size} entries but the log has {size}: entries were removed"))
        else:
            prefix_root = root if checkpoint.size == size else merkle.root(leaf_hashes, checkpoint.size)
            if prefix_root != checkpoint.root:
                findings.append(Finding("root-mismatch", f"the first {checkpoint.size} entries do not hash to the checkpoint's root: entries were edited, reordered or replaced"))
            if checkpoint.size < size:
                findings.append(Finding("uncheckpointed", f"{size - checkpoint.size} entries after the checkpoint (size {checkpoint.size}) are not yet checkpointed", checkpoint.size, "warning"))

    if since_checkpoint is not None:
        findings.extend(_check_since(since_checkpoint, checkpoint, leaf_hashes, log_keys, origin, trust is not None))

    return LogReport(
        origin=origin,
        size=size,
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
) -> list[Finding]:
    """Consistency of an older trusted checkpoint with the current checkpoint and entries."""
    try:
        if authenticated:
            old, _ = note.verify_checkpoint(since, log_keys, origin=origin)
        else:
            old = note.parse_checkpoint_text(note.parse_note(since).text)
    except NoteError as exc:
        return [Finding("since-checkpoint", f"older checkpoint: {exc}")]
    found: list[Finding] = []
    if origin is not None and old.origin != origin:
        found.append(Finding("since-checkpoint", f"older checkpoint is for log {old.origin!r}, not {origin!r}"))
        return found
    if old.size > len(leaf_hashes):
        found.append(Finding("truncated", f"an earlier checkpoint covered {old.size} entries; the log now has {len(leaf_hashes)}: entries were removed"))
        return found
    if current is not None and old.size > current.size:
        found.append(Finding("rollback", f"the checkpoint (size {current.size}) is older than a checkpoint already seen (size {old.size}): rolled back"))
    if old.size > 0 and merkle.root(leaf_hashes, old.size) != old.root:
        if current is not None and old.size == current.size and old.root != current.root:
            found.append(Finding("fork", f"two checkpoints of size {old.size} signed with different roots: the log forked (equivocation)"))
        else:
            found.append(Finding("inconsistent", f"the first {old.size} entries no longer hash to the earlier checkpoint's root: history was rewritten"))
        return found
    if current is not None and 0 < old.size <= current.size <= len(leaf_hashes):
        try:
            proof = merkle.consistency_proof(leaf_hashes, old.size, current.size)
            merkle.verify_consistency(old.size, current.size, proof, old.root, current.root)
        except ProofError as exc:
            found.append(Finding("inconsistent", f"no consistency between the earlier and current checkpoints: {exc}"))
    return found


# -- files ----------------------------------------------------------------------------------


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
    try:
        fd = os.open(p, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise LogInputError("no such correction log", where=str(p), remedy="check the path (the first `correct append` creates it)") from None
    except IsADirectoryError:
        raise LogInputError("is a directory, not a correction log", where=str(p), remedy="give the .jsonl log file") from None
    try:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise LogInputError("is a directory, not a correction log", where=str(p), remedy="give the .jsonl log file")
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            checkpoint: bytes | None = checkpoint_path(p).read_bytes()
        except FileNotFoundError:
            checkpoint = None
        data = _read_fd(fd)
    finally:
        os.close(fd)
    return LogFiles(p, data, checkpoint)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int]:
    """Open ``path`` for appending (creating it) and hold an exclusive flock until the block ends."""
    if not path.parent.is_dir():
        raise LogInputError("directory does not exist", where=str(path.parent), remedy="create it first")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


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


def _payload_of(line: bytes, seq: int) -> dict[str, Any]:
    try:
        envelope = loads_strict(line, source=f"entry {seq}")
        parsed = parse_envelope(envelope, where=f"entry {seq}")
        record = loads_strict(parsed.payload, source=f"entry {seq} payload")
    except ProvenanceError as exc:
        raise LogCheckFailed(f"entry {seq} is unreadable ({exc})", remedy="run `provenance correct verify` on the log") from None
    if not isinstance(record, dict):
        raise LogCheckFailed(f"entry {seq} payload is not an object", remedy="run `provenance correct verify`")
    return record


def _fast_payload(line: bytes, seq: int) -> dict[str, Any]:
    """An entry's record, parsed without the strict hooks.

    Only for appends: the checkpointed prefix is verified against the signed root
    below (so these are the exact bytes an append wrote), and entries after the
    checkpoint go through the full strict check.
    """
    try:
        m = _ENVELOPE_LINE.fullmatch(line)
        payload_b64 = m.group(1) if m is not None else json.loads(line)["payload"]
        record = json.loads(base64.b64decode(payload_b64))
    except (ValueError, KeyError, TypeError):
        return _payload_of(line, seq)  # raises with a precise message
    if not isinstance(record, dict):
        return _payload_of(line, seq)
    return record


_PAYLOAD_PREFIX = b'{"payload":"'
_RECORD_WIDE = (b'"type":"retraction"', b'"type":"withdrawal"', b'"type":"expression_of_concern"', b'"supersedes":{')


def _records_about(lines: Sequence[bytes], claim_ids: set[str]) -> list[dict[str, Any]]:
    """The records that can affect the status of ``claim_ids``, in log order, parsing only those.

    A record matters when it names one of the claims, is record-wide (retraction,
    withdrawal, expression of concern) or supersedes another; the payloads are
    RFC 8785 bytes, so these fields appear in exactly this form. Lines not in the
    exact append form are always parsed.
    """
    needles = [b'"claim_id":' + json.dumps(c, ensure_ascii=False).encode("utf-8") for c in sorted(claim_ids)]
    needles.extend(_RECORD_WIDE)
    out: list[dict[str, Any]] = []
    start = len(_PAYLOAD_PREFIX)
    for seq, line in enumerate(lines):
        if line.startswith(_PAYLOAD_PREFIX):
            end = line.find(b'"', start)
            try:
                payload = binascii.a2b_base64(line[start:end])
            except binascii.Error:
                payload = b""
            if payload and not any(n in payload for n in needles):
                continue
        out.append(_fast_payload(line, seq))
    return out


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
    checkpoint must verify. A torn last line is cut off first. ``seed`` (log
    bytes, checkpoint bytes), e.g. the log a bundle carries, fills an empty log
    under the lock before the append, so the history continues. Raises
    :class:`LogCheckFailed` rather than extend a log that does not verify.
    """
    path = Path(log_path)
    log_keys: list[bytes] = [log_key.public.raw]
    corrector: dict[str, PublicKey] | None = None
    threshold = 1
    if trust is not None:
        keys, threshold = _role_keys(trust, "corrector")
        if signer.keyid not in keys:
            raise InputError(
                f"key {signer.keyid[:16]} does not hold the corrector role in the trust root",
                remedy="sign with a corrector key, or add this key to the corrector role (provenance trust add-key)",
            )
        corrector = keys
        lkeys, _ = _role_keys(trust, "log")
        if log_key.keyid not in lkeys:
            raise InputError(
                f"log key {log_key.keyid[:16]} does not hold the log role in the trust root",
                remedy="give --log-key a key of the log role",
            )
        log_keys = [k.raw for k in lkeys.values()]

    with _locked(path) as fd:
        data = _read_fd(fd)
        seeded = False
        if not data and seed is not None and seed[0]:
            _write_all(fd, seed[0])
            os.fsync(fd)
            atomic_write_bytes(checkpoint_path(path), seed[1], 0o644)
            data, seeded = seed[0], True
        lines, torn = split_lines(data)
        if torn:
            os.ftruncate(fd, len(data) - torn)
            os.fsync(fd)
        created = not lines or seeded
        cp_file = checkpoint_path(path)
        cp_bytes = cp_file.read_bytes() if cp_file.exists() else None
        leaf_hashes = [merkle.leaf_hash(line) for line in lines]
        checkpointed = 0
        first = _fast_payload(lines[0], 0) if lines else None
        existing_origin = first.get("log") if first is not None else None
        if existing_origin is not None:
            if origin is not None and origin != existing_origin:
                raise LogInputError(
                    f"the log's origin is {existing_origin!r}, not {origin!r}",
                    where=str(path),
                    remedy="drop --origin, or give the log of that origin",
                )
            origin = str(existing_origin)
        if origin is None:
            origin = origin_for(request.record_id)
        if cp_bytes is not None:
            try:
                cp, _ = note.verify_checkpoint(cp_bytes, log_keys, origin=origin)
            except NoteError as exc:
                raise LogCheckFailed(f"the log's checkpoint does not verify: {exc}", where=str(cp_file),
                                     remedy="run `provenance correct verify`; do not extend a log you cannot verify") from None
            if cp.size > len(lines) or merkle.root(leaf_hashes, cp.size) != cp.root:
                raise LogCheckFailed(
                    f"the log does not match its checkpoint (size {cp.size}, log has {len(lines)} entries)",
                    where=str(path),
                    remedy="run `provenance correct verify`; restore the log from its last deposit",
                )
            checkpointed = cp.size
        elif lines:
            raise LogCheckFailed("the log has entries but no checkpoint", where=str(cp_file),
                                 remedy="restore the checkpoint beside the log (LOG.checkpoint)")
        # Entries after the checkpoint (a crash between line and checkpoint) must verify before we build on them.
        if checkpointed < len(lines):
            prev = hashlib.sha256(lines[checkpointed - 1]).hexdigest() if checkpointed else None
            job = _Job(checkpointed, lines[checkpointed:], prev, origin,
                       {k: v.raw for k, v in corrector.items()} if corrector is not None else None, threshold, {})
            for seq_offset, result in enumerate(_check_entries(job)):
                if result.problems:
                    code, message = result.problems[0]
                    raise LogCheckFailed(f"entry {checkpointed + seq_offset} after the checkpoint fails: {message} [{code}]",
                                         where=str(path), remedy="run `provenance correct verify`")

        seq = len(lines)
        prev_sha = hashlib.sha256(lines[-1]).hexdigest() if lines else None
        wanted = {c.claim_id for c in request.claims}
        claim_before = claim_statuses(_records_about(lines, wanted), wanted) if wanted else {}
        sup_sha = None
        if request.supersedes_seq is not None:
            if not 0 <= request.supersedes_seq < seq:
                raise InputError(f"--supersedes {request.supersedes_seq}: the log has entries 0..{seq - 1}",
                                 remedy="give the seq of an existing entry")
            sup_sha = hashlib.sha256(lines[request.supersedes_seq]).hexdigest()
        when = issued_at or utc_now()
        last_time = str(_fast_payload(lines[-1], seq - 1).get("issued_at", "")) if lines else ""
        when = max(when, last_time)
        record = build_record(
            request, origin=origin, seq=seq, prev=prev_sha, issuer_keyid=signer.keyid, issued_at=when,
            claim_status_before=claim_before, supersedes_sha256=sup_sha,
        )
        problems = record_findings(record)
        if problems:
            listed = "; ".join(str(p) for p in problems)
            raise InputError(f"the correction record would be invalid: {listed}", remedy="fix the options named")
        envelope = sign_envelope(canonical_bytes(record), PAYLOAD_TYPE, [signer])
        line = canonical_bytes(envelope)
        if b"\n" in line:
            raise AssertionError("canonical JSON never contains a raw newline")
        _write_all(fd, line + b"\n")
        os.fsync(fd)
        if created:
            _fsync_parent(path)

        tree = merkle.CompactTree(leaf_hashes)
        tree.append(merkle.leaf_hash(line))
        checkpoint = note.Checkpoint(origin, tree.size, tree.root())
        cp_out = note.sign_checkpoint(checkpoint, log_key.public.raw, log_key.sign)
        atomic_write_bytes(cp_file, cp_out, 0o644)
        return AppendResult(
            seq=seq, origin=origin, line_sha256=hashlib.sha256(line).hexdigest(), size=tree.size,
            root=tree.root(), checkpoint=cp_out, record=record, repaired_bytes=torn, created=created,
            seeded=seeded,
        )


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_parent(path: Path) -> None:
    dfd = os.open(path.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def require_ok(report: LogReport, *, where: str) -> LogReport:
    """Raise :class:`LogCheckFailed` naming every error of ``report``; return it when it is ok."""
    if report.ok:
        return report
    listed = "; ".join(str(f) for f in report.errors[:10])
    more = f" (+{len(report.errors) - 10} more)" if len(report.errors) > 10 else ""
    raise LogCheckFailed(f"correction log fails verification: {listed}{more}", where=where,
                         remedy="do not trust this log; restore it from its last deposit")


def log_identity(entries_bytes: bytes) -> tuple[str | None, str | None]:
    """The origin and record id named by a log's first entry (unverified; for defaults only)."""
    lines, _ = split_lines(entries_bytes)
    if not lines:
        return None, None
    try:
        record = _payload_of(lines[0], 0)
    except LogCheckFailed:
        return None, None
    origin = record.get("log")
    target = record.get("target")
    record_id = target.get("record_id") if isinstance(target, dict) else None
    return (origin if isinstance(origin, str) else None, record_id if isinstance(record_id, str) else None)
