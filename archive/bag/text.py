"""The tag files' text: bagit.txt, manifests and bag-info.txt, parsed and formatted."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence

from archive.bag.findings import BagFinding
from archive.bag.paths import decode_path, encode_path
from archive.errors import ArchiveInputError

BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
MANIFEST_NAME = re.compile(r"^(tag)?manifest-([a-z0-9]+)\.txt$")
TAGMANIFEST_NAME = re.compile(r"^tagmanifest-([a-z0-9]+)\.txt$")
_MANIFEST_LINE = re.compile(r"^([0-9A-Fa-f]+)[ \t]+(.+)$")
_LINE_BREAK = re.compile(r"\r\n|\n|\r")
HEX_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}


def iter_manifest(text: bytes, source: str) -> Iterator[tuple[str, str] | BagFinding]:
    """Each ``(path, hex)`` of a (tag)manifest, or a finding for a malformed line, lazily in file order.

    A caller may stop early; lines are split as they are reached, never all at once.
    """
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield BagFinding("bad-manifest", source, f"not UTF-8 (byte {exc.start})")
        return
    if decoded.startswith("\ufeff"):
        yield BagFinding("bad-manifest", source, "starts with a byte-order mark")
        decoded = decoded[1:]
    for number, line in iter_lines(decoded):
        if line == "":
            continue
        match = _MANIFEST_LINE.match(line)
        if not match:
            yield BagFinding("bad-manifest", source, f"line {number} is not '<hex digest> <path>'")
            continue
        try:
            path = decode_path(match.group(2))
        except ValueError as exc:
            yield BagFinding("bad-path", source, f"line {number}: {exc}")
            continue
        yield path, match.group(1).lower()


def parse_manifest(text: bytes, source: str) -> tuple[list[tuple[str, str]], list[BagFinding]]:
    """``[(path, hex)]`` of a (tag)manifest and every malformed line as a finding."""
    findings: list[BagFinding] = []
    entries: list[tuple[str, str]] = []
    for item in iter_manifest(text, source):
        if isinstance(item, BagFinding):
            findings.append(item)
        else:
            entries.append(item)
    return entries, findings


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(number, line)`` for each line of ``text`` (CRLF, LF or CR ends), lazily."""
    pos = 0
    number = 0
    for brk in _LINE_BREAK.finditer(text):
        number += 1
        yield number, text[pos : brk.start()]
        pos = brk.end()
    yield number + 1, text[pos:]


def parse_bag_info(text: bytes) -> tuple[list[tuple[str, str]], list[str]]:
    """``[(label, value)]`` in file order (continuation lines joined) and problems found."""
    problems: list[str] = []
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], [f"not UTF-8 (byte {exc.start})"]
    items: list[tuple[str, str]] = []
    for number, line in iter_lines(decoded):
        if line == "":
            continue
        if line[0] in " \t":
            if not items:
                problems.append(f"line {number}: continuation line before any label")
                continue
            label, value = items[-1]
            items[-1] = (label, value + " " + line.strip())
            continue
        label, sep, value = line.partition(":")
        if not sep or label != label.strip() or not label:
            problems.append(f"line {number}: not 'Label: value'")
            continue
        items.append((label, value.strip()))
    return items, problems


def external_identifier(name: str) -> str:
    """The bag-info ``External-Identifier`` the Bagged RO-Crate guidance recommends: a ``urn:uuid:``,
    here derived from ``name`` (UUID v5 in the URL namespace), so the same record always gets the same one."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def format_bag_info(items: Sequence[tuple[str, str]]) -> bytes:
    """bag-info.txt in the caller's order; refuses labels or values that cannot round-trip."""
    lines = []
    for label, value in items:
        if not label or ":" in label or label != label.strip() or any(c in label for c in "\r\n"):
            raise ArchiveInputError(f"bag-info label {label!r} is not allowed", remedy="use a plain label")
        if any(c in value for c in "\r\n") or value != value.strip():
            raise ArchiveInputError(f"bag-info value for {label!r} has line breaks or edge spaces", remedy="flatten it")
        lines.append(f"{label}: {value}\n")
    return "".join(lines).encode("utf-8")


def format_manifest(entries: Mapping[str, str]) -> bytes:
    """Sorted ``<hex>  <path>`` lines, LF endings, paths percent-encoded."""
    return "".join(f"{digest}  {encode_path(path)}\n" for path, digest in sorted(entries.items())).encode("utf-8")

