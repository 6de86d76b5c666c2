"""One verification's state: its checklist, the bag's documents parsed once, and what the signature vouches for.

Work on bytes no valid signature vouches for is bounded: a document larger
than :data:`UNVOUCHED_BYTES` whose digest is not one the attestation signed
(or when the attestation does not verify at all) is not parsed or
re-checked; one ``skip`` line says why. The attestation itself is exempt while it
has the shape of one DSSE envelope (:func:`~provenance.signing.dsse.has_envelope_shape`):
it is what vouches, its signature is checked before its payload is used, the bag
reader bounds its bytes (``keep_each``), and one subject per payload file makes it
pass 1 MiB near 5,000 files. Findings are capped per kind and
status (:data:`FINDINGS_PER_KIND`), with one line counting the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from archive.bag import BagReport
from provenance.bundle.layout import ATTESTATION
from provenance.bundle.verify.cache import NO_CACHE, VerifyCache
from provenance.bundle.verify.findings import Finding, Status
from provenance.errors import InputError
from provenance.jsonio import loads_strict
from provenance.signing.dsse import has_envelope_shape

UNVOUCHED_BYTES = 1024 * 1024
"""Documents up to this size are checked even when no valid signature vouches for them."""
FINDINGS_PER_KIND = 200
"""At most this many findings of one kind (the id up to its first dot) and status are listed."""

_FAILED = object()


class Checklist:
    """The findings of one verification, the bag it reads, and the cache its checks may use."""

    def __init__(self, bag: BagReport, cache: VerifyCache = NO_CACHE) -> None:
        self.bag = bag
        self.cache = cache
        self.items: list[Finding] = []
        self.sha256: dict[str, str] = {name: d["sha256"] for name, d in bag.files.items()}
        self.changed: set[str] = set()
        """Files whose bytes disagree with the bag's manifests (named once, by the bag check)."""
        self.signed: Mapping[str, str | None] | None = None
        """The signed subjects (name -> sha256) once the attestation verified; None while nothing vouches."""
        self._counts: dict[tuple[str, Status], int] = {}
        self._overflow: dict[tuple[str, Status], int] = {}
        self._parsed: dict[str, Any] = {}
        self._reported: set[str] = set()
        self._skipped: set[str] = set()

    # ---------------------------------------------------------------- findings

    def add(self, id_: str, status: Status, message: str, file: str | None = None) -> None:
        key = (id_.split(".", 1)[0], status)
        count = self._counts.get(key, 0)
        if count >= FINDINGS_PER_KIND:
            self._overflow[key] = self._overflow.get(key, 0) + 1
            return
        self._counts[key] = count + 1
        self.items.append(Finding(id_, status, message, file))

    def ok(self, id_: str, message: str, file: str | None = None) -> None:
        self.add(id_, "ok", message, file)

    def fail(self, id_: str, message: str, file: str | None = None) -> None:
        self.add(id_, "fail", message, file)

    def skip(self, id_: str, message: str, file: str | None = None) -> None:
        self.add(id_, "skip", message, file)

    def has(self, id_: str, status: Status | None = None) -> bool:
        return any(f.id == id_ and (status is None or f.status == status) for f in self.items)

    def findings(self) -> tuple[Finding, ...]:
        """Every finding, then one line per kind and status that was capped."""
        more = [Finding(f"{kind}.more", status, f"{n} more {status} finding(s) of {kind} not listed")
                for (kind, status), n in sorted(self._overflow.items())]
        return (*self.items, *more)

    # ---------------------------------------------------------------- documents

    def vouched(self, name: str) -> bool:
        """True when the attestation verified and signed exactly these bytes of ``name``."""
        return self.signed is not None and name in self.sha256 and self.signed.get(name) == self.sha256[name]

    def too_costly(self, name: str) -> bool:
        """True (with one ``skip`` line) for a large file no valid signature vouches for: it is not checked."""
        digests = self.bag.files.get(name)
        if digests is None or digests.size <= UNVOUCHED_BYTES or self.vouched(name):
            return False
        if name == ATTESTATION and has_envelope_shape(self.bag.contents.get(name, b"")):
            return False
        if name not in self._skipped:
            self._skipped.add(name)
            why = ("the attestation does not verify" if self.signed is None
                   else "its digest is not the one the attestation signed")
            self.skip("unvouched", f"{digests.size} bytes not checked: {why}, so nothing vouches for them", name)
        return True

    def json(self, name: str, *, required: bool = True, record: bool = True) -> Any:
        """The document ``name`` parsed strictly (once per verification), or None.

        With ``record``, a missing, unreadable or invalid document is a ``fail`` finding
        (once); a large unvouched one is a ``skip`` (:meth:`too_costly`).
        """
        if self.too_costly(name):
            return None
        if name not in self._parsed:
            data = self.bag.contents.get(name)
            if data is None:
                problem = ("too large to read" if name in self.bag.files else "missing from the bundle")
                self._parsed[name] = (_FAILED, problem)
            else:
                try:
                    self._parsed[name] = loads_strict(data, source=name)
                except InputError as exc:
                    self._parsed[name] = (_FAILED, exc.message)
                except ValueError as exc:  # e.g. an integer over Python's digit limit, if the reader let it through
                    self._parsed[name] = (_FAILED, f"not a JSON document we can read ({exc})")
        value = self._parsed[name]
        if isinstance(value, tuple) and len(value) == 2 and value[0] is _FAILED:
            if record and required and name not in self._reported:
                self._reported.add(name)
                self.fail(f"document.{name}", str(value[1]), name)
            return None
        return value
