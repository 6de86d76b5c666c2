"""The exact claims engine: evaluate each check with fractions and conclude a verdict.

Pure except for one thing: when an input cites a ``source`` file and a
``base_dir`` is given, the file's sha256 is compared with the cited one (this
decides the ``sourced`` scope). A broken check never stops the others: it
becomes an ``error`` verdict naming the claim.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from math import gcd
from pathlib import Path, PurePosixPath
from typing import Any

from provenance.claims.canonical import check_digest
from provenance.claims.decimal_text import (
    decimal_places,
    parse_decimal_pair,
    pow10,
    render_pair,
    render_shortest_pair,
)
from provenance.claims.errors import ClaimError
from provenance.claims.formula import Pair, evaluate_pair
from provenance.claims.gcpause import paused_gc
from provenance.claims.model import Check, Claim, Tolerance
from provenance.claims.verdict import Artifact, Computed, Method, Scope, Status, Verdict
from provenance.clock import rfc3339
from provenance.errors import InputError

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


class SourceHasher:
    """sha256 of files under one base directory, each read once; refuses paths that leave it."""

    def __init__(self, base_dir: Path) -> None:
        self.base = base_dir.resolve()
        self._cache: dict[str, str | None] = {}

    def digest(self, relative: str) -> str | None:
        """The file's sha256, or ``None`` when it does not exist; :class:`InputError` for a path leaving the base."""
        if relative in self._cache:
            return self._cache[relative]
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or "\\" in relative:
            raise InputError(
                f"source path {relative!r} must be relative and stay inside the bundle",
                where=str(self.base),
                remedy="cite the source by its path relative to the bundle directory",
            )
        path = (self.base / pure).resolve()
        if not path.is_relative_to(self.base):
            raise InputError(
                f"source path {relative!r} leaves the bundle through a link",
                where=str(self.base),
                remedy="cite a file inside the bundle",
            )
        result: str | None
        if not path.is_file():
            result = None
        else:
            h = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            result = h.hexdigest()
        self._cache[relative] = result
        return result


def _source_scope(check: Check, hasher: SourceHasher | None) -> tuple[Scope, tuple[Artifact, ...], str | None, bool]:
    """(scope, source artifacts, note for the reason, mismatch found)."""
    for item in check.inputs.values():
        if item.source is not None:
            break
    else:
        return "arithmetic", (), None, False
    sources = [(name, item.source) for name, item in check.inputs.items()]
    cited = [(name, src) for name, src in sources if src is not None]
    if hasher is None:
        return "arithmetic", (), "sources cited but not checked (no bundle directory given)", False
    artifacts: dict[str, Artifact] = {}
    missing: list[str] = []
    mismatched: list[str] = []
    for name, src in cited:
        try:
            actual = hasher.digest(src.file)
        except InputError as exc:
            missing.append(f"{name} ({exc.message})")
            continue
        if actual is None:
            missing.append(f"{name} ({src.file} not found)")
        elif actual != src.sha256:
            mismatched.append(f"{name} ({src.file} has sha256 {actual[:12]}..., cited {src.sha256[:12]}...)")
        else:
            artifacts[src.file] = Artifact("source", src.file, actual)
    uncited = [name for name, src in sources if src is None]
    unlocated = [name for name, src in cited if not src.locator]
    if mismatched:
        return "arithmetic", (), "source digest mismatch for " + ", ".join(mismatched), True
    if missing:
        return "arithmetic", (), "sources not checked: " + ", ".join(missing), False
    if uncited:
        return "arithmetic", (), "inputs without a source: " + ", ".join(uncited), False
    if unlocated:
        return "arithmetic", (), "sources without a locator: " + ", ".join(unlocated), False
    return "sourced", tuple(artifacts.values()), None, False


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
    claim: Claim, *, now: datetime | str, base_dir: Path | None = None, _hasher: SourceHasher | None = None,
    lean: Mapping[str, Any] | None = None,
) -> Verdict:
    """Check one claim exactly. Never raises for a bad check: that is an ``error`` verdict.

    A claim without a check gets an ``inconclusive`` verdict. ``base_dir`` is
    where cited source files are looked up (the ``sourced`` scope). ``now`` may
    also be an RFC 3339 string already rendered (batch callers render it once).
    ``lean`` is the verdict's ``lean`` record when it is known up front (Lean not run).
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
    hasher = _hasher if _hasher is not None else (SourceHasher(base_dir) if base_dir is not None else None)
    scope, artifacts, note, mismatch = _source_scope(check, hasher)
    status: Status = "verified" if holds else "falsified"
    reason = _reason_pair(check, n, d, holds)
    if mismatch and status == "verified":
        status = "inconclusive"
    if note:
        reason = f"{reason}; {note}"
    return Verdict(
        claim_id=claim.id,
        status=status,
        method="exact",
        scope=scope,
        reason=reason,
        evaluated_at=_stamp(now),
        computed=_computed_pair(n, d),
        expected=check.expected,
        tolerance=check.tolerance,
        precision=check.precision,
        check_sha256=check_sha256_of(claim),
        formula=check.formula,
        inputs={n: i.value for n, i in check.inputs.items()},
        artifacts=artifacts,
        lean=lean,
    )


def check_claims(
    claims: Iterable[Claim], *, now: datetime, base_dir: Path | None = None, lean: Mapping[str, Any] | None = None
) -> list[Verdict]:
    """One verdict per claim that has a check (broken checks included), in document order.

    ``lean``, when given, is every verdict's ``lean`` record (e.g. "not run": no toolchain).
    """
    hasher = SourceHasher(base_dir) if base_dir is not None else None
    stamp = rfc3339(now)
    with paused_gc():
        return [
            check_claim(claim, now=stamp, base_dir=base_dir, _hasher=hasher, lean=lean)
            for claim in claims
            if claim.check is not None or claim.check_error is not None
        ]
