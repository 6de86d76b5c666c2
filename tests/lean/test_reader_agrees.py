"""The independent reader agrees with the exact engine: each emitted statement means its claim."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.claims.engine import compare
from provenance.claims.errors import ClaimError
from provenance.claims.formula import evaluate
from provenance.claims.model import Check, load_claims, parse_check
from provenance.decimal_text import render_decimal
from provenance.jsonio import load_json_file
from provenance.lean.emit import EmitItem, render_claim_file, spec_from_check, theorem_name
from provenance.lean.encoding import NotEncodable, encode
from provenance.lean.reader import AndNode, NotNode, read_file

FUNCS2 = ("difference", "ratio", "percent_change")
AGGS = ("mean", "sum", "min", "max")


def random_decimal(rng: random.Random) -> str:
    places = rng.choice((0, 0, 1, 1, 2, 3))
    magnitude = rng.choice((1, 10, 100, 1000, 100000))
    value = rng.randint(0, magnitude * 10**places)
    if rng.random() < 0.25:
        value = -value
    return render_decimal(Fraction(value, 10**places), places)


def random_formula(rng: random.Random, names: list[str], depth: int) -> str:
    if depth <= 0 or rng.random() < 0.3:
        if rng.random() < 0.8:
            return rng.choice(names)
        literal = random_decimal(rng).lstrip("-")
        return literal
    kind = rng.randrange(6)
    if kind == 0:
        op = rng.choice("+-*/")
        return f"({random_formula(rng, names, depth - 1)} {op} {random_formula(rng, names, depth - 1)})"
    if kind == 1:
        return f"-{random_formula(rng, names, depth - 1)}"
    if kind == 2:
        func = rng.choice(AGGS)
        args = [random_formula(rng, names, depth - 1) for _ in range(rng.randint(1, 4))]
        return f"{func}({', '.join(args)})"
    if kind == 3:
        return f"abs({random_formula(rng, names, depth - 1)})"
    if kind == 4:
        func = rng.choice(FUNCS2)
        return f"{func}({random_formula(rng, names, depth - 1)}, {random_formula(rng, names, depth - 1)})"
    return rng.choice(AGGS)  # bare aggregate over all inputs


def near_expected(rng: random.Random, value: Fraction) -> str:
    """A claimed value near ``value``: sometimes exact-ish, sometimes just off, so both verdicts occur."""
    places = rng.choice((0, 1, 2, 3, 4))
    text = render_decimal(value, places)
    if rng.random() < 0.4:
        bump = Fraction(rng.choice((-2, -1, 1, 2)), 10**places)
        text = render_decimal(Fraction(text) + bump, places)
    return text


def random_check(rng: random.Random) -> dict[str, Any] | None:
    count = rng.randint(1, 5)
    names = [f"v{i}" for i in range(count)]
    inputs = {n: random_decimal(rng) for n in names}
    formula = random_formula(rng, names, rng.randint(0, 3))
    try:
        probe = parse_check({"formula": formula, "inputs": inputs, "expected": "0", "precision": 0})
        value = evaluate(probe.expr, probe.input_values())
    except ClaimError:
        return None
    check: dict[str, Any] = {"formula": formula, "inputs": inputs, "expected": near_expected(rng, value)}
    choice = rng.randrange(4)
    if choice in (0, 3):
        check["tolerance"] = {"absolute": rng.choice(("0", "0.5", "0.05", "1", "0.001"))}
    elif choice == 1:
        check["tolerance"] = {"relative": rng.choice(("0", "0.05", "0.01", "0.1"))}
    if choice in (2, 3) or "tolerance" not in check:
        check["precision"] = rng.randint(0, 4)
    return check


def read_truth(check: Check, *, polarity: str) -> tuple[bool, int]:
    """Emit ``check`` with the given polarity, read it back; (reader's value, number of top conjuncts)."""
    statement = encode(spec_from_check(check))
    item = EmitItem("c", dict(check.raw), statement, polarity)  # type: ignore[arg-type]
    text, _ = render_claim_file([(theorem_name("c", check.raw), item)], file="Claims/C0001.lean")
    (theorem,) = read_file(text).theorems
    return theorem.value, len(theorem.conjuncts)


def assert_agrees(check: Check) -> bool:
    holds = compare(check).holds
    verified, _ = read_truth(check, polarity="verified")
    falsified, _ = read_truth(check, polarity="falsified")
    assert verified == holds, f"reader says {verified}, engine says {holds} for {dict(check.raw)}"
    assert falsified == (not holds), f"negated form reads {falsified} for {dict(check.raw)}"
    return holds


def test_seed_claims_read_as_the_engine_decides(seed_claims_path: Any) -> None:
    claims = load_claims(load_json_file(seed_claims_path))
    outcomes = {}
    for claim in claims:
        assert claim.check is not None
        try:
            outcomes[claim.id] = assert_agrees(claim.check)
        except ClaimError:
            with pytest.raises(NotEncodable):
                encode(spec_from_check(claim.check))
            outcomes[claim.id] = None
    assert outcomes == {"c1": True, "c2": True, "c3": False, "c4": True, "c5": True, "c6": None}


def test_reader_agrees_with_engine_on_10000_random_checks() -> None:
    rng = random.Random(20261122)
    agreed = {True: 0, False: 0}
    with_side = 0
    total = 0
    batch: list[tuple[str, EmitItem]] = []
    expected_truth: dict[str, bool] = {}
    while total < 10_000:
        raw = random_check(rng)
        if raw is None:
            continue
        check = parse_check(raw)
        holds = compare(check).holds
        statement = encode(spec_from_check(check))
        with_side += bool(statement.side)
        name = theorem_name(f"r{total}", raw)
        polarity = "verified" if rng.random() < 0.5 else "falsified"
        batch.append((name, EmitItem(f"r{total}", raw, statement, polarity)))  # type: ignore[arg-type]
        expected_truth[name] = holds if polarity == "verified" else not holds
        agreed[holds] += 1
        total += 1
        if len(batch) == 100:
            text, _ = render_claim_file(batch, file="Claims/C0001.lean")  # grammar-checked inside
            for theorem in read_file(text).theorems:
                assert theorem.value == expected_truth[theorem.name], theorem.name
            batch.clear()
    # Both verdicts occur often, and many statements carry side conditions (min/max/abs/division).
    assert agreed[True] > 1000 and agreed[False] > 1000
    assert with_side > 500


decimals = st.builds(
    lambda neg, whole, frac: ("-" if neg else "") + str(whole) + (f".{frac}" if frac else ""),
    st.booleans(),
    st.integers(0, 10**6),
    st.one_of(st.just(""), st.from_regex(r"[0-9]{1,4}", fullmatch=True)),
)


@st.composite
def checks(draw: st.DrawFn) -> dict[str, Any]:
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed)
    count = draw(st.integers(1, 4))
    names = [f"x{i}" for i in range(count)]
    inputs = {n: draw(decimals) for n in names}
    formula = random_formula(rng, names, draw(st.integers(0, 3)))
    expected = draw(decimals)
    check: dict[str, Any] = {"formula": formula, "inputs": inputs, "expected": expected}
    kind = draw(st.sampled_from(["absolute", "relative", "precision", "both"]))
    if kind in ("absolute", "both"):
        check["tolerance"] = {"absolute": draw(st.sampled_from(["0", "0.5", "10", "0.0001"]))}
    if kind == "relative":
        check["tolerance"] = {"relative": draw(st.sampled_from(["0", "0.05", "0.5"]))}
    if kind in ("precision", "both"):
        check["precision"] = draw(st.integers(0, 5))
    return check


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(checks())
def test_reader_agrees_with_engine_hypothesis(raw: dict[str, Any]) -> None:
    check = parse_check(raw)
    try:
        compare(check)
    except ClaimError:
        with pytest.raises(NotEncodable):
            encode(spec_from_check(check))
        return
    assert_agrees(check)


def test_falsified_form_keeps_side_conditions_outside_the_negation() -> None:
    check = parse_check({"formula": "min(a, b)", "inputs": {"a": "2", "b": "3"}, "expected": "3", "tolerance": {"absolute": "0"}})
    statement = encode(spec_from_check(check))
    item = EmitItem("m", dict(check.raw), statement, "falsified")
    text, _ = render_claim_file([(theorem_name("m", check.raw), item)], file="Claims/C0001.lean")
    (theorem,) = read_file(text).theorems
    first, rest = theorem.statement.left, theorem.statement.right  # type: ignore[union-attr]
    assert isinstance(theorem.statement, AndNode) and not isinstance(first, NotNode) and isinstance(rest, NotNode)
    assert theorem.value is True


def test_wrong_branch_would_be_caught() -> None:
    """Regression guard: a statement claiming min picks the larger value reads false."""
    check = parse_check({"formula": "min(a, b)", "inputs": {"a": "5", "b": "3"}, "expected": "3", "tolerance": {"absolute": "0"}})
    statement = encode(spec_from_check(check))
    assert statement.side and statement.side_holds() and statement.main_holds()
    from provenance.lean.encoding import Atom
    flipped = type(statement)(tuple(Atom(a.right, a.rel, a.left) for a in statement.side), statement.main, statement.form, statement.policy)
    assert not flipped.side_holds()
