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

The fold runs in pieces: each record is reduced to :class:`StatusFacts`, a run
of records to a :class:`PartialStatus` (:func:`fold`), and partial statuses of
consecutive runs combine (:func:`combine`), so verification folds each chunk
of the log in its worker. A run's fold assumes none of its records is
superseded from outside the run; when one is, that run is folded again from
its facts (:func:`fold_runs`).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeGuard

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
_CLAIM_STATUS_SET = frozenset(CLAIM_STATUSES)


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


class StatusFacts(NamedTuple):
    """What the fold reads of one record (small, so it crosses process boundaries cheaply)."""

    seq: int
    type: str
    record_wide: bool  # a record-wide type that names no claim: it applies to every claim
    changes: tuple[tuple[str, str], ...]  # (claim id, status after), in the record's order
    supersedes: int | None
    record_id: str | None


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return type(value) is dict or isinstance(value, Mapping)  # the exact-type test first: it is most of the cost


_NO_TARGET: Mapping[str, Any] = {}


def status_facts(record: Mapping[str, Any]) -> StatusFacts:
    """The facts of ``record`` (never raises, whatever the record holds)."""
    get = record.get
    rtype = _text(get("type"))
    target = get("target")
    if not _is_mapping(target):
        target = _NO_TARGET
    changes: list[tuple[str, str]] = []
    claims = get("claims")
    if isinstance(claims, (list, tuple)):
        for change in claims:
            if _is_mapping(change) and isinstance(cid := change.get("claim_id"), str):
                after = change.get("after")
                status = after.get("status") if _is_mapping(after) else None
                changes.append((cid, status if isinstance(status, str) and status in _CLAIM_STATUS_SET else "CORRECTED"))
    sup = get("supersedes")
    sup_seq = sup.get("seq") if sup is not None and _is_mapping(sup) else None
    seq = get("seq")
    record_id = target.get("record_id")
    return StatusFacts(
        seq=seq if isinstance(seq, int) else -1,
        type=rtype,
        record_wide=rtype in _RECORD_WIDE_CLAIM_EFFECT and not target.get("claims"),
        changes=tuple(changes),
        supersedes=sup_seq if isinstance(sup_seq, int) else None,
        record_id=record_id if isinstance(record_id, str) else None,
    )


def shaped_status_facts(record: Mapping[str, Any]) -> StatusFacts:
    """:func:`status_facts` of a record whose shape the schema accepts (``record.shape_ok``): the same
    facts, read without the checks a valid shape makes needless."""
    rtype = record["type"]
    target = record["target"]
    sup = record["supersedes"]
    return StatusFacts(
        seq=record["seq"],
        type=rtype,
        record_wide=rtype in _RECORD_WIDE_CLAIM_EFFECT and not target.get("claims"),
        changes=tuple((c["claim_id"], c["after"]["status"]) for c in record["claims"]),
        supersedes=None if sup is None else sup["seq"],
        record_id=target["record_id"],
    )


def history_item(record: Mapping[str, Any]) -> HistoryItem:
    """``record`` as a reader sees it in the history (``superseded_by`` is set by the fold)."""
    issued_by = record.get("issued_by")
    issued_by = issued_by if isinstance(issued_by, Mapping) else {}
    reason = record.get("reason")
    reason = reason if isinstance(reason, Mapping) else {}
    target = record.get("target")
    claims = target.get("claims") if isinstance(target, Mapping) else None
    seq = record.get("seq")
    return HistoryItem(
        seq=seq if isinstance(seq, int) else -1,
        type=_text(record.get("type")),
        severity=_text(record.get("severity")),
        issued_at=_text(record.get("issued_at")),
        issued_by=str(issued_by.get("name") or issued_by.get("keyid", "")),
        claims=tuple(str(c) for c in claims) if isinstance(claims, list) else (),
        reason_category=_text(reason.get("category")),
        reason_text=_text(reason.get("text")),
        what_was_wrong=_text(record.get("what_was_wrong")),
        superseded_by=None,
    )


class PartialStatus(NamedTuple):
    """The fold of a run of records: what combining it with the runs around it needs."""

    status: str
    all_claims: str
    counting: int
    claims: Mapping[str, tuple[str, str | None]]  # claim id -> (last status after, last RETRACTED/WITHDRAWN after)
    named: frozenset[str]  # every claim a record of the run names, superseded or not
    record_id: str | None
    records: int


EMPTY = PartialStatus("CURRENT", "CURRENT", 0, {}, frozenset(), None, 0)


def supersessions(facts: Iterable[StatusFacts]) -> list[tuple[int, int]]:
    """``(superseded seq, superseding seq)`` for each record that supersedes one, in log order."""
    return [(f.supersedes, f.seq) for f in facts if f.supersedes is not None]


def fold(facts: Sequence[StatusFacts], superseded: Collection[int]) -> PartialStatus:
    """Fold a run of records in log order; records whose seq is in ``superseded`` do not count."""
    status = all_claims = "CURRENT"
    count = 0
    claims: dict[str, tuple[str, str | None]] = {}
    named: set[str] = set()
    for f in facts:
        named.update(cid for cid, _ in f.changes)
        if f.seq in superseded:
            continue
        count += 1
        status = _worse(RECORD_EFFECT.get(f.type, "CORRECTED"), status, RECORD_STATUSES)
        if f.record_wide:
            all_claims = _worse(_RECORD_WIDE_CLAIM_EFFECT[f.type], all_claims, CLAIM_STATUSES)
        for cid, after in f.changes:
            last_terminal = after if after in _TERMINAL else claims.get(cid, ("", None))[1]
            claims[cid] = (after, last_terminal)
    record_id = facts[-1].record_id if facts else None
    return PartialStatus(status, all_claims, count, claims, frozenset(named), record_id, len(facts))


def combine(first: PartialStatus, then: PartialStatus) -> PartialStatus:
    """The fold of a run followed by the next run (associative; :data:`EMPTY` is neutral)."""
    if not then.records:
        return first
    if not first.records:
        return then
    claims = dict(first.claims)
    for cid, (after, terminal) in then.claims.items():
        claims[cid] = (after, terminal if terminal is not None else claims.get(cid, ("", None))[1])
    return PartialStatus(
        _worse(first.status, then.status, RECORD_STATUSES),
        _worse(first.all_claims, then.all_claims, CLAIM_STATUSES),
        first.counting + then.counting,
        claims,
        first.named | then.named,
        then.record_id,
        first.records + then.records,
    )


class FoldedRun(NamedTuple):
    """A run of records folded on its own (its records superseded by its own records not counting)."""

    partial: PartialStatus
    supersessions: Sequence[tuple[int, int]]  # (superseded seq, superseding seq) of the run's records
    seqs: Collection[int]  # the seqs of the run's records (a range for an intact log)
    facts: Callable[[], Sequence[StatusFacts]]  # to fold the run again


def fold_runs(runs: Sequence[FoldedRun]) -> tuple[PartialStatus, dict[int, int]]:
    """The fold of consecutive runs, and the superseded seqs (-> first superseding seq).

    A run holding a record that a record of another run supersedes is folded
    again from its facts; the others are combined as they are.
    """
    superseded = superseded_map(pair for run in runs for pair in run.supersessions)
    stale = _superseded_from_outside(runs) if superseded else set()
    total = EMPTY
    for k, run in enumerate(runs):
        total = combine(total, fold(run.facts(), superseded) if k in stale else run.partial)
    return total, superseded


def _superseded_from_outside(runs: Sequence[FoldedRun]) -> set[int]:
    targeted_by: dict[int, set[int]] = {}
    for k, run in enumerate(runs):
        for target, _ in run.supersessions:
            targeted_by.setdefault(target, set()).add(k)
    ranges = [(run.seqs, k) for k, run in enumerate(runs) if isinstance(run.seqs, range) and run.seqs]
    scattered = [k for k, run in enumerate(runs) if not isinstance(run.seqs, range)]
    if any(a.stop > b.start for (a, _), (b, _) in zip(ranges, ranges[1:], strict=False)):
        scattered, ranges = list(range(len(runs))), []  # out of order (a tampered log): look at every run
    starts = [r.start for r, _ in ranges]
    stale: set[int] = set()
    for target, targeting in targeted_by.items():
        holders = list(scattered)
        i = bisect.bisect_right(starts, target) - 1
        if i >= 0:
            holders.append(ranges[i][1])
        stale.update(k for k in holders if target in runs[k].seqs and targeting - {k})
    return stale


def _claim_now(entry: tuple[str, str | None] | None) -> str:
    """A claim's status from its (last after, last terminal after): a terminal status stays."""
    if entry is None:
        return "CURRENT"
    after, terminal = entry
    return terminal if terminal is not None else after


def status_view(partial: PartialStatus, history: Sequence[HistoryItem] = ()) -> StatusView:
    """The :class:`StatusView` of a whole log's fold (``history``: its items, when wanted)."""
    effective = {
        cid: _worse(_claim_now(partial.claims.get(cid)), partial.all_claims, CLAIM_STATUSES)
        for cid in sorted(partial.named)
    }
    return StatusView(partial.record_id, partial.status, effective, partial.all_claims, partial.counting, tuple(history))


def with_superseded_by(history: Sequence[HistoryItem], superseded_by: Mapping[int, int]) -> list[HistoryItem]:
    """``history`` with each item's ``superseded_by`` from the log's supersessions."""
    return [replace(h, superseded_by=superseded_by[h.seq]) if h.seq in superseded_by else h for h in history]


def superseded_map(pairs: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Superseded seq -> the first record (in log order) that supersedes it."""
    out: dict[int, int] = {}
    for target, by in pairs:
        out.setdefault(target, by)
    return out


def current_status(records: Sequence[Mapping[str, Any]]) -> StatusView:
    """Fold verified correction records (in log order) into a :class:`StatusView`."""
    facts = [status_facts(r) for r in records]
    superseded = superseded_map(supersessions(facts))
    history = with_superseded_by([history_item(r) for r in records], superseded)
    return status_view(fold(facts, superseded), history)


def claim_statuses(records: Sequence[Mapping[str, Any]], claim_ids: Iterable[str]) -> dict[str, str]:
    """The current status of each of ``claim_ids`` (the fold of :func:`current_status`, without the history)."""
    facts = [status_facts(r) for r in records]
    partial = fold(facts, superseded_map(supersessions(facts)))
    return {cid: _worse(_claim_now(partial.claims.get(cid)), partial.all_claims, CLAIM_STATUSES) for cid in claim_ids}
