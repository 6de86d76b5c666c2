"""Hand-built zips for the hostile-input tests: raw local headers, data, directory and end record.

:func:`raw_zip` writes members whose compressed bytes the test gives (so a gigabyte of
zeros can be a few megabytes of deflate built in milliseconds) and any number of them.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MiB = 1024 * 1024


@dataclass(frozen=True)
class RawMember:
    name: str
    data: bytes
    """The bytes as stored in the zip (already deflated when ``method`` is 8)."""
    size: int
    crc: int
    method: int = 0


def stored(name: str, data: bytes) -> RawMember:
    return RawMember(name, data, len(data), zlib.crc32(data), 0)


def zeros_deflated(size_mib: int) -> bytes:
    """A raw deflate stream of ``size_mib`` MiB of zeros, built from one compressed MiB repeated."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * size_mib + b"\x03\x00"  # an empty final fixed-Huffman block


def bag_members(bag: Path, top: str) -> Iterator[RawMember]:
    """Every file of a bag directory as a stored member under ``top/``, sorted."""
    for p in sorted(q for q in bag.rglob("*") if q.is_file()):
        yield stored(f"{top}/{p.relative_to(bag).as_posix()}", p.read_bytes())


def raw_zip(path: Path, members: Iterable[RawMember]) -> Path:
    """Write a plain (no zip64) zip of ``members`` in the given order."""
    central = bytearray()
    count = 0
    with path.open("wb") as out:
        for m in members:
            name = m.name.encode()
            offset = out.tell()
            out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0x800, m.method, 0, 0x21,
                                  m.crc, len(m.data), m.size, len(name), 0))
            out.write(name)
            out.write(m.data)
            mode = (0o40755 if m.name.endswith("/") else 0o100644) << 16
            central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, 0x800, m.method, 0, 0x21,
                                   m.crc, len(m.data), m.size, len(name), 0, 0, 0, 0, mode, offset)
            central += name
            count += 1
        cd_offset = out.tell()
        out.write(central)
        out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                              len(central), cd_offset, 0))
    return path
