"""Log lines: splitting a log into entries, reading an entry's record, and checking a run of entries.

A log is JSONL: one DSSE envelope per line, its payload a correction-record-v1.
:func:`check_entries` is the per-entry work of verification (signature, record
shape, ``seq``, ``log``, ``prev``, issuer) on a run of consecutive lines; it is
pure and picklable, so :mod:`.verify` runs it in worker processes.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

from provenance.corrections import fastpath
from provenance.corrections.errors import LogCheckFailed, LogInputError
from provenance.corrections.record import PAYLOAD_TYPE, fast_record_findings
from provenance.errors import InputError, ProvenanceError
from provenance.jsonio import loads_strict
from provenance.signing.dsse import parse_envelope, verify_envelope
from provenance.signing.keys import PublicKey

__all__ = ["EntryJob", "EntryResult", "check_entries", "check_log_head", "read_record", "split_lines"]

_LEAF_PREFIX = hashlib.sha256(b"\x00")
LINE_HEAD = b'{"payload":"'
"""How every line an append writes begins (RFC 8785 puts ``payload`` first)."""
HEAD_BYTES = 1 << 20
"""How much of a file :func:`check_log_head` needs: more than any one entry."""


def split_lines(data: bytes) -> tuple[list[bytes], int]:
    """Complete lines (without newline) and the byte count of a torn last line, if any."""
    if not data:
        return [], 0
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1]
    return lines, len(data) - end


def check_log_head(head: bytes, where: str) -> None:
    """Refuse bytes that cannot be the start of a correction log, in one line (:class:`LogInputError`).

    ``head`` is the start of the file (up to :data:`HEAD_BYTES`). A log is UTF-8
    JSON lines whose first line is a DSSE envelope; a first line cut short by a
    crash (no newline yet) must begin as every appended line does. An empty file
    is not a log either: the caller decides whether emptiness is a finding
    instead (a checkpoint or an older one says entries existed).
    """
    remedy = "give a correction log (.jsonl) written by `provenance correct append`"
    if not head:
        raise LogInputError("the file is empty: not a correction log", where=where, remedy=remedy)
    if b"\x00" in head or not _utf8_prefix(head):
        raise LogInputError("binary data, not a correction log (JSON lines of DSSE envelopes)", where=where, remedy=remedy)
    first, newline, _ = head.partition(b"\n")
    if not newline:
        if first.startswith(LINE_HEAD) or len(head) >= HEAD_BYTES:
            return
        raise LogInputError("not a correction log (no complete line, and not the start of an entry)", where=where,
                            remedy=remedy)
    try:
        envelope = loads_strict(first, source=f"{where}:1")
    except (InputError, ValueError):
        envelope = None
    if not isinstance(envelope, dict) or "payload" not in envelope or "signatures" not in envelope:
        raise LogInputError("not a correction log: its first line is not a DSSE envelope", where=where, remedy=remedy)


def _utf8_prefix(data: bytes) -> bool:
    """True when ``data`` is UTF-8, allowing a character cut at the very end."""
    for cut in range(4):
        try:
            data[: len(data) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
        return True
    return False


def read_record(line: bytes, seq: int) -> dict[str, Any]:
    """The record an entry carries, read strictly but not verified; :class:`LogCheckFailed` if unreadable."""
    try:
        envelope = loads_strict(line, source=f"entry {seq}")
        parsed = parse_envelope(envelope, where=f"entry {seq}")
        record = loads_strict(parsed.payload, source=f"entry {seq} payload")
    except ProvenanceError as exc:
        raise LogCheckFailed(f"entry {seq} is unreadable ({exc})", remedy="run `provenance correct verify` on the log") from None
    if not isinstance(record, dict):
        raise LogCheckFailed(f"entry {seq} payload is not an object", remedy="run `provenance correct verify`")
    return record


@dataclass(frozen=True)
class EntryJob:
    """A run of consecutive lines starting at ``start``, and what checking them needs.

    ``corrector`` maps key ids to raw public keys (None: signatures are not
    checked); ``prev`` is the sha256 of the line before ``start``.
    """

    start: int
    lines: list[bytes]
    prev: str | None
    origin: str | None
    corrector: dict[str, bytes] | None
    threshold: int
    revoked: dict[str, bytes]


class EntryResult(NamedTuple):
    """What checking found about one line; a small tuple, so it crosses process boundaries cheaply."""

    leaf: bytes
    line_sha: str
    has_record: bool
    issued_at: str | None
    supersedes: tuple[int, str] | None
    signers: tuple[str, ...]
    revoked_signer: str | None
    problems: list[tuple[str, str]]


@dataclass(frozen=True)
class _Keys:
    trusted: dict[str, PublicKey] | None
    fast: fastpath.FastKeys
    threshold: int
    revoked: dict[str, PublicKey]


def _keys(job: EntryJob) -> _Keys:
    trusted = None if job.corrector is None else {k: PublicKey.from_raw(raw) for k, raw in job.corrector.items()}
    fast = fastpath.fast_keys(trusted) if trusted is not None and job.threshold == 1 else {}
    revoked = {k: PublicKey.from_raw(raw) for k, raw in job.revoked.items()}
    return _Keys(trusted, fast, job.threshold, revoked)


def _strict_envelope(line: bytes, seq: int, keys: _Keys) -> tuple[bytes, tuple[str, ...], str | None]:
    """Payload, signers and revoked signer of one line by the strict path; raises what it finds."""
    envelope = loads_strict(line, source=f"entry {seq}")
    if not isinstance(envelope, dict):
        raise InputError("line is not a JSON object (a DSSE envelope)")
    if keys.trusted is None:
        parsed = parse_envelope(envelope, where=f"entry {seq}")
        if parsed.payload_type != PAYLOAD_TYPE:
            raise LogCheckFailed(f"payloadType {parsed.payload_type!r} is not {PAYLOAD_TYPE}")
        return parsed.payload, (), None
    try:
        verified = verify_envelope(envelope, keys.trusted, keys.threshold, expected_payload_type=PAYLOAD_TYPE,
                                   where=f"entry {seq}")
        return verified.payload, tuple(sorted(verified.keyids)), None
    except ProvenanceError as exc:
        by_revoked = None
        if keys.revoked:
            with contextlib.suppress(ProvenanceError):
                by_revoked = verify_envelope(envelope, keys.revoked, 1, expected_payload_type=PAYLOAD_TYPE)
        if by_revoked is None:
            raise LogCheckFailed(f"signature: {exc}") from None
        signers = tuple(sorted(by_revoked.keyids))
        return by_revoked.payload, signers, signers[0]


def _record_problems(record: dict[str, Any], seq: int, prev: str | None, origin: str | None,
                     signers: tuple[str, ...]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    if record.get("seq") != seq:
        problems.append(("seq", f"record says seq {record.get('seq')!r} but sits at position {seq}: reordered or replayed"))
    if origin is not None and record.get("log") != origin:
        problems.append(("origin", f"record belongs to log {record.get('log')!r}, not {origin!r}: replayed from another log"))
    if record.get("prev") != prev:
        problems.append(("chain", f"prev is {record.get('prev')!r} but the previous line hashes to {prev!r}: "
                                  "an entry was edited, removed or inserted"))
    issued_by = record.get("issued_by")
    issuer = issued_by.get("keyid") if isinstance(issued_by, dict) else None
    if signers and issuer not in signers:
        problems.append(("issuer", f"issued_by.keyid {str(issuer)[:16]} did not sign this entry"))
    return problems


def _check_one(line: bytes, seq: int, prev: str | None, origin: str | None, keys: _Keys,
               fast: tuple[bytes, tuple[str, ...]] | None) -> EntryResult:
    leaf_h = _LEAF_PREFIX.copy()
    leaf_h.update(line)
    problems: list[tuple[str, str]] = []
    record: dict[str, Any] | None = None
    signers: tuple[str, ...] = ()
    revoked_signer: str | None = None
    try:
        if fast is not None:
            payload, signers = fast
        else:
            payload, signers, revoked_signer = _strict_envelope(line, seq, keys)
        loaded = loads_strict(payload, source=f"entry {seq} payload")
        record = loaded if isinstance(loaded, dict) else None
        problems.extend(("schema", f"{f.path}: {f.message}") for f in fast_record_findings(loaded))
    except ProvenanceError as exc:
        code = "signature" if isinstance(exc, LogCheckFailed) or "signature" in type(exc).__name__.lower() else "malformed"
        problems.append((code, str(exc)))
    issued_at: str | None = None
    supersedes: tuple[int, str] | None = None
    if record is not None:
        problems.extend(_record_problems(record, seq, prev, origin, signers))
        if isinstance(record.get("issued_at"), str):
            issued_at = record["issued_at"]
        sup = record.get("supersedes")
        if isinstance(sup, dict) and isinstance(sup.get("seq"), int):
            supersedes = (sup["seq"], str(sup.get("sha256")))
    line_sha = hashlib.sha256(line).hexdigest()
    return EntryResult(leaf_h.digest(), line_sha, record is not None, issued_at, supersedes, signers, revoked_signer,
                       problems)


def check_entries(job: EntryJob) -> list[EntryResult]:
    """Check each line of ``job``: signature (fast path, else strict), record, position and chain."""
    keys = _keys(job)
    verified_fast = fastpath.verify_lines(job.lines, keys.fast) if keys.fast else [None] * len(job.lines)
    out: list[EntryResult] = []
    prev = job.prev
    for offset, line in enumerate(job.lines):
        result = _check_one(line, job.start + offset, prev, job.origin, keys, verified_fast[offset])
        out.append(result)
        prev = result.line_sha
    return out
