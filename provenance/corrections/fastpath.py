"""The fast path of entry verification: a log line in the exact form an append writes, cut by offsets.

**Invariant.** For every line and every set of trusted keys, :func:`verify_line`
either returns exactly what the strict path returns for that line -- the strict
JSON reader (:func:`provenance.jsonio.loads_strict`) then
:func:`provenance.signing.dsse.verify_envelope` with threshold 1 and the
correction payload type: the verified payload bytes and the key ids that signed
-- or returns None, and the caller runs the strict path.

Why it holds. The narrow form is the RFC 8785 bytes of a one-signature envelope::

    {"payload":"P","payloadType":"<PAYLOAD_TYPE>","signatures":[{"keyid":"K","sig":"S"}]}

Everything but ``P``, ``K`` and ``S`` is fixed. ``P`` and ``S`` are decoded by
the one strict base64 decoder (:func:`~provenance.signing.dsse.b64decode_strict`,
the decoder ``verify_envelope`` uses), which accepts only base64 alphabet
characters and ``=``: no quote, backslash or control character, so each is a
whole JSON string without escapes. ``K`` must be the id of a trusted key, which
is lowercase hex. Such a line is therefore a JSON object with exactly those
three members (no duplicate keys, no numbers), and ``verify_envelope`` on it
decodes the same bytes, finds the hinted key and returns ``(P, {K})`` when that
key's signature holds -- which is the one thing this path checks. When it does
not hold, ``verify_envelope`` would try the other keys: this path declines
instead. ``tests/corrections/test_fastpath.py`` checks the invariant on
generated and mutated lines.

**The payload.** :func:`record_of` either returns exactly what
:func:`~provenance.jsonio.loads_strict` returns for a payload -- when that is a
record :func:`~provenance.corrections.record.shape_ok` accepts -- or returns
None. It parses with the plain decoder (no per-object hook), declining floats,
NaN and Infinity, integers beyond +-(2**53 - 1), and anything it cannot parse;
what remains is to show there is no duplicate key, which the plain decoder
would silently collapse. In a text where no quote is followed by whitespace,
every key's closing quote is followed at once by ``:``, so the text holds at
least as many ``":`` as members (more where a string starts with ``:`` or an
escaped quote precedes one); the parsed objects hold at most as many keys as
the text has members (fewer exactly when a key repeats), and the objects the
shape describes at most as many as all objects. When the count of ``":``
equals the members of the described objects
(:func:`~provenance.corrections.record.shaped_members`), all are equal: no key
repeats. Otherwise it declines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from provenance.corrections.record import PAYLOAD_TYPE, shape_ok, shaped_members
from provenance.errors import ProvenanceError
from provenance.jsonio import MAX_SAFE_INTEGER
from provenance.signing.dsse import b64decode_strict, pae
from provenance.signing.keys import PublicKey, signature_is_canonical

__all__ = ["FastKeys", "fast_keys", "narrow_payload", "record_of", "verify_line", "verify_lines"]

_HEAD = b'{"payload":"'
_MID = b'","payloadType":"' + PAYLOAD_TYPE.encode("ascii") + b'","signatures":[{"keyid":"'
_SIG = b'","sig":"'
_END = b'"}]}'
_KEYID_LEN = 64
_SIG_LEN = 88  # base64 of 64 bytes, padded
_TAIL = len(_MID) + _KEYID_LEN + len(_SIG) + _SIG_LEN + len(_END)

FastKeys = Mapping[bytes, tuple[str, Ed25519PublicKey]]
"""Trusted keys by the ASCII bytes of their key id: (key id, key)."""


def fast_keys(trusted: Mapping[str, PublicKey]) -> FastKeys:
    """The keys the fast path may use: each trusted key whose listed id is its own key id."""
    return {
        keyid.encode("ascii"): (keyid, Ed25519PublicKey.from_public_bytes(key.raw))
        for keyid, key in trusted.items()
        if key.keyid == keyid
    }


def _cut(line: bytes) -> tuple[bytes, bytes, bytes] | None:
    """``(P, K, S)`` of a line in the narrow form, or None."""
    tail = len(line) - _TAIL
    if tail < len(_HEAD) or not line.startswith(_HEAD) or not line.endswith(_END):
        return None
    if not line.startswith(_MID, tail):
        return None
    keyid_at = tail + len(_MID)
    sig_at = keyid_at + _KEYID_LEN + len(_SIG)
    if not line.startswith(_SIG, keyid_at + _KEYID_LEN):
        return None
    return line[len(_HEAD) : tail], line[keyid_at : keyid_at + _KEYID_LEN], line[sig_at : sig_at + _SIG_LEN]


def _decode(text: bytes) -> bytes | None:
    try:
        return b64decode_strict(text.decode("ascii"), where="entry")
    except (UnicodeDecodeError, ProvenanceError):
        return None


def narrow_payload(line: bytes) -> bytes | None:
    """The payload of a narrow-form line, decoded strictly but **not verified** (None for any other line).

    For readers of entries already vouched for by a signed checkpoint root.
    """
    parts = _cut(line)
    return None if parts is None else _decode(parts[0])


def _prepare(line: bytes, keys: FastKeys) -> tuple[Ed25519PublicKey, bytes, bytes, bytes, str] | None:
    """Key, signature, signed bytes (PAE), payload and key id of a narrow-form line with a trusted key id."""
    parts = _cut(line)
    if parts is None:
        return None
    encoded_payload, keyid, encoded_sig = parts
    hit = keys.get(keyid)
    if hit is None:
        return None
    payload = _decode(encoded_payload)
    sig = _decode(encoded_sig)
    if payload is None or sig is None or not signature_is_canonical(sig):
        return None
    return hit[1], sig, pae(PAYLOAD_TYPE, payload), payload, hit[0]


def verify_line(line: bytes, keys: FastKeys) -> tuple[bytes, tuple[str, ...]] | None:
    """``(payload, (keyid,))`` when ``line`` is in the narrow form and its signature holds; else None."""
    return verify_lines([line], keys)[0]


def verify_lines(lines: Sequence[bytes], keys: FastKeys) -> list[tuple[bytes, tuple[str, ...]] | None]:
    """:func:`verify_line` for each line; the signatures are checked in one tight loop after all are cut."""
    out: list[tuple[bytes, tuple[str, ...]] | None] = [None] * len(lines)
    prepared = [(i, parts) for i, parts in enumerate(_prepare(line, keys) for line in lines) if parts is not None]
    for i, (key, sig, message, payload, keyid) in prepared:
        try:
            key.verify(sig, message)
        except InvalidSignature:
            continue
        out[i] = (payload, (keyid,))
    return out


class _Declined(Exception):
    """Raised inside the decoder: the payload is left to the strict reader."""


def _decline(_: str) -> NoReturn:
    raise _Declined


def _safe_int(literal: str) -> int:
    if len(literal) <= 17:  # "-" and 16 digits: longer is out of range, and never converted
        value = int(literal)
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
    raise _Declined


_DECODER = json.JSONDecoder(parse_float=_decline, parse_int=_safe_int, parse_constant=_decline)


def record_of(payload: bytes) -> dict[str, Any] | None:
    """The record ``payload`` holds, as the strict reader reads it, when its shape is valid; else None (see above)."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if '" ' in text or '"\n' in text or '"\t' in text or '"\r' in text:  # JSON's whitespace after a quote
        return None
    try:
        record = _DECODER.decode(text)
    except (ValueError, _Declined, RecursionError):  # JSONDecodeError is a ValueError
        return None
    if not shape_ok(record) or text.count('":') != shaped_members(record):
        return None
    return record  # type: ignore[no-any-return]
