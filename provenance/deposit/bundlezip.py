"""The zip a bag directory is deposited as: byte for byte the zip ``bundle build`` writes of it.

``bundle build`` zips the bag under its directory's name at the build's clock; a deposit of the
directory zips it the same way, so the bytes (and the ``zip_md5`` that ``bundle build`` printed) depend
on neither the files' mtimes nor when the deposit runs.
"""

from __future__ import annotations

from pathlib import Path

from archive.zipdet import ZipResult, write_deterministic_zip
from provenance.bundle.layout import ATTESTATION
from provenance.bundle.read import BundleInfo
from provenance.clock import parse_time
from provenance.errors import InputError
from provenance.jsonio import loads_strict
from provenance.signing.dsse import has_envelope_shape, parse_envelope
from provenance.signing.intoto import parse_statement

_ZIP_EPOCH_MIN = 315532800  # 1980-01-01T00:00:00Z, the first moment a zip can hold


def bundle_epoch(info: BundleInfo) -> int:
    """The build's clock: the attestation's ``built_at``; else midnight UTC of ``Bagging-Date``; else 1980.

    Read from the bag's (validated) contents, never from the files' mtimes.
    """
    built_at = _built_at(info.member(ATTESTATION))
    for text in (built_at, info.info("Bagging-Date")):
        if text:
            try:
                return max(_ZIP_EPOCH_MIN, int(parse_time(text).timestamp()))
            except InputError:
                continue
    return _ZIP_EPOCH_MIN


def _built_at(attestation: bytes | None) -> str | None:
    if attestation is None or not has_envelope_shape(attestation):
        return None
    try:
        envelope = parse_envelope(loads_strict(attestation, source=ATTESTATION), where=ATTESTATION)
        value = parse_statement(envelope.payload, where=ATTESTATION).predicate.get("built_at")
    except InputError:
        return None
    return value if isinstance(value, str) else None


def zip_bag_directory(info: BundleInfo, out: Path) -> ZipResult:
    """Zip the bag directory ``info.path`` to ``out`` as ``bundle build`` does (its name, the build's clock)."""
    return write_deterministic_zip(info.path, out, epoch=bundle_epoch(info), top=info.path.resolve().name)
