"""The exact claims engine: evaluate each check with fractions and conclude a verdict.

Pure except for one thing: when an input cites a ``source`` file and a
source store (or ``base_dir``) is given, the input is grounded in the file
(:mod:`provenance.sources.grounding`: digest, structured locator, the value as
written there), which decides the ``sourced`` scope. Every verdict also says
whether its check restates its claim (:mod:`provenance.claims.restatement`).
A broken check never stops the others: it becomes an ``error`` verdict naming
the claim.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from math import gcd
from pathlib import Path
from typing import Any

from provenance.claims.canonical import check_digest
from provenance.claims.errors import ClaimError
from provenance.claims.formula import Pair, evaluate_pair
from provenance.claims.model import Check, Claim, Tolerance
from provenance.claims.restatement import restatement_of
from provenance.claims.verdict import Artifact, Computed, Method, Scope, Status, Verdict
from provenance.clock import rfc3339
from provenance.decimal_text import (
    decimal_places,
    parse_decimal_pair,
    pow10,
    render_pair,
    render_shortest_pair,
)
from provenance.errors import InputError
from provenance.gcpause import paused_gc
from provenance.sources.errors import SourceError
from provenance.sources.grounding import Grounder, Grounding, SourceStore
from provenance.sources.store import DirectoryStore

COMPUTED_PLACES = 10
"""Digits after the point in ``computed.decimal``."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The pure result of comparing a computed value with the expected one (exact)."""

    value: Fraction
    holds: bool


def _bounds(check: Check, expected: Pair) -> list[Pair]:
    bounds: list[Pair] = []
    if check.tolerance is not None:
        tn, td = parse_decimal_pair(check.tolerance.value)
        bounds.append((tn, td) if check.tolerance.kind == "absolute" else (tn * abs(expected[0]), td * expected[1]))
    if check.precision is not None:
        bounds.append((5, pow10(check.precision + 1)))
    return bounds


def compare_pair(check: Check, values: Mapping[str, Pair] | None = None, *, where: str = "check") -> tuple[Pair, bool]:
    """The exact value as a pair and whether every bound holds (inclusive); raises :class:`ClaimError`."""
    try:
        n, d = evaluate_pair(check.expr, check.input_pairs() if values is None else values, where="formula")
    except ClaimError as exc:
        exc.where = f"{where}.formula"  # name the claim (built only on this rare path)
        raise
    en, ed = parse_decimal_pair(check.expected)
    # |n/d - en/ed| <= bn/bd  <=>  |n*ed - en*d| * bd <= bn * d * ed   (all denominators > 0)
    gap = abs(n * ed - en * d)
    scale = d * ed
    holds = all(gap * bd <= bn * scale for bn, bd in _bounds(check, (en, ed)))
    return (n, d), holds


def compare(check: Check, values: Mapping[str, Fraction] | None = None, *, where: str = "check") -> Outcome:
    """Evaluate ``check`` (optionally on other input ``values``) and compare; raises :class:`ClaimError`."""
    pairs = None if values is None else {k: (v.numerator, v.denominator) for k, v in values.items()}
    (n, d), holds = compare_pair(check, pairs, where=where)
    return Outcome(Fraction(n, d), holds)


def computed_of(value: Fraction) -> Computed:
    """The verdict's ``computed``: exact fraction plus a decimal of at most :data:`COMPUTED_PLACES` places."""
    return _computed_pair(value.numerator, value.denominator)


def _computed_pair(n: int, d: int) -> Computed:
    g = gcd(n, d)
    n, d = n // g, d // g
    text, exact = render_shortest_pair(n, d, COMPUTED_PLACES)
    return Computed(str(n) if d == 1 else f"{n}/{d}", text, exact)


def describe_bounds(check: Check) -> str:
    """``tolerance=5.0%``, ``tolerance=0.05``, ``precision=1 decimal, ±0.05``, or both joined by ``; ``."""
    return _describe(check.tolerance, check.precision)


@functools.lru_cache(maxsize=1024)
def _describe(tolerance: Tolerance | None, precision: int | None) -> str:
    parts = []
    if tolerance is not None:
        parts.append(f"tolerance={tolerance.describe()}")
    if precision is not None:
        unit = "decimal" if precision == 1 else "decimals"
        half = render_pair(5, pow10(precision + 1), precision + 1)
        parts.append(f"precision={precision} {unit}, ±{half}")
    return "; ".join(parts)


def render_like(value: Fraction, expected: str, *, differ: bool) -> str:
    """``value`` with as many decimals as ``expected``; when ``differ``, add decimals until the texts differ."""
    return _render_like_pair(value.numerator, value.denominator, expected, differ=differ)


def _render_like_pair(n: int, d: int, expected: str, *, differ: bool) -> str:
    places = decimal_places(expected)
    text = render_pair(n, d, places)
    if differ:
        extra = places
        while text == expected and extra < places + 400:  # value != expected, so some digit differs
            extra += 1
            text = render_pair(n, d, extra)
    return text


def reason_for(check: Check, outcome: Outcome) -> str:
    """The seeds' wording: "Computed 7.57 matches expected 7.57 (tolerance=5.0%)"."""
    return _reason_pair(check, outcome.value.numerator, outcome.value.denominator, outcome.holds)


def _reason_pair(check: Check, n: int, d: int, holds: bool) -> str:
    shown = _render_like_pair(n, d, check.expected, differ=not holds)
    verb = "matches" if holds else "does not match"
    return f"Computed {shown} {verb} expected {check.expected} ({describe_bounds(check)})"


@dataclass(frozen=True)
class SourceScope:
    """What the cited sources showed: the scope, the source artifacts (when ``sourced``), the note for the
    reason, whether a cited digest differs, and the grounding record of every input with a structured locator."""

    scope: Scope
    artifacts: tuple[Artifact, ...] = ()
    note: str | None = None
    mismatch: bool = False
    groundings: tuple[Grounding, ...] = ()


_UNSOURCED = SourceScope("arithmetic")
SOURCED_NOTE = "every input found in its source"


def source_scope(check: Check, grounder: Grounder | None) -> SourceScope:
    """Ground the check's sourced inputs in the files of ``grounder`` (None: sources not checked).

    The scope is ``sourced`` only when every input cites a source whose digest matches and whose structured
    locator names a place where the value is written (``found``); otherwise ``arithmetic`` with a note naming
    the inputs that are not grounded, and why.
    """
    for item in check.inputs.values():
        if item.source is not None:
            break
    else:
        return _UNSOURCED
    if grounder is None:
        return SourceScope("arithmetic", note="sources cited but not checked (no bundle directory given)")
    cited = [(name, item.source) for name, item in check.inputs.items() if item.source is not None]
    artifacts: dict[str, Artifact] = {}
    missing: list[str] = []
    mismatched: list[str] = []
    named: set[str] = set()  # inputs whose file is missing or not the cited one: said once, not again as ungrounded
    for name, src in cited:
        try:
            actual = grounder.digest(src.file)
        except SourceError as exc:
            missing.append(f"{name} ({exc.message})")
            named.add(name)
            continue
        if actual is None:
            missing.append(f"{name} ({src.file} not found)")
            named.add(name)
        elif actual != src.sha256:
            mismatched.append(f"{name} ({src.file} has sha256 {actual[:12]}..., cited {src.sha256[:12]}...)")
            named.add(name)
        else:
            artifacts[src.file] = Artifact("source", src.file, actual)
    groundings = tuple(
        grounder.ground(name, check.inputs[name].value, file=src.file, sha256=src.sha256, locator=locator,
                        as_written=src.as_written)
        for name, src in cited
        if (locator := src.structured) is not None
    )
    notes: list[str] = []
    if mismatched:
        notes.append("source digest mismatch for " + ", ".join(mismatched))
    if missing:
        notes.append("sources not checked: " + ", ".join(missing))
    ungrounded = [g for g in groundings if g.status != "found" and g.input not in named]
    if ungrounded:
        notes.append("inputs not grounded in their sources: " + "; ".join(f"{g.input} {g.status}: {g.reason}" for g in ungrounded))
    uncited = [name for name, item in check.inputs.items() if item.source is None]
    if uncited:
        notes.append("inputs without a source: " + ", ".join(uncited))
    unlocated = [name for name, src in cited if not src.locator]
    if unlocated:
        notes.append("sources without a locator: " + ", ".join(unlocated))
    free_text = [name for name, src in cited if src.locator and src.structured is None]
    if free_text:
        notes.append("free-text locators, not checked: " + ", ".join(free_text))
    if notes or any(g.status != "found" for g in groundings):
        return SourceScope("arithmetic", (), "; ".join(notes), bool(mismatched), groundings)
    return SourceScope("sourced", tuple(artifacts.values()), SOURCED_NOTE, False, groundings)


def check_sha256_of(claim: Claim) -> str | None:
    """Canonical sha256 of the claim's raw ``check`` object (``None`` when it cannot be canonicalized)."""
    raw = claim.raw.get("check") if claim.check is None else claim.check.raw
    if raw is None:
        return None
    try:
        return check_digest(raw)
    except (InputError, TypeError, ValueError):
        return None


def error_verdict(claim: Claim, error: Exception | str, *, now: datetime | str, method: Method = "exact",
                  lean: Mapping[str, Any] | None = None) -> Verdict:
    """An ``error`` verdict naming the claim and what went wrong."""
    check = claim.check
    text = str(error).removeprefix(f"claim {claim.id}: ")
    return Verdict(
        claim_id=claim.id,
        status="error",
        method=method,
        scope="arithmetic",
        reason=f"Claim {claim.id}: {text}",
        evaluated_at=_stamp(now),
        expected=check.expected if check else None,
        tolerance=check.tolerance if check else None,
        precision=check.precision if check else None,
        check_sha256=check_sha256_of(claim),
        formula=check.formula if check else None,
        inputs={n: i.value for n, i in check.inputs.items()} if check else None,
        lean=lean,
    )


def _stamp(now: datetime | str) -> str:
    return now if isinstance(now, str) else rfc3339(now)


def check_claim(
    claim: Claim, *, now: datetime | str, base_dir: Path | None = None, grounder: Grounder | None = None,
    lean: Mapping[str, Any] | None = None,
) -> Verdict:
    """Check one claim exactly. Never raises for a bad check: that is an ``error`` verdict.

    A claim without a check gets an ``inconclusive`` verdict. Cited sources are
    grounded in the files of ``grounder``, or else of ``base_dir`` (the
    ``sourced`` scope; the verdict's ``grounding`` records). The verdict carries
    a ``restatement`` record when the claim has text; its finding (the check
    does not restate the claim) leaves the status as the arithmetic decided it.
    ``now`` may also be an RFC 3339 string already rendered (batch callers
    render it once). ``lean`` is the verdict's ``lean`` record when it is known
    up front (Lean not run).
    """
    if claim.check_error is not None:
        return error_verdict(claim, claim.check_error, now=now, lean=lean)
    check = claim.check
    if check is None:
        return Verdict(
            claim_id=claim.id,
            status="inconclusive",
            method="exact",
            scope="arithmetic",
            reason=f"Claim {claim.id} has no check (see `provenance claims suggest`)",
            evaluated_at=_stamp(now),
            lean=lean,
        )
    try:
        (n, d), holds = compare_pair(check, where=f"claim {claim.id}: check")
    except ClaimError as exc:
        return error_verdict(claim, exc, now=now, lean=lean)
    if grounder is None and base_dir is not None:
        grounder = Grounder(DirectoryStore(base_dir))
    sources = source_scope(check, grounder)
    status: Status = "verified" if holds else "falsified"
    reason = _reason_pair(check, n, d, holds)
    if sources.mismatch and status == "verified":
        status = "inconclusive"
    if sources.note:
        reason = f"{reason}; {sources.note}"
    extra: dict[str, Any] = {}
    if sources.groundings:
        extra["grounding"] = [g.to_json() for g in sources.groundings]
    restated = restatement_of(claim.text, check)
    if restated is not None:
        extra["restatement"] = restated.to_json()
    return Verdict(
        claim_id=claim.id,
        status=status,
        method="exact",
        scope=sources.scope,
        reason=reason,
        evaluated_at=_stamp(now),
        computed=_computed_pair(n, d),
        expected=check.expected,
        tolerance=check.tolerance,
        precision=check.precision,
        check_sha256=check_sha256_of(claim),
        formula=check.formula,
        inputs={n: i.value for n, i in check.inputs.items()},
        artifacts=sources.artifacts,
        lean=lean,
        extra=extra,
    )


def iter_check_claims(
    claims: Iterable[Claim], *, now: datetime, base_dir: Path | None = None, lean: Mapping[str, Any] | None = None,
    store: SourceStore | None = None,
) -> Iterator[Verdict]:
    """The verdicts of :func:`check_claims`, one at a time, for a caller that writes each out and keeps none."""
    if store is None and base_dir is not None:
        store = DirectoryStore(base_dir)
    grounder = Grounder(store) if store is not None else None
    stamp = rfc3339(now)
    for claim in claims:
        if claim.check is not None or claim.check_error is not None:
            yield check_claim(claim, now=stamp, grounder=grounder, lean=lean)


def check_claims(
    claims: Iterable[Claim], *, now: datetime, base_dir: Path | None = None, lean: Mapping[str, Any] | None = None,
    store: SourceStore | None = None,
) -> list[Verdict]:
    """One verdict per claim that has a check (broken checks included), in document order.

    ``lean``, when given, is every verdict's ``lean`` record (e.g. "not run": no toolchain). Sources are
    grounded in the files of ``store`` (a bundle's payload), or else of ``base_dir``; each file is read and
    parsed once per call.
    """
    with paused_gc():
        return list(iter_check_claims(claims, now=now, base_dir=base_dir, lean=lean, store=store))
