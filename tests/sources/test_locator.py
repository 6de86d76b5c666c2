"""Structured locators: each shape parsed, free text kept, every problem reported at once."""

from __future__ import annotations

from typing import Any

import pytest

from provenance.sources.errors import LocatorError
from provenance.sources.locator import CellLocator, LineLocator, QuoteLocator, locator_json, parse_locator


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ({"row": "SQuAD", "column": "gain"}, CellLocator("SQuAD", "gain")),
        ({"row": 3, "column": 2}, CellLocator(3, 2)),
        ({"line": 12}, LineLocator(12)),
        ({"quote": "gains 8.2"}, QuoteLocator("gains 8.2")),
        ({"page": 2, "quote": "SQuAD 8.2"}, QuoteLocator("SQuAD 8.2", 2)),
        ("Table 2, row SQuAD", "Table 2, row SQuAD"),
    ],
)
def test_each_shape_parses_and_round_trips(raw: Any, parsed: Any) -> None:
    assert parse_locator(raw) == parsed
    assert locator_json(parsed) == raw


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"row": 0, "column": "gain"}, "row: must be an integer from 1"),
        ({"row": True, "column": 1}, "row: must be an integer"),
        ({"row": "", "column": 1}, "row: must be a non-empty string"),
        ({"line": "3"}, "line: must be an integer"),
        ({"quote": "   "}, "quote: must be a non-empty string"),
        ({"quote": "x" * 401}, "over the limit of 400"),
        ({"page": 0, "quote": "x"}, "page: must be an integer"),
        ({"page": 1}, "a structured locator is one of"),
        ({"line": 1, "quote": "x"}, "a structured locator is one of"),
        (["row", 1], "must be a string or an object"),
    ],
)
def test_bad_locators_say_what_and_where(raw: Any, says: str) -> None:
    with pytest.raises(LocatorError) as caught:
        parse_locator(raw, where="claim c1: check.inputs.x.source.locator")
    assert says in str(caught.value)
    assert "claim c1: check.inputs.x.source.locator" in str(caught.value)
    assert caught.value.exit_code == 2


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(LocatorError) as caught:
        parse_locator({"row": 0, "column": ""})
    assert "locator.row" in str(caught.value) and "locator.column" in str(caught.value)
