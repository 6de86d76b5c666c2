"""The fast path agrees with the strict path on every line, or declines (differential, Hypothesis).

Strict path: the one strict JSON reader (``jsonio.loads_strict``) then
``dsse.verify_envelope`` (threshold 1, the correction payload type). Lines are
valid envelopes from fixed keys and mutations of them: reordered keys,
escapes, whitespace, duplicate keys, padding, URL-safe and bad base64, bad
signatures, wrong or missing key ids, extra signatures, floats, huge integers
and flipped bytes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.corrections import fastpath
from provenance.corrections.record import PAYLOAD_TYPE
from provenance.errors import ProvenanceError
from provenance.jsonio import canonical_bytes, loads_strict
from provenance.signing.dsse import pae, sign_envelope, verify_envelope
from provenance.signing.keys import SigningKey, generate_key

TRUSTED = generate_key()
OTHER_TRUSTED = generate_key()
UNTRUSTED = generate_key()
TRUST = {TRUSTED.keyid: TRUSTED.public, OTHER_TRUSTED.keyid: OTHER_TRUSTED.public}
KEYS = fastpath.fast_keys(TRUST)


def strict(line: bytes) -> tuple[bytes, tuple[str, ...]] | None:
    try:
        envelope = loads_strict(line, source="line")
        verified = verify_envelope(envelope, TRUST, 1, expected_payload_type=PAYLOAD_TYPE)
    except (ProvenanceError, ValueError):  # ValueError: an integer over Python's digit limit
        return None
    return verified.payload, tuple(sorted(verified.keyids))


def _escape_first(text: str) -> str:
    return f"\\u{ord(text[0]):04x}" + text[1:] if text else text


def _sig_entry(key: SigningKey, message: bytes, mutation: str) -> list[tuple[str, str]]:
    sig = key.sign(message)
    if mutation == "bad-sig":
        sig = bytes([sig[0] ^ 1]) + sig[1:]
    encoded = base64.b64encode(sig).decode("ascii")
    keyid = key.keyid
    if mutation == "url-safe-sig":
        encoded = encoded.replace("+", "-").replace("/", "_")
    elif mutation == "unpadded-sig":
        encoded = encoded.rstrip("=")
    elif mutation == "keyid-upper":
        keyid = keyid.upper()
    elif mutation == "keyid-other":
        keyid = OTHER_TRUSTED.keyid
    elif mutation == "keyid-empty":
        keyid = ""
    keyid_text, sig_text = json.dumps(keyid), json.dumps(encoded)
    if mutation == "escaped-sig":
        sig_text = '"' + _escape_first(encoded) + '"'
    elif mutation == "escaped-keyid":
        keyid_text = '"' + _escape_first(keyid) + '"'
    pairs = [("keyid", keyid_text), ("sig", sig_text)]
    if mutation == "keyid-missing":
        pairs = pairs[1:]
    if mutation == "dup-sig-key":
        pairs.append(("sig", sig_text))
    return pairs


PAYLOAD_MUTATIONS = ["none", "url-safe", "unpadded", "extra-pad", "bang", "escaped", "slash-escape", "other-type"]
SIG_MUTATIONS = ["none", "bad-sig", "url-safe-sig", "unpadded-sig", "escaped-sig", "keyid-upper", "keyid-other",
                 "keyid-empty", "escaped-keyid", "keyid-missing", "dup-sig-key"]
ENVELOPE_MUTATIONS = ["none", "reorder", "spaces", "indent", "dup-payload", "float", "huge-int", "extra-field",
                      "two-sigs", "trailing-space", "leading-space", "no-sigs", "sig-not-object"]


def _obj(pairs: list[tuple[str, str]], sep: str = ",", colon: str = ":") -> str:
    return "{" + sep.join(f"{json.dumps(k)}{colon}{v}" for k, v in pairs) + "}"


def build_line(payload: bytes, signer: SigningKey, payload_mut: str, sig_mut: str, env_mut: str, flip: int | None) -> bytes:
    ptype = PAYLOAD_TYPE if payload_mut != "other-type" else "application/json"
    message = pae(ptype, payload)
    encoded = base64.b64encode(payload).decode("ascii")
    if payload_mut == "url-safe":
        encoded = encoded.replace("+", "-").replace("/", "_")
    elif payload_mut == "unpadded":
        encoded = encoded.rstrip("=")
    elif payload_mut == "extra-pad":
        encoded += "===="
    elif payload_mut == "bang":
        encoded = encoded[:2] + "!" + encoded[3:] if len(encoded) > 3 else "!"
    sig_pairs = _sig_entry(signer, message, sig_mut)
    sigs = [_obj(sig_pairs)]
    if env_mut == "two-sigs":
        sigs.append(_obj(_sig_entry(OTHER_TRUSTED, message, "none")))
    payload_text = json.dumps(encoded)
    if payload_mut == "escaped":
        payload_text = '"' + _escape_first(encoded) + '"'
    elif payload_mut == "slash-escape":
        payload_text = json.dumps(encoded).replace("/", "\\/")
    pairs: list[tuple[str, str]] = [("payload", payload_text), ("payloadType", json.dumps(ptype)),
                                    ("signatures", "[" + ",".join(sigs) + "]")]
    if env_mut == "no-sigs":
        pairs[2] = ("signatures", "[]")
    elif env_mut == "sig-not-object":
        pairs[2] = ("signatures", "[" + json.dumps(sigs[0]) + "]")
    elif env_mut == "reorder":
        pairs = [pairs[1], pairs[2], pairs[0]]
    elif env_mut == "dup-payload":
        pairs.insert(0, ("payload", json.dumps(base64.b64encode(b"other").decode())))
    elif env_mut == "float":
        pairs.append(("x", "1.5"))
    elif env_mut == "huge-int":
        pairs.append(("x", "9" * 5000))
    elif env_mut == "extra-field":
        pairs.append(("x", "1"))
    if env_mut == "spaces":
        text = _obj(pairs, ", ", ": ")
    elif env_mut == "indent":
        text = _obj(pairs, ",\n  ", ": ").replace("{", "{\n  ", 1)
    else:
        text = _obj(pairs)
    if env_mut == "trailing-space":
        text += " "
    elif env_mut == "leading-space":
        text = " " + text
    line = text.encode("utf-8")
    if flip is not None and line:
        i = flip % len(line)
        line = line[:i] + bytes([line[i] ^ 0x20]) + line[i + 1 :]
    return line


payloads = st.one_of(
    st.binary(max_size=80),
    st.dictionaries(st.text(max_size=8), st.one_of(st.text(max_size=20), st.integers(-5, 5)), max_size=4).map(canonical_bytes),
)


@settings(max_examples=1500, deadline=None)
@given(
    payload=payloads,
    signer=st.sampled_from([TRUSTED, OTHER_TRUSTED, UNTRUSTED]),
    payload_mut=st.sampled_from(PAYLOAD_MUTATIONS),
    sig_mut=st.sampled_from(SIG_MUTATIONS),
    env_mut=st.sampled_from(ENVELOPE_MUTATIONS),
    flip=st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_fast_path_agrees_with_the_strict_path_or_declines(
    payload: bytes, signer: SigningKey, payload_mut: str, sig_mut: str, env_mut: str, flip: int | None
) -> None:
    line = build_line(payload, signer, payload_mut, sig_mut, env_mut, flip)
    fast = fastpath.verify_line(line, KEYS)
    if fast is not None:
        assert fast == strict(line)


@settings(max_examples=300, deadline=None)
@given(payload=payloads, signer=st.sampled_from([TRUSTED, OTHER_TRUSTED]))
def test_the_form_an_append_writes_takes_the_fast_path(payload: bytes, signer: SigningKey) -> None:
    line = canonical_bytes(sign_envelope(payload, PAYLOAD_TYPE, [signer]))
    assert fastpath.verify_line(line, KEYS) == strict(line) == (payload, (signer.keyid,))
    assert fastpath.narrow_payload(line) == payload


def test_url_safe_base64_is_decoded_alike_by_both_paths() -> None:
    # A payload whose base64 holds '+' and '/': both paths accept the URL-safe spelling alike.
    payload = bytes(range(250, 256)) * 3
    line = build_line(payload, TRUSTED, "url-safe", "url-safe-sig", "none", None)
    assert b"-" in line or b"_" in line
    assert fastpath.verify_line(line, KEYS) == strict(line) == (payload, (TRUSTED.keyid,))


def test_keys_whose_listed_id_is_not_their_own_are_never_used() -> None:
    wrong: dict[str, Any] = {OTHER_TRUSTED.keyid: TRUSTED.public}
    line = canonical_bytes(sign_envelope(b"x", PAYLOAD_TYPE, [TRUSTED]))
    assert fastpath.fast_keys(wrong) == {}
    assert fastpath.verify_line(line, fastpath.fast_keys(wrong)) is None
