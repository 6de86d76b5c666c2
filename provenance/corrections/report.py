"""What verifying a correction log established: its findings and the report an auditor reads.

Pure data. :class:`LogReport` is made by :func:`provenance.corrections.verify.verify_log`;
its ``to_json`` is the ``correct verify --json`` contract.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from provenance.corrections import note
from provenance.corrections.errors import LogCheckFailed
from provenance.corrections.status import StatusView

__all__ = ["LogFinding", "LogReport", "require_ok"]


@dataclass(frozen=True)
class LogFinding:
    """One thing log verification found. ``severity`` is ``error`` (verification fails) or ``warning``."""

    code: str
    message: str
    seq: int | None = None
    severity: str = "error"

    def __str__(self) -> str:
        at = f"entry {self.seq}: " if self.seq is not None else ""
        return f"{self.severity}: {at}{self.message} [{self.code}]"

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "seq": self.seq, "message": self.message}


@dataclass(frozen=True)
class LogReport:
    """Everything verification established about a log, and every finding.

    ``status`` is folded from the entries whose payload parsed (its history is
    empty when verification was asked for none); ``leaf_hashes`` are the RFC 6962
    leaves and ``line_digests`` the lines' sha256s, 32 bytes each, in log order.
    """

    origin: str | None
    size: int
    root: bytes
    checkpoint: note.Checkpoint | None
    checkpoint_verified: bool
    signatures_verified: bool
    torn_bytes: int
    findings: tuple[LogFinding, ...]
    status: StatusView
    leaf_hashes: tuple[bytes, ...] = field(repr=False)
    line_digests: bytes = field(repr=False)

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> tuple[LogFinding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    def line_hash(self, seq: int) -> str:
        """Hex sha256 of entry ``seq``'s line."""
        if not 0 <= seq < self.size:
            raise IndexError(seq)
        return self.line_digests[seq * 32 : seq * 32 + 32].hex()

    def to_json(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "ok": self.ok,
            "origin": self.origin,
            "size": self.size,
            "root": base64.b64encode(self.root).decode("ascii"),
            "root_hex": self.root.hex(),
            "checkpoint": None
            if cp is None
            else {
                "origin": cp.origin,
                "size": cp.size,
                "root": base64.b64encode(cp.root).decode("ascii"),
                "signature_verified": self.checkpoint_verified,
            },
            "signatures_verified": self.signatures_verified,
            "torn_bytes": self.torn_bytes,
            "findings": [f.to_json() for f in self.findings],
            "status": self.status.to_json(),
        }


def require_ok(report: LogReport, *, where: str) -> LogReport:
    """Raise :class:`LogCheckFailed` naming every error of ``report``; return it when it is ok."""
    if report.ok:
        return report
    listed = "; ".join(str(f) for f in report.errors[:10])
    more = f" (+{len(report.errors) - 10} more)" if len(report.errors) > 10 else ""
    raise LogCheckFailed(f"correction log fails verification: {listed}{more}", where=where,
                         remedy="do not trust this log; restore it from its last deposit")
