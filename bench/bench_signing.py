"""DSSE envelopes verified per second on one core, against bare Ed25519 verification of the same bytes.

The peer is the per-core limit: ``cryptography``'s ``Ed25519PublicKey.verify``
over precomputed PAE bytes. Ours is ``verify_envelope`` on the parsed
envelope (base64 decoding, PAE, key lookup by hint, canonical-S check,
threshold). Both run in this process on the same envelopes, interleaved in
chunks of 200, each chunk timed several times and its best kept. Target: ours >= 0.8x the peer.

    .venv/bin/python bench/bench_signing.py [--quick]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import time
from typing import Any

from provenance.jsonio import canonical_bytes
from provenance.signing import intoto
from provenance.signing.dsse import pae, verify_envelope
from provenance.signing.keys import SigningKey

TARGET = 0.8


def make_envelopes(n: int) -> tuple[list[dict[str, Any]], SigningKey]:
    """``n`` envelopes like correction-log entries (~700-byte statements), signed by one attestor key."""
    key = SigningKey.from_seed(b"\x2a" * 32)
    envelopes = []
    for i in range(n):
        statement = intoto.make_statement(
            [("paper.pdf", hashlib.sha256(b"paper %d" % i).hexdigest())],
            intoto.predicate_type_uri("correction-record"),
            {"log": "example.org/provenance-archive/corrections", "seq": i,
             "prev": hashlib.sha256(b"%d" % (i - 1)).hexdigest(), "issued": "2026-11-22T01:00:00Z",
             "reason": "Corrected the reported exact-match accuracy from 41.2 to 41.7 after re-running.",
             "author": key.keyid},
        )
        envelopes.append(intoto.sign_statement(statement, [key]))
    return envelopes, key


def peer_round(pairs: list[tuple[bytes, bytes]], key: SigningKey) -> float:
    verify = key.public._key.verify  # the bare cryptography object: the per-core limit
    start = time.perf_counter()
    for sig, message in pairs:
        verify(sig, message)
    return time.perf_counter() - start


def ours_round(envelopes: list[dict[str, Any]], trusted: dict[str, Any]) -> float:
    start = time.perf_counter()
    for envelope in envelopes:
        verify_envelope(envelope, trusted, 1, expected_payload_type=intoto.PAYLOAD_TYPE)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer envelopes and rounds (under 10 s)")
    args = parser.parse_args()
    n, rounds = (1000, 3) if args.quick else (4000, 5)
    envelopes, key = make_envelopes(n)
    trusted = {key.keyid: key.public}
    pairs = [
        (base64.b64decode(e["signatures"][0]["sig"]), pae(e["payloadType"], base64.b64decode(e["payload"])))
        for e in envelopes
    ]
    size = sum(len(canonical_bytes(e)) for e in envelopes) / n
    # Interleave in small chunks and keep each chunk's best time: other processes on a
    # shared machine then disturb both sides alike instead of one whole round.
    chunk = 200
    peer_best = ours_best = 0.0
    for lo in range(0, n, chunk):
        p_best = o_best = float("inf")
        for _ in range(rounds):
            p_best = min(p_best, peer_round(pairs[lo:lo + chunk], key))
            o_best = min(o_best, ours_round(envelopes[lo:lo + chunk], trusted))
        peer_best += p_best
        ours_best += o_best
    peer_rate = n / peer_best
    ours_rate = n / ours_best
    ratio = ours_rate / peer_rate
    print(f"{n} envelopes of ~{size:.0f} bytes, one core, best of {rounds} rounds per chunk of 200")
    print(f"bare Ed25519 verify (cryptography): {peer_rate:9.0f} /s")
    print(f"verify_envelope (ours):             {ours_rate:9.0f} /s")
    print(f"ratio {ratio:.3f} (target >= {TARGET})  {'met' if ratio >= TARGET else 'NOT met'}")
    row = {"figure": "DSSE envelopes verified per second, one core", "ours": round(ours_rate),
           "peer": round(peer_rate), "ratio": round(ratio, 3), "target": TARGET, "met": ratio >= TARGET}
    print(json.dumps({"bench": "signing", "rows": [row]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
