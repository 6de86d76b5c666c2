"""Reading one user-named input file: regular files only, with a hard size cap and one-line errors.

Every reader of a file the user names (records, JSON documents, keys, trust
roots, envelopes) goes through :func:`read_input_bytes`. It never reads
without bound: a FIFO, a device such as ``/dev/zero``, a socket or a
directory is refused before a byte is read, and a regular file is read
through one descriptor for at most ``max_bytes + 1`` bytes, so a file that
grows (or lies in ``st_size``) after the check is still refused.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from provenance.errors import InputError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _refuse_special(p: Path, mode: int, what: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((f"is {name}, not a regular file" for test, name in _KINDS if test(mode)), "not a regular file")
    raise InputError(kind, where=str(p), remedy=f"give {what} as a regular file")


def _too_large(p: Path, size: str, max_bytes: int, what: str) -> InputError:
    return InputError(f"file is {size} bytes, over the {max_bytes}-byte limit for {what}", where=str(p),
                      remedy=f"give {what} itself, not a data file")


def open_regular_fd(path: str | os.PathLike[str], *, what: str, flags: int = os.O_RDONLY, mode: int = 0o644) -> int:
    """A descriptor of ``path`` opened with ``flags``, if it is a regular file (a ``what``, e.g. "a log").

    For readers and writers that work on descriptors (locking, appending); the
    caller closes it. With ``os.O_CREAT`` in ``flags`` a missing file is created
    (with ``mode``). :class:`InputError` when it is missing, unreadable or not a
    regular file (a FIFO is refused without waiting for a writer; a device is
    refused unopened).
    """
    p = Path(path)
    try:
        try:
            _refuse_special(p, os.stat(p).st_mode, what)  # before open: opening some devices has effects
        except FileNotFoundError:
            if not flags & os.O_CREAT:
                raise
        # O_NONBLOCK: opening a FIFO swapped in after the check must not wait for a writer.
        fd = os.open(p, flags | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0), mode)
    except FileNotFoundError:
        raise InputError("no such file", where=str(p), remedy="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", where=str(p), remedy=f"give {what}") from None
    except PermissionError:
        raise InputError("permission denied", where=str(p), remedy="check the file's permissions") from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", where=str(p), remedy=f"give {what}") from None
    try:
        _refuse_special(p, os.fstat(fd).st_mode, what)  # again on what was opened, in case the path was swapped
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_regular_file(path: str | os.PathLike[str], *, what: str) -> BinaryIO:
    """``path`` opened for reading in binary, if it is a regular file (a ``what``, e.g. "a file to sign").

    For readers that stream a file of any size (hashing); the caller closes it.
    :class:`InputError` as for :func:`open_regular_fd`.
    """
    return os.fdopen(open_regular_fd(path, what=what), "rb")


def read_input_bytes(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> bytes:
    """The bytes of the regular file ``path`` (a ``what``, e.g. "a record"), at most ``max_bytes`` of them.

    :class:`InputError` when it is missing, not a regular file (FIFO, device,
    socket, directory), larger than ``max_bytes`` (checked before reading and
    again while reading), or unreadable.
    """
    p = Path(path)
    with open_regular_file(p, what=what) as handle:
        try:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise _too_large(p, str(size), max_bytes, what)
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", where=str(p), remedy="check the file") from None
    if len(data) > max_bytes:
        raise _too_large(p, f"more than {max_bytes}", max_bytes, what)
    return data
