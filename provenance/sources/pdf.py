"""PDF sources: the text of each page, extracted by one pinned pure-Python library, within bounds.

The library is ``pypdf`` (pure Python, no dependencies of its own, typed, with
per-context limits on decompression and parsing); its name and version, as
the extracting process reads them from the installed distribution, go into
every grounding record of a PDF, so a verdict says how its text was
extracted. A page's text is ``PageObject.extract_text()`` (pypdf's default
"plain" mode), normalised by :func:`provenance.sources.normalise.normalise`.

A hostile file is a clean :class:`SourceUnreadable`, never a crash, a hang or a
memory blow-up. Inside :func:`extract_pages`: at most :data:`MAX_PDF_BYTES`
bytes and :data:`MAX_PAGES` pages; each stream decompresses to at most
:data:`MAX_STREAM_BYTES` bytes (the decompression-bomb limit, for every filter
pypdf has); the page contents of one file add up to at most
:data:`MAX_CONTENT_BYTES`; page text to :data:`MAX_TEXT_CHARS`; parsing and
form invocations are capped; external decoders are never run. And since one
page's extraction can still be slow, :class:`IsolatedExtractor` (the default)
runs it in a child process of this Python with an address-space limit of
:data:`MEMORY_LIMIT_BYTES`, killed at :data:`TIME_BUDGET_SECONDS`.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Set
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from provenance.sources.document import Form, Hit, Miss, Place, quote_around, resolve_quote, wrong_shape
from provenance.sources.errors import SourceUnreadable
from provenance.sources.locator import Locator, QuoteLocator
from provenance.sources.normalise import normalise
from provenance.sources.numbers import iter_tokens

LIBRARY = "pypdf"
"""The PDF text extractor (a distribution name)."""
MAX_PDF_BYTES = 64 << 20
"""Largest PDF read."""
MAX_PAGES = 2_000
"""Most pages a PDF may have."""
MAX_STREAM_BYTES = 8 << 20
"""Most bytes one stream may decompress to (the decompression-bomb limit)."""
MAX_CONTENT_BYTES = 96 << 20
"""Most bytes of decoded page content read from one file."""
MAX_TEXT_CHARS = 32 << 20
"""Most characters of text extracted from one file."""
TIME_BUDGET_SECONDS = 60.0
"""Wall-clock budget for extracting one file."""
MEMORY_LIMIT_BYTES = 1 << 30
"""Address-space limit of the extracting process."""

_HOSTILE_REMEDY = "cite a well-formed PDF, or the same text as a text file"

# pypdf logs what it repairs; the library must not print, so its records stop here unless the application routes them.
logging.getLogger(LIBRARY).addHandler(logging.NullHandler())


def extractor_name() -> str:
    """``"pypdf <version>"``, the version read from the installed distribution."""
    from importlib import metadata

    return f"{LIBRARY} {metadata.version(LIBRARY)}"


def _limits() -> AbstractContextManager[Any]:
    import pypdf

    return pypdf.apply_configuration(
        maximum_declared_stream_length=MAX_PDF_BYTES,
        array_based_stream_maximum_output_length=MAX_STREAM_BYTES,
        jbig2_maximum_output_length=MAX_STREAM_BYTES,
        lzw_maximum_output_length=MAX_STREAM_BYTES,
        run_length_maximum_output_length=MAX_STREAM_BYTES,
        zlib_maximum_output_length=MAX_STREAM_BYTES,
        zlib_maximum_recovery_input_length=1 << 20,
        brotli_maximum_output_length=MAX_STREAM_BYTES,
        image_maximum_buffer_size=MAX_STREAM_BYTES,
        stream_decoding_work_maximum_length=4 * MAX_STREAM_BYTES,
        stream_parsing_work_maximum_count=500_000,
        page_tree_maximum_entries=4 * MAX_PAGES,
        page_tree_maximum_page_entries=4 * MAX_PAGES,
        xform_maximum_invocations_per_extraction=200,
        jbig2dec_binary=None,
        disable_legacy_handling=True,
    )


def _unreadable(message: str, where: str) -> SourceUnreadable:
    return SourceUnreadable(message, where=where, remedy=_HOSTILE_REMEDY)


def looks_like_pdf(data: bytes) -> bool:
    """True when ``data`` starts (after whitespace) with the ``%PDF-`` header."""
    return data.lstrip(b"\x00\t\n\f\r ")[:5] == b"%PDF-"


def precheck(data: bytes, *, where: str) -> None:
    """:class:`SourceUnreadable` unless ``data`` starts like a PDF and is at most :data:`MAX_PDF_BYTES` long."""
    if len(data) > MAX_PDF_BYTES:
        raise _unreadable(f"PDF is {len(data)} bytes, over {MAX_PDF_BYTES >> 20} MiB", where)
    if not looks_like_pdf(data):
        raise _unreadable("not a PDF (no %PDF- header)", where)


def extract_pages(data: bytes, *, where: str, deadline: float | None = None, clock: Callable[[], float] = time.monotonic) -> list[str]:
    """The raw text of every page of a PDF, in this process, within the bounds of the module docstring.

    ``deadline`` (a ``clock`` reading) is checked before each page.
    """
    precheck(data, where=where)
    import pypdf

    try:
        with _limits():
            reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise _unreadable("PDF is encrypted", where)
            count = len(reader.pages)
            if count > MAX_PAGES:
                raise _unreadable(f"PDF has {count} pages, over {MAX_PAGES}", where)
            pages: list[str] = []
            content = chars = 0
            for number in range(1, count + 1):
                if deadline is not None and clock() > deadline:
                    raise _unreadable(f"PDF text extraction ran over its time budget (at page {number})", where)
                page = reader.pages[number - 1]
                stream = page.get_contents()
                content += len(stream.get_data()) if stream is not None else 0
                if content > MAX_CONTENT_BYTES:
                    raise _unreadable(f"PDF page contents add up to over {MAX_CONTENT_BYTES >> 20} MiB (at page {number})", where)
                text = str(page.extract_text())
                chars += len(text)
                if chars > MAX_TEXT_CHARS:
                    raise _unreadable(f"PDF text adds up to over {MAX_TEXT_CHARS >> 20} Mi characters (at page {number})", where)
                pages.append(text)
            return pages
    except SourceUnreadable:
        raise
    except Exception as exc:  # a third-party parser on hostile bytes: any failure is "unreadable"
        detail = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise _unreadable(f"malformed or hostile PDF ({type(exc).__name__}{': ' + detail if detail else ''})", where) from None


@dataclass(frozen=True)
class Extracted:
    """The raw text of each page, and the extractor that read it (``"pypdf 7.1.1"``)."""

    pages: list[str]
    extractor: str


class PageExtractor(Protocol):
    """Extracts the text of every page of a PDF."""

    def extract(self, data: bytes, *, where: str) -> Extracted:
        """The pages' text; :class:`SourceUnreadable` when the file cannot be read within bounds."""
        ...


class InProcessExtractor:
    """:func:`extract_pages` in this process (bounded in size, not in the time one page takes)."""

    def __init__(self, budget: float = TIME_BUDGET_SECONDS) -> None:
        self.budget = budget

    def extract(self, data: bytes, *, where: str) -> Extracted:
        return Extracted(extract_pages(data, where=where, deadline=time.monotonic() + self.budget), extractor_name())


# The child finds this very package even when it is run from a checkout rather than installed (-I ignores PYTHONPATH).
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_WORKER = "import sys; sys.path.insert(0, sys.argv[1]); from provenance.sources.pdf_worker import main; sys.exit(main(sys.argv[1:]))"


class IsolatedExtractor:
    """:func:`extract_pages` in a child Python process (:mod:`provenance.sources.pdf_worker`), killed at
    ``timeout`` seconds, its address space limited to ``memory`` bytes."""

    def __init__(self, timeout: float = TIME_BUDGET_SECONDS, memory: int = MEMORY_LIMIT_BYTES) -> None:
        self.timeout = timeout
        self.memory = memory

    def extract(self, data: bytes, *, where: str) -> Extracted:
        argv = [sys.executable, "-I", "-c", _WORKER, _PACKAGE_ROOT, str(self.memory), str(self.timeout)]
        try:
            proc = subprocess.run(argv, input=data, capture_output=True, timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            raise _unreadable(f"PDF text extraction ran over its {self.timeout:g} s budget", where) from None
        if proc.returncode != 0:
            last = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            why = "out of memory" if "MemoryError" in last[0] else f"exit {proc.returncode}"
            raise _unreadable(f"PDF text extraction failed ({why}: {last[0][:200]})", where)
        try:
            answer = json.loads(proc.stdout)
        except ValueError:
            raise _unreadable("PDF text extraction gave no readable answer", where) from None
        if "error" in answer:
            raise _unreadable(str(answer["error"]), where)
        return Extracted([str(page) for page in answer["pages"]], str(answer["extractor"]))


class PdfDocument:
    """A PDF's pages, extracted once; each page normalised on first need."""

    form: Form = "pdf"

    def __init__(self, data: bytes, *, where: str, extractor: PageExtractor | None = None) -> None:
        precheck(data, where=where)
        extracted = (extractor or IsolatedExtractor()).extract(data, where=where)
        self.extractor: str | None = extracted.extractor
        self._raw = extracted.pages
        self._pages: dict[int, str] = {}
        self.page_count = len(self._raw)

    def page_text(self, number: int) -> str:
        """The normalised text of page ``number`` (1-based, at most :attr:`page_count`)."""
        known = self._pages.get(number)
        if known is None:
            known = self._pages[number] = normalise(self._raw[number - 1])
        return known

    def resolve(self, locator: Locator) -> Place | Miss:
        """The quote on the page ``locator`` names."""
        if not isinstance(locator, QuoteLocator) or locator.page is None:
            return wrong_shape(locator, self.form)
        if locator.page > self.page_count:
            return Miss("not found", f"page {locator.page} is past the end (the PDF has {self.page_count} pages)")
        return resolve_quote(self.page_text(locator.page), locator.quote, f"on page {locator.page}", {"page": locator.page})

    def find(self, wanted: Set[str]) -> Iterator[Hit]:
        """Every occurrence of a wanted value, page by page, with a quote that is unique on its page."""
        for number in range(1, self.page_count + 1):
            text = self.page_text(number)
            for token in iter_tokens(text):
                if token.plain not in wanted:
                    continue
                quote = quote_around(text, token.start, token.end)
                if quote is None:
                    continue
                place = resolve_quote(text, quote, f"on page {number}", {"page": number})
                if isinstance(place, Place):
                    yield Hit(token.plain, QuoteLocator(quote, number), place)
