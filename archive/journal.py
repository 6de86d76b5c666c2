"""Deposit journals and the deposit registry: the durable memory of a deposit.

A journal is one JSON file per deposit, rewritten atomically (temp file,
fsync, rename) around every side effect, mode 0600. It records the remote
deposition id as soon as the repository returns it, so a crash at any step
resumes without a second draft or a second publication. It never holds a
token. Unknown fields survive every rewrite.

The registry maps (target, record id) to the latest published version of
that record, so a later bundle of the same record becomes a new version.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from archive.atomic import atomic_write_bytes
from archive.errors import ArchiveError, ArchiveInputError
from archive.jsontext import JSONTextError, loads

JOURNAL_CONTRACT = "deposit-journal-v1"
REGISTRY_CONTRACT = "deposit-registry-v1"
PHASES = ("prepared", "creating", "created", "uploaded", "metadata_set", "publishing", "published", "draft_ready",
          "discarded")
FINAL_PHASES = frozenset({"published", "draft_ready", "discarded"})


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class JournalError(ArchiveInputError):
    """A journal that cannot be read, or does not describe a deposit we can continue."""


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise JournalError(f"{path}: no such {what}", remedy="check the path") from None
    except OSError as exc:
        raise JournalError(f"{path}: cannot read the {what}: {exc.strerror}", remedy="check permissions") from None
    try:
        data = loads(raw, what=f"the {what}")
    except JSONTextError as exc:
        raise JournalError(f"{path}: {exc.message}",
                           remedy="restore it from a backup; it is written atomically so this means outside damage") from None
    if not isinstance(data, dict):
        raise JournalError(f"{path}: the {what} is not a JSON object", remedy="give a deposit journal")
    return data


@dataclass(frozen=True)
class JournalFile:
    """One file to deposit, with the digests computed before any upload."""

    key: str
    path: str
    size: int
    md5: str
    sha256: str
    uploaded: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "md5": self.md5, "sha256": self.sha256,
                "uploaded": self.uploaded}


class Journal:
    """A deposit journal on disk. Every mutation is written before the method returns."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        target: Mapping[str, Any],
        record_id: str,
        bundle_id: str,
        files: list[JournalFile],
        metadata: Mapping[str, Any],
        publish: bool,
        marker: str,
        previous: Mapping[str, Any] | None,
        extra: Mapping[str, Any] | None = None,
    ) -> Journal:
        """Write a new journal in phase ``prepared``; refuses to overwrite an existing one."""
        p = Path(path)
        if p.exists():
            raise JournalError(f"{p}: a journal already exists", remedy="resume or discard that deposit")
        p.parent.mkdir(parents=True, exist_ok=True)
        data: dict[str, Any] = {
            "contract": JOURNAL_CONTRACT,
            "target": dict(target),
            "record_id": record_id,
            "bundle_id": bundle_id,
            "marker": marker,
            "publish": publish,
            "previous": dict(previous) if previous else None,
            "files": {f.key: f.to_json() for f in files},
            "metadata": dict(metadata),
            "phase": "prepared",
            "deposition_id": None,
            "concept_id": None,
            "upload_target": None,
            "doi": None,
            "concept_doi": None,
            "record_url": None,
            "history": [{"phase": "prepared", "at": utc_now()}],
            **dict(extra or {}),
        }
        journal = cls(p, data)
        journal.save()
        return journal

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Journal:
        p = Path(path)
        data = _read_json(p, "deposit journal")
        if data.get("contract") != JOURNAL_CONTRACT:
            raise JournalError(f"{p}: not a deposit journal (contract {data.get('contract')!r})",
                               remedy=f"give a {JOURNAL_CONTRACT} file")
        if data.get("phase") not in PHASES:
            raise JournalError(f"{p}: unknown phase {data.get('phase')!r}", remedy="give an intact journal")
        return cls(p, data)

    def save(self) -> None:
        blob = (json.dumps(self.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
        atomic_write_bytes(self.path, blob, 0o600)

    def update(self, *, phase: str | None = None, **fields: Any) -> None:
        """Set fields (and the phase), then write the journal atomically."""
        if phase is not None:
            if phase not in PHASES:
                raise ValueError(f"unknown phase {phase}")
            self.data["phase"] = phase
            self.data.setdefault("history", []).append({"phase": phase, "at": utc_now()})
        self.data.update(fields)
        self.save()

    def mark_uploaded(self, key: str, uploaded: bool = True) -> None:
        self.data["files"][key]["uploaded"] = uploaded
        self.save()

    @property
    def phase(self) -> str:
        return str(self.data["phase"])

    @property
    def finished(self) -> bool:
        return self.phase in FINAL_PHASES

    @property
    def files(self) -> list[JournalFile]:
        return [
            JournalFile(key, str(f["path"]), int(f["size"]), str(f["md5"]), str(f["sha256"]), bool(f.get("uploaded")))
            for key, f in sorted(self.data["files"].items())
        ]

    @property
    def deposition_id(self) -> str | None:
        value = self.data.get("deposition_id")
        return None if value is None else str(value)

    @property
    def target(self) -> Mapping[str, Any]:
        value = self.data.get("target")
        return value if isinstance(value, Mapping) else {}

    def summary(self) -> dict[str, Any]:
        """What a user (or ``--json``) needs: ids, DOIs, URL, phase, files. Never a token."""
        keys = ("record_id", "bundle_id", "phase", "deposition_id", "concept_id", "doi", "concept_doi",
                "record_url", "publish", "previous", "warnings")
        out = {k: self.data.get(k) for k in keys}
        out["target"] = dict(self.target)
        out["journal"] = str(self.path)
        out["files"] = [{"key": f.key, "size": f.size, "md5": f.md5, "sha256": f.sha256, "uploaded": f.uploaded}
                        for f in self.files]
        return out


@contextlib.contextmanager
def exclusive(journal_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold ``<journal>.lock`` while a deposit runs, so two processes never drive one deposit.

    The kernel drops the lock when the holder dies (even by SIGKILL), so a crash never leaves it stuck.
    """
    p = Path(journal_path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(p) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise JournalError(f"{p}: another process is running this deposit",
                               remedy="wait for it to finish, then resume the deposit if needed") from None
        yield
    finally:
        os.close(fd)


def find_journals(directory: str | os.PathLike[str]) -> list[Journal]:
    """Every readable journal in ``directory``, oldest first; unreadable files are skipped."""
    d = Path(directory)
    if not d.is_dir():
        return []
    found: list[Journal] = []
    for p in sorted(d.glob("*.json")):
        with contextlib.suppress(ArchiveError):
            found.append(Journal.load(p))
    return found


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


class FileRegistry:
    """Record id -> latest published version, per target, in one JSON file (locked, atomic)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"contract": REGISTRY_CONTRACT, "entries": {}}
        data = _read_json(self.path, "deposit registry")
        data.setdefault("entries", {})
        return data

    @staticmethod
    def _key(target: str, record_id: str) -> str:
        return f"{target} {record_id}"

    def lookup(self, target: str, record_id: str) -> dict[str, Any] | None:
        entry = self._load()["entries"].get(self._key(target, record_id))
        return dict(entry) if isinstance(entry, dict) else None

    def record(self, target: str, record_id: str, version: Mapping[str, Any]) -> None:
        """Make ``version`` the latest of the record; earlier versions are kept in ``versions``."""
        with _locked(self.path):
            data = self._load()
            key = self._key(target, record_id)
            entry = data["entries"].get(key) or {"target": target, "record_id": record_id, "versions": []}
            versions = [v for v in entry.get("versions", []) if v.get("deposition_id") != version.get("deposition_id")]
            versions.append(dict(version))
            entry.update({k: version.get(k) for k in ("deposition_id", "doi", "concept_id", "concept_doi",
                                                       "record_url", "bundle_id")})
            entry["versions"] = versions
            data["entries"][key] = entry
            blob = (json.dumps(data, indent=2, sort_keys=True) + "\n").encode()
            atomic_write_bytes(self.path, blob, 0o600)

    def entries(self) -> list[dict[str, Any]]:
        return [dict(v) for v in self._load()["entries"].values()]
