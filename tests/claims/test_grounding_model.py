"""The check format accepts structured locators, ``as_written`` and ``context`` (issue 16 item 1), every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provenance.claims.errors import CheckFormatError
from provenance.claims.model import Source, load_claims, parse_check
from provenance.jsonio import load_json_file
from provenance.schemas import validate
from provenance.sources.locator import CellLocator, LineLocator, QuoteLocator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _check(**source: Any) -> dict[str, Any]:
    return {
        "formula": "a",
        "inputs": {"a": {"value": "8.2", "source": {"file": "t.csv", "sha256": "a" * 64, **source}}},
        "expected": "8.2",
        "precision": 1,
    }


@pytest.mark.parametrize(
    ("locator", "parsed"),
    [
        ({"row": "SQuAD", "column": "gain"}, CellLocator("SQuAD", "gain")),
        ({"row": 1, "column": 2}, CellLocator(1, 2)),
        ({"line": 9}, LineLocator(9)),
        ({"quote": "| SQuAD | 8.2 |"}, QuoteLocator("| SQuAD | 8.2 |")),
        ({"page": 2, "quote": "MNLI 7.5"}, QuoteLocator("MNLI 7.5", 2)),
        ("Table 2, row SQuAD", "Table 2, row SQuAD"),
    ],
)
def test_structured_and_free_text_locators_parse_and_round_trip(locator: Any, parsed: Any) -> None:
    raw = _check(locator=locator)
    source = parse_check(raw).inputs["a"].source
    assert source is not None and source.locator == parsed
    assert source.to_json() == raw["inputs"]["a"]["source"]
    assert validate(raw, "claim-check-v1") == []


def test_as_written_is_kept_and_must_be_the_same_value() -> None:
    source = parse_check(_check(locator={"line": 3}, as_written="8.20")).inputs["a"].source
    assert source == Source("t.csv", "a" * 64, LineLocator(3), "8.20")
    assert source.to_json()["as_written"] == "8.20"
    with pytest.raises(CheckFormatError, match=r"inputs\.a\.source\.as_written: as_written 8\.3 is not the value 8\.2"):
        parse_check(_check(as_written="8.3"))


def test_context_is_parsed_and_validated() -> None:
    check = parse_check({**_check(), "context": ["9", "2021"]})
    assert check.context == ("9", "2021")
    assert parse_check(_check()).context == ()
    with pytest.raises(CheckFormatError, match=r"check\.context\[1\]: must be a decimal string"):
        parse_check({**_check(), "context": ["9", 9]})


def test_every_locator_as_written_and_context_problem_is_reported_at_once() -> None:
    bad = {
        "formula": "a + b",
        "inputs": {
            "a": {"value": "8.2", "source": {"file": "t.csv", "sha256": "a" * 64, "locator": {"row": 0, "column": ""}}},
            "b": {"value": "1", "source": {"file": "t.md", "sha256": "a" * 64, "locator": {"page": 1}, "as_written": "x"}},
        },
        "expected": "9.2",
        "precision": 1,
        "context": "9",
    }
    with pytest.raises(CheckFormatError) as info:
        parse_check(bad, where="claim c: check")
    text = str(info.value)
    for fragment in ("inputs.a.source.locator.row", "inputs.a.source.locator.column", "inputs.b.source.locator: keys page",
                     "inputs.b.source.as_written", "check.context: must be a list"):
        assert fragment in text, fragment
    assert info.value.exit_code == 2


def test_regression_the_sourced_example_no_longer_gives_locator_must_be_a_string() -> None:
    claims = load_claims(load_json_file(EXAMPLES / "sourced-claims.json"))
    assert [c.check_error for c in claims] == [None] * 4
    squad = claims[0].check.inputs["squad"].source  # type: ignore[union-attr]
    assert squad is not None and squad.structured == CellLocator("SQuAD", "gain")
