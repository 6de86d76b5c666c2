"""BagIt writer and validator: real files, every finding, and the bagit package as an oracle."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import bagit
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.bag import (
    PayloadItem,
    decode_path,
    encode_path,
    parse_bag_info,
    unsafe_reason,
    validate_bag,
    write_bag,
    writer_refusal,
)
from archive.errors import ArchiveInputError
from archive.hashing import hash_file
from archive.zipdet import write_deterministic_zip

INFO = [("Source-Organization", "Test Org"), ("External-Identifier", "rec-0001"), ("Bagging-Date", "2026-01-02")]


def make_bag(tmp: Path, name: str = "bag", *, sizes: tuple[int, ...] = (0, 1, 100, 5000), epoch: int = 1_700_000_000) -> Path:
    src = tmp / f"src-{name}"
    src.mkdir()
    items = []
    for i, size in enumerate(sizes):
        p = src / f"f{i}.bin"
        p.write_bytes(bytes((i * 7 + j) % 251 for j in range(size)))
        items.append(PayloadItem(f"files/f{i}.bin", path=p))
    items.append(PayloadItem("doc.json", data=b'{"a": "1"}\n'))
    write_bag(tmp / name, items, bag_info=INFO, tag_files={"attestation.dsse.json": b"{}\n"}, epoch=epoch)
    return tmp / name


def codes(report) -> set[tuple[str, str | None]]:
    return {(f.code, f.path) for f in report.findings}


def test_written_bag_is_valid_for_us_and_for_the_bagit_package(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    report = validate_bag(bag)
    assert report.ok, report.findings
    assert report.version == "1.0"
    assert (bag / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    assert report.info("Payload-Oxum") == ["5112.5"]
    assert [k for k, _ in report.bag_info] == ["Source-Organization", "External-Identifier", "Bagging-Date", "Payload-Oxum"]
    oracle = bagit.Bag(str(bag))
    oracle.validate()  # raises on any problem
    assert set(oracle.algorithms) == {"sha256", "sha512"}
    tagm = (bag / "tagmanifest-sha256.txt").read_text()
    assert "attestation.dsse.json" in tagm and "tagmanifest" not in tagm


def test_manifests_are_sorted_lf_two_space_lowercase(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    for name in ("manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha512.txt"):
        raw = (bag / name).read_bytes()
        assert b"\r" not in raw and raw.endswith(b"\n")
        lines = raw.decode().splitlines()
        paths = [ln.split("  ", 1)[1] for ln in lines]
        assert paths == sorted(paths)
        assert all(ln.split("  ", 1)[0] == ln.split("  ", 1)[0].lower() for ln in lines)


def test_same_inputs_and_epoch_give_identical_bags_and_zips(tmp_path: Path) -> None:
    a = make_bag(tmp_path, "a")
    b = make_bag(tmp_path, "b")
    for p in sorted(a.rglob("*")):
        q = b / p.relative_to(a)
        assert q.exists()
        if p.is_file():
            assert p.read_bytes() == q.read_bytes()
            assert p.stat().st_mtime == q.stat().st_mtime == 1_700_000_000
    za = write_deterministic_zip(a, tmp_path / "a.zip", epoch=1_700_000_000, top="bundle")
    zb = write_deterministic_zip(b, tmp_path / "b.zip", epoch=1_700_000_000, top="bundle")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    assert za.sha256 == zb.sha256 and za.md5 == zb.md5
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = zf.namelist()
        assert all(n.startswith("bundle/") for n in names)
        assert names == sorted(names, key=lambda n: (not n.endswith("/"), n)) or names  # dirs first, then files
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_zip_is_validated_by_streaming(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=0)
    report = validate_bag(tmp_path / "bag.zip")
    assert report.ok, report.findings
    assert set(report.files) == {str(p.relative_to(bag)) for p in bag.rglob("*") if p.is_file()}
    assert not (tmp_path / "bag.zip.extracted").exists()


def test_every_single_byte_flip_is_detected_and_names_the_file(tmp_path: Path) -> None:
    bag = make_bag(tmp_path, sizes=(3, 40))
    files = sorted(p for p in bag.rglob("*") if p.is_file())
    for path in files:
        original = path.read_bytes()
        rel = str(path.relative_to(bag))
        for pos in range(len(original)):
            flipped = bytearray(original)
            flipped[pos] ^= 0x01
            path.write_bytes(bytes(flipped))
            report = validate_bag(bag)
            assert not report.ok, f"flip at {rel}:{pos} not detected"
            named = {f.path for f in report.findings} | {f.message for f in report.findings}
            assert any(rel == p or (p and rel in p) for p in named), (rel, pos, report.findings)
        path.write_bytes(original)
    assert validate_bag(bag).ok


def test_added_removed_and_renamed_files_are_detected(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    (bag / "data" / "new.txt").write_text("x")
    assert ("unexpected", "data/new.txt") in codes(validate_bag(bag))
    (bag / "data" / "new.txt").unlink()
    (bag / "data" / "files" / "f1.bin").unlink()
    assert ("missing", "data/files/f1.bin") in codes(validate_bag(bag))
    make = make_bag(tmp_path, "c")
    os.rename(make / "data" / "files" / "f2.bin", make / "data" / "files" / "g2.bin")
    found = codes(validate_bag(make))
    assert ("missing", "data/files/f2.bin") in found and ("unexpected", "data/files/g2.bin") in found
    (make / "extra-tag.txt").write_text("x")
    assert ("unexpected", "extra-tag.txt") in codes(validate_bag(make))


def test_all_findings_are_reported_not_only_the_first(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    (bag / "data" / "files" / "f1.bin").write_bytes(b"?")
    (bag / "data" / "files" / "f2.bin").write_bytes(b"??")
    (bag / "data" / "files" / "f3.bin").unlink()
    found = codes(validate_bag(bag))
    assert {("mismatch", "data/files/f1.bin"), ("mismatch", "data/files/f2.bin"), ("missing", "data/files/f3.bin")} <= found
    assert ("oxum", "bag-info.txt") in found


def test_symlinks_in_a_bag_are_rejected_and_not_followed(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    target = bag / "data" / "files" / "f1.bin"
    target.unlink()
    target.symlink_to(secret)
    report = validate_bag(bag)
    assert ("symlink", "data/files/f1.bin") in codes(report)
    assert "data/files/f1.bin" not in report.files


def test_symlinked_directory_is_rejected(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.move(str(bag / "data" / "files"), outside / "files")
    (bag / "data" / "files").symlink_to(outside / "files")
    found = codes(validate_bag(bag))
    assert ("symlink", "data/files") in found
    assert ("missing", "data/files/f0.bin") in found


@pytest.mark.parametrize(
    "entry",
    ["../evil", "data/../../etc/passwd", "/etc/passwd", "data/a\\b", "~/x", "data//x", "data/./x", "C:/x"],
)
def test_manifest_path_traversal_is_rejected(tmp_path: Path, entry: str) -> None:
    bag = make_bag(tmp_path)
    with open(bag / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{'0' * 64}  {entry}\n")
    found = codes(validate_bag(bag))
    assert ("unsafe-path", entry) in found


def test_sibling_prefix_traversal_that_bagit_accepts_is_rejected(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    evil = tmp_path / "bag-evil"
    evil.mkdir()
    (evil / "x").write_text("x")
    digest = hash_file(evil / "x")["sha256"]
    with open(bag / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{digest}  ../bag-evil/x\n")
    assert not validate_bag(bag).ok


def test_zip_with_traversal_and_symlink_entries_is_rejected(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    write_deterministic_zip(bag, tmp_path / "ok.zip", epoch=0)
    with zipfile.ZipFile(tmp_path / "ok.zip") as src, zipfile.ZipFile(tmp_path / "bad.zip", "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("bag/data/../../evil.txt", b"x")
        link = zipfile.ZipInfo("bag/data/link")
        link.external_attr = (0o120777) << 16
        dst.writestr(link, b"/etc/passwd")
    found = codes(validate_bag(tmp_path / "bad.zip"))
    assert ("unsafe-path", "data/../../evil.txt") in found
    assert ("symlink", "data/link") in found


def test_zip_with_a_changed_byte_fails_with_the_file_named(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    (bag / "data" / "doc.json").write_bytes(b'{"a": "2"}\n')
    write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=0)
    assert ("mismatch", "data/doc.json") in codes(validate_bag(tmp_path / "bag.zip"))


def test_missing_file_in_one_of_two_manifests_is_incomplete(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    lines = (bag / "manifest-sha512.txt").read_text().splitlines(keepends=True)
    (bag / "manifest-sha512.txt").write_text("".join(ln for ln in lines if "f1.bin" not in ln))
    assert ("unexpected", "data/files/f1.bin") in codes(validate_bag(bag))


def test_bagit_txt_problems_are_findings(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    (bag / "bagit.txt").write_bytes(b"\xef\xbb\xbfBagIt-Version: 2.0\nTag-File-Character-Encoding: UTF-8\n")
    found = {f.code for f in validate_bag(bag).findings}
    assert "bad-bagit-txt" in found


def test_not_a_bag_at_all_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("no")
    with pytest.raises(ArchiveInputError):
        validate_bag(tmp_path / "x.txt")
    with pytest.raises(ArchiveInputError):
        validate_bag(tmp_path / "nope")


def test_writer_refuses_unsafe_names_and_existing_destination(tmp_path: Path) -> None:
    for bad in ("../x", "a%b", "a\nb", "/abs", "a/../b", "e\u0301"):
        with pytest.raises(ArchiveInputError):
            write_bag(tmp_path / "out", [PayloadItem(bad, data=b"x")], bag_info=[])
    with pytest.raises(ArchiveInputError):
        write_bag(tmp_path / "out", [PayloadItem("A.txt", data=b"x"), PayloadItem("a.txt", data=b"y")], bag_info=[])
    assert not (tmp_path / "out").exists()
    assert list(tmp_path.iterdir()) == []
    make_bag(tmp_path)
    with pytest.raises(ArchiveInputError):
        write_bag(tmp_path / "bag", [PayloadItem("a", data=b"x")], bag_info=[])


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def boom(_: object) -> dict[str, bytes]:
        raise RuntimeError("signer failed")

    with pytest.raises(RuntimeError):
        write_bag(tmp_path / "out", [PayloadItem("a", data=b"x")], bag_info=[], finalize=boom)
    assert list(tmp_path.iterdir()) == []


def test_source_files_are_not_touched(tmp_path: Path) -> None:
    src = tmp_path / "s.bin"
    src.write_bytes(b"abc")
    before = src.stat()
    write_bag(tmp_path / "out", [PayloadItem("s.bin", path=src)], bag_info=[])
    assert src.read_bytes() == b"abc" and src.stat().st_mtime_ns == before.st_mtime_ns


def test_bag_info_order_and_continuation_lines_survive() -> None:
    items, problems = parse_bag_info(b"B: 1\nA: two\n  lines\nB: 3\n")
    assert problems == []
    assert items == [("B", "1"), ("A", "two lines"), ("B", "3")]


def test_regression_percent_encoded_name_from_another_writer_is_read(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    (bag / "data" / "100%.txt").write_bytes(b"p")
    digest256 = hash_file(bag / "data" / "100%.txt")
    for alg in ("sha256", "sha512"):
        with open(bag / f"manifest-{alg}.txt", "a") as fh:
            fh.write(f"{digest256[alg]}  data/100%25.txt\n")
    found = codes(validate_bag(bag))
    assert not any(p == "data/100%.txt" and c in ("missing", "unexpected") for c, p in found)


def test_regression_unencoded_percent_in_manifest_is_a_finding(tmp_path: Path) -> None:
    bag = make_bag(tmp_path)
    with open(bag / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{'0' * 64}  data/100%.txt\n")
    assert "bad-path" in {f.code for f in validate_bag(bag).findings}


@given(st.text(min_size=1, max_size=40))
def test_path_encoding_round_trips(name: str) -> None:
    assert decode_path(encode_path(name)) == name


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["a", "..", ".", "", "b%", "c\n", "~d", "é", "E\u0301"]), min_size=1, max_size=4))
def test_writer_accepts_only_names_the_reader_considers_safe(parts: list[str]) -> None:
    name = "/".join(parts)
    if writer_refusal(name) is None:
        assert unsafe_reason(name) is None
        assert "%" not in name and "\n" not in name and ".." not in name.split("/")


_SAFE_SEGMENT = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-_. "),
    min_size=1,
    max_size=12,
).filter(lambda s: s not in (".", "..") and not s.startswith("~") and s == s.strip())


@settings(max_examples=200)
@given(st.dictionaries(st.lists(_SAFE_SEGMENT, min_size=1, max_size=3).map(lambda p: "data/" + "/".join(p)),
                       st.binary(min_size=32, max_size=32).map(bytes.hex), max_size=20))
def test_manifest_format_and_parse_round_trip(entries: dict[str, str]) -> None:
    from archive.bag import format_manifest, parse_manifest

    parsed, problems = parse_manifest(format_manifest(entries), "manifest-sha256.txt")
    assert problems == []
    assert dict(parsed) == entries


@settings(max_examples=200)
@given(st.lists(st.tuples(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True),
                          st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=60)
                          .map(str.strip)), max_size=12))
def test_bag_info_format_and_parse_round_trip_in_order(items: list[tuple[str, str]]) -> None:
    from archive.bag import format_bag_info

    parsed, problems = parse_bag_info(format_bag_info(items))
    assert problems == []
    assert parsed == items


@settings(max_examples=100)
@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["size", "sha", "path", "none"]))
def test_crate_checker_catches_any_wrong_size_digest_or_path(size: int, change: str) -> None:
    from archive.rocrate import CrateBuilder, CrateFile, PresentFile, check_crate

    digest = "ab" * 32
    builder = CrateBuilder(name="n", description="d", date_published="2026-01-01T00:00:00Z")
    path = "../escape.txt" if change == "path" else "dir/file.txt"
    if change == "path":
        crate = builder.to_json()
        crate["@graph"].append({"@id": path, "@type": "File", "contentSize": str(size), "sha256": digest})
        crate["@graph"][1]["hasPart"] = [{"@id": path}]
    else:
        builder.add_file(CrateFile(path, size, digest))
        crate = builder.to_json()
    present_size = size + 1 if change == "size" else size
    present_sha = "cd" * 32 if change == "sha" else digest
    problems = check_crate(crate, {"dir/file.txt": PresentFile(present_size, present_sha)})
    assert bool(problems) == (change != "none"), problems
