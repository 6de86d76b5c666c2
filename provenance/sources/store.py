"""The file-system :class:`~provenance.sources.grounding.SourceStore`: cited files under one base directory."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from provenance.sources.errors import SourceError, SourceUnreadable


class DirectoryStore:
    """Reads cited files under ``base`` (a bundle's directory, or the directory of a claims file).

    A cited path must be relative, use "/" and stay inside ``base`` (no "..",
    no link leading out); anything else is a :class:`SourceError`.
    """

    def __init__(self, base: Path) -> None:
        self.base = base.resolve()

    def path(self, relative: str) -> Path:
        """The file ``relative`` names under the base; :class:`SourceError` for a path that leaves it."""
        pure = PurePosixPath(relative)
        if pure.is_absolute() or ".." in pure.parts or "\\" in relative or "\x00" in relative:
            raise SourceError(
                f"source path {relative!r} must be relative and stay inside the bundle",
                where=str(self.base),
                remedy="cite the source by its path relative to the bundle directory",
            )
        path = (self.base / pure).resolve()
        if not path.is_relative_to(self.base):
            raise SourceError(
                f"source path {relative!r} leaves the bundle through a link", where=str(self.base), remedy="cite a file inside the bundle"
            )
        return path

    def read(self, relative: str, max_bytes: int) -> bytes | None:
        """The file's bytes; ``None`` when it is not a file; :class:`SourceUnreadable` when over ``max_bytes``."""
        path = self.path(relative)
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise SourceUnreadable(f"file is over {max_bytes} bytes", where=relative, remedy="cite a smaller file")
        return data
