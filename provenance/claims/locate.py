"""Where input values occur in given source files, for a person to confirm (``claims locate``, ``claims suggest``).

Each occurrence comes with the file, its sha256, a structured locator that
resolves back to it (a person can paste ``{"file", "sha256", "locator"}`` as
the input's ``source``), and the span. Nothing here is a verdict: a value that
occurs in a source is not thereby the value the claim means.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provenance.claims.model import Claim
from provenance.inputfile import read_input_bytes
from provenance.sources.document import Form
from provenance.sources.grounding import MAX_SOURCE_BYTES, open_document, span_of

MAX_LOCATIONS = 20
"""Occurrences listed per value (all are counted)."""


@dataclass(frozen=True)
class Location:
    """One occurrence of a value: file, digest, form, a locator that resolves to it, and the span."""

    file: str
    sha256: str
    form: Form
    locator: dict[str, Any]
    span: str

    def source(self) -> dict[str, Any]:
        """The ``source`` object an input could cite (unconfirmed until a person checks the span)."""
        return {"file": self.file, "sha256": self.sha256, "locator": self.locator}

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "form": self.form, "locator": self.locator, "span": self.span}


class SourceIndex:
    """The occurrences of the wanted values (plain decimal strings) in the given files, each file parsed once.

    ``files`` are ``(name, bytes)``; a file that cannot be read as its form
    raises :class:`provenance.sources.errors.SourceUnreadable` naming it.
    """

    def __init__(self, files: Sequence[tuple[str, bytes]], wanted: Iterable[str]) -> None:
        wanted_set = frozenset(wanted)
        self._where: dict[str, list[Location]] = {}
        self._count: dict[str, int] = {}
        for name, data in files:
            digest = hashlib.sha256(data).hexdigest()
            document = open_document(name, data)
            for hit in document.find(wanted_set):
                self._count[hit.plain] = self._count.get(hit.plain, 0) + 1
                listed = self._where.setdefault(hit.plain, [])
                if len(listed) < MAX_LOCATIONS:
                    listed.append(Location(name, digest, document.form, hit.locator.to_json(), span_of(hit.place, hit.place.start)))

    def where(self, plain: str) -> tuple[list[Location], int]:
        """(the first :data:`MAX_LOCATIONS` occurrences of ``plain``, how many there are in all)."""
        return list(self._where.get(plain, [])), self._count.get(plain, 0)

    def unique(self, plain: str) -> Location | None:
        """The occurrence of ``plain`` when there is exactly one."""
        listed, count = self.where(plain)
        return listed[0] if count == 1 else None


@dataclass(frozen=True)
class Located:
    """Where one input value of one claim's check occurs."""

    claim_id: str
    input: str
    value: str
    locations: tuple[Location, ...]
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "input": self.input,
            "value": self.value,
            "count": self.count,
            "locations": [location.to_json() for location in self.locations],
            "confirmed": False,
        }


def locate(claims: Iterable[Claim], files: Sequence[tuple[str, bytes]]) -> list[Located]:
    """For every input of every check (claims without a readable check are skipped), where its value occurs in ``files``.

    An input whose source gives ``as_written`` is looked for as written.
    """
    wanted: list[tuple[str, str, str]] = []
    for claim in claims:
        if claim.check is None:
            continue
        for name, item in claim.check.inputs.items():
            written = item.source.as_written if item.source is not None else None
            wanted.append((claim.id, name, written if written is not None else item.value))
    index = SourceIndex(files, (value for _, _, value in wanted))
    out = []
    for claim_id, name, value in wanted:
        listed, count = index.where(value)
        out.append(Located(claim_id, name, value, tuple(listed), count))
    return out


def source_files(paths: Sequence[Path], base: Path) -> list[tuple[str, bytes]]:
    """The ``(name, bytes)`` of each source a person names, each name relative to ``base`` (the claims file's
    directory, which checks cite from) when the file lies under it, so that a located ``file`` resolves as cited.

    :class:`provenance.errors.InputError` when a file is missing, unreadable or over :data:`MAX_SOURCE_BYTES`.
    """
    root = base.resolve()
    named = []
    for path in paths:
        data = read_input_bytes(path, max_bytes=MAX_SOURCE_BYTES, what="a source file")
        resolved = path.resolve()
        name = resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else path.as_posix()
        named.append((name, data))
    return named
