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


# -- the payload: record_of agrees with the strict reader (and the shape check) or declines ----------

def _record(data: st.DataObject, texts: tuple[str, ...] = ("wrong", ":colon first", "tab\there", "é ü", " space first")) -> dict[str, Any]:
    from provenance.corrections.record import CORRECTION_TYPES, ClaimChange, CorrectionRequest, build_record

    ctype = data.draw(st.sampled_from(CORRECTION_TYPES))
    claims = tuple(ClaimChange(f"c{i}", before_values={"expected": "7.57"} if i % 2 else {}, after_values={"expected": "7.6"})
                   for i in range(data.draw(st.integers(0 if ctype != "partial_retraction" else 1, 3))))
    seq = data.draw(st.integers(0, 3))
    request = CorrectionRequest(
        type=ctype, record_id="R:1", what_was_wrong=data.draw(st.sampled_from(texts)),
        reason_text="re-check", claims=claims, paths=("data/x.csv",) if data.draw(st.booleans()) else (),
        what_changed=({"summary": "s", "path": "data/x.csv", "before_sha256": "ab" * 32},) if data.draw(st.booleans()) else (),
        issuer_name="Editor" if data.draw(st.booleans()) else None, supersedes_seq=0 if seq and data.draw(st.booleans()) else None,
        evidence=({"name": "e.pdf", "sha256": "cd" * 32},) if data.draw(st.booleans()) else (),
        notice_text="notice" if data.draw(st.booleans()) else None,
    )
    return build_record(request, origin="example.org/log", seq=seq, prev=None if seq == 0 else "ef" * 32,
                        issuer_keyid=TRUSTED.keyid, issued_at="2026-11-22T01:00:00Z", claim_status_before={},
                        supersedes_sha256="01" * 32)


_VALUES = ["1", "-9007199254740991", "9007199254740992", "12345678901234567890", "1.5", "1e5", "NaN", "-Infinity",
           "true", "null", '"x"', '":x"', '" x"', '"a\\"b"', '"\\u00e9"', "[]", "[1,{}]", "{}", '{"a":1,"a":2}',
           '{"a":{"b":1}}', "[[[[[[[[1]]]]]]]]", '"' + "9" * 20 + '"']
TEXT_MUTATIONS = ["none", "dup-key", "extra-member", "space-before-colon", "space-after-colon", "newline-after-comma",
                  "escape-char", "bom", "flip", "truncate", "trailing-space", "trailing-garbage"]


def _mutate(text: str, data: st.DataObject) -> str:
    mutation = data.draw(st.sampled_from(TEXT_MUTATIONS + ["dup-key", "space-before-colon"]))
    keys = [i for i in range(len(text) - 1) if text[i] == '"' and text[i - 1] in "{,"]
    at = data.draw(st.sampled_from(keys)) if keys else 1
    value = data.draw(st.sampled_from(_VALUES))
    colon = text.find('":', at)
    if mutation == "dup-key" and colon > 0:
        return text[:at] + text[at : colon + 2] + value + "," + text[at:]
    if mutation == "extra-member":
        return text[:at] + '"x_ext":' + value + "," + text[at:]
    if mutation == "space-before-colon" and colon > 0:
        return text[: colon + 1] + " " + text[colon + 1 :]
    if mutation == "space-after-colon":
        return text.replace('":', '": ', 1)
    if mutation == "newline-after-comma":
        return text.replace(",", ",\n", 1)
    if mutation == "escape-char" and colon > 0:  # the end of a key: escape its last character
        return text[:colon - 1] + f"\\u{ord(text[colon - 1]):04x}" + text[colon:]
    if mutation == "bom":
        return "\ufeff" + text
    if mutation == "flip" and text:
        i = data.draw(st.integers(0, len(text) - 1))
        return text[:i] + chr(ord(text[i]) ^ 0x20) + text[i + 1 :]
    if mutation == "truncate" and text:
        return text[: data.draw(st.integers(0, len(text) - 1))]
    if mutation == "trailing-space":
        return text + " "
    if mutation == "trailing-garbage":
        return text + "," + value
    return text


def _strict_record(payload: bytes) -> Any:
    try:
        return loads_strict(payload, source="payload")
    except (ProvenanceError, ValueError):
        return None


@settings(max_examples=1500, deadline=None)
@given(data=st.data())
def test_record_of_agrees_with_the_strict_reader_or_declines(data: st.DataObject) -> None:
    from provenance.corrections.record import shape_ok

    text = canonical_bytes(_record(data)).decode("utf-8")
    for _ in range(data.draw(st.integers(1, 2))):
        text = _mutate(text, data)
    payload = text.encode("utf-8", "surrogatepass")
    fast = fastpath.record_of(payload)
    if fast is not None:
        strict = _strict_record(payload)
        assert strict is not None and shape_ok(strict)
        assert fast == strict and json.dumps(fast) == json.dumps(strict)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_the_record_an_append_writes_takes_the_fast_path(data: st.DataObject) -> None:
    # (Unless a string starts with ":" or whitespace: those go to the strict reader.)
    record = _record(data, ("wrong", "é ü", "a: b", "tab\there", 'a "quote"d word'))
    assert fastpath.record_of(canonical_bytes(record)) == record == loads_strict(canonical_bytes(record))


def test_a_duplicate_key_is_never_taken_by_the_fast_path() -> None:
    record = canonical_bytes(_record_for_dup()).decode()
    for key in ('"type":', '"claim_id":', '"status":', '"category":', '"keyid":', '"summary":'):
        at = record.index(key)
        end = at + len(key)
        value_end = record.index(",", end) if record[end] == '"' else end + 1
        doubled = record[:at] + record[at:value_end] + "," + record[at:]
        assert fastpath.record_of(doubled.encode()) is None
        assert _strict_record(doubled.encode()) is None


def test_a_duplicate_hidden_by_a_space_before_another_colon_is_declined() -> None:
    # One member more in the text than keys parsed (the duplicate) and one '":' fewer (the space): the
    # counts agree, so the fast path must refuse texts where a quote is followed by whitespace.
    text = canonical_bytes(_record_for_dup()).decode()
    text = text.replace('"type":', '"type":"erratum","type":', 1).replace('"seq":', '"seq" :', 1)
    assert _strict_record(text.encode()) is None
    assert fastpath.record_of(text.encode()) is None
    assert fastpath.record_of(text.replace('"seq" :', '"seq":').replace('"type":"erratum",', "").encode()) is not None


def test_a_duplicate_hidden_by_an_escaped_quote_is_declined() -> None:
    text = canonical_bytes(_record_for_dup()).decode()
    text = text.replace('"type":', '"type":"erratum","type":', 1).replace('"what_was_wrong":"wrong"', '"what_was_wrong":"a\\"b"', 1)
    assert _strict_record(text.encode()) is None
    assert fastpath.record_of(text.encode()) is None


def _record_for_dup() -> dict[str, Any]:
    from provenance.corrections.record import ClaimChange, CorrectionRequest, build_record

    request = CorrectionRequest(type="correction", record_id="R:1", what_was_wrong="wrong", reason_text="why",
                                claims=(ClaimChange("c1"),), what_changed=({"summary": "s"},))
    return build_record(request, origin="example.org/log", seq=0, prev=None, issuer_keyid=TRUSTED.keyid,
                        issued_at="2026-11-22T01:00:00Z", claim_status_before={})
