"""Write a BagIt 1.0 bag atomically: payload copied and hashed in one read per file."""

from __future__ import annotations

import errno
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from archive.atomic import can_sync_filesystem, fsync_dir, sync_filesystem
from archive.bag.paths import collision_key, writer_refusal
from archive.bag.text import BAGIT_TXT, MANIFEST_NAME, format_bag_info, format_manifest
from archive.errors import ArchiveInputError
from archive.hashing import (
    SUPPORTED_ALGORITHMS,
    FileDigests,
    HashPool,
    MultiHasher,
    copy_and_hash,
    copy_file,
    size_or_zero,
)


@dataclass(frozen=True)
class PayloadItem:
    """One payload file: ``name`` relative to ``data/``; content from ``path`` or ``data``.

    ``digests``, for a ``path``, are the file's digests as the caller already computed
    them: the writer then copies the file in the kernel without reading it again, checks
    that it did not change meanwhile and that its size matches, and takes the digests as
    given (they must cover every algorithm the bag uses, else the file is hashed).
    """

    name: str
    path: Path | None = None
    data: bytes | None = None
    digests: FileDigests | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.data is None):
            raise ValueError("a payload item has exactly one of path or data")
        if self.digests is not None and self.path is None:
            raise ValueError("known digests go with a path")


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
    extra_algorithms: Sequence[str] = (),
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
    ``extra_algorithms`` (e.g. md5 for a repository) are computed in the same read and
    returned in :attr:`WrittenBag.files`, but no manifest is written for them. A payload
    file that changes while it is copied is refused (:class:`archive.hashing.FileChangedError`).
    """
    target = Path(dest)
    if target.exists() or target.is_symlink():
        raise ArchiveInputError(f"{target}: already exists", remedy="remove it or choose another output path")
    if not target.parent.is_dir():
        raise ArchiveInputError(f"{target.parent}: no such directory", remedy="create it first")
    algs = tuple(dict.fromkeys(algorithms))
    hash_algs = tuple(dict.fromkeys([*algs, *extra_algorithms]))
    for alg in hash_algs:
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
    # With syncfs the whole tree is flushed in one call before the rename; else file by file meanwhile.
    per_file = fsync and not can_sync_filesystem()
    syncer = ThreadPoolExecutor(4, thread_name_prefix="fsync") if per_file else None
    try:
        try:
            files = _write_into(tmp, payload, bag_info, extra_tags, finalize, late_payload, algs,
                                hash_algs, workers, syncer)
        finally:
            if syncer is not None:
                syncer.shutdown(wait=True)
        if epoch is not None:
            _set_mtimes(tmp, epoch)
        if fsync and not sync_filesystem(tmp):
            _fsync_tree(tmp, skip_under=tmp / "data" if per_file else None)
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


def _batches(order: Sequence[PayloadItem]) -> list[list[PayloadItem]]:
    """``order`` (largest first) in consecutive groups of about a MiB; a large file alone."""
    out: list[list[PayloadItem]] = []
    current: list[PayloadItem] = []
    size = 0
    for item in order:
        current.append(item)
        size += len(item.data) if item.data is not None else size_or_zero(item.path or "")
        if size >= 1024 * 1024 or len(current) >= 256:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


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
    if name in ("bagit.txt", "bag-info.txt") or MANIFEST_NAME.match(name):
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
    hash_algs: tuple[str, ...],
    workers: int | None,
    syncer: ThreadPoolExecutor | None,
) -> dict[str, FileDigests]:
    data_dir = root / "data"
    data_dir.mkdir(mode=0o755)
    for parent in sorted({item.name.rpartition("/")[0] for item in payload} - {""}):
        (data_dir / parent).mkdir(mode=0o755, parents=True, exist_ok=True)

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
            multi = MultiHasher(hash_algs)
            multi.update(item.data)
            return multi.result()
        assert item.path is not None
        try:
            if item.digests is not None and all(a in item.digests.digests for a in hash_algs):
                size = copy_file(item.path, dst)
                if size != item.digests.size:
                    raise ArchiveInputError(f"{item.path}: {size} bytes, but its given digests are of "
                                            f"{item.digests.size} bytes", remedy="hash it again")
                return item.digests
            return copy_and_hash(item.path, dst, hash_algs, helper=pool.helper)
        except FileNotFoundError:
            raise ArchiveInputError(f"{item.path}: no such file", remedy="check the payload paths") from None
        except IsADirectoryError:
            raise ArchiveInputError(f"{item.path}: is a directory", remedy="list its files") from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ArchiveInputError(f"{item.path}: is a symlink", remedy="give the real file") from None
            raise

    order = sorted(payload, key=lambda it: -(len(it.data) if it.data is not None else size_or_zero(it.path or "")))
    with HashPool(workers) as pool:
        # Small files in batches: a pool task per 1 KiB file costs more than copying it.
        digests = [d for batch in pool.map_ordered(lambda b: [one(i) for i in b], _batches(order)) for d in batch]
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
            multi = MultiHasher(hash_algs)
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

