"""The current status of a record and of each claim, folded from its verified correction records.

Rules (documented in ``provenance correct show --help``):

* A record superseded by a later one no longer counts.
* The record's status is the most severe effect among the records that count:
  CURRENT < CLARIFIED < CORRECTED < UNDER_CONCERN < PARTIALLY_RETRACTED < RETRACTED < WITHDRAWN.
* A claim's status is the ``after.status`` of the latest counting record that
  names it, except that RETRACTED and WITHDRAWN stay until that record is
  superseded; a record-wide expression of concern, retraction or withdrawal
  (naming no claims) applies to every claim, and a claim shows the more severe
  of its own status and the record-wide one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from provenance.contracts import CORRECTION_RECORD
from provenance.corrections.record import CLAIM_EFFECT, CLAIM_STATUSES, RECORD_WIDE_TYPES

RECORD_STATUSES: tuple[str, ...] = (
    "CURRENT",
    "CLARIFIED",
    "CORRECTED",
    "UNDER_CONCERN",
    "PARTIALLY_RETRACTED",
    "RETRACTED",
    "WITHDRAWN",
)
RECORD_EFFECT: Mapping[str, str] = {
    "correction": "CORRECTED",
    "erratum": "CORRECTED",
    "addendum": "CLARIFIED",
    "clarification": "CLARIFIED",
    "expression_of_concern": "UNDER_CONCERN",
    "partial_retraction": "PARTIALLY_RETRACTED",
    "retraction": "RETRACTED",
    "withdrawal": "WITHDRAWN",
}
_RECORD_WIDE_CLAIM_EFFECT: Mapping[str, str] = {t: CLAIM_EFFECT[t] for t in RECORD_WIDE_TYPES}
_TERMINAL = frozenset({"RETRACTED", "WITHDRAWN"})


def _worse(a: str, b: str, order: Sequence[str]) -> str:
    return a if order.index(a) >= order.index(b) else b


@dataclass(frozen=True)
class HistoryItem:
    """One log entry as a reader sees it."""

    seq: int
    type: str
    severity: str
    issued_at: str
    issued_by: str
    claims: tuple[str, ...]
    reason_category: str
    reason_text: str
    what_was_wrong: str
    superseded_by: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "severity": self.severity,
            "issued_at": self.issued_at,
            "issued_by": self.issued_by,
            "claims": list(self.claims),
            "reason": {"category": self.reason_category, "text": self.reason_text},
            "what_was_wrong": self.what_was_wrong,
            "superseded_by": self.superseded_by,
        }


@dataclass(frozen=True)
class StatusView:
    """Where a record stands now: its status, each named claim's status, and the history."""

    record_id: str | None
    status: str
    claims: Mapping[str, str]
    all_claims: str
    count: int
    history: tuple[HistoryItem, ...]

    def claim_status(self, claim_id: str) -> str:
        """Status of any claim, named in the log or not."""
        return _worse(self.claims.get(claim_id, "CURRENT"), self.all_claims, CLAIM_STATUSES)

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "status": self.status,
            "count": self.count,
            "all_claims": self.all_claims,
            "claims": dict(self.claims),
            "history": [h.to_json() for h in self.history],
        }

    def manifest_correction_record(self) -> dict[str, Any]:
        """The paper manifest's ``correction_record`` fields for this log."""
        return {"status": self.status, "count": self.count, "correction_contract": CORRECTION_RECORD}


def _superseded(records: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    superseded_by: dict[int, int] = {}
    for rec in records:
        sup = rec.get("supersedes")
        if isinstance(sup, Mapping) and isinstance(sup.get("seq"), int):
            superseded_by.setdefault(sup["seq"], rec["seq"])
    return superseded_by


def _fold(records: Sequence[Mapping[str, Any]], superseded_by: Mapping[int, int]) -> tuple[str, str, dict[str, str], int]:
    """Record status, record-wide claim status, named claims' statuses, and how many records count."""
    status = "CURRENT"
    all_claims = "CURRENT"
    claims: dict[str, str] = {}
    counting = 0
    for rec in records:
        changes = rec.get("claims") or ()
        for change in changes:
            claims.setdefault(change["claim_id"], "CURRENT")
        if rec["seq"] in superseded_by:
            continue
        counting += 1
        rtype = rec["type"]
        status = _worse(RECORD_EFFECT.get(rtype, "CORRECTED"), status, RECORD_STATUSES)
        if rtype in _RECORD_WIDE_CLAIM_EFFECT and not rec.get("target", {}).get("claims"):
            all_claims = _worse(_RECORD_WIDE_CLAIM_EFFECT[rtype], all_claims, CLAIM_STATUSES)
        for change in changes:
            cid = change["claim_id"]
            after = change.get("after", {}).get("status", "CORRECTED")
            if claims.get(cid) in _TERMINAL and after not in _TERMINAL:
                continue
            claims[cid] = after
    return status, all_claims, claims, counting


def claim_statuses(records: Sequence[Mapping[str, Any]], claim_ids: Iterable[str]) -> dict[str, str]:
    """The current status of each of ``claim_ids`` (the fold of :func:`current_status`, without the history)."""
    _, all_claims, claims, _ = _fold(records, _superseded(records))
    return {cid: _worse(claims.get(cid, "CURRENT"), all_claims, CLAIM_STATUSES) for cid in claim_ids}


def current_status(records: Sequence[Mapping[str, Any]]) -> StatusView:
    """Fold verified correction records (in log order) into a :class:`StatusView`."""
    superseded_by = _superseded(records)
    status, all_claims, claims, counting = _fold(records, superseded_by)
    history: list[HistoryItem] = []
    for rec in records:
        issued_by = rec.get("issued_by", {})
        reason = rec.get("reason", {})
        history.append(
            HistoryItem(
                seq=rec["seq"],
                type=rec["type"],
                severity=rec.get("severity", ""),
                issued_at=rec.get("issued_at", ""),
                issued_by=str(issued_by.get("name") or issued_by.get("keyid", "")),
                claims=tuple(str(c) for c in rec.get("target", {}).get("claims", [])),
                reason_category=reason.get("category", ""),
                reason_text=reason.get("text", ""),
                what_was_wrong=rec.get("what_was_wrong", ""),
                superseded_by=superseded_by.get(rec["seq"]),
            )
        )
    effective = {cid: _worse(st, all_claims, CLAIM_STATUSES) for cid, st in sorted(claims.items())}
    record_id = records[-1].get("target", {}).get("record_id") if records else None
    return StatusView(record_id, status, effective, all_claims, counting, tuple(history))
