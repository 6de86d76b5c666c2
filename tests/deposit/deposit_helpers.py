"""Helpers for the deposit tests: real BagIt bundles (the project's bag writer) and CLI environments."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from archive.bag import PayloadItem, write_bag


def manifest(record_id: str = "SRCH:2A059E4E", *, title: str = "Retrieval augmentation and exact match",
             revision: int = 1) -> dict[str, Any]:
    return {
        "contract": "paper-manifest-v1.1",
        "record_id": record_id,
        "title": title,
        "research_question": "How much does retrieval help?",
        "abstract": f"We synthesise results <b>and</b> check claims (revision {revision}).",
        "submitted": "2026-09-03",
        "authors": [{"name": "Lovelace, Ada", "orcid": "https://orcid.org/0000-0002-1825-0097"},
                    {"name": "Assignee Research"}],
        "review_score": {"value": "8.4", "scale": "10"},
        "doi": None,
        "gate_verdict": {"status": "verified", "gate": "Gate 2", "reason": "Computed 7.57 matches expected 7.57",
                         "evaluated_at": "2026-09-03T00:00:00Z"},
        "claims": [{"id": "c1", "text": "Gain is 9.03 points.", "truncated": False, "verified": True,
                    "confidence": "0.38"}],
        "references": [
            {"kind": "arxiv", "id": "2005.11401v4", "url": "http://arxiv.org/abs/2005.11401v4"},
            {"kind": "doi", "id": "10.18653/v1/2020.emnlp-main.550",
             "url": "https://doi.org/10.18653/v1/2020.emnlp-main.550"},
            {"kind": "url", "id": "https://example.org/paper", "url": "https://example.org/paper"},
        ],
        "extra": {"Future": "kept"},
        "unknown_field": {"survives": True},
    }


def _checkpoint(record_id: str, size: int) -> bytes:
    """A well-formed signed checkpoint (a throwaway log key): the deposit only describes it."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from provenance.corrections.note import Checkpoint, sign_checkpoint

    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return sign_checkpoint(Checkpoint(f"provenance-archive.dev/log/{record_id}", size, bytes(32)), public, key.sign)


def make_bundle(dest: Path, *, record_id: str = "SRCH:2A059E4E", revision: int = 1,
                extra_payload: bytes = b"", checkpoint: bool = False) -> Path:
    """A valid bag at ``dest`` holding a paper manifest and an attestation tag file."""
    doc = manifest(record_id, revision=revision)
    payload = [
        PayloadItem("manifest.json", data=(json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()),
        PayloadItem("results/values.json", data=json.dumps({"revision": revision}).encode() + extra_payload),
    ]
    if checkpoint:
        record = {"contract": "correction-record-v1", "seq": revision - 1, "type": "correction",
                  "what_was_wrong": "The mean was stated as 9.30", "what_changed": "It now reads 9.03",
                  "reason": {"category": "honest_error", "text": "transposed digits"}}
        envelope = {"payloadType": "application/vnd.provenance-archive.correction+json",
                    "payload": base64.b64encode(json.dumps(record).encode()).decode(), "signatures": []}
        payload.append(PayloadItem("corrections/corrections.jsonl", data=(json.dumps(envelope) + "\n").encode()))
        payload.append(PayloadItem("corrections/corrections.jsonl.checkpoint", data=_checkpoint(record_id, revision)))
    write_bag(
        dest, payload,
        bag_info=[("External-Identifier", record_id), ("Source-Organization", "provenance-archive tests")],
        tag_files={"attestation.dsse.json": json.dumps({"payloadType": "application/vnd.in-toto+json",
                                                         "payload": "e30=", "signatures": []}).encode()},
        epoch=1767225600, fsync=False,
    )
    return dest


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment for a CLI subprocess: private data/config dirs, no inherited token."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("ZENODO_ACCESS_TOKEN", "PROVENANCE_DEPOSIT_CRASH_AT")}
    env.update({"XDG_DATA_HOME": str(tmp / "xdg-data"), "XDG_CONFIG_HOME": str(tmp / "xdg-config"),
                "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "COLUMNS": "200"})
    env.update(extra)
    env["PYTHON"] = sys.executable
    return env


def provenance_cmd() -> list[str]:
    import sys

    return [sys.executable, "-m", "provenance"]


class Signed:
    """Real keys, a real trust root (root + attestor) and bundles built and signed by the project's builder."""

    EPOCH = 1_767_225_600

    def __init__(self, d: Path) -> None:
        from datetime import UTC, datetime, timedelta

        from provenance.ingest.record import ingest_file
        from provenance.jsonio import write_json
        from provenance.signing.keys import generate_key
        from provenance.signing.trust import add_key, init_trust_root, load_trust_root, write_trust_document

        self.dir = d
        self.root, self.attestor, self.outsider = generate_key(), generate_key(), generate_key()
        now = datetime.now(UTC)
        doc = init_trust_root([self.root], now=now, expires=now + timedelta(days=365))
        doc = add_key(doc, "attestor", self.attestor.public, [self.root], now=now, name="Attestor")
        self.trust_path = d / "trust-root.json"
        write_trust_document(self.trust_path, doc)
        self.trust = load_trust_root(self.trust_path)
        repo = Path(__file__).resolve().parents[2]
        self.manifest = d / "manifest.json"
        write_json(self.manifest, ingest_file(repo / "examples" / "rag-benchmark-paper.txt"))
        self.checks = repo / "examples" / "rag-benchmark.checks.json"

    def bundle(self, out: Path, *, outsider: bool = False, make_zip: bool = False) -> Path:
        """A bundle signed by the attestor (or by a key the trust root does not name); the bag dir or the zip."""
        from provenance.bundle.build import BuildRequest, build_bundle

        result = build_bundle(BuildRequest(self.manifest, out, claims=self.checks, lean_mode="off", make_zip=make_zip),
                              key=self.outsider if outsider else self.attestor,
                              trust=None if outsider else self.trust, epoch=self.EPOCH)
        return result.zip_path if make_zip and result.zip_path else out


def rewrite_in_bag(bag: Path, relative: str, data: bytes) -> None:
    """Replace a file of a bag and every manifest line that lists it, so the bag stays valid: only a
    signature over the old digests can notice."""
    import hashlib

    (bag / relative).write_bytes(data)
    digests = {"sha256": hashlib.sha256(data).hexdigest(), "sha512": hashlib.sha512(data).hexdigest()}
    for alg, digest in digests.items():
        manifest = bag / f"manifest-{alg}.txt"
        lines = [f"{digest}  {relative}" if line.endswith(f"  {relative}") else line
                 for line in manifest.read_text().splitlines()]
        manifest.write_text("\n".join(lines) + "\n")
    oxum_bytes = sum(p.stat().st_size for p in (bag / "data").rglob("*") if p.is_file())
    oxum_files = sum(1 for p in (bag / "data").rglob("*") if p.is_file())
    info = bag / "bag-info.txt"
    info.write_text("\n".join(f"Payload-Oxum: {oxum_bytes}.{oxum_files}" if line.startswith("Payload-Oxum:") else line
                              for line in info.read_text().splitlines()) + "\n")
    for alg in digests:
        tagmanifest = bag / f"tagmanifest-{alg}.txt"
        lines = []
        for line in tagmanifest.read_text().splitlines():
            name = line.split("  ", 1)[1]
            lines.append(f"{hashlib.new(alg, (bag / name).read_bytes()).hexdigest()}  {name}")
        tagmanifest.write_text("\n".join(lines) + "\n")
