"""The trust root: a TUF-like, versioned, expiring, threshold-signed list of keys per role.

File layout (``trust-root.json``, schema ``trust-root-v1``)::

    {"contract": "trust-root-v1",
     "chain": [<DSSE envelope of version 1>, <... version 2>, ...]}

Each envelope (payloadType ``application/vnd.provenance-archive.trust-root.v1+json``)
carries the RFC 8785 bytes of one version's metadata::

    {"_type": "https://provenance-archive.dev/trust-root/v1", "version": N,
     "issued": "...Z", "expires": "...Z", "previous": <sha256 hex of version N-1's payload> | null,
     "keys": {<keyid>: {"keytype": "ed25519", "scheme": "ed25519", "public": <b64>, "name"?: ...}},
     "roles": {"root"|"attestor"|"corrector"|"log": {"keyids": [...], "threshold": t}},
     "revoked": {<keyid>: {<key entry>, "revoked_at": "...Z"}}}

The whole chain is kept in the one file, so an auditor holding any copy can
walk it from version 1. Rules (TUF spec 1.0.34, section 5.3): version 1 is
signed by a threshold of its own root keys; version N+1 must be exactly N+1,
name version N's payload sha256 in ``previous``, and be signed by a threshold
of version N's root keys *and* of its own; thresholds count unique keys; the
newest version must not have expired; revoking a key removes it from every
role and records it under ``revoked``. The chain id is the sha256 of version
1's payload. Rollback protection across runs: a :class:`TrustState` file
remembers the newest version seen per chain id and refuses older or forked
roots; :func:`check_not_rollback` compares against a known chain. Which state
file (if any) is the caller's choice: this module never reads the environment.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from provenance import contracts
from provenance.clock import parse_time, rfc3339, utc_now
from provenance.errors import InputError
from provenance.jsonio import canonical_bytes, load_json_file, loads_strict, write_json
from provenance.schemas import SCHEMA_BASE_URI, acceptor_for, validate, validator_for
from provenance.signing.dsse import (
    VerifiedEnvelope,
    add_signatures,
    parse_envelope,
    sign_envelope,
    verify_envelope,
)
from provenance.signing.errors import (
    ExpiredRoot,
    ForkedRoot,
    MalformedTrustRoot,
    PayloadTypeMismatch,
    RollbackError,
    SignatureError,
    ThresholdNotMet,
    TrustRootError,
)
from provenance.signing.keys import ROLES, PublicKey, SigningKey

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

    from provenance.schema_accept import Acceptor

CONTRACT = contracts.TRUST_ROOT
ROOT_TYPE = "https://provenance-archive.dev/trust-root/v1"
PAYLOAD_TYPE = "application/vnd.provenance-archive.trust-root.v1+json"
DEFAULT_LIFETIME = timedelta(days=365)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Role:
    """The keys trusted for a role and how many of them (unique) must sign."""

    keyids: tuple[str, ...]
    threshold: int


@dataclass(frozen=True)
class TrustRoot:
    """One verified version of the trust root."""

    version: int
    expires: datetime
    issued: datetime
    keys: Mapping[str, PublicKey]
    roles: Mapping[str, Role]
    revoked: Mapping[str, PublicKey]
    revoked_at: Mapping[str, datetime]
    names: Mapping[str, str]
    digest: str
    chain_id: str
    metadata: Mapping[str, Any] = field(repr=False)

    def keys_for(self, role: str) -> tuple[Mapping[str, PublicKey], int]:
        """The trusted keys (key id -> key) of ``role`` and its threshold."""
        if role not in self.roles:
            raise InputError(f"unknown role {role!r}", remedy=f"use one of: {', '.join(self.roles)}")
        r = self.roles[role]
        return {k: self.keys[k] for k in r.keyids}, r.threshold

    def verify(
        self, envelope: Mapping[str, Any], role: str, *, expected_payload_type: str | None = None,
        where: str = "envelope",
    ) -> VerifiedEnvelope:
        """Verify a DSSE envelope against ``role``'s keys and threshold; revoked keys are named as such."""
        trusted, threshold = self.keys_for(role)
        return verify_envelope(
            envelope, trusted, threshold, expected_payload_type=expected_payload_type,
            revoked=self.revoked, where=where,
        )

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires


@dataclass(frozen=True)
class TrustChain:
    """Every version of a trust root, verified in order; ``latest`` is the one to use."""

    versions: tuple[TrustRoot, ...]
    document: Mapping[str, Any] = field(repr=False)

    @property
    def latest(self) -> TrustRoot:
        return self.versions[-1]

    @property
    def chain_id(self) -> str:
        return self.versions[0].chain_id

    def root_at(self, when: datetime) -> TrustRoot:
        """The version in effect at ``when`` (the newest issued at or before it).

        For dating old signatures (e.g. a correction issued before a key was
        revoked); the time must itself be vouched for (a checkpoint), never taken
        from the signed record alone.
        """
        current = [r for r in self.versions if r.issued <= when]
        if not current:
            raise InputError(
                f"{rfc3339(when)} is before version 1 was issued ({rfc3339(self.versions[0].issued)})",
                remedy="no key was trusted then",
            )
        return current[-1]


_METADATA_SCHEMA = {"$ref": SCHEMA_BASE_URI + CONTRACT + ".json#/$defs/metadata"}


@functools.cache
def _metadata_acceptor() -> Acceptor:
    return acceptor_for(_METADATA_SCHEMA)


@functools.cache
def _metadata_validator() -> Draft202012Validator:
    return validator_for(_METADATA_SCHEMA)


def _validate_metadata(doc: Any, where: str) -> None:
    if _metadata_acceptor()(doc):
        return
    errors = sorted(_metadata_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        listed = "; ".join(
            "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path) + f": {e.message}"
            for e in errors[:10]
        )
        raise MalformedTrustRoot(f"invalid trust-root metadata: {listed}", where=where,
                                 remedy="restore the trust root from a trusted copy")


def _root_from_metadata(doc: Mapping[str, Any], payload: bytes, chain_id: str | None, where: str) -> TrustRoot:
    _validate_metadata(doc, where)
    keys: dict[str, PublicKey] = {}
    names: dict[str, str] = {}
    for keyid, entry in doc["keys"].items():
        keys[keyid] = PublicKey.from_json(entry, keyid=keyid, where=f"{where}.keys.{keyid[:16]}")
        if "name" in entry:
            names[keyid] = entry["name"]
    revoked: dict[str, PublicKey] = {}
    revoked_at: dict[str, datetime] = {}
    for keyid, entry in doc.get("revoked", {}).items():
        revoked[keyid] = PublicKey.from_json(entry, keyid=keyid, where=f"{where}.revoked.{keyid[:16]}")
        revoked_at[keyid] = parse_time(entry["revoked_at"], where=f"{where}.revoked.{keyid[:16]}")
        if keyid in keys:
            raise MalformedTrustRoot(f"key {keyid[:16]} is both trusted and revoked", where=where)
    roles: dict[str, Role] = {}
    for name in ROLES:
        spec = doc["roles"][name]
        keyids = tuple(spec["keyids"])
        for k in keyids:
            if k not in keys:
                raise MalformedTrustRoot(f"role {name} names key {k[:16]} that is not in keys", where=where)
        if spec["threshold"] > len(keyids) and (keyids or name == "root"):
            raise MalformedTrustRoot(
                f"role {name} threshold {spec['threshold']} exceeds its {len(keyids)} key(s)", where=where
            )
        roles[name] = Role(keyids, spec["threshold"])
    digest = hashlib.sha256(payload).hexdigest()
    return TrustRoot(
        version=doc["version"],
        expires=parse_time(doc["expires"], where=f"{where}.expires"),
        issued=parse_time(doc["issued"], where=f"{where}.issued"),
        keys=keys,
        roles=roles,
        revoked=revoked,
        revoked_at=revoked_at,
        names=names,
        digest=digest,
        chain_id=chain_id or digest,
        metadata=doc,
    )


def _verify_root_signatures(envelope: Mapping[str, Any], signer: TrustRoot, where: str, label: str) -> None:
    trusted, threshold = signer.keys_for("root")
    try:
        verify_envelope(envelope, trusted, threshold, expected_payload_type=PAYLOAD_TYPE,
                        revoked=signer.revoked, where=where)
    except SignatureError as exc:
        raise type(exc)(f"{label}: {exc.message}", where=exc.where, remedy=exc.remedy) from None


def verify_chain_document(document: Any, *, now: datetime | None = None, source: str = "trust root") -> TrustChain:
    """Verify every version of a trust-root document and the expiry of the newest one."""
    findings = validate(document, CONTRACT)
    if findings:
        listed = "; ".join(str(f) for f in findings[:10])
        raise MalformedTrustRoot(f"not a trust-root-v1 document: {listed}", where=source,
                                 remedy="give a trust-root.json made by `provenance trust init`")
    versions: list[TrustRoot] = []
    for index, envelope in enumerate(document["chain"]):
        where = f"{source}: chain[{index}]"
        # Decoding happens before any key is trusted; the signatures are checked below.
        parsed = parse_envelope(envelope, where=where)
        if parsed.payload_type != PAYLOAD_TYPE:
            raise PayloadTypeMismatch(f"payloadType {parsed.payload_type!r} is not a trust root", where=where,
                                      remedy="restore the trust root from a trusted copy")
        try:
            metadata = loads_strict(parsed.payload, source=where)
        except InputError as exc:
            raise MalformedTrustRoot(exc.message, where=where) from None
        previous = versions[-1] if versions else None
        root = _root_from_metadata(metadata, parsed.payload, previous.chain_id if previous else None, where)
        expected_version = previous.version + 1 if previous else 1
        if root.version != expected_version:
            raise RollbackError(
                f"version {root.version} follows version {expected_version - 1}; versions must go up by exactly one",
                where=where,
                remedy="the chain was reordered, truncated or rolled back; restore it from a trusted copy",
            )
        expected_previous = previous.digest if previous else None
        if metadata.get("previous") != expected_previous:
            raise RollbackError(
                f"version {root.version} does not name version {expected_version - 1}'s digest as previous",
                where=where,
                remedy="versions were swapped between chains; restore the trust root from a trusted copy",
            )
        if previous is not None:
            _verify_root_signatures(envelope, previous, where, f"version {root.version} not signed by version {previous.version}'s root keys")
        _verify_root_signatures(envelope, root, where, f"version {root.version} not signed by its own root keys")
        versions.append(root)
    latest = versions[-1]
    now = now or utc_now()
    if latest.is_expired(now):
        raise ExpiredRoot(
            f"trust root version {latest.version} expired at {rfc3339(latest.expires)} (now {rfc3339(now)})",
            where=source,
            remedy="ask the root key holders for a newer trust root (`provenance trust ... --expires`)",
        )
    return TrustChain(tuple(versions), document)


def load_trust_chain(
    path: str | os.PathLike[str],
    *,
    now: datetime | None = None,
    known: TrustChain | None = None,
    state: TrustState | None = None,
) -> TrustChain:
    """Read and verify ``trust-root.json``; with ``known`` or ``state``, refuse rollbacks and forks.

    No ``state`` means no state: nothing is read or written beyond ``path``
    (the CLI decides which state file, if any, an auditor keeps).
    """
    document = load_json_file(path)
    chain = verify_chain_document(document, now=now, source=str(path))
    if known is not None:
        check_not_rollback(chain, known, where=str(path))
    if state is not None:
        state.check_and_record(chain, where=str(path), now=now)
    return chain


def load_trust_root(
    path: str | os.PathLike[str],
    *,
    now: datetime | None = None,
    known: TrustChain | None = None,
    state: TrustState | None = None,
) -> TrustRoot:
    """The newest version of a verified trust-root chain (see :func:`load_trust_chain`)."""
    return load_trust_chain(path, now=now, known=known, state=state).latest


def check_not_rollback(chain: TrustChain, known: TrustChain, *, where: str = "trust root") -> None:
    """Raise unless ``chain`` is ``known`` or extends it (same chain id, same digests up to known's end)."""
    if chain.chain_id != known.chain_id:
        raise TrustRootError(
            "this trust root starts from a different version 1 than the known one",
            where=where, remedy="it is another trust root altogether; check which one you were given",
        )
    if chain.latest.version < known.latest.version:
        raise RollbackError(
            f"version {chain.latest.version} is older than the known version {known.latest.version}",
            where=where, remedy="a newer trust root was already seen; use it",
        )
    for ours, theirs in zip(chain.versions, known.versions, strict=False):
        if ours.digest != theirs.digest:
            raise ForkedRoot(f"version {ours.version} differs from the known version {theirs.version}", where=where,
                             remedy="two different roots claim one version: report it to the root key holders")


@dataclass(frozen=True)
class StateOutcome:
    """What :meth:`TrustState.check_and_record` did: ``pinned`` a chain seen for the first time
    (trust on first use), ``advanced`` to a newer version, or found it ``unchanged``."""

    status: Literal["pinned", "advanced", "unchanged"]
    chain_id: str
    version: int
    previous_version: int | None


class TrustState:
    """A small JSON file remembering, per chain id, the newest version seen and its digest."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"contract": contracts.TRUST_STATE, "chains": {}}
        doc = load_json_file(self.path)
        if not isinstance(doc, dict) or not isinstance(doc.get("chains"), dict) or not all(
            isinstance(v, dict) and type(v.get("version")) is int and v["version"] >= 1 and isinstance(v.get("sha256"), str)
            for v in doc["chains"].values()
        ):
            raise InputError("not a trust-state file", where=str(self.path), remedy="remove it to start over")
        return doc

    def check_and_record(self, chain: TrustChain, *, where: str, now: datetime | None = None) -> StateOutcome:
        """Refuse ``chain`` if an equal or newer version of it was seen with other bytes; then record it."""
        doc = self._read()
        seen = doc["chains"].get(chain.chain_id)
        latest = chain.latest
        seen_version: int | None = None
        if seen is not None:
            seen_version = seen["version"]
            if latest.version < seen_version:
                raise RollbackError(
                    f"version {latest.version} is older than version {seen_version} seen on {seen.get('seen_at', '?')}",
                    where=where, remedy="someone handed you an old trust root; get the current one",
                )
            if chain.versions[seen_version - 1].digest != seen["sha256"]:
                raise ForkedRoot(
                    f"version {seen_version} differs from the one seen before",
                    where=where, remedy="two different roots claim one version: report it to the root key holders",
                )
            if seen_version == latest.version:
                return StateOutcome("unchanged", chain.chain_id, latest.version, seen_version)
        doc["chains"][chain.chain_id] = {
            "version": latest.version,
            "sha256": latest.digest,
            "seen_at": rfc3339(now or utc_now()),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_json(self.path, doc, mode=0o600)
        return StateOutcome("pinned" if seen is None else "advanced", chain.chain_id, latest.version, seen_version)


# ---- writing new versions ---------------------------------------------------------------


def _key_entry(key: PublicKey, name: str | None) -> dict[str, Any]:
    entry = key.to_json()
    if name:
        entry["name"] = name
    return entry


def _sign_version(metadata: dict[str, Any], signers: Sequence[SigningKey]) -> dict[str, Any]:
    if not signers:
        raise InputError("no signing keys given", remedy="pass --sign-with ROOTKEY")
    unique = list({k.keyid: k for k in signers}.values())
    return sign_envelope(canonical_bytes(metadata), PAYLOAD_TYPE, unique)


def _require_threshold(envelope: Mapping[str, Any], signer_root: TrustRoot, label: str) -> None:
    try:
        _verify_root_signatures(envelope, signer_root, "new version", label)
    except SignatureError as exc:
        raise ThresholdNotMet(
            exc.message,
            remedy="sign with more root keys (--sign-with), or write it --partial and collect signatures with `trust sign`",
        ) from None


def init_trust_root(
    root_keys: Sequence[SigningKey],
    *,
    threshold: int = 1,
    now: datetime,
    expires: datetime | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A new trust-root document (version 1) whose root role is ``root_keys`` with ``threshold``."""
    unique = list({k.keyid: k for k in root_keys}.values())
    if not unique:
        raise InputError("a trust root needs at least one root key", remedy="pass --root-key KEY")
    if not 1 <= threshold <= len(unique):
        raise InputError(f"threshold {threshold} must be between 1 and the {len(unique)} unique root key(s)",
                         remedy="lower --threshold or add --root-key")
    names = names or {}
    metadata: dict[str, Any] = {
        "_type": ROOT_TYPE,
        "version": 1,
        "issued": rfc3339(now),
        "expires": rfc3339(expires or now + DEFAULT_LIFETIME),
        "previous": None,
        "keys": {k.keyid: _key_entry(k.public, names.get(k.keyid)) for k in unique},
        "roles": {
            role: {"keyids": sorted(k.keyid for k in unique) if role == "root" else [], "threshold": threshold if role == "root" else 1}
            for role in ROLES
        },
        "revoked": {},
    }
    if expires is not None and expires <= now:
        raise InputError(f"expiry {rfc3339(expires)} is not after now", remedy="give a future --expires")
    envelope = _sign_version(metadata, unique)
    document = {"contract": CONTRACT, "chain": [envelope]}
    verify_chain_document(document, now=now)
    return document


def _next_metadata(chain: TrustChain, now: datetime, expires: datetime | None) -> dict[str, Any]:
    latest = chain.latest
    metadata = loads_strict(canonical_bytes(latest.metadata))
    metadata["version"] = latest.version + 1
    metadata["previous"] = latest.digest
    metadata["issued"] = rfc3339(now)
    if expires is not None:
        if expires <= now:
            raise InputError(f"expiry {rfc3339(expires)} is not after now", remedy="give a future --expires")
        metadata["expires"] = rfc3339(expires)
    return dict(metadata)


def _append(
    chain: TrustChain, metadata: dict[str, Any], signers: Sequence[SigningKey], *, partial: bool, now: datetime
) -> dict[str, Any]:
    """``chain``'s document with ``metadata`` signed as its next version (the epilogue of every update)."""
    _check_thresholds(metadata)
    envelope = _sign_version(metadata, signers)
    new_root = _root_from_metadata(metadata, canonical_bytes(metadata), chain.chain_id, "new version")
    if not partial:
        _require_threshold(envelope, chain.latest, f"needs a threshold of version {chain.latest.version}'s root keys")
        _require_threshold(envelope, new_root, f"needs a threshold of version {new_root.version}'s own root keys")
    document = dict(chain.document)
    document["chain"] = [*chain.document["chain"], envelope]
    if not partial:
        verify_chain_document(document, now=now)
    return document


def _next_version(
    document: Mapping[str, Any], now: datetime, expires: datetime | None, role: str | None = None
) -> tuple[TrustChain, dict[str, Any]]:
    """The verified chain and a draft of its next version (the prologue of every update).

    Every signature and link of ``document`` is checked, but not its expiry: an
    expired root is renewed by a new version. ``role``, when given, must be a known role.
    """
    if role is not None and role not in ROLES:
        raise InputError(f"unknown role {role!r}", remedy=f"use one of: {', '.join(ROLES)}")
    chain = verify_chain_document(document, now=EPOCH, source="trust root")
    return chain, _next_metadata(chain, now, expires)


def add_key(
    document: Mapping[str, Any],
    role: str,
    key: PublicKey,
    signers: Sequence[SigningKey],
    *,
    now: datetime,
    name: str | None = None,
    threshold: int | None = None,
    expires: datetime | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """The document with a next version trusting ``key`` for ``role`` (a revoked key cannot come back)."""
    chain, metadata = _next_version(document, now, expires, role)
    if key.keyid in metadata["revoked"]:
        raise InputError(f"key {key.keyid[:16]} was revoked in an earlier version", remedy="generate a new key")
    if key.keyid in metadata["roles"][role]["keyids"]:
        raise InputError(f"key {key.keyid[:16]} is already trusted for {role}", remedy="nothing to do")
    existing = metadata["keys"].get(key.keyid)
    metadata["keys"][key.keyid] = _key_entry(key, name or (existing or {}).get("name"))
    metadata["roles"][role]["keyids"] = sorted([*metadata["roles"][role]["keyids"], key.keyid])
    if threshold is not None:
        metadata["roles"][role]["threshold"] = threshold
    return _append(chain, metadata, signers, partial=partial, now=now)


def remove_key(
    document: Mapping[str, Any],
    keyid: str,
    signers: Sequence[SigningKey],
    *,
    now: datetime,
    role: str | None = None,
    expires: datetime | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """The document with a next version without ``keyid`` (in ``role`` only, or everywhere = revoked).

    A key left in no role is revoked: recorded under ``revoked`` with the time.
    A key id prefix of at least 8 hex digits is accepted if it is unique.
    """
    chain, metadata = _next_version(document, now, expires, role)
    keyid = _resolve_keyid(metadata["keys"], keyid)
    roles = [role] if role else [r for r in ROLES if keyid in metadata["roles"][r]["keyids"]]
    for r in roles:
        if keyid not in metadata["roles"][r]["keyids"]:
            raise InputError(f"key {keyid[:16]} is not trusted for {r}", remedy="check `provenance trust show`")
        metadata["roles"][r]["keyids"] = [k for k in metadata["roles"][r]["keyids"] if k != keyid]
    if not any(keyid in metadata["roles"][r]["keyids"] for r in ROLES):
        entry = metadata["keys"].pop(keyid)
        entry["revoked_at"] = rfc3339(now)
        metadata["revoked"][keyid] = entry
    return _append(chain, metadata, signers, partial=partial, now=now)


def set_threshold(
    document: Mapping[str, Any],
    role: str,
    threshold: int,
    signers: Sequence[SigningKey],
    *,
    now: datetime,
    expires: datetime | None = None,
    partial: bool = False,
) -> dict[str, Any]:
    """The document with a next version where ``role`` needs ``threshold`` unique signers."""
    chain, metadata = _next_version(document, now, expires, role)
    metadata["roles"][role]["threshold"] = threshold
    return _append(chain, metadata, signers, partial=partial, now=now)


def renew(
    document: Mapping[str, Any], signers: Sequence[SigningKey], *, now: datetime, expires: datetime, partial: bool = False
) -> dict[str, Any]:
    """The document with a next version that only moves the expiry."""
    chain, metadata = _next_version(document, now, expires)
    return _append(chain, metadata, signers, partial=partial, now=now)


def sign_latest(document: Mapping[str, Any], signers: Sequence[SigningKey], *, now: datetime) -> dict[str, Any]:
    """The document with signatures by ``signers`` added to its newest version (for k-of-n signing)."""
    chain_doc = list(document.get("chain", []))
    if not chain_doc:
        raise MalformedTrustRoot("the trust root has no versions", remedy="run `provenance trust init`")
    # Only root keys of the newest version or of the one before it can count; refuse others.
    allowed: set[str] = set()
    for envelope in chain_doc[-2:]:
        parsed = parse_envelope(envelope, where="trust root")
        metadata = loads_strict(parsed.payload, source="trust root")
        if isinstance(metadata, dict) and isinstance(metadata.get("roles"), dict):
            allowed.update(metadata["roles"].get("root", {}).get("keyids", []))
    for key in signers:
        if key.keyid not in allowed:
            raise InputError(f"key {key.keyid[:16]} is not a root key of the newest two versions",
                             remedy="sign with a root key (`provenance trust show --all-versions`)")
    out = dict(document)
    out["chain"] = [*chain_doc[:-1], add_signatures(chain_doc[-1], signers)]
    return out


def _check_thresholds(metadata: Mapping[str, Any]) -> None:
    """Refuse a version whose thresholds cannot be met; never lower a threshold silently."""
    for role in ROLES:
        spec = metadata["roles"][role]
        n = len(spec["keyids"])
        if spec["threshold"] < 1 or (n and spec["threshold"] > n) or (role == "root" and not n):
            raise InputError(
                f"role {role} would need {spec['threshold']} of {n} key(s)",
                remedy="keep at least one root key and each threshold between 1 and the number of keys "
                "(lower it first with `provenance trust set-threshold`)",
            )


def _resolve_keyid(keys: Mapping[str, Any], wanted: str) -> str:
    wanted = wanted.lower()
    if wanted in keys:
        return wanted
    matches = [k for k in keys if k.startswith(wanted)] if len(wanted) >= 8 else []
    if len(matches) == 1:
        return matches[0]
    raise InputError(f"no unique trusted key with id {wanted!r}", remedy="give the key id shown by `provenance trust show`")


def describe(root: TrustRoot) -> dict[str, Any]:
    """A JSON summary of one version (for ``trust show --json``)."""
    return {
        "version": root.version,
        "chain_id": root.chain_id,
        "sha256": root.digest,
        "issued": rfc3339(root.issued),
        "expires": rfc3339(root.expires),
        "roles": {
            name: {
                "threshold": r.threshold,
                "keys": [{"keyid": k, "name": root.names.get(k)} for k in r.keyids],
            }
            for name, r in root.roles.items()
        },
        "revoked": [{"keyid": k, "revoked_at": rfc3339(root.revoked_at[k])} for k in sorted(root.revoked)],
    }


def write_trust_document(path: str | os.PathLike[str], document: Mapping[str, Any]) -> None:
    """Atomically write a trust-root document."""
    write_json(path, document)


__all__ = [
    "CONTRACT",
    "PAYLOAD_TYPE",
    "ROOT_TYPE",
    "Role",
    "StateOutcome",
    "TrustChain",
    "TrustRoot",
    "TrustState",
    "add_key",
    "check_not_rollback",
    "init_trust_root",
    "load_trust_chain",
    "load_trust_root",
    "remove_key",
    "renew",
    "set_threshold",
    "sign_latest",
]
