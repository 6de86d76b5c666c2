"""A bundle as the target of a correction: its record id, its bundle id, and where its log lives.

The bundle is read by the one bundle reader, :func:`provenance.bundle.read.open_bundle`
(a bag directory or a zip; members streamed, never extracted). A bundle's log
lives beside it, ``<bundle>.corrections.jsonl`` (``x.zip`` ->
``x.corrections.jsonl``) with its checkpoint; the first append seeds it from
the log and checkpoint the bundle carries (:data:`~provenance.bundle.layout.CORRECTIONS_LOG`), so the history continues.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from provenance.bundle.layout import CORRECTIONS_CHECKPOINT, CORRECTIONS_LOG
from provenance.bundle.read import looks_like_bundle, open_bundle
from provenance.corrections.errors import LogInputError
from provenance.errors import InputError


@dataclass(frozen=True)
class BundleTarget:
    """What a correction of a bundle names, and the log that holds its corrections."""

    path: Path
    record_id: str
    bundle_id: str
    log_path: Path
    carried_log: bytes | None
    carried_checkpoint: bytes | None


def is_bundle(path: Path) -> bool:
    """True for a bag directory or a zip file (a log is a plain .jsonl file)."""
    return looks_like_bundle(path)


def log_path_for(bundle: Path) -> Path:
    """Where the correction log of ``bundle`` lives (beside it)."""
    name = bundle.name.rstrip("/")
    if bundle.is_file() and name.endswith(".zip"):
        name = name[: -len(".zip")]
    return bundle.parent / f"{name}.corrections.jsonl"


def read_bundle_target(bundle: str | os.PathLike[str]) -> BundleTarget:
    """Read the record id, bundle id and any carried log of a bag directory or zip."""
    path = Path(bundle)
    if not looks_like_bundle(path):
        raise LogInputError("not a bundle (a bag directory or zip)", where=str(path),
                            remedy="give a bundle made by `provenance bundle build`, or a .jsonl log")
    try:
        info = open_bundle(path, members=(CORRECTIONS_LOG, CORRECTIONS_CHECKPOINT), require_manifest=False)
    except InputError as exc:
        raise LogInputError(exc.message, where=exc.where, remedy=exc.remedy) from None
    return BundleTarget(
        path=path,
        record_id=info.record_id,
        bundle_id=info.bundle_id,
        log_path=log_path_for(path),
        carried_log=info.member(CORRECTIONS_LOG),
        carried_checkpoint=info.member(CORRECTIONS_CHECKPOINT),
    )


def carried(target: BundleTarget) -> tuple[bytes, bytes] | None:
    """The log and checkpoint the bundle carries, to seed the log beside it (None when it carries none)."""
    if target.carried_log is None:
        return None
    if target.carried_checkpoint is None:
        raise LogInputError("the bundle carries a correction log without its checkpoint",
                            where=f"{target.path}/{CORRECTIONS_CHECKPOINT}", remedy="rebuild the bundle")
    return target.carried_log, target.carried_checkpoint
