"""Claims and their checks (claim-check-v1), parsed strictly from JSON documents.

A check is ``formula`` over named ``inputs`` (decimal strings, each optionally
citing a ``source`` {file, sha256, locator, as_written}), an ``expected`` decimal string,
and a ``tolerance`` (``{"absolute": d}`` or ``{"relative": d}``, inclusive)
and/or a ``precision`` N (the claim was stated to N decimals: it holds when
``|exact - expected| <= 5 * 10**-(N+1)``, inclusive), and optionally the
``context`` numbers its claim states without the check using them. A locator
is free text or structured (:mod:`provenance.sources.locator`). Unknown fields
are kept in ``raw`` so that a document survives a round-trip unchanged.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

from provenance.claims.errors import CheckFormatError, ClaimError
from provenance.claims.formula import Expr, parse_formula
from provenance.contracts import CLAIM_CHECK
from provenance.decimal_text import (
    MAX_DECIMAL_CHARS,
    is_decimal,
    parse_decimal,
    parse_decimal_pair,
    render_shortest,
)
from provenance.errors import InputError
from provenance.gcpause import paused_gc
from provenance.sources.errors import LocatorError
from provenance.sources.locator import Locator, locator_json, parse_locator
from provenance.sources.numbers import as_written_problem

MAX_PRECISION = 30
"""Largest ``precision`` (decimals) accepted."""
MAX_INPUTS = 200
"""Most inputs one check may have."""
MAX_CONTEXT = 200
"""Most ``context`` numbers a check may list."""

_SHA256 = re.compile(r"[0-9a-f]{64}", re.ASCII)

ToleranceKind = Literal["absolute", "relative"]


@dataclass(frozen=True, slots=True)
class Source:
    """Where an input value was read: a file (relative to the bundle), its sha256, and a locator in it
    (free text, never resolved, or structured); ``as_written`` is the value as the source writes it ("8.20")."""

    file: str
    sha256: str
    locator: Locator | str | None = None
    as_written: str | None = None

    @property
    def structured(self) -> Locator | None:
        """The locator when it is structured (one that grounding resolves), else ``None``."""
        return None if self.locator is None or isinstance(self.locator, str) else self.locator

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "sha256": self.sha256}
        if self.locator is not None:
            out["locator"] = locator_json(self.locator)
        if self.as_written is not None:
            out["as_written"] = self.as_written
        return out


@dataclass(frozen=True, slots=True)
class CheckInput:
    """One named input: its decimal string and, optionally, its source."""

    value: str
    source: Source | None = None

    @property
    def exact(self) -> Fraction:
        return parse_decimal(self.value)


@dataclass(frozen=True, slots=True)
class Tolerance:
    """An inclusive tolerance: ``absolute`` (|v - e| <= d) or ``relative`` (|v - e| <= d * |e|)."""

    kind: ToleranceKind
    value: str

    def to_json(self) -> dict[str, str]:
        return {self.kind: self.value}

    def describe(self) -> str:
        """``5.0%`` for a relative tolerance, the decimal itself for an absolute one."""
        if self.kind == "absolute":
            return self.value
        return _percent(self.value)


@functools.lru_cache(maxsize=1024)
def _percent(fraction_text: str) -> str:
    percent = render_shortest(parse_decimal(fraction_text) * 100, 12)
    if "." not in percent:
        percent += ".0"
    return f"{percent}%"


@dataclass(frozen=True, slots=True)
class Check:
    """A parsed claim check. ``expr`` is the parsed formula; ``raw`` the JSON object as given."""

    formula: str
    inputs: Mapping[str, CheckInput]
    expected: str
    tolerance: Tolerance | None
    precision: int | None
    expr: Expr = field(compare=False, repr=False)
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    pairs: Mapping[str, tuple[int, int]] | None = field(default=None, compare=False, repr=False)
    context: tuple[str, ...] = ()

    def input_values(self) -> dict[str, Fraction]:
        """The exact input values."""
        return {name: parse_decimal(item.value) for name, item in self.inputs.items()}

    def input_pairs(self) -> Mapping[str, tuple[int, int]]:
        """The exact input values as unreduced ``(numerator, 10**places)`` pairs."""
        if self.pairs is not None:
            return self.pairs
        return {name: parse_decimal_pair(item.value) for name, item in self.inputs.items()}

    def with_inputs(self, values: Mapping[str, str]) -> Check:
        """A copy whose inputs named in ``values`` take those decimal strings (sources dropped for them)."""
        inputs = {
            name: (CheckInput(values[name]) if name in values else item) for name, item in self.inputs.items()
        }
        return Check(self.formula, inputs, self.expected, self.tolerance, self.precision, self.expr, self.raw,
                     context=self.context)


@dataclass(frozen=True, slots=True)
class Claim:
    """One claim: ``id``, ``text``, its ``check`` (or ``None``) and, when the check is broken, ``check_error``."""

    id: str
    text: str
    check: Check | None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    check_error: ClaimError | None = field(default=None, compare=False)


def _parse_source(raw: Any, value: Any, where: str, problems: list[str]) -> Source | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: source must be an object {{file, sha256, locator}}")
        return None
    file = raw.get("file")
    sha = raw.get("sha256")
    ok = True
    if not isinstance(file, str) or not file or "\x00" in file:
        problems.append(f"{where}.file: must be a non-empty relative path string")
        ok = False
    if not isinstance(sha, str) or _SHA256.fullmatch(sha) is None:
        problems.append(f"{where}.sha256: must be 64 lowercase hex digits")
        ok = False
    locator: Locator | str | None = None
    if raw.get("locator") is not None:
        try:
            locator = parse_locator(raw["locator"], where=f"{where}.locator")
        except LocatorError as exc:
            problems.append(exc.message)
            ok = False
    as_written = raw.get("as_written")
    if as_written is not None and is_decimal(value) and (why := as_written_problem(value, as_written)) is not None:
        problems.append(f"{where}.as_written: {why}")
        ok = False
    if not ok:
        return None
    assert isinstance(file, str) and isinstance(sha, str)
    return Source(file, sha, locator, as_written if isinstance(as_written, str) else None)


def context_problems(raw: Any, *, where: str = "check.context") -> list[str]:
    """Why a ``context`` value is not a list of at most :data:`MAX_CONTEXT` decimal strings (empty when it is)."""
    if not isinstance(raw, list):
        return [f"{where}: must be a list of decimal strings (numbers the claim states for context)"]
    if len(raw) > MAX_CONTEXT:
        return [f"{where}: {len(raw)} numbers, over the limit of {MAX_CONTEXT}"]
    return [
        f"{where}[{index}]: must be a decimal string of at most {MAX_DECIMAL_CHARS} characters"
        for index, item in enumerate(raw)
        if not is_decimal(item)
    ]


_PLAIN: dict[str, CheckInput] = {}  # CheckInput is immutable: share the instances of plain values


@functools.lru_cache(maxsize=4096)
def _parse_cached(formula: str, names: tuple[str, ...]) -> Expr:
    # ASTs are immutable, and records repeat the same few formulas over the same input names.
    return parse_formula(formula, names)


def parse_check(raw: Any, *, where: str = "check") -> Check:
    """Parse a claim-check-v1 object; one :class:`CheckFormatError` lists every problem.

    Formula errors (:class:`ClaimError` subclasses) are raised as they are when
    the rest of the check is well-formed.
    """
    if type(raw) is not dict and not isinstance(raw, Mapping):
        raise CheckFormatError("check must be a JSON object", where=where, remedy=f"see schema {CLAIM_CHECK}")
    problems: list[str] = []
    formula = raw.get("formula")
    if not isinstance(formula, str):
        problems.append(f"{where}.formula: required, a formula string")
    inputs: dict[str, CheckInput] = {}
    pairs: dict[str, tuple[int, int]] = {}
    raw_inputs = raw.get("inputs")
    if raw_inputs is None:
        problems.append(f"{where}.inputs: required, an object of name -> decimal string ({{}} for none)")
        raw_inputs = {}
    elif type(raw_inputs) is not dict and not isinstance(raw_inputs, Mapping):
        problems.append(f"{where}.inputs: must be an object of name -> decimal string")
        raw_inputs = {}
    if len(raw_inputs) > MAX_INPUTS:
        problems.append(f"{where}.inputs: {len(raw_inputs)} inputs, over the limit of {MAX_INPUTS}")
        raw_inputs = {}
    for name, item in raw_inputs.items():
        value: Any
        source: Source | None
        if type(item) is str:
            value, source = item, None
        elif isinstance(item, Mapping):
            value = item.get("value")
            source = (
                _parse_source(item["source"], value, f"{where}.inputs.{name}.source", problems)
                if "source" in item
                else None
            )
        else:
            value, source = item, None
        try:
            pairs[name] = parse_decimal_pair(value)
        except ClaimError:
            try:
                parse_decimal_pair(value, where=f"{where}.inputs.{name}")
            except ClaimError as exc:
                problems.append(str(exc))
            continue
        if source is None:
            plain = _PLAIN.get(value)
            if plain is None:
                plain = CheckInput(value)
                if len(_PLAIN) < 1 << 16:
                    _PLAIN[value] = plain
            inputs[name] = plain
        else:
            inputs[name] = CheckInput(value, source)  # value is a str: parse_decimal_pair accepted it
    expected = raw.get("expected")
    if not is_decimal(expected):
        if expected is None:
            problems.append(f"{where}.expected: required, a decimal string")
        else:
            try:
                parse_decimal(expected, where=f"{where}.expected")
            except ClaimError as exc:
                problems.append(str(exc))
    tolerance: Tolerance | None = None
    if "tolerance" in raw and raw["tolerance"] is not None:
        tol = raw["tolerance"]
        if (type(tol) is not dict and not isinstance(tol, Mapping)) or len(tol) != 1 or next(iter(tol)) not in ("absolute", "relative"):
            problems.append(f'{where}.tolerance: must be {{"absolute": "d"}} or {{"relative": "d"}}')
        else:
            kind, value = next(iter(tol.items()))
            if not is_decimal(value) or str(value).startswith("-"):
                problems.append(f"{where}.tolerance.{kind}: must be a non-negative decimal string")
            else:
                tolerance = Tolerance(kind, value)
    precision: int | None = None
    if "precision" in raw and raw["precision"] is not None:
        prec = raw["precision"]
        if isinstance(prec, bool) or not isinstance(prec, int) or not 0 <= prec <= MAX_PRECISION:
            problems.append(f"{where}.precision: must be an integer from 0 to {MAX_PRECISION} (decimals stated)")
        else:
            precision = prec
    if raw.get("tolerance") is None and raw.get("precision") is None:
        problems.append(f'{where}: no "tolerance" and no "precision": say how close the value must be with '
                        f'"tolerance": {{"absolute": "0.05"}} or {{"relative": "0.05"}}, or "precision": N (the '
                        f'number of decimals the claim states), or both')
    context: tuple[str, ...] = ()
    if raw.get("context") is not None:
        found = context_problems(raw["context"], where=f"{where}.context")
        problems += found
        if not found:
            context = tuple(raw["context"])
    if problems:
        raise CheckFormatError("; ".join(problems), remedy=f"see schema {CLAIM_CHECK}")
    assert isinstance(formula, str) and isinstance(expected, str)
    try:
        expr = _parse_cached(formula, tuple(inputs))
    except ClaimError:
        expr = parse_formula(formula, list(inputs), where=f"{where}.formula")  # raises again, naming the claim
    return Check(formula, inputs, expected, tolerance, precision, expr, raw, pairs, context)


def load_claims_file(path: Path) -> list[Claim]:
    """The claims of a paper manifest or ``{"claims": [...]}`` JSON file (:class:`InputError` when unusable)."""
    from provenance.jsonio import load_json_file

    return load_claims(load_json_file(path), source=str(path))


def load_claims(document: Any, *, source: str = "<input>") -> list[Claim]:
    """The claims of a paper manifest or a ``{"claims": [...]}`` document.

    Raises :class:`InputError` (exit 2) when the document itself is unusable:
    not an object, no ``claims`` array, a claim that is not an object or has no
    string ``id``, or duplicate ids (all listed at once). A broken ``check`` does
    not raise: the claim keeps it as ``check_error`` and becomes an ``error`` verdict.
    """
    if not isinstance(document, Mapping):
        raise InputError("expected a JSON object with a claims array", where=source, remedy="give a paper manifest or {\"claims\": [...]}")
    claims_raw = document.get("claims")
    if not isinstance(claims_raw, Sequence) or isinstance(claims_raw, str | bytes):
        raise InputError(
            "no claims array", where=f"{source}: $.claims", remedy="give a paper manifest or {\"claims\": [...]}"
        )
    with paused_gc():
        claims, problems = _load_each(claims_raw)
    if problems:
        raise InputError("; ".join(problems), where=source, remedy="fix the claims named")
    return claims


def _load_each(claims_raw: Sequence[Any]) -> tuple[list[Claim], list[str]]:
    problems: list[str] = []
    seen: set[str] = set()
    claims: list[Claim] = []
    for index, item in enumerate(claims_raw):
        path = f"$.claims[{index}]"
        if type(item) is not dict and not isinstance(item, Mapping):
            problems.append(f"{path}: a claim must be an object")
            continue
        cid = item.get("id")
        if not isinstance(cid, str) or not cid or len(cid) > 200:
            problems.append(f"{path}.id: required, a non-empty string of at most 200 characters")
            continue
        if cid in seen:
            problems.append(f"{path}.id: duplicate claim id {cid!r}")
            continue
        seen.add(cid)
        text = item.get("text")
        check: Check | None = None
        error: ClaimError | None = None
        if item.get("check") is not None:
            try:
                check = parse_check(item["check"], where=f"claim {cid}: check")
            except ClaimError as exc:
                error = exc
        claims.append(Claim(cid, text if isinstance(text, str) else "", check, item, error))
    return claims, problems
