"""Read-only views of a bag: a directory or a zip of one. Nothing is written or extracted.

:func:`open_source` picks the view; :class:`DirectorySource` walks a directory
without following symlinks; :class:`~archive.bag.zipsource.ZipSource` reads a zip.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from typing import IO

from archive.bag.entries import BagSource, Entry
from archive.bag.limits import DEFAULT_LIMITS, BagLimits
from archive.bag.paths import unsafe_reason
from archive.bag.zipsource import ZipSource
from archive.errors import ArchiveInputError

__all__ = ["BagSource", "DirectorySource", "Entry", "ZipSource", "open_source"]


class DirectorySource:
    """A bag directory. Walks without following symlinks; opens only files it walked."""

    def __init__(self, root: Path, limits: BagLimits = DEFAULT_LIMITS) -> None:
        self.root = root
        self.label = str(root)
        self._limits = limits
        self._real = Path(os.path.realpath(root))
        self._real_dirs: dict[str, Path] = {}

    def entries(self) -> list[Entry]:
        found: list[Entry] = []
        stack = [""]
        seen = 0
        while stack:
            rel = stack.pop()
            with os.scandir(self.root / rel if rel else self.root) as it:
                items = sorted(it, key=lambda e: e.name)
            seen += len(items)
            if seen > self._limits.max_members:
                return [Entry("", 0, "refused", f"the bag has more than {self._limits.max_members} files and "
                              "directories, over the limit; nothing was read")]
            for item in items:
                name = f"{rel}/{item.name}" if rel else item.name
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError as exc:
                    found.append(Entry(name, 0, "special", f"cannot stat: {exc.strerror}"))
                    continue
                if stat.S_ISLNK(st.st_mode):
                    target = os.readlink(item.path)
                    found.append(Entry(name, 0, "symlink", f"symlink to {target!r}"))
                elif stat.S_ISDIR(st.st_mode):
                    stack.append(name)
                elif stat.S_ISREG(st.st_mode):
                    reason = unsafe_reason(name)
                    if reason is None and ("\n" in name or "\r" in name):
                        reason = None  # legal on disk; manifests encode it
                    found.append(Entry(name, st.st_size, "unsafe" if reason else "file", reason or ""))
                else:
                    found.append(Entry(name, 0, "special", "not a regular file (device, fifo or socket)"))
        return found

    def open(self, name: str) -> IO[bytes]:
        parent, _, base = name.rpartition("/")
        real_parent = self._real_dirs.get(parent)
        if real_parent is None:
            real_parent = Path(os.path.realpath(self.root / parent)) if parent else self._real
            self._real_dirs[parent] = real_parent
        # Containment by resolved path (never string prefixes); the last component is never followed.
        if not real_parent.is_relative_to(self._real) or base in ("", ".", ".."):
            raise ArchiveInputError(f"{name}: resolves outside the bag", remedy="remove the link")
        fd = os.open(real_parent / base, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        return os.fdopen(fd, "rb", buffering=0)

    def layout_problems(self) -> list[str]:
        return []

    def close(self) -> None:
        pass


def open_source(path: str | os.PathLike[str], limits: BagLimits = DEFAULT_LIMITS) -> BagSource:
    """A :class:`BagSource` for a bag directory or a zip of one; typed error otherwise."""
    p = Path(path)
    if p.is_symlink():
        raise ArchiveInputError(f"{p}: the bag path is a symlink", remedy="give the real path")
    if p.is_dir():
        return DirectorySource(p, limits)
    if p.is_file():
        if not zipfile.is_zipfile(p):
            if _starts_like_a_zip(p):
                raise ArchiveInputError(f"{p}: a truncated or damaged zip (its end record is missing)",
                                        remedy="copy or download the zip again")
            raise ArchiveInputError(f"{p}: neither a bag directory nor a zip", remedy="give a bag directory or its zip")
        return ZipSource(p, limits)
    if p.exists():
        raise ArchiveInputError(f"{p}: not a regular file or directory", remedy="give a bag directory or its zip")
    raise ArchiveInputError(f"{p}: no such bag", remedy="check the path")


def _starts_like_a_zip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"PK\x03\x04"

