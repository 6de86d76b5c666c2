"""Read-only views of a bag (a directory or a zip of one); nothing is written or extracted."""

from __future__ import annotations

import os
import stat
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from archive.bag.paths import unsafe_reason
from archive.errors import ArchiveInputError


@dataclass(frozen=True)
class Entry:
    """One thing found in a bag: a regular file, or something we refuse (``kind`` says what)."""

    name: str
    size: int
    kind: str  # "file", "symlink", "special", "unsafe", "encrypted", "duplicate"
    detail: str = ""


class BagSource(Protocol):
    """Read-only view of a bag, a directory or a zip; never writes, never extracts."""

    label: str

    def entries(self) -> list[Entry]: ...

    def open(self, name: str) -> IO[bytes]: ...

    def close(self) -> None: ...


class DirectorySource:
    """A bag directory. Walks without following symlinks; opens only files it walked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)
        self._real = Path(os.path.realpath(root))
        self._real_dirs: dict[str, Path] = {}

    def entries(self) -> list[Entry]:
        found: list[Entry] = []
        stack = [""]
        while stack:
            rel = stack.pop()
            with os.scandir(self.root / rel if rel else self.root) as it:
                items = sorted(it, key=lambda e: e.name)
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

    def close(self) -> None:
        pass


class ZipSource:
    """A zipped bag, read entry by entry as streams; nothing is extracted.

    The zip must hold one top directory (the bag); names are given relative to it.
    Each thread gets its own :class:`zipfile.ZipFile` handle.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self._local = threading.local()
        self._handles: list[zipfile.ZipFile] = []
        self._lock = threading.Lock()
        try:
            first = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise ArchiveInputError(f"{path}: not a readable zip ({exc})", remedy="give a bag directory or its zip") from None
        self._register(first)
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._entries: list[Entry] = []
        self.top = ""
        self._scan(first)

    def _register(self, handle: zipfile.ZipFile) -> None:
        with self._lock:
            self._handles.append(handle)
        self._local.zf = handle

    def _handle(self) -> zipfile.ZipFile:
        handle: zipfile.ZipFile | None = getattr(self._local, "zf", None)
        if handle is None:
            handle = zipfile.ZipFile(self.path)
            self._register(handle)
        return handle

    def _scan(self, zf: zipfile.ZipFile) -> None:
        tops: set[str] = set()
        for info in zf.infolist():
            tops.add(info.filename.split("/", 1)[0])
        if len(tops) != 1:
            raise ArchiveInputError(
                f"{self.path}: a bag zip holds exactly one top directory, found {len(tops)}",
                remedy="zip the bag directory itself",
            )
        self.top = tops.pop()
        seen: set[str] = set()
        for info in zf.infolist():
            raw = info.filename
            if raw in (self.top, self.top + "/"):
                continue
            if not raw.startswith(self.top + "/"):
                self._entries.append(Entry(raw, 0, "unsafe", "outside the top directory"))
                continue
            name = raw[len(self.top) + 1 :]
            mode = (info.external_attr >> 16) & 0xFFFF
            if info.is_dir() and not stat.S_ISLNK(mode):
                continue
            reason = unsafe_reason(name.rstrip("/")) or unsafe_reason(self.top)
            if reason:
                self._entries.append(Entry(name, 0, "unsafe", reason))
            elif name in seen:
                self._entries.append(Entry(name, info.file_size, "duplicate", "listed twice in the zip"))
            elif stat.S_ISLNK(mode):
                self._entries.append(Entry(name, 0, "symlink", "symlink entry in the zip"))
            elif mode and not stat.S_ISREG(mode):
                self._entries.append(Entry(name, 0, "special", "not a regular file entry"))
            elif info.flag_bits & 0x1:
                self._entries.append(Entry(name, info.file_size, "encrypted", "encrypted zip entry"))
            else:
                self._infos[name] = info
                self._entries.append(Entry(name, info.file_size, "file"))
            seen.add(name)

    def entries(self) -> list[Entry]:
        return list(self._entries)

    def open(self, name: str) -> IO[bytes]:
        return self._handle().open(self._infos[name])

    def close(self) -> None:
        with self._lock:
            for handle in self._handles:
                handle.close()
            self._handles.clear()


def open_source(path: str | os.PathLike[str]) -> BagSource:
    """A :class:`BagSource` for a bag directory or a zip of one; typed error otherwise."""
    p = Path(path)
    if p.is_symlink():
        raise ArchiveInputError(f"{p}: the bag path is a symlink", remedy="give the real path")
    if p.is_dir():
        return DirectorySource(p)
    if p.is_file():
        if not zipfile.is_zipfile(p):
            raise ArchiveInputError(f"{p}: neither a bag directory nor a zip", remedy="give a bag directory or its zip")
        return ZipSource(p)
    raise ArchiveInputError(f"{p}: no such bag", remedy="check the path")

