"""Delimited text sources (CSV, TSV): a header row, then data rows, cells located by row and column.

CSV is RFC 4180 as Python's ``csv`` module reads it (double quotes); TSV is
IANA ``text/tab-separated-values``: tabs between cells, no quoting. The file is
UTF-8 (a BOM is skipped). The first row is the header; a row is named by its
1-based index among the data rows or by the value of its first cell; a column
by its 1-based index or its header. Names compare after normalisation and must
match exactly one row or column. Bounded: :data:`MAX_ROWS` rows,
:data:`MAX_COLUMNS` cells a row, :data:`MAX_CELL_CHARS` characters a cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator, Set
from typing import Literal

from provenance.sources.document import Form, Hit, Miss, Place, wrong_shape
from provenance.sources.errors import SourceUnreadable
from provenance.sources.locator import CellLocator, Locator
from provenance.sources.normalise import normalise
from provenance.sources.numbers import iter_tokens
from provenance.sources.text import decode_utf8

MAX_ROWS = 5_000_000
"""Most rows (header included) a table may have."""
MAX_COLUMNS = 10_000
"""Most cells one row may have."""
MAX_CELL_CHARS = 100_000
"""Longest cell accepted (below ``csv.field_size_limit``'s default, which is left alone)."""

_SIMPLE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?", re.ASCII)


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
        rows: list[list[str]] = []
        try:
            for row in reader:
                if len(rows) >= MAX_ROWS:
                    raise SourceUnreadable(f"over {MAX_ROWS} rows", where=where, remedy="cite a smaller table")
                if len(row) > MAX_COLUMNS:
                    raise SourceUnreadable(
                        f"row {len(rows) + 1} has {len(row)} cells, over {MAX_COLUMNS}", where=where, remedy="cite a smaller table"
                    )
                rows.append(row)
        except csv.Error as exc:
            raise SourceUnreadable(
                f"not a well-formed {form.upper()} file (line {reader.line_num}: {exc})", where=where, remedy="fix the table or cite it as text"
            ) from None
        for index, row in enumerate(rows):
            if any(len(cell) > MAX_CELL_CHARS for cell in row):
                raise SourceUnreadable(
                    f"row {index + 1} has a cell over {MAX_CELL_CHARS} characters", where=where, remedy="cite a smaller table"
                )
        self.header = [normalise(cell) for cell in rows[0]] if rows else []
        self.rows = rows[1:]
        self._keys: dict[str, list[int]] | None = None

    def keys(self) -> dict[str, list[int]]:
        """Normalised first-cell value -> 0-based data-row indices (built once)."""
        if self._keys is None:
            keys: dict[str, list[int]] = {}
            for index, row in enumerate(self.rows):
                keys.setdefault(normalise(row[0]) if row else "", []).append(index)
            self._keys = keys
        return self._keys

    def _row(self, row: str | int) -> int | Miss:
        if isinstance(row, int):
            if row > len(self.rows):
                return Miss("not found", f"row {row} is past the end (the table has {len(self.rows)} data rows)")
            return row - 1
        found = self.keys().get(normalise(row), [])
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
            for c, cell in enumerate(cells):
                if _SIMPLE.fullmatch(cell):  # the common case: the cell is a plain decimal, its own plain form
                    if cell not in wanted:
                        continue
                    text, plains = cell, [cell]
                else:
                    text = normalise(cell)
                    plains = [t.plain for t in iter_tokens(text) if t.plain in wanted]
                    if not plains:
                        continue
                key = normalise(cells[0])
                row: str | int = key if key and len(self.keys().get(key, ())) == 1 else r + 1
                header = self.header[c] if c < len(self.header) else ""
                column: str | int = header if header and headers[header] == 1 else c + 1
                place = Place(text, 0, len(text), {"row": r + 1, "column": c + 1}, f"row {_show(row)}, column {_show(column)}")
                for plain in dict.fromkeys(plains):
                    yield Hit(plain, CellLocator(row, column), place)


def _show(key: str | int) -> str:
    return str(key) if isinstance(key, int) else repr(key)
