#!/usr/bin/env python3
"""Write the example source PDF (examples/sources/results.pdf), or a generated one, with no library at all.

A minimal PDF 1.4 writer: one page per list of text lines, set in the
standard Helvetica font with WinAnsiEncoding (no font file embedded), each
line a ``Tj`` on its own baseline. Content streams are stored as they are by
default, so the bytes are the same on every machine; ``compress=True`` deflates
them (smaller files for the bench). Tests and the bench import
:func:`pdf_bytes` from here; ``--check`` compares the shipped example.

    python scripts/make_source_pdf.py             # (re)write examples/sources/results.pdf
    python scripts/make_source_pdf.py --check     # exit 1 if the shipped file differs
    python scripts/make_source_pdf.py --pages 100 --out /tmp/big.pdf
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "sources" / "results.pdf"

EXAMPLE_PAGES: list[list[str]] = [
    [
        "Zero-shot transfer after intermediate-task training",
        "",
        "1 Introduction",
        "We fine-tune XLM-R Large on one English intermediate task, then on the",
        "target task, and evaluate zero-shot cross-lingual transfer on XTREME-R.",
        "Nine intermediate tasks are compared with a baseline that skips the",
        "intermediate step. Results are averaged over three random seeds and re-",
        "ported in points of accuracy.",
    ],
    [
        "2 Results",
        "",
        "Table 1: gain over the baseline, in points.",
        "intermediate task    gain",
        "SQuAD                8.2",
        "MNLI                 7.5",
        "HellaSwag            7.0",
        "all nine (multi-task) 8.7",
        "",
        "Multi-task training on all nine tasks gains 8.7 points, the largest gain;",
        "a single task changes XNLI by \u20130.3 points at most.",
    ],
]
"""The example paper: page 2 holds Table 1. The en dash before 0.3 is a minus sign (normalised to "-")."""


def _escape(line: str) -> bytes:
    data = line.encode("cp1252")
    return data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(lines: Sequence[str]) -> bytes:
    out = [b"BT", b"/F1 11 Tf", b"14 TL", b"72 740 Td"]
    for line in lines:
        out.append(b"(" + _escape(line) + b") Tj T*")
    out.append(b"ET")
    return b"\n".join(out) + b"\n"


def pdf_bytes(pages: Sequence[Sequence[str]], *, compress: bool = False) -> bytes:
    """A PDF with one page per list of lines (Helvetica 11 pt, 14 pt leading, 72 pt margins)."""
    count = len(pages)
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(count)) + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for index, lines in enumerate(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (5 + 2 * index)
        )
        body = _content(lines)
        if compress:
            body = zlib.compress(body, 9)
            head = b"<< /Length %d /Filter /FlateDecode >>" % len(body)
        else:
            head = b"<< /Length %d >>" % len(body)
        objects.append(head + b"\nstream\n" + body + b"\nendstream")
    return assemble(objects)


def assemble(objects: Sequence[bytes]) -> bytes:
    """A PDF file of ``objects`` (object 1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def generated_pages(count: int, lines_per_page: int = 40) -> list[list[str]]:
    """``count`` pages of table-like lines "row r: a b c" with distinct decimal values (for the bench)."""
    pages = []
    for page in range(count):
        lines = []
        for line in range(lines_per_page):
            r = page * lines_per_page + line
            lines.append(f"row {r}: {r // 10}.{r % 10}1 {r % 97}.{r % 89:02d} {(r * 7) % 1000}.5 end")
        pages.append(lines)
    return pages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare the shipped example instead of writing it")
    parser.add_argument("--pages", type=int, help="write a generated PDF of this many pages instead of the example")
    parser.add_argument("--out", type=Path, help="where to write (default: the example's path)")
    args = parser.parse_args()
    data = pdf_bytes(generated_pages(args.pages), compress=True) if args.pages else pdf_bytes(EXAMPLE_PAGES)
    target = args.out or EXAMPLE
    if args.check:
        if not target.is_file() or target.read_bytes() != data:
            print(f"{target} differs from what {Path(__file__).name} writes; run it to regenerate", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    print(f"wrote {target} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
