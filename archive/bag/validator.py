"""Validate a bag (directory or zip): every finding at once, every file read once."""

from __future__ import annotations

import os
import re
import threading
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from archive.bag.findings import BagFinding, BagReport
from archive.bag.paths import collision_key, unsafe_reason
from archive.bag.sources import BagSource, Entry, open_source
from archive.bag.text import HEX_LENGTH, MANIFEST_NAME, TAGMANIFEST_NAME, parse_bag_info, parse_manifest
from archive.errors import ArchiveInputError
from archive.hashing import (
    CHUNK,
    SIDE_BY_SIDE_MIN,
    SUPPORTED_ALGORITHMS,
    FileDigests,
    HashPool,
    MultiHasher,
    hash_stream,
)

SERIAL_BELOW = 4 * 1024 * 1024
"""Bags with fewer payload and tag bytes than this are hashed on the calling thread."""

def _default_keep(name: str) -> bool:
    return not name.startswith("data/")


def validate_bag(
    path: str | os.PathLike[str] | BagSource,
    *,
    workers: int | None = None,
    keep: Callable[[str], bool] = _default_keep,
    keep_limit: int = 64 * 1024 * 1024,
    progress: Callable[[int], None] | None = None,
) -> BagReport:
    """Check that a bag is complete and valid; return every finding, never stop at the first.

    Works on a directory or a zip (streamed, never extracted). Raises
    :class:`ArchiveInputError` only when the bag cannot be read at all. Every
    regular file is read once, hashed with every algorithm any manifest uses.
    ``keep(name)`` selects files whose bytes are returned (up to ``keep_limit`` each).
    """
    source = path if not isinstance(path, (str, os.PathLike)) else open_source(path)
    try:
        return _validate(source, workers, keep, keep_limit, progress)
    finally:
        if source is not path:
            source.close()


def _validate(
    source: BagSource,
    workers: int | None,
    keep: Callable[[str], bool],
    keep_limit: int,
    progress: Callable[[int], None] | None,
) -> BagReport:
    findings: list[BagFinding] = []
    entries = source.entries()
    regular = {e.name: e for e in entries if e.kind == "file"}
    for e in entries:
        if e.kind != "file":
            code = {"symlink": "symlink", "special": "special-file", "unsafe": "unsafe-path"}.get(e.kind, e.kind)
            findings.append(BagFinding(code, e.name, f"{e.detail}; refused"))
    _check_collisions(regular, findings)

    small: dict[str, bytes] = {}

    def read_small(name: str, limit: int = 16 * 1024 * 1024) -> bytes | None:
        if name not in regular:
            return None
        if regular[name].size > limit:
            findings.append(BagFinding("too-large", name, f"tag file is {regular[name].size} bytes; refused"))
            return None
        with source.open(name) as handle:
            data = handle.read(limit + 1)
        small[name] = data
        return data

    # problems per manifest file, to tell a changed manifest from a changed file
    blame: dict[str, int] = {}
    # bagit.txt
    version: str | None = None
    bagit = read_small("bagit.txt", 4096)
    if bagit is None:
        findings.append(BagFinding("missing", "bagit.txt", "bagit.txt is missing: not a bag"))
    else:
        version = _check_bagit_txt(bagit, findings)
    if "data" not in {n.split("/", 1)[0] for n in regular} and not any(
        e.name.startswith("data/") for e in entries
    ):
        findings.append(BagFinding("missing", "data/", "the payload directory data/ is missing or empty"))

    # manifests
    payload_manifests: dict[str, dict[str, str]] = {}
    tag_manifests: dict[str, dict[str, str]] = {}
    for name in sorted(regular):
        m = MANIFEST_NAME.match(name)
        if not m:
            continue
        is_tag, alg = bool(m.group(1)), m.group(2)
        if alg not in SUPPORTED_ALGORITHMS:
            findings.append(BagFinding("unsupported-algorithm", name, f"algorithm {alg!r} cannot be checked"))
            continue
        text = read_small(name, 512 * 1024 * 1024)
        if text is None:
            continue
        listed, problems = parse_manifest(text, name)
        findings.extend(problems)
        blame[name] = len(problems)
        table: dict[str, str] = {}
        for entry_path, digest in listed:
            problem = _manifest_entry_problem(entry_path, digest, alg, is_tag)
            if problem:
                findings.append(BagFinding(problem[0], entry_path, f"{name}: {problem[1]}"))
                blame[name] += 1
                continue
            if entry_path in table:
                findings.append(BagFinding("duplicate", entry_path, f"{name}: listed more than once"))
                blame[name] += 1
                continue
            table[entry_path] = digest
        (tag_manifests if is_tag else payload_manifests)[alg] = table
    if not payload_manifests:
        findings.append(BagFinding("missing", "manifest-<alg>.txt", "no payload manifest: the bag is incomplete"))

    # bag-info.txt
    bag_info: list[tuple[str, str]] = []
    if "bag-info.txt" in regular:
        raw = read_small("bag-info.txt", 1024 * 1024)
        if raw is not None:
            bag_info, problems_info = parse_bag_info(raw)
            findings.extend(BagFinding("bad-bag-info", "bag-info.txt", p) for p in problems_info)
    oxums = [v for k, v in bag_info if k.lower() == "payload-oxum"]
    if len(oxums) > 1:
        findings.append(BagFinding("bad-bag-info", "bag-info.txt", "Payload-Oxum appears more than once"))

    # completeness: the files in data/ equal each payload manifest
    payload_files = {n for n in regular if n.startswith("data/")}
    for alg, table in sorted(payload_manifests.items()):
        for listed_name in sorted(set(table) - payload_files):
            findings.append(BagFinding("missing", listed_name, f"listed in manifest-{alg}.txt but not in the bag"))
            blame[f"manifest-{alg}.txt"] += 1
        for present in sorted(payload_files - set(table)):
            findings.append(BagFinding("unexpected", present, f"in data/ but not in manifest-{alg}.txt"))
            blame[f"manifest-{alg}.txt"] += 1
    tag_files = {n for n in regular if not n.startswith("data/") and not TAGMANIFEST_NAME.match(n)}
    for alg, table in sorted(tag_manifests.items()):
        for listed_name in sorted(set(table) - set(regular)):
            findings.append(BagFinding("missing", listed_name, f"listed in tagmanifest-{alg}.txt but not in the bag"))
            blame[f"tagmanifest-{alg}.txt"] += 1
        for present in sorted(tag_files - set(table)):
            findings.append(BagFinding("unexpected", present, f"tag file not in tagmanifest-{alg}.txt"))
            blame[f"tagmanifest-{alg}.txt"] += 1
    if oxums and len(oxums) == 1:
        _check_oxum(oxums[0], regular, payload_files, findings)

    # one hashing pass over every regular file
    algs = sorted(set(payload_manifests) | set(tag_manifests)) or ["sha256"]
    computed, kept, read_errors = _hash_all(source, regular, algs, workers, keep, keep_limit, progress)
    findings.extend(read_errors)
    for table_set, kind in ((payload_manifests, "manifest"), (tag_manifests, "tagmanifest")):
        for alg, table in sorted(table_set.items()):
            for listed_name, expected in sorted(table.items()):
                got = computed.get(listed_name)
                if got is None:
                    continue
                if got.digests[alg] != expected:
                    blame[f"{kind}-{alg}.txt"] += 1
                    findings.append(
                        BagFinding(
                            "mismatch",
                            listed_name,
                            f"{alg} in {kind}-{alg}.txt is {expected}, the file hashes to {got.digests[alg]}",
                        )
                    )
    _blame_manifests(blame, findings)
    for name, data in small.items():
        kept.setdefault(name, data) if keep(name) else None
    return BagReport(
        label=source.label,
        findings=tuple(findings),
        files=computed,
        contents=kept,
        bag_info=tuple(bag_info),
        payload_manifests=payload_manifests,
        tag_manifests=tag_manifests,
        version=version,
    )


def _blame_manifests(blame: Mapping[str, int], findings: list[BagFinding]) -> None:
    """Name a manifest as changed when it disagrees with the bag and a manifest of the same
    kind with another algorithm agrees everywhere (so the files are intact, the manifest is not)."""
    for prefix in ("manifest-", "tagmanifest-"):
        names = sorted(n for n in blame if n.startswith(prefix))
        clean = [n for n in names if blame[n] == 0]
        for name in names:
            if blame[name] and clean:
                findings.append(
                    BagFinding(
                        "manifest-changed",
                        name,
                        f"disagrees with the bag in {blame[name]} place(s) where {clean[0]} agrees: this manifest was changed",
                    )
                )


def _check_bagit_txt(data: bytes, findings: list[BagFinding]) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        findings.append(BagFinding("bad-bagit-txt", "bagit.txt", "starts with a byte-order mark"))
        data = data[3:]
    lines = [ln for ln in re.split(rb"\r\n|\n|\r", data) if ln]
    version = None
    if len(lines) != 2:
        findings.append(BagFinding("bad-bagit-txt", "bagit.txt", f"has {len(lines)} lines, 2 expected"))
    for line in lines:
        text = line.decode("utf-8", "replace")
        if text.startswith("BagIt-Version: "):
            version = text.split(": ", 1)[1]
        elif text != "Tag-File-Character-Encoding: UTF-8":
            findings.append(BagFinding("bad-bagit-txt", "bagit.txt", f"unexpected line {text[:60]!r}"))
    if version not in ("1.0", "0.97"):
        findings.append(BagFinding("bad-bagit-txt", "bagit.txt", f"BagIt-Version {version!r}, 1.0 expected"))
    return version


def _manifest_entry_problem(path: str, digest: str, alg: str, is_tag: bool) -> tuple[str, str] | None:
    reason = unsafe_reason(path)
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


def _check_collisions(regular: Mapping[str, Entry], findings: list[BagFinding]) -> None:
    seen: dict[str, str] = {}
    for name in sorted(regular):
        key = collision_key(name)
        if key in seen:
            findings.append(
                BagFinding("collision", name, f"collides with {seen[key]!r} under case folding or Unicode normalisation")
            )
        else:
            seen[key] = name


def _check_oxum(oxum: str, regular: Mapping[str, Entry], payload: set[str], findings: list[BagFinding]) -> None:
    m = re.fullmatch(r"(\d+)\.(\d+)", oxum)
    if not m:
        findings.append(BagFinding("bad-bag-info", "bag-info.txt", f"Payload-Oxum {oxum!r} is not '<octets>.<count>'"))
        return
    octets = sum(regular[n].size for n in payload)
    if (int(m.group(1)), int(m.group(2))) != (octets, len(payload)):
        findings.append(
            BagFinding(
                "oxum",
                "bag-info.txt",
                f"Payload-Oxum says {oxum}, the payload is {octets}.{len(payload)}",
            )
        )


def _hash_all(
    source: BagSource,
    regular: Mapping[str, Entry],
    algs: Sequence[str],
    workers: int | None,
    keep: Callable[[str], bool],
    keep_limit: int,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, FileDigests], dict[str, bytes], list[BagFinding]]:
    computed: dict[str, FileDigests] = {}
    kept: dict[str, bytes] = {}
    errors: list[BagFinding] = []
    lock = threading.Lock()

    def one(name: str) -> None:
        entry = regular[name]
        want = keep(name) and entry.size <= keep_limit
        try:
            with source.open(name) as handle:
                if want or entry.size <= CHUNK:
                    data = handle.read(max(entry.size, 0) + 1)
                    while len(data) <= entry.size:
                        more = handle.read(entry.size + 1 - len(data))
                        if not more:
                            break
                        data += more
                    multi = MultiHasher(algs)
                    multi.update(data)
                    digests = multi.result()
                    if want:
                        with lock:
                            kept[name] = data
                else:
                    use_helper = helper[0] if entry.size >= SIDE_BY_SIDE_MIN else None
                    digests = hash_stream(handle, algs, helper=use_helper, limit=entry.size)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, ArchiveInputError) as exc:
            with lock:
                errors.append(BagFinding("unreadable", name, f"cannot read: {exc}"))
            return
        if digests.size != entry.size:
            with lock:
                errors.append(BagFinding("size", name, f"declared {entry.size} bytes, read {digests.size}"))
        if progress is not None:
            progress(entry.size)
        with lock:
            computed[name] = digests

    names = sorted(regular, key=lambda n: -regular[n].size)
    helper: list[ThreadPoolExecutor | None] = [None]
    if sum(e.size for e in regular.values()) <= SERIAL_BELOW or workers == 1:
        for name in names:  # small bags: starting threads would cost more than hashing
            one(name)
    else:
        with HashPool(workers) as pool:
            helper[0] = pool.helper
            pool.map_ordered(one, names)
    return dict(sorted(computed.items())), kept, sorted(errors, key=lambda f: f.path or "")
