"""The one reader of a bundle's identity and carried documents, without extracting it.

Every reader of a bundle outside verification goes through here: ``bundle
info``, ``bundle build --supersedes``, a correction's target
(:mod:`provenance.bundle.correction_target`) and the deposit
(:mod:`provenance.deposit.workflow`). :func:`open_bundle` streams the few
members asked for (nothing is hashed or vouched for);
:func:`read_valid_bundle` first validates the whole bag (every digest) and
keeps the tag files and the small documents. Names come from
:mod:`provenance.bundle.layout`; the checkpoint is parsed by
:mod:`provenance.corrections.note`; DSSE payloads are decoded strictly.
:mod:`provenance.bundle.verify` is what vouches for the contents.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.bag import BagReport, BagSource, Entry, open_source, parse_bag_info, validate_bag
from archive.errors import ArchiveError, ArchiveInputError
from provenance.bundle.artifacts import CarriedArtifact, carried_artifacts
from provenance.bundle.layout import (
    BAG_INFO,
    CORRECTIONS_CHECKPOINT,
    CORRECTIONS_LOG,
    CRATE,
    MANIFEST,
    TAG_MANIFEST_SHA256,
    bundle_id_of,
)
from provenance.contracts import CORRECTION_RECORD, PAPER_MANIFEST
from provenance.errors import InputError, ProvenanceError
from provenance.jsonio import loads_strict

MAX_SMALL_FILE = 64 * 1024 * 1024
MAX_TAG_FILE = 16 * 1024 * 1024
_REMEDY = "give a bundle made by `provenance bundle build` (a bag directory or its zip)"


@dataclass(frozen=True)
class CheckpointSummary:
    """A carried checkpoint's body (parsed, not verified): the log's origin, size and root."""

    origin: str
    size: int
    root_b64: str

    def line(self) -> str:
        """``<origin> size <n> root <base64>``: one line for deposit descriptions."""
        return f"{self.origin} size {self.size} root {self.root_b64}"


@dataclass(frozen=True)
class BundleInfo:
    """Who a bundle is: where, which kind, its record id, bundle id, bag-info (in order), and the
    bytes of the members that were read (``members``); ``manifest`` when it was read."""

    path: Path
    kind: str  # "directory" or "zip"
    record_id: str
    bundle_id: str
    bag_info: tuple[tuple[str, str], ...]
    manifest: Mapping[str, Any] = field(repr=False, default_factory=dict)
    members: Mapping[str, bytes] = field(repr=False, default_factory=dict)
    sizes: Mapping[str, int] = field(repr=False, default_factory=dict)
    """Every file of the bag and its size (bag-relative names)."""

    def info(self, label: str) -> str | None:
        """The first value of a bag-info label (case-insensitive), or None."""
        return next((v for k, v in self.bag_info if k.lower() == label.lower()), None)

    def member(self, name: str) -> bytes | None:
        """The bytes of a member that was read (a layout name), or None."""
        return self.members.get(name)

    @property
    def bundle_version(self) -> int | None:
        value = self.info("Bundle-Version")
        return int(value) if value and value.isascii() and value.isdigit() and len(value) < 10 else None

    @property
    def previous_bundle_id(self) -> str | None:
        return self.info("Previous-Bundle-Id")

    def carried_log(self) -> tuple[bytes, bytes | None] | None:
        """The correction log the bundle carries and its checkpoint (None when it carries no log)."""
        log = self.member(CORRECTIONS_LOG)
        return None if log is None else (log, self.member(CORRECTIONS_CHECKPOINT))

    def checkpoint(self) -> CheckpointSummary | None:
        """The carried checkpoint's body, parsed by :mod:`provenance.corrections.note`; None if absent or malformed."""
        data = self.member(CORRECTIONS_CHECKPOINT)
        return None if data is None else checkpoint_summary(data)

    def latest_correction(self) -> Mapping[str, Any] | None:
        """The newest correction record in the carried log (decoded strictly, not verified), if any."""
        log = self.member(CORRECTIONS_LOG)
        return None if log is None else latest_correction(log)

    def artifacts(self) -> tuple[CarriedArtifact, ...]:
        """The artifacts the bundle carries (``data/artifacts/``), described as its crate describes them."""
        crate = self.member(CRATE)
        try:
            doc = loads_strict(crate, source=CRATE) if crate is not None else None
        except InputError:
            doc = None
        return carried_artifacts(self.sizes, doc)

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


def checkpoint_summary(data: bytes) -> CheckpointSummary | None:
    """A signed checkpoint's body as parsed by :mod:`provenance.corrections.note` (no signature check)."""
    from provenance.corrections.note import parse_checkpoint

    try:
        checkpoint = parse_checkpoint(data)
    except ProvenanceError:
        return None
    return CheckpointSummary(checkpoint.origin, checkpoint.size, base64.b64encode(checkpoint.root).decode("ascii"))


def latest_correction(log: bytes) -> Mapping[str, Any] | None:
    """The payload of the last DSSE envelope of a correction log, decoded strictly; None if unreadable.

    Only describes a version; the log's signatures are checked by ``provenance verify``.
    """
    from provenance.signing.dsse import b64decode_strict

    lines = [line for line in log.split(b"\n") if line.strip()]
    if not lines:
        return None
    try:
        envelope = loads_strict(lines[-1], source=CORRECTIONS_LOG)
        if not isinstance(envelope, dict) or not isinstance(envelope.get("payload"), str):
            return None
        record = loads_strict(b64decode_strict(envelope["payload"], where=CORRECTIONS_LOG), source=CORRECTIONS_LOG)
    except InputError:
        return None
    return record if isinstance(record, dict) and record.get("contract") == CORRECTION_RECORD else None


def looks_like_bundle(path: Path) -> bool:
    """True for a bag directory (it has bag-info.txt) or a zip file; no content is checked."""
    if path.is_dir():
        return (path / BAG_INFO).is_file()
    return path.is_file() and zipfile.is_zipfile(path)


def _open_source(path: Path) -> BagSource:
    try:
        return open_source(path)
    except ArchiveError as exc:
        raise InputError(exc.message, where=str(path), remedy=exc.remedy or _REMEDY) from None


def _read_entry(source: BagSource, entry: Entry, limit: int) -> bytes:
    if entry.size > limit:
        raise InputError(f"{entry.name} is {entry.size} bytes, over {limit}", where=source.label,
                         remedy="check the bundle")
    try:
        with source.open(entry.name) as handle:
            data = handle.read(limit + 1)
    except (OSError, zipfile.BadZipFile, ArchiveInputError, EOFError) as exc:
        raise InputError(f"{entry.name} cannot be read ({exc})", where=source.label, remedy=_REMEDY) from None
    if len(data) > limit:
        raise InputError(f"{entry.name} is over {limit} bytes", where=source.label, remedy="check the bundle")
    return bytes(data)


def _limit(name: str) -> int:
    return MAX_SMALL_FILE if name.startswith("data/") else MAX_TAG_FILE


def _info_from(path: Path, members: Mapping[str, bytes], manifest: Mapping[str, Any],
               sizes: Mapping[str, int]) -> BundleInfo:
    where = str(path)
    bag_info_raw = members.get(BAG_INFO)
    if bag_info_raw is None:
        raise InputError(f"{BAG_INFO} is missing", where=where, remedy=_REMEDY)
    tagmanifest = members.get(TAG_MANIFEST_SHA256)
    if tagmanifest is None:
        raise InputError(f"{TAG_MANIFEST_SHA256} is missing, so the bundle has no bundle id", where=where,
                         remedy=_REMEDY)
    items, problems = parse_bag_info(bag_info_raw)
    if problems:
        raise InputError(f"{BAG_INFO}: {problems[0]}", where=where, remedy="give an intact bundle")
    record_ids = [v for k, v in items if k.lower() == "external-identifier"]
    if not record_ids or not record_ids[0]:
        raise InputError(f"{BAG_INFO} has no External-Identifier", where=where, remedy="give an intact bundle")
    return BundleInfo(
        path=path,
        kind="directory" if path.is_dir() else "zip",
        record_id=record_ids[0],
        bundle_id=bundle_id_of(hashlib.sha256(tagmanifest).hexdigest()),
        bag_info=tuple(items),
        manifest=manifest,
        members=dict(members),
        sizes=dict(sizes),
    )


def _manifest_of(members: Mapping[str, bytes], where: str) -> dict[str, Any]:
    raw = members.get(MANIFEST)
    if raw is None:
        raise InputError(f"the bundle holds no {MANIFEST} ({PAPER_MANIFEST})", where=where,
                         remedy="bundle an ingested manifest (`provenance ingest`, then `provenance bundle build`)")
    doc = loads_strict(raw, source=f"{where}/{MANIFEST}")
    if not isinstance(doc, dict) or doc.get("contract") != PAPER_MANIFEST:
        raise InputError(f"{MANIFEST} is not a {PAPER_MANIFEST} document", where=where, remedy="give an intact bundle")
    return doc


def open_bundle(
    path: str | os.PathLike[str],
    *,
    members: Collection[str] = (MANIFEST,),
    require_manifest: bool = True,
) -> BundleInfo:
    """Read a bundle's identity and the named ``members`` (absent ones are skipped) from a
    directory or a zip, streamed, nothing extracted, nothing verified.

    bag-info.txt and tagmanifest-sha256.txt are always read. Raises :class:`InputError`
    when the path is not a bundle, or ``require_manifest`` and data/manifest.json is not a
    paper manifest.
    """
    p = Path(path)
    wanted = {BAG_INFO, TAG_MANIFEST_SHA256, *members} | ({MANIFEST} if require_manifest else set())
    source = _open_source(p)
    try:
        entries = {e.name: e for e in source.entries() if e.kind == "file"}
        found = {name: _read_entry(source, entries[name], _limit(name)) for name in sorted(wanted) if name in entries}
    finally:
        source.close()
    manifest = _manifest_of(found, str(p)) if require_manifest else {}
    return _info_from(p, found, manifest, {name: e.size for name, e in entries.items()})


def _keep_for_deposit(name: str) -> bool:
    return not name.startswith("data/") or name in (MANIFEST, CRATE, CORRECTIONS_LOG, CORRECTIONS_CHECKPOINT)


def read_valid_bundle(
    path: str | os.PathLike[str], *, keep: Callable[[str], bool] = _keep_for_deposit,
    container_algorithms: Sequence[str] = (),
) -> tuple[BundleInfo, BagReport]:
    """Validate the whole bag (every digest, every path; findings make an :class:`InputError`),
    then read its identity and paper manifest from the verified bytes. ``container_algorithms``:
    digests of a zip itself, computed beside the validation (``BagReport.container``).

    ``members`` of the result hold every file ``keep`` selects (by default the tag files,
    the manifest, the crate and the carried correction log with its checkpoint).
    """
    p = Path(path)
    source = _open_source(p)
    try:
        report = validate_bag(source, keep=keep, container_algorithms=container_algorithms)
    except ArchiveError as exc:
        raise InputError(exc.message, where=str(p), remedy=exc.remedy or _REMEDY) from None
    finally:
        source.close()
    if not report.ok:
        errors = report.errors
        shown = "; ".join(f"{f.path or 'bag'}: {f.message}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InputError(f"the bundle is not a valid bag: {shown}{more}", where=str(p),
                         remedy="run `provenance verify` on it and rebuild the bundle")
    return info_of_valid_bag(p, report), report


def info_of_valid_bag(path: str | os.PathLike[str], report: BagReport) -> BundleInfo:
    """The identity, manifest and kept members of a bag already validated (``report.ok``), from its verified bytes."""
    p = Path(path)
    manifest = _manifest_of(report.contents, str(p))
    info = _info_from(p, report.contents, manifest, {name: d.size for name, d in report.files.items()})
    if manifest.get("record_id") != info.record_id:
        raise InputError(f"bag-info External-Identifier {info.record_id!r} differs from the manifest's record_id "
                         f"{manifest.get('record_id')!r}", where=str(p), remedy="rebuild the bundle")
    return info

