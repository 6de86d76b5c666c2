"""Ed25519 keys: generation, key ids, encrypted PKCS#8 files, verification.

A key id is the lowercase hex sha256 of the raw 32-byte public key. A private
key lives in a PKCS#8 PEM file encrypted with a passphrase (mode 0600), its
public key beside it as ``PATH.pub`` (SubjectPublicKeyInfo PEM, preceded by
``# name: value`` comment lines carrying the key id, role and name).

The rules a careful key holder expects, enforced here: a new key's passphrase
has at least :data:`MIN_PASSPHRASE_CHARS` characters; a private key file
(encrypted or not) readable or writable by group or others is refused; a
``PATH.pub`` beside a private key must hold that key's public half. Passphrases
are arguments: this module never reads the environment or a terminal.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from archive.atomic import atomic_write_bytes
from provenance.clock import rfc3339, utc_now
from provenance.errors import InputError
from provenance.inputfile import read_input_bytes
from provenance.signing.errors import BadSignature, KeyFileError, KeyIdMismatch

KEYTYPE = "ed25519"
SCHEME = "ed25519"
ROLES: tuple[str, ...] = ("root", "attestor", "corrector", "log")
"""The roles a key can serve in a trust root."""

# Order of the Ed25519 group; a signature's S must be below it (RFC 8032 section 5.1.7).
ED25519_L = 2**252 + 27742317777372353535851937790883648493
MAX_KEY_FILE_BYTES = 64 * 1024
MIN_PASSPHRASE_CHARS = 8
"""A new key's passphrase has at least this many characters."""


def keyid_of(raw: bytes) -> str:
    """Key id of a raw 32-byte Ed25519 public key: lowercase hex sha256."""
    if len(raw) != 32:
        raise KeyFileError(f"an Ed25519 public key is 32 bytes, not {len(raw)}", remedy="give a raw Ed25519 key")
    return hashlib.sha256(raw).hexdigest()


def signature_is_canonical(sig: bytes) -> bool:
    """True when ``sig`` has Ed25519's shape: 64 bytes with S below the group order (no S+L malleation)."""
    return len(sig) == 64 and int.from_bytes(sig[32:], "little") < ED25519_L


# ---- PKCS#8 encryption -----------------------------------------------------------------
# (cryptography's serialization and cipher modules are imported where used: verifying needs neither,
# and they cost start-up time.)
# cryptography's BestAvailableEncryption uses PBKDF2 with only 2048 iterations for PKCS#8
# and offers no way to raise it there, so the EncryptedPrivateKeyInfo (RFC 5958, PBES2 of
# RFC 8018: PBKDF2-HMAC-SHA256 + AES-256-CBC, as OpenSSL writes it) is built here and read
# back by cryptography/OpenSSL as usual.

KDF_ITERATIONS = 600_000
"""PBKDF2-HMAC-SHA256 iterations for new key files (OWASP 2023 guidance)."""

_OID_PBES2 = bytes.fromhex("2a864886f70d01050d")
_OID_PBKDF2 = bytes.fromhex("2a864886f70d01050c")
_OID_HMAC_SHA256 = bytes.fromhex("2a864886f70d0209")
_OID_AES256_CBC = bytes.fromhex("60864801650304012a")


def _der(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + body


def _der_int(value: int) -> bytes:
    return _der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _pbes2_encrypt(plain: bytes, passphrase: bytes, iterations: int) -> bytes:
    salt, iv = os.urandom(16), os.urandom(16)
    key = hashlib.pbkdf2_hmac("sha256", passphrase, salt, iterations, 32)
    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    padder = padding.PKCS7(128).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    prf = _der(0x30, _der(0x06, _OID_HMAC_SHA256) + b"\x05\x00")
    kdf = _der(0x30, _der(0x06, _OID_PBKDF2) + _der(0x30, _der(0x04, salt) + _der_int(iterations) + prf))
    scheme = _der(0x30, _der(0x06, _OID_AES256_CBC) + _der(0x04, iv))
    algorithm = _der(0x30, _der(0x06, _OID_PBES2) + _der(0x30, kdf + scheme))
    return _der(0x30, algorithm + _der(0x04, encrypted))


def _pem(label: str, der: bytes) -> bytes:
    b64 = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode("ascii")


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key and its key id; :meth:`verify` raises, never returns False."""

    keyid: str
    raw: bytes
    _key: Ed25519PublicKey = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if len(self.raw) != 32:
            raise KeyFileError(f"an Ed25519 public key is 32 bytes, not {len(self.raw)}")
        actual = hashlib.sha256(self.raw).hexdigest()
        if actual != self.keyid:
            raise KeyIdMismatch(
                f"key id {self.keyid} does not match its key (sha256 of the key is {actual})",
                remedy="the key entry was altered; restore it from a trusted copy",
            )
        object.__setattr__(self, "_key", Ed25519PublicKey.from_public_bytes(self.raw))

    @classmethod
    def from_raw(cls, raw: bytes) -> PublicKey:
        """The public key with raw bytes ``raw``; its key id is computed."""
        return cls(keyid_of(raw), bytes(raw))

    def verify(self, sig: bytes, msg: bytes) -> None:
        """Raise :class:`BadSignature` unless ``sig`` is this key's valid signature over ``msg``."""
        if not signature_is_canonical(sig):
            raise BadSignature(
                f"not a canonical 64-byte Ed25519 signature ({len(sig)} bytes)", where=f"key {self.keyid[:16]}"
            )
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            raise BadSignature(
                "signature does not verify", where=f"key {self.keyid[:16]}", remedy="the data or signature changed"
            ) from None

    def is_valid(self, sig: bytes, msg: bytes) -> bool:
        """Fast predicate for hot loops that classify failures themselves (see :mod:`.dsse`)."""
        try:
            self._key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    def to_pem(self) -> bytes:
        """SubjectPublicKeyInfo PEM."""
        from cryptography.hazmat.primitives import serialization

        return self._key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def to_json(self) -> dict[str, Any]:
        """TUF-style key entry: ``{"keytype", "scheme", "public": base64(raw)}``."""
        return {"keytype": KEYTYPE, "scheme": SCHEME, "public": base64.b64encode(self.raw).decode("ascii")}

    @classmethod
    def from_json(cls, entry: Mapping[str, Any], *, keyid: str | None = None, where: str = "key") -> PublicKey:
        """Parse a TUF-style key entry; if ``keyid`` is given it must match the key."""
        if entry.get("keytype") != KEYTYPE or entry.get("scheme") != SCHEME:
            raise KeyFileError(
                f"unsupported key type {entry.get('keytype')!r}/{entry.get('scheme')!r}",
                where=where,
                remedy="only ed25519/ed25519 keys are supported",
            )
        public = entry.get("public")
        if not isinstance(public, str):
            raise KeyFileError("key entry has no base64 'public' field", where=where)
        try:
            raw = base64.b64decode(public, validate=True)
        except ValueError:
            raise KeyFileError("key 'public' is not base64", where=where) from None
        if len(raw) != 32:
            raise KeyFileError(f"an Ed25519 public key is 32 bytes, not {len(raw)}", where=where)
        computed = keyid_of(raw)
        if keyid is not None and keyid != computed:
            raise KeyIdMismatch(
                f"key id {keyid} does not match its key (sha256 of the key is {computed})",
                where=where,
                remedy="the key entry was altered; restore it from a trusted copy",
            )
        return cls(computed, raw)


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key; ``public`` carries the key id."""

    public: PublicKey
    _private: Ed25519PrivateKey = field(repr=False, compare=False, hash=False)

    @property
    def keyid(self) -> str:
        return self.public.keyid

    def sign(self, msg: bytes) -> bytes:
        """The 64-byte Ed25519 signature of ``msg`` (deterministic)."""
        return self._private.sign(msg)

    @classmethod
    def from_private(cls, private: Ed25519PrivateKey) -> SigningKey:
        from cryptography.hazmat.primitives import serialization

        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cls(PublicKey.from_raw(raw), private)

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """The key whose 32-byte RFC 8032 secret is ``seed`` (for fixed test vectors)."""
        return cls.from_private(Ed25519PrivateKey.from_private_bytes(seed))

    def private_pem(self, passphrase: bytes | None, *, kdf_iterations: int = KDF_ITERATIONS) -> bytes:
        """PKCS#8 PEM, encrypted with ``passphrase`` (PBES2) unless it is None."""
        from cryptography.hazmat.primitives import serialization

        plain = self._private.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        if not passphrase:
            return _pem("PRIVATE KEY", plain)
        return _pem("ENCRYPTED PRIVATE KEY", _pbes2_encrypt(plain, passphrase, kdf_iterations))


def generate_key() -> SigningKey:
    """A fresh Ed25519 key from the operating system's random source."""
    return SigningKey.from_private(Ed25519PrivateKey.generate())


def check_new_passphrase(passphrase: bytes) -> None:
    """Refuse a passphrase too short to protect a new key (:data:`MIN_PASSPHRASE_CHARS` characters)."""
    chars = len(passphrase.decode("utf-8", errors="replace"))
    if chars < MIN_PASSPHRASE_CHARS:
        raise KeyFileError(
            f"a passphrase of {chars} character(s) is too short to protect a private key",
            remedy=f"choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters",
        )


def _read_key_file(path: Path) -> bytes:
    try:
        return read_input_bytes(path, max_bytes=MAX_KEY_FILE_BYTES, what="a key file")
    except InputError as exc:
        remedy = "check the path or run `provenance keys generate`" if exc.message == "no such file" else exc.remedy
        raise KeyFileError(exc.message.replace("no such file", "no such key file"), where=exc.where,
                           remedy=remedy) from None


def _refuse_open_permissions(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise KeyFileError(
            f"private key is readable or writable by others (mode {mode:04o})",
            where=str(path),
            remedy=f"run `chmod 600 {path}`",
        )


@dataclass(frozen=True)
class PublicKeyInfo:
    """A public key file's key and the metadata in its comment lines (role, name, created)."""

    key: PublicKey
    path: Path
    meta: Mapping[str, str]

    @property
    def role(self) -> str | None:
        return self.meta.get("role")

    @property
    def name(self) -> str | None:
        return self.meta.get("name")


def public_key_file_bytes(key: PublicKey, meta: Mapping[str, str]) -> bytes:
    """The ``PATH.pub`` form: ``# field: value`` lines, then the PEM."""
    lines = [f"# provenance-archive public key ({KEYTYPE})", f"# keyid: {key.keyid}"]
    for name in sorted(meta):
        value = meta[name]
        if "\n" in value or "\r" in value or name == "keyid":
            raise KeyFileError(f"metadata field {name!r} cannot hold a line break", remedy="use one line")
        lines.append(f"# {name}: {value}")
    return ("\n".join(lines) + "\n").encode("utf-8") + key.to_pem()


def _parse_meta(text: str) -> dict[str, str]:
    meta: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("-----BEGIN"):
            break
        if line.startswith("# ") and ": " in line:
            name, _, value = line[2:].partition(": ")
            meta[name.strip()] = value.strip()
    return meta


def load_public_key_info(path: str | os.PathLike[str]) -> PublicKeyInfo:
    """Read a public key PEM (with optional comment metadata); a recorded key id must match."""
    from cryptography.hazmat.primitives import serialization

    p = Path(path)
    data = _read_key_file(p)
    if b"PRIVATE KEY-----" in data:
        raise KeyFileError(
            "this is a private key file", where=str(p), remedy=f"give the public key ({p.name}.pub)"
        )
    try:
        loaded = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise KeyFileError("not a PEM public key", where=str(p), remedy="give a PATH.pub file made by `provenance keys generate`") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise KeyFileError("not an Ed25519 public key", where=str(p), remedy="use an Ed25519 key")
    key = PublicKey.from_raw(loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    meta = _parse_meta(data.decode("utf-8", errors="replace"))
    recorded = meta.pop("keyid", None)
    if recorded is not None and recorded != key.keyid:
        raise KeyIdMismatch(
            f"the file says key id {recorded} but its key's id is {key.keyid}",
            where=str(p),
            remedy="the file was edited; regenerate it from the private key (`provenance keys show KEY`)",
        )
    return PublicKeyInfo(key, p, meta)


def load_public_key(path: str | os.PathLike[str]) -> PublicKey:
    """Read a public key PEM file (``PATH.pub``)."""
    return load_public_key_info(path).key


def load_signing_key(path: str | os.PathLike[str], passphrase: bytes | None = None) -> SigningKey:
    """Read a PKCS#8 PEM private key, decrypting it with ``passphrase`` when it is encrypted.

    Refused: a file readable or writable by group or others (encrypted or not);
    an encrypted key without a passphrase; a ``PATH.pub`` beside it holding another key.
    """
    from cryptography.hazmat.primitives import serialization

    p = Path(path)
    data = _read_key_file(p)
    if b"-----BEGIN PUBLIC KEY-----" in data and b"PRIVATE KEY-----" not in data:
        raise KeyFileError("this is a public key file", where=str(p), remedy="give the private key file")
    _refuse_open_permissions(p)
    encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data
    if encrypted and passphrase is None:
        raise KeyFileError("the key is encrypted and no passphrase was given", where=str(p),
                           remedy="give its passphrase")
    try:
        loaded = serialization.load_pem_private_key(data, passphrase if encrypted else None)
    except TypeError:
        raise KeyFileError("the key is encrypted and no passphrase was given", where=str(p),
                           remedy="give its passphrase") from None
    except ValueError as exc:
        if encrypted:
            raise KeyFileError("wrong passphrase (the key could not be decrypted)", where=str(p),
                               remedy="check the passphrase") from None
        raise KeyFileError(f"not a PEM private key ({exc})", where=str(p),
                           remedy="give a key made by `provenance keys generate`") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyFileError("not an Ed25519 private key", where=str(p), remedy="use an Ed25519 key")
    key = SigningKey.from_private(loaded)
    _refuse_foreign_public_file(p, key)
    return key


def _refuse_foreign_public_file(path: Path, key: SigningKey) -> None:
    pub = path.with_name(path.name + ".pub")
    if not pub.exists():
        return
    held = load_public_key_info(pub).key
    if held.keyid != key.keyid:
        raise KeyFileError(
            f"{pub.name} holds key {held.keyid[:16]} but the private key is {key.keyid[:16]}",
            where=str(path),
            remedy=f"{pub.name} belongs to another key: remove it, or write the right one with "
            f"`provenance keys show {path} --pem`",
        )


def key_file_kind(path: str | os.PathLike[str]) -> Literal["encrypted", "unencrypted", "public"]:
    """What a key file holds: an ``encrypted`` or ``unencrypted`` private key, else (presumably) a ``public`` one."""
    data = _read_key_file(Path(path))
    if b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in data:
        return "encrypted"
    return "unencrypted" if b"PRIVATE KEY-----" in data else "public"


def key_file_is_encrypted(path: str | os.PathLike[str]) -> bool:
    """True when the private key file is passphrase-encrypted PKCS#8."""
    return key_file_kind(path) == "encrypted"


def save_signing_key(
    key: SigningKey,
    path: str | os.PathLike[str],
    passphrase: bytes | None,
    *,
    role: str | None = None,
    name: str | None = None,
    overwrite: bool = False,
    now: datetime | None = None,
) -> Path:
    """Write ``key`` to ``path`` (mode 0600, atomic) and its public key to ``PATH.pub``; return the .pub path.

    ``passphrase=None`` writes an unencrypted key: callers decide that explicitly;
    a passphrase must pass :func:`check_new_passphrase`. Existing files are refused
    unless ``overwrite``.
    """
    if passphrase is not None:
        check_new_passphrase(passphrase)
    p = Path(path)
    pub = p.with_name(p.name + ".pub")
    if role is not None and role not in ROLES:
        raise KeyFileError(f"unknown role {role!r}", remedy=f"use one of: {', '.join(ROLES)}")
    if not overwrite:
        for target in (p, pub):
            if target.exists():
                raise KeyFileError("file exists", where=str(target), remedy="choose another path or remove it first")
    if not p.parent.is_dir():
        raise KeyFileError("directory does not exist", where=str(p.parent), remedy="create it first")
    meta: dict[str, str] = {"created": rfc3339(now or utc_now())}
    if role:
        meta["role"] = role
    if name:
        meta["name"] = name
    pub_bytes = public_key_file_bytes(key.public, meta)
    atomic_write_bytes(p, key.private_pem(passphrase), 0o600)
    try:
        atomic_write_bytes(pub, pub_bytes, 0o644)
    except BaseException:
        p.unlink(missing_ok=True)  # nothing half-written: no private key without its .pub
        raise
    return pub
