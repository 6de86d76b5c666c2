"""Hostile PDFs (malformed, huge page counts, compression bombs, a page too slow to extract) give a clean
error within time and memory bounds, never a crash; the extracting process is the bounded one."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sources_env import assemble, deflate_bomb, ground, pdf_bytes, pdf_of_streams

from provenance.sources.errors import SourceUnreadable
from provenance.sources.pdf import MAX_PAGES, IsolatedExtractor, PdfDocument, extract_pages

SECONDS = 30.0  # generous: a hostile file is refused in well under a second on an idle machine


def _page_tree(kids: bytes, count: int) -> bytes:
    return assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
        ]
    )


HOSTILE: dict[str, Callable[[], bytes]] = {
    "garbage after a header": lambda: b"%PDF-1.4\n" + bytes(range(256)) * 64,
    "truncated": lambda: pdf_bytes([["gain 8.2"]])[:300],
    "no header at all": lambda: b"gain 8.2\n",
    "50,000 pages": lambda: _page_tree(b"3 0 R " * 50_000, 50_000),
    "one page over the page limit": lambda: _page_tree(b"3 0 R " * (MAX_PAGES + 1), MAX_PAGES + 1),
    "a page tree that contains itself": lambda: _page_tree(b"2 0 R 3 0 R", 2),
    "a 256 MiB deflate bomb": lambda: pdf_of_streams([deflate_bomb(256 << 20)]),
    "40 pages just under the stream limit": lambda: pdf_of_streams([deflate_bomb(7 << 20)] * 40),
}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_pdf_is_a_clean_error_within_time(make: Callable[[], bytes]) -> None:
    data = make()
    start = time.monotonic()
    with pytest.raises(SourceUnreadable) as caught:
        PdfDocument(data, where="hostile.pdf")
    assert time.monotonic() - start < SECONDS
    assert str(caught.value).startswith("hostile.pdf: ")
    assert caught.value.exit_code == 2 and caught.value.remedy


def test_a_lying_page_count_is_not_believed() -> None:
    document = PdfDocument(_page_tree(b"3 0 R", 1_000_000_000), where="liar.pdf")
    assert document.page_count == 1


def test_grounding_in_a_hostile_pdf_is_a_not_found_record() -> None:
    record = ground("paper.pdf", pdf_of_streams([deflate_bomb(64 << 20)]), {"page": 1, "quote": "8.2"}, "8.2")
    assert record.status == "not found"
    assert "unreadable" in record.reason and "LimitReachedError" in record.reason


def test_a_page_too_slow_to_extract_is_stopped_at_the_time_budget() -> None:
    # Each page stays under pypdf's per-stream token budget (2,000,000 units; 150,000 text operations
    # are well inside it), so no parser limit refuses the file first: only the clock can stop it. On a
    # 2026 laptop one page takes about 1.8 s, twenty pages about 36 s, far over the 2 s budget even on
    # a machine ten times faster (regression: a fast CI machine hit the token limit before the clock).
    operations = zlib.compress(b"BT /F1 11 Tf " + b"(a) Tj " * 150_000 + b"ET")
    data = pdf_of_streams([operations] * 20)
    start = time.monotonic()
    with pytest.raises(SourceUnreadable) as caught:
        PdfDocument(data, where="slow.pdf", extractor=IsolatedExtractor(timeout=2.0))
    assert "ran over its 2 s budget" in str(caught.value)
    assert time.monotonic() - start < 2.0 + SECONDS / 3


def test_the_in_process_extractor_stops_between_pages_at_its_deadline() -> None:
    data = pdf_bytes([["page"]] * 5)
    ticks = iter(range(100))
    with pytest.raises(SourceUnreadable, match="time budget"):
        extract_pages(data, where="x.pdf", deadline=2, clock=lambda: next(ticks))


def test_the_extracting_process_stays_within_its_memory_bound(tmp_path: Path) -> None:
    """In a fresh process (so no other child counts), ground two bombs and read the children's peak RSS."""
    (tmp_path / "bomb.pdf").write_bytes(pdf_of_streams([deflate_bomb(512 << 20)]))
    (tmp_path / "many.pdf").write_bytes(pdf_of_streams([deflate_bomb(7 << 20)] * 40))
    script = textwrap.dedent(
        f"""
        import json, resource
        from pathlib import Path
        from provenance.sources.errors import SourceUnreadable
        from provenance.sources.pdf import PdfDocument
        errors = []
        for name in ("bomb.pdf", "many.pdf"):
            try:
                PdfDocument(Path({str(tmp_path)!r}, name).read_bytes(), where=name)
            except SourceUnreadable as exc:
                errors.append(str(exc))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        print(json.dumps({{"errors": errors, "children_peak": peak}}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    report = json.loads(proc.stdout)
    assert len(report["errors"]) == 2
    assert report["children_peak"] < 400 << 20, report
