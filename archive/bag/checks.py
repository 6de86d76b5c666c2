"""The validator's checks of single things: bagit.txt, a manifest line, name collisions, Payload-Oxum,
and which manifest to blame. Each adds its findings to a :class:`~archive.bag.findings.Findings`."""

from __future__ import annotations

import re
from collections.abc import Mapping

from archive.bag.entries import Entry
from archive.bag.findings import Findings
from archive.bag.paths import collision_key, unsafe_reason
from archive.bag.text import HEX_LENGTH, TAGMANIFEST_NAME

_OXUM = re.compile(r"(\d+)\.(\d+)")


def blame_manifests(blame: Mapping[str, int], findings: Findings) -> None:
    """Name a manifest as changed when it disagrees with the bag and a manifest of the same
    kind with another algorithm agrees everywhere (so the files are intact, the manifest is not)."""
    for prefix in ("manifest-", "tagmanifest-"):
        names = sorted(n for n in blame if n.startswith(prefix))
        clean = [n for n in names if blame[n] == 0]
        for name in names:
            if blame[name] and clean:
                findings.add("manifest-changed", name,
                             f"disagrees with the bag in {blame[name]} place(s) where {clean[0]} agrees: "
                             "this manifest was changed")


def check_bagit_txt(data: bytes, findings: Findings) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        findings.add("bad-bagit-txt", "bagit.txt", "starts with a byte-order mark")
        data = data[3:]
    lines = [ln for ln in re.split(rb"\r\n|\n|\r", data) if ln]
    version = None
    if len(lines) != 2:
        findings.add("bad-bagit-txt", "bagit.txt", f"has {len(lines)} lines, 2 expected")
    for line in lines:
        text = line.decode("utf-8", "replace")
        if text.startswith("BagIt-Version: "):
            version = text.split(": ", 1)[1]
        elif text != "Tag-File-Character-Encoding: UTF-8":
            findings.add("bad-bagit-txt", "bagit.txt", f"unexpected line {text[:60]!r}")
    if version not in ("1.0", "0.97"):
        findings.add("bad-bagit-txt", "bagit.txt", f"BagIt-Version {version!r}, 1.0 expected")
    return version


def manifest_entry_problem(path: str, digest: str, alg: str, is_tag: bool,
                            reasons: dict[str, str | None]) -> tuple[str, str] | None:
    """What is wrong with one manifest line; ``reasons`` remembers each path's verdict across manifests."""
    reason = reasons[path] if path in reasons else reasons.setdefault(path, unsafe_reason(path))
    if reason:
        return "unsafe-path", f"{reason}; refused"
    if len(digest) != HEX_LENGTH[alg]:
        return "bad-manifest", f"{alg} digest has {len(digest)} hex digits, {HEX_LENGTH[alg]} expected"
    if is_tag:
        if path.startswith("data/"):
            return "unsafe-path", "a tag manifest lists a payload file"
        if TAGMANIFEST_NAME.match(path):
            return "unsafe-path", "a tag manifest lists a tag manifest"
    elif not path.startswith("data/"):
        return "unsafe-path", "payload entry outside data/"
    return None


def check_collisions(regular: Mapping[str, Entry], findings: Findings) -> None:
    seen: dict[str, str] = {}
    for name in sorted(regular):
        key = collision_key(name)
        if key in seen:
            findings.add("collision", name,
                         f"collides with {seen[key]!r} under case folding or Unicode normalisation")
        else:
            seen[key] = name


def check_oxum(oxum: str, regular: Mapping[str, Entry], payload: set[str], findings: Findings) -> None:
    m = _OXUM.fullmatch(oxum)
    if not m:
        findings.add("bad-bag-info", "bag-info.txt", f"Payload-Oxum {oxum!r} is not '<octets>.<count>'")
        return
    octets = sum(regular[n].size for n in payload)
    if (int(m.group(1)), int(m.group(2))) != (octets, len(payload)):
        findings.add("oxum", "bag-info.txt", f"Payload-Oxum says {oxum}, the payload is {octets}.{len(payload)}")
