"""The exact claims engine: evaluate each check with fractions and conclude a verdict.

Pure except for one thing: when an input cites a ``source`` file and a
``base_dir`` is given, the file's sha256 is compared with the cited one (this
decides the ``sourced`` scope). A broken check never stops the others: it
becomes an ``error`` verdict naming the claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path, PurePosixPath

from provenance.claims.decimal_text import (
    decimal_places,
    is_exact_in,
    parse_decimal,
    render_decimal,
    render_fraction,
    render_shortest,
)
from provenance.claims.errors import ClaimError
from provenance.claims.formula import evaluate
from provenance.claims.model import Check, Claim, Tolerance
from provenance.claims.verdict import Artifact, Computed, Method, Scope, Status, Verdict, rfc3339
from provenance.errors import InputError
from provenance.jsonio import canonical_sha256

COMPUTED_PLACES = 10
"""Digits after the point in ``computed.decimal``."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The pure result of comparing a computed value with the expected one."""

    value: Fraction
    holds: bool
    difference: Fraction
    bound: Fraction  # the tightest bound that applied


def precision_bound(places: int) -> Fraction:
    """The half-unit of the last stated decimal: ``5 * 10**-(places + 1)``."""
    return Fraction(5, 10 ** (places + 1))


def tolerance_bound(tolerance: Tolerance, expected: Fraction) -> Fraction:
    """The absolute bound a tolerance allows around ``expected`` (relative is taken against the expected value)."""
    amount = parse_decimal(tolerance.value)
    return amount if tolerance.kind == "absolute" else amount * abs(expected)


def within(value: Fraction, expected: Fraction, tolerance: Tolerance | None, precision: int | None) -> bool:
    """True when ``value`` satisfies every bound given (inclusive). At least one bound must be given."""
    diff = abs(value - expected)
    if tolerance is None and precision is None:
        raise ValueError("a check needs a tolerance or a precision")
    if tolerance is not None and diff > tolerance_bound(tolerance, expected):
        return False
    return not (precision is not None and diff > precision_bound(precision))


def compare(check: Check, values: Mapping[str, Fraction] | None = None, *, where: str = "check") -> Outcome:
    """Evaluate ``check`` (optionally on other input ``values``) and compare; raises :class:`ClaimError`."""
    inputs = check.input_values() if values is None else values
    value = evaluate(check.expr, inputs, where=f"{where}.formula")
    expected = parse_decimal(check.expected)
    bounds = []
    if check.tolerance is not None:
        bounds.append(tolerance_bound(check.tolerance, expected))
    if check.precision is not None:
        bounds.append(precision_bound(check.precision))
    diff = abs(value - expected)
    bound = min(bounds)
    return Outcome(value, diff <= bound, diff, bound)


def computed_of(value: Fraction) -> Computed:
    """The verdict's ``computed``: exact fraction plus a decimal of at most :data:`COMPUTED_PLACES` places."""
    return Computed(render_fraction(value), render_shortest(value, COMPUTED_PLACES), _exact_within(value))


def _exact_within(value: Fraction) -> bool:
    return is_exact_in(value, COMPUTED_PLACES)


def describe_bounds(check: Check) -> str:
    """``tolerance=5.0%``, ``tolerance=0.05``, ``precision=1 decimal (±0.05)``, or both joined by ``; ``."""
    parts = []
    if check.tolerance is not None:
        parts.append(f"tolerance={check.tolerance.describe()}")
    if check.precision is not None:
        unit = "decimal" if check.precision == 1 else "decimals"
        half = render_shortest(precision_bound(check.precision), 40)
        parts.append(f"precision={check.precision} {unit}, ±{half}")
    return "; ".join(parts)


def render_like(value: Fraction, expected: str, *, differ: bool) -> str:
    """``value`` with as many decimals as ``expected``; when ``differ``, add decimals until the texts differ."""
    places = decimal_places(expected)
    text = render_decimal(value, places)
    if differ:
        extra = places
        while text == expected and extra < places + 30:
            extra += 1
            text = render_decimal(value, extra)
    return text


def reason_for(check: Check, outcome: Outcome) -> str:
    """The seeds' wording: "Computed 7.57 matches expected 7.57 (tolerance=5.0%)"."""
    shown = render_like(outcome.value, check.expected, differ=not outcome.holds)
    verb = "matches" if outcome.holds else "does not match"
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
    sources = [(name, item.source) for name, item in check.inputs.items()]
    cited = [(name, src) for name, src in sources if src is not None]
    if not cited:
        return "arithmetic", (), None, False
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
    if mismatched:
        return "arithmetic", (), "source digest mismatch for " + ", ".join(mismatched), True
    if missing:
        return "arithmetic", (), "sources not checked: " + ", ".join(missing), False
    if uncited:
        return "arithmetic", (), "inputs without a source: " + ", ".join(uncited), False
    return "sourced", tuple(artifacts.values()), None, False


def check_sha256_of(claim: Claim) -> str | None:
    """Canonical sha256 of the claim's raw ``check`` object (``None`` when it cannot be canonicalized)."""
    raw = claim.raw.get("check") if claim.check is None else claim.check.raw
    if raw is None:
        return None
    try:
        return canonical_sha256(raw)
    except (InputError, TypeError, ValueError):
        return None


def error_verdict(claim: Claim, error: Exception | str, *, now: datetime, method: Method = "exact") -> Verdict:
    """An ``error`` verdict naming the claim and what went wrong."""
    check = claim.check
    text = str(error).removeprefix(f"claim {claim.id}: ")
    return Verdict(
        claim_id=claim.id,
        status="error",
        method=method,
        scope="arithmetic",
        reason=f"Claim {claim.id}: {text}",
        evaluated_at=rfc3339(now),
        expected=check.expected if check else None,
        tolerance=check.tolerance if check else None,
        precision=check.precision if check else None,
        check_sha256=check_sha256_of(claim),
        formula=check.formula if check else None,
        inputs={n: i.value for n, i in check.inputs.items()} if check else None,
    )


def check_claim(
    claim: Claim, *, now: datetime, base_dir: Path | None = None, _hasher: SourceHasher | None = None
) -> Verdict:
    """Check one claim exactly. Never raises for a bad check: that is an ``error`` verdict.

    A claim without a check gets an ``inconclusive`` verdict. ``base_dir`` is
    where cited source files are looked up (the ``sourced`` scope).
    """
    if claim.check_error is not None:
        return error_verdict(claim, claim.check_error, now=now)
    check = claim.check
    if check is None:
        return Verdict(
            claim_id=claim.id,
            status="inconclusive",
            method="exact",
            scope="arithmetic",
            reason=f"Claim {claim.id} has no check (see `provenance claims suggest`)",
            evaluated_at=rfc3339(now),
        )
    try:
        outcome = compare(check, where=f"claim {claim.id}: check")
    except ClaimError as exc:
        return error_verdict(claim, exc, now=now)
    hasher = _hasher if _hasher is not None else (SourceHasher(base_dir) if base_dir is not None else None)
    scope, artifacts, note, mismatch = _source_scope(check, hasher)
    status: Status = "verified" if outcome.holds else "falsified"
    reason = reason_for(check, outcome)
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
        evaluated_at=rfc3339(now),
        computed=computed_of(outcome.value),
        expected=check.expected,
        tolerance=check.tolerance,
        precision=check.precision,
        check_sha256=check_sha256_of(claim),
        formula=check.formula,
        inputs={n: i.value for n, i in check.inputs.items()},
        artifacts=artifacts,
    )


def check_claims(claims: Iterable[Claim], *, now: datetime, base_dir: Path | None = None) -> list[Verdict]:
    """One verdict per claim that has a check (broken checks included), in document order."""
    hasher = SourceHasher(base_dir) if base_dir is not None else None
    return [
        check_claim(claim, now=now, base_dir=base_dir, _hasher=hasher)
        for claim in claims
        if claim.check is not None or claim.check_error is not None
    ]
