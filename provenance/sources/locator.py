"""Structured locators: where in a source file an input's value stands, parsed and validated.

A sourced input's ``source.locator`` is either free text (kept, never
resolved: "Table 2, row SQuAD") or one of these JSON objects:

* delimited text (CSV, TSV): ``{"row": R, "column": C}``. ``R`` is a JSON
  string, the value of the row's first cell, or a JSON integer, the 1-based
  index of the data row (the header row is not counted). ``C`` is a JSON
  string, the column's header, or a JSON integer, its 1-based index.
  Strings are compared after normalisation;
* plain text, Markdown, LaTeX, HTML: ``{"line": N}`` (1-based line of the
  file) or ``{"quote": "text around the value"}``, which must occur exactly
  once in the normalised text;
* PDF: ``{"page": N, "quote": "..."}``, the quote occurring exactly once in the
  normalised text of page ``N`` (1-based).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from provenance.sources.errors import LocatorError
from provenance.sources.normalise import normalise

MAX_QUOTE_CHARS = 400
"""Longest quote accepted (after normalisation)."""
MAX_KEY_CHARS = 400
"""Longest row key or column header accepted."""
MAX_INDEX = 100_000_000
"""Largest line, page, row or column number accepted."""


@dataclass(frozen=True, slots=True)
class CellLocator:
    """A cell of a delimited table: ``row`` by first-cell value (str) or 1-based data-row index (int); ``column`` likewise by header."""

    row: str | int
    column: str | int

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column}


@dataclass(frozen=True, slots=True)
class LineLocator:
    """A 1-based line of a text file."""

    line: int

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line}


@dataclass(frozen=True, slots=True)
class QuoteLocator:
    """Text around the value, occurring exactly once (in a text file, or on ``page`` of a PDF)."""

    quote: str
    page: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"quote": self.quote} if self.page is None else {"page": self.page, "quote": self.quote}


Locator: TypeAlias = CellLocator | LineLocator | QuoteLocator
"""A structured locator."""

_SHAPES = '{"row", "column"}, {"line"}, {"quote"} or {"page", "quote"}'


def _index(raw: Any, key: str, where: str, problems: list[str]) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_INDEX:
        problems.append(f"{where}.{key}: must be an integer from 1 to {MAX_INDEX}")
        return None
    return raw


def _text(raw: Any, key: str, where: str, problems: list[str], limit: int) -> str | None:
    if not isinstance(raw, str) or not normalise(raw):
        problems.append(f"{where}.{key}: must be a non-empty string")
        return None
    if len(raw) > limit:
        problems.append(f"{where}.{key}: {len(raw)} characters, over the limit of {limit}")
        return None
    return raw


def _key(raw: Any, key: str, where: str, problems: list[str]) -> str | int | None:
    if isinstance(raw, str):
        return _text(raw, key, where, problems, MAX_KEY_CHARS)
    return _index(raw, key, where, problems)


def parse_locator(raw: Any, *, where: str = "locator") -> Locator | str:
    """A structured locator from its JSON object, or ``raw`` itself when it is free text.

    Raises :class:`LocatorError` listing every problem at once.
    """
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, Mapping):
        raise LocatorError(f"{where}: must be a string or an object {_SHAPES}", remedy="see schema claim-check-v1")
    keys = frozenset(raw)
    problems: list[str] = []
    locator: Locator | None = None
    if keys == {"row", "column"}:
        row = _key(raw["row"], "row", where, problems)
        column = _key(raw["column"], "column", where, problems)
        if row is not None and column is not None:
            locator = CellLocator(row, column)
    elif keys == {"line"}:
        line = _index(raw["line"], "line", where, problems)
        if line is not None:
            locator = LineLocator(line)
    elif keys in ({"quote"}, {"page", "quote"}):
        quote = _text(raw["quote"], "quote", where, problems, MAX_QUOTE_CHARS)
        page = _index(raw["page"], "page", where, problems) if "page" in keys else None
        if quote is not None and (page is not None or "page" not in keys):
            locator = QuoteLocator(quote, page)
    else:
        shown = ", ".join(sorted(map(str, keys))) or "none"
        problems.append(f"{where}: keys {shown}; a structured locator is one of {_SHAPES}")
    if problems or locator is None:
        raise LocatorError("; ".join(problems), remedy="see schema claim-check-v1")
    return locator


def locator_json(locator: Locator | str) -> Any:
    """The JSON form of a locator (free text as it is)."""
    return locator if isinstance(locator, str) else locator.to_json()
