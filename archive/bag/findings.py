"""What validating a bag found: one :class:`BagFinding` per problem, and the :class:`BagReport`."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archive.hashing import FileDigests


@dataclass(frozen=True)
class BagFinding:
    """One problem. ``code`` is stable (``mismatch``, ``missing``, ``unexpected``, ...)."""

    code: str
    path: str | None
    message: str
    level: str = "error"  # or "warning"

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message, "level": self.level}


@dataclass(frozen=True)
class BagReport:
    """Every finding of :func:`validate_bag`, plus what was read while validating.

    ``files`` holds the digests computed for every file a manifest lists, every
    manifest, bagit.txt and bag-info.txt (bag-relative names; files no manifest lists
    are not read); ``contents`` the bytes of the files the caller asked to keep, within
    the memory limits: exactly the bytes that were hashed, so later parsing sees what
    was verified. ``findings`` holds at most ``findings_per_kind`` of each code, then
    one finding counting the rest.
    """

    label: str
    findings: tuple[BagFinding, ...]
    files: Mapping[str, FileDigests]
    contents: Mapping[str, bytes]
    bag_info: tuple[tuple[str, str], ...]
    payload_manifests: Mapping[str, Mapping[str, str]]
    tag_manifests: Mapping[str, Mapping[str, str]]
    version: str | None
    container: FileDigests | None = None
    """Digests of the zip file itself, when asked (``container_algorithms``); None for a directory."""

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


class Findings:
    """Findings in order, at most ``per_kind`` of each code; :meth:`result` counts the rest."""

    def __init__(self, per_kind: int) -> None:
        self.per_kind = per_kind
        self.items: list[BagFinding] = []
        self.counts: Counter[str] = Counter()
        self.levels: dict[str, str] = {}
        self.lock = threading.Lock()

    def add(self, code: str, path: str | None, message: str | Callable[[], str], level: str = "error") -> None:
        with self.lock:
            self.counts[code] += 1
            self.levels.setdefault(code, level)
            if self.counts[code] <= self.per_kind:
                text = message if isinstance(message, str) else message()
                self.items.append(BagFinding(code, path, text, level))

    def extend(self, findings: Sequence[BagFinding]) -> None:
        for f in findings:
            self.add(f.code, f.path, f.message, f.level)

    def result(self) -> tuple[BagFinding, ...]:
        more = [BagFinding(code, None, f"{n - self.per_kind} more '{code}' findings not listed", self.levels[code])
                for code, n in sorted(self.counts.items()) if n > self.per_kind]
        return (*self.items, *more)
