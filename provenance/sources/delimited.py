"""Delimited text sources (CSV, TSV): a header row, then data rows, cells located by row and column.

CSV is RFC 4180 as Python's ``csv`` module reads it (double quotes); TSV is
IANA ``text/tab-separated-values``: tabs between cells, no quoting. The file is
UTF-8 (a BOM is skipped). The first row is the header; a row is named by its
1-based index among the data rows or by the value of its first cell; a column
by its 1-based index or its header. Names compare after normalisation and must
match exactly one row or column. Bounded: :data:`MAX_ROWS` rows,
:data:`MAX_CELLS` cells, and a cell of at most ``csv.field_size_limit()``
characters (131,072 unless the application changes it).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator, Set
from typing import Literal

from provenance.gcpause import paused_gc
from provenance.sources.document import Form, Hit, Miss, Place, wrong_shape
from provenance.sources.errors import SourceUnreadable
from provenance.sources.locator import CellLocator, Locator
from provenance.sources.normalise import normalise
from provenance.sources.numbers import iter_tokens
from provenance.sources.text import decode_utf8

MAX_ROWS = 2_000_000
"""Most rows (header included) a table may have."""
MAX_CELLS = 5_000_000
"""Most cells a table may have."""


# A cell that is empty, a plain unsigned decimal (its own plain form) or one ASCII word starting with a letter
# (every digit in it glued to a letter) holds no number token but itself: matching it needs no tokenising.
_QUIET = r"(?:[0-9]+(?:\.[0-9]+)?|[A-Za-z][A-Za-z0-9]*)?"
_QUIET_CELL = re.compile(_QUIET)
_QUIET_ROW = re.compile(f"(?:{_QUIET}\x1f)*")


class Table:
    """A parsed CSV or TSV file: its normalised header and its data rows (cells as in the file)."""

    def __init__(self, data: bytes, form: Literal["csv", "tsv"], *, where: str) -> None:
        self.form: Form = form
        self.extractor: str | None = None
        text = decode_utf8(data, where=where)
        lines = io.StringIO(text, newline="")
        if form == "csv":
            reader = csv.reader(lines, strict=True)
        else:
            reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE, strict=True)
        try:
            with paused_gc():  # rows are acyclic lists of strings: no need to scan them as they pile up
                rows = _read_rows(reader, where)
        except csv.Error as exc:
            raise SourceUnreadable(
                f"not a well-formed {form.upper()} file (line {reader.line_num}: {exc})", where=where, remedy="fix the table or cite it as text"
            ) from None
        self.header = [normalise(cell) for cell in rows[0]] if rows else []
        self.rows = rows[1:]
        self._keys: tuple[dict[str, int], dict[str, list[int]]] | None = None

    def _index_keys(self) -> tuple[dict[str, int], dict[str, list[int]]]:
        if self._keys is None:
            firsts = [row[0] if row else "" for row in self.rows]
            joined = "|".join(firsts)
            if not (joined.isascii() and joined.isprintable() and joined.count("|") == len(firsts) - 1
                    and "  " not in joined and " |" not in joined and "| " not in joined and joined[:1] != " " and joined[-1:] != " "):
                firsts = [normalise(first) for first in firsts]  # else every first cell is already normalised
            last = dict(zip(firsts, range(len(firsts)), strict=True))
            repeated: dict[str, list[int]] = {}
            if len(last) < len(firsts):
                twice = {first for first, count in Counter(firsts).items() if count > 1}
                for index, first in enumerate(firsts):
                    if first in twice:
                        repeated.setdefault(first, []).append(index)
            self._keys = last, repeated
        return self._keys

    def rows_named(self, key: str) -> list[int]:
        """The 0-based data rows whose normalised first cell is ``key`` (normalised), in order."""
        last, repeated = self._index_keys()
        if key in repeated:
            return repeated[key]
        return [last[key]] if key in last else []

    def _row(self, row: str | int) -> int | Miss:
        if isinstance(row, int):
            if row > len(self.rows):
                return Miss("not found", f"row {row} is past the end (the table has {len(self.rows)} data rows)")
            return row - 1
        found = self.rows_named(normalise(row))
        if not found:
            return Miss("not found", f"no row whose first cell is {normalise(row)!r}")
        if len(found) > 1:
            rows = ", ".join(str(i + 1) for i in found[:5])
            return Miss("ambiguous", f"{len(found)} rows have the first cell {normalise(row)!r} (data rows {rows}); name the row by index")
        return found[0]

    def _column(self, column: str | int) -> int | Miss:
        if isinstance(column, int):
            if column > len(self.header):
                return Miss("not found", f"column {column} is past the end (the header has {len(self.header)} columns)")
            return column - 1
        name = normalise(column)
        found = [i for i, header in enumerate(self.header) if header == name]
        if not found:
            return Miss("not found", f"no column headed {name!r}")
        if len(found) > 1:
            return Miss("ambiguous", f"{len(found)} columns are headed {name!r}; name the column by index")
        return found[0]

    def resolve(self, locator: Locator) -> Place | Miss:
        """The cell ``locator`` names."""
        if not isinstance(locator, CellLocator):
            return wrong_shape(locator, self.form)
        if not self.header:
            return Miss("not found", "the table is empty")
        row = self._row(locator.row)
        if isinstance(row, Miss):
            return row
        column = self._column(locator.column)
        if isinstance(column, Miss):
            return column
        cells = self.rows[row]
        what = f"row {_show(locator.row)}, column {_show(locator.column)}"
        if column >= len(cells):
            return Miss("not found", f"{what}: data row {row + 1} has only {len(cells)} cells")
        text = normalise(cells[column])
        return Place(text, 0, len(text), {"row": row + 1, "column": column + 1}, what)

    def find(self, wanted: Set[str]) -> Iterator[Hit]:
        """Every cell holding a wanted value as a number token, row by row."""
        headers = Counter(self.header)
        for r, cells in enumerate(self.rows):
            if wanted.isdisjoint(cells) and _quiet_row(cells):
                continue  # no cell is a wanted value, and no cell could hold one in another form
            for c, cell in enumerate(cells):
                if cell in wanted:  # the common case: the cell is a plain decimal, its own plain form
                    text, plains = cell, [cell]
                elif _QUIET_CELL.fullmatch(cell):
                    continue
                else:
                    text = normalise(cell)
                    plains = [t.plain for t in iter_tokens(text) if t.plain in wanted]
                    if not plains:
                        continue
                key = normalise(cells[0])
                row: str | int = key if key and len(self.rows_named(key)) == 1 else r + 1
                header = self.header[c] if c < len(self.header) else ""
                column: str | int = header if header and headers[header] == 1 else c + 1
                place = Place(text, 0, len(text), {"row": r + 1, "column": c + 1}, f"row {_show(row)}, column {_show(column)}")
                for plain in dict.fromkeys(plains):
                    yield Hit(plain, CellLocator(row, column), place)


def _read_rows(reader: Iterator[list[str]], where: str) -> list[list[str]]:
    rows: list[list[str]] = []
    cells = 0
    while chunk := list(itertools.islice(reader, 4096)):
        rows += chunk
        cells += sum(map(len, chunk))
        if cells > MAX_CELLS or len(rows) > MAX_ROWS:
            raise SourceUnreadable(f"over {MAX_ROWS} rows or {MAX_CELLS} cells", where=where, remedy="cite a smaller table")
    return rows


def _quiet_row(cells: list[str]) -> bool:
    joined = "\x1f".join(cells) + "\x1f"
    return joined.count("\x1f") == len(cells) and _QUIET_ROW.fullmatch(joined) is not None


def _show(key: str | int) -> str:
    return str(key) if isinstance(key, int) else repr(key)
