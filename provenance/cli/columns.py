"""Plain aligned columns for listings whose values are identifiers: nothing is ever cut.

A rich table fits itself to the terminal by cropping or eliding cells, which
turns a DOI or a bundle id into something that no longer names anything. These
lines are padded to the widest value of each column and left for the terminal
to wrap, so every identifier prints whole and can be copied.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape


def aligned(headers: Sequence[str], rows: Sequence[Sequence[str]], *, gap: int = 2) -> list[str]:
    """The header line and one line per row, each column padded to its widest value (the last one is not)."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    lines = []
    for row in [list(headers), *rows]:
        cells = [value.ljust(widths[i]) if i < len(row) - 1 else value for i, value in enumerate(row)]
        lines.append((" " * gap).join(cells).rstrip())
    return lines


def pairs(items: Sequence[tuple[str, str]]) -> list[str]:
    """``label  value`` lines, labels padded to the widest (for one record's summary)."""
    width = max((len(label) for label, _ in items), default=0)
    return [f"{label.ljust(width)}  {value}" for label, value in items]


def markup_safe(lines: Sequence[str]) -> str:
    """The lines joined for ``console.print`` with any ``[`` in a value shown as written."""
    return "\n".join(escape(line) for line in lines)
