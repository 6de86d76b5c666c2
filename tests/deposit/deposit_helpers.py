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
