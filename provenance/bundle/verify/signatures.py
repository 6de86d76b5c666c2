"""Checks of the signatures: the bundle's attestation (what it vouches for) and the signed source provenance."""

from __future__ import annotations

from provenance.bundle.layout import (
    ATTESTATION,
    ATTESTOR_ROLE,
    BUNDLE_PREDICATE_TYPE,
    MANIFEST,
    SOURCE_PROVENANCE,
    VERDICTS,
    is_signed_name,
)
from provenance.bundle.verify.context import Checklist
from provenance.contracts import SOURCE_PROVENANCE as SOURCE_PROVENANCE_CONTRACT
from provenance.errors import ProvenanceError
from provenance.jsonio import canonical_sha256
from provenance.signing.intoto import PAYLOAD_TYPE, Statement, parse_statement
from provenance.signing.trust import TrustRoot

UNTRUSTED = ("signed by no attestor key of this trust root: check that --trust is the root the bundle was "
             "signed under, and that the key was not revoked")


def _why(exc: ProvenanceError) -> str:
    """The error without its location (the checklist names the file) and without a CLI remedy of another command."""
    return exc.message


def check_attestation(trust: TrustRoot, record_id: str | None, out: Checklist) -> tuple[str, ...]:
    """The attestation's signature, statement and subjects; returns the signers' key ids.

    When the signature holds, ``out.signed`` becomes the signed subjects: what it vouches for.
    """
    envelope = out.json(ATTESTATION)
    if envelope is None:
        out.fail("attestation.signature", "no readable attestation: nothing vouches for this bundle", ATTESTATION)
        return ()
    try:
        verified = trust.verify(envelope, ATTESTOR_ROLE, expected_payload_type=PAYLOAD_TYPE, where=ATTESTATION)
    except ProvenanceError as exc:
        out.fail("attestation.signature", f"{_why(exc)}; {UNTRUSTED}" if "trusted" in exc.message
                 else _why(exc), ATTESTATION)
        return ()
    signers = tuple(sorted(verified.keyids))
    _, threshold = trust.keys_for(ATTESTOR_ROLE)
    out.ok(
        "attestation.signature",
        f"DSSE signature by attestor key(s) {', '.join(k[:16] for k in signers)} "
        f"(threshold {threshold}) of trust root version {trust.version}",
        ATTESTATION,
    )
    try:
        statement = parse_statement(verified.payload, where=ATTESTATION)
    except ProvenanceError as exc:
        out.fail("attestation.statement", _why(exc), ATTESTATION)
        return signers
    if statement.predicate_type != BUNDLE_PREDICATE_TYPE:
        out.fail("attestation.predicate", f"predicateType {statement.predicate_type!r}, expected "
                 f"{BUNDLE_PREDICATE_TYPE!r}", ATTESTATION)
    signed_record = statement.predicate.get("record_id")
    if record_id is not None and signed_record != record_id:
        out.fail("attestation.record", f"signed for record {signed_record!r}, bag-info says {record_id!r}", ATTESTATION)
    _check_subjects(statement, out)
    _check_signed_verdicts(statement, out)
    return signers


def _check_subjects(statement: Statement, out: Checklist) -> None:
    expected = {name: digest for name, digest in out.sha256.items() if is_signed_name(name)}
    subjects: dict[str, str | None] = {}
    for s in statement.subjects:
        if s.name in subjects:
            out.fail("attestation.subjects", "subject listed twice", s.name)
        subjects[s.name] = s.sha256
    out.signed = subjects
    bad = 0
    for name in sorted(set(expected) - set(subjects)):
        out.fail("attestation.subjects", "file in the bag but not signed by the attestation", name)
        bad += 1
    for name in sorted(set(subjects) - set(expected)):
        out.fail("attestation.subjects", "signed by the attestation but not in the bag", name)
        bad += 1
    for name in sorted(set(subjects) & set(expected)):
        if subjects[name] != expected[name]:
            bad += 1
            if name not in out.changed:  # a changed file is named once, by the bag check
                out.fail("attestation.subjects", f"sha256 is {expected[name]}, the attestation signed "
                         f"{subjects[name]}", name)
    if not bad:
        out.ok("attestation.subjects", f"the {len(subjects)} signed subjects are exactly the bag's files "
               "(all but the tag manifests and the attestation) with their sha256")


def _check_signed_verdicts(statement: Statement, out: Checklist) -> None:
    signed_verdicts = statement.predicate.get("verdicts")
    verdicts_doc = out.json(VERDICTS, record=False)
    if isinstance(signed_verdicts, dict) and isinstance(verdicts_doc, dict):
        listed = verdicts_doc.get("verdicts")
        recorded = {str(v.get("claim_id")): v.get("status") for v in listed if isinstance(v, dict)} \
            if isinstance(listed, list) else {}
        if recorded != signed_verdicts:
            out.fail("attestation.verdicts", "the verdicts the attestation signed are not the ones in "
                     "data/verdicts.json", VERDICTS)


def check_source_provenance(trust: TrustRoot, out: Checklist) -> None:
    """The signed source provenance: its signature, schema, record and the output digests it names."""
    envelope = out.json(SOURCE_PROVENANCE)
    if envelope is None:
        return
    try:
        verified = trust.verify(envelope, ATTESTOR_ROLE, expected_payload_type=PAYLOAD_TYPE, where=SOURCE_PROVENANCE)
        statement = parse_statement(verified.payload, where=SOURCE_PROVENANCE)
    except ProvenanceError as exc:
        out.fail("source-provenance.signature", _why(exc), SOURCE_PROVENANCE)
        return
    out.ok("source-provenance.signature", "signed by an attestor key of the trust root", SOURCE_PROVENANCE)
    problems = out.cache.schema_findings(dict(statement.predicate), SOURCE_PROVENANCE_CONTRACT)
    for finding in problems:
        out.fail(f"schema.{SOURCE_PROVENANCE_CONTRACT}", str(finding), SOURCE_PROVENANCE)
    if not problems:
        out.ok(f"schema.{SOURCE_PROVENANCE_CONTRACT}", f"valid against {SOURCE_PROVENANCE_CONTRACT}",
               SOURCE_PROVENANCE)
    record = statement.predicate.get("record")
    manifest_doc = out.json(MANIFEST, record=False)
    if isinstance(record, dict) and isinstance(manifest_doc, dict):
        if record.get("manifest_sha256") != canonical_sha256(manifest_doc):
            if MANIFEST not in out.changed:
                out.fail("source-provenance.record", "the signed manifest_sha256 is not the carried manifest's",
                         MANIFEST)
        elif record.get("record_id") != manifest_doc.get("record_id"):
            out.fail("source-provenance.record", "signed for another record", SOURCE_PROVENANCE)
        else:
            out.ok("source-provenance.record", "the signed record and manifest digest are the carried manifest's",
                   SOURCE_PROVENANCE)
    outputs = statement.predicate.get("outputs")
    listed = [e for e in outputs if isinstance(e, dict)] if isinstance(outputs, list) else []
    bad = 0
    for entry in listed:
        name, digest = entry.get("name"), entry.get("sha256")
        if not isinstance(name, str) or name not in out.sha256:
            out.fail("source-provenance.outputs", "named as an output but not in the bundle", str(name))
            bad += 1
        elif out.sha256[name] != digest:
            bad += 1
            if name not in out.changed:
                out.fail("source-provenance.outputs", f"sha256 {out.sha256[name]} differs from the recorded "
                         f"{digest}", name)
    if not bad:
        out.ok("source-provenance.outputs", f"the {len(listed)} recorded outputs are in the bundle with their sha256")
