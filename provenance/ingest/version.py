"""The next version of a record keeps its record id.

A record that prints no id of its own gets ``rec-`` and 16 hex digits of its
file's sha256, so a corrected file would get a new id, and its correction log
(whose origin is the record id) would no longer fit it. Ingesting the corrected
file with the bundle it supersedes (or the id itself) keeps the id: the new
bundle then carries the log, names the earlier bundle as superseded, and
deposits as a new version of the same concept DOI.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from provenance.contracts import PAPER_MANIFEST
from provenance.errors import InputError
from provenance.schemas import require_valid


def derived_record_id(manifest: Mapping[str, Any]) -> bool:
    """True when the manifest's record id was derived from its file's digest (the record prints none)."""
    source = manifest.get("source")
    digest = source.get("sha256") if isinstance(source, Mapping) else None
    return isinstance(digest, str) and manifest.get("record_id") == f"rec-{digest[:16]}"


def with_record_id(manifest: Mapping[str, Any], record_id: str, *, where: str) -> dict[str, Any]:
    """A copy of ``manifest`` whose record id is ``record_id``.

    Raises :class:`InputError` when the record prints an id of its own that differs
    (a record's printed id is never overwritten), or ``record_id`` is not a valid id.
    """
    own = manifest.get("record_id")
    if not derived_record_id(manifest) and own != record_id:
        raise InputError(f"the record states its own id {own!r}, not {record_id!r}", where=where,
                         remedy="supersede a bundle of the same record (its id is kept as the record prints it)")
    result = dict(manifest)
    result["record_id"] = record_id
    require_valid(result, PAPER_MANIFEST, where=where)
    return result


def record_id_of_bundle(path: str | os.PathLike[str]) -> str:
    """The record id of the bundle at ``path`` (a bag directory or its zip), read without verifying it."""
    from provenance.bundle.read import open_bundle

    return open_bundle(path, require_manifest=False).record_id
