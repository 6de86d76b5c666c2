"""What a bag reader sees: :class:`Entry` per thing found, behind the :class:`BagSource` interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, Protocol


@dataclass(frozen=True)
class Entry:
    """One thing found in a bag: a regular file, or something we refuse (``kind`` says what)."""

    name: str
    size: int
    kind: str  # "file", "symlink", "special", "unsafe", "encrypted", "duplicate", "unsupported", "refused"
    detail: str = ""


class BagSource(Protocol):
    """Read-only view of a bag, a directory or a zip; never writes, never extracts."""

    label: str

    def entries(self) -> list[Entry]: ...

    def open(self, name: str) -> IO[bytes]: ...

    def layout_problems(self) -> list[str]:
        """Bytes of the container that belong to no member nor its fixed structure (a zip's); [] if none."""
        ...

    def close(self) -> None: ...
