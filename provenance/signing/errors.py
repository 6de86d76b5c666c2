"""Typed errors of :mod:`provenance.signing`: one class per way a signature or trust root fails.

Verification never returns False: it raises one of these, each naming what
failed, where, and what to do. Failed checks exit 1 (:class:`CheckFailed`);
documents that are not envelopes, keys or trust roots at all exit 2
(:class:`InputError`).
"""

from __future__ import annotations

from provenance.errors import CheckFailed, InputError


class KeyFileError(InputError):
    """A key file is missing, unreadable, malformed, encrypted without a passphrase, or too open."""


class MalformedEnvelope(InputError):
    """The document is not a DSSE v1 envelope (missing or mistyped fields)."""


class InvalidBase64(MalformedEnvelope):
    """A payload or signature is not valid base64 (truncated, bad padding, stray characters)."""


class MalformedTrustRoot(InputError):
    """The trust-root file is not a trust-root-v1 document."""


class SignatureError(CheckFailed):
    """Base of every signature verification failure."""


class BadSignature(SignatureError):
    """A signature is not a well-formed Ed25519 signature (length, non-canonical S), or fails verification."""


class TamperedPayload(BadSignature):
    """A well-formed signature naming a trusted key does not cover these bytes: payload or type changed."""


class UntrustedKey(SignatureError):
    """No signature was made by a key trusted for the role ("wrong key")."""


class RevokedKey(SignatureError):
    """A signature verifies, but only under a key the trust root has revoked."""


class ThresholdNotMet(SignatureError):
    """Fewer unique trusted keys signed than the role's threshold."""


class DuplicateSignatures(ThresholdNotMet):
    """The threshold is reached only by counting the same key more than once."""


class PayloadTypeMismatch(SignatureError):
    """The envelope's payloadType is not the one the verifier expects ("swapped payload type")."""


class KeyIdMismatch(SignatureError):
    """A key id does not equal the sha256 of the key it names."""


class DigestMismatch(CheckFailed):
    """A file's sha256 differs from the one the signed statement names (or no subject names it)."""


class TrustRootError(CheckFailed):
    """Base of trust-root chain failures."""


class ExpiredRoot(TrustRootError):
    """The newest trust root has expired."""


class RollbackError(TrustRootError):
    """A trust root older than one already seen, or a chain whose versions do not go up by one."""


class ForkedRoot(RollbackError):
    """Two different trust roots claim the same version of the same chain."""
