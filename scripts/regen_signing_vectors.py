"""Regenerate the signing golden vectors in tests/signing/vectors/ from FIXED keys and clock.

Ed25519 is deterministic, so the same keys, inputs and clock give byte-identical
files; tests/signing/test_vectors.py regenerates them into a temporary directory
and compares bytes, then checks the stored files independently.

    .venv/bin/python scripts/regen_signing_vectors.py            # rewrite the vectors
    .venv/bin/python scripts/regen_signing_vectors.py --check    # exit 1 if they differ
    .venv/bin/python scripts/regen_signing_vectors.py --out DIR  # write elsewhere
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from provenance.jsonio import canonical_bytes, loads_strict, pretty_bytes
from provenance.signing import intoto
from provenance.signing import trust as tr
from provenance.signing.dsse import pae, sign_envelope
from provenance.signing.keys import ED25519_L, SigningKey

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "signing" / "vectors"
NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)
EXPIRES = datetime(2036, 11, 22, 0, 0, 0, tzinfo=UTC)
ROLE_OF = {1: "root", 2: "root", 3: "attestor", 4: "corrector", 5: "log", 6: "outsider"}


def key(n: int) -> SigningKey:
    """Fixed key ``n``: its RFC 8032 secret is 32 bytes of value ``n``."""
    return SigningKey.from_seed(bytes([n]) * 32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def keys_vector() -> dict[str, Any]:
    return {
        "description": "Fixed Ed25519 keys: seed is 32 bytes of value n; keyid = sha256(raw public key).",
        "keys": [
            {"n": n, "role": ROLE_OF[n], "seed_hex": (bytes([n]) * 32).hex(), "public_b64": _b64(key(n).public.raw),
             "keyid": key(n).keyid}
            for n in sorted(ROLE_OF)
        ],
    }


def pae_vector() -> dict[str, Any]:
    cases = [
        ("http://example.com/HelloWorld", b"hello world"),
        ("application/vnd.in-toto+json", b""),
        ("application/vnd.example.pr\u00fcfung+json", "\u00e9".encode()),
        ("t", bytes(range(256))),
    ]
    return {
        "description": "DSSE v1 PAE: 'DSSEv1' SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes.",
        "cases": [{"payloadType": t, "payload_b64": _b64(body), "pae_b64": _b64(pae(t, body))} for t, body in cases],
    }


def statement() -> dict[str, Any]:
    subjects = [("paper.pdf", hashlib.sha256(b"paper").hexdigest()), ("data/table.csv", hashlib.sha256(b"a,b\n1,2\n").hexdigest())]
    return intoto.make_statement(subjects, intoto.FILES_PREDICATE_TYPE, {"signed_at": "2026-11-22T03:00:00Z"})


def trust_document() -> dict[str, Any]:
    doc = tr.init_trust_root([key(1), key(2)], threshold=2, now=NOW, expires=EXPIRES, names={key(1).keyid: "root one"})
    doc = tr.add_key(doc, "attestor", key(3).public, [key(1), key(2)], now=NOW, name="attestor three")
    doc = tr.add_key(doc, "corrector", key(4).public, [key(1), key(2)], now=NOW)
    doc = tr.add_key(doc, "log", key(5).public, [key(1), key(2)], now=NOW)
    doc = tr.add_key(doc, "attestor", key(6).public, [key(1), key(2)], now=NOW)
    return tr.remove_key(doc, key(6).keyid, [key(1), key(2)], now=NOW)  # version 6 revokes key 6


def attacks() -> dict[str, Any]:
    """Envelopes that must be rejected, each with the exact error class, against attestor = {key 3, key 4}."""
    good = intoto.sign_statement(statement(), [key(3)])
    cases: list[dict[str, Any]] = []

    def case(name: str, envelope: dict[str, Any], error: str, **kw: Any) -> None:
        cases.append({"name": name, "envelope": envelope, "error": error, **kw})

    e = copy.deepcopy(good)
    sig = base64.b64decode(e["signatures"][0]["sig"])
    s = int.from_bytes(sig[32:], "little") + ED25519_L
    e["signatures"][0]["sig"] = _b64(sig[:32] + s.to_bytes(32, "little"))
    case("bad signature (S+L malleation)", e, "BadSignature")
    case("wrong key", intoto.sign_statement(statement(), [key(6)]), "UntrustedKey")
    case("revoked key", intoto.sign_statement(statement(), [key(6)]), "RevokedKey", revoked=[6])
    tampered = copy.deepcopy(good)
    doc = loads_strict(base64.b64decode(tampered["payload"]))
    doc["subject"][0]["digest"]["sha256"] = hashlib.sha256(b"other paper").hexdigest()
    tampered["payload"] = _b64(canonical_bytes(doc))
    case("tampered payload", tampered, "TamperedPayload")
    swapped = copy.deepcopy(good)
    swapped["payloadType"] = "application/json"
    case("swapped payload type", swapped, "PayloadTypeMismatch")
    truncated = copy.deepcopy(good)
    truncated["payload"] = truncated["payload"][:-3]
    case("truncated base64", truncated, "InvalidBase64")
    dup = copy.deepcopy(good)
    dup["signatures"] = [dup["signatures"][0], dict(dup["signatures"][0])]
    case("threshold met only by duplicates of one key", dup, "DuplicateSignatures", threshold=2)
    case("threshold not met", good, "ThresholdNotMet", threshold=2)
    case("file digest differs", good, "DigestMismatch",
         files={"paper.pdf": hashlib.sha256(b"paper, edited").hexdigest()})
    return {
        "description": "Each envelope must be rejected with exactly the named error (provenance.signing.errors) "
                       "when verified for trusted keys 3 and 4 with the given threshold (default 1), payloadType "
                       "application/vnd.in-toto+json, revoked keys and files as listed.",
        "cases": cases,
    }


def build() -> dict[str, bytes]:
    """File name -> bytes of every vector."""
    files = {
        "keys.json": keys_vector(),
        "pae.json": pae_vector(),
        "statement.json": statement(),
        "envelope-attestor.json": intoto.sign_statement(statement(), [key(3)]),
        "envelope-two-signers.json": sign_envelope(canonical_bytes(statement()), intoto.PAYLOAD_TYPE, [key(3), key(4)]),
        "trust-root.json": trust_document(),
        "attacks.json": attacks(),
    }
    out = {name: pretty_bytes(doc) for name, doc in files.items()}
    out["statement.canonical.json"] = canonical_bytes(statement())
    out["README.md"] = (
        "Golden signing vectors, made by `scripts/regen_signing_vectors.py` from fixed keys (seed = 32 bytes of n)\n"
        f"and a fixed clock ({NOW:%Y-%m-%dT%H:%M:%SZ}); do not edit by hand. The trust root's version 6 revokes key 6\n"
        f"and it expires {EXPIRES:%Y-%m-%d}.\n"
    ).encode()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=VECTORS)
    parser.add_argument("--check", action="store_true", help="compare with the files instead of writing")
    args = parser.parse_args(argv)
    built = build()
    if args.check:
        stale = [n for n, data in built.items() if not (args.out / n).is_file() or (args.out / n).read_bytes() != data]
        for name in stale:
            print(f"differs: {args.out / name}", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in built.items():
        (args.out / name).write_bytes(data)
    print(f"wrote {len(built)} files to {args.out}")
    return 0


if __name__ == "__main__":
    assert NOW + timedelta(days=1) < EXPIRES
    sys.exit(main())
