"""Shared helpers: the project's own PDF writer (scripts/make_source_pdf.py), digests, grounding one input."""

from __future__ import annotations

import hashlib
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from provenance.sources.grounding import Grounder, Grounding, MemoryStore
from provenance.sources.locator import parse_locator

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

from make_source_pdf import assemble, pdf_bytes  # noqa: E402

__all__ = ["assemble", "deflate_bomb", "ground", "pdf_bytes", "pdf_of_streams", "sha256"]


def pdf_of_streams(streams: Sequence[bytes]) -> bytes:
    """A PDF with one page per already-deflated content stream."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for body in streams:
        kids.append(len(objects) + 1)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
            % (len(objects) + 2)
        )
        objects.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream")
    objects[1] = b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids) + b"] /Count %d >>" % len(kids)
    return assemble(objects)


def deflate_bomb(size: int) -> bytes:
    """A zlib stream of ``size`` spaces, built a MiB at a time."""
    compressor = zlib.compressobj(1)
    chunk = b" " * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(size >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ground(
    name: str,
    data: bytes,
    locator: Any,
    value: str,
    *,
    as_written: str | None = None,
    cited: str | None = None,
    grounder: Grounder | None = None,
) -> Grounding:
    """Ground one input ``value`` cited at ``locator`` in a file ``name`` holding ``data`` (a given ``grounder``
    must hold that file: it parses each file once)."""
    grounder = grounder or Grounder(MemoryStore({name: data}))
    return grounder.ground(
        "x", value, file=name, sha256=cited or sha256(data), locator=parse_locator(locator), as_written=as_written
    )
