"""A tiny zip writer for hostile test bundles: entries given as already-compressed bytes.

``zipfile`` cannot write a deflate stream it did not compress, nor bytes before
the first header, nor a directory entry that carries data. This writer can:
each :class:`RawEntry` holds its compressed chunks (an iterable, so a 4 GiB
member of zeros is a few MB of repeated deflate blocks), its CRC and sizes;
zip64 extras are written where a size, an offset or the entry count needs them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

STORED, DEFLATED = 0, 8
_MAX32 = 0xFFFFFFFF
_MAX16 = 0xFFFF
_DOS_TIME, _DOS_DATE = 0, (2026 - 1980) << 9 | 1 << 5 | 1
_FILE_MODE = 0o100644 << 16
_DIR_MODE = (0o040755 << 16) | 0x10


@dataclass(frozen=True)
class RawEntry:
    """One member: its name, compressed chunks, CRC-32 and sizes (``method`` 0 stored, 8 deflate)."""

    name: str
    chunks: Callable[[], Iterable[bytes]]
    crc: int
    compressed_size: int
    size: int
    method: int = DEFLATED
    directory: bool = False


def entry(name: str, data: bytes, *, method: int = DEFLATED, directory: bool = False) -> RawEntry:
    """An entry holding ``data`` (compressed here when ``method`` is deflate)."""
    if method == DEFLATED:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = c.compress(data) + c.flush()
    else:
        packed = data
    return RawEntry(name, lambda: (packed,), zlib.crc32(data), len(packed), len(data), method, directory)


def zeros_entry(name: str, size: int, *, block: int = 16 * 1024 * 1024) -> RawEntry:
    """``size`` zero bytes (a multiple of ``block``) as repeated full-flush deflate blocks.

    The CRC-32 is of the zeros, computed block by block once per distinct size.
    """
    assert size % block == 0 and size > 0
    count = size // block
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(block)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    middle = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    last = c.flush(zlib.Z_FINISH)
    crc = _zeros_crc(block, count)

    def chunks() -> Iterator[bytes]:
        yield first
        for _ in range(count - 1):
            yield middle
        yield last

    compressed = len(first) + len(middle) * (count - 1) + len(last)
    return RawEntry(name, chunks, crc, compressed, size)


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, row = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[row]
        vector >>= 1
        row += 1
    return total


def _gf2_square(matrix: list[int]) -> list[int]:
    return [_gf2_times(matrix, m) for m in matrix]


def _zeros_crc(block: int, count: int) -> int:
    """CRC-32 of ``block * count`` zero bytes without reading them (zlib's crc32_combine operator)."""
    length = block * count
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # one zero bit
    even = _gf2_square(odd)  # two zero bits
    odd = _gf2_square(even)  # four zero bits
    crc = 0xFFFFFFFF
    while length:  # apply length zero bytes to the pre-conditioned register
        even = _gf2_square(odd)
        if length & 1:
            crc = _gf2_times(even, crc)
        length >>= 1
        if not length:
            break
        odd = _gf2_square(even)
        if length & 1:
            crc = _gf2_times(odd, crc)
        length >>= 1
    return crc ^ 0xFFFFFFFF


def write_zip(path: Path, entries: Sequence[RawEntry], *, prefix: bytes = b"", comment: bytes = b"") -> Path:
    """Write ``entries`` (in order) as a zip at ``path``, after ``prefix`` bytes and with ``comment``."""
    central: list[bytes] = []
    with path.open("wb") as out:
        out.write(prefix)
        for e in entries:
            offset = out.tell()
            name = e.name.encode("utf-8")
            big = e.size >= _MAX32 or e.compressed_size >= _MAX32
            extra = struct.pack("<HHQQ", 1, 16, e.size, e.compressed_size) if big else b""
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, 0x800, e.method, _DOS_TIME,
                                  _DOS_DATE, e.crc, _MAX32 if big else e.compressed_size,
                                  _MAX32 if big else e.size, len(name), len(extra)))
            out.write(name + extra)
            for chunk in e.chunks():
                out.write(chunk)
            cd_fields: list[int] = []
            if big:
                cd_fields += [e.size, e.compressed_size]
            if offset >= _MAX32:
                cd_fields.append(offset)
            cd_extra = struct.pack("<HH", 1, 8 * len(cd_fields)) + b"".join(struct.pack("<Q", v) for v in cd_fields) \
                if cd_fields else b""
            central.append(struct.pack(
                "<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 45 if cd_fields else 20, 0x800, e.method, _DOS_TIME,
                _DOS_DATE, e.crc, _MAX32 if big else e.compressed_size, _MAX32 if big else e.size, len(name),
                len(cd_extra), 0, 0, 0, _DIR_MODE if e.directory else _FILE_MODE,
                _MAX32 if offset >= _MAX32 else offset) + name + cd_extra)
        cd_offset = out.tell()
        for record in central:
            out.write(record)
        cd_size = out.tell() - cd_offset
        count = len(entries)
        if count >= _MAX16 or cd_offset >= _MAX32 or cd_size >= _MAX32:
            zip64_at = out.tell()
            out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, cd_offset))
            out.write(struct.pack("<IIQI", 0x07064B50, 0, zip64_at, 1))
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, _MAX16), min(count, _MAX16),
                              min(cd_size, _MAX32), min(cd_offset, _MAX32), len(comment)))
        out.write(comment)
    return path
