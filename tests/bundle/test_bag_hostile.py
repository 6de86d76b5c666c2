"""Hostile bags and zips: the validator stays bounded in time, memory and findings, and the strict
profile accounts for every byte. Each test is named after the attack it stops; the zips are real
files made here, and the bounded ones are judged in a child process whose peak RSS (VmHWM) is read."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_zips import MiB, RawMember, bag_members, raw_zip, stored, zeros_deflated

from archive.bag import BagLimits, PayloadItem, validate_bag, write_bag
from archive.zipdet import write_deterministic_zip

REPO = Path(__file__).resolve().parents[2]
INFO = [("Source-Organization", "Test Org"), ("External-Identifier", "rec-0001")]
SECONDS = 10.0
PEAK_MB = 300


def make_bag(tmp: Path, name: str = "bag", files: int = 4) -> Path:
    items = [PayloadItem(f"f{i}.txt", data=f"file {i}\n".encode()) for i in range(files)]
    write_bag(tmp / name, items, bag_info=INFO, tag_files={"attestation.dsse.json": b"{}\n"}, epoch=1_700_000_000)
    return tmp / name


def our_zip(tmp: Path, files: int = 4) -> Path:
    bag = make_bag(tmp, files=files)
    return write_deterministic_zip(bag, tmp / "bag.zip", epoch=1_700_000_000).path


def judged(path: Path, *, strict: bool) -> dict[str, Any]:
    """Validate in a child process: the findings' codes, their number, seconds and peak RSS in MB."""
    code = (
        "import json, sys, time\n"
        "from archive.bag import validate_bag\n"
        "t = time.monotonic()\n"
        f"r = validate_bag(sys.argv[1], strict={strict})\n"
        "took = time.monotonic() - t\n"
        "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1]\n"
        "print(json.dumps({'codes': sorted({f.code for f in r.findings}), 'n': len(r.findings),"
        " 'ok': r.ok, 'seconds': took, 'peak_mb': int(hwm) / 1024,"
        " 'messages': [f.message for f in r.findings][:50]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=REPO,
                          timeout=120, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def regular(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def assert_bounded(result: dict[str, Any]) -> None:
    assert not result["ok"]
    assert result["n"] <= 200, result["n"]
    assert result["seconds"] < SECONDS, result
    assert result["peak_mb"] < PEAK_MB, result


def codes(path: Path, **kw: Any) -> set[str]:
    return {f.code for f in validate_bag(path, **kw).findings}


# ------------------------------------------------------------------ resource bounds (issue 13 items 6-8)


def test_unlisted_tagmanifest_md5_with_a_million_lines_is_judged_quickly(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    lines = b"".join(b"d41d8cd98f00b204e9800998ecf8427e  f%07d.txt\n" % i for i in range(1_000_000))
    path = write_deterministic_zip(bag, tmp_path / "b.zip", epoch=1_700_000_000).path
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(regular("bag/tagmanifest-md5.txt"), lines)
    assert path.stat().st_size < 4 * MiB
    for strict in (False, True):
        result = judged(path, strict=strict)
        assert_bounded(result)
    assert "algorithm-not-allowed" in judged(path, strict=True)["codes"]
    loose = judged(path, strict=False)
    assert "too-many-lines" in loose["codes"]
    assert any("more 'missing' findings not listed" in m for m in loose["messages"])


def test_twenty_unlisted_members_of_63_mb_of_zeros_are_not_read_into_memory(tmp_path: Path) -> None:
    top = "bag"
    members: list[RawMember] = list(bag_members(make_bag(tmp_path), top))
    big = zeros_deflated(63)
    members += [RawMember(f"{top}/big-{i:02d}.json", big, 63 * MiB, 0, 8) for i in range(20)]
    path = raw_zip(tmp_path / "b.zip", members)
    result = judged(path, strict=True)
    assert_bounded(result)
    assert "unexpected" in result["codes"]


def test_kept_files_have_a_total_memory_budget(tmp_path: Path) -> None:
    tags = {f"big-{i:02d}.json": bytes([i]) * MiB for i in range(20)}
    items = [PayloadItem("a.txt", data=b"a\n")]
    write_bag(tmp_path / "bag", items, bag_info=INFO, tag_files=tags)
    report = validate_bag(tmp_path / "bag", limits=BagLimits(keep_total=10 * MiB))
    assert sum(len(v) for v in report.contents.values()) <= 10 * MiB
    assert "too-large" in {f.code for f in report.findings}
    assert not report.ok
    assert validate_bag(tmp_path / "bag").ok  # within the default budget all is kept
    assert len(validate_bag(tmp_path / "bag").contents) > 20


def test_unlisted_member_of_3_75_gib_of_zeros_is_reported_without_being_hashed(tmp_path: Path) -> None:
    top = "bag"
    members = list(bag_members(make_bag(tmp_path), top))
    members.append(RawMember(f"{top}/data/huge.bin", zeros_deflated(3840), 3840 * MiB, 0, 8))
    path = raw_zip(tmp_path / "b.zip", members)
    assert path.stat().st_size < 8 * MiB
    for strict in (False, True):
        result = judged(path, strict=strict)
        assert_bounded(result)
        assert "unexpected" in result["codes"]
        assert "unreadable" not in result["codes"]  # never read: its CRC is not even right


def test_two_hundred_thousand_empty_members_are_refused_by_count_before_parsing(tmp_path: Path) -> None:
    members = (stored(f"bag/data/e{i:06d}", b"") for i in range(200_000))
    path = raw_zip(tmp_path / "b.zip", members)
    result = judged(path, strict=False)
    assert_bounded(result)
    assert result["codes"] == ["too-many-members"]


def test_a_directory_with_too_many_files_is_refused_by_count(tmp_path: Path) -> None:
    bag = make_bag(tmp_path, files=30)
    report = validate_bag(bag, limits=BagLimits(max_members=20))
    assert [f.code for f in report.findings] == ["too-many-members"]


def test_findings_are_capped_per_kind_with_a_count_of_the_rest(tmp_path: Path) -> None:
    bag = make_bag(tmp_path, files=60)
    for i in range(60):
        (bag / "data" / f"f{i}.txt").write_bytes(b"changed\n")
    report = validate_bag(bag, limits=BagLimits(findings_per_kind=20))
    mismatches = [f for f in report.findings if f.code == "mismatch"]
    assert len(mismatches) == 21
    assert mismatches[-1].path is None and "more 'mismatch' findings" in mismatches[-1].message
    assert "100 more" in mismatches[-1].message  # 60 files x 2 manifests, 20 listed


# ------------------------------------------------------------------ the strict profile (issue 13 items 10-11)


def test_our_own_zip_and_directory_pass_the_strict_profile(tmp_path: Path) -> None:
    path = our_zip(tmp_path)
    assert validate_bag(path, strict=True).findings == ()
    assert validate_bag(tmp_path / "bag", strict=True).findings == ()


def _rezip(tmp_path: Path, change: dict[str, bytes], name: str = "changed.zip") -> Path:
    bag = tmp_path / "bag"
    for rel, data in change.items():
        (bag / rel).write_bytes(data)
    return write_deterministic_zip(bag, tmp_path / name, epoch=1_700_000_000).path


@pytest.mark.parametrize("form", ["uppercase", "crlf", "unsorted", "trailing-blank"])
def test_tag_manifest_not_in_our_exact_form_fails_strict(tmp_path: Path, form: str) -> None:
    our_zip(tmp_path)
    text = (tmp_path / "bag" / "tagmanifest-sha256.txt").read_bytes()
    lines = text.splitlines(keepends=True)
    changed = {
        "uppercase": b"".join(ln[:64].upper() + ln[64:] for ln in lines),
        "crlf": text.replace(b"\n", b"\r\n"),
        "unsorted": b"".join(reversed(lines)),
        "trailing-blank": text + b"\n",
    }[form]
    path = _rezip(tmp_path, {"tagmanifest-sha256.txt": changed})
    assert "not-canonical" in codes(path, strict=True)
    assert "not-canonical" not in codes(path)


@pytest.mark.parametrize("extra", ["tagmanifest-md5.txt", "tagmanifest-sha1.txt", "manifest-md5.txt"])
def test_extra_manifest_in_an_algorithm_outside_our_profile_fails_strict(tmp_path: Path, extra: str) -> None:
    our_zip(tmp_path)
    bag = tmp_path / "bag"
    listing = b"00000000000000000000000000000000  bagit.txt\n" if extra.startswith("tag") else (
        b"00000000000000000000000000000000  data/f0.txt\n")
    if "sha1" in extra:
        listing = listing.replace(b"0" * 32, b"0" * 40)
    path = _rezip(tmp_path, {extra: listing})
    assert "algorithm-not-allowed" in codes(path, strict=True)
    assert not validate_bag(bag, strict=True).ok


def test_zip_directory_entry_that_carries_bytes_fails(tmp_path: Path) -> None:
    path = our_zip(tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(zipfile.ZipInfo("bag/hidden/"), b"smuggled bytes")
    assert "unsafe-path" in codes(path)
    assert not validate_bag(path, strict=True).ok


def test_bytes_prepended_to_the_zip_fail_strict(tmp_path: Path) -> None:
    path = our_zip(tmp_path)
    data = path.read_bytes()
    hostile = tmp_path / "prefixed.zip"
    hostile.write_bytes(b"#!/bin/sh\necho unsigned\n" + data)
    assert "zip-layout" in codes(hostile, strict=True)
    assert validate_bag(hostile).ok  # generic readers accept a prefix (self-extracting zips)


def test_zip_comment_fails_strict(tmp_path: Path) -> None:
    path = our_zip(tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b"unsigned words"
    assert "zip-layout" in codes(path, strict=True)


def test_duplicate_member_names_fail(tmp_path: Path) -> None:
    top = "bag"
    members = list(bag_members(make_bag(tmp_path), top))
    members.append(stored(f"{top}/data/f0.txt", b"other bytes\n"))
    path = raw_zip(tmp_path / "b.zip", members)
    assert "duplicate" in codes(path)
    assert "duplicate" in codes(path, strict=True)


def test_bytes_hidden_between_members_fail_strict(tmp_path: Path) -> None:
    top = "bag"
    members = list(bag_members(make_bag(tmp_path), top))
    path = raw_zip(tmp_path / "b.zip", members)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        second = zf.infolist()[1].header_offset
    # Insert junk before the second member and shift every recorded offset after it.
    junk = b"JUNK" * 8
    hostile = tmp_path / "gap.zip"
    with zipfile.ZipFile(path) as zf:
        count = len(zf.infolist())
    out = bytearray(data[:second]) + junk + data[second:]
    cd = out.rfind(b"PK\x05\x06")
    cd_offset = int.from_bytes(out[cd + 16 : cd + 20], "little")
    out[cd + 16 : cd + 20] = (cd_offset + len(junk)).to_bytes(4, "little")
    pos = cd_offset + len(junk)
    for _ in range(count):
        rec_offset = int.from_bytes(out[pos + 42 : pos + 46], "little")
        if rec_offset >= second:
            out[pos + 42 : pos + 46] = (rec_offset + len(junk)).to_bytes(4, "little")
        n, e, c = (int.from_bytes(out[pos + k : pos + k + 2], "little") for k in (28, 30, 32))
        pos += 46 + n + e + c
    hostile.write_bytes(bytes(out))
    assert validate_bag(hostile).ok
    assert "zip-layout" in codes(hostile, strict=True)


def _deflated_f0(tmp_path: Path, stream: Callable[[bytes], bytes]) -> Path:
    """A zip of a small bag whose data/f0.txt is stored as ``stream(its bytes)`` (raw deflate)."""
    target = "bag/data/f0.txt"
    members = list(bag_members(make_bag(tmp_path), "bag"))
    members = [m if m.name != target else RawMember(target, stream(m.data), m.size, m.crc, 8) for m in members]
    return raw_zip(tmp_path / "b.zip", members)


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def test_bytes_after_the_end_of_a_deflate_stream_are_refused(tmp_path: Path) -> None:
    path = _deflated_f0(tmp_path, lambda data: _deflate(data) + b"smuggled")
    found = validate_bag(path).findings
    assert any(f.code == "unreadable" and f.path == "data/f0.txt" and "follow" in f.message for f in found)


def test_a_member_that_inflates_past_its_recorded_size_is_refused(tmp_path: Path) -> None:
    path = _deflated_f0(tmp_path, lambda data: _deflate(data * 1000))
    found = validate_bag(path).findings
    assert any(f.path == "data/f0.txt" and f.code in ("unreadable", "size") for f in found)
