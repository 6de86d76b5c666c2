"""correction-record-v1: the vocabulary, building a record, and validating one (every error at once).

A record is plain JSON (a dict). :func:`build_record` makes one from a
:class:`CorrectionRequest` and the log position it will occupy;
:func:`record_findings` lists everything wrong with a record, schema and
semantics together.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from provenance.contracts import CORRECTION_RECORD
from provenance.jsonio import canonical_bytes
from provenance.schemas import SchemaFinding, validate

PAYLOAD_TYPE = "application/vnd.provenance-archive.correction-record.v1+json"
"""DSSE payloadType of a log entry (ASCII, specific, never application/json)."""

CORRECTION_TYPES: tuple[str, ...] = (
    "correction",
    "erratum",
    "retraction",
    "partial_retraction",
    "expression_of_concern",
    "withdrawal",
    "addendum",
    "clarification",
)
ERROR_TYPES = frozenset({"retraction", "partial_retraction", "withdrawal"})
"""Types Crossmark displays as a red error; the rest are yellow alerts."""
RECORD_WIDE_TYPES = frozenset({"retraction", "withdrawal", "expression_of_concern"})
"""Types that may name no claim: naming none, they are about the whole record (and every claim in it).
Every other type names what it corrects: a claim, or (except partial_retraction) a file of the bundle."""

COPE_CATEGORIES: tuple[str, ...] = (
    "honest_error",
    "fabrication",
    "falsification",
    "plagiarism",
    "redundant_publication",
    "unauthorised_data",
    "legal",
    "unethical_research",
    "compromised_review",
    "undisclosed_coi",
    "tooling_defect",
    "other",
)

CLAIM_STATUSES: tuple[str, ...] = ("CURRENT", "CLARIFIED", "CORRECTED", "UNDER_CONCERN", "RETRACTED", "WITHDRAWN")
"""Claim statuses, least to most severe."""

CLAIM_EFFECT: Mapping[str, str] = {
    "correction": "CORRECTED",
    "erratum": "CORRECTED",
    "addendum": "CLARIFIED",
    "clarification": "CLARIFIED",
    "expression_of_concern": "UNDER_CONCERN",
    "partial_retraction": "RETRACTED",
    "retraction": "RETRACTED",
    "withdrawal": "WITHDRAWN",
}
"""The status a named claim takes after a record of each type (unless the record says otherwise)."""

_UTC_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z$")
_ORIGIN_BAD = re.compile(r"[\s+]+")


def severity_of(correction_type: str) -> str:
    """``error`` for the Crossmark error types, ``alert`` otherwise."""
    return "error" if correction_type in ERROR_TYPES else "alert"


def origin_for(record_id: str, prefix: str = "provenance-archive.dev/corrections/") -> str:
    """A log origin derived from a record id: usable as a note key name (no spaces, no '+')."""
    cleaned = _ORIGIN_BAD.sub("-", record_id.strip()).strip("-") or "record"
    return prefix + cleaned


@dataclass(frozen=True)
class ClaimChange:
    """What a correction does to one claim; ``after_status`` defaults to the type's effect."""

    claim_id: str
    after_status: str | None = None
    before_values: Mapping[str, str | None] = field(default_factory=dict)
    after_values: Mapping[str, str | None] = field(default_factory=dict)
    replacement_claim_id: str | None = None


@dataclass(frozen=True)
class CorrectionRequest:
    """Everything an editor states about a correction; the log supplies its position."""

    type: str
    record_id: str
    what_was_wrong: str
    reason_text: str
    reason_category: str = "honest_error"
    claims: tuple[ClaimChange, ...] = ()
    what_changed: tuple[Mapping[str, str], ...] = ()
    doi: str | None = None
    bundle_id: str | None = None
    paths: tuple[str, ...] = ()
    issuer_name: str | None = None
    issuer_orcid: str | None = None
    supersedes_seq: int | None = None
    evidence: tuple[Mapping[str, str], ...] = ()
    notice_text: str | None = None


def build_record(
    request: CorrectionRequest,
    *,
    origin: str,
    seq: int,
    prev: str | None,
    issuer_keyid: str,
    issued_at: str,
    claim_status_before: Mapping[str, str],
    supersedes_sha256: str | None = None,
    record_uuid: str | None = None,
) -> dict[str, Any]:
    """A correction-record-v1 document for ``request`` at position ``seq`` of log ``origin``.

    ``claim_status_before`` gives each claim's current status (missing means CURRENT).
    The result is not validated here: call :func:`record_findings`.
    """
    effect = CLAIM_EFFECT.get(request.type, "CORRECTED")
    changes = []
    for change in request.claims:
        before: dict[str, Any] = {"status": claim_status_before.get(change.claim_id, "CURRENT")}
        if change.before_values:
            before["values"] = dict(change.before_values)
        after: dict[str, Any] = {"status": change.after_status or effect}
        if change.after_values:
            after["values"] = dict(change.after_values)
        item: dict[str, Any] = {"claim_id": change.claim_id, "before": before, "after": after}
        if change.replacement_claim_id:
            item["replacement_claim_id"] = change.replacement_claim_id
        changes.append(item)
    target: dict[str, Any] = {
        "record_id": request.record_id,
        "doi": request.doi,
        "bundle_id": request.bundle_id,
        "claims": [c.claim_id for c in request.claims],
        "paths": list(request.paths),
    }
    issued_by: dict[str, Any] = {"keyid": issuer_keyid, "role": "corrector"}
    if request.issuer_name:
        issued_by["name"] = request.issuer_name
    if request.issuer_orcid:
        issued_by["orcid"] = request.issuer_orcid
    what_changed = [dict(c) for c in request.what_changed] or [
        {"summary": _default_change_summary(request.type, [c.claim_id for c in request.claims])}
    ]
    supersedes = None
    if request.supersedes_seq is not None:
        supersedes = {"seq": request.supersedes_seq, "sha256": supersedes_sha256 or ""}
    record: dict[str, Any] = {
        "contract": CORRECTION_RECORD,
        "id": record_uuid or "",
        "log": origin,
        "seq": seq,
        "prev": prev,
        "type": request.type,
        "severity": severity_of(request.type),
        "target": target,
        "claims": changes,
        "what_was_wrong": request.what_was_wrong,
        "what_changed": what_changed,
        "reason": {"category": request.reason_category, "text": request.reason_text},
        "issued_by": issued_by,
        "issued_at": issued_at,
        "supersedes": supersedes,
        "evidence": [dict(e) for e in request.evidence],
    }
    if request.notice_text:
        record["notice_text"] = request.notice_text
    if not record["id"]:
        record["id"] = content_uuid(record)
    return record


def content_uuid(record: Mapping[str, Any]) -> str:
    """A urn:uuid derived from the record's content (every field but ``id``): same notice, same id.

    Deterministic, so rebuilding a bundle from the same log reproduces its bytes,
    and unique per content, since the content holds the log, seq and prev.
    """
    body = {k: v for k, v in record.items() if k != "id"}
    digest = hashlib.sha256(canonical_bytes(body)).digest()
    return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=5)}"


def _default_change_summary(correction_type: str, claim_ids: Sequence[str]) -> str:
    what = f"claims {', '.join(claim_ids)}" if claim_ids else "the record"
    return f"{correction_type.replace('_', ' ')} issued for {what}"


def record_findings(record: Any) -> list[SchemaFinding]:
    """Every problem of ``record``: schema errors plus rules a schema cannot state."""
    findings = validate(record, CORRECTION_RECORD)
    if findings or not isinstance(record, Mapping):
        return findings
    # jsonschema matches a pattern with Python's re.search, where "$" also matches before a
    # final newline; the schema means ECMA-262, where it does not. The shape check applies the
    # patterns to whole strings, so what an append writes is what verification accepts.
    exact = [SchemaFinding(f"$.{name}", "does not match its pattern (the whole string must match: no trailing newline)")
             for name in shape_problems(record)]
    return exact + semantic_findings(record)


def semantic_findings(record: Mapping[str, Any]) -> list[SchemaFinding]:
    """The rules a schema cannot state, for a record whose shape the schema accepts."""
    findings: list[SchemaFinding] = []
    target_claims = list(record["target"].get("claims", []))
    change_ids = [c["claim_id"] for c in record["claims"]]
    unique = set(change_ids)
    if len(unique) != len(change_ids):
        findings.append(SchemaFinding("$.claims", "a claim appears more than once"))
    if change_ids != target_claims and unique != set(target_claims):
        findings.append(
            SchemaFinding("$.claims", f"claims changed {sorted(change_ids)} differ from target.claims {sorted(target_claims)}")
        )
    sup = record.get("supersedes")
    if sup is not None and isinstance(sup, Mapping) and sup.get("seq", -1) >= record["seq"]:
        findings.append(SchemaFinding("$.supersedes.seq", "a record can only supersede an earlier record"))
    if record["type"] == "partial_retraction" and not target_claims:
        findings.append(SchemaFinding("$.target.claims", "a partial retraction must name the claims it retracts"))
    return findings


# -- fast shape check -------------------------------------------------------------
# jsonschema needs ~0.6 ms per record; verifying 100,000 entries cannot afford that.
# ``shape_problems`` checks the same constraints as schemas/correction-record-v1.json
# in plain Python (tests cross-check it against the schema on valid and mutated
# records); when it finds a problem, the schema validator names every error.

_SHA = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_LOG = re.compile(r"^[^\s+]+$")
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_BUNDLE = re.compile(r"^sha256:[0-9a-f]{64}$")
_ORCID = re.compile(r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$")
_STATUSES = frozenset(CLAIM_STATUSES)
_TYPES = frozenset(CORRECTION_TYPES)
_CATEGORIES = frozenset(COPE_CATEGORIES)


def _s(v: Any, min_len: int = 0) -> bool:
    return isinstance(v, str) and len(v) >= min_len


def _int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _match(rx: re.Pattern[str], v: Any) -> bool:
    return isinstance(v, str) and rx.fullmatch(v) is not None


def _keyword(v: Any, options: frozenset[str]) -> bool:
    """``v`` is one of ``options`` (a list or an object is not, and is never hashed)."""
    return isinstance(v, str) and v in options


_REMEMBERED = 256


def _fits(v: Any, rx: re.Pattern[str], seen: set[str]) -> TypeGuard[str]:
    """:func:`_match`, remembering the strings that fit: a log repeats its origin, its signers' key ids and its times."""
    if type(v) is not str:
        return False
    if v in seen:
        return True
    if rx.fullmatch(v) is None:
        return False
    if len(seen) >= _REMEMBERED:
        seen.clear()
    seen.add(v)
    return True


_LOGS_SEEN: set[str] = set()
_TIMES_SEEN: set[str] = set()
_KEYIDS_SEEN: set[str] = set()


def _sha(v: Any) -> bool:
    return type(v) is str and len(v) == 64 and _SHA.fullmatch(v) is not None


def _state_ok(v: Any) -> bool:
    if type(v) is not dict:
        return False
    status = v.get("status")
    if type(status) is not str or status not in _STATUSES:
        return False
    values = v.get("values")
    if values is None:
        return "values" not in v
    if type(values) is not dict:
        return False
    for x in values.values():
        if x is not None and type(x) is not str:
            return False
    return True


def shape_ok(r: Any) -> bool:
    """True when the schema accepts ``r``; the fast path of :func:`shape_problems` (same rules)."""
    if type(r) is not dict:
        return False
    g = r.get
    seq = g("seq")
    ctype = g("type")
    log = g("log")
    prev = g("prev", 0)
    what_was_wrong = g("what_was_wrong")
    if not (
        g("contract") == CORRECTION_RECORD
        and type(seq) is int and 0 <= seq <= 9007199254740991
        and type(ctype) is str and ctype in _TYPES
        and g("severity") == ("error" if ctype in ERROR_TYPES else "alert")
        and (prev is None if seq == 0 else _sha(prev))
        and _fits(log, _LOG, _LOGS_SEEN) and len(log) <= 255
        and _match(_UUID, g("id"))
        and type(what_was_wrong) is str and what_was_wrong
        and _fits(g("issued_at"), _UTC_TIME, _TIMES_SEEN)
        and ("notice_text" not in r or type(r["notice_text"]) is str)
    ):
        return False
    t = g("target")
    if type(t) is not dict:
        return False
    record_id = t.get("record_id")
    doi = t.get("doi")
    bundle_id = t.get("bundle_id")
    if not (
        type(record_id) is str and 1 <= len(record_id) <= 200
        and (doi is None or _match(_DOI, doi))
        and (bundle_id is None or _match(_BUNDLE, bundle_id))
        and ("claims" not in t or _str_list(t["claims"]))
        and ("paths" not in t or _str_list(t["paths"]))
    ):
        return False
    claims = g("claims")
    if type(claims) is not list:
        return False
    for c in claims:
        if type(c) is not dict:
            return False
        claim_id = c.get("claim_id")
        if not (
            type(claim_id) is str and 1 <= len(claim_id) <= 200
            and _state_ok(c.get("before")) and _state_ok(c.get("after"))
            and ("replacement_claim_id" not in c or _s(c["replacement_claim_id"], 1))
        ):
            return False
    wc = g("what_changed")
    if type(wc) is not list or not wc:
        return False
    for change in wc:
        if not _change(change):
            return False
    reason = g("reason")
    if type(reason) is not dict:
        return False
    category = reason.get("category")
    text = reason.get("text")
    ib = g("issued_by")
    sup = g("supersedes", 0)
    ev = g("evidence")
    return (
        type(category) is str and category in _CATEGORIES and type(text) is str and text != ""
        and type(ib) is dict and _fits(ib.get("keyid"), _SHA, _KEYIDS_SEEN) and ib.get("role") == "corrector"
        and ("name" not in ib or _s(ib["name"], 1))
        and ("orcid" not in ib or _match(_ORCID, ib["orcid"]))
        and (sup is None or (type(sup) is dict and type(sup.get("seq")) is int and sup["seq"] >= 0 and _sha(sup.get("sha256"))))
        and type(ev) is list and (not ev or all(type(e) is dict and _s(e.get("name"), 1) and _sha(e.get("sha256")) for e in ev))
    )


def shaped_members(r: dict[str, Any]) -> int:
    """How many members the objects of a record that :func:`shape_ok` accepts hold, counting every object the
    schema describes (not objects inside unknown fields): the record, target, each claim change and its states
    and values, reason, issued_by, supersedes, each what_changed and evidence item."""
    n = len(r) + len(r["target"]) + len(r["reason"]) + len(r["issued_by"])
    sup = r["supersedes"]
    if sup is not None:
        n += len(sup)
    for c in r["claims"]:
        before, after = c["before"], c["after"]
        n += len(c) + len(before) + len(after) + len(before.get("values") or ()) + len(after.get("values") or ())
    for w in r["what_changed"]:
        n += len(w)
    for e in r["evidence"]:
        n += len(e)
    return n


def _str_list(v: Any) -> bool:
    if type(v) is not list:
        return False
    for x in v:
        if type(x) is not str or not x:
            return False
    return len(v) < 2 or len(set(v)) == len(v)


def _claim_state(v: Any) -> bool:
    if not isinstance(v, dict) or not _keyword(v.get("status"), _STATUSES):
        return False
    values = v.get("values", {})
    return isinstance(values, dict) and all(x is None or isinstance(x, str) for x in values.values())


def _claim_change(v: Any) -> bool:
    return (
        isinstance(v, dict)
        and _s(v.get("claim_id"), 1)
        and len(v["claim_id"]) <= 200
        and _claim_state(v.get("before"))
        and _claim_state(v.get("after"))
        and ("replacement_claim_id" not in v or _s(v["replacement_claim_id"], 1))
    )


def _change(v: Any) -> bool:
    return (
        isinstance(v, dict)
        and _s(v.get("summary"), 1)
        and ("path" not in v or _s(v["path"], 1))
        and ("before_sha256" not in v or _sha(v["before_sha256"]))
        and ("after_sha256" not in v or _sha(v["after_sha256"]))
    )


def shape_problems(record: Any) -> list[str]:
    """Names of the fields of ``record`` that break the schema (empty: the schema accepts it)."""
    if not isinstance(record, dict):
        return ["$"]
    r = record
    bad: list[str] = []
    checks: dict[str, bool] = {
        "contract": r.get("contract") == CORRECTION_RECORD,
        "id": _match(_UUID, r.get("id")),
        "log": _match(_LOG, r.get("log")) and 1 <= len(r["log"]) <= 255,
        "seq": _int(r.get("seq")) and 0 <= r["seq"] <= 9007199254740991,
        "type": _keyword(r.get("type"), _TYPES),
        "severity": _keyword(r.get("type"), _TYPES) and r.get("severity") == severity_of(r["type"]),
        "what_was_wrong": _s(r.get("what_was_wrong"), 1),
        "issued_at": _match(_UTC_TIME, r.get("issued_at")),
    }
    seq0 = r.get("seq") == 0 and _int(r.get("seq"))
    checks["prev"] = "prev" in r and (r["prev"] is None if seq0 else _match(_SHA, r["prev"]))
    t = r.get("target")
    checks["target"] = (
        isinstance(t, dict)
        and _s(t.get("record_id"), 1)
        and len(t["record_id"]) <= 200
        and (t.get("doi") is None or _match(_DOI, t["doi"]))
        and (t.get("bundle_id") is None or _match(_BUNDLE, t["bundle_id"]))
        and ("claims" not in t or _str_list(t["claims"]))
        and ("paths" not in t or _str_list(t["paths"]))
    )
    checks["claims"] = isinstance(r.get("claims"), list) and all(_claim_change(c) for c in r["claims"])
    wc = r.get("what_changed")
    checks["what_changed"] = isinstance(wc, list) and len(wc) >= 1 and all(_change(c) for c in wc)
    reason = r.get("reason")
    checks["reason"] = isinstance(reason, dict) and _keyword(reason.get("category"), _CATEGORIES) and _s(reason.get("text"), 1)
    ib = r.get("issued_by")
    checks["issued_by"] = (
        isinstance(ib, dict)
        and _match(_SHA, ib.get("keyid"))
        and ib.get("role") == "corrector"
        and ("name" not in ib or _s(ib["name"], 1))
        and ("orcid" not in ib or _match(_ORCID, ib["orcid"]))
    )
    sup = r.get("supersedes", 0)
    checks["supersedes"] = sup is None or (
        isinstance(sup, dict) and _int(sup.get("seq")) and sup["seq"] >= 0 and _match(_SHA, sup.get("sha256"))
    )
    ev = r.get("evidence")
    checks["evidence"] = isinstance(ev, list) and all(
        isinstance(e, dict) and _s(e.get("name"), 1) and _match(_SHA, e.get("sha256")) for e in ev
    )
    checks["notice_text"] = "notice_text" not in r or isinstance(r["notice_text"], str)
    bad = [name for name, ok in checks.items() if not ok]
    return bad


def fast_record_findings(record: Any) -> list[SchemaFinding]:
    """:func:`record_findings`, skipping the slow schema validator when the shape check passes."""
    if not shape_ok(record):
        found = record_findings(record)
        return found or [SchemaFinding("$", "record fails the shape check")]
    return semantic_findings(record)
