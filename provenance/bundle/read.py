"""Read a bundle's identity without extracting or fully verifying it.

For the deposit step and corrections: the record id (``External-Identifier``),
the bundle id, bag-info and the paper manifest, from a bag directory or its zip.
Nothing here vouches for the contents; :mod:`provenance.bundle.verify` does.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.bag import BagSource, open_source, parse_bag_info
from archive.errors import ArchiveError
from provenance.bundle.layout import MANIFEST, TAG_MANIFEST_SHA256, bundle_id_of
from provenance.errors import InputError
from provenance.jsonio import loads_strict

MAX_SMALL_FILE = 64 * 1024 * 1024


@dataclass(frozen=True)
class BundleInfo:
    """Who a bundle is: where, which kind, its record id, bundle id and bag-info (in order)."""

    path: Path
    kind: str  # "directory" or "zip"
    record_id: str
    bundle_id: str
    bag_info: tuple[tuple[str, str], ...]
    manifest: dict[str, Any] = field(repr=False)

    def info(self, label: str) -> str | None:
        """The first value of a bag-info label (case-insensitive), or None."""
        return next((v for k, v in self.bag_info if k.lower() == label.lower()), None)

    @property
    def bundle_version(self) -> int | None:
        value = self.info("Bundle-Version")
        return int(value) if value and value.isdigit() else None

    @property
    def previous_bundle_id(self) -> str | None:
        return self.info("Previous-Bundle-Id")

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "kind": self.kind,
            "record_id": self.record_id,
            "bundle_id": self.bundle_id,
            "bundle_version": self.bundle_version,
            "previous_bundle_id": self.previous_bundle_id,
            "title": self.manifest.get("title"),
            "doi": self.manifest.get("doi"),
        }


def read_member(source: BagSource, name: str, *, limit: int = MAX_SMALL_FILE) -> bytes:
    """The bytes of one regular file of the bag (at most ``limit``); :class:`InputError` if absent."""
    entries = {e.name: e for e in source.entries()}
    entry = entries.get(name)
    if entry is None or entry.kind != "file":
        raise InputError(f"{name} is missing", where=source.label, remedy="give a bundle made by `provenance bundle build`")
    if entry.size > limit:
        raise InputError(f"{name} is {entry.size} bytes, over {limit}", where=source.label, remedy="check the bundle")
    with source.open(name) as handle:
        data = handle.read(limit + 1)
    return bytes(data)


def open_bundle(path: str | os.PathLike[str]) -> BundleInfo:
    """Read a bundle's identity from a directory or a zip (streamed, nothing extracted)."""
    p = Path(path)
    try:
        source = open_source(p)
    except ArchiveError as exc:
        raise InputError(str(exc), remedy="give a bundle directory or its zip") from None
    try:
        bag_info_raw = read_member(source, "bag-info.txt", limit=1024 * 1024)
        tagmanifest = read_member(source, TAG_MANIFEST_SHA256)
        manifest_raw = read_member(source, MANIFEST)
    finally:
        source.close()
    items, problems = parse_bag_info(bag_info_raw)
    if problems:
        raise InputError(f"bag-info.txt: {problems[0]}", where=str(p), remedy="give an intact bundle")
    manifest = loads_strict(manifest_raw, source=f"{p}/{MANIFEST}")
    if not isinstance(manifest, dict):
        raise InputError("data/manifest.json is not a JSON object", where=str(p), remedy="give an intact bundle")
    record_ids = [v for k, v in items if k.lower() == "external-identifier"]
    if not record_ids:
        raise InputError("bag-info.txt has no External-Identifier", where=str(p), remedy="give an intact bundle")
    return BundleInfo(
        path=p,
        kind="directory" if p.is_dir() else "zip",
        record_id=record_ids[0],
        bundle_id=bundle_id_of(hashlib.sha256(tagmanifest).hexdigest()),
        bag_info=tuple(items),
        manifest=manifest,
    )
