"""Hypothesis: arbitrary text never crashes the ingester: a clean error or a valid manifest."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.errors import InputError
from provenance.ingest import ingest_bytes
from provenance.ingest.record import KNOWN_SECTIONS
from provenance.schemas import validate

_HEADINGS = sorted({k.title() for k in KNOWN_SECTIONS}) + ["1 Introduction", "5 Extracted Claims"]
_LINES = st.one_of(
    st.text(max_size=80),
    st.sampled_from(_HEADINGS),
    st.builds(lambda a, b: f"| {a} | {b} |", st.text(max_size=20), st.text(max_size=20)),
    st.builds(lambda a, b, c: f"{a}\t{b}\t{c}", st.text(max_size=40), st.sampled_from(["✓", "✗", "", "x"]), st.text(max_size=5)),
    st.sampled_from(["StatusVerified", "Evaluated2026-13-45T00:00:00+00:00", "Submitted: 31 February 2026",
                     "- <http://arxiv.org/abs/2104.07412v2>", "Review score: 9/0", "DOI: 10.1/x", "SRCH:ABCDEF12"]),
)


def _check(data: bytes) -> None:
    try:
        manifest = ingest_bytes(data, filename="fuzz.txt")
    except InputError as exc:
        assert "\n" not in exc.message
        return
    assert validate(manifest, "paper-manifest-v1.1") == []


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=40))
def test_structured_text_never_crashes(lines: list[str]) -> None:
    _check("\n".join(lines).encode("utf-8"))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    _check(data)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_arbitrary_text_never_crashes(text: str) -> None:
    _check(text.encode("utf-8", "replace"))
