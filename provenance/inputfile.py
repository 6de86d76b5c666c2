"""Reading one user-named input file, with a size limit and one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

from provenance.errors import InputError


def read_input_bytes(path: str | os.PathLike[str], *, max_bytes: int, what: str) -> bytes:
    """The bytes of ``path`` (a ``what``, e.g. "a record"); :class:`InputError` when missing, too large or unreadable.

    The size is checked before reading, so a huge file is refused without being read.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(
                f"file is {size} bytes, over the {max_bytes}-byte limit for {what}",
                where=str(p),
                remedy=f"give {what} itself, not a data file",
            )
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", where=str(p), remedy="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", where=str(p), remedy=f"give {what}") from None
    except PermissionError:
        raise InputError("permission denied", where=str(p), remedy="check the file's permissions") from None
