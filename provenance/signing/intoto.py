"""in-toto Statement v1: build, sign (payload = RFC 8785 bytes), parse strictly, match subjects.

Subjects are ``{name, digest: {sha256: hex}}``. Matching a file to a subject is
by digest (the in-toto rule); a subject with the file's name but another
digest is a :class:`DigestMismatch`. Digest algorithms other than sha256 are
ignored (no downgrade to md5).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance.errors import InputError
from provenance.inputfile import open_regular_file
from provenance.jsonio import canonical_bytes, loads_strict
from provenance.signing.dsse import sign_envelope, verify_envelope
from provenance.signing.errors import DigestMismatch, MalformedEnvelope, PayloadTypeMismatch
from provenance.signing.keys import PublicKey, SigningKey

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ATTESTATION_BASE = "https://provenance-archive.dev/attestation/"
FILES_PREDICATE_TYPE = ATTESTATION_BASE + "files/v1"
"""Predicate type of ``provenance sign``: a plain signed list of files."""

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def predicate_type_uri(name: str) -> str:
    """Our predicate type URI for ``name``: ``https://provenance-archive.dev/attestation/<name>/v1``."""
    return f"{ATTESTATION_BASE}{name}/v1"


@dataclass(frozen=True)
class Subject:
    name: str
    digest: Mapping[str, str]

    @property
    def sha256(self) -> str | None:
        value = self.digest.get("sha256")
        return value.lower() if isinstance(value, str) else None


@dataclass(frozen=True)
class Statement:
    """A parsed Statement; ``document`` is the whole object, unknown fields included."""

    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any]
    document: Mapping[str, Any] = field(repr=False)


def make_statement(
    subjects: Sequence[tuple[str, str]], predicate_type: str, predicate: Mapping[str, Any]
) -> dict[str, Any]:
    """A Statement v1 over ``(name, sha256 hex)`` subjects."""
    if not subjects:
        raise InputError("a statement needs at least one subject", remedy="name at least one file")
    names = [name for name, _ in subjects]
    if len(set(names)) != len(names):
        raise InputError("subject names repeat", remedy="give each file once")
    out = []
    for name, digest in subjects:
        if not _HEX64.match(digest):
            raise InputError(f"sha256 of {name!r} is not 64 lowercase hex digits", remedy="pass hashlib hexdigest()")
        out.append({"name": name, "digest": {"sha256": digest}})
    return {"_type": STATEMENT_TYPE, "subject": out, "predicateType": predicate_type, "predicate": dict(predicate)}


def parse_statement(payload: bytes, *, where: str = "statement") -> Statement:
    """Parse a Statement strictly (no duplicate keys, no floats); :class:`MalformedEnvelope` on shape errors."""
    try:
        doc = loads_strict(payload, source=where)
    except InputError as exc:
        raise MalformedEnvelope(f"payload is not a strict JSON statement: {exc.message}", where=where) from None
    if not isinstance(doc, dict):
        raise MalformedEnvelope("statement is not a JSON object", where=where)
    problems = []
    if doc.get("_type") != STATEMENT_TYPE:
        problems.append(f"_type is {doc.get('_type')!r}, not {STATEMENT_TYPE!r}")
    ptype = doc.get("predicateType")
    if not isinstance(ptype, str) or not ptype:
        problems.append("predicateType must be a non-empty string")
    predicate = doc.get("predicate", {})
    if predicate is None:
        predicate = {}
    if not isinstance(predicate, dict):
        problems.append("predicate must be an object")
    raw_subjects = doc.get("subject")
    subjects: list[Subject] = []
    if not isinstance(raw_subjects, list) or not raw_subjects:
        problems.append("subject must be a non-empty list")
    else:
        for i, s in enumerate(raw_subjects):
            if not isinstance(s, dict) or not isinstance(s.get("digest"), dict) or not s["digest"]:
                problems.append(f"subject[{i}] needs a digest object")
                continue
            name = s.get("name", "")
            if not isinstance(name, str):
                problems.append(f"subject[{i}].name must be a string")
                continue
            digest = {k: v for k, v in s["digest"].items() if isinstance(v, str)}
            subjects.append(Subject(name, digest))
    if problems:
        raise MalformedEnvelope("; ".join(problems), where=where, remedy="give an in-toto Statement v1")
    assert isinstance(ptype, str) and isinstance(predicate, dict)
    return Statement(tuple(subjects), ptype, predicate, doc)


def sign_statement(statement: Mapping[str, Any], keys: Sequence[SigningKey]) -> dict[str, Any]:
    """A DSSE envelope whose payload is the RFC 8785 bytes of ``statement``."""
    return sign_envelope(canonical_bytes(statement), PAYLOAD_TYPE, keys)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Lowercase hex sha256 of a file's bytes, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open_regular_file(path, what="a file to sign or check") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def verify_subjects(statement: Statement, files: Mapping[str, str]) -> dict[str, Subject]:
    """Match each ``name -> sha256`` to a subject by digest; return the subject each matched.

    A subject named like the file but with another sha256, or no subject with the
    file's sha256 at all, raises :class:`DigestMismatch` naming the file.
    """
    by_digest = {s.sha256: s for s in statement.subjects if s.sha256}
    matched: dict[str, Subject] = {}
    for name, digest in files.items():
        subject = by_digest.get(digest.lower())
        if subject is not None:
            matched[name] = subject
            continue
        named = [s for s in statement.subjects if s.name == name]
        if named:
            signed = named[0].sha256 or "(no sha256)"
            raise DigestMismatch(
                f"sha256 is {digest}, the signed statement says {signed}",
                where=name,
                remedy="the file changed after it was signed; restore the original or re-sign",
            )
        raise DigestMismatch(
            f"no subject of the signed statement has this file's sha256 {digest}",
            where=name,
            remedy="this file was not signed by this envelope",
        )
    return matched


@dataclass(frozen=True)
class VerifiedStatement:
    """A statement whose envelope verified, and the trusted keys that signed it."""

    statement: Statement
    keyids: frozenset[str]
    payload: bytes


def verify_statement_envelope(
    envelope: Mapping[str, Any],
    trusted: Mapping[str, PublicKey],
    threshold: int,
    *,
    predicate_type: str | None = None,
    files: Mapping[str, str] | None = None,
    revoked: Mapping[str, PublicKey] | None = None,
    where: str = "envelope",
) -> VerifiedStatement:
    """Verify the envelope, parse its Statement, check the predicate type and the files' digests."""
    verified = verify_envelope(
        envelope, trusted, threshold, expected_payload_type=PAYLOAD_TYPE, revoked=revoked, where=where
    )
    statement = parse_statement(verified.payload, where=f"{where}.payload")
    if predicate_type is not None and statement.predicate_type != predicate_type:
        raise PayloadTypeMismatch(
            f"predicateType is {statement.predicate_type!r}, expected {predicate_type!r}",
            where=where,
            remedy="this attestation says something else than the one asked for",
        )
    if files:
        verify_subjects(statement, files)
    return VerifiedStatement(statement, verified.keyids, verified.payload)


def subjects_for_files(paths: Sequence[Path], *, base: Path | None = None) -> list[tuple[str, str]]:
    """``(name, sha256)`` per file; the name is the path relative to ``base`` (default: cwd) or the file name."""
    root = (base or Path.cwd()).resolve()
    out = []
    for p in paths:
        resolved = p.resolve()
        try:
            name = resolved.relative_to(root).as_posix()
        except ValueError:
            name = p.name
        out.append((name, sha256_file(p)))
    return out
