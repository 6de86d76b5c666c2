"""BagIt 1.0 (RFC 8493): a strict writer and a validator that reports every finding.

Writer (:mod:`archive.bag.writer`): builds in a temporary directory beside the
destination and renames it into place; payload files are copied and hashed in one
read each, in parallel; manifests are sorted, LF-terminated, two-space separated,
lowercase hex; bag-info.txt keeps the caller's order and gets Payload-Oxum; tag
manifests list every tag file except tag manifests. Names needing
percent-encoding are refused on write.

Validator (:mod:`archive.bag.validator`): reads a directory (never following
symlinks) or a zip (streamed, never extracted) through a
:class:`~archive.bag.sources.BagSource`; checks bagit.txt, every manifest line
and path, completeness against each manifest, Payload-Oxum, and every digest,
hashing each file once for every algorithm. It collects all findings and
returns them.

The modules: :mod:`~archive.bag.paths` (path encoding and safety),
:mod:`~archive.bag.entries` (what a reader sees), :mod:`~archive.bag.sources`
(open a directory or a zip), :mod:`~archive.bag.zipsource` and
:mod:`~archive.bag.ziplayout` (a zip read exactly, every byte accounted for),
:mod:`~archive.bag.text` (tag-file formats), :mod:`~archive.bag.limits` (what
validation may read and keep), :mod:`~archive.bag.checks` (checks of single
things), :mod:`~archive.bag.findings` (findings and the report).
"""

from typing import TYPE_CHECKING, Any

from archive.bag.findings import BagFinding, BagReport
from archive.bag.limits import DEFAULT_LIMITS, BagLimits
from archive.bag.paths import (
    MAX_SEGMENT_BYTES,
    collision_key,
    decode_path,
    encode_path,
    unsafe_reason,
    writer_refusal,
)
from archive.bag.sources import BagSource, DirectorySource, Entry, ZipSource, open_source
from archive.bag.text import (
    BAGIT_TXT,
    external_identifier,
    format_bag_info,
    format_manifest,
    parse_bag_info,
    parse_manifest,
)
from archive.bag.validator import SERIAL_BELOW, STRICT_ALGORITHMS, validate_bag

if TYPE_CHECKING:
    from archive.bag.writer import Finalizer, LatePayload, PayloadItem, WrittenBag, write_bag

_WRITER_NAMES = frozenset({"Finalizer", "LatePayload", "PayloadItem", "WrittenBag", "write_bag"})


def __getattr__(name: str) -> Any:
    """The writer's names load with the writer, on first use: a reader (verify) never needs them."""
    if name in _WRITER_NAMES:
        from archive.bag import writer

        return getattr(writer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BAGIT_TXT",
    "DEFAULT_LIMITS",
    "MAX_SEGMENT_BYTES",
    "SERIAL_BELOW",
    "STRICT_ALGORITHMS",
    "BagFinding",
    "BagLimits",
    "BagReport",
    "BagSource",
    "DirectorySource",
    "Entry",
    "Finalizer",
    "LatePayload",
    "PayloadItem",
    "WrittenBag",
    "ZipSource",
    "collision_key",
    "decode_path",
    "encode_path",
    "external_identifier",
    "format_bag_info",
    "format_manifest",
    "open_source",
    "parse_bag_info",
    "parse_manifest",
    "unsafe_reason",
    "validate_bag",
    "write_bag",
    "writer_refusal",
]
