"""Ground one input in its source: file bytes, digest, structured locator, value as written -> a record.

An input is grounded (``found``) when its cited file is there with the cited
sha256, the locator names exactly one place in it, and at that place a number
token (:mod:`provenance.sources.numbers`) is the value as written: its plain
form is the input's ``value``, or the ``as_written`` form the check gives
("8.20" for a source that wrote 8.20 where the check computes with 8.2).
Otherwise the record says ``not found`` (missing file, digest mismatch,
unreadable file, locator past the end or not matching, value not at the
place) or ``ambiguous`` (the locator matches more than one place), and why.

Files come through a one-method :class:`SourceStore`; each file is read,
hashed and parsed once per :class:`Grounder`, so grounding many inputs of one
file costs one parse. Pure apart from the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from provenance.decimal_text import parse_decimal
from provenance.sources.document import Document, Form, Miss, Place
from provenance.sources.errors import SourceError, SourceUnreadable
from provenance.sources.locator import Locator, locator_json
from provenance.sources.normalise import NORMALISATION
from provenance.sources.numbers import TOKEN_RULE, iter_tokens, occurrences

if TYPE_CHECKING:  # each form's reader loads when a source of that form is read
    from provenance.sources.pdf import PageExtractor

GroundingStatus = Literal["found", "not found", "ambiguous"]

MAX_SPAN_CHARS = 300
"""Longest span recorded: the located text, or a window of it around the value."""
MAX_SOURCE_BYTES = 64 << 20
"""Largest source file read (any form)."""

_FORMS: dict[str, Form] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".tex": "latex",
    ".latex": "latex",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
}


class SourceStore(Protocol):
    """Where cited files are read (a bundle directory, memory, ...)."""

    def read(self, relative: str, max_bytes: int) -> bytes | None:
        """The bytes of ``relative``; ``None`` when there is no such file; :class:`SourceError` when it is over ``max_bytes`` or the path is refused."""
        ...


class MemoryStore:
    """A :class:`SourceStore` over a mapping of relative path -> bytes."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = dict(files)

    def read(self, relative: str, max_bytes: int) -> bytes | None:
        data = self.files.get(relative)
        if data is not None and len(data) > max_bytes:
            raise SourceUnreadable(f"file is {len(data)} bytes, over {max_bytes}", where=relative, remedy="cite a smaller file")
        return data


def form_of(path: str, data: bytes) -> Form:
    """The form of a source: by its extension, else a PDF by its header, else plain text."""
    form = _FORMS.get(PurePosixPath(path).suffix.lower())
    if form is not None:
        return form
    from provenance.sources.pdf import looks_like_pdf

    return "pdf" if looks_like_pdf(data) else "text"


def open_document(path: str, data: bytes, *, pdf: PageExtractor | None = None) -> Document:
    """The parsed document of a source's bytes; :class:`SourceUnreadable` when it cannot be read as its form.

    ``pdf`` extracts PDF text (default: :class:`provenance.sources.pdf.IsolatedExtractor`).
    """
    form = form_of(path, data)
    if form == "pdf":
        from provenance.sources.pdf import PdfDocument

        return PdfDocument(data, where=path, extractor=pdf)
    if form == "csv" or form == "tsv":
        from provenance.sources.delimited import Table

        return Table(data, form, where=path)
    from provenance.sources.text import TextDocument

    return TextDocument(data, form, where=path)


@dataclass(frozen=True)
class Grounding:
    """Whether one input's value stands at the place its locator names, and the evidence."""

    input: str
    file: str
    sha256: str | None  # of the bytes read; None when the file is missing
    locator: Any  # as cited (JSON)
    value: str
    status: GroundingStatus
    reason: str
    as_written: str | None = None
    form: Form | None = None
    resolved: Mapping[str, Any] | None = None
    span: str | None = None
    span_sha256: str | None = None
    extractor: str | None = None  # the PDF library and version

    def to_json(self) -> dict[str, Any]:
        """The grounding record of verdict-v1 ``grounding`` (see the schema)."""
        out: dict[str, Any] = {
            "input": self.input,
            "file": self.file,
            "sha256": self.sha256,
            "locator": self.locator,
            "value": self.value,
            "status": self.status,
            "reason": self.reason,
            "form": self.form,
            "resolved": dict(self.resolved) if self.resolved is not None else None,
            "span": self.span,
            "span_sha256": self.span_sha256,
            "normalisation": NORMALISATION,
            "token_rule": TOKEN_RULE,
        }
        if self.as_written is not None:
            out["as_written"] = self.as_written
        if self.extractor is not None:
            out["extractor"] = self.extractor
        return out


def span_of(place: Place, focus: int | None = None) -> str:
    """The located text, or a :data:`MAX_SPAN_CHARS` window of it starting near ``focus`` (an offset in ``place.text``)."""
    if place.end - place.start <= MAX_SPAN_CHARS:
        return place.text[place.start : place.end]
    at = place.start if focus is None else max(place.start, focus - MAX_SPAN_CHARS // 3)
    end = min(place.end, at + MAX_SPAN_CHARS)
    return place.text[max(place.start, end - MAX_SPAN_CHARS) : end]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Grounder:
    """Grounds inputs in the files of one :class:`SourceStore`, reading, hashing and parsing each file once."""

    def __init__(self, store: SourceStore, *, pdf: PageExtractor | None = None) -> None:
        self.store = store
        self.pdf = pdf
        self._bytes: dict[str, bytes | None | SourceError] = {}
        self._digests: dict[str, str | None] = {}
        self._documents: dict[str, Document | SourceError] = {}

    def _read(self, relative: str) -> bytes | None:
        if relative not in self._bytes:
            try:
                self._bytes[relative] = self.store.read(relative, MAX_SOURCE_BYTES)
            except SourceError as exc:
                self._bytes[relative] = exc
        known = self._bytes[relative]
        if isinstance(known, SourceError):
            raise known
        return known

    def digest(self, relative: str) -> str | None:
        """sha256 of the file, or ``None`` when it is missing; :class:`SourceError` when it cannot be read."""
        if relative not in self._digests:
            data = self._read(relative)
            self._digests[relative] = hashlib.sha256(data).hexdigest() if data is not None else None
        return self._digests[relative]

    def document(self, relative: str) -> Document:
        """The parsed file (parsed once); :class:`SourceError` when it is missing or unreadable."""
        known = self._documents.get(relative)
        if known is None:
            try:
                data = self._read(relative)
                if data is None:
                    raise SourceError("no such file", where=relative, remedy="carry the source in the bundle")
                known = open_document(relative, data, pdf=self.pdf)
            except SourceError as exc:
                known = exc
            self._documents[relative] = known
            self._bytes.pop(relative, None)  # parsed: the bytes are no longer needed
        if isinstance(known, SourceError):
            raise known
        return known

    def ground(
        self, name: str, value: str, *, file: str, sha256: str, locator: Locator, as_written: str | None = None
    ) -> Grounding:
        """The grounding record of input ``name`` (value ``value``) cited at ``locator`` in ``file`` with ``sha256``."""
        base: dict[str, Any] = {"input": name, "file": file, "locator": locator_json(locator), "value": value, "as_written": as_written}
        try:
            actual = self.digest(file)
        except SourceError as exc:
            return Grounding(sha256=None, status="not found", reason=f"{file} cannot be read: {exc.message}", **base)
        if actual is None:
            return Grounding(sha256=None, status="not found", reason=f"{file} is not among the sources", **base)
        if actual != sha256:
            reason = f"{file} has sha256 {actual[:12]}..., the check cites {sha256[:12]}...: not the cited source"
            return Grounding(sha256=actual, status="not found", reason=reason, **base)
        try:
            document = self.document(file)
        except SourceError as exc:
            return Grounding(sha256=actual, status="not found", reason=f"{file} is unreadable: {exc.message}", **base)
        base.update(sha256=actual, form=document.form, extractor=document.extractor)
        place = document.resolve(locator)
        if isinstance(place, Miss):
            return Grounding(status=place.status, reason=f"{file}: {place.reason}", **base)
        return _at_place(place, value, as_written, file, base)


def _at_place(place: Place, value: str, as_written: str | None, file: str, base: dict[str, Any]) -> Grounding:
    written = as_written if as_written is not None else value
    found = occurrences(place.text, written, place.start, place.end)
    span = span_of(place, found[0].start if found else None)
    evidence: dict[str, Any] = {"resolved": place.resolved, "span": span, "span_sha256": _sha256(span)}
    if found:
        return Grounding(status="found", reason=f"{written} found at {place.what} of {file}", **base, **evidence)
    reason = f"{written} is not written at {place.what} of {file}"
    target = parse_decimal(value)
    other = next(
        (t.plain for t in iter_tokens(place.text, place.start, place.end) if t.end <= place.end and parse_decimal(t.plain) == target),
        None,
    )
    if other is not None:
        reason += f"; it is written there as {other}: give as_written {other!r}"
    return Grounding(status="not found", reason=reason, **base, **evidence)

