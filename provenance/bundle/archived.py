"""Which DOI an archive gave a bundle: looked up by its record id and bundle id in the archive's registry."""

from __future__ import annotations

from pathlib import Path

from archive.depositor import target_key
from archive.local_archive import LocalArchive
from provenance.bundle.read import open_bundle
from provenance.errors import InputError

INDEX = "index.sqlite"


def local_archived_doi(archive_root: Path, record_id: str, bundle_id: str) -> str | None:
    """The DOI the local archive at ``archive_root`` gave this bundle, or None (no archive there, or not deposited).

    Nothing is created where no archive exists.
    """
    if not (archive_root / INDEX).is_file():
        return None
    archive = LocalArchive(archive_root)
    entry = archive.lookup(target_key(archive.describe()), record_id) or {}
    versions = entry.get("versions")
    for version in versions if isinstance(versions, list) else []:
        if isinstance(version, dict) and version.get("bundle_id") == bundle_id and version.get("doi"):
            return str(version["doi"])
    return None


def archived_doi_of(bundle: Path, archive_root: Path) -> str | None:
    """:func:`local_archived_doi` of the bundle at ``bundle`` (None when its identity cannot be read)."""
    if not (archive_root / INDEX).is_file():
        return None
    try:
        identity = open_bundle(bundle, require_manifest=False)
    except InputError:
        return None
    return local_archived_doi(archive_root, identity.record_id, identity.bundle_id)
