"""DSSE v1: PAE as the spec says, the official vector, and one test per attack, each its own error."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.signing.dsse import (
    add_signatures,
    b64decode_strict,
    pae,
    sign_envelope,
    verify_envelope,
)
from provenance.signing.errors import (
    BadSignature,
    DuplicateSignatures,
    InvalidBase64,
    KeyIdMismatch,
    MalformedEnvelope,
    PayloadTypeMismatch,
    RevokedKey,
    SignatureError,
    TamperedPayload,
    ThresholdNotMet,
    UntrustedKey,
)
from provenance.signing.keys import ED25519_L, PublicKey, SigningKey


def fixed_key(n: int) -> SigningKey:
    """Key number ``n``: its RFC 8032 secret is 32 bytes of value ``n``."""
    return SigningKey.from_seed(bytes([n]) * 32)


PTYPE = "application/vnd.in-toto+json"

# The official DSSE vector (secure-systems-lab/dsse protocol.md): ECDSA P-256, RFC 6979.
DSSE_X = 46950820868899156662930047687818585632848591499744589407958293238635476079160
DSSE_Y = 5640078356564379163099075877009565129882514886557779369047442380624545832820
DSSE_D = 97358161215184420915383655311931858321456579547487070936769975997791359926199
DSSE_SIG = "A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="


def trusted(*indices: int) -> dict[str, PublicKey]:
    return {fixed_key(i).keyid: fixed_key(i).public for i in indices}


def env(payload: bytes = b'{"a":1}', ptype: str = PTYPE, signers: tuple[int, ...] = (1,)) -> dict[str, Any]:
    return sign_envelope(payload, ptype, [fixed_key(i) for i in signers])


def test_pae_official_vector_bytes() -> None:
    assert pae("http://example.com/HelloWorld", b"hello world") == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"


def test_official_dsse_vector_signature_verifies_over_our_pae() -> None:
    message = pae("http://example.com/HelloWorld", base64.b64decode("aGVsbG8gd29ybGQ="))
    sig = base64.b64decode(DSSE_SIG)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    public = ec.EllipticCurvePublicNumbers(DSSE_X, DSSE_Y, ec.SECP256R1()).public_key()
    public.verify(der, message, ec.ECDSA(hashes.SHA256()))
    # And deterministic signing (RFC 6979) over our PAE reproduces the vector's signature exactly.
    private = ec.derive_private_key(DSSE_D, ec.SECP256R1())
    r, s = decode_dss_signature(private.sign(message, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
    assert base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode() == DSSE_SIG


def test_pae_uses_byte_lengths_not_character_lengths() -> None:
    ptype = "application/vnd.example.prüfung+json"
    assert len(ptype) == 36 and len(ptype.encode()) == 37
    assert pae(ptype, "é".encode()) == b"DSSEv1 37 " + ptype.encode() + b" 2 \xc3\xa9"


def test_pae_empty_payload() -> None:
    assert pae("t", b"") == b"DSSEv1 1 t 0 "


def test_sign_and_verify_returns_exact_payload_and_signer() -> None:
    e = env(b'{"x": 1 }')
    v = verify_envelope(e, trusted(1, 2), 1, expected_payload_type=PTYPE)
    assert v.payload == b'{"x": 1 }' and v.payload_type == PTYPE and v.keyids == {fixed_key(1).keyid}


def test_bad_signature_s_plus_l_malleation() -> None:
    e = env()
    sig = base64.b64decode(e["signatures"][0]["sig"])
    s = int.from_bytes(sig[32:], "little") + ED25519_L
    e["signatures"][0]["sig"] = base64.b64encode(sig[:32] + s.to_bytes(32, "little")).decode()
    with pytest.raises(BadSignature) as info:
        verify_envelope(e, trusted(1), 1)
    assert type(info.value) is BadSignature


def test_bad_signature_truncated_signature_bytes() -> None:
    e = env()
    sig = base64.b64decode(e["signatures"][0]["sig"])
    e["signatures"][0]["sig"] = base64.b64encode(sig[:60]).decode()
    with pytest.raises(BadSignature) as info:
        verify_envelope(e, trusted(1), 1)
    assert type(info.value) is BadSignature


def test_wrong_key_valid_signature_by_untrusted_key() -> None:
    with pytest.raises(UntrustedKey):
        verify_envelope(env(signers=(3,)), trusted(1, 2), 1)


def test_wrong_key_claiming_a_trusted_keyid() -> None:
    e = env(signers=(3,))
    e["signatures"][0]["keyid"] = fixed_key(1).keyid
    with pytest.raises(SignatureError):
        verify_envelope(e, trusted(1), 1)


def test_revoked_key() -> None:
    revoked = {fixed_key(2).keyid: fixed_key(2).public}
    with pytest.raises(RevokedKey):
        verify_envelope(env(signers=(2,)), trusted(1), 1, revoked=revoked)


def test_tampered_payload() -> None:
    e = env(b'{"amount":"1"}')
    e["payload"] = base64.b64encode(b'{"amount":"9"}').decode()
    with pytest.raises(TamperedPayload):
        verify_envelope(e, trusted(1), 1)


def test_swapped_payload_type() -> None:
    e = env()
    e["payloadType"] = "application/vnd.provenance-archive.trust-root.v1+json"
    with pytest.raises(PayloadTypeMismatch):
        verify_envelope(e, trusted(1), 1, expected_payload_type=PTYPE)
    # Without an expected type the signature itself no longer covers the bytes.
    with pytest.raises(TamperedPayload):
        verify_envelope(e, trusted(1), 1)


def test_truncated_base64_payload() -> None:
    e = env(b"hello world")
    e["payload"] = e["payload"][:-1]
    with pytest.raises(InvalidBase64):
        verify_envelope(e, trusted(1), 1)


def test_truncated_base64_signature() -> None:
    e = env()
    e["signatures"][0]["sig"] = e["signatures"][0]["sig"][:-2]
    with pytest.raises(InvalidBase64):
        verify_envelope(e, trusted(1), 1)


def test_non_canonical_base64_trailing_bits() -> None:
    with pytest.raises(InvalidBase64):
        b64decode_strict("aGVsbG8gd29ybGR=", where="x")  # 'R' leaves non-zero bits
    assert b64decode_strict("aGVsbG8gd29ybGQ=", where="x") == b"hello world"


def test_threshold_met_only_by_duplicates_of_one_key() -> None:
    e = env(signers=(1,))
    e["signatures"] = [e["signatures"][0], dict(e["signatures"][0]), {"sig": e["signatures"][0]["sig"]}]
    with pytest.raises(DuplicateSignatures):
        verify_envelope(e, trusted(1, 2), 2)


def test_threshold_not_met() -> None:
    with pytest.raises(ThresholdNotMet) as info:
        verify_envelope(env(signers=(1,)), trusted(1, 2), 2)
    assert type(info.value) is ThresholdNotMet


def test_threshold_of_two_unique_keys_passes() -> None:
    v = verify_envelope(env(signers=(1, 2)), trusted(1, 2, 3), 2)
    assert v.keyids == {fixed_key(1).keyid, fixed_key(2).keyid}


def test_keyid_mismatch_in_trusted_mapping() -> None:
    bad = {fixed_key(2).keyid: fixed_key(1).public}
    with pytest.raises(KeyIdMismatch):
        verify_envelope(env(signers=(3,)), bad, 1)


def test_keyid_is_only_a_hint_empty_or_wrong_hint_is_accepted() -> None:
    e = env(signers=(2,))
    e["signatures"][0]["keyid"] = ""
    assert verify_envelope(e, trusted(1, 2), 1).keyids == {fixed_key(2).keyid}
    e["signatures"][0]["keyid"] = fixed_key(1).keyid  # a trusted but wrong hint
    assert verify_envelope(e, trusted(1, 2), 1).keyids == {fixed_key(2).keyid}
    del e["signatures"][0]["keyid"]
    assert verify_envelope(e, trusted(1, 2), 1).keyids == {fixed_key(2).keyid}


def test_url_safe_base64_is_accepted() -> None:
    payload = bytes(range(250, 256)) * 3  # encodes with + and /
    e = env(payload)
    assert "+" in e["payload"] or "/" in e["payload"]
    e["payload"] = base64.urlsafe_b64encode(payload).decode()
    e["signatures"][0]["sig"] = base64.urlsafe_b64encode(base64.b64decode(e["signatures"][0]["sig"])).decode()
    assert verify_envelope(e, trusted(1), 1).payload == payload


def test_unknown_fields_are_ignored() -> None:
    e = env()
    e["extension"] = {"x": 1}
    e["signatures"][0]["cert"] = "whatever"
    verify_envelope(e, trusted(1), 1)


@pytest.mark.parametrize(
    "bad",
    [[], "x", {"payload": "", "payloadType": PTYPE, "signatures": []},
     {"payload": 1, "payloadType": PTYPE, "signatures": [{"sig": ""}]},
     {"payload": "", "payloadType": "", "signatures": [{"sig": ""}]},
     {"payload": "", "payloadType": PTYPE, "signatures": [{"keyid": 3, "sig": ""}]}],
)
def test_malformed_envelopes(bad: Any) -> None:
    with pytest.raises(MalformedEnvelope):
        verify_envelope(bad, trusted(1), 1)


def test_add_signatures_skips_keys_that_already_signed() -> None:
    e = add_signatures(env(signers=(1,)), [fixed_key(1), fixed_key(2)])
    assert [s["keyid"] for s in e["signatures"]] == [fixed_key(1).keyid, fixed_key(2).keyid]
    verify_envelope(e, trusted(1, 2), 2)


def test_verify_does_not_mutate_envelope() -> None:
    e = env()
    before = copy.deepcopy(e)
    verify_envelope(e, trusted(1), 1)
    assert e == before


@settings(max_examples=60, deadline=None)
@given(
    payload=st.binary(max_size=300),
    ptype=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
    signers=st.sets(st.integers(1, 5), min_size=1, max_size=4),
    flip=st.integers(0, 10_000),
)
def test_property_sign_verify_round_trip_and_any_bit_flip_fails(
    payload: bytes, ptype: str, signers: set[int], flip: int
) -> None:
    e = sign_envelope(payload, ptype, [fixed_key(i) for i in sorted(signers)])
    v = verify_envelope(e, trusted(1, 2, 3, 4, 5), len(signers), expected_payload_type=ptype)
    assert v.payload == payload and v.keyids == {fixed_key(i).keyid for i in signers}
    # Flip one bit of the payload: no signature may verify any more.
    if payload:
        data = bytearray(payload)
        data[flip % len(data)] ^= 1 << (flip % 8)
        e["payload"] = base64.b64encode(bytes(data)).decode()
        with pytest.raises(SignatureError):
            verify_envelope(e, trusted(1, 2, 3, 4, 5), 1)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=80), urlsafe=st.booleans(), cut=st.integers(1, 3))
def test_property_strict_base64_round_trip_and_truncation(data: bytes, urlsafe: bool, cut: int) -> None:
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(data).decode()
    assert b64decode_strict(text, where="x") == data
    if len(text) >= cut:
        with pytest.raises(InvalidBase64):
            b64decode_strict(text[:-cut], where="x")


# ---- issue 13 item 19: one test per guard that survived its removal under mutation testing


def test_guard_threshold_zero_is_refused_even_when_nothing_verifies() -> None:
    untrusted_only = env(signers=(2,))
    with pytest.raises(ValueError, match="threshold"):
        verify_envelope(untrusted_only, trusted(1), 0)
    with pytest.raises(ValueError, match="threshold"):
        verify_envelope(env(), trusted(1), -1)


@pytest.mark.parametrize("text", ["aGVs!!!!bG8gd29ybGQ=", "aGVs bG8g", "aGVsbG8gd29ybGQ=\n", "a===", "===="])
def test_guard_strict_base64_refuses_stray_characters(text: str) -> None:
    with pytest.raises(InvalidBase64):
        b64decode_strict(text, where="x")


def test_guard_strict_base64_in_an_envelope_payload() -> None:
    bad = env()
    bad["payload"] = "aGVs!!!!bG8gd29ybGQ="
    with pytest.raises(InvalidBase64, match="payload"):
        verify_envelope(bad, trusted(1), 1)


def test_guard_at_most_64_signatures() -> None:
    many = env()
    many["signatures"] = [dict(many["signatures"][0]) for _ in range(64)]
    with pytest.raises(DuplicateSignatures):  # 64 is read; one key counts once
        verify_envelope(many, trusted(1), 2)
    assert verify_envelope(many, trusted(1), 1).keyids == {fixed_key(1).keyid}
    many["signatures"].append(dict(many["signatures"][0]))
    with pytest.raises(MalformedEnvelope, match="65 signatures"):
        verify_envelope(many, trusted(1), 1)


@pytest.mark.parametrize("junk", [
    {"keyid": "", "sig": base64.b64encode(b"short").decode()},
    {"keyid": fixed_key(1).keyid, "sig": base64.b64encode(b"\xff" * 64).decode()},  # S >= L: not canonical
    {"sig": base64.b64encode(bytes(64)).decode()},  # well-formed, verifies under no key
])
def test_guard_a_malformed_signature_before_a_valid_one_does_not_stop_it(junk: dict[str, str]) -> None:
    envelope = env()
    envelope["signatures"] = [junk, *envelope["signatures"]]
    assert verify_envelope(envelope, trusted(1), 1).keyids == {fixed_key(1).keyid}


@pytest.mark.parametrize("entry", ["sig", 7, None, ["sig"], True])
def test_guard_a_non_object_signature_entry_is_malformed(entry: Any) -> None:
    envelope = env()
    envelope["signatures"] = [entry, *envelope["signatures"]]
    with pytest.raises(MalformedEnvelope, match=r"signatures\[0\]: not an object"):
        verify_envelope(envelope, trusted(1), 1)


@pytest.mark.parametrize("sig", [None, 7, ["AAAA"], {"b64": "AAAA"}, True])
def test_guard_a_non_string_sig_is_malformed(sig: Any) -> None:
    envelope = env()
    envelope["signatures"].insert(0, {"keyid": "", "sig": sig})
    with pytest.raises(MalformedEnvelope, match=r"signatures\[0\]\.sig"):
        verify_envelope(envelope, trusted(1), 1)
    envelope["signatures"][0] = {"keyid": 5, "sig": envelope["signatures"][1]["sig"]}
    with pytest.raises(MalformedEnvelope, match=r"keyid must be a string"):
        verify_envelope(envelope, trusted(1), 1)


# ---- mutants that survived `make mutate` (scripts/mutate.py) in dsse.py, each killed here


def test_truncated_base64_is_named_as_truncated() -> None:
    with pytest.raises(InvalidBase64, match="truncated or unpadded"):
        b64decode_strict("aGVsbG8", where="x")


def test_sign_envelope_refuses_no_keys_and_a_non_ascii_or_empty_type() -> None:
    with pytest.raises(ValueError, match="at least one key"):
        sign_envelope(b"x", PTYPE, [])
    for bad in ("", "application/vnd.prüfung+json"):
        with pytest.raises(ValueError, match="non-empty ASCII"):
            sign_envelope(b"x", bad, [fixed_key(1)])


def test_add_signatures_adds_one_signature_per_key_even_if_given_twice() -> None:
    signed = add_signatures(env(signers=(1,)), [fixed_key(2), fixed_key(2)])
    assert [s["keyid"] for s in signed["signatures"]] == [fixed_key(1).keyid, fixed_key(2).keyid]


def test_any_mapping_is_an_envelope_and_a_signature_entry() -> None:
    from types import MappingProxyType

    envelope = env()
    proxied = MappingProxyType({**envelope, "signatures": [MappingProxyType(envelope["signatures"][0])]})
    assert verify_envelope(proxied, trusted(1), 1).keyids == {fixed_key(1).keyid}


def test_verified_envelope_is_frozen() -> None:
    import dataclasses

    verified = verify_envelope(env(), trusted(1), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        verified.payload = b"other"  # type: ignore[misc]


def test_a_malformed_signature_beside_an_untrusted_valid_one_is_untrusted_not_malformed() -> None:
    envelope = env(signers=(2,))
    envelope["signatures"].insert(0, {"keyid": "", "sig": base64.b64encode(b"short").decode()})
    with pytest.raises(UntrustedKey):
        verify_envelope(envelope, trusted(1), 1)


def test_untrusted_key_message_names_the_hints_or_none() -> None:
    with pytest.raises(UntrustedKey, match=fixed_key(2).keyid[:16]) as info:
        verify_envelope(env(signers=(2,)), trusted(1), 1)
    assert "(none)" not in str(info.value)
    hintless = env(signers=(2,))
    hintless["signatures"][0]["keyid"] = ""
    with pytest.raises(UntrustedKey, match=r"\(none\)"):
        verify_envelope(hintless, trusted(1), 1)


def test_a_trusted_entry_whose_id_names_another_key_is_refused_even_when_its_signature_verifies() -> None:
    """The trust mapping says key id of k1 but holds k2's key; k2 signed with k1's id as the hint."""
    envelope = env(signers=(2,))
    envelope["signatures"][0]["keyid"] = fixed_key(1).keyid
    with pytest.raises(KeyIdMismatch):
        verify_envelope(envelope, {fixed_key(1).keyid: fixed_key(2).public}, 1)


def test_an_untrusted_signer_is_not_called_revoked_when_a_revoked_list_exists() -> None:
    with pytest.raises(UntrustedKey):
        verify_envelope(env(signers=(2,)), trusted(1), 1, revoked=trusted(3))


@pytest.mark.parametrize("hint", ["", "0" * 64])
def test_one_valid_unhinted_signature_short_of_a_threshold_of_two_is_not_duplicates(hint: str) -> None:
    envelope = env(signers=(1,))
    envelope["signatures"][0]["keyid"] = hint
    with pytest.raises(ThresholdNotMet) as info:
        verify_envelope(envelope, trusted(1, 2), 2)
    assert type(info.value) is ThresholdNotMet


def test_duplicates_without_hints_are_named_as_duplicates() -> None:
    envelope = env(signers=(1,))
    envelope["signatures"] = [{"keyid": "", "sig": envelope["signatures"][0]["sig"]} for _ in range(2)]
    with pytest.raises(DuplicateSignatures):
        verify_envelope(envelope, trusted(1, 2), 2)


def test_an_envelope_with_the_most_signatures_and_a_large_payload_has_envelope_shape() -> None:
    from provenance.jsonio import pretty_bytes
    from provenance.signing.dsse import MAX_SIGNATURES, has_envelope_shape
    from provenance.signing.keys import generate_key

    payload = b'{"subject": [' + b'{"name": "f", "digest": {"sha256": "00"}},' * 20_000 + b"{}]}"
    envelope = sign_envelope(payload, "application/vnd.in-toto+json", [generate_key() for _ in range(MAX_SIGNATURES)])
    assert has_envelope_shape(pretty_bytes(envelope))


def test_bytes_holding_more_json_items_than_an_envelope_can_have_are_not_one() -> None:
    from provenance.signing.dsse import MAX_ENVELOPE_ITEMS, has_envelope_shape

    assert has_envelope_shape(b"[" + b"0," * (MAX_ENVELOPE_ITEMS - 1) + b"0]")
    assert not has_envelope_shape(b"[" + b"0," * MAX_ENVELOPE_ITEMS + b"0]")
    assert not has_envelope_shape(b'{"signatures": [' + b"{}," * MAX_ENVELOPE_ITEMS + b"{}]}")
