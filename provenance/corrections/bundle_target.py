"""A bundle as the target of a correction: its record id, its bundle id, and where its log lives.

A bundle is a BagIt bag, as a directory or a zip (members are read, never
extracted). The record id is ``External-Identifier`` in ``bag-info.txt``; the
bundle id is ``sha256:`` + the sha256 of ``tagmanifest-sha256.txt``. A bundle's
log lives beside it, ``<bundle>.corrections.jsonl`` (``x.zip`` ->
``x.corrections.jsonl``) with its checkpoint; the first append seeds it from
the bundle's own ``data/corrections/corrections.jsonl`` and ``.checkpoint``
when the bundle carries them, so the history continues.
"""

from __future__ import annotations

import hashlib
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from provenance.corrections.errors import LogInputError

BAG_INFO = "bag-info.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
LOG_MEMBER = "data/corrections/corrections.jsonl"
CHECKPOINT_MEMBER = LOG_MEMBER + ".checkpoint"
MAX_TAG_FILE = 16 * 1024 * 1024


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
    if path.is_dir():
        return (path / BAG_INFO).is_file()
    return path.is_file() and zipfile.is_zipfile(path)


def log_path_for(bundle: Path) -> Path:
    """Where the correction log of ``bundle`` lives (beside it)."""
    name = bundle.name.rstrip("/")
    if bundle.is_file() and name.endswith(".zip"):
        name = name[: -len(".zip")]
    return bundle.parent / f"{name}.corrections.jsonl"


def _external_identifier(bag_info: bytes, where: str) -> str:
    text = bag_info.decode("utf-8", errors="replace")
    value: str | None = None
    current: str | None = None
    for raw in text.splitlines():
        if raw[:1] in (" ", "\t") and current == "external-identifier" and value is not None:
            value += " " + raw.strip()
            continue
        label, sep, rest = raw.partition(":")
        current = label.strip().lower() if sep else None
        if current == "external-identifier" and value is None:
            value = rest.strip()
    if not value:
        raise LogInputError("bag-info.txt has no External-Identifier", where=where,
                            remedy="give --record-id, or rebuild the bundle with `provenance bundle`")
    return value


def _read_limited(data: bytes | None, where: str) -> bytes:
    if data is None:
        raise LogInputError("missing", where=where, remedy="give a complete BagIt bundle")
    return data


def read_bundle_target(bundle: str | os.PathLike[str]) -> BundleTarget:
    """Read the record id, bundle id and any carried log of a bag directory or zip."""
    path = Path(bundle)
    members: dict[str, bytes | None] = {BAG_INFO: None, TAG_MANIFEST: None, LOG_MEMBER: None, CHECKPOINT_MEMBER: None}
    if path.is_dir():
        for name in members:
            p = path / name
            if p.is_file() and not p.is_symlink() and p.stat().st_size <= MAX_TAG_FILE:
                members[name] = p.read_bytes()
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            prefix = ""
            bag_infos = [i.filename for i in infos if PurePosixPath(i.filename).name == BAG_INFO]
            if bag_infos:
                shallowest = min(bag_infos, key=lambda n: n.count("/"))
                prefix = shallowest[: -len(BAG_INFO)]
            by_name = {i.filename: i for i in infos}
            for name in members:
                info = by_name.get(prefix + name)
                if info is not None and info.file_size <= MAX_TAG_FILE:
                    members[name] = zf.read(info)
    else:
        raise LogInputError("not a bundle (a bag directory or zip)", where=str(path),
                            remedy="give a bundle made by `provenance bundle`, or a .jsonl log")
    bag_info = _read_limited(members[BAG_INFO], f"{path}/{BAG_INFO}")
    tag_manifest = _read_limited(members[TAG_MANIFEST], f"{path}/{TAG_MANIFEST}")
    return BundleTarget(
        path=path,
        record_id=_external_identifier(bag_info, f"{path}/{BAG_INFO}"),
        bundle_id="sha256:" + hashlib.sha256(tag_manifest).hexdigest(),
        log_path=log_path_for(path),
        carried_log=members[LOG_MEMBER],
        carried_checkpoint=members[CHECKPOINT_MEMBER],
    )


def carried(target: BundleTarget) -> tuple[bytes, bytes] | None:
    """The log and checkpoint the bundle carries, to seed the log beside it (None when it carries none)."""
    if target.carried_log is None:
        return None
    if target.carried_checkpoint is None:
        raise LogInputError("the bundle carries a correction log without its checkpoint",
                            where=f"{target.path}/{CHECKPOINT_MEMBER}", remedy="rebuild the bundle")
    return target.carried_log, target.carried_checkpoint
