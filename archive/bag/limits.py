"""Bounds on what validating a bag may read, keep and report, whoever made the bag."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class BagLimits:
    """Validation stays within these; past one, a finding says so and nothing more is read.

    ``max_members``: entries in a zip or files in a directory (checked before the zip's
    directory is parsed); ``findings_per_kind``: findings reported per code, the rest
    counted in one more; ``manifest_bytes``: the size of any (tag)manifest;
    ``tag_file_bytes``: bagit.txt and bag-info.txt; ``keep_each`` and ``keep_total``:
    the bytes of kept files, one by one and together; ``zip_directory_bytes``: a zip's
    central directory.
    """

    max_members: int = 100_000
    findings_per_kind: int = 20
    manifest_bytes: int = 64 * MiB
    tag_file_bytes: int = 1 * MiB
    keep_each: int = 64 * MiB
    keep_total: int = 256 * MiB
    zip_directory_bytes: int = 64 * MiB


DEFAULT_LIMITS = BagLimits()
