"""Where a check's cited source is in a bundle, and the stores that read it there at build and at verify.

Sources are the bundle's artifacts (``bundle build --include``). A check cites a source by a path relative
to the directory it is checked from. In a bundle that is ``data/``, so ``artifacts/results/table.csv`` names
the carried ``data/artifacts/results/table.csv``; or else ``data/artifacts/``: a claims file beside a
``results/`` directory cites ``results/table.csv``, and ``--include results`` carries that directory as
``data/artifacts/results/``, so the same checks ground before and after bundling. :func:`payload_names` is
that rule, in that order; no other file of the bag is ever read as a source.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from archive.bag import BagSource, open_source
from archive.errors import ArchiveError
from archive.hashing import FileDigests
from provenance.bundle.layout import ARTIFACTS_DIR
from provenance.sources.errors import SourceUnreadable

PAYLOAD = "data/"


def payload_names(cited: str) -> tuple[str, ...]:
    """The bag names a cited source may have, in the order they are looked up (``data/`` + cited, then
    ``data/artifacts/`` + cited), artifacts only."""
    return tuple(name for name in (PAYLOAD + cited, ARTIFACTS_DIR + cited) if name.startswith(ARTIFACTS_DIR))


class PayloadStore:
    """A :class:`~provenance.sources.grounding.SourceStore` at build time: the artifacts the bundle will carry,
    by bag name (``data/artifacts/...``) -> the file copied there, looked up by :func:`payload_names`."""

    def __init__(self, files: Mapping[str, Path]) -> None:
        self.files = dict(files)

    def read(self, relative: str, max_bytes: int) -> bytes | None:
        path = next((self.files[name] for name in payload_names(relative) if name in self.files), None)
        if path is None:
            return None
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise SourceUnreadable(f"file is over {max_bytes} bytes", where=str(path), remedy="cite a smaller file")
        return data


class BagStore:
    """A :class:`~provenance.sources.grounding.SourceStore` at verify time: the files of a validated bag
    (``files``: bag name -> digests), looked up by :func:`payload_names` and read from the bag directory or
    zip (never extracted) when a check cites them. ``refuse(name)`` names files not to read (large ones nothing
    vouches for). Use as a context manager: the bag is opened on the first read and closed at the end."""

    def __init__(self, path: str | os.PathLike[str], files: Mapping[str, FileDigests],
                 refuse: Callable[[str], bool] = lambda _name: False) -> None:
        self.path = path
        self.files = files
        self.refuse = refuse
        self._source: BagSource | None = None

    def read(self, relative: str, max_bytes: int) -> bytes | None:
        name = next((name for name in payload_names(relative) if name in self.files), None)
        if name is None:
            return None
        size = self.files[name].size
        if size > max_bytes:
            raise SourceUnreadable(f"{size} bytes, over {max_bytes}", where=name, remedy="cite a smaller file")
        if self.refuse(name):
            raise SourceUnreadable("not read: nothing vouches for its bytes", where=name,
                                   remedy="verify a bundle whose attestation signs this file")
        try:
            if self._source is None:
                self._source = open_source(self.path)
            with self._source.open(name) as handle:
                data: bytes = handle.read(max_bytes + 1)
        except (ArchiveError, OSError, KeyError, ValueError) as exc:
            raise SourceUnreadable(f"cannot be read from the bundle ({exc})", where=name,
                                   remedy="verify the bag itself first") from None
        if len(data) > max_bytes:
            raise SourceUnreadable(f"over {max_bytes} bytes", where=name, remedy="cite a smaller file")
        return data

    def close(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None

    def __enter__(self) -> BagStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
