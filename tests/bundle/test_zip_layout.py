"""A bundle zip verifies only if every byte of it is accounted for by the signed statement or by
the fixed zip structure our deterministic writer (:mod:`archive.zipdet`) produces (issue 13, item 11)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from bundle_env import Env
from hostile import small_bundle_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.bag import PayloadItem, validate_bag, write_bag
from archive.zipdet import member_info, write_deterministic_zip
from provenance.bundle.verify import VerifyCache, verify_bundle
from provenance.errors import InputError


@pytest.fixture(scope="module")
def bundle_zip(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_bundle_zip(env, tmp_path_factory, "m")


def header_positions(data: bytes) -> list[int]:
    """Every byte of the zip that is not member data: local headers with their names, the central
    directory, the end record."""
    eocd = data.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    positions: list[int] = []
    at = cd_offset
    while at < cd_offset + cd_size:
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, at + 28)
        (local,) = struct.unpack_from("<I", data, at + 42)
        local_name, local_extra = struct.unpack_from("<2H", data, local + 26)
        positions += range(local, local + 30 + local_name + local_extra)
        at += 46 + name_len + extra_len + comment_len
    positions += range(cd_offset, len(data))
    return positions


def test_a_flipped_zip_header_byte_never_verifies(env: Env, bundle_zip: Path, tmp_path: Path) -> None:
    data = bundle_zip.read_bytes()
    cache = VerifyCache()
    assert verify_bundle(bundle_zip, env.trust, lean_mode="off", cache=cache).ok
    positions = header_positions(data)
    assert len(positions) > 2000
    verified: list[int] = []
    target = tmp_path / "t.zip"
    for pos in positions:  # the smallest change; every header byte is pinned, so one flip per byte shows it
        flipped = bytearray(data)
        flipped[pos] ^= 0x01
        target.write_bytes(bytes(flipped))
        try:
            report = verify_bundle(target, env.trust, lean_mode="off", cache=cache)
        except InputError:  # not a readable zip at all: exit 2, fine; anything else fails the test
            continue
        if report.ok:
            verified.append(pos)
    assert verified == []


def _bag(tmp: Path, names: list[str]) -> Path:
    items = [PayloadItem(name, data=f"{name}\n".encode() * 40) for name in names]
    write_bag(tmp / "bag", items, bag_info=[("External-Identifier", "rec-1")], epoch=1_700_000_000)
    return tmp / "bag"


def test_our_writer_s_zip_of_unicode_names_nested_and_stored_members_passes_strict(tmp_path: Path) -> None:
    bag = _bag(tmp_path, ["ünïcode/ß.txt", "a/b/c.bin", "a-b/d", "a/e.dat", "plain.json"])
    path = write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=1_800_000_001).path
    assert validate_bag(path, strict=True).findings == ()


@pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
def test_a_duplicate_or_empty_directory_entry_fails_strict(tmp_path: Path) -> None:
    bag = _bag(tmp_path, ["x.txt"])
    (bag / "data" / "empty").mkdir()  # our writer zips it; nothing signs it
    empty = write_deterministic_zip(bag, tmp_path / "empty.zip", epoch=1_700_000_000).path
    assert validate_bag(empty).ok
    assert any("no file under it" in f.message for f in validate_bag(empty, strict=True).findings)
    (bag / "data" / "empty").rmdir()
    ours = write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=1_700_000_000).path
    with zipfile.ZipFile(ours) as src, zipfile.ZipFile(tmp_path / "twice.zip", "w") as out:
        top = src.infolist()[0]
        out.writestr(member_info(top.filename, top.date_time), b"")  # the top directory, twice
        for info in src.infolist():
            out.writestr(info, src.read(info))
    assert validate_bag(tmp_path / "twice.zip").ok
    report = validate_bag(tmp_path / "twice.zip", strict=True)
    assert any("listed twice" in f.message for f in report.findings), report.findings


@pytest.mark.parametrize(("field", "offset"), [("version made by", 4), ("external attributes", 38), ("time", 12)])
def test_a_zip_from_another_writer_is_refused_by_the_strict_profile_only(tmp_path: Path, field: str,
                                                                          offset: int) -> None:
    bag = _bag(tmp_path, ["x.txt"])
    data = bytearray(write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=1_700_000_000).path.read_bytes())
    (cd_offset,) = struct.unpack_from("<I", data, data.rfind(b"PK\x05\x06") + 16)
    data[cd_offset + offset] ^= 0x01  # the first central record: another tool's choice of this field
    path = tmp_path / "other.zip"
    path.write_bytes(bytes(data))
    assert validate_bag(path).ok  # a bag from another tool is still read as before
    layout = [f.message for f in validate_bag(path, strict=True).findings if f.code == "zip-layout"]
    assert layout and field in layout[0], layout


def test_members_out_of_our_writer_s_order_fail_strict(tmp_path: Path) -> None:
    bag = _bag(tmp_path, ["x.txt"])
    ours = write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=1_700_000_000).path
    with zipfile.ZipFile(ours) as src, zipfile.ZipFile(tmp_path / "other.zip", "w") as out:
        for info in reversed(src.infolist()):
            out.writestr(info, src.read(info))
    report = validate_bag(tmp_path / "other.zip", strict=True)
    assert validate_bag(tmp_path / "other.zip").ok
    assert any("order" in f.message for f in report.findings if f.code == "zip-layout"), report.findings


def test_a_deflate_stream_with_padding_bits_set_never_verifies(env: Env, bundle_zip: Path, tmp_path: Path) -> None:
    data = bundle_zip.read_bytes()
    cache = VerifyCache()
    with zipfile.ZipFile(bundle_zip) as zf:
        deflated = [i for i in zf.infolist() if i.compress_type == zipfile.ZIP_DEFLATED]
    assert len(deflated) > 10
    verified: list[tuple[str, int]] = []
    target = tmp_path / "t.zip"
    for info in deflated:
        name_len, extra_len = struct.unpack_from("<2H", data, info.header_offset + 26)
        last = info.header_offset + 30 + name_len + extra_len + info.compress_size - 1
        for bit in range(8):  # the padding bits (inflate ignores them) and the used ones
            flipped = bytearray(data)
            flipped[last] ^= 1 << bit
            target.write_bytes(bytes(flipped))
            if verify_bundle(target, env.trust, lean_mode="off", cache=cache).ok:
                verified.append((info.filename, bit))
    assert verified == []


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contents=st.lists(st.one_of(st.binary(max_size=300), st.text("ab\n", max_size=3000).map(str.encode),
                                   st.integers(0, 5000).map(lambda n: b"\0" * n)), min_size=1, max_size=4))
def test_our_writer_s_deflate_streams_never_count_as_padded(tmp_path_factory: pytest.TempPathFactory,
                                                            contents: list[bytes]) -> None:
    tmp = tmp_path_factory.mktemp("padding")
    items = [PayloadItem(f"f{i}.txt", data=data) for i, data in enumerate(contents)]
    write_bag(tmp / "bag", items, bag_info=[("External-Identifier", "rec-1")], epoch=1_700_000_000)
    path = write_deterministic_zip(tmp / "bag", tmp / "bag.zip", epoch=1_700_000_000).path
    assert validate_bag(path, strict=True).findings == ()
