"""What verification reports: one :class:`Finding` per check, and the :class:`VerifyReport` of a bundle.

A report keeps two facts apart: the bundle's **integrity** (every byte, digest
and signature holds: ``ok``) and the **record's claims** (how many are
verified, falsified, not checked, corrected: :meth:`VerifyReport.claim_counts`).
An intact bundle can carry a falsified claim; neither fact hides the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from provenance.bundle.artifacts import CarriedArtifact

Status = Literal["ok", "fail", "skip"]
CLAIM_STATUSES = ("verified", "falsified", "inconclusive", "error")


def count_claims(statuses: Mapping[str, str], unchecked: Sequence[str], corrected: Mapping[str, str]) -> dict[str, int]:
    """How many claims are verified, falsified, inconclusive, in error, not checked, and corrected
    (named by a correction with a status other than CURRENT)."""
    out = dict.fromkeys(CLAIM_STATUSES, 0)
    for status in statuses.values():
        out[status] = out.get(status, 0) + 1
    out["not_checked"] = len(unchecked)
    out["corrected"] = sum(1 for s in corrected.values() if s != "CURRENT")
    return out


def describe_claims(statuses: Mapping[str, str], unchecked: Sequence[str], corrected: Mapping[str, str]) -> str:
    """One sentence for people: ``3 verified, 1 falsified (c5), 2 not checked, 1 corrected (c5: CORRECTED)``."""
    counts = count_claims(statuses, unchecked, corrected)
    parts = []
    for status in CLAIM_STATUSES:
        ids = [cid for cid, s in statuses.items() if s == status]
        if ids or status in ("verified", "falsified"):
            named = f" ({', '.join(ids[:8])}{', ...' if len(ids) > 8 else ''})" if ids and status != "verified" else ""
            parts.append(f"{counts[status]} {status}{named}")
    parts.append(f"{counts['not_checked']} not checked")
    changed = [f"{cid}: {s}" for cid, s in corrected.items() if s != "CURRENT"]
    parts.append(f"{counts['corrected']} corrected" + (f" ({', '.join(changed[:8])})" if changed else ""))
    return ", ".join(parts)


@dataclass(frozen=True)
class Finding:
    """One line of the checklist: a stable ``id``, ``ok``/``fail``/``skip``, the file it is about."""

    id: str
    status: Status
    message: str
    file: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "file": self.file, "message": self.message}


@dataclass(frozen=True)
class VerifyReport:
    """Every finding about one bundle. ``ok`` (integrity and signatures) only when no finding failed.

    ``claims`` is each checked claim's recorded status; ``unchecked`` the claims with no
    check; ``corrected`` the status in the carried correction log of each claim it names (CURRENT: unaffected); ``record_status``
    the record's status there (None without a log); ``artifacts`` what ``data/artifacts/`` carries; ``ungrounded``
    names, per claim, the inputs not found in their carried sources; ``unrestated`` the claims whose check does
    not restate them (warnings, not failures).
    """

    bundle: str
    kind: str
    bundle_id: str | None
    record_id: str | None
    findings: tuple[Finding, ...]
    claims: Mapping[str, str] = field(default_factory=dict)
    signers: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    corrected: Mapping[str, str] = field(default_factory=dict)
    record_status: str | None = None
    artifacts: tuple[CarriedArtifact, ...] = ()
    ungrounded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unrestated: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(f.status == "fail" for f in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "fail"]

    def counts(self) -> dict[str, int]:
        out = {"ok": 0, "fail": 0, "skip": 0}
        for f in self.findings:
            out[f.status] += 1
        return out

    def claim_counts(self) -> dict[str, int]:
        """How many claims are verified, falsified, inconclusive, error, not checked and corrected."""
        out = count_claims(self.claims, self.unchecked, self.corrected)
        out["not_grounded"] = len(self.ungrounded)
        out["not_restated"] = len(self.unrestated)
        return out

    def claims_text(self) -> str:
        """:func:`describe_claims` of this report, then the inputs not found in their sources and the checks that
        do not restate their claim, when there are any."""
        text = describe_claims(self.claims, self.unchecked, self.corrected)
        if self.ungrounded:
            text += "; inputs not found in their sources: " + ", ".join(
                f"{cid} ({', '.join(names)})" for cid, names in self.ungrounded.items())
        if self.unrestated:
            n = len(self.unrestated)
            text += (f"; {n} {'check does' if n == 1 else 'checks do'} not restate {'its' if n == 1 else 'their'} "
                     f"claim ({', '.join(self.unrestated)})")
        return text

    def claims_need_attention(self) -> bool:
        """True when a claim is falsified, in error, or corrected: what the top of a report must show."""
        c = self.claim_counts()
        return bool(c["falsified"] or c["error"] or c["corrected"])

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": self.bundle,
            "kind": self.kind,
            "ok": self.ok,
            "bundle_id": self.bundle_id,
            "record_id": self.record_id,
            "signers": list(self.signers),
            "claims": dict(self.claims),
            "summary": self.counts(),
            "integrity": {"ok": self.ok, "failed": self.counts()["fail"]},
            "claims_summary": self.claim_counts(),
            "record_status": self.record_status,
            "corrected_claims": dict(self.corrected),
            "artifacts": [a.to_json() for a in self.artifacts],
            "grounding": {"not_grounded": {cid: list(names) for cid, names in self.ungrounded.items()},
                          "not_restated": list(self.unrestated)},
            "findings": [f.to_json() for f in self.findings],
        }
