"""Test helpers for the correction log: real keys, a real signed trust root on disk, appends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from provenance.corrections.record import ClaimChange, CorrectionRequest
from provenance.corrections.store import AppendResult, append_correction
from provenance.signing.keys import SigningKey, generate_key, save_signing_key
from provenance.signing.trust import (
    TrustRoot,
    add_key,
    init_trust_root,
    load_trust_root,
    write_trust_document,
)


@dataclass(frozen=True)
class Env:
    dir: Path
    root_key: SigningKey
    corrector: SigningKey
    log_key: SigningKey
    outsider: SigningKey
    trust_path: Path
    trust: TrustRoot
    corrector_path: Path
    log_key_path: Path
    outsider_path: Path

    @property
    def log(self) -> Path:
        return self.dir / "corrections.jsonl"

    def append(self, log: Path | None = None, *, type: str = "correction", claims: tuple[str, ...] = ("c3",),
               signer: SigningKey | None = None, supersedes: int | None = None,
               issued_at: str | None = None) -> AppendResult:
        request = CorrectionRequest(
            type=type,
            record_id="SRCH:2A059E4E",
            what_was_wrong="the stated mean used the wrong denominator",
            reason_text="arithmetic error found on re-check",
            claims=tuple(ClaimChange(c, before_values={"expected": "7.57"}, after_values={"expected": "7.6"}) for c in claims),
            supersedes_seq=supersedes,
        )
        return append_correction(log or self.log, request, signer=signer or self.corrector, log_key=self.log_key,
                                 trust=self.trust, issued_at=issued_at)


def make_env(directory: Path) -> Env:
    now = datetime.now(UTC)
    root_key, corrector, log_key, outsider = (generate_key() for _ in range(4))
    doc = init_trust_root([root_key], now=now, expires=now + timedelta(days=365))
    doc = add_key(doc, "corrector", corrector.public, [root_key], now=now, name="Editor")
    doc = add_key(doc, "log", log_key.public, [root_key], now=now, name="Log")
    trust_path = directory / "trust-root.json"
    write_trust_document(trust_path, doc)
    paths = []
    for name, key in (("corrector.key", corrector), ("log.key", log_key), ("outsider.key", outsider)):
        save_signing_key(key, directory / name, None)
        paths.append(directory / name)
    return Env(directory, root_key, corrector, log_key, outsider, trust_path, load_trust_root(trust_path),
               paths[0], paths[1], paths[2])
