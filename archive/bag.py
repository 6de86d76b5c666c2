"""BagIt 1.0 (RFC 8493): a strict writer and a validator that reports every finding.

Writer: builds in a temporary directory beside the destination and renames it into
place; payload files are copied and hashed in one read each, in parallel; manifests
are sorted, LF-terminated, two-space separated, lowercase hex; bag-info.txt keeps
the caller's order and gets Payload-Oxum; tag manifests list every tag file except
tag manifests. Names needing percent-encoding are refused on write.

Validator: reads a directory (never following symlinks) or a zip (streamed, never
extracted) through a :class:`BagSource`; checks bagit.txt, every manifest line and
path, completeness against each manifest, Payload-Oxum, and every digest, hashing
each file once for every algorithm. It collects all findings and returns them.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import stat
import threading
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from archive.atomic import fsync_dir
from archive.errors import ArchiveInputError
from archive.hashing import (
    CHUNK,
    SIDE_BY_SIDE_MIN,
    SUPPORTED_ALGORITHMS,
    FileDigests,
    HashPool,
    MultiHasher,
    _size_or_zero,
    copy_and_hash,
    hash_stream,
)

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_MANIFEST_NAME = re.compile(r"^(tag)?manifest-([a-z0-9]+)\.txt$")
_TAGMANIFEST_NAME = re.compile(r"^tagmanifest-([a-z0-9]+)\.txt$")
_MANIFEST_LINE = re.compile(r"^([0-9A-Fa-f]+)[ \t]+(.+)$")
SERIAL_BELOW = 4 * 1024 * 1024
"""Bags with fewer payload and tag bytes than this are hashed on the calling thread."""
_HEX_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}

# --------------------------------------------------------------------------- paths
MAX_SEGMENT_BYTES = 255
_ESCAPE = re.compile(r"%(0[AaDd]|25)")
_ANY_PERCENT = re.compile(r"%")


def encode_path(name: str) -> str:
    """Manifest form of a path: ``%`` then CR and LF percent-encoded."""
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str) -> str:
    """Inverse of :func:`encode_path`; raise ``ValueError`` on any other ``%`` use."""
    stripped = _ESCAPE.sub("", text)
    if _ANY_PERCENT.search(stripped):
        raise ValueError("a '%' that is not %0A, %0D or %25 (unencoded '%' in a manifest path)")
    return _ESCAPE.sub(lambda m: {"0a": "\n", "0d": "\r", "25": "%"}[m.group(1).lower()], text)


def unsafe_reason(name: str) -> str | None:
    """Why ``name`` (a bag-relative POSIX path) is unsafe to read or write, or None.

    Rejects absolute paths, drive letters, backslashes, ``..``/``.``/empty
    segments, a leading ``~``, control characters and over-long segments.
    """
    if not name:
        return "empty path"
    if name.startswith("/"):
        return "absolute path"
    if re.match(r"^[A-Za-z]:", name):
        return "drive-letter path"
    if "\\" in name:
        return "backslash in path"
    if name.startswith("~"):
        return "path starts with '~'"
    if "\x00" in name:
        return "NUL byte in path"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return f"path segment {segment!r} (empty, '.' or '..')"
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            return f"path segment longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def writer_refusal(name: str) -> str | None:
    """Why our writer refuses ``name`` as a payload path (under ``data/``), or None.

    On top of :func:`unsafe_reason`: NFC only, no ``%``, CR, LF or other control
    characters, so that every BagIt tool reads the name the same way.
    """
    reason = unsafe_reason(name)
    if reason:
        return reason
    if unicodedata.normalize("NFC", name) != name:
        return "path is not in Unicode NFC"
    if "%" in name:
        return "'%' in path (percent-encoding is mishandled by many BagIt tools)"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        return "control or unassigned character in path"
    return None


def collision_key(name: str) -> str:
    """Key under which two names collide on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFC", name).casefold()


# --------------------------------------------------------------------------- sources


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


# --------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class BagFinding:
    """One problem. ``code`` is stable (``mismatch``, ``missing``, ``unexpected``, ...)."""

    code: str
    path: str | None
    message: str
    level: str = "error"  # or "warning"

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message, "level": self.level}


def parse_manifest(text: bytes, source: str) -> tuple[list[tuple[str, str]], list[BagFinding]]:
    """``[(path, hex)]`` of a (tag)manifest and every malformed line as a finding."""
    findings: list[BagFinding] = []
    entries: list[tuple[str, str]] = []
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [BagFinding("bad-manifest", source, f"not UTF-8 (byte {exc.start})")]
    if decoded.startswith("\ufeff"):
        findings.append(BagFinding("bad-manifest", source, "starts with a byte-order mark"))
        decoded = decoded[1:]
    for number, line in enumerate(re.split(r"\r\n|\n|\r", decoded), 1):
        if line == "":
            continue
        match = _MANIFEST_LINE.match(line)
        if not match:
            findings.append(BagFinding("bad-manifest", source, f"line {number} is not '<hex digest> <path>'"))
            continue
        try:
            path = decode_path(match.group(2))
        except ValueError as exc:
            findings.append(BagFinding("bad-path", source, f"line {number}: {exc}"))
            continue
        entries.append((path, match.group(1).lower()))
    return entries, findings


def parse_bag_info(text: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """``[(label, value)]`` in file order (continuation lines joined) and problems found."""
    problems: list[str] = []
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [f"not UTF-8 (byte {exc.start})"]
    items: list[tuple[str, str]] = []
    for number, line in enumerate(re.split(r"\r\n|\n|\r", decoded), 1):
        if line == "":
            continue
        if line[0] in " \t":
            if not items:
                problems.append(f"line {number}: continuation line before any label")
                continue
            label, value = items[-1]
            items[-1] = (label, value + " " + line.strip())
            continue
        label, sep, value = line.partition(":")
        if not sep or label != label.strip() or not label:
            problems.append(f"line {number}: not 'Label: value'")
            continue
        items.append((label, value.strip()))
    return items, problems


def format_bag_info(items: Sequence[tuple[str, str]]) -> bytes:
    """bag-info.txt in the caller's order; refuses labels or values that cannot round-trip."""
    lines = []
    for label, value in items:
        if not label or ":" in label or label != label.strip() or any(c in label for c in "\r\n"):
            raise ArchiveInputError(f"bag-info label {label!r} is not allowed", remedy="use a plain label")
        if any(c in value for c in "\r\n") or value != value.strip():
            raise ArchiveInputError(f"bag-info value for {label!r} has line breaks or edge spaces", remedy="flatten it")
        lines.append(f"{label}: {value}\n")
    return "".join(lines).encode("utf-8")


def format_manifest(entries: Mapping[str, str]) -> bytes:
    """Sorted ``<hex>  <path>`` lines, LF endings, paths percent-encoded."""
    return "".join(f"{digest}  {encode_path(path)}\n" for path, digest in sorted(entries.items())).encode("utf-8")


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class PayloadItem:
    """One payload file: ``name`` relative to ``data/``; content from ``path`` or ``data``."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("a payload item has exactly one of path or data")


#: Called once the payload, manifests, bagit.txt and bag-info.txt are written, with the
#: digests of all of them (bag-relative names); returns extra tag files to add.
Finalizer = Callable[[Mapping[str, FileDigests]], Mapping[str, bytes]]


#: Called once the payload files are copied and hashed, with their digests (names under
#: ``data/``); returns more payload files (as bytes) that describe them, e.g. crate metadata.
LatePayload = Callable[[Mapping[str, FileDigests]], Sequence[PayloadItem]]


@dataclass(frozen=True)
class WrittenBag:
    """What :func:`write_bag` produced: where, and the digests of every file in it."""

    path: Path
    files: Mapping[str, FileDigests]
    payload_oxum: str

    def digest(self, name: str, algorithm: str = "sha256") -> str:
        return self.files[name].digests[algorithm]


def write_bag(
    dest: str | os.PathLike[str],
    payload: Sequence[PayloadItem],
    *,
    bag_info: Sequence[tuple[str, str]],
    tag_files: Mapping[str, bytes] | None = None,
    finalize: Finalizer | None = None,
    late_payload: LatePayload | None = None,
    algorithms: Sequence[str] = ("sha256", "sha512"),
    workers: int | None = None,
    epoch: int | None = None,
    fsync: bool = True,
    after_build: Callable[[Path], None] | None = None,
) -> WrittenBag:
    """Write a BagIt 1.0 bag at ``dest`` (which must not exist), atomically.

    The bag is built in ``<dest>.tmp-<uuid>`` beside ``dest`` and renamed into place;
    on any error nothing is left at ``dest``. Payload files are copied and hashed in
    one read each, in parallel; ``late_payload`` then adds files computed from their
    digests (so no file is read twice). ``bag_info`` is written in the given order after
    ``Payload-Oxum`` is appended (a caller-given Payload-Oxum is refused). Files get
    mode 0644 and, when ``epoch`` is given, that mtime. ``after_build`` sees the
    finished temporary directory before the rename (e.g. to write a zip of it).
    """
    target = Path(dest)
    if target.exists() or target.is_symlink():
        raise ArchiveInputError(f"{target}: already exists", remedy="remove it or choose another output path")
    if not target.parent.is_dir():
        raise ArchiveInputError(f"{target.parent}: no such directory", remedy="create it first")
    algs = tuple(dict.fromkeys(algorithms))
    for alg in algs:
        if alg not in SUPPORTED_ALGORITHMS:
            raise ArchiveInputError(f"unsupported manifest algorithm {alg!r}", remedy="use sha256 or sha512")
    if any(label.lower() == "payload-oxum" for label, _ in bag_info):
        raise ArchiveInputError("Payload-Oxum is computed by the writer", remedy="leave it out of bag-info")
    _check_payload_names(payload)
    extra_tags = dict(tag_files or {})
    for name in extra_tags:
        _check_tag_name(name)

    tmp = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex}"
    tmp.mkdir(mode=0o755)
    syncer = ThreadPoolExecutor(4, thread_name_prefix="fsync") if fsync else None
    try:
        try:
            files = _write_into(tmp, payload, bag_info, extra_tags, finalize, late_payload, algs, workers, syncer)
        finally:
            if syncer is not None:
                syncer.shutdown(wait=True)
        if epoch is not None:
            _set_mtimes(tmp, epoch)
        if fsync:
            _fsync_tree(tmp, skip_under=tmp / "data")
        if after_build is not None:
            after_build(tmp)
        os.rename(tmp, target)
        if fsync:
            fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    oxum = _oxum(files)
    return WrittenBag(target, files, oxum)


def _check_payload_names(payload: Sequence[PayloadItem]) -> None:
    seen: dict[str, str] = {}
    for item in payload:
        reason = writer_refusal(item.name)
        if reason:
            raise ArchiveInputError(f"payload name {item.name!r}: {reason}", remedy="rename the file")
        key = collision_key(item.name)
        if key in seen:
            raise ArchiveInputError(
                f"payload names {seen[key]!r} and {item.name!r} collide on case-insensitive file systems",
                remedy="rename one of them",
            )
        seen[key] = item.name
    names = {item.name for item in payload}
    for name in names:
        parts = name.split("/")
        for i in range(1, len(parts)):
            if "/".join(parts[:i]) in names:
                raise ArchiveInputError(f"payload name {name!r} puts a file under file {'/'.join(parts[:i])!r}")


def _check_tag_name(name: str) -> None:
    reason = writer_refusal(name)
    if reason or name.startswith("data/") or name == "data":
        raise ArchiveInputError(f"tag file name {name!r} is not allowed", remedy="use a plain name outside data/")
    if name in ("bagit.txt", "bag-info.txt") or _MANIFEST_NAME.match(name):
        raise ArchiveInputError(f"tag file {name!r} is written by the bag writer itself")


def _oxum(files: Mapping[str, FileDigests]) -> str:
    payload = [d for n, d in files.items() if n.startswith("data/")]
    return f"{sum(d.size for d in payload)}.{len(payload)}"


def _write_into(
    root: Path,
    payload: Sequence[PayloadItem],
    bag_info: Sequence[tuple[str, str]],
    extra_tags: dict[str, bytes],
    finalize: Finalizer | None,
    late_payload: LatePayload | None,
    algs: tuple[str, ...],
    workers: int | None,
    syncer: ThreadPoolExecutor | None,
) -> dict[str, FileDigests]:
    data_dir = root / "data"
    data_dir.mkdir(mode=0o755)
    for item in payload:
        (data_dir / item.name).parent.mkdir(mode=0o755, parents=True, exist_ok=True)

    synced: list[Future[None]] = []

    def one(item: PayloadItem) -> FileDigests:
        digests = _one(item)
        if syncer is not None:
            # Flush while other files are still being hashed: disk I/O overlaps CPU.
            synced.append(syncer.submit(_fsync_file, str(data_dir / item.name)))
        return digests

    def _one(item: PayloadItem) -> FileDigests:
        dst = data_dir / item.name
        if item.data is not None:
            _write_new(dst, item.data, fsync=False)
            multi = MultiHasher(algs)
            multi.update(item.data)
            return multi.result()
        assert item.path is not None
        try:
            return copy_and_hash(item.path, dst, algs, helper=pool.helper)
        except FileNotFoundError:
            raise ArchiveInputError(f"{item.path}: no such file", remedy="check the payload paths") from None
        except IsADirectoryError:
            raise ArchiveInputError(f"{item.path}: is a directory", remedy="list its files") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ArchiveInputError(f"{item.path}: is a symlink", remedy="give the real file") from None
            raise

    order = sorted(payload, key=lambda it: -(len(it.data) if it.data is not None else _size_or_zero(it.path or "")))
    with HashPool(workers) as pool:
        digests = pool.map_ordered(one, order)
    for future in synced:
        future.result()
    files: dict[str, FileDigests] = {f"data/{it.name}": d for it, d in zip(order, digests, strict=True)}
    if late_payload is not None:
        late = list(late_payload(dict(files)))
        _check_payload_names([*payload, *late])
        for item in late:
            if item.data is None:
                raise ArchiveInputError(f"late payload {item.name!r} must be given as bytes")
            dst = data_dir / item.name
            dst.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            _write_new(dst, item.data, fsync=syncer is not None)
            multi = MultiHasher(algs)
            multi.update(item.data)
            files[f"data/{item.name}"] = multi.result()

    tags: dict[str, bytes] = {"bagit.txt": BAGIT_TXT}
    info = [*bag_info, ("Payload-Oxum", _oxum(files))]
    tags["bag-info.txt"] = format_bag_info(info)
    for alg in algs:
        tags[f"manifest-{alg}.txt"] = format_manifest({n: d.digests[alg] for n, d in files.items()})
    tags.update(extra_tags)
    for name, content in tags.items():
        files[name] = _write_tag(root, name, content, algs)
    if finalize is not None:
        added = finalize(dict(files))
        for name, content in added.items():
            _check_tag_name(name)
            if name in files:
                raise ArchiveInputError(f"finalizer tag file {name!r} already exists")
            files[name] = _write_tag(root, name, content, algs)
    tag_names = sorted(n for n in files if not n.startswith("data/"))
    for alg in algs:
        body = format_manifest({n: files[n].digests[alg] for n in tag_names})
        files[f"tagmanifest-{alg}.txt"] = _write_tag(root, f"tagmanifest-{alg}.txt", body, algs)
    return files


def _write_tag(root: Path, name: str, content: bytes, algs: tuple[str, ...]) -> FileDigests:
    path = root / name
    path.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    _write_new(path, content, fsync=False)
    multi = MultiHasher(algs)
    multi.update(content)
    return multi.result()


def _write_new(path: Path, data: bytes, *, fsync: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        if fsync:
            handle.flush()
            os.fsync(handle.fileno())


def _set_mtimes(root: Path, epoch: int) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            os.utime(os.path.join(dirpath, name), (epoch, epoch), follow_symlinks=False)
    for dirpath, dirnames, _ in os.walk(root, topdown=False):
        for name in dirnames:
            os.utime(os.path.join(dirpath, name), (epoch, epoch), follow_symlinks=False)
    os.utime(root, (epoch, epoch))


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path, *, skip_under: Path | None = None) -> None:
    """fsync every directory, and every file not under ``skip_under`` (already flushed)."""
    paths: list[str] = []
    dirs: list[str] = []
    for dirpath, _, filenames in os.walk(root):
        dirs.append(dirpath)
        if skip_under is None or not Path(dirpath).is_relative_to(skip_under):
            paths.extend(os.path.join(dirpath, n) for n in filenames)
    with ThreadPoolExecutor(4) as ex:
        list(ex.map(_fsync_file, paths))
    for d in dirs:
        fsync_dir(Path(d))


# --------------------------------------------------------------------------- validating


@dataclass(frozen=True)
class BagReport:
    """Every finding of :func:`validate_bag`, plus what was read while validating.

    ``files`` holds the digests computed for every regular file (bag-relative names),
    ``contents`` the bytes of the files the caller asked to keep: exactly the bytes
    that were hashed, so later parsing sees what was verified.
    """

    label: str
    findings: tuple[BagFinding, ...]
    files: Mapping[str, FileDigests]
    contents: Mapping[str, bytes]
    bag_info: tuple[tuple[str, str], ...]
    payload_manifests: Mapping[str, Mapping[str, str]]
    tag_manifests: Mapping[str, Mapping[str, str]]
    version: str | None

    @property
    def ok(self) -> bool:
        return not any(f.level == "error" for f in self.findings)

    @property
    def errors(self) -> list[BagFinding]:
        return [f for f in self.findings if f.level == "error"]

    def info(self, label: str) -> list[str]:
        """Every value of a bag-info label (case-insensitive), in file order."""
        return [v for k, v in self.bag_info if k.lower() == label.lower()]

    def to_json(self) -> dict[str, Any]:
        return {
            "bag": self.label,
            "valid": self.ok,
            "version": self.version,
            "files": len(self.files),
            "findings": [f.to_json() for f in self.findings],
        }


def _default_keep(name: str) -> bool:
    return not name.startswith("data/")


def validate_bag(
    path: str | os.PathLike[str] | BagSource,
    *,
    workers: int | None = None,
    keep: Callable[[str], bool] = _default_keep,
    keep_limit: int = 64 * 1024 * 1024,
    progress: Callable[[int], None] | None = None,
) -> BagReport:
    """Check that a bag is complete and valid; return every finding, never stop at the first.

    Works on a directory or a zip (streamed, never extracted). Raises
    :class:`ArchiveInputError` only when the bag cannot be read at all. Every
    regular file is read once, hashed with every algorithm any manifest uses.
    ``keep(name)`` selects files whose bytes are returned (up to ``keep_limit`` each).
    """
    source = path if not isinstance(path, (str, os.PathLike)) else open_source(path)
    try:
        return _validate(source, workers, keep, keep_limit, progress)
    finally:
        if source is not path:
            source.close()


def _validate(
    source: BagSource,
    workers: int | None,
    keep: Callable[[str], bool],
    keep_limit: int,
    progress: Callable[[int], None] | None,
) -> BagReport:
    findings: list[BagFinding] = []
    entries = source.entries()
    regular = {e.name: e for e in entries if e.kind == "file"}
    for e in entries:
        if e.kind != "file":
            code = {"symlink": "symlink", "special": "special-file", "unsafe": "unsafe-path"}.get(e.kind, e.kind)
            findings.append(BagFinding(code, e.name, f"{e.detail}; refused"))
    _check_collisions(regular, findings)

    small: dict[str, bytes] = {}

    def read_small(name: str, limit: int = 16 * 1024 * 1024) -> bytes | None:
        if name not in regular:
            return None
        if regular[name].size > limit:
            findings.append(BagFinding("too-large", name, f"tag file is {regular[name].size} bytes; refused"))
            return None
        with source.open(name) as handle:
            data = handle.read(limit + 1)
        small[name] = data
        return data

    # problems per manifest file, to tell a changed manifest from a changed file
    blame: dict[str, int] = {}
    # bagit.txt
    version: str | None = None
    bagit = read_small("bagit.txt", 4096)
    if bagit is None:
        findings.append(BagFinding("missing", "bagit.txt", "bagit.txt is missing: not a bag"))
    else:
        version = _check_bagit_txt(bagit, findings)
    if "data" not in {n.split("/", 1)[0] for n in regular} and not any(
        e.name.startswith("data/") for e in entries
    ):
        findings.append(BagFinding("missing", "data/", "the payload directory data/ is missing or empty"))

    # manifests
    payload_manifests: dict[str, dict[str, str]] = {}
    tag_manifests: dict[str, dict[str, str]] = {}
    for name in sorted(regular):
        m = _MANIFEST_NAME.match(name)
        if not m:
            continue
        is_tag, alg = bool(m.group(1)), m.group(2)
        if alg not in SUPPORTED_ALGORITHMS:
            findings.append(BagFinding("unsupported-algorithm", name, f"algorithm {alg!r} cannot be checked"))
            continue
        text = read_small(name, 512 * 1024 * 1024)
        if text is None:
            continue
        listed, problems = parse_manifest(text, name)
        findings.extend(problems)
        blame[name] = len(problems)
        table: dict[str, str] = {}
        for entry_path, digest in listed:
            problem = _manifest_entry_problem(entry_path, digest, alg, is_tag)
            if problem:
                findings.append(BagFinding(problem[0], entry_path, f"{name}: {problem[1]}"))
                blame[name] += 1
                continue
            if entry_path in table:
                findings.append(BagFinding("duplicate", entry_path, f"{name}: listed more than once"))
                blame[name] += 1
                continue
            table[entry_path] = digest
        (tag_manifests if is_tag else payload_manifests)[alg] = table
    if not payload_manifests:
        findings.append(BagFinding("missing", "manifest-<alg>.txt", "no payload manifest: the bag is incomplete"))

    # bag-info.txt
    bag_info: list[tuple[str, str]] = []
    if "bag-info.txt" in regular:
        raw = read_small("bag-info.txt", 1024 * 1024)
        if raw is not None:
            bag_info, problems_info = parse_bag_info(raw)
            findings.extend(BagFinding("bad-bag-info", "bag-info.txt", p) for p in problems_info)
    oxums = [v for k, v in bag_info if k.lower() == "payload-oxum"]
    if len(oxums) > 1:
        findings.append(BagFinding("bad-bag-info", "bag-info.txt", "Payload-Oxum appears more than once"))

    # completeness: the files in data/ equal each payload manifest
    payload_files = {n for n in regular if n.startswith("data/")}
    for alg, table in sorted(payload_manifests.items()):
        for listed_name in sorted(set(table) - payload_files):
            findings.append(BagFinding("missing", listed_name, f"listed in manifest-{alg}.txt but not in the bag"))
            blame[f"manifest-{alg}.txt"] += 1
        for present in sorted(payload_files - set(table)):
            findings.append(BagFinding("unexpected", present, f"in data/ but not in manifest-{alg}.txt"))
            blame[f"manifest-{alg}.txt"] += 1
    tag_files = {n for n in regular if not n.startswith("data/") and not _TAGMANIFEST_NAME.match(n)}
    for alg, table in sorted(tag_manifests.items()):
        for listed_name in sorted(set(table) - set(regular)):
            findings.append(BagFinding("missing", listed_name, f"listed in tagmanifest-{alg}.txt but not in the bag"))
            blame[f"tagmanifest-{alg}.txt"] += 1
        for present in sorted(tag_files - set(table)):
            findings.append(BagFinding("unexpected", present, f"tag file not in tagmanifest-{alg}.txt"))
            blame[f"tagmanifest-{alg}.txt"] += 1
    if oxums and len(oxums) == 1:
        _check_oxum(oxums[0], regular, payload_files, findings)

    # one hashing pass over every regular file
    algs = sorted(set(payload_manifests) | set(tag_manifests)) or ["sha256"]
    computed, kept, read_errors = _hash_all(source, regular, algs, workers, keep, keep_limit, progress)
    findings.extend(read_errors)
    for table_set, kind in ((payload_manifests, "manifest"), (tag_manifests, "tagmanifest")):
        for alg, table in sorted(table_set.items()):
            for listed_name, expected in sorted(table.items()):
                got = computed.get(listed_name)
                if got is None:
                    continue
                if got.digests[alg] != expected:
                    blame[f"{kind}-{alg}.txt"] += 1
                    findings.append(
                        BagFinding(
                            "mismatch",
                            listed_name,
                            f"{alg} in {kind}-{alg}.txt is {expected}, the file hashes to {got.digests[alg]}",
                        )
                    )
    _blame_manifests(blame, findings)
    for name, data in small.items():
        kept.setdefault(name, data) if keep(name) else None
    return BagReport(
        label=source.label,
        findings=tuple(findings),
        files=computed,
        contents=kept,
        bag_info=tuple(bag_info),
        payload_manifests=payload_manifests,
        tag_manifests=tag_manifests,
        version=version,
    )


def _blame_manifests(blame: Mapping[str, int], findings: list[BagFinding]) -> None:
    """Name a manifest as changed when it disagrees with the bag and a manifest of the same
    kind with another algorithm agrees everywhere (so the files are intact, the manifest is not)."""
    for prefix in ("manifest-", "tagmanifest-"):
        names = sorted(n for n in blame if n.startswith(prefix))
        clean = [n for n in names if blame[n] == 0]
        for name in names:
            if blame[name] and clean:
                findings.append(
                    BagFinding(
                        "manifest-changed",
                        name,
                        f"disagrees with the bag in {blame[name]} place(s) where {clean[0]} agrees: this manifest was changed",
                    )
                )


def _check_bagit_txt(data: bytes, findings: list[BagFinding]) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        findings.append(BagFinding("bad-bagit-txt", "bagit.txt", "starts with a byte-order mark"))
        data = data[3:]
    lines = [ln for ln in re.split(rb"\r\n|\n|\r", data) if ln]
    version = None
    if len(lines) != 2:
        findings.append(BagFinding("bad-bagit-txt", "bagit.txt", f"has {len(lines)} lines, 2 expected"))
    for line in lines:
        text = line.decode("utf-8", "replace")
        if text.startswith("BagIt-Version: "):
            version = text.split(": ", 1)[1]
        elif text != "Tag-File-Character-Encoding: UTF-8":
            findings.append(BagFinding("bad-bagit-txt", "bagit.txt", f"unexpected line {text[:60]!r}"))
    if version not in ("1.0", "0.97"):
        findings.append(BagFinding("bad-bagit-txt", "bagit.txt", f"BagIt-Version {version!r}, 1.0 expected"))
    return version


def _manifest_entry_problem(path: str, digest: str, alg: str, is_tag: bool) -> tuple[str, str] | None:
    reason = unsafe_reason(path)
    if reason:
        return "unsafe-path", f"{reason}; refused"
    if len(digest) != _HEX_LENGTH[alg]:
        return "bad-manifest", f"{alg} digest has {len(digest)} hex digits, {_HEX_LENGTH[alg]} expected"
    if is_tag:
        if path.startswith("data/"):
            return "unsafe-path", "a tag manifest lists a payload file"
        if _TAGMANIFEST_NAME.match(path):
            return "unsafe-path", "a tag manifest lists a tag manifest"
    elif not path.startswith("data/"):
        return "unsafe-path", "payload entry outside data/"
    return None


def _check_collisions(regular: Mapping[str, Entry], findings: list[BagFinding]) -> None:
    seen: dict[str, str] = {}
    for name in sorted(regular):
        key = collision_key(name)
        if key in seen:
            findings.append(
                BagFinding("collision", name, f"collides with {seen[key]!r} under case folding or Unicode normalisation")
            )
        else:
            seen[key] = name


def _check_oxum(oxum: str, regular: Mapping[str, Entry], payload: set[str], findings: list[BagFinding]) -> None:
    m = re.fullmatch(r"(\d+)\.(\d+)", oxum)
    if not m:
        findings.append(BagFinding("bad-bag-info", "bag-info.txt", f"Payload-Oxum {oxum!r} is not '<octets>.<count>'"))
        return
    octets = sum(regular[n].size for n in payload)
    if (int(m.group(1)), int(m.group(2))) != (octets, len(payload)):
        findings.append(
            BagFinding(
                "oxum",
                "bag-info.txt",
                f"Payload-Oxum says {oxum}, the payload is {octets}.{len(payload)}",
            )
        )


def _hash_all(
    source: BagSource,
    regular: Mapping[str, Entry],
    algs: Sequence[str],
    workers: int | None,
    keep: Callable[[str], bool],
    keep_limit: int,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, FileDigests], dict[str, bytes], list[BagFinding]]:
    computed: dict[str, FileDigests] = {}
    kept: dict[str, bytes] = {}
    errors: list[BagFinding] = []
    lock = threading.Lock()

    def one(name: str) -> None:
        entry = regular[name]
        want = keep(name) and entry.size <= keep_limit
        try:
            with source.open(name) as handle:
                if want or entry.size <= CHUNK:
                    data = handle.read(max(entry.size, 0) + 1)
                    while len(data) <= entry.size:
                        more = handle.read(entry.size + 1 - len(data))
                        if not more:
                            break
                        data += more
                    multi = MultiHasher(algs)
                    multi.update(data)
                    digests = multi.result()
                    if want:
                        with lock:
                            kept[name] = data
                else:
                    use_helper = helper[0] if entry.size >= SIDE_BY_SIDE_MIN else None
                    digests = hash_stream(handle, algs, helper=use_helper, limit=entry.size)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, ArchiveInputError) as exc:
            with lock:
                errors.append(BagFinding("unreadable", name, f"cannot read: {exc}"))
            return
        if digests.size != entry.size:
            with lock:
                errors.append(BagFinding("size", name, f"declared {entry.size} bytes, read {digests.size}"))
        if progress is not None:
            progress(entry.size)
        with lock:
            computed[name] = digests

    names = sorted(regular, key=lambda n: -regular[n].size)
    helper: list[ThreadPoolExecutor | None] = [None]
    if sum(e.size for e in regular.values()) <= SERIAL_BELOW or workers == 1:
        for name in names:  # small bags: starting threads would cost more than hashing
            one(name)
    else:
        with HashPool(workers) as pool:
            helper[0] = pool.helper
            pool.map_ordered(one, names)
    return dict(sorted(computed.items())), kept, sorted(errors, key=lambda f: f.path or "")
