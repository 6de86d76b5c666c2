"""Suggestions from claim text: narrow, marked as suggestions, never verdicts."""

from __future__ import annotations

from provenance.claims.model import Claim, parse_check
from provenance.claims.suggest import find_lists, find_numbers, suggest, suggest_for_claim


def kinds(text: str) -> dict[str, dict[str, object]]:
    return {s.kind: s.check for s in suggest_for_claim(Claim("c1", text, None))}


def test_numbers_glued_to_letters_are_not_numbers() -> None:
    found = [n.text for n in find_numbers("L2 level, GPT4 and XTREME-R report 8.2 and 7.5% on v1.1")]
    assert found == ["8.2", "7.5"]
    assert find_numbers("7.5% gain")[0].percent


def test_lists() -> None:
    text = "gains of 8.2, 7.5, and 7.0 points and later 3"
    numbers = find_numbers(text)
    assert [[n.text for n in run] for run in find_lists(text, numbers)] == [["8.2", "7.5", "7.0"]]


def test_mean_sum_difference_percent() -> None:
    assert kinds("Scores of 8.2, 7.5, and 7.0 points, 7.57 points on average.")["mean"]["expected"] == "7.57"
    assert kinds("Improvements of 3.1, 2.9 and 4.0 points, 10.0 in total.")["sum"]["inputs"] == {"x1": "3.1", "x2": "2.9", "x3": "4.0"}
    assert kinds("improving by 8.7 points, 0.5 points more than SQuAD (8.2).")["difference"]["expected"] == "0.5"
    pct = kinds("FiD reaches 51.4 versus 44.5, a 15.5% relative gain.")["percent_change"]
    assert pct["inputs"] == {"x1": "44.5", "x2": "51.4"} and pct["precision"] == 1


def test_suggested_checks_parse_and_are_unconfirmed() -> None:
    for suggestion in suggest([Claim("c1", "Scores of 8.2, 7.5, and 7.0 points, 7.57 points on average.", None)]):
        doc = suggestion.to_json()
        assert doc["suggested"] is True and doc["confirmed"] is False
        parse_check(doc["check"])


def test_nothing_for_claims_with_checks_or_without_numbers() -> None:
    check = parse_check({"formula": "a", "inputs": {"a": "1"}, "expected": "1", "precision": 0})
    assert suggest_for_claim(Claim("c1", "8.2, 7.5 and 7.0, 7.57 on average", check)) == []
    assert suggest_for_claim(Claim("c2", "No numbers here.", None)) == []
    assert suggest_for_claim(Claim("c3", "", None)) == []


def test_many_numbers_do_not_explode() -> None:
    text = ", ".join(str(i) for i in range(1, 400)) + " on average 200"
    found = suggest_for_claim(Claim("c1", text, None))
    assert any(s.kind == "mean" for s in found)


def test_change_stated_alone_gives_an_incomplete_skeleton() -> None:
    found = suggest_for_claim(Claim("c1", "Multi-task training performs best, improving by 8.7 points.", None))
    assert [(s.kind, s.complete, s.check["expected"]) for s in found] == [("difference", False, "8.7")]
    relative = suggest_for_claim(Claim("c2", "a gain of 3.2% on XNLI", None))
    assert [(s.kind, s.check["formula"], s.check["expected"]) for s in relative] == [("percent_change", "percent_change(before, after)", "3.2")]


def test_regression_number_followed_by_letters_is_not_cut_short() -> None:
    # "3.2x" once matched as "3" because the look-ahead let the regex backtrack into the decimals
    assert [n.text for n in find_numbers("3.2x faster, 8.2. And v1.1, 4.5% and 7 percent")] == ["8.2", "4.5", "7"]
    assert suggest_for_claim(Claim("c1", "improves 2.5x", None)) == []


def test_numbers_glued_to_a_word_by_a_hyphen_are_names_not_values() -> None:
    """Issue 15.10: "top-1" was read as the stated value 1."""
    from provenance.claims.suggest import find_numbers

    assert [n.text for n in find_numbers("top-1 accuracy of XLM-R2 rises by 1.8 (-0.5 on L2)")] == ["1.8", "-0.5"]


def test_a_difference_claim_gets_its_difference_not_a_mean_skeleton() -> None:
    """Issue 15.10: "on average ... rises by 1.8 (73.0 vs 71.2)" got a mean of the stated "1" beside the difference."""
    from provenance.claims.model import load_claims
    from provenance.claims.suggest import suggest

    texts = ["On average, top-1 accuracy rises by 1.8 points (73.0 vs 71.2).",
             "Averaged over 3 seeds, accuracy is 80.5 against 78.0, a difference of 2.5 points."]
    found = suggest(load_claims({"claims": [{"id": f"c{i}", "text": t} for i, t in enumerate(texts)]}))
    assert [(s.claim_id, s.kind, s.check["expected"], s.complete) for s in found] == [
        ("c0", "difference", "1.8", True), ("c1", "difference", "2.5", True)]


def test_a_count_is_not_the_stated_average() -> None:
    from provenance.claims.model import load_claims
    from provenance.claims.suggest import suggest

    (only,) = suggest(load_claims({"claims": [{"id": "c1", "text": "Averaged over 3 seeds the gain is 4.2 points."}]}))
    assert only.kind == "mean" and only.check["expected"] == "4.2" and not only.complete
