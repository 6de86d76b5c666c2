"""The bag writer's single read per file: digests taken as given, md5 in the same pass, change during
the copy refused, zips independent of mtimes, and the zip's own digests from the validation read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from archive.bag import PayloadItem, validate_bag, write_bag
from archive.errors import ArchiveInputError
from archive.hashing import FileChangedError, FileDigests, hash_file
from archive.zipdet import write_deterministic_zip

INFO = [("External-Identifier", "rec-0001")]


def _files(tmp: Path, n: int = 3) -> list[Path]:
    src = tmp / "src"
    src.mkdir()
    out = []
    for i in range(n):
        p = src / f"f{i}.bin"
        p.write_bytes(os.urandom(1000 * (i + 1)))
        out.append(p)
    return out


def test_known_digests_are_taken_as_given_and_the_file_is_copied_without_hashing(tmp_path: Path) -> None:
    files = _files(tmp_path)
    known = {p: hash_file(p, ("sha256", "sha512", "md5")) for p in files}
    bag = write_bag(tmp_path / "bag", [PayloadItem(p.name, path=p, digests=known[p]) for p in files], bag_info=INFO)
    for p in files:
        assert bag.files[f"data/{p.name}"] is known[p]  # the very object given: nothing re-hashed
        assert (tmp_path / "bag" / "data" / p.name).read_bytes() == p.read_bytes()
    assert validate_bag(tmp_path / "bag", strict=True).ok
    # The writer takes them on trust; the validator is what would catch wrong ones.
    lie = FileDigests(files[0].stat().st_size, {"sha256": "0" * 64, "sha512": "0" * 128})
    write_bag(tmp_path / "lie", [PayloadItem("x.bin", path=files[0], digests=lie)], bag_info=INFO)
    assert "mismatch" in {f.code for f in validate_bag(tmp_path / "lie").findings}


def test_known_digests_of_another_size_are_refused(tmp_path: Path) -> None:
    files = _files(tmp_path, 1)
    wrong = FileDigests(1, {"sha256": "0" * 64, "sha512": "0" * 128})
    with pytest.raises(ArchiveInputError, match="given digests are of 1 bytes"):
        write_bag(tmp_path / "bag", [PayloadItem("x.bin", path=files[0], digests=wrong)], bag_info=INFO)
    assert not (tmp_path / "bag").exists()


def test_md5_is_computed_in_the_same_read_without_a_manifest(tmp_path: Path) -> None:
    files = _files(tmp_path)
    bag = write_bag(tmp_path / "bag", [PayloadItem(p.name, path=p) for p in files], bag_info=INFO,
                    extra_algorithms=("md5",))
    for p in files:
        assert bag.files[f"data/{p.name}"]["md5"] == hashlib.md5(p.read_bytes()).hexdigest()
    assert not (tmp_path / "bag" / "manifest-md5.txt").exists()
    assert validate_bag(tmp_path / "bag", strict=True).ok


@pytest.mark.parametrize("known", [False, True])
def test_a_payload_file_that_changes_while_it_is_copied_is_refused(tmp_path: Path, known: bool,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer changes one byte and the mtime, as an editor would, between the copier's first
    look at the file and its last: always, not when the scheduler happens to let it (a thread racing
    a 30 ms kernel copy lost under load). The copy (kernel copy for known digests, hashing copy
    otherwise, 40 MiB so the side-by-side hasher runs) and its check are the real ones; the stat
    call is only watched to know when the copier has looked."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(1024 * 1024) * 40)
    digests = hash_file(big) if known else None
    inode = big.stat().st_ino
    real_fstat = os.fstat
    looks: list[int] = []

    def fstat(fd: int) -> os.stat_result:
        result = real_fstat(fd)
        if result.st_ino == inode and not looks:  # the copier's first look: now the file changes under it
            looks.append(fd)
            with open(big, "r+b") as other:
                other.seek(12_345_678)
                other.write(b"\xff")
            os.utime(big, ns=(1, 10**18))
        return result

    monkeypatch.setattr(os, "fstat", fstat)
    with pytest.raises(FileChangedError, match="changed while it was being copied"):
        write_bag(tmp_path / "bag", [PayloadItem("big.bin", path=big, digests=digests)], bag_info=INFO)
    monkeypatch.undo()
    assert looks, "the copier never looked at the source"
    assert not (tmp_path / "bag").exists()


def test_deterministic_zip_does_not_depend_on_file_mtimes(tmp_path: Path) -> None:
    files = _files(tmp_path)
    write_bag(tmp_path / "bag", [PayloadItem(p.name, path=p) for p in files], bag_info=INFO)
    first = write_deterministic_zip(tmp_path / "bag", tmp_path / "one.zip", epoch=1_700_000_000)
    for i, p in enumerate(sorted((tmp_path / "bag").rglob("*"))):
        os.utime(p, (1_000_000 + i * 3600, 1_000_000 + i * 3600))
    second = write_deterministic_zip(tmp_path / "bag", tmp_path / "two.zip", epoch=1_700_000_000)
    assert first.md5 == second.md5 and first.path.read_bytes() == second.path.read_bytes()


def test_validation_returns_the_zips_own_digests_from_the_same_call(tmp_path: Path) -> None:
    files = _files(tmp_path)
    write_bag(tmp_path / "bag", [PayloadItem(p.name, path=p) for p in files], bag_info=INFO)
    z = write_deterministic_zip(tmp_path / "bag", tmp_path / "b.zip", epoch=1_700_000_000)
    report = validate_bag(z.path, strict=True, container_algorithms=("md5", "sha256"))
    assert report.ok and report.container is not None
    assert (report.container["md5"], report.container["sha256"], report.container.size) == (z.md5, z.sha256, z.size)
    assert validate_bag(tmp_path / "bag", container_algorithms=("md5",)).container is None


def test_external_identifier_is_a_stable_urn_uuid() -> None:
    from archive.bag import external_identifier

    one = external_identifier("SRCH:2A059E4E")
    assert one.startswith("urn:uuid:") and len(one) == len("urn:uuid:") + 36
    assert one == external_identifier("SRCH:2A059E4E") != external_identifier("SRCH:2A059E4F")
