"""Artifacts a bundle carries: the files a record rests on (a paper's PDF, data sets, code, result tables).

``bundle build --include [NAME=]PATH`` adds a file or a directory; it is kept
under ``data/artifacts/<NAME>`` (a file) or ``data/artifacts/<NAME>/...`` (a
directory's regular files, at their relative paths). ``NAME`` defaults to the
last component of ``PATH`` and must be one safe file name. Symlinks (the path
itself or anything inside a directory), devices, FIFOs and sockets are refused,
as are names no BagIt tool reads the same way; nothing is followed out of the
given directory. Each file becomes an RO-Crate ``File`` with its media type,
size, sha256 and description; a directory also a ``Dataset`` (``artifacts/NAME/``).

Only :func:`collect` touches the file system (``lstat`` and directory listings);
the copy and the digests come from the bag writer's one copy+hash pass, which
refuses a file that changes while it is copied.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from archive.bag import writer_refusal
from provenance.bundle.layout import ARTIFACTS_DIR
from provenance.errors import InputError

_MEDIA_TYPES: Mapping[str, str] = {
    ".pdf": "application/pdf", ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".txt": "text/plain",
    ".md": "text/markdown", ".tex": "application/x-tex", ".html": "text/html", ".htm": "text/html",
    ".json": "application/json", ".jsonl": "application/jsonl", ".xml": "application/xml", ".yaml": "application/yaml",
    ".yml": "application/yaml", ".py": "text/x-python", ".ipynb": "application/x-ipynb+json", ".r": "text/x-r",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml", ".gif": "image/gif",
    ".zip": "application/zip", ".gz": "application/gzip", ".tar": "application/x-tar", ".parquet":
    "application/vnd.apache.parquet", ".bib": "application/x-bibtex", ".lean": "text/x-lean",
}
"""Media types by file suffix: a fixed table, so the crate does not depend on the machine's MIME database."""


def media_type(name: str) -> str:
    """The media type the crate states for ``name`` (by suffix; ``application/octet-stream`` if unknown)."""
    return _MEDIA_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class Include:
    """One ``--include``: carry ``path`` as the artifact ``name``, with an optional description."""

    name: str
    path: Path
    description: str | None = None


@dataclass(frozen=True)
class ArtifactFile:
    """One file to carry: its payload name (under ``data/``), its source, and the size seen when listed."""

    payload_name: str
    source: Path
    size: int


@dataclass(frozen=True)
class Artifact:
    """An included file or directory and the files it contributes."""

    name: str
    description: str | None
    is_directory: bool
    files: tuple[ArtifactFile, ...]

    @property
    def root(self) -> str:
        """Its name in the crate: ``artifacts/NAME`` (a file) or ``artifacts/NAME/`` (a directory)."""
        base = ARTIFACTS_DIR.removeprefix("data/") + self.name
        return base + "/" if self.is_directory else base


def parse_include(value: str) -> tuple[str | None, Path]:
    """``NAME=PATH`` or ``PATH`` (a path that exists as given wins over a ``NAME=`` reading)."""
    if "=" in value and not Path(value).exists():
        name, _, path = value.partition("=")
        if not name or not path:
            raise InputError(f"--include {value!r}: give PATH or NAME=PATH", where="--include",
                             remedy="e.g. --include paper.pdf or --include data=results/")
        return name, Path(path)
    return None, Path(value)


def parse_description(value: str) -> tuple[str, str]:
    """``NAME=TEXT`` of ``--include-description``."""
    name, sep, text = value.partition("=")
    if not sep or not name or not text.strip():
        raise InputError(f"--include-description {value!r}: give NAME=TEXT", where="--include-description",
                         remedy='e.g. --include-description paper.pdf="The paper as published"')
    return name, " ".join(text.split())


def includes_from(values: Sequence[str], descriptions: Sequence[str]) -> tuple[Include, ...]:
    """The includes of the command line, each with its description; a description naming no include is refused."""
    described = dict(parse_description(d) for d in descriptions)
    found: list[Include] = []
    for value in values:
        name, path = parse_include(value)
        chosen = name or path.name
        found.append(Include(chosen, path, described.pop(chosen, None)))
    if described:
        raise InputError(f"--include-description names no included artifact: {', '.join(sorted(described))}",
                         where="--include-description", remedy="use the NAME of an --include")
    return tuple(found)


def _refuse(what: str, where: Path, remedy: str) -> InputError:
    return InputError(what, where=str(where), remedy=remedy)


def _kind(st: os.stat_result) -> str | None:
    if stat.S_ISLNK(st.st_mode):
        return "a symlink"
    if stat.S_ISFIFO(st.st_mode):
        return "a FIFO"
    if stat.S_ISSOCK(st.st_mode):
        return "a socket"
    if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
        return "a device"
    return None


def _walk(root: Path) -> Iterable[tuple[str, Path, os.stat_result]]:
    """Every regular file under ``root`` as (relative POSIX path, path, lstat), sorted; never follows a link."""
    stack = [("", root)]
    while stack:
        rel, directory = stack.pop()
        with os.scandir(directory) as it:
            items = sorted(it, key=lambda e: e.name)
        for item in reversed(items):
            path = Path(item.path)
            name = f"{rel}/{item.name}" if rel else item.name
            st = item.stat(follow_symlinks=False)
            bad = _kind(st)
            if bad:
                raise _refuse(f"{bad} inside an included directory", path,
                              "include only regular files and directories (copy the target in place of the link)")
            if stat.S_ISDIR(st.st_mode):
                stack.append((name, path))
            else:
                yield name, path, st


def _check_name(name: str, where: Path) -> None:
    reason = writer_refusal(name)
    if reason or "/" in name:
        raise _refuse(f"artifact name {name!r} is not one safe file name ({reason or 'it contains /'})", where,
                      "choose another with --include NAME=PATH")


def collect(includes: Sequence[Include]) -> tuple[Artifact, ...]:
    """List what each include carries (``lstat`` and directory listings only; nothing is read).

    Raises :class:`InputError` (one line) for a missing path, a symlink, a special file, a
    name that is not portable, or two includes with the same name.
    """
    artifacts: list[Artifact] = []
    seen: dict[str, Path] = {}
    for inc in includes:
        _check_name(inc.name, inc.path)
        key = inc.name.casefold()
        if key in seen:
            raise _refuse(f"two includes are named {inc.name!r} ({seen[key]} and {inc.path})", inc.path,
                          "name one of them with --include NAME=PATH")
        seen[key] = inc.path
        try:
            st = os.lstat(inc.path)
        except FileNotFoundError:
            raise _refuse("no such file or directory", inc.path, "check the --include path") from None
        bad = _kind(st)
        if bad:
            raise _refuse(f"{bad}: refused", inc.path, "include the regular file or directory itself")
        prefix = ARTIFACTS_DIR.removeprefix("data/") + inc.name
        if stat.S_ISDIR(st.st_mode):
            files = []
            for rel, path, fst in _walk(inc.path):
                reason = writer_refusal(rel)
                if reason:
                    raise _refuse(f"file name not carried as is ({reason})", path, "rename the file")
                files.append(ArtifactFile(f"{prefix}/{rel}", path, fst.st_size))
            if not files:
                raise _refuse("the directory holds no file: nothing to carry", inc.path,
                              "include a directory with files in it")
            artifacts.append(Artifact(inc.name, inc.description, True, tuple(sorted(files, key=lambda f: f.payload_name))))
        else:
            artifacts.append(Artifact(inc.name, inc.description, False, (ArtifactFile(prefix, inc.path, st.st_size),)))
    return tuple(artifacts)


@dataclass(frozen=True)
class CarriedArtifact:
    """An artifact as a bundle carries it: its name, how many files and bytes, and its description."""

    name: str
    files: int
    bytes: int
    description: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "files": self.files, "bytes": self.bytes, "description": self.description}


def carried_artifacts(sizes: Mapping[str, int], crate: object = None) -> tuple[CarriedArtifact, ...]:
    """The artifacts in a bundle's files (bag name -> size), with the descriptions its crate gives."""
    grouped: dict[str, list[int]] = {}
    for name, size in sizes.items():
        if name.startswith(ARTIFACTS_DIR):
            grouped.setdefault(name[len(ARTIFACTS_DIR):].split("/", 1)[0], []).append(size)
    described: dict[str, str] = {}
    graph = crate.get("@graph") if isinstance(crate, dict) else None
    prefix = ARTIFACTS_DIR.removeprefix("data/")
    for entity in graph if isinstance(graph, list) else []:
        if isinstance(entity, dict) and isinstance(entity.get("@id"), str) and isinstance(entity.get("description"), str):
            entity_id = entity["@id"]
            if entity_id.startswith(prefix) and "/" not in entity_id[len(prefix):].rstrip("/"):
                described[entity_id[len(prefix):].rstrip("/")] = entity["description"]
    return tuple(CarriedArtifact(name, len(s), sum(s), described.get(name)) for name, s in sorted(grouped.items()))
