"""Digest many files fast: every file read once for all algorithms, in parallel.

Contract: :func:`hash_files` returns, for each path, its size and one lowercase hex
digest per algorithm, computed from a single read of the file. Files are spread
over a pool of threads (hashlib releases the GIL on buffers above 2 KiB); a large
file additionally hashes its second algorithm on a helper thread side by side with
the first, so one big file still uses two cores. :func:`copy_and_hash` copies a
file while hashing it, in the same single read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

from archive.errors import ArchiveInputError

if TYPE_CHECKING:  # the thread pools load when a HashPool is made (a small bag is hashed without one)
    from concurrent.futures import Future, ThreadPoolExecutor

DEFAULT_ALGORITHMS: tuple[str, ...] = ("sha256", "sha512")
SUPPORTED_ALGORITHMS: frozenset[str] = frozenset({"sha256", "sha512", "sha1", "md5"})
CHUNK = 4 * 1024 * 1024
# Below this size a file is read whole and hashed on its worker thread; above it
# the algorithms run side by side on two threads.
SIDE_BY_SIDE_MIN = 32 * 1024 * 1024


def default_workers() -> int:
    """One worker per available CPU, at least two (I/O and hashing overlap)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        count = os.cpu_count() or 2
    return max(2, count)


@dataclass(frozen=True)
class FileDigests:
    """Size in bytes and ``{algorithm: lowercase hex}`` of one file."""

    size: int
    digests: Mapping[str, str]

    def __getitem__(self, algorithm: str) -> str:
        return self.digests[algorithm]


class Sink(Protocol):
    """Where :func:`hash_stream` copies what it reads."""

    def write(self, data: bytes | memoryview, /) -> int: ...


class _Hasher(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


def _new(algorithm: str) -> _Hasher:
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    if algorithm in ("md5", "sha1"):
        return hashlib.new(algorithm, usedforsecurity=False)
    return hashlib.new(algorithm)


class MultiHasher:
    """Feeds each chunk to every algorithm; the slowest one on a helper thread when asked."""

    def __init__(self, algorithms: Sequence[str], helper: ThreadPoolExecutor | None = None) -> None:
        self.algorithms = tuple(algorithms)
        self._hashers = [_new(a) for a in self.algorithms]
        self._helper = helper if len(self._hashers) > 1 else None
        self._pending: Future[None] | None = None
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        """Hash ``chunk`` with every algorithm. With a helper, the caller must not reuse
        ``chunk``'s buffer before the next :meth:`update` or :meth:`wait` returns."""
        self.wait()
        self.size += len(chunk)
        if self._helper is not None and len(chunk) >= 64 * 1024:
            # sha512 is the slower of the two: give it to the helper.
            self._pending = self._helper.submit(self._hashers[-1].update, chunk)
            for hasher in self._hashers[:-1]:
                hasher.update(chunk)
        else:
            for hasher in self._hashers:
                hasher.update(chunk)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def result(self) -> FileDigests:
        self.wait()
        return FileDigests(self.size, {a: h.hexdigest() for a, h in zip(self.algorithms, self._hashers, strict=True)})


def hash_stream(
    stream: IO[bytes],
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    *,
    helper: ThreadPoolExecutor | None = None,
    limit: int | None = None,
    sink: Sink | None = None,
    progress: Callable[[int], None] | None = None,
) -> FileDigests:
    """Digest everything ``stream`` yields in one pass (optionally copying it to ``sink``).

    ``limit`` stops reading after that many bytes plus one, so a caller can tell an
    overlong stream (a size that lies) from an exact one without reading it all.
    """
    multi = MultiHasher(algorithms, helper)
    # Two buffers: the helper may still hash one while the next is being read.
    size = CHUNK if limit is None else max(1, min(CHUNK, limit + 1))
    buffers = (bytearray(size), bytearray(size)) if helper is not None else (bytearray(size),)
    turn = 0
    readinto = getattr(stream, "readinto", None)
    while True:
        want = size if limit is None else min(size, limit + 1 - multi.size)
        if want <= 0:
            break
        if readinto is not None:
            buf = buffers[turn]
            turn = (turn + 1) % len(buffers)
            n = readinto(memoryview(buf)[:want])
            if not n:
                break
            view: bytes | memoryview = memoryview(buf)[:n]
        else:
            view = stream.read(want)
            if not view:
                break
        if sink is not None:
            sink.write(view)
        multi.update(view)
        if progress is not None:
            progress(len(view))
    return multi.result()


def hash_file(
    path: str | os.PathLike[str],
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    *,
    helper: ThreadPoolExecutor | None = None,
) -> FileDigests:
    """Digest one file in one read; never follows a final symlink."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size <= CHUNK:
            # Small files: one read() and one update per algorithm, no buffer juggling.
            multi = MultiHasher(algorithms)
            multi.update(handle.read())
            return _finish(multi, handle)  # the file may have grown under us
        use_helper = helper if size >= SIDE_BY_SIDE_MIN else None
        return hash_stream(handle, algorithms, helper=use_helper)


def _finish(multi: MultiHasher, handle: IO[bytes]) -> FileDigests:
    while chunk := handle.read(CHUNK):
        multi.update(chunk)
    return multi.result()


def copy_and_hash(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    *,
    helper: ThreadPoolExecutor | None = None,
    mode: int = 0o644,
) -> FileDigests:
    """Copy ``src`` to a new file ``dst`` while hashing it: one read of the source.

    Raises :class:`FileChangedError` when the source changes while it is copied.
    """
    in_fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(in_fd, "rb", buffering=0) as source:
        out_fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        with os.fdopen(out_fd, "wb", buffering=0) as sink:
            before = os.fstat(source.fileno())
            writer = _FullWriter(sink)
            if before.st_size <= CHUNK:
                multi = MultiHasher(algorithms)
                data = source.read()
                writer.write(data)
                multi.update(data)
                while more := source.read(CHUNK):  # the file grew under us
                    writer.write(more)
                    multi.update(more)
                result = multi.result()
            else:
                use_helper = helper if before.st_size >= SIDE_BY_SIDE_MIN else None
                result = hash_stream(source, algorithms, helper=use_helper, sink=writer)
            _check_unchanged(src, before, os.fstat(source.fileno()), result.size)
            return result


def copy_file(src: str | os.PathLike[str], dst: str | os.PathLike[str], *, mode: int = 0o644) -> int:
    """Copy ``src`` to a new file ``dst`` in the kernel (no hashing); return the bytes copied.

    For a file whose digests the caller already has. Raises :class:`FileChangedError`
    when the source changes while it is copied.
    """
    in_fd = os.open(src, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        before = os.fstat(in_fd)
        out_fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        try:
            copied = _kernel_copy(in_fd, out_fd)
        finally:
            os.close(out_fd)
        _check_unchanged(src, before, os.fstat(in_fd), copied)
        return copied
    finally:
        os.close(in_fd)


def _kernel_copy(in_fd: int, out_fd: int) -> int:
    copied = 0
    try:
        while n := os.copy_file_range(in_fd, out_fd, 1 << 30):
            copied += n
        return copied
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP) or copied:
            raise
    while chunk := os.read(in_fd, CHUNK):  # file systems without copy_file_range
        view = memoryview(chunk)
        while view:
            view = view[os.write(out_fd, view):]
        copied += len(chunk)
    return copied


class FileChangedError(ArchiveInputError):
    """A source file changed (size, time or identity) while it was being copied."""


def _check_unchanged(src: str | os.PathLike[str], before: os.stat_result, after: os.stat_result, read: int) -> None:
    if (before.st_size, before.st_mtime_ns, before.st_ino) != (after.st_size, after.st_mtime_ns, after.st_ino) \
            or read != before.st_size:
        raise FileChangedError(f"{os.fspath(src)}: changed while it was being copied",
                               remedy="copy it again once nothing writes to it")


class _FullWriter:
    """Unbuffered writes may be short; this writes everything."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw

    def write(self, data: bytes | memoryview) -> int:
        view = memoryview(data)
        total = 0
        while total < len(view):
            total += self._raw.write(view[total:])
        return total


class HashPool:
    """A thread pool for whole files plus a helper pool for side-by-side algorithms.

    Use as a context manager; :meth:`map` keeps input order in its results.
    """

    def __init__(self, workers: int | None = None) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.workers = workers or default_workers()
        self._files = ThreadPoolExecutor(self.workers, thread_name_prefix="hash")
        self._helper = ThreadPoolExecutor(self.workers, thread_name_prefix="hash-side")
        self._lock = threading.Lock()

    @property
    def helper(self) -> ThreadPoolExecutor:
        return self._helper

    def __enter__(self) -> HashPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._files.shutdown(wait=True, cancel_futures=True)
        self._helper.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable[..., FileDigests], *args: Any, **kwargs: Any) -> Future[FileDigests]:
        return self._files.submit(fn, *args, **kwargs)

    def map_ordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """Run ``fn`` over ``items`` on the file pool; results in input order; errors re-raised."""
        futures = [self._files.submit(fn, item) for item in items]
        return [f.result() for f in futures]


def hash_files(
    paths: Sequence[str | os.PathLike[str]],
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    *,
    workers: int | None = None,
) -> dict[str, FileDigests]:
    """Digest every path (one read each, in parallel); keys are ``os.fspath(path)``.

    Largest files start first, so a big file does not end up alone at the tail.
    """
    order = sorted(paths, key=lambda p: -size_or_zero(p))
    with HashPool(workers) as pool:
        results = pool.map_ordered(lambda p: hash_file(p, algorithms, helper=pool.helper), order)
    return {os.fspath(p): r for p, r in zip(order, results, strict=True)}


def size_or_zero(path: str | os.PathLike[str]) -> int:
    """The size of ``path`` without following a final symlink, or 0 when it cannot be read."""
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0
