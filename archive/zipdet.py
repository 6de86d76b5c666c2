"""Deterministic zip of a directory: same tree and epoch give the same bytes.

Entries are sorted by name, all under one top directory named after the source
directory; every entry gets the timestamp of ``epoch`` (the caller's clock, never the
files' mtimes; clamped to the zip range 1980-2107), Unix mode 0644 for files and 0755 for
directories, no extra fields, no comment; text-like files DEFLATE at a fixed level, others stored. Symlinks and
special files are refused. The zip is written to a temporary file and renamed.
"""

from __future__ import annotations

import os
import stat
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveInputError
from archive.hashing import hash_file

_ZIP_MIN = 315532800  # 1980-01-01T00:00:00Z
_ZIP_MAX = 4354819199  # 2107-12-31T23:59:59Z
COMPRESS_LEVEL = 6
_COPY_CHUNK = 4 * 1024 * 1024


def zip_date_time(epoch: int) -> tuple[int, int, int, int, int, int]:
    """The zip (DOS) timestamp of ``epoch`` in UTC, clamped to the representable range."""
    t = time.gmtime(min(max(epoch, _ZIP_MIN), _ZIP_MAX))
    return (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec - t.tm_sec % 2)


@dataclass(frozen=True)
class ZipResult:
    """Where the zip is, its size, and the digests archives report (md5 for Zenodo, sha256)."""

    path: Path
    size: int
    sha256: str
    md5: str


TEXT_SUFFIXES = frozenset({".json", ".jsonl", ".txt", ".lean", ".py", ".csv", ".tsv", ".cff", ".md", ".html",
                           ".xml", ".yaml", ".yml", ".checkpoint", ".stdout", ".toml", ".tex", ".bib"})


def _compressible(name: str) -> bool:
    """Text-like files are deflated; others are stored (binary data rarely shrinks, and
    inflating large members would slow down verification). The rule depends only on the name."""
    base = name.rsplit("/", 1)[-1].lower()
    return base.endswith(tuple(TEXT_SUFFIXES)) or "." not in base


def member_info(name: str, date_time: tuple[int, int, int, int, int, int], size: int = 0) -> zipfile.ZipInfo:
    """The :class:`zipfile.ZipInfo` this writer gives the member ``name`` (a directory when it ends
    in ``/``) of ``size`` bytes, before its data is written. Readers of the strict profile rebuild
    the headers from it (:mod:`archive.bag.ziplayout`)."""
    info = zipfile.ZipInfo(name, date_time)
    info.create_system = 3
    if name.endswith("/"):
        info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = (stat.S_IFREG | 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED if _compressible(name) else zipfile.ZIP_STORED
        info.file_size = size
    return info


def member_order(name: str) -> tuple[bool, str]:
    """The sort key of the members this writer writes: directories first, each kind by name."""
    return not name.endswith("/"), name.removesuffix("/")


def local_zip64(size: int) -> bool:
    """Whether a member of ``size`` bytes gets a zip64 local header (forced: :mod:`zipfile` would
    choose it by this same rule, since deflate may grow the data)."""
    return size * 1.05 > zipfile.ZIP64_LIMIT


def _collect(root: Path) -> tuple[list[str], list[str]]:
    files: list[str] = []
    dirs: list[str] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                raise ArchiveInputError(f"{full}: symlinks are not zipped", remedy="replace it by the file")
            if stat.S_ISDIR(st.st_mode):
                dirs.append(rel)
            elif stat.S_ISREG(st.st_mode):
                files.append(rel)
            else:
                raise ArchiveInputError(f"{full}: not a regular file", remedy="remove it")
    return files, dirs


def write_deterministic_zip(
    source_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    epoch: int,
    top: str | None = None,
) -> ZipResult:
    """Zip ``source_dir`` to ``out`` deterministically (see module docstring).

    ``top`` names the single top directory (default: the source directory's name).
    """
    root = Path(source_dir)
    top_name = top or root.name
    if not top_name or "/" in top_name or top_name in (".", ".."):
        raise ArchiveInputError(f"zip top directory {top_name!r} is not a plain name")
    files, dirs = _collect(root)
    date_time = zip_date_time(epoch)
    from archive.atomic import atomic_writer  # here: readers of zips (bag validation) never write one

    with atomic_writer(out, 0o644) as raw:
        with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL) as zf:
            names = [f"{top_name}/", *(f"{top_name}/{rel}/" for rel in dirs), *(f"{top_name}/{rel}" for rel in files)]
            for name in sorted(names, key=member_order):
                if name.endswith("/"):
                    zf.writestr(member_info(name, date_time), b"")
                    continue
                full = root / name.removeprefix(f"{top_name}/")
                size = full.stat().st_size
                info = member_info(name, date_time, size)
                with open(full, "rb") as src, zf.open(info, "w", force_zip64=local_zip64(size)) as dst:
                    while chunk := src.read(_COPY_CHUNK):
                        dst.write(chunk)
    digests = hash_file(out, ("sha256", "md5"))
    return ZipResult(Path(out), digests.size, digests["sha256"], digests["md5"])
