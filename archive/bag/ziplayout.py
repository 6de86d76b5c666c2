"""The byte layout of a zip: its end records, and whether every byte belongs to a member or the structure.

Pure functions over a readable, seekable binary file. :func:`read_end` reads the
end of central directory (and its zip64 form) without parsing the directory, so
a member count can be judged before anything large is read. :func:`layout_problems`
checks that the file is exactly: the members' local headers, data and data
descriptors, back to back from offset 0; then the central directory; then the
zip64 end records if any; then the end record with no comment. Extra fields
other than zip64's and per-member comments are refused, since they could carry
bytes nothing signs. :func:`writer_problems` goes further, for the strict profile:
every header field must be exactly what :mod:`archive.zipdet` writes for that
member (rebuilt from the writer's own :func:`~archive.zipdet.member_info`), so the
only bytes left free are the member data the bag's manifests sign.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from archive.zipdet import local_zip64, member_info, member_order, zip_date_time

EOCD = struct.Struct("<4s4H2LH")
EOCD_SIG = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_LOCATOR_SIG = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
ZIP64_EOCD_SIG = b"PK\x06\x06"
LOCAL = struct.Struct("<4s5H3L2H")
LOCAL_SIG = b"PK\x03\x04"
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
CENTRAL_FIXED = CENTRAL.size
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


_LOCAL_FIELDS = ("signature", "version needed", "flags", "method", "time", "date", "CRC-32", "compressed size",
                 "size", "name length", "extra length")
_CENTRAL_FIELDS = ("signature", "version made by", "host system", "version needed", "reserved byte", "flags",
                   "method", "time", "date", "CRC-32", "compressed size", "size", "name length", "extra length",
                   "comment length", "disk number", "internal attributes", "external attributes", "local header offset")
_EOCD_FIELDS = ("signature", "disk number", "directory's disk", "entries on this disk", "entries", "directory size",
                "directory offset", "comment length")
_MAX32 = 0xFFFFFFFF
DateTime = tuple[int, int, int, int, int, int]


def writer_problems(handle: IO[bytes], end: ZipEnd, start_dir: int) -> list[str]:
    """Every header byte that differs from what :func:`archive.zipdet.write_deterministic_zip` writes.

    Each central record and local header must equal the one the writer makes for that member's
    name, size, CRC-32 and offset; all members share one timestamp the writer can make; members
    come once each, in the writer's order, with their parent directories and no directory without
    a file under it (a bag we sign has none); the end records are the writer's.
    ``start_dir`` is where the central directory really starts. One line per member at most.
    """
    handle.seek(start_dir)
    directory = handle.read(end.cd_size)
    shift = start_dir - end.cd_offset  # a prefix moves every recorded offset (reported by layout_problems)
    problems: list[str] = []
    stamps: set[DateTime] = set()
    names: list[str] = []
    offsets: list[int] = []
    at = 0
    while at + CENTRAL.size <= len(directory) and directory[at : at + 4] == CENTRAL_SIG:
        fields = CENTRAL.unpack_from(directory, at)
        length = CENTRAL.size + fields[12] + fields[13] + fields[14]
        record = directory[at : at + length]
        at += length
        name, problem, stamp, offset = _member_problem(handle, record, fields, shift, end.file_size)
        if problem:
            problems.append(problem)
        if name is not None:
            names.append(name)
            offsets.append(offset)
        if stamp is not None:
            stamps.add(stamp)
    if len(stamps) > 1:
        problems.append(f"the members have {len(stamps)} different timestamps, where our zip writer gives one to all")
    if names != sorted(names, key=member_order) or offsets != sorted(offsets):
        problems.append("the members are not in the order our zip writer writes them")
    if len(set(names)) != len(names):
        problems.append("a member is listed twice, which our zip writer never does")
    dirs = {n for n in names if n.endswith("/")}
    orphans = [n for n in names if n.count("/") > (1 if n.endswith("/") else 0)
               and n.removesuffix("/").rsplit("/", 1)[0] + "/" not in dirs]
    if orphans:
        problems.append(f"{orphans[0]}: its directory has no entry of its own, which our zip writer always writes")
    above_files = {n[: i + 1] for n in names if not n.endswith("/") for i, c in enumerate(n) if c == "/"}
    empty = sorted(dirs - above_files)
    if empty:
        problems.append(f"{empty[0]}: a directory entry with no file under it, which nothing signs")
    problems += _end_problems(handle, end, start_dir, len(names))
    return problems


def _member_problem(handle: IO[bytes], record: bytes, fields: tuple[int, ...], shift: int, file_size: int
                    ) -> tuple[str | None, str | None, DateTime | None, int]:
    """(name, problem, timestamp, local header offset) of one central record, as :func:`writer_problems` judges it."""
    flags, time, date, crc, csize, size, name_len = fields[5], fields[7], fields[8], fields[9], fields[10], \
        fields[11], fields[12]
    raw_name = record[CENTRAL.size : CENTRAL.size + name_len]
    try:
        name = raw_name.decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        return None, f"{raw_name!r}: the member name is not UTF-8, as its flags say", None, 0
    size, csize, offset = _zip64_values(record[CENTRAL.size + name_len : CENTRAL.size + name_len + fields[13]],
                                        size, csize, fields[18])
    stamp: DateTime = ((date >> 9) + 1980, (date >> 5) & 0xF, date & 0x1F, time >> 11, (time >> 5) & 0x3F,
                       (time & 0x1F) * 2)
    if not _writer_stamp(stamp):
        return name, f"{name}: its timestamp is not one our zip writer makes", None, offset
    directory = name.endswith("/")  # the writer writes no bytes for one: CRC-32 and sizes 0
    info = member_info(name, stamp, 0 if directory else size)
    info.CRC, info.compress_size = (0, 0) if directory else (crc, csize)
    info.header_offset = offset
    try:
        local_want = info.FileHeader(local_zip64(info.file_size))
        central_want = _central_record(info)
    except (zipfile.LargeZipFile, struct.error, OverflowError):
        return name, f"{name}: its sizes are not ones our zip writer records", stamp, offset
    if record != central_want:
        return name, f"{name}: its central directory record differs from our zip writer's " \
                     f"({_differing(CENTRAL, _CENTRAL_FIELDS, record, central_want)})", stamp, offset
    where = offset + shift
    if not 0 <= where <= file_size - len(local_want):
        return name, f"{name}: no local header where the directory says", stamp, offset
    handle.seek(where)
    local = handle.read(len(local_want))
    if local != local_want:
        return name, f"{name}: its local header differs from our zip writer's and from its central record " \
                     f"({_differing(LOCAL, _LOCAL_FIELDS, local, local_want)})", stamp, offset
    return name, None, stamp, offset


def _zip64_values(extra: bytes, size: int, csize: int, offset: int) -> tuple[int, int, int]:
    """The sizes and offset a central record means, its zip64 extra field read where the 32-bit ones say so."""
    values = [size, csize, offset]
    if extra[:2] == ZIP64_EXTRA_ID.to_bytes(2, "little") and len(extra) >= 4:
        data = extra[4 : 4 + int.from_bytes(extra[2:4], "little")]
        pos = 0
        for i, value in enumerate(values):
            if value == _MAX32 and pos + 8 <= len(data):
                values[i] = int.from_bytes(data[pos : pos + 8], "little")
                pos += 8
    return values[0], values[1], values[2]


def _writer_stamp(stamp: DateTime) -> bool:
    """Whether :func:`archive.zipdet.zip_date_time` makes ``stamp`` from some moment."""
    try:
        moment = datetime(*stamp, tzinfo=UTC)
    except ValueError:
        return False
    return zip_date_time(int(moment.timestamp())) == stamp


def _central_record(info: zipfile.ZipInfo) -> bytes:
    """The central directory record :mod:`zipfile` writes for ``info`` (APPNOTE 4.3.12), after its local header."""
    dt = info.date_time
    dosdate = (dt[0] - 1980) << 9 | dt[1] << 5 | dt[2]
    dostime = dt[3] << 11 | dt[4] << 5 | dt[5] // 2
    extra: list[int] = []
    size, csize, offset = info.file_size, info.compress_size, info.header_offset
    if size > zipfile.ZIP64_LIMIT or csize > zipfile.ZIP64_LIMIT:
        extra += [size, csize]
        size = csize = _MAX32
    if offset > zipfile.ZIP64_LIMIT:
        extra.append(offset)
        offset = _MAX32
    extra_data = struct.pack(f"<HH{len(extra)}Q", ZIP64_EXTRA_ID, 8 * len(extra), *extra) if extra else b""
    minimum = 45 if extra else 0
    name = info.filename.encode("ascii" if info.filename.isascii() else "utf-8")
    flags = info.flag_bits | (0 if info.filename.isascii() else 0x800)
    return CENTRAL.pack(CENTRAL_SIG, max(minimum, info.create_version), info.create_system,
                        max(minimum, info.extract_version), info.reserved, flags, info.compress_type, dostime,
                        dosdate, info.CRC, csize, size, len(name), len(extra_data), 0, 0, info.internal_attr,
                        info.external_attr, offset) + name + extra_data


def _end_problems(handle: IO[bytes], end: ZipEnd, start_dir: int, count: int) -> list[str]:
    """How the end records differ from the ones :mod:`zipfile` writes after ``count`` records at ``start_dir``."""
    cd_offset, cd_size = end.cd_offset, end.cd_size
    want = b""
    if count > 0xFFFF or cd_offset > zipfile.ZIP64_LIMIT or cd_size > zipfile.ZIP64_LIMIT:
        want = ZIP64_EOCD.pack(ZIP64_EOCD_SIG, 44, 45, 45, 0, 0, count, count, cd_size, cd_offset) + \
            ZIP64_LOCATOR.pack(ZIP64_LOCATOR_SIG, 0, cd_offset + cd_size, 1)
    eocd = EOCD.pack(EOCD_SIG, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF), min(cd_size, _MAX32),
                     min(cd_offset, _MAX32), 0)
    handle.seek(start_dir + cd_size)
    found = handle.read(len(want) + len(eocd) + 1)
    if found == want + eocd:
        return []
    if found[: len(want)] == want and len(found) >= len(want) + EOCD.size:
        fields = _differing(EOCD, _EOCD_FIELDS, found[len(want) : len(want) + EOCD.size], eocd)
        return [f"the end record differs from our zip writer's ({fields or 'bytes after it'})"]
    return ["the end records differ from our zip writer's"]


def _differing(layout: struct.Struct, names: Sequence[str], found: bytes, want: bytes) -> str:
    """The names of the fields in which two records differ (their names and extras, past the fixed part)."""
    if len(found) < layout.size or len(want) < layout.size:
        return "length"
    got, expected = layout.unpack_from(found), layout.unpack_from(want)
    differ = [name for name, a, b in zip(names, got, expected, strict=True) if a != b]
    if not differ and found[layout.size :] != want[layout.size :]:
        differ.append("name or extra field")
    return ", ".join(differ) or "length"
