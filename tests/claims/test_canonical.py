"""The check digest's fast path gives exactly the RFC 8785 digest of provenance.jsonio."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.claims.canonical import check_digest
from provenance.jsonio import canonical_sha256

json_values: Any = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**60), 2**60),
        st.text(max_size=12),
        st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=12),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=6), st.text(alphabet="abcXYZ_\u00e9\U0001f600\ue000", max_size=4)), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=500)
@given(json_values)
def test_fast_digest_equals_canonical(doc: Any) -> None:
    try:
        expected = canonical_sha256(doc)
    except Exception as exc:  # the canonical encoder refuses it: so must we
        try:
            check_digest(doc)
        except Exception as again:
            assert type(again) is type(exc)
            return
        raise AssertionError("fast path accepted what RFC 8785 refuses") from None
    assert check_digest(doc) == expected


def test_known_check() -> None:
    check = {"formula": "mean", "inputs": {"a": "8.2", "b": {"value": "7.5", "source": {"file": "t.csv", "sha256": "0" * 64}}}, "expected": "7.6", "precision": 1, "x": "\u0007\"\\/\u007f\u00e9"}
    assert check_digest(check) == canonical_sha256(check)
