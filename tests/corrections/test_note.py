"""C2SP signed notes and checkpoints, anchored to the golang.org/x/mod/sumdb/note known answer."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from provenance.corrections import note
from provenance.corrections.errors import NoteError

# golang.org/x/mod/sumdb/note note_test.go: the PeterNeumann key pair and its published note.
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def _go_private() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


def _raw_public(key: Ed25519PrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_go_verifier_key_round_trip() -> None:
    verifier = note.parse_verifier_key(GO_VKEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id == 0xC74F20A3
    assert verifier.public_key == _raw_public(_go_private())
    assert note.verifier_key("PeterNeumann", verifier.public_key) == GO_VKEY


def test_go_note_reproduced_byte_for_byte() -> None:
    key = _go_private()
    signed = note.sign_note(GO_TEXT, "PeterNeumann", _raw_public(key), key.sign)
    assert signed.to_bytes() == GO_NOTE.encode("utf-8")


def test_go_note_verifies_and_altered_text_fails() -> None:
    verifier = note.parse_verifier_key(GO_VKEY)
    parsed, good = note.verify_note(GO_NOTE.encode(), [verifier])
    assert parsed.text == GO_TEXT and good == (verifier,)
    with pytest.raises(NoteError, match="does not verify"):
        note.verify_note(GO_NOTE.replace("cryptography", "cryptographY").encode(), [verifier])


def test_unknown_key_only_is_rejected_and_unknown_extra_is_ignored() -> None:
    other = Ed25519PrivateKey.generate()
    stranger = note.Verifier("PeterNeumann", _raw_public(other))
    with pytest.raises(NoteError, match="no trusted key"):
        note.verify_note(GO_NOTE.encode(), [stranger])
    cosigned = note.add_signature(note.parse_note(GO_NOTE.encode()), "Witness", _raw_public(other), other.sign)
    _, good = note.verify_note(cosigned.to_bytes(), [note.parse_verifier_key(GO_VKEY)])
    assert len(good) == 1


@pytest.mark.parametrize(
    "bad",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY[:-2],
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        GO_VKEY.replace("+AR", "+Ap"),
    ],
)
def test_mangled_verifier_keys_rejected(bad: str) -> None:
    with pytest.raises(NoteError):
        note.parse_verifier_key(bad)


@pytest.mark.parametrize(
    "mangled",
    [
        GO_NOTE.replace("\n\n", "\n"),  # no blank line
        GO_NOTE[:-1],  # last signature line without newline
        GO_NOTE.replace("\u2014", "-"),  # ASCII dash
        GO_NOTE.replace("x08go", "x08g!"),  # bad base64
        GO_TEXT + "\n",  # no signatures at all
        GO_NOTE.replace("problem,\n", "problem,\x07\n"),  # control character
    ],
)
def test_malformed_notes_rejected(mangled: str) -> None:
    with pytest.raises(NoteError):
        note.verify_note(mangled.encode(), [note.parse_verifier_key(GO_VKEY)])


def _log_key() -> tuple[Ed25519PrivateKey, bytes]:
    key = Ed25519PrivateKey.generate()
    return key, _raw_public(key)


def test_checkpoint_round_trip_and_origin_binding() -> None:
    key, pub = _log_key()
    cp = note.Checkpoint("example.org/log", 42, bytes(range(32)))
    data = note.sign_checkpoint(cp, pub, key.sign)
    text = data.decode()
    assert text.startswith("example.org/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\u2014 example.org/log ")
    parsed, _ = note.verify_checkpoint(data, [pub], origin="example.org/log")
    assert parsed == cp
    with pytest.raises(NoteError, match="not 'other'"):
        note.verify_checkpoint(data, [pub], origin="other")


@pytest.mark.parametrize(
    "body",
    [
        "example.org/log\n42\n",  # missing root line
        "\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # missing origin
        "example.org/log\n042\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # leading zero
        "example.org/log\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "example.org/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n",  # short root
        "example.org/log\n42\nnot base64!\n",
    ],
)
def test_malformed_checkpoint_bodies_rejected(body: str) -> None:
    key, pub = _log_key()
    data = note.sign_note(body, "example.org/log", pub, key.sign).to_bytes()
    with pytest.raises(NoteError):
        note.verify_checkpoint(data, [pub])


def test_checkpoint_signed_by_wrong_key_or_edited_root_rejected() -> None:
    key, pub = _log_key()
    other, other_pub = _log_key()
    cp = note.Checkpoint("example.org/log", 7, bytes(32))
    with pytest.raises(NoteError, match="no trusted key"):
        note.verify_checkpoint(note.sign_checkpoint(cp, other_pub, other.sign), [pub])
    data = note.sign_checkpoint(cp, pub, key.sign).replace(b"\n7\n", b"\n8\n")
    with pytest.raises(NoteError, match="does not verify"):
        note.verify_checkpoint(data, [pub])


@given(
    origin=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x2FF, exclude_characters="+"), min_size=1, max_size=30),
    size=st.integers(0, 2**63),
    root=st.binary(min_size=32, max_size=32),
)
def test_checkpoint_text_round_trips(origin: str, size: int, root: bytes) -> None:
    cp = note.Checkpoint(origin, size, root)
    assert note.parse_checkpoint_text(cp.text()) == cp
