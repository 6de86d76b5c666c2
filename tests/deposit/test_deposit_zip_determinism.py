"""Issue 14.3: the zip a bag directory is deposited as is deterministic whatever the files' mtimes, and it is
the zip ``bundle build`` wrote (same bytes, so the ``zip_md5`` it prints is the md5 of what is deposited)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from deposit_helpers import Signed

from archive.journal import Journal
from provenance.deposit.workflow import deposit_bundle


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    return Signed(tmp_path_factory.mktemp("signed"))


def _deposited_zip(bag: Path, archive: Path) -> bytes:
    """Deposit ``bag`` to a fresh local archive (no SOURCE_DATE_EPOCH anywhere); the bytes of the zip it uploaded."""
    env = {"XDG_DATA_HOME": str(archive / "xdg")}
    out = deposit_bundle(bag, archive_dir=archive, env=env, trust=None, verify=False)
    assert out["phase"] == "published"
    journal = Journal.load(next((archive / "journals").glob("*.json")))
    zipped = [f for f in journal.files if f.key.endswith(".zip")]
    assert len(zipped) == 1
    data = Path(zipped[0].path).read_bytes()
    assert hashlib.md5(data, usedforsecurity=False).hexdigest() == zipped[0].md5
    return data


def test_depositing_a_bag_directory_twice_gives_identical_zips_whatever_the_mtimes(
        signed: Signed, tmp_path: Path) -> None:
    bag = signed.bundle(tmp_path / "bundle")
    first = _deposited_zip(bag, tmp_path / "archive-1")
    for i, p in enumerate(sorted(bag.rglob("*"))):
        os.utime(p, (1_900_000_000 + i, 1_900_000_000 + i))
    second = _deposited_zip(bag, tmp_path / "archive-2")
    assert first == second


def test_the_zip_md5_bundle_build_prints_is_the_md5_of_the_zip_deposited(signed: Signed, tmp_path: Path) -> None:
    from provenance.bundle.build import BuildRequest, build_bundle

    bag = tmp_path / "bundle"
    built = build_bundle(BuildRequest(signed.manifest, bag, claims=signed.checks, lean_mode="off", make_zip=True),
                         key=signed.attestor, trust=signed.trust, epoch=signed.EPOCH)
    printed = built.to_json()["zip_md5"]
    assert printed == hashlib.md5(Path(str(built.zip_path)).read_bytes(), usedforsecurity=False).hexdigest()
    os.utime(bag / "bag-info.txt", (1_900_000_000, 1_900_000_000))
    deposited = _deposited_zip(bag, tmp_path / "archive")
    assert hashlib.md5(deposited, usedforsecurity=False).hexdigest() == printed
