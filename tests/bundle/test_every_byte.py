"""Flipping any single byte of any file of a small bundle, at every position, is caught by
`verify_bundle`, and a failing finding names that file. Also for the zip, by streaming."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from bundle_env import Env, build

from provenance.bundle.verify import VerifyCache, verify_bundle
from provenance.signing.trust import TrustRoot


@pytest.fixture(scope="module")
def small(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small") / "b"
    build(env, out, manifest=env.small_manifest, claims=None, make_zip=True)
    return out


def _positions(size: int, every: bool) -> range | list[int]:
    if every:
        return range(size)
    return sorted({0, 1, size // 3, size // 2, size - 2, size - 1} & set(range(size)))


def _flip_all(env: Env, bundle: Path, every: bool) -> int:
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    checked = 0
    cache = VerifyCache()  # one batch of near-identical bundles: reuse schema and Lean-project results
    for path in files:
        rel = str(path.relative_to(bundle))
        original = path.read_bytes()
        try:
            for pos in _positions(len(original), every):
                flipped = bytearray(original)
                flipped[pos] ^= 0x01
                path.write_bytes(bytes(flipped))
                report = verify_bundle(bundle, env.trust, lean_mode="off", cache=cache)
                assert not report.ok, f"flip of {rel} at byte {pos} not detected"
                assert any(f.file == rel for f in report.failures), (rel, pos, report.failures[:3])
                checked += 1
        finally:
            path.write_bytes(original)
    assert verify_bundle(bundle, env.trust, lean_mode="off").ok
    return checked


def test_byte_flips_at_chosen_positions_of_every_file(env: Env, small: Path) -> None:
    assert _flip_all(env, small, every=False) > 50


_TRUST: list[TrustRoot] = []
_CACHE = VerifyCache()  # per worker process (forked): every flip of one bundle is a batch


def _flip_one_file(args: tuple[str, str, str]) -> int:
    """In a worker process: every position of one file, on the worker's own copy of the bundle."""
    source, scratch, rel = args
    copy = Path(scratch) / f"w{os.getpid()}" / "b"
    if not copy.exists():
        shutil.copytree(source, copy)
    path = copy / rel
    original = path.read_bytes()
    checked = 0
    try:
        for pos in range(len(original)):
            flipped = bytearray(original)
            flipped[pos] ^= 0x01
            path.write_bytes(bytes(flipped))
            report = verify_bundle(copy, _TRUST[0], lean_mode="off", cache=_CACHE)
            assert not report.ok, f"flip of {rel} at byte {pos} not detected"
            assert any(f.file == rel for f in report.failures), (rel, pos, report.failures[:3])
            checked += 1
    finally:
        path.write_bytes(original)
    return checked


@pytest.mark.slow
def test_every_single_byte_flip_of_every_file_is_detected_and_named(env: Env, small: Path, tmp_path: Path) -> None:
    files = sorted(str(p.relative_to(small)) for p in small.rglob("*") if p.is_file())
    total = sum((small / f).stat().st_size for f in files)
    _TRUST[:] = [env.trust]
    jobs = [(str(small), str(tmp_path), rel) for rel in sorted(files, key=lambda f: -(small / f).stat().st_size)]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        checked = sum(pool.imap_unordered(_flip_one_file, jobs))
    assert checked == total


def test_byte_flips_inside_the_zip_are_detected_and_named(env: Env, small: Path, tmp_path: Path) -> None:
    zpath = small.with_name("b.zip")
    with zipfile.ZipFile(zpath) as zf:
        members = [(i, zf.read(i)) for i in zf.infolist()]
    for index, (info, data) in enumerate(members):
        if info.is_dir() or not data:
            continue
        rel = info.filename.split("/", 1)[1]
        flipped = bytearray(data)
        flipped[len(data) // 2] ^= 0x01
        target = tmp_path / f"t{index}.zip"
        with zipfile.ZipFile(target, "w") as out:
            for other, content in members:
                out.writestr(other, bytes(flipped) if other is info else content)
        report = verify_bundle(target, env.trust, lean_mode="off")
        assert not report.ok and any(f.file == rel for f in report.failures), rel
