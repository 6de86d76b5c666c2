"""The status folded per run (as verification's workers fold their chunks) equals the fold of the whole log."""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.corrections.record import CLAIM_STATUSES, CORRECTION_TYPES
from provenance.corrections.status import (
    EMPTY,
    FoldedRun,
    StatusFacts,
    combine,
    current_status,
    fold,
    fold_runs,
    status_facts,
    status_view,
    superseded_map,
    supersessions,
)

CLAIMS = ["c1", "c2", "c3", "c4"]


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(0, 40))
    records = []
    for seq in range(n):
        named = draw(st.lists(st.sampled_from(CLAIMS), max_size=3, unique=True))
        record: dict[str, Any] = {
            "seq": seq if draw(st.integers(0, 20)) else draw(st.integers(-1, n + 2)),  # now and then out of place
            "type": draw(st.sampled_from(CORRECTION_TYPES)),
            "target": {"record_id": draw(st.sampled_from(["R1", "R2"])), "claims": named},
            "claims": [{"claim_id": c, "after": {"status": draw(st.sampled_from(CLAIM_STATUSES))}} for c in named],
            "supersedes": {"seq": draw(st.integers(-1, n + 2)), "sha256": "0" * 64} if draw(st.integers(0, 4)) == 0 else None,
        }
        records.append(record)
    return records


def _runs(facts: list[StatusFacts], cuts: list[int]) -> list[FoldedRun]:
    bounds = sorted({0, len(facts), *(c for c in cuts if 0 < c < len(facts))})
    runs = []
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        part = facts[lo:hi]
        pairs = supersessions(part)
        seqs = [f.seq for f in part]
        contiguous = seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        runs.append(FoldedRun(fold(part, {t for t, _ in pairs}), pairs,
                              range(seqs[0], seqs[-1] + 1) if contiguous else frozenset(seqs),
                              functools.partial(lambda p: p, part)))
    return runs


@settings(max_examples=200, deadline=None)
@given(records=logs(), cuts=st.lists(st.integers(0, 40), max_size=8))
def test_folding_runs_then_combining_equals_folding_the_whole_log(records: list[dict[str, Any]], cuts: list[int]) -> None:
    facts = [status_facts(r) for r in records]
    whole = fold(facts, superseded_map(supersessions(facts)))
    total, superseded = fold_runs(_runs(facts, cuts))
    assert superseded == superseded_map(supersessions(facts))
    assert status_view(total) == status_view(whole)
    assert (total.counting, total.record_id, total.records) == (whole.counting, whole.record_id, whole.records)
    view = current_status(records)
    assert (view.status, dict(view.claims), view.all_claims, view.count, view.record_id) == (
        status_view(total).status, dict(status_view(total).claims), total.all_claims, total.counting, total.record_id)


def test_a_record_superseded_from_a_later_run_stops_counting() -> None:
    records = [
        {"seq": 0, "type": "retraction", "target": {"record_id": "R1", "claims": []}, "claims": [], "supersedes": None},
        {"seq": 1, "type": "clarification", "target": {"record_id": "R1", "claims": ["c1"]},
         "claims": [{"claim_id": "c1", "after": {"status": "CLARIFIED"}}], "supersedes": {"seq": 0, "sha256": "0" * 64}},
    ]
    facts = [status_facts(r) for r in records]
    total, superseded = fold_runs(_runs(facts, [1]))
    assert superseded == {0: 1}
    view = status_view(total)
    assert view.status == "CLARIFIED" and view.claims == {"c1": "CLARIFIED"} and view.all_claims == "CURRENT"
    # Folded alone, the first run still counts its retraction: combining the stale folds would be wrong.
    stale = combine(combine(EMPTY, _runs(facts, [1])[0].partial), _runs(facts, [1])[1].partial)
    assert status_view(stale).status == "RETRACTED"


def test_facts_of_a_malformed_record_never_raise() -> None:
    for record in ({}, {"type": 3, "claims": "x", "target": [], "supersedes": "y"},
                   {"claims": [{"claim_id": "c1", "after": {"status": "BOGUS"}}, 7, {"claim_id": 5}]}):
        facts = status_facts(record)
        assert status_view(fold([facts], set())).status in ("CURRENT", "CORRECTED")
    assert status_facts({"claims": [{"claim_id": "c1", "after": {"status": "BOGUS"}}]}).changes == (("c1", "CORRECTED"),)


def test_facts_of_a_record_whose_claims_is_a_number_never_raise() -> None:
    # A signed entry (or any entry, without --trust) whose "claims" is 5 or true made status_facts
    # iterate an int: verification crashed with TypeError instead of reporting the schema error.
    for claims in (5, True, 2.5):
        facts = status_facts({"seq": 1, "type": "correction", "claims": claims, "target": {"claims": claims}})
        assert facts.changes == () and not facts.record_wide
    unhashable = {"claims": [{"claim_id": "c1", "after": {"status": ["RETRACTED"]}}]}
    assert status_facts(unhashable).changes == (("c1", "CORRECTED"),)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_facts_of_a_valid_record_read_without_checks_equal_the_checked_facts(data: st.DataObject) -> None:
    from provenance.corrections.record import ClaimChange, CorrectionRequest, build_record, shape_ok
    from provenance.corrections.status import shaped_status_facts

    ctype = data.draw(st.sampled_from(CORRECTION_TYPES))
    named = data.draw(st.lists(st.sampled_from(CLAIMS), min_size=1 if ctype == "partial_retraction" else 0, max_size=3,
                               unique=True))
    seq = data.draw(st.integers(0, 5))
    request = CorrectionRequest(
        type=ctype, record_id=data.draw(st.sampled_from(["R1", "R2"])), what_was_wrong="w", reason_text="r",
        claims=tuple(ClaimChange(c, after_status=data.draw(st.sampled_from([None, *CLAIM_STATUSES]))) for c in named),
        supersedes_seq=data.draw(st.integers(0, seq - 1)) if seq and data.draw(st.booleans()) else None,
    )
    record = build_record(request, origin="example.org/log", seq=seq, prev=None if seq == 0 else "ab" * 32,
                          issuer_keyid="cd" * 32, issued_at="2026-11-22T01:00:00Z", claim_status_before={},
                          supersedes_sha256="ef" * 32)
    assert shape_ok(record)
    assert shaped_status_facts(record) == status_facts(record)
