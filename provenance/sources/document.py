"""What every source form gives: a located place in normalised text, or why there is none.

A form (delimited, text, PDF) parses a file's bytes once into a document that
resolves structured locators to a :class:`Place` (the normalised text, the
``[start, end)`` range the locator names, and its concrete coordinates) or a
:class:`Miss` (``not found`` / ``ambiguous`` and why), and that can list where
given values occur (:class:`Hit`) for ``claims locate``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from provenance.sources.locator import MAX_QUOTE_CHARS, Locator
from provenance.sources.normalise import normalise

Form = Literal["csv", "tsv", "text", "markdown", "latex", "html", "pdf"]
MissStatus = Literal["not found", "ambiguous"]


@dataclass(frozen=True, slots=True)
class Place:
    """The place a locator names: ``text[start:end]`` of normalised ``text``, and its coordinates (``resolved``)."""

    text: str
    start: int
    end: int
    resolved: Mapping[str, Any]
    what: str  # for reasons: "row SQuAD, column gain", "line 12", "the quote on page 3"


@dataclass(frozen=True, slots=True)
class Miss:
    """A locator that names no single place."""

    status: MissStatus
    reason: str


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a wanted value (``plain``): a locator a person can paste, and the place."""

    plain: str
    locator: Locator
    place: Place


class Document(Protocol):
    """A parsed source file of one form."""

    form: Form
    extractor: str | None  # the PDF library and version that extracted the text; None for text forms

    def resolve(self, locator: Locator) -> Place | Miss:
        """The place ``locator`` names, or a :class:`Miss`."""
        ...

    def find(self, wanted: Set[str]) -> Iterator[Hit]:
        """Every occurrence of a number token whose plain form is in ``wanted``, in document order."""
        ...


def wrong_shape(locator: Locator, form: Form) -> Miss:
    """The miss for a locator shape the form does not have."""
    shapes = {
        "csv": '{"row", "column"}',
        "tsv": '{"row", "column"}',
        "pdf": '{"page", "quote"}',
    }.get(form, '{"line"} or {"quote"}')
    return Miss("not found", f"locator {locator.to_json()} does not apply to a {form} file; use {shapes}")


def unique_find(haystack: str, needle: str) -> tuple[int, int]:
    """(first offset of ``needle`` in ``haystack`` or -1, occurrences counted with overlaps, capped at 2)."""
    first = haystack.find(needle)
    if first < 0:
        return -1, 0
    return first, 1 if haystack.find(needle, first + 1) < 0 else 2


def resolve_quote(text: str, quote: str, within: str, extra: Mapping[str, Any]) -> Place | Miss:
    """The one occurrence of the normalised ``quote`` in normalised ``text`` (``within``: "in the file", "on page 3")."""
    needle = normalise(quote)
    first, count = unique_find(text, needle)
    shown = needle if len(needle) <= 60 else needle[:57] + "..."
    if count == 0:
        return Miss("not found", f"the quote {shown!r} is not {within}")
    if count > 1:
        return Miss("ambiguous", f"the quote {shown!r} occurs more than once {within}; quote more of the text around the value")
    what = "the quote" if within == "in the file" else f"the quote {within}"
    return Place(text, first, first + len(needle), {**extra, "offset": first, "length": len(needle)}, what)


def quote_around(text: str, start: int, end: int) -> str | None:
    """The shortest text around ``text[start:end]``, widened a word at a time, that occurs once in ``text``.

    Starts a word before and after; ``None`` when no quote of at most
    :data:`MAX_QUOTE_CHARS` characters is unique.
    """
    lo, hi = start, end
    for _ in range(64):
        lo = _word_edge_left(text, lo)
        hi = _word_edge_right(text, hi)
        candidate = text[lo:hi].strip()
        if len(candidate) > MAX_QUOTE_CHARS:
            return None
        if unique_find(text, candidate)[1] == 1:
            return candidate
        if lo == 0 and hi == len(text):
            return None
    return None


def _word_edge_left(text: str, at: int) -> int:
    at = max(0, at - 1)
    while at > 0 and text[at - 1] == " ":
        at -= 1
    while at > 0 and text[at - 1] != " ":
        at -= 1
    return at


def _word_edge_right(text: str, at: int) -> int:
    size = len(text)
    at = min(size, at + 1)
    while at < size and text[at] == " ":
        at += 1
    while at < size and text[at] != " ":
        at += 1
    return at
