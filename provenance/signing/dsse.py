"""DSSE v1 envelopes (secure-systems-lab/dsse protocol v1.0.2) with Ed25519.

The signed bytes are the PAE ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body``
with byte lengths. Verification returns exactly the verified payload bytes and
the unique trusted key ids that signed; it never re-serialises the envelope.
``keyid`` is an unauthenticated hint: a wrong or empty one costs a few extra
verifications, never a rejection. Unknown envelope fields are ignored.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from provenance.signing.errors import (
    BadSignature,
    DuplicateSignatures,
    InvalidBase64,
    KeyIdMismatch,
    MalformedEnvelope,
    PayloadTypeMismatch,
    RevokedKey,
    TamperedPayload,
    ThresholdNotMet,
    UntrustedKey,
)
from provenance.signing.keys import PublicKey, SigningKey, signature_is_canonical

MAX_SIGNATURES = 64
MAX_ENVELOPE_ITEMS = 16 * MAX_SIGNATURES
"""JSON items (counted by ``,``, ``{`` and ``[``) an envelope's text may hold: its payload and signatures
are base64 strings, which contain none, so a real envelope of any payload size has a few per signature."""


def has_envelope_shape(data: bytes) -> bool:
    """False for bytes that cannot be one DSSE envelope because they hold too many JSON items.

    Judged on the raw bytes, before parsing: a few kilobytes of zip can inflate to tens of
    megabytes of ``0,0,0,...`` that would become millions of Python objects.
    """
    return data.count(b",") + data.count(b"{") + data.count(b"[") <= MAX_ENVELOPE_ITEMS


def pae(payload_type: str, payload: bytes) -> bytes:
    """Pre-Authentication Encoding of DSSE v1: what is actually signed (lengths in bytes)."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


def b64decode_strict(text: str, *, where: str) -> bytes:
    """Decode standard or URL-safe base64 with padding; anything else is :class:`InvalidBase64`."""
    if len(text) % 4:
        raise InvalidBase64(
            f"base64 of length {len(text)} is truncated or unpadded (not a multiple of 4)",
            where=where,
            remedy="the envelope was cut or corrupted; use the original file",
        )
    if "-" in text or "_" in text:
        text = text.replace("-", "+").replace("_", "/")
    try:
        data = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        raise InvalidBase64("not valid base64", where=where, remedy="the envelope was corrupted; use the original file") from None
    # Non-zero bits after the last byte mean a different encoder or a cut string; only the
    # last quantum can carry them, so only it is re-encoded.
    tail = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
    if tail and binascii.b2a_base64(data[-(3 - tail):], newline=False) != text[-4:].encode("ascii"):
        raise InvalidBase64("non-canonical base64 (stray bits at the end)", where=where,
                            remedy="the envelope was cut or corrupted; use the original file")
    return data


def sign_envelope(payload: bytes, payload_type: str, keys: Sequence[SigningKey]) -> dict[str, Any]:
    """A DSSE envelope over ``payload`` signed by each of ``keys`` (standard base64, keyid hints set)."""
    if not keys:
        raise ValueError("sign_envelope needs at least one key")
    if not payload_type.isascii() or not payload_type:
        raise ValueError("payloadType must be non-empty ASCII")
    message = pae(payload_type, payload)
    signatures = [{"keyid": k.keyid, "sig": base64.b64encode(k.sign(message)).decode("ascii")} for k in keys]
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": payload_type,
        "signatures": signatures,
    }


def add_signatures(envelope: Mapping[str, Any], keys: Sequence[SigningKey]) -> dict[str, Any]:
    """A copy of ``envelope`` with signatures by ``keys`` added (keys that already signed are skipped)."""
    parsed = parse_envelope(envelope)
    message = pae(parsed.payload_type, parsed.payload)
    present = {s.keyid for s in parsed.signatures}
    out = dict(envelope)
    sigs = list(envelope["signatures"])
    for k in keys:
        if k.keyid in present:
            continue
        present.add(k.keyid)
        sigs.append({"keyid": k.keyid, "sig": base64.b64encode(k.sign(message)).decode("ascii")})
    out["signatures"] = sigs
    return out


class EnvelopeSignature(NamedTuple):
    keyid: str
    sig: bytes


class ParsedEnvelope(NamedTuple):
    """An envelope's decoded fields; nothing here is verified yet."""

    payload_type: str
    payload: bytes
    signatures: tuple[EnvelopeSignature, ...]


def parse_envelope(envelope: Any, *, where: str = "envelope") -> ParsedEnvelope:
    """Check the envelope's shape and decode its base64; raise :class:`MalformedEnvelope` on any defect."""
    if type(envelope) is not dict and not isinstance(envelope, Mapping):
        raise MalformedEnvelope("not a JSON object", where=where, remedy="give a DSSE envelope")
    payload_type = envelope.get("payloadType")
    payload_b64 = envelope.get("payload")
    signatures = envelope.get("signatures")
    problems = []
    if not isinstance(payload_type, str) or not payload_type:
        problems.append("payloadType must be a non-empty string")
    if not isinstance(payload_b64, str):
        problems.append("payload must be a base64 string")
    if not isinstance(signatures, list) or not signatures:
        problems.append("signatures must be a non-empty list")
    if problems:
        raise MalformedEnvelope("; ".join(problems), where=where, remedy="give a DSSE v1 envelope")
    assert isinstance(payload_type, str) and isinstance(payload_b64, str) and isinstance(signatures, list)
    if len(signatures) > MAX_SIGNATURES:
        raise MalformedEnvelope(f"{len(signatures)} signatures (more than {MAX_SIGNATURES})", where=where)
    payload = b64decode_strict(payload_b64, where=f"{where}.payload")
    parsed: list[EnvelopeSignature] = []
    for i, entry in enumerate(signatures):
        at = f"{where}.signatures[{i}]"
        if type(entry) is not dict and not isinstance(entry, Mapping):
            raise MalformedEnvelope("not an object", where=at)
        keyid = entry.get("keyid", "")
        sig = entry.get("sig")
        if keyid is None:
            keyid = ""
        if not isinstance(keyid, str):
            raise MalformedEnvelope("keyid must be a string", where=f"{at}.keyid")
        if not isinstance(sig, str):
            raise MalformedEnvelope("sig must be a base64 string", where=f"{at}.sig")
        parsed.append(EnvelopeSignature(keyid, b64decode_strict(sig, where=f"{at}.sig")))
    return ParsedEnvelope(payload_type, payload, tuple(parsed))


@dataclass(frozen=True)
class VerifiedEnvelope:
    """What verification proved: these exact payload bytes, of this type, signed by these trusted keys."""

    payload_type: str
    payload: bytes
    keyids: frozenset[str]


def _check_trusted(trusted: Mapping[str, PublicKey]) -> None:
    for keyid, key in trusted.items():
        if key.keyid != keyid:
            raise KeyIdMismatch(f"trusted key listed as {keyid} has key id {key.keyid}", remedy="fix the trust root")


def verify_envelope(
    envelope: Mapping[str, Any],
    trusted: Mapping[str, PublicKey],
    threshold: int,
    *,
    expected_payload_type: str | None = None,
    revoked: Mapping[str, PublicKey] | None = None,
    where: str = "envelope",
) -> VerifiedEnvelope:
    """Verify ``envelope`` against ``trusted`` keys (key id -> key) needing ``threshold`` unique signers.

    Raises a :class:`~provenance.signing.errors.SignatureError` subclass naming the failure:
    :class:`PayloadTypeMismatch`, :class:`BadSignature` (malformed signature),
    :class:`TamperedPayload` (a trusted key's signature does not cover these bytes),
    :class:`UntrustedKey`, :class:`RevokedKey`, :class:`DuplicateSignatures` or
    :class:`ThresholdNotMet`; :class:`KeyIdMismatch` if ``trusted`` maps an id to another key;
    :class:`MalformedEnvelope`/:class:`InvalidBase64` for shape.
    """
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    parsed = parse_envelope(envelope, where=where)
    if expected_payload_type is not None and parsed.payload_type != expected_payload_type:
        raise PayloadTypeMismatch(
            f"payloadType is {parsed.payload_type!r}, expected {expected_payload_type!r}",
            where=where,
            remedy="this envelope is not the kind of document asked for (or its type was swapped)",
        )
    message = pae(parsed.payload_type, parsed.payload)
    signers: set[str] = set()
    valid_count = 0
    malformed: list[int] = []
    hinted_trusted: list[str] = []
    for index, entry in enumerate(parsed.signatures):
        if not signature_is_canonical(entry.sig):
            malformed.append(index)
            continue
        hinted = trusted.get(entry.keyid)
        if hinted is not None:
            if hinted.keyid != entry.keyid:
                _check_trusted(trusted)
            if hinted.is_valid(entry.sig, message):
                signers.add(hinted.keyid)
                valid_count += 1
                continue
            hinted_trusted.append(entry.keyid)
        # The hint is empty, unknown or wrong: try every other trusted key.
        for key in trusted.values():
            if key is hinted:
                continue
            if key.is_valid(entry.sig, message):
                signers.add(key.keyid)
                valid_count += 1
                break
    if len(signers) >= threshold:
        return VerifiedEnvelope(parsed.payload_type, parsed.payload, frozenset(signers))
    _check_trusted(trusted)
    if signers:
        if valid_count >= threshold:
            raise DuplicateSignatures(
                f"{valid_count} valid signatures but only {len(signers)} unique trusted key(s); threshold is {threshold}",
                where=where,
                remedy="the same key counts once: collect signatures from other trusted keys",
            )
        raise ThresholdNotMet(
            f"{len(signers)} unique trusted key(s) signed; threshold is {threshold}",
            where=where,
            remedy="collect more signatures from trusted keys",
        )
    for entry in parsed.signatures:
        for key in (revoked or {}).values():
            if signature_is_canonical(entry.sig) and key.is_valid(entry.sig, message):
                raise RevokedKey(
                    f"signed by revoked key {key.keyid}",
                    where=where,
                    remedy="the key was revoked in the trust root; have the document re-signed by a current key",
                )
    if malformed and len(malformed) == len(parsed.signatures):
        raise BadSignature(
            f"signature(s) {malformed} are not canonical 64-byte Ed25519 signatures",
            where=where,
            remedy="the signature was corrupted or forged; use the original envelope",
        )
    if hinted_trusted:
        raise TamperedPayload(
            f"the signature by trusted key {hinted_trusted[0]} does not cover this payload and payloadType",
            where=where,
            remedy="the payload or its type was changed after signing (or the signature corrupted); do not trust it",
        )
    hints = sorted({e.keyid for e in parsed.signatures if e.keyid}) or ["(none)"]
    raise UntrustedKey(
        f"no trusted key verifies any signature (key id hints: {', '.join(h[:16] for h in hints)})",
        where=where,
        remedy="the signer is not trusted for this role: check --trust and --role",
    )


def envelope_keyids(envelope: Mapping[str, Any]) -> Collection[str]:
    """The key id hints of an envelope (unauthenticated)."""
    return [e.keyid for e in parse_envelope(envelope).signatures]
