"""C2SP signed notes (c2sp.org/signed-note) and transparency-log checkpoints (c2sp.org/tlog-checkpoint).

A signed note is UTF-8 text ending in a newline, a blank line, then one line per
signature: ``— <key name> <base64(4-byte key ID || signature)>`` (U+2014). The
key ID is the first four bytes of ``SHA-256(name || "\\n" || type || public key)``,
type ``0x01`` for Ed25519. A checkpoint is a note whose text is the log origin,
the tree size in decimal and the base64 RFC 6962 root, one per line.

Pure functions on bytes; Ed25519 comes from :mod:`cryptography`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from provenance.corrections.errors import NoteError

ALG_ED25519 = 0x01
SIG_PREFIX = "\u2014 "
MAX_SIGNATURES = 100
_NAME = re.compile(r"^[^\s+]+$")
_SIZE = re.compile(r"^(0|[1-9][0-9]*)$")
_REMEDY = "fetch the checkpoint again from its publisher"


def _check_name(name: str) -> None:
    if not name or not _NAME.match(name):
        raise NoteError(
            f"key name {name!r} is not a valid note key name (non-empty, no spaces, no '+')",
            remedy="choose a name without spaces or '+', e.g. example.org/log",
        )


def key_id(name: str, public_key: bytes, alg: int = ALG_ED25519) -> int:
    """The 32-bit key ID of a note verifier key: ``SHA-256(name || 0x0A || alg || key)[:4]``."""
    _check_name(name)
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([alg]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def verifier_key(name: str, public_key: bytes) -> str:
    """The text form of an Ed25519 verifier key: ``<name>+<8 hex key ID>+<base64(0x01 || key)>``."""
    if len(public_key) != 32:
        raise NoteError("an Ed25519 public key is 32 bytes", remedy="give the raw public key")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, public_key):08x}+{encoded}"


@dataclass(frozen=True)
class Verifier:
    """One Ed25519 note verifier: a key name and its raw public key."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.public_key)

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


def parse_verifier_key(text: str) -> Verifier:
    """Parse ``<name>+<hex key ID>+<base64(alg || key)>``; the key ID must match the key."""
    parts = text.strip().split("+")
    if len(parts) != 3:
        raise NoteError(f"verifier key {text!r} is not name+keyid+key", remedy="copy the whole verifier key")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted = int(hex_id, 16)
    except (binascii.Error, ValueError):
        raise NoteError("verifier key is not valid hex and base64", remedy="copy the whole verifier key") from None
    if len(hex_id) != 8 or len(raw) != 33 or raw[0] != ALG_ED25519:
        raise NoteError("verifier key is not an Ed25519 note key", remedy="give an Ed25519 (type 0x01) key")
    verifier = Verifier(name, raw[1:])
    if verifier.key_id != wanted:
        raise NoteError(f"verifier key ID {hex_id} does not match its key", remedy="copy the whole verifier key")
    return verifier


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: the signer's key name, 32-bit key ID and raw signature."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Note:
    """A parsed signed note: its text (ending in a newline) and every signature line."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def to_bytes(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode("utf-8")


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text does not end in a newline", remedy=_REMEDY)
    for ch in text:
        if (ord(ch) < 0x20 and ch != "\n") or ord(ch) == 0x7F:
            raise NoteError(f"note text holds control character U+{ord(ch):04X}", remedy=_REMEDY)


def sign_note(text: str, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> Note:
    """Sign ``text`` (ending in a newline) as key ``name`` with Ed25519 ``sign``."""
    _check_text(text)
    signature = sign(text.encode("utf-8"))
    if len(signature) != 64:
        raise NoteError("an Ed25519 signature is 64 bytes", remedy="sign with an Ed25519 key")
    return Note(text, (NoteSignature(name, key_id(name, public_key), signature),))


def add_signature(note: Note, name: str, public_key: bytes, sign: Callable[[bytes], bytes]) -> Note:
    """A copy of ``note`` with one more signature (a cosignature by another key)."""
    extra = sign_note(note.text, name, public_key, sign).signatures
    return Note(note.text, note.signatures + extra)


def parse_note(data: bytes) -> Note:
    """Split a signed note into text and signature lines; malformed input raises :class:`NoteError`."""
    try:
        message = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("signed note is not UTF-8", remedy=_REMEDY) from None
    split = message.rfind("\n\n")
    if split < 0:
        raise NoteError("signed note has no blank line before its signatures", remedy=_REMEDY)
    text, sig_block = message[: split + 1], message[split + 2 :]
    _check_text(text)
    if not sig_block.endswith("\n"):
        raise NoteError("signed note's last signature line does not end in a newline", remedy=_REMEDY)
    signatures: list[NoteSignature] = []
    for line in sig_block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise NoteError(f"malformed signature line {line[:40]!r}", remedy=_REMEDY)
        name, sep, encoded = line[len(SIG_PREFIX) :].partition(" ")
        try:
            blob = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"signature of {name!r} is not base64", remedy=_REMEDY) from None
        if not sep or not name or " " in encoded or len(blob) < 5:
            raise NoteError(f"malformed signature line for {name!r}", remedy=_REMEDY)
        signatures.append(NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:]))
    if not signatures:
        raise NoteError("signed note has no signatures", remedy=_REMEDY)
    if len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"signed note has over {MAX_SIGNATURES} signatures", remedy=_REMEDY)
    return Note(text, tuple(signatures))


def verify_note(data: bytes, verifiers: Sequence[Verifier]) -> tuple[Note, tuple[Verifier, ...]]:
    """Parse and verify a signed note; return it with the known verifiers whose signatures hold.

    Unknown keys are ignored; a known key whose signature fails is rejected, and
    so is a note that no known key signed.
    """
    note = parse_note(data)
    by_id: Mapping[tuple[str, int], Verifier] = {(v.name, v.key_id): v for v in verifiers}
    message = note.text.encode("utf-8")
    good: list[Verifier] = []
    for sig in note.signatures:
        verifier = by_id.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verify(message, sig.signature):
            raise NoteError(
                f"signature by {sig.name} (key ID {sig.key_id:08x}) does not verify: the note was altered",
                remedy=_REMEDY,
            )
        if verifier not in good:
            good.append(verifier)
    if not good:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in note.signatures)
        raise NoteError(
            f"no trusted key signed this note (signed by: {names})",
            remedy="check the log key in the trust root and the checkpoint's origin",
        )
    return note, tuple(good)


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint body: origin, tree size, RFC 6962 root, and any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii"), *self.extensions]
        return "\n".join(lines) + "\n"


def parse_checkpoint_text(text: str) -> Checkpoint:
    """Parse the three (or more) lines of a checkpoint body."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("checkpoint needs an origin, a size and a root line", remedy=_REMEDY)
    origin, size, encoded = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("checkpoint origin line is empty", remedy=_REMEDY)
    if not _SIZE.match(size):
        raise NoteError(f"checkpoint size {size!r} is not a decimal without leading zeros", remedy=_REMEDY)
    try:
        root = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise NoteError("checkpoint root line is not base64", remedy=_REMEDY) from None
    if len(root) != 32:
        raise NoteError(f"checkpoint root is {len(root)} bytes, not 32", remedy=_REMEDY)
    extensions = tuple(lines[3:-1])
    if any(not line for line in extensions):
        raise NoteError("checkpoint has an empty extension line", remedy=_REMEDY)
    return Checkpoint(origin, int(size), root, extensions)


def parse_checkpoint(data: bytes) -> Checkpoint:
    """The checkpoint in signed-note bytes, parsed but **not verified** (for describing one; verify with
    :func:`verify_checkpoint` before relying on it)."""
    return parse_checkpoint_text(parse_note(data).text)


def sign_checkpoint(checkpoint: Checkpoint, public_key: bytes, sign: Callable[[bytes], bytes]) -> bytes:
    """Signed-note bytes of ``checkpoint``, signed by the log key named after its origin."""
    return sign_note(checkpoint.text(), checkpoint.origin, public_key, sign).to_bytes()


def verify_checkpoint(
    data: bytes, public_keys: Sequence[bytes], *, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify a checkpoint signed by one of the log ``public_keys`` under its origin's key name.

    ``origin``, when given, must equal the checkpoint's origin line.
    """
    note = parse_note(data)
    checkpoint = parse_checkpoint_text(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(
            f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}",
            remedy="give the checkpoint of this log",
        )
    verify_note(data, [Verifier(checkpoint.origin, key) for key in public_keys])
    return checkpoint, note
