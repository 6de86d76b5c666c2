"""Reading a bundle's record id, bundle id and carried log from a bag directory or zip, without extracting."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from provenance.bundle.correction_target import carried, is_bundle, log_path_for, read_bundle_target
from provenance.corrections.errors import LogInputError


def _bag(root: Path, info: str = "External-Identifier: SRCH:2A059E4E\n", *, tagmanifest: bool = True) -> Path:
    root.mkdir(parents=True)
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    (root / "bag-info.txt").write_text("Bagging-Date: 2026-11-22\n" + info)
    if tagmanifest:
        (root / "tagmanifest-sha256.txt").write_text("ab" * 32 + "  bagit.txt\n")
    return root


def _zip(bag: Path, out: Path, prefix: str = "bundle/") -> Path:
    with zipfile.ZipFile(out, "w") as zf:
        for path in sorted(bag.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(bag).as_posix())
    return out


def test_directory_and_zip_give_the_same_target(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "bundle")
    as_dir = read_bundle_target(bag)
    as_zip = read_bundle_target(_zip(bag, tmp_path / "bundle.zip"))
    digest = "sha256:" + hashlib.sha256((bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    assert (as_dir.record_id, as_dir.bundle_id) == (as_zip.record_id, as_zip.bundle_id) == ("SRCH:2A059E4E", digest)
    assert as_dir.log_path == as_zip.log_path == tmp_path / "bundle.corrections.jsonl"
    assert carried(as_dir) is None


def test_folded_external_identifier_line(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "b", "External-Identifier: SRCH:\n  2A059E4E\n")
    assert read_bundle_target(bag).record_id == "SRCH: 2A059E4E"


def test_missing_identifier_or_tag_manifest_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(LogInputError, match="External-Identifier"):
        read_bundle_target(_bag(tmp_path / "a", "Source-Organization: x\n"))
    with pytest.raises(LogInputError, match="missing"):
        read_bundle_target(_bag(tmp_path / "b", tagmanifest=False))
    with pytest.raises(LogInputError, match="not a bundle"):
        read_bundle_target(tmp_path / "nothing")


def test_log_files_and_plain_paths_are_not_bundles(tmp_path: Path) -> None:
    log = tmp_path / "c.jsonl"
    log.write_text("")
    assert not is_bundle(log) and not is_bundle(tmp_path / "absent")
    assert is_bundle(_bag(tmp_path / "bag"))
    assert log_path_for(tmp_path / "x.zip") == tmp_path / "x.zip.corrections.jsonl"  # not a file: kept whole


def test_a_zip_with_traversal_names_is_refused_without_writing_anything(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "src")
    z = _zip(bag, tmp_path / "evil.zip", prefix="../../")
    with pytest.raises(LogInputError, match="bag-info.txt is missing"):
        read_bundle_target(z)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.zip", "src"]


def test_the_carried_log_is_read_through_the_one_bundle_reader(tmp_path: Path) -> None:
    bag = _bag(tmp_path / "bundle")
    (bag / "data" / "corrections").mkdir(parents=True)
    (bag / "data" / "corrections" / "corrections.jsonl").write_bytes(b"{}\n")
    target = read_bundle_target(_zip(bag, tmp_path / "bundle.zip"))
    assert target.carried_log == b"{}\n" and target.carried_checkpoint is None
    with pytest.raises(LogInputError, match="without its checkpoint"):
        carried(target)
