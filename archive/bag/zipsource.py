"""A zipped bag, read in place: members are streamed exactly, nothing is extracted.

The member count is judged from the end record before the central directory is
parsed, so a zip of a million empty members costs nothing. Members are read with
positional reads of one file descriptor (safe across threads): stored data as is,
deflated data inflated; each stream must end exactly at the member's compressed
size with the CRC and size the directory records, and never inflate past that size.
"""

from __future__ import annotations

import io
import os
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from archive.bag.entries import Entry
from archive.bag.limits import DEFAULT_LIMITS, BagLimits
from archive.bag.paths import unsafe_reason
from archive.bag.ziplayout import (
    LOCAL,
    Member,
    ZipEnd,
    ZipLayoutError,
    count_records,
    layout_problems,
    read_end,
    writer_problems,
)
from archive.errors import ArchiveInputError

_READ = 1024 * 1024
_STORED, _DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


class ZipSource:
    """A zipped bag. It must hold one top directory (the bag); names are given relative to it."""

    def __init__(self, path: Path, limits: BagLimits = DEFAULT_LIMITS) -> None:
        self.path = path
        self.label = str(path)
        self.top = ""
        self._limits = limits
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._entries: list[Entry] = []
        self._layout: list[str] | None = None
        self._directory: tuple[ZipEnd, int, list[Member]] | None = None
        self._stream_problems: list[str] = []
        self._lock = threading.Lock()
        try:
            self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError as exc:
            raise ArchiveInputError(f"{path}: cannot open ({exc.strerror})", remedy="check the path") from None
        try:
            self._read_directory()
        except BaseException:
            os.close(self._fd)
            raise

    def _read_directory(self) -> None:
        with os.fdopen(os.dup(self._fd), "rb") as handle:
            try:
                end = read_end(handle)
            except (ZipLayoutError, OSError) as exc:
                raise ArchiveInputError(f"{self.path}: not a readable zip ({exc})",
                                        remedy="give a bag directory or its zip") from None
            refusal = self._refusal(end, handle)
            if refusal:
                self._entries.append(Entry("", 0, "refused", refusal))
                return
            try:
                zf = zipfile.ZipFile(handle)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
                raise ArchiveInputError(f"{self.path}: not a readable zip ({exc})",
                                        remedy="give a bag directory or its zip") from None
            infos = zf.infolist()
            self._scan(infos)
            self._directory = (end, zf.start_dir, [_member(i) for i in infos])

    def _refusal(self, end: ZipEnd, handle: IO[bytes]) -> str | None:
        """Why the zip is too big to read at all: judged from the end record and a walk of the
        directory's record headers, before :mod:`zipfile` builds an object per member."""
        limits = self._limits
        if end.cd_size > limits.zip_directory_bytes:
            return (f"the zip's directory is {end.cd_size} bytes, over the limit of {limits.zip_directory_bytes}; "
                    "nothing was read")
        try:
            count = count_records(handle, end, limits.max_members)
        except ZipLayoutError as exc:
            raise ArchiveInputError(f"{self.path}: not a readable zip ({exc})",
                                    remedy="give a bag directory or its zip") from None
        if max(count, end.entries) > limits.max_members:
            return f"the zip has over {limits.max_members} members, the limit; nothing was read"
        return None

    def _scan(self, infos: list[zipfile.ZipInfo]) -> None:
        tops = {info.filename.split("/", 1)[0] for info in infos}
        if len(tops) != 1:
            raise ArchiveInputError(
                f"{self.path}: a bag zip holds exactly one top directory, found {len(tops)}",
                remedy="zip the bag directory itself",
            )
        self.top = tops.pop()
        seen: set[str] = set()
        for info in infos:
            raw = info.filename
            if raw in (self.top, self.top + "/"):
                if info.file_size or info.compress_size:
                    self._entries.append(Entry(raw, info.file_size, "unsafe", "a directory entry that carries bytes"))
                continue
            if not raw.startswith(self.top + "/"):
                self._entries.append(Entry(raw, 0, "unsafe", "outside the top directory"))
                continue
            name = raw[len(self.top) + 1 :]
            mode = (info.external_attr >> 16) & 0xFFFF
            if info.is_dir() and not stat.S_ISLNK(mode):
                if info.file_size or info.compress_size:
                    self._entries.append(Entry(name, info.file_size, "unsafe", "a directory entry that carries bytes"))
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
            elif info.compress_type not in (_STORED, _DEFLATED):
                self._entries.append(Entry(name, info.file_size, "unsupported",
                                           f"compression method {info.compress_type} (only stored and deflate)"))
            else:
                self._infos[name] = info
                self._entries.append(Entry(name, info.file_size, "file"))
            seen.add(name)

    def entries(self) -> list[Entry]:
        return list(self._entries)

    def layout_problems(self) -> list[str]:
        """Bytes that belong to no member nor the zip structure, then every header field that is not
        what our zip writer writes (worked out on first call: only the strict profile asks), then
        what the members read so far left unaccounted (:class:`MemberStream`)."""
        if self._layout is None:
            self._layout = []
            if self._directory is not None:
                end, start_dir, members = self._directory
                with os.fdopen(os.dup(self._fd), "rb") as handle:
                    self._layout = layout_problems(handle, end, start_dir, members)
                    self._layout += writer_problems(handle, end, start_dir)
        with self._lock:
            return self._layout + self._stream_problems

    def _stream_problem(self, problem: str) -> None:
        with self._lock:
            self._stream_problems.append(problem)

    def open(self, name: str) -> IO[bytes]:
        info = self._infos[name]
        head = os.pread(self._fd, LOCAL.size, info.header_offset)
        if len(head) != LOCAL.size or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"no local file header for {name}")
        fields = LOCAL.unpack(head)
        start = info.header_offset + LOCAL.size + fields[9] + fields[10]
        return cast(IO[bytes], MemberStream(self._fd, start, info, self._stream_problem))

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _member(info: zipfile.ZipInfo) -> Member:
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    try:
        raw_name = info.orig_filename.encode(encoding)
    except UnicodeEncodeError:
        raw_name = info.orig_filename.encode("utf-8", "surrogateescape")
    return Member(info.filename, info.header_offset, info.compress_size, info.flag_bits, info.extra,
                  info.comment, raw_name)


class MemberStream(io.RawIOBase):
    """One member's bytes: read with ``pread`` from ``start``, inflated if deflated, checked at the end.

    Raises :class:`zipfile.BadZipFile` when the data ends early, inflates past the
    recorded size, leaves compressed bytes unused, or fails its CRC. A deflate stream whose
    last byte has padding bits set (inflate ignores them; zlib writes zeros) is told to
    ``report``: those bits are bytes nothing signs, which only the strict profile refuses.
    """

    def __init__(self, fd: int, start: int, info: zipfile.ZipInfo,
                 report: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self._fd = fd
        self._pos = start
        self._raw_left = info.compress_size
        self._out_left = info.file_size
        self._crc_want = info.CRC
        self._crc = 0
        self._name = info.filename
        self._inflate = zlib.decompressobj(-15) if info.compress_type == _DEFLATED else None
        self._pending = b""
        self._done = False
        self._report = report
        self._last = b""  # the final compressed byte, fed alone after a snapshot of the inflater
        self._snapshot: Any = None
        self._final_byte = 0
        self._after = bytearray()  # what the inflater gave since the snapshot

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._done or not len(view):
            return 0
        n = self._read_stored(view) if self._inflate is None else self._read_inflated(view)
        if n == 0:
            self._finish()
            return 0
        self._crc = zlib.crc32(view[:n], self._crc)
        self._out_left -= n
        if self._out_left < 0:
            raise zipfile.BadZipFile(f"{self._name}: inflates past its recorded size")
        return n

    def _read_stored(self, view: memoryview) -> int:
        want = min(len(view), self._raw_left)
        if want == 0:
            return 0
        n = os.preadv(self._fd, [view[:want]], self._pos)
        if n == 0:
            raise zipfile.BadZipFile(f"{self._name}: the zip ends inside this member")
        self._pos += n
        self._raw_left -= n
        return n

    def _read_inflated(self, view: memoryview) -> int:
        assert self._inflate is not None
        limit = max(1, min(len(view), self._out_left + 1))
        while True:
            if not self._pending and self._raw_left > 0 and not self._inflate.eof:
                chunk = os.pread(self._fd, min(_READ, self._raw_left), self._pos)
                if not chunk:
                    raise zipfile.BadZipFile(f"{self._name}: the zip ends inside this member")
                self._pos += len(chunk)
                self._raw_left -= len(chunk)
                self._pending, self._last = (chunk[:-1], chunk[-1:]) if self._raw_left == 0 else (chunk, b"")
            if not self._pending and self._last and not self._inflate.eof:
                self._snapshot, self._final_byte = self._inflate.copy(), self._last[0]
                self._pending, self._last = self._last, b""
            if self._inflate.eof:
                if self._pending or self._last or self._inflate.unused_data or self._raw_left:
                    raise zipfile.BadZipFile(f"{self._name}: bytes follow the end of the compressed data")
                return 0
            if not self._pending:
                return 0
            try:
                out = self._inflate.decompress(self._pending, limit)
            except zlib.error as exc:
                raise zipfile.BadZipFile(f"{self._name}: bad compressed data ({exc})") from None
            self._pending = self._inflate.unconsumed_tail
            if self._snapshot is not None:
                self._after += out
            if out:
                view[: len(out)] = out
                return len(out)

    def _finish(self) -> None:
        self._done = True
        if self._inflate is not None and not self._inflate.eof:
            raise zipfile.BadZipFile(f"{self._name}: the compressed data ends early")
        if self._out_left != 0:
            raise zipfile.BadZipFile(f"{self._name}: {self._out_left} bytes short of its recorded size")
        if self._crc != self._crc_want:
            raise zipfile.BadZipFile(f"{self._name}: CRC-32 mismatch")
        if self._snapshot is not None and self._report is not None and _padding_set(self._snapshot, self._after,
                                                                                     self._final_byte):
            self._report(f"{self._name}: its deflate stream ends with padding bits set")


def _padding_set(snapshot: Any, after: bytes | bytearray, last: int) -> bool:
    """Whether the final byte ``last`` of a deflate stream has a padding bit set.

    The padding is the high bits past the last code (the end-of-block code, so flipping a
    used bit changes what inflates). The lowest ``j`` for which clearing all bits from ``j``
    up and setting them all both inflate, from the inflater's ``snapshot`` before ``last``,
    to the same ``after`` and end the stream is where the padding starts.
    """
    for used in range(8):
        low = last & ((1 << used) - 1)
        if all(_ends_with(snapshot, variant, after) for variant in (low, low | (0xFF & ~((1 << used) - 1)))):
            return last >> used != 0
    return False


def _ends_with(snapshot: Any, final: int, after: bytes | bytearray) -> bool:
    inflater = snapshot.copy()
    try:
        out = inflater.decompress(bytes([final]), len(after) + 1)
    except zlib.error:
        return False
    return bool(inflater.eof) and not inflater.unused_data and out == after
