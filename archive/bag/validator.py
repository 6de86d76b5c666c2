"""Validate a bag (directory or zip): every finding at once, every listed file read once.

Bounded whatever the bag holds (:class:`~archive.bag.limits.BagLimits`): findings
are capped per kind (the rest counted in one more finding), manifests and tag
files are read up to a size, a manifest is parsed only as far as the bag could
need, the kept bytes have a total budget, and files no manifest lists are
reported without being read. ``strict=True`` adds our bundle profile: manifests
only in sha256 and sha512, each byte-identical to what our writer emits,
bagit.txt exactly ours, and (for a zip) every byte accounted for by a member or
the fixed zip structure.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import IO, TYPE_CHECKING

from archive.bag.checks import (
    blame_manifests,
    check_bagit_txt,
    check_collisions,
    check_oxum,
    manifest_entry_problem,
)
from archive.bag.findings import BagFinding, BagReport, Findings
from archive.bag.limits import DEFAULT_LIMITS, BagLimits
from archive.bag.sources import BagSource, Entry, ZipSource, open_source
from archive.bag.text import (
    BAGIT_TXT,
    MANIFEST_NAME,
    TAGMANIFEST_NAME,
    format_manifest,
    iter_manifest,
    parse_bag_info,
)
from archive.errors import ArchiveInputError
from archive.hashing import (
    CHUNK,
    SIDE_BY_SIDE_MIN,
    SUPPORTED_ALGORITHMS,
    FileDigests,
    HashPool,
    MultiHasher,
    hash_file,
    hash_stream,
)

if TYPE_CHECKING:  # threads load only when a validation uses them
    from concurrent.futures import ThreadPoolExecutor

SERIAL_BELOW = 4 * 1024 * 1024
"""Bags with fewer payload and tag bytes than this are hashed on the calling thread."""
STRICT_ALGORITHMS = frozenset({"sha256", "sha512"})
_ENTRY_CODES = {"symlink": "symlink", "special": "special-file", "unsafe": "unsafe-path",
                "refused": "too-many-members"}


def _default_keep(name: str) -> bool:
    return not name.startswith("data/")


def validate_bag(
    path: str | os.PathLike[str] | BagSource,
    *,
    workers: int | None = None,
    keep: Callable[[str], bool] = _default_keep,
    progress: Callable[[int], None] | None = None,
    limits: BagLimits = DEFAULT_LIMITS,
    strict: bool = False,
    container_algorithms: Sequence[str] = (),
) -> BagReport:
    """Check that a bag is complete and valid; return every finding, never stop at the first.

    Works on a directory or a zip (streamed, never extracted). Raises
    :class:`ArchiveInputError` only when the bag cannot be read at all. Every file
    a manifest lists is read once, hashed with every algorithm any manifest uses;
    files no manifest lists are reported, not read. ``keep(name)`` selects files
    whose verified bytes are returned, within ``limits.keep_each`` and
    ``limits.keep_total``. ``strict`` checks our bundle profile (module docstring).
    ``container_algorithms`` (e.g. md5 and sha256 for a deposit) digests a zip file
    itself while it is validated, so a caller needs no pass of its own
    (:attr:`BagReport.container`).
    """
    source = path if not isinstance(path, (str, os.PathLike)) else open_source(path, limits)
    side = None
    if container_algorithms:
        from concurrent.futures import ThreadPoolExecutor

        side = ThreadPoolExecutor(1, thread_name_prefix="container")
    try:
        pending = None
        if side is not None and isinstance(source, ZipSource):
            pending = side.submit(hash_file, source.path, tuple(container_algorithms))
        report = _Validation(source, workers, keep, progress, limits, strict).run()
        if pending is not None:
            report = dataclasses.replace(report, container=pending.result())
        return report
    finally:
        if side is not None:
            side.shutdown(wait=True)
        if source is not path:
            source.close()


class _Budget:
    """Bytes that kept files may still take, shared by the hashing threads."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.lock = threading.Lock()

    def take(self, n: int) -> bool:
        with self.lock:
            if n > self.left:
                return False
            self.left -= n
            return True


class _Validation:
    def __init__(self, source: BagSource, workers: int | None, keep: Callable[[str], bool],
                 progress: Callable[[int], None] | None, limits: BagLimits, strict: bool) -> None:
        self.source = source
        self.workers = workers
        self.keep = keep
        self.progress = progress
        self.limits = limits
        self.strict = strict
        self.findings = Findings(limits.findings_per_kind)
        self.budget = _Budget(limits.keep_total)
        self.regular: dict[str, Entry] = {}
        self.small: dict[str, bytes] = {}
        # problems per manifest file, to tell a changed manifest from a changed file
        self.blame: Counter[str] = Counter()
        self.reasons: dict[str, str | None] = {}

    def run(self) -> BagReport:
        out = self.findings
        entries = self.source.entries()
        refused = [e for e in entries if e.kind == "refused"]
        if refused:
            out.add("too-many-members", None, refused[0].detail)
            return self._report({}, {}, [], {}, {}, None)
        self.regular = {e.name: e for e in entries if e.kind == "file"}
        for e in entries:
            if e.kind != "file":
                out.add(_ENTRY_CODES.get(e.kind, e.kind), e.name, f"{e.detail}; refused")
        check_collisions(self.regular, out)

        version: str | None = None
        bagit = self._read_small("bagit.txt", 4096)
        if bagit is None:
            if "bagit.txt" not in self.regular:
                out.add("missing", "bagit.txt", "bagit.txt is missing: not a bag")
        else:
            version = check_bagit_txt(bagit, out)
            if self.strict and bagit != BAGIT_TXT:
                out.add("bad-bagit-txt", "bagit.txt", "not exactly the bagit.txt of our profile (BagIt 1.0, UTF-8, LF)")
        if not any(n.startswith("data/") for n in self.regular) and not any(e.name.startswith("data/") for e in entries):
            out.add("missing", "data/", "the payload directory data/ is missing or empty")

        payload_manifests, tag_manifests = self._manifests()
        if not payload_manifests:
            out.add("missing", "manifest-<alg>.txt", "no payload manifest: the bag is incomplete")

        bag_info: list[tuple[str, str]] = []
        if "bag-info.txt" in self.regular:
            raw = self._read_small("bag-info.txt", self.limits.tag_file_bytes)
            if raw is not None:
                bag_info, problems_info = parse_bag_info(raw)
                for p in problems_info:
                    out.add("bad-bag-info", "bag-info.txt", p)
        oxums = [v for k, v in bag_info if k.lower() == "payload-oxum"]
        if len(oxums) > 1:
            out.add("bad-bag-info", "bag-info.txt", "Payload-Oxum appears more than once")

        payload_files = {n for n in self.regular if n.startswith("data/")}
        self._completeness(payload_manifests, tag_manifests, payload_files)
        if len(oxums) == 1:
            check_oxum(oxums[0], self.regular, payload_files, out)

        algs = sorted(set(payload_manifests) | set(tag_manifests)) or ["sha256"]
        listed = set().union(*payload_manifests.values(), *tag_manifests.values())
        computed, kept = self._hash_all(algs, listed)
        self._compare(computed, payload_manifests, tag_manifests)
        blame_manifests(self.blame, out)
        if self.strict:  # after hashing: reading the members may find bytes the headers did not show
            for problem in self.source.layout_problems():
                out.add("zip-layout", None, f"{problem}: bytes that nothing signs")
        return self._report(computed, kept, bag_info, payload_manifests, tag_manifests, version)

    def _report(self, computed: Mapping[str, FileDigests], kept: Mapping[str, bytes],
                bag_info: Sequence[tuple[str, str]], payload_manifests: Mapping[str, Mapping[str, str]],
                tag_manifests: Mapping[str, Mapping[str, str]], version: str | None) -> BagReport:
        return BagReport(
            label=self.source.label,
            findings=self.findings.result(),
            files=computed,
            contents=kept,
            bag_info=tuple(bag_info),
            payload_manifests=payload_manifests,
            tag_manifests=tag_manifests,
            version=version,
        )

    def _read_small(self, name: str, limit: int) -> bytes | None:
        """The bytes of a tag file read whole (hashed later from these bytes, never read twice)."""
        entry = self.regular.get(name)
        if entry is None:
            return None
        if entry.size > limit:
            self.findings.add("too-large", name, f"{entry.size} bytes, over the limit of {limit} for this file; "
                              "not read")
            return None
        try:
            with self.source.open(name) as handle:
                data = _read_exactly(handle, entry.size)
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError, ArchiveInputError) as exc:
            self.findings.add("unreadable", name, f"cannot read: {exc}")
            return None
        self.small[name] = data
        return data

    def _manifests(self) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
        out = self.findings
        payload: dict[str, dict[str, str]] = {}
        tag: dict[str, dict[str, str]] = {}
        # A manifest cannot validly list more entries than the bag has files.
        max_lines = len(self.regular) + self.limits.findings_per_kind
        for name in sorted(self.regular):
            m = MANIFEST_NAME.match(name)
            if not m:
                continue
            is_tag, alg = bool(m.group(1)), m.group(2)
            if self.strict and alg not in STRICT_ALGORITHMS:
                out.add("algorithm-not-allowed", name, f"{alg} manifests are not part of our profile "
                        "(sha256 and sha512 only); not read")
                continue
            if alg not in SUPPORTED_ALGORITHMS:
                out.add("unsupported-algorithm", name, f"algorithm {alg!r} cannot be checked")
                continue
            text = self._read_small(name, self.limits.manifest_bytes)
            if text is None:
                continue
            table = self._parse_manifest(name, text, alg, is_tag, max_lines)
            (tag if is_tag else payload)[alg] = table
            if self.strict and format_manifest(table) != text:
                out.add("not-canonical", name, "not in the exact form our writer emits (sorted lines of lowercase hex, "
                        "two spaces, the path, LF, nothing else)")
        return payload, tag

    def _parse_manifest(self, name: str, text: bytes, alg: str, is_tag: bool, max_lines: int) -> dict[str, str]:
        out = self.findings
        table: dict[str, str] = {}
        lines = 0
        self.blame[name] += 0  # a manifest with no problem is a witness for blame_manifests
        for item in iter_manifest(text, name):
            lines += 1
            if lines > max_lines:
                out.add("too-many-lines", name, f"lists more than {max_lines} entries, more than the bag has files; "
                        "the rest was not read")
                self.blame[name] += 1
                break
            if isinstance(item, BagFinding):
                out.add(item.code, item.path, item.message, item.level)
                self.blame[name] += 1
                continue
            entry_path, digest = item
            problem = manifest_entry_problem(entry_path, digest, alg, is_tag, self.reasons)
            if problem:
                out.add(problem[0], entry_path, f"{name}: {problem[1]}")
                self.blame[name] += 1
            elif entry_path in table:
                out.add("duplicate", entry_path, f"{name}: listed more than once")
                self.blame[name] += 1
            else:
                table[entry_path] = digest
        return table

    def _completeness(self, payload_manifests: Mapping[str, Mapping[str, str]],
                      tag_manifests: Mapping[str, Mapping[str, str]], payload_files: set[str]) -> None:
        out = self.findings
        for alg, table in sorted(payload_manifests.items()):
            for listed_name in sorted(set(table) - payload_files):
                out.add("missing", listed_name, f"listed in manifest-{alg}.txt but not in the bag")
                self.blame[f"manifest-{alg}.txt"] += 1
            for present in sorted(payload_files - set(table)):
                out.add("unexpected", present, f"in data/ but not in manifest-{alg}.txt")
                self.blame[f"manifest-{alg}.txt"] += 1
        tag_files = {n for n in self.regular if not n.startswith("data/") and not TAGMANIFEST_NAME.match(n)}
        for alg, table in sorted(tag_manifests.items()):
            for listed_name in sorted(set(table) - set(self.regular)):
                out.add("missing", listed_name, f"listed in tagmanifest-{alg}.txt but not in the bag")
                self.blame[f"tagmanifest-{alg}.txt"] += 1
            for present in sorted(tag_files - set(table)):
                out.add("unexpected", present, f"tag file not in tagmanifest-{alg}.txt")
                self.blame[f"tagmanifest-{alg}.txt"] += 1

    def _compare(self, computed: Mapping[str, FileDigests], payload_manifests: Mapping[str, Mapping[str, str]],
                 tag_manifests: Mapping[str, Mapping[str, str]]) -> None:
        for table_set, kind in ((payload_manifests, "manifest"), (tag_manifests, "tagmanifest")):
            for alg, table in sorted(table_set.items()):
                for listed_name, expected in sorted(table.items()):
                    got = computed.get(listed_name)
                    if got is None or got.digests[alg] == expected:
                        continue
                    self.blame[f"{kind}-{alg}.txt"] += 1
                    self.findings.add("mismatch", listed_name,
                                      f"{alg} in {kind}-{alg}.txt is {expected}, the file hashes to {got.digests[alg]}")

    def _hash_all(self, algs: Sequence[str], listed: set[str]) -> tuple[dict[str, FileDigests], dict[str, bytes]]:
        """Digest the tag files already read from their bytes, and every other listed file in one pass."""
        computed: dict[str, FileDigests] = {}
        kept: dict[str, bytes] = {}
        lock = threading.Lock()
        for name, data in self.small.items():
            multi = MultiHasher(algs)
            multi.update(data)
            computed[name] = multi.result()
            self._maybe_keep(name, data, kept, lock)
        names = sorted((n for n in listed if n in self.regular and n not in self.small),
                       key=lambda n: -self.regular[n].size)
        helper: list[ThreadPoolExecutor | None] = [None]
        problems: list[BagFinding] = []  # from the threads; sorted below so reports do not depend on timing

        def one(name: str) -> None:
            entry = self.regular[name]
            want = self.keep(name) and self._keepable(name, entry.size)
            try:
                with self.source.open(name) as handle:
                    if want or entry.size <= CHUNK:
                        data = _read_exactly(handle, entry.size)
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
                    problems.append(BagFinding("unreadable", name, f"cannot read: {exc}"))
                return
            if digests.size != entry.size:
                with lock:
                    problems.append(BagFinding("size", name, f"declared {entry.size} bytes, read {digests.size}"))
            if self.progress is not None:
                self.progress(entry.size)
            with lock:
                computed[name] = digests

        def run_batch(batch: Sequence[str]) -> None:
            for name in batch:
                one(name)

        if sum(self.regular[n].size for n in names) <= SERIAL_BELOW or self.workers == 1:
            for name in names:  # small bags: starting threads would cost more than hashing
                one(name)
        else:
            with HashPool(self.workers) as pool:
                helper[0] = pool.helper
                pool.map_ordered(run_batch, _batches(names, self.regular))
        self.findings.extend(sorted(problems, key=lambda f: (f.path or "", f.code)))
        return dict(sorted(computed.items())), kept

    def _keepable(self, name: str, size: int) -> bool:
        """Whether a file asked for may be kept; a finding when it is over a memory bound."""
        if size > self.limits.keep_each:
            self.findings.add("too-large", name, f"{size} bytes, over the limit of {self.limits.keep_each} for a "
                              "file read into memory; not kept")
            return False
        if not self.budget.take(size):
            self.findings.add("too-large", name, f"not kept: the files read into memory would pass the total "
                              f"budget of {self.limits.keep_total} bytes")
            return False
        return True

    def _maybe_keep(self, name: str, data: bytes, kept: dict[str, bytes], lock: threading.Lock) -> None:
        if self.keep(name) and self._keepable(name, len(data)):
            with lock:
                kept[name] = data


BATCH_BYTES = 1024 * 1024
"""Small files go to the pool in batches of about this many bytes: a task per 1 KiB file costs more than its hash."""


def _batches(names: Sequence[str], regular: Mapping[str, Entry]) -> list[list[str]]:
    """``names`` (largest first) in consecutive groups of about :data:`BATCH_BYTES`; a large file alone."""
    out: list[list[str]] = []
    current: list[str] = []
    size = 0
    for name in names:
        current.append(name)
        size += regular[name].size
        if size >= BATCH_BYTES or len(current) >= 256:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def _read_exactly(handle: IO[bytes], size: int) -> bytes:
    """Up to ``size + 1`` bytes: enough to tell a member longer than declared, never more."""
    read = handle.read
    data: bytes = read(max(size, 0) + 1)
    while len(data) <= size:
        more = read(size + 1 - len(data))
        if not more:
            break
        data += more
    return data
