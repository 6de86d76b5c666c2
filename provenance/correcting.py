"""An editor's append, as asked on the command line: resolve the target, build the request, append.

:class:`AppendRequest` holds the options of ``provenance correct append`` as
given; :func:`append_from_request` turns them into a
:class:`~provenance.corrections.record.CorrectionRequest` -- the record id from
the options, the manifest, the bundle or the log; each claim's values before
the correction from the manifest and ``--before``; evidence digests; statuses
and replacements -- and appends it to the log (beside a bundle, or the file
given). Nothing here prints.

Claims. Claim ids are checked against the paper manifest: ``--manifest``, else
the one a bundle carries (``data/manifest.json``); an unknown id is refused with
the known ones. A plain log carries no manifest: there the ids cannot be checked
and the outcome says so. A notice names what it corrects: only
``RECORD_WIDE_TYPES`` (retraction, withdrawal, expression of concern) may name
no claim; a partial retraction names claims; the other types name a claim or a
file (``--path``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance import clock
from provenance.bundle import correction_target
from provenance.bundle.layout import MANIFEST
from provenance.corrections.record import CLAIM_STATUSES, RECORD_WIDE_TYPES, ClaimChange, CorrectionRequest
from provenance.corrections.store import AppendResult, append_correction, log_identity
from provenance.errors import InputError
from provenance.jsonio import load_json_file
from provenance.signing.intoto import sha256_file
from provenance.signing.keys import SigningKey
from provenance.signing.trust import TrustRoot

__all__ = ["AppendOutcome", "AppendRequest", "append_from_request"]

MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class AppendRequest:
    """The options of one ``correct append``, as given (field names are the options' names)."""

    target: Path
    ctype: str
    reason: str
    claims: tuple[str, ...] = ()
    reason_category: str = "honest_error"
    what_was_wrong: str | None = None
    what_changed: tuple[str, ...] = ()
    origin: str | None = None
    record_id: str | None = None
    manifest_path: Path | None = None
    doi: str | None = None
    paths: tuple[str, ...] = ()
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    claim_status: tuple[str, ...] = ()
    replacements: tuple[str, ...] = ()
    supersedes: int | None = None
    issuer_name: str | None = None
    issuer_orcid: str | None = None
    evidence: tuple[Path, ...] = ()
    notice: str | None = None
    issued_at: str | None = None


@dataclass(frozen=True)
class AppendOutcome:
    """Where the entry went, what the append committed, and where the claim ids were checked (None: nowhere)."""

    log_path: Path
    result: AppendResult
    claims_checked_against: str | None


@dataclass(frozen=True)
class _Target:
    """The log an append extends, and what the target says about the record."""

    log_path: Path
    record_id: str | None
    doi: str | None
    bundle_id: str | None
    seed: tuple[bytes, bytes] | None
    manifest_values: Mapping[str, Mapping[str, str | None]]
    manifest_where: str | None


def manifest_values(manifest: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """Each claim's values as a paper manifest states them: text, confidence, expected."""
    values: dict[str, dict[str, str | None]] = {}
    for claim in manifest.get("claims", []) or []:
        if not isinstance(claim, Mapping) or not isinstance(claim.get("id"), str):
            continue
        entry: dict[str, str | None] = {"text": claim.get("text") if isinstance(claim.get("text"), str) else None}
        if isinstance(claim.get("confidence"), str):
            entry["confidence"] = claim["confidence"]
        check = claim.get("check")
        if isinstance(check, Mapping) and isinstance(check.get("expected"), str):
            entry["expected"] = check["expected"]
        values[claim["id"]] = entry
    return values


def _text(manifest: Mapping[str, Any], key: str) -> str | None:
    value = manifest.get(key)
    return value if isinstance(value, str) else None


def _bundle_manifest(bundle: Path) -> Mapping[str, Any] | None:
    """The paper manifest a bundle carries, or None when it carries no readable one."""
    from provenance.bundle.read import open_bundle

    try:
        return open_bundle(bundle).manifest
    except InputError:
        return None


def _resolve_target(req: AppendRequest) -> _Target:
    record_id, doi = req.record_id, req.doi
    manifest: Mapping[str, Any] | None = None
    where: str | None = None
    if req.manifest_path is not None:
        loaded = load_json_file(req.manifest_path)
        if not isinstance(loaded, Mapping):
            raise InputError("not a paper manifest (a JSON object)", where=str(req.manifest_path),
                             remedy="give a manifest from `provenance ingest`")
        manifest, where = loaded, str(req.manifest_path)
    is_bundle = correction_target.is_bundle(req.target)
    if manifest is None and is_bundle:
        manifest = _bundle_manifest(req.target)
        where = f"{req.target}!{MANIFEST}" if manifest is not None else None
    values = manifest_values(manifest) if manifest is not None else {}
    if manifest is not None:
        record_id = record_id or _text(manifest, "record_id")
        doi = doi or _text(manifest, "doi")
    if not is_bundle:
        return _Target(req.target, record_id, doi, None, None, values, where)
    bt = correction_target.read_bundle_target(req.target)
    return _Target(bt.log_path, record_id or bt.record_id, doi, bt.bundle_id, correction_target.carried(bt), values, where)


def _check_claims(req: AppendRequest, target: _Target) -> None:
    """Refuse a notice that names no claim when its type needs one, and claim ids the manifest does not know."""
    if not req.claims and req.ctype not in RECORD_WIDE_TYPES and (req.ctype == "partial_retraction" or not req.paths):
        subject = "--claim ID" if req.ctype == "partial_retraction" else "--claim ID (or --path FILE)"
        raise InputError(f"a {req.ctype} names what it corrects: give {subject}",
                         remedy=f"only {', '.join(sorted(RECORD_WIDE_TYPES))} may be about the whole record")
    if target.manifest_where is None:
        return
    unknown = [c for c in dict.fromkeys(req.claims) if c not in target.manifest_values]
    if unknown:
        known = list(target.manifest_values)
        listed = ", ".join(known[:20]) + (f" (+{len(known) - 20} more)" if len(known) > 20 else "") if known else "none"
        raise InputError(f"claim(s) {', '.join(unknown)} are not in the manifest", where=target.manifest_where,
                         remedy=f"use the manifest's claim ids: {listed}")


def _first_line(target: _Target) -> bytes:
    """The first line of the existing log, else of the log the bundle carries (empty when neither has one)."""
    if target.log_path.is_file():
        with target.log_path.open("rb") as handle:
            line = handle.readline(MAX_LINE_BYTES)
        if line:
            return line.rstrip(b"\n")
    return target.seed[0].split(b"\n", 1)[0] if target.seed else b""


def _logged_record_id(target: _Target) -> str | None:
    """The record id the existing log (or the log the bundle carries) is for; refuses a mismatch."""
    first = _first_line(target)
    if not first:
        return target.record_id
    _, logged = log_identity(first)
    if target.record_id is not None and logged is not None and target.record_id != logged:
        raise InputError(f"this log is for record {logged!r}, not {target.record_id!r}", where=str(target.log_path),
                         remedy="give the log of that record")
    return target.record_id or logged


def _pairs(values: Sequence[str], option: str) -> dict[str, dict[str, str]]:
    """Parse ``CLAIM:FIELD=VALUE`` options into {claim: {field: value}}."""
    out: dict[str, dict[str, str]] = {}
    for item in values:
        claim, sep, rest = item.partition(":")
        field, eq, value = rest.partition("=")
        if not sep or not eq or not claim or not field:
            raise InputError(f"{option} {item!r} is not CLAIM:FIELD=VALUE", remedy=f"write e.g. {option} c3:expected=7.6")
        out.setdefault(claim, {})[field] = value
    return out


def _statuses(items: Sequence[str]) -> dict[str, str]:
    statuses: dict[str, str] = {}
    for item in items:
        cid, _, status = item.partition("=")
        if status not in CLAIM_STATUSES:
            raise InputError(f"--claim-status {item!r}: status must be one of {', '.join(CLAIM_STATUSES)}",
                             remedy="write e.g. --claim-status c3=CORRECTED")
        statuses[cid] = status
    return statuses


def _claim_changes(req: AppendRequest, manifest: Mapping[str, Mapping[str, str | None]]) -> tuple[ClaimChange, ...]:
    """One change per claim named, with its values before (manifest, then ``--before``) and after."""
    before = _pairs(req.before, "--before")
    after = _pairs(req.after, "--after")
    statuses = _statuses(req.claim_status)
    replacements = dict(item.partition("=")[::2] for item in req.replacements)
    stray = (set(before) | set(after) | set(statuses) | set(replacements)) - set(req.claims)
    if stray:
        raise InputError(f"values given for claim(s) {', '.join(sorted(stray))} not named with --claim",
                         remedy="add --claim ID for each claim the notice changes")
    return tuple(
        ClaimChange(
            claim_id=c,
            after_status=statuses.get(c),
            before_values={**manifest.get(c, {}), **before.get(c, {})},
            after_values=after.get(c, {}),
            replacement_claim_id=replacements.get(c) or None,
        )
        for c in dict.fromkeys(req.claims)
    )


def evidence_digests(paths: Sequence[Path]) -> tuple[dict[str, str], ...]:
    """``{name, sha256}`` of each evidence file; only regular files are read."""
    items = []
    for p in paths:
        try:
            regular = stat.S_ISREG(os.stat(p).st_mode)
        except FileNotFoundError:
            raise InputError("no such file", where=str(p), remedy="check the --evidence path") from None
        if not regular:
            raise InputError("is not a regular file", where=str(p), remedy="give --evidence a file")
        items.append({"name": p.name, "sha256": sha256_file(p)})
    return tuple(items)


def append_from_request(req: AppendRequest, *, signer: SigningKey, log_key: SigningKey,
                        trust: TrustRoot | None) -> AppendOutcome:
    """Resolve ``req`` against its target and append the signed correction it describes."""
    if req.issued_at is not None and not clock.is_rfc3339_utc(req.issued_at):
        raise InputError(f"--issued-at {req.issued_at!r} is not RFC 3339 UTC", remedy="write e.g. 2026-11-22T01:00:00Z")
    target = _resolve_target(req)
    _check_claims(req, target)
    record_id = _logged_record_id(target)
    if record_id is None:
        raise InputError("no record id for a new log", where=str(req.target),
                         remedy="give --record-id, --manifest, or a bundle")
    request = CorrectionRequest(
        type=req.ctype, record_id=record_id, what_was_wrong=req.what_was_wrong or req.reason, reason_text=req.reason,
        reason_category=req.reason_category, claims=_claim_changes(req, target.manifest_values),
        what_changed=tuple({"summary": s} for s in req.what_changed), doi=target.doi, bundle_id=target.bundle_id,
        paths=tuple(dict.fromkeys(req.paths)), issuer_name=req.issuer_name, issuer_orcid=req.issuer_orcid,
        supersedes_seq=req.supersedes, evidence=evidence_digests(req.evidence), notice_text=req.notice,
    )
    result = append_correction(target.log_path, request, signer=signer, log_key=log_key, trust=trust,
                               origin=req.origin, seed=target.seed, issued_at=req.issued_at)
    return AppendOutcome(target.log_path, result, target.manifest_where)
