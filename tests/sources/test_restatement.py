"""A check tests what its claim states: the numbers of the claim text against the check's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.claims.model import context_problems, load_claims, parse_check
from provenance.claims.restatement import (
    FINDING,
    restatement,
    restatement_of,
    stated_numbers,
)
from provenance.jsonio import load_json_file


def seed_000_claim_text(seeds_dir: Path) -> str:
    """The claim behind seed 000's verdict, as the record's extracted-claims table states it (seed 003 lists it)."""
    for path in sorted(seeds_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "8.2, 7.5, and 7.0" in line:
                return line.split("\t")[0]
    raise AssertionError("the seed claim is gone from ../shared/seeds")


def test_seed_000_check_of_the_mean_does_not_restate_a_claim_that_states_the_gains(
    seeds_dir: Path, seed_claims_path: Path
) -> None:
    """Regression: seed 000 was verified by "Computed 7.57 matches expected 7.57 (tolerance=5.0%)", a mean its
    claim never states; the record's own red team later called it a check of a trivial arithmetic mean."""
    text = seed_000_claim_text(seeds_dir)
    assert (seeds_dir / "000_b1cde329ac3cc068.txt").read_text(encoding="utf-8").count("Computed 7.57 matches expected 7.57") == 1
    check = parse_check(load_json_file(seed_claims_path)["claims"][0]["check"])  # mean of 8.2, 7.5, 7.0; expected 7.57
    found = restatement_of(text, check)
    assert found is not None and not found.restates
    assert found.stated == ("8.2", "7.5", "7.0")
    assert found.finding == (
        "the check does not restate the claim: its expected 7.57 is not stated in the claim text (which states 8.2, 7.5, 7.0)"
    )


def test_the_shared_examples_restate_their_claims_except_where_a_number_is_unexplained(seed_claims_path: Path) -> None:
    claims = load_claims(load_json_file(seed_claims_path))
    findings = {c.id: r.finding for c in claims if c.check and (r := restatement_of(c.text, c.check)) is not None}
    assert [cid for cid, finding in findings.items() if finding is None] == ["c1", "c2", "c3", "c5"]
    assert findings["c4"] == f"{FINDING}: the claim states 9, which the check neither computes nor uses (list it as context if it is only context)"
    assert findings["c6"] is not None and "its expected 1 is not stated" in findings["c6"]


def _check(**over: Any) -> Any:
    raw = {"formula": "difference(multitask, squad)", "inputs": {"multitask": "8.7", "squad": "8.2"}, "expected": "0.5", "tolerance": {"absolute": "0"}}
    return parse_check({**raw, **over})


def test_context_explains_a_stated_count() -> None:
    text = "Multi-task training on all 9 tasks gains 8.7 points, 0.5 more than SQuAD (8.2)."
    assert restatement_of(text, _check()).unexplained == ("9",)  # type: ignore[union-attr]
    assert restatement_of(text, _check(context=["9"])).restates  # type: ignore[union-attr]


def test_a_stated_magnitude_restates_a_negative_expected_value() -> None:
    found = restatement("XNLI falls by 0.3 points, from 80.1 to 79.8.", expected="-0.3", inputs=["79.8", "80.1"])
    assert found.restates
    assert not restatement("XNLI rises by -0.3.", expected="0.3").restates


def test_decimals_written_are_how_a_number_was_stated() -> None:
    assert not restatement("The mean is 7.60.", expected="7.6").expected_stated
    assert restatement("The mean is 7.6.", expected="7.6").restates


def test_formula_literals_and_as_written_forms_explain_numbers() -> None:
    assert restatement("Half of 8.2 is 4.1.", expected="4.1", inputs=["8.2"], formula="x / 2").unexplained == ()
    assert restatement("Half of 8.2 is 4.1, by 2.", expected="4.1", inputs=["8.2"], formula="x / 2").restates
    assert restatement("8.20 in the table", expected="8.20", inputs=["8.2", "8.20"]).restates


def test_numbers_inside_words_are_not_stated() -> None:
    assert stated_numbers("XLM-R v8.2 on L2 and GPT-4, 12ms, 3.5x faster, 6.1% better, 1,234 items") == ("12", "3.5", "6.1", "1234")


def test_a_claim_without_text_has_nothing_to_restate() -> None:
    assert restatement_of("  ", _check()) is None


def test_context_must_be_decimal_strings() -> None:
    assert context_problems(["9", "2021"]) == []
    assert context_problems("9") != []
    assert context_problems([9]) == ["check.context[0]: must be a decimal string of at most 100 characters"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.from_regex(r"[1-9][0-9]{0,2}\.[0-9]{1,2}", fullmatch=True), min_size=1, max_size=6, unique=True),
    st.data(),
)
def test_a_check_restates_exactly_when_expected_is_stated_and_the_rest_is_accounted_for(numbers: list[str], data: st.DataObject) -> None:
    text = "The values are " + ", ".join(numbers) + "."
    expected = data.draw(st.sampled_from(numbers))
    covered = data.draw(st.lists(st.sampled_from(numbers), unique=True))
    found = restatement(text, expected=expected, inputs=covered)
    assert found.expected_stated
    assert set(found.unexplained) == set(numbers) - set(covered) - {expected}
    assert found.restates == (set(numbers) <= set(covered) | {expected})
    assert restatement(text, expected="999.999", inputs=numbers).finding is not None


def test_the_finding_is_a_json_record() -> None:
    out = restatement("gains of 8.2 and 7.5", expected="7.85", inputs=["8.2", "7.5"]).to_json()
    assert out == {
        "restates": False,
        "stated": ["8.2", "7.5"],
        "expected_stated": False,
        "unexplained": [],
        "finding": f"{FINDING}: its expected 7.85 is not stated in the claim text (which states 8.2, 7.5)",
    }


@pytest.mark.parametrize("text", ["", "no numbers at all"])
def test_a_text_without_numbers_does_not_state_the_expected_value(text: str) -> None:
    assert restatement(text, expected="1").finding == f"{FINDING}: its expected 1 is not stated in the claim text (which states no numbers)"


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(max_codepoint=127, blacklist_characters="0123456789"), max_size=60))
def test_the_no_digit_fast_path_agrees_with_tokenising(text: str) -> None:
    from provenance.sources.normalise import normalise
    from provenance.sources.numbers import tokens

    assert stated_numbers(text) == () == tuple(t.plain for t in tokens(normalise(text)))
