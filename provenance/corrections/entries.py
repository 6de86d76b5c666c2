"""Log lines: splitting a log into entries, reading an entry's record, and checking a run of entries.

A log is JSONL: one DSSE envelope per line, its payload a correction-record-v1.
:func:`check_entries` is the per-entry work of verification (signature, record
shape, ``seq``, ``log``, ``prev``, issuer) on a run of consecutive lines; it is
pure and picklable, so :mod:`.verify` runs it in worker processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from provenance.corrections import fastpath, merkle
from provenance.corrections.errors import LogCheckFailed, LogInputError
from provenance.corrections.record import PAYLOAD_TYPE, fast_record_findings, semantic_findings
from provenance.corrections.status import (
    HistoryItem,
    PartialStatus,
    StatusFacts,
    fold,
    history_item,
    shaped_status_facts,
    status_facts,
    supersessions,
)
from provenance.errors import InputError, ProvenanceError
from provenance.jsonio import loads_strict
from provenance.signing.dsse import parse_envelope, verify_envelope
from provenance.signing.keys import PublicKey

__all__ = ["ChunkJob", "ChunkResult", "ChunkSpan", "EntryJob", "EntryResult", "KeyMaterial", "check_chunk", "check_entries",
           "check_log_head", "load_facts", "read_record", "split_lines"]

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


class KeyMaterial(NamedTuple):
    """The keys entries are checked against, as raw bytes (picklable): ``corrector`` None means unchecked."""

    corrector: dict[str, bytes] | None
    threshold: int
    revoked: dict[str, bytes]


@dataclass(frozen=True)
class EntryJob:
    """A run of consecutive lines starting at ``start``; ``prev`` is the sha256 of the line before it."""

    start: int
    lines: list[bytes]
    prev: str | None
    origin: str | None
    keys: KeyMaterial


class EntryResult(NamedTuple):
    """What checking found about one line, and its record when the payload parsed to an object."""

    leaf: bytes
    line_digest: bytes
    record: dict[str, Any] | None
    signers: tuple[str, ...]
    revoked_signer: str | None
    problems: list[tuple[str, str]]


@dataclass(frozen=True)
class _Keys:
    trusted: dict[str, PublicKey] | None
    fast: fastpath.FastKeys
    threshold: int
    revoked: dict[str, PublicKey]


def _keys(material: KeyMaterial) -> _Keys:
    trusted = None if material.corrector is None else {k: PublicKey.from_raw(raw) for k, raw in material.corrector.items()}
    fast = fastpath.fast_keys(trusted) if trusted is not None and material.threshold == 1 else {}
    revoked = {k: PublicKey.from_raw(raw) for k, raw in material.revoked.items()}
    return _Keys(trusted, fast, material.threshold, revoked)


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


_Checked = tuple[dict[str, Any] | None, tuple[str, ...], str | None, list[tuple[str, str]], bool]
"""What checking one line found: its record (when the payload is an object), signers, revoked signer, problems,
and whether the record's shape is known valid (it came through :func:`.fastpath.record_of`)."""


def _check_record(line: bytes, seq: int, prev: str | None, origin: str | None, keys: _Keys,
                  fast: tuple[bytes, tuple[str, ...]] | None) -> _Checked:
    """Signature (``fast``: already verified by the fast path), payload, record shape, position and chain of one line."""
    record: dict[str, Any] | None = None
    signers: tuple[str, ...] = ()
    revoked_signer: str | None = None
    try:
        if fast is not None:
            payload, signers = fast
        else:
            payload, signers, revoked_signer = _strict_envelope(line, seq, keys)
        shaped = fastpath.record_of(payload)
        if shaped is not None:
            loaded: Any = shaped
            findings = semantic_findings(shaped)
        else:
            loaded = loads_strict(payload, source=f"entry {seq} payload")
            findings = fast_record_findings(loaded)
    except ProvenanceError as exc:
        code = "signature" if isinstance(exc, LogCheckFailed) or "signature" in type(exc).__name__.lower() else "malformed"
        return None, signers, revoked_signer, [(code, str(exc))], False
    problems = [("schema", f"{f.path}: {f.message}") for f in findings] if findings else []
    if type(loaded) is dict:
        record = loaded
        problems += _record_problems(record, seq, prev, origin, signers)
    return record, signers, revoked_signer, problems, shaped is not None


def _check_lines(lines: Sequence[bytes], start: int, prev: str | None, origin: str | None,
                 material: KeyMaterial) -> Iterator[EntryResult]:
    keys = _keys(material)
    verified_fast = fastpath.verify_lines(lines, keys.fast) if keys.fast else [None] * len(lines)
    for offset, line in enumerate(lines):
        leaf_h = _LEAF_PREFIX.copy()
        leaf_h.update(line)
        digest = hashlib.sha256(line).digest()
        record, signers, revoked_signer, problems, _ = _check_record(line, start + offset, prev, origin, keys,
                                                                     verified_fast[offset])
        prev = digest.hex()
        yield EntryResult(leaf_h.digest(), digest, record, signers, revoked_signer, problems)


def check_entries(job: EntryJob) -> list[EntryResult]:
    """Check each line of ``job``: signature (fast path, else strict), record, position and chain."""
    return list(_check_lines(job.lines, job.start, job.prev, job.origin, job.keys))


# -- a chunk of the log, checked in a worker ------------------------------------------------------


class ChunkSpan(NamedTuple):
    """Where a chunk lies in the log (a worker reads it there) and what was cut: its line count and last line's sha256."""

    offset: int
    length: int
    lines: int
    last_line_sha256: str


class ChunkJob(NamedTuple):
    """Consecutive complete lines (``data``, each ending in a newline) from entry ``start`` on.

    ``span``, when the chunk was read by offset, says what the cutter saw there. The
    bytes read are the ones verified; where chunks meet they must agree with the cut
    (the next chunk's ``prev`` is the cut's last line): a chunk with another line
    count or last line (the file changed between the reads) gets a ``changed`` problem.
    """

    start: int
    data: bytes
    prev: str | None
    origin: str | None
    keys: KeyMaterial
    history: bool
    span: ChunkSpan | None = None


class ChunkResult(NamedTuple):
    """What checking a chunk found, folded to what the whole log's verdict needs (no record crosses back).

    ``leaves`` and ``digests`` are the 32-byte leaf hashes and line sha256s, concatenated.
    Per-entry lists are in log order and hold only entries whose payload parsed to a
    record (``problems``: every entry). ``status`` folds the chunk's records, not
    counting those superseded from inside the chunk; ``facts`` (:func:`load_facts`) let the chunk be folded again when a record
    elsewhere supersedes one of its records; ``history`` (pickled
    :class:`~.status.HistoryItem`) is empty unless asked for.
    """

    start: int
    lines: int
    leaves: bytes
    digests: bytes
    root: bytes
    problems: list[tuple[int, str, str]]
    times: list[tuple[int, str]]
    revoked: list[tuple[int, str, str | None]]
    supersedes: list[tuple[int, int, str]]
    supersessions: list[tuple[int, int]]
    record_seqs: range | frozenset[int]
    status: PartialStatus
    facts: bytes
    history: bytes


def load_facts(facts: bytes) -> list[StatusFacts]:
    """The :class:`~.status.StatusFacts` of a chunk's records, from :attr:`ChunkResult.facts`."""
    return [StatusFacts._make(f) for f in pickle.loads(facts)]


def _lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` (complete lines), without their newlines (``find`` skips to each one; ``split`` tests every byte)."""
    out: list[bytes] = []
    add, find, pos = out.append, data.find, 0
    while (end := find(b"\n", pos)) >= 0:
        add(data[pos:end])
        pos = end + 1
    return out


def check_chunk(job: ChunkJob) -> ChunkResult:
    """Check every line of a chunk and fold what the log's verdict needs; runs in a worker process."""
    lines = _lines(job.data)
    keys = _keys(job.keys)
    verified_fast = fastpath.verify_lines(lines, keys.fast) if keys.fast else [None] * len(lines)
    leaves: list[bytes] = []
    digests: list[bytes] = []
    problems: list[tuple[int, str, str]] = []
    times: list[tuple[int, str]] = []
    revoked: list[tuple[int, str, str | None]] = []
    supersedes: list[tuple[int, int, str]] = []
    facts: list[StatusFacts] = []
    history: list[HistoryItem] = []
    leaf_prefix, sha256, origin, prev = _LEAF_PREFIX, hashlib.sha256, job.origin, job.prev
    for seq, line, fast in zip(range(job.start, job.start + len(lines)), lines, verified_fast, strict=True):
        leaf_h = leaf_prefix.copy()
        leaf_h.update(line)
        leaves.append(leaf_h.digest())
        digest = sha256(line).digest()
        digests.append(digest)
        record, _, revoked_signer, found, shaped = _check_record(line, seq, prev, origin, keys, fast)
        prev = digest.hex()
        if found:
            problems.extend((seq, code, message) for code, message in found)
        if record is None:
            continue
        issued_at = record.get("issued_at")
        if type(issued_at) is str:
            times.append((seq, issued_at))
        if revoked_signer is not None:
            revoked.append((seq, revoked_signer, issued_at if type(issued_at) is str else None))
        sup = record.get("supersedes")
        if sup is not None and type(sup) is dict and isinstance(sup.get("seq"), int):
            supersedes.append((seq, sup["seq"], str(sup.get("sha256"))))
        facts.append(shaped_status_facts(record) if shaped else status_facts(record))
        if job.history:
            history.append(history_item(record))
    span = job.span
    if span is not None and (len(lines) != span.lines or not digests or digests[-1].hex() != span.last_line_sha256):
        problems.insert(0, (job.start, "changed", f"the {span.lines} lines from byte {span.offset} changed while the log "
                                                  "was read: verify it again when nothing writes to it"))
    pairs = supersessions(facts)
    seqs = [f.seq for f in facts]
    contiguous = seqs == list(range(seqs[0], seqs[0] + len(seqs))) if seqs else True
    return ChunkResult(
        start=job.start,
        lines=len(lines),
        leaves=b"".join(leaves),
        digests=b"".join(digests),
        root=merkle.root(leaves),
        problems=problems,
        times=times,
        revoked=revoked,
        supersedes=supersedes,
        supersessions=pairs,
        record_seqs=range(seqs[0], seqs[0] + len(seqs)) if seqs and contiguous else frozenset(seqs),
        status=fold(facts, {target for target, _ in pairs}),
        facts=pickle.dumps([tuple(f) for f in facts], pickle.HIGHEST_PROTOCOL),  # plain tuples pickle faster
        history=pickle.dumps(history, pickle.HIGHEST_PROTOCOL) if job.history else b"",
    )
