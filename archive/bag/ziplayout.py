"""The byte layout of a zip: its end records, and whether every byte belongs to a member or the structure.

Pure functions over a readable, seekable binary file. :func:`read_end` reads the
end of central directory (and its zip64 form) without parsing the directory, so
a member count can be judged before anything large is read. :func:`layout_problems`
checks that the file is exactly: the members' local headers, data and data
descriptors, back to back from offset 0; then the central directory; then the
zip64 end records if any; then the end record with no comment. Extra fields
other than zip64's and per-member comments are refused, since they could carry
bytes nothing signs.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

EOCD = struct.Struct("<4s4H2LH")
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
ZIP64_EOCD_SIG = b"PK\x06\x06"
LOCAL = struct.Struct("<4s5H3L2H")
LOCAL_SIG = b"PK\x03\x04"
CENTRAL_FIXED = 46
CENTRAL_SIG = b"PK\x01\x02"
DESCRIPTOR_SIG = b"PK\x07\x08"
ZIP64_EXTRA_ID = 0x0001
_MAX_COMMENT = 0xFFFF


class ZipLayoutError(ValueError):
    """The end of central directory cannot be found or read."""


@dataclass(frozen=True)
class ZipEnd:
    """What the end records say, and where they are."""

    entries: int
    cd_size: int
    cd_offset: int
    """The central directory's offset as recorded (a prefix shifts the real one)."""
    eocd_offset: int
    comment_length: int
    zip64_offset: int | None
    """Where the zip64 end record starts, when there is one."""
    file_size: int


def read_end(handle: IO[bytes]) -> ZipEnd:
    """The end records of the zip in ``handle``; :class:`ZipLayoutError` if there are none."""
    handle.seek(0, 2)
    size = handle.tell()
    tail_len = min(size, EOCD.size + _MAX_COMMENT)
    handle.seek(size - tail_len)
    tail = handle.read(tail_len)
    at = tail.rfind(EOCD_SIG)
    while at >= 0 and at + EOCD.size > len(tail):
        at = tail.rfind(EOCD_SIG, 0, at)
    if at < 0:
        raise ZipLayoutError("no end of central directory record")
    _sig, _disk, _cd_disk, _n_disk, entries, cd_size, cd_offset, comment_len = EOCD.unpack_from(tail, at)
    eocd_offset = size - tail_len + at
    zip64_offset = None
    if eocd_offset >= ZIP64_LOCATOR.size:
        handle.seek(eocd_offset - ZIP64_LOCATOR.size)
        loc = handle.read(ZIP64_LOCATOR.size)
        if loc[:4] == ZIP64_LOCATOR_SIG:
            # The zip64 record sits right before its locator (a prefix shifts the recorded offset).
            z64_at = eocd_offset - ZIP64_LOCATOR.size - ZIP64_EOCD.size
            if z64_at >= 0:
                handle.seek(z64_at)
                rec = handle.read(ZIP64_EOCD.size)
                if rec[:4] == ZIP64_EOCD_SIG:
                    fields = ZIP64_EOCD.unpack(rec)
                    entries, cd_size, cd_offset = fields[7], fields[8], fields[9]
                    zip64_offset = z64_at
    return ZipEnd(entries, cd_size, cd_offset, eocd_offset, comment_len, zip64_offset, size)


def count_records(handle: IO[bytes], end: ZipEnd, limit: int) -> int:
    """How many central directory records there are, counted by walking them (never more than
    ``limit + 1``); the end record's own count may lie. The directory is taken to end where the
    end records start, as :mod:`zipfile` takes it."""
    stop = end.zip64_offset if end.zip64_offset is not None else end.eocd_offset
    pos = stop - end.cd_size
    if pos < 0:
        raise ZipLayoutError("the central directory would start before the file")
    handle.seek(pos)
    data = handle.read(end.cd_size)
    count = 0
    at = 0
    while at + CENTRAL_FIXED <= len(data) and count <= limit:
        if data[at : at + 4] != CENTRAL_SIG:
            break
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, at + 28)
        at += CENTRAL_FIXED + name_len + extra_len + comment_len
        count += 1
    return count


@dataclass(frozen=True)
class Member:
    """One central directory record, as :mod:`zipfile` read it (offsets as it corrected them)."""

    name: str
    header_offset: int
    compress_size: int
    flag_bits: int
    central_extra: bytes
    comment: bytes
    raw_name: bytes


def _extra_ids(extra: bytes) -> list[int] | None:
    """The header ids of an extra field, or None when it is malformed."""
    ids: list[int] = []
    pos = 0
    while pos < len(extra):
        if pos + 4 > len(extra):
            return None
        hid, length = struct.unpack_from("<2H", extra, pos)
        pos += 4 + length
        if pos > len(extra):
            return None
        ids.append(hid)
    return ids


def layout_problems(handle: IO[bytes], end: ZipEnd, start_dir: int, members: Sequence[Member]) -> list[str]:
    """Every way the file differs from members + central directory + end records, back to back.

    ``start_dir`` is where the central directory really starts (``zipfile.ZipFile.start_dir``).
    """
    problems: list[str] = []
    if end.comment_length:
        problems.append(f"the zip has a {end.comment_length}-byte comment")
    if end.eocd_offset + EOCD.size + end.comment_length != end.file_size:
        problems.append(f"{end.file_size - end.eocd_offset - EOCD.size - end.comment_length} bytes follow the end record")
    if start_dir != end.cd_offset:
        problems.append(f"{start_dir - end.cd_offset} bytes are prepended before the first member")
    cd_end = end.zip64_offset if end.zip64_offset is not None else end.eocd_offset
    if start_dir + end.cd_size != cd_end:
        problems.append(f"the central directory ({end.cd_size} bytes at {start_dir}) does not end where the end "
                        f"records start ({cd_end})")
    central_bytes = 0
    regions: list[tuple[int, int, str]] = []
    for m in members:
        central_bytes += CENTRAL_FIXED + len(m.raw_name) + len(m.central_extra) + len(m.comment)
        if m.comment:
            problems.append(f"{m.name}: the member has a comment")
        ids = _extra_ids(m.central_extra)
        if ids is None or any(i != ZIP64_EXTRA_ID for i in ids):
            problems.append(f"{m.name}: the central directory carries an extra field other than zip64's")
        if not 0 <= m.header_offset < end.file_size:
            problems.append(f"{m.name}: its local header offset {m.header_offset} is outside the file")
            continue
        handle.seek(m.header_offset)
        head = handle.read(LOCAL.size)
        if len(head) != LOCAL.size or head[:4] != LOCAL_SIG:
            problems.append(f"{m.name}: no local file header at offset {m.header_offset}")
            continue
        fields = LOCAL.unpack(head)
        local_csize, name_len, extra_len = fields[7], fields[9], fields[10]
        local_name = handle.read(name_len)
        local_extra = handle.read(extra_len)
        if len(local_name) != name_len or len(local_extra) != extra_len:
            problems.append(f"{m.name}: the local header is cut short")
            continue
        local_ids = _extra_ids(local_extra)
        if local_ids is None or any(i != ZIP64_EXTRA_ID for i in local_ids):
            problems.append(f"{m.name}: the local header carries an extra field other than zip64's")
        if local_name != m.raw_name:
            problems.append(f"{m.name}: the local header names another file")
        data_start = m.header_offset + LOCAL.size + name_len + extra_len
        data_end = data_start + m.compress_size
        if m.flag_bits & 0x08:
            data_end += _descriptor_length(handle, data_end, zip64=bool(local_ids and ZIP64_EXTRA_ID in local_ids))
        elif local_csize not in (m.compress_size, 0xFFFFFFFF):
            problems.append(f"{m.name}: the local header and the central directory disagree on its size")
        regions.append((m.header_offset, data_end, m.name))
    if central_bytes != end.cd_size:
        problems.append(f"the central directory holds {end.cd_size - central_bytes} bytes beyond its records")
    regions.sort()
    position = 0
    for start, stop, name in regions:
        if start > position:
            problems.append(f"{start - position} bytes before {name} belong to no member")
        elif start < position:
            problems.append(f"{name} overlaps the member before it")
        position = max(position, stop)
    if position < start_dir:
        problems.append(f"{start_dir - position} bytes between the last member and the central directory "
                        "belong to no member")
    elif position > start_dir:
        problems.append("a member runs into the central directory")
    return problems


def _descriptor_length(handle: IO[bytes], at: int, *, zip64: bool) -> int:
    handle.seek(at)
    signed = handle.read(4) == DESCRIPTOR_SIG
    return (4 if signed else 0) + (20 if zip64 else 12)
