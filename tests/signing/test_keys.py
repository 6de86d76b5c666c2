"""Ed25519 keys: RFC 8032 known answer, key ids, encrypted PKCS#8 files, refusals."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from provenance.signing.errors import BadSignature, KeyFileError, KeyIdMismatch
from provenance.signing.keys import (
    PublicKey,
    SigningKey,
    generate_key,
    keyid_of,
    load_public_key,
    load_public_key_info,
    load_signing_key,
    save_signing_key,
)

# RFC 8032 section 7.1, TEST 1 (empty message).
RFC8032_SK = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PK = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIG = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
)


def test_rfc8032_test1_known_answer() -> None:
    key = SigningKey.from_seed(RFC8032_SK)
    assert key.public.raw == RFC8032_PK
    assert key.sign(b"") == RFC8032_SIG
    key.public.verify(RFC8032_SIG, b"")


RFC8032_MORE = [  # TEST 2 and TEST 3 of RFC 8032 section 7.1: (secret, public, message, signature)
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
     "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
     "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


@pytest.mark.parametrize(("sk", "pk", "msg", "sig"), RFC8032_MORE)
def test_rfc8032_more_known_answers(sk: str, pk: str, msg: str, sig: str) -> None:
    key = SigningKey.from_seed(bytes.fromhex(sk))
    assert key.public.raw.hex() == pk
    assert key.sign(bytes.fromhex(msg)).hex() == sig
    PublicKey.from_raw(bytes.fromhex(pk)).verify(bytes.fromhex(sig), bytes.fromhex(msg))


def test_keyid_is_sha256_of_raw_public_key() -> None:
    assert keyid_of(RFC8032_PK) == hashlib.sha256(RFC8032_PK).hexdigest()
    assert SigningKey.from_seed(RFC8032_SK).keyid == hashlib.sha256(RFC8032_PK).hexdigest()


def test_verify_raises_on_wrong_message() -> None:
    key = SigningKey.from_seed(RFC8032_SK)
    with pytest.raises(BadSignature):
        key.public.verify(RFC8032_SIG, b"x")


def test_public_key_with_wrong_keyid_is_refused() -> None:
    with pytest.raises(KeyIdMismatch):
        PublicKey("00" * 32, RFC8032_PK)


def test_save_and_load_encrypted_key(tmp_path: Path) -> None:
    key = generate_key()
    pub = save_signing_key(key, tmp_path / "k", b"secret passphrase", role="attestor", name="Alice")
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600
    assert pub == tmp_path / "k.pub"
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "k").read_bytes()
    loaded = load_signing_key(tmp_path / "k", b"secret passphrase")
    assert loaded.keyid == key.keyid
    info = load_public_key_info(pub)
    assert info.key == key.public and info.role == "attestor" and info.name == "Alice"
    assert loaded.sign(b"m") == key.sign(b"m")


def test_library_never_reads_the_passphrase_from_the_environment(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    save_signing_key(generate_key(), tmp_path / "k", b"from-env-pw")
    monkeypatch.setenv("PROVENANCE_KEY_PASSPHRASE", "from-env-pw")
    with pytest.raises(KeyFileError, match="no passphrase"):
        load_signing_key(tmp_path / "k")


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    save_signing_key(generate_key(), tmp_path / "k", b"password")
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        load_signing_key(tmp_path / "k", b"not the passphrase")


def test_unencrypted_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    save_signing_key(generate_key(), tmp_path / "k", None)
    load_signing_key(tmp_path / "k")  # 0600: fine
    os.chmod(tmp_path / "k", 0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signing_key(tmp_path / "k")


def test_existing_key_files_are_not_overwritten(tmp_path: Path) -> None:
    save_signing_key(generate_key(), tmp_path / "k", b"password")
    before = (tmp_path / "k").read_bytes()
    with pytest.raises(KeyFileError, match="exists"):
        save_signing_key(generate_key(), tmp_path / "k", b"password")
    assert (tmp_path / "k").read_bytes() == before


def test_edited_keyid_line_in_public_key_file_is_refused(tmp_path: Path) -> None:
    key = generate_key()
    pub = save_signing_key(key, tmp_path / "k", b"password")
    text = pub.read_text().replace(key.keyid, "ab" * 32)
    pub.write_text(text)
    with pytest.raises(KeyIdMismatch):
        load_public_key(pub)


def test_public_and_private_files_are_not_confused(tmp_path: Path) -> None:
    pub = save_signing_key(generate_key(), tmp_path / "k", b"password")
    with pytest.raises(KeyFileError, match="public key file"):
        load_signing_key(pub, b"password")
    with pytest.raises(KeyFileError, match="private key file"):
        load_public_key(tmp_path / "k")


def test_garbage_key_file_is_input_error(tmp_path: Path) -> None:
    (tmp_path / "k").write_text("not a key")
    os.chmod(tmp_path / "k", 0o600)
    with pytest.raises(KeyFileError):
        load_signing_key(tmp_path / "k")
    with pytest.raises(KeyFileError):
        load_public_key(tmp_path / "k")


def test_encrypted_key_uses_pbes2_with_600k_pbkdf2_iterations(tmp_path: Path) -> None:
    save_signing_key(generate_key(), tmp_path / "k", b"password")
    pem = (tmp_path / "k").read_text()
    der = base64.b64decode("".join(pem.strip().splitlines()[1:-1]))
    # ... PBKDF2 OID, SEQUENCE { salt OCTET STRING(16), INTEGER iterations, prf } ...
    pbkdf2 = bytes.fromhex("06092a864886f70d01050c")
    at = der.index(pbkdf2) + len(pbkdf2) + 2 + 2 + 16
    assert der[at] == 0x02
    iterations = int.from_bytes(der[at + 2 : at + 2 + der[at + 1]], "big")
    assert iterations >= 600_000
    assert bytes.fromhex("60864801650304012a") in der  # aes256-CBC


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_openssl_reads_our_encrypted_key_file(tmp_path: Path) -> None:
    key = generate_key()
    save_signing_key(key, tmp_path / "k", b"open sesame")
    proc = subprocess.run(
        ["openssl", "pkey", "-in", str(tmp_path / "k"), "-passin", "pass:open sesame", "-pubout"],
        capture_output=True, check=True,
    )
    assert load_public_key_pem(proc.stdout) == key.public.raw
    bad = subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "k"), "-passin", "pass:wrong", "-noout"],
                         capture_output=True)
    assert bad.returncode != 0


def load_public_key_pem(pem: bytes) -> bytes:
    from cryptography.hazmat.primitives import serialization

    loaded = serialization.load_pem_public_key(pem)
    return loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


WYCHEPROOF = json.loads((Path(__file__).parent / "wycheproof_ed25519_subset.json").read_text())


@pytest.mark.parametrize("case", WYCHEPROOF["tests"], ids=lambda c: f"tc{c['tcId']}-{c['result']}")
def test_wycheproof_eddsa_subset(case: dict[str, object]) -> None:
    key = PublicKey.from_raw(bytes.fromhex(WYCHEPROOF["pk"]))
    sig, msg = bytes.fromhex(str(case["sig"])), bytes.fromhex(str(case["msg"]))
    if case["result"] == "valid":
        key.verify(sig, msg)
    else:
        with pytest.raises(BadSignature):
            key.verify(sig, msg)
