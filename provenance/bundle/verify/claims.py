"""Checks of the claims: each recorded verdict against an exact re-evaluation of the manifest's checks,
and sandbox verdicts against the inputs the carried repro runs printed."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from provenance.bundle.layout import MANIFEST, VERDICTS
from provenance.bundle.verify.context import Checklist
from provenance.bundle.verify.grounding import check_grounding
from provenance.claims.engine import check_claims as evaluate_exactly
from provenance.claims.engine import compare, computed_of
from provenance.claims.errors import ClaimError
from provenance.claims.model import Claim, load_claims
from provenance.claims.verdict import Verdict
from provenance.clock import parse_time, utc_now
from provenance.contracts import BUNDLE_VERDICTS, VERDICT
from provenance.errors import InputError, ProvenanceError
from provenance.sources.grounding import SourceStore


@dataclass(frozen=True)
class ClaimsOutcome:
    """Each checked claim's recorded status, and the claims that state no check; from the re-evaluation, the
    inputs not found in their sources (claim -> inputs) and the checks that do not restate their claim."""

    statuses: Mapping[str, str] = field(default_factory=dict)
    unchecked: tuple[str, ...] = ()
    ungrounded: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    unrestated: tuple[str, ...] = ()


def _verdicts(doc: Any, key: str, out: Checklist) -> dict[str, Verdict]:
    found: dict[str, Verdict] = {}
    raw = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(raw, list):
        out.fail(f"schema.{VERDICT}", f"{key} is not a list", VERDICTS)
        return found
    for index, item in enumerate(raw):
        problems = out.cache.schema_findings(item, VERDICT)
        if problems:
            for finding in problems:
                out.fail(f"schema.{VERDICT}", f"{key}[{index}]: {finding}", VERDICTS)
            continue
        verdict = out.cache.verdict(item, where=f"{VERDICTS}: {key}[{index}]")
        if verdict.claim_id in found:
            out.fail("verdicts", f"{key}: two verdicts for claim {verdict.claim_id}", VERDICTS)
        found[verdict.claim_id] = verdict
    return found


def check_claims(
    manifest: Mapping[str, Any] | None,
    doc: Any,
    runs: Sequence[Mapping[str, Any]],
    out: Checklist,
    sources: SourceStore | None = None,
) -> ClaimsOutcome:
    """Every claim re-evaluated exactly and compared with its recorded verdict; sourced inputs re-grounded in
    the files of ``sources`` (the bag's payload) and compared with their recorded grounding."""
    if manifest is None or doc is None:
        if out.too_costly(MANIFEST) or out.too_costly(VERDICTS):
            out.skip("claims", "claims not re-evaluated: no valid signature vouches for the manifest or the verdicts")
        else:
            out.fail("claims", "cannot re-evaluate claims without the manifest and the verdicts")
        return ClaimsOutcome()
    if not isinstance(doc, dict) or doc.get("contract") != BUNDLE_VERDICTS:
        out.fail("verdicts", f"not a {BUNDLE_VERDICTS} document", VERDICTS)
        return ClaimsOutcome()
    if doc.get("record_id") != manifest.get("record_id"):
        out.fail("verdicts", "the verdicts are for another record", VERDICTS)
    final = _verdicts(doc, "verdicts", out)
    exact_recorded = _verdicts(doc, "exact_verdicts", out)
    if not out.has(f"schema.{VERDICT}"):
        out.ok(f"schema.{VERDICT}", f"all {len(final) + len(exact_recorded)} verdicts valid against verdict-v1", VERDICTS)
    try:
        claims = load_claims(manifest, source=MANIFEST)
    except InputError as exc:
        out.fail("claims", exc.message, MANIFEST)
        return ClaimsOutcome()
    try:
        when = parse_time(str(doc.get("evaluated_at")), where=VERDICTS)
    except InputError:
        when = utc_now()
    recomputed = {v.claim_id: v for v in evaluate_exactly(claims, now=when, store=sources)}
    by_id = {c.id: c for c in claims}
    statuses: dict[str, str] = {}
    for cid in sorted(set(recomputed) | set(exact_recorded), key=_claim_order(claims)):
        fresh, recorded = recomputed.get(cid), exact_recorded.get(cid)
        if recorded is None:
            out.fail(f"claim.{cid}", "the claim has a check but the bundle records no verdict for it", VERDICTS)
            continue
        if fresh is None:
            out.fail(f"claim.{cid}", "a verdict is recorded for a claim the manifest does not check", VERDICTS)
            continue
        _compare_exact(cid, fresh, recorded, out)
        check_grounding(cid, fresh, recorded, out)
    for cid, verdict in final.items():
        statuses[cid] = verdict.status
        if verdict.method == "sandbox":
            _check_sandbox_verdict(cid, by_id.get(cid), verdict, runs, out)
        elif cid not in exact_recorded or exact_recorded[cid].to_json() != verdict.to_json():
            out.fail(f"claim.{cid}", "the final verdict is neither the exact verdict nor a sandbox verdict", VERDICTS)
    for cid in exact_recorded:
        if cid not in final:
            out.fail(f"claim.{cid}", "an exact verdict has no final verdict", VERDICTS)
    unchecked = tuple(c.id for c in claims if c.check is None and c.check_error is None and c.id not in statuses)
    ungrounded = {cid: v.ungrounded for cid, v in recomputed.items() if v.ungrounded}
    unrestated = tuple(cid for cid, v in recomputed.items() if v.restatement_finding)
    return ClaimsOutcome(statuses, unchecked, ungrounded, unrestated)


def _claim_order(claims: Sequence[Claim]) -> Callable[[str], tuple[int, str]]:
    index = {c.id: i for i, c in enumerate(claims)}
    return lambda cid: (index.get(cid, len(index)), cid)


def _compare_exact(cid: str, fresh: Verdict, recorded: Verdict, out: Checklist) -> None:
    problems = []
    expected_status = fresh.status
    lean = recorded.lean or {}
    if lean.get("status") == "rejected":
        expected_status = "error"  # Lean disagreed or the proof was tampered with: recorded as an error
    if recorded.status != expected_status:
        problems.append(f"recorded {recorded.status}, re-evaluated {expected_status}")
    fresh_value = fresh.computed.fraction if fresh.computed else None
    recorded_value = recorded.computed.fraction if recorded.computed else None
    if fresh_value != recorded_value:
        problems.append(f"recorded value {recorded_value}, exact value {fresh_value}")
    if fresh.check_sha256 != recorded.check_sha256:
        problems.append("the recorded check_sha256 is not the manifest's check")
    if fresh.scope != recorded.scope:
        problems.append(f"recorded scope {recorded.scope}, re-evaluated {fresh.scope}")
    if problems:
        out.fail(f"claim.{cid}", "; ".join(problems), VERDICTS)
        return
    value = f" = {fresh.computed.decimal}" if fresh.computed else ""
    lean_note = ""
    if recorded.method == "lean4":
        lean_note = f"; Lean {lean.get('status')} ({lean.get('theorem')})"
    out.ok(f"claim.{cid}", f"{recorded.status} ({recorded.scope}){value}: the exact re-evaluation agrees{lean_note}",
           VERDICTS)


def _check_sandbox_verdict(
    cid: str,
    claim: Claim | None,
    verdict: Verdict,
    runs: Sequence[Mapping[str, Any]],
    out: Checklist,
) -> None:
    if claim is None or claim.check is None:
        out.fail(f"claim.{cid}.reproduced", "sandbox verdict for a claim without a check", VERDICTS)
        return
    record = verdict.sandbox or {}
    run = next((r for r in runs if r.get("outputs_sha256") == record.get("outputs_sha256")
                and r.get("script_sha256") == record.get("script_sha256")), None)
    if run is None:
        out.fail(f"claim.{cid}.reproduced", "no carried repro run matches the verdict's script and output digests",
                 VERDICTS)
        return
    outputs = run.get("outputs") or {}
    fed = {n: outputs.get(f"{cid}.{n}", outputs.get(n)) for n in claim.check.inputs}
    fed = {n: v for n, v in fed.items() if v is not None}
    if verdict.inputs is None or any(verdict.inputs.get(n) != v for n, v in fed.items()):
        out.fail(f"claim.{cid}.reproduced", "the verdict's inputs are not the values the script printed", VERDICTS)
        return
    try:
        from provenance.decimal_text import parse_decimal

        values = {n: parse_decimal(v) for n, v in verdict.inputs.items()}
        outcome = compare(claim.check, values, where=f"claim {cid}")
    except (ClaimError, ProvenanceError) as exc:
        out.fail(f"claim.{cid}.reproduced", f"cannot re-evaluate: {exc}", VERDICTS)
        return
    status = "verified" if outcome.holds else "falsified"
    value = computed_of(outcome.value)
    if status != verdict.status or (verdict.computed and verdict.computed.fraction != value.fraction):
        out.fail(f"claim.{cid}.reproduced", f"recorded {verdict.status}, re-evaluated on the reproduced inputs: "
                 f"{status} = {value.decimal}", VERDICTS)
        return
    out.ok(f"claim.{cid}.reproduced", f"{status} ({verdict.scope}) = {value.decimal} on the inputs the carried "
           f"{run.get('script')} printed: the exact re-evaluation agrees", VERDICTS)
