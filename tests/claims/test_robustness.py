"""No document, however malformed, crashes the engine: only typed errors or error verdicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.claims.engine import check_claims
from provenance.claims.model import load_claims
from provenance.errors import InputError
from provenance.schemas import validate

NOW = datetime(2026, 1, 1, tzinfo=UTC)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**40), 10**40), st.text(max_size=12),
    st.sampled_from(["8.2", "-0.5", "0", "1e3", "", "mean", "a", "a / 0", "(", "ratio(a, b)", "relative", "absolute"]),
)
json_like: Any = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["formula", "inputs", "expected", "tolerance", "precision", "a", "b", "value", "source", "relative", "absolute", "x"]), inner, max_size=5),
    ),
    max_leaves=25,
)
checks = st.fixed_dictionaries(
    {},
    optional={
        "formula": st.one_of(st.sampled_from(["a", "mean", "ratio(a, b)", "a / b", "difference(a, b) * 2", "percent_change(a, b)"]), json_like),
        "inputs": st.one_of(st.dictionaries(st.sampled_from(["a", "b", "c", "mean", "a b"]), json_like, max_size=3), json_like),
        "expected": st.one_of(st.sampled_from(["1", "0.5", "-2.25"]), json_like),
        "tolerance": st.one_of(st.sampled_from([{"absolute": "0"}, {"relative": "0.05"}]), json_like),
        "precision": st.one_of(st.integers(-2, 40), json_like),
    },
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(checks, json_like), max_size=5))
def test_any_checks_give_verdicts_or_one_input_error(items: list[Any]) -> None:
    doc = {"claims": [{"id": f"c{i}", "text": "t", "check": item} for i, item in enumerate(items)]}
    try:
        claims = load_claims(doc)
    except InputError:
        raise AssertionError("a broken check must not make the document unusable") from None
    verdicts = check_claims(claims, now=NOW)
    assert len(verdicts) == sum(1 for item in items if item is not None)
    for verdict in verdicts:
        assert verdict.status in ("verified", "falsified", "inconclusive", "error")
        assert validate(verdict.to_json(), "verdict-v1") == [], verdict.to_json()


@settings(max_examples=300, deadline=None)
@given(json_like)
def test_any_document_loads_or_raises_one_input_error(doc: Any) -> None:
    try:
        load_claims(doc)
    except InputError as exc:
        assert exc.exit_code == 2
