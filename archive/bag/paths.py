"""Bag-relative paths: the manifest encoding, and which names are safe to read or write."""

from __future__ import annotations

import re
import unicodedata

MAX_SEGMENT_BYTES = 255
_ESCAPE = re.compile(r"%(0[AaDd]|25)")
_ANY_PERCENT = re.compile(r"%")
_DRIVE = re.compile(r"[A-Za-z]:")


def encode_path(name: str) -> str:
    """Manifest form of a path: ``%`` then CR and LF percent-encoded."""
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str) -> str:
    """Inverse of :func:`encode_path`; raise ``ValueError`` on any other ``%`` use."""
    stripped = _ESCAPE.sub("", text)
    if _ANY_PERCENT.search(stripped):
        raise ValueError("a '%' that is not %0A, %0D or %25 (unencoded '%' in a manifest path)")
    return _ESCAPE.sub(lambda m: {"0a": "\n", "0d": "\r", "25": "%"}[m.group(1).lower()], text)


def unsafe_reason(name: str) -> str | None:
    """Why ``name`` (a bag-relative POSIX path) is unsafe to read or write, or None.

    Rejects absolute paths, drive letters, backslashes, ``..``/``.``/empty
    segments, a leading ``~``, control characters and over-long segments.
    """
    if not name:
        return "empty path"
    if name.startswith("/"):
        return "absolute path"
    if _DRIVE.match(name):
        return "drive-letter path"
    if "\\" in name:
        return "backslash in path"
    if name.startswith("~"):
        return "path starts with '~'"
    if "\x00" in name:
        return "NUL byte in path"
    for segment in name.split("/"):
        if segment in ("", ".", ".."):
            return f"path segment {segment!r} (empty, '.' or '..')"
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            return f"path segment longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def writer_refusal(name: str) -> str | None:
    """Why our writer refuses ``name`` as a payload path (under ``data/``), or None.

    On top of :func:`unsafe_reason`: NFC only, no ``%``, CR, LF or other control
    characters, so that every BagIt tool reads the name the same way.
    """
    reason = unsafe_reason(name)
    if reason:
        return reason
    if unicodedata.normalize("NFC", name) != name:
        return "path is not in Unicode NFC"
    if "%" in name:
        return "'%' in path (percent-encoding is mishandled by many BagIt tools)"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in name):
        return "control or unassigned character in path"
    return None


def collision_key(name: str) -> str:
    """Key under which two names collide on a case-insensitive or normalising file system."""
    return unicodedata.normalize("NFC", name).casefold()

