"""Hostile bundles (issue 13 items 2, 6-11) judged by the real CLI: exit 1 with a report, in bounded time and memory.

Each bundle is a small zip made from a real bundle; `provenance verify` runs in a
child process whose own peak RSS (VmHWM) is read at exit. Bounds: under 10 s and
300 MB on this machine (generous margins over what the fixed verifier needs).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from bundle_env import Env
from hostile import (
    LIMIT_KIB,
    LIMIT_SECONDS,
    Run,
    manifest_lines,
    members,
    resigned,
    run_cli,
    small_bundle_zip,
    variant,
)
from rawzip import entry, write_zip, zeros_entry

from provenance.jsonio import pretty_bytes

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Base:
    zip: Path
    members: list[tuple[str, bytes]]
    trust: Path


@pytest.fixture(scope="module")
def base(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Base:
    zip_path = small_bundle_zip(env, tmp_path_factory, "b")
    return Base(zip_path, members(zip_path), env.trust_path)


def judged(base: Base, bundle: Path, tmp_path: Path) -> dict[str, object]:
    """Run `provenance verify --json`: exit 1, a JSON report that fails, within the bounds."""
    run = run_cli(["verify", str(bundle), "--trust", str(base.trust), "--json"], tmp_path)
    assert_bounded(run)
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    report = json.loads(run.stdout)
    assert report["ok"] is False
    return dict(report)


def assert_bounded(run: Run) -> None:
    assert run.seconds < LIMIT_SECONDS, f"took {run.seconds:.1f} s"
    assert 0 < run.peak_kib < LIMIT_KIB, f"peak RSS {run.peak_kib} KiB"
    assert len(run.stdout) < 2 * MiB, f"printed {len(run.stdout)} bytes"


def failing(report: dict[str, object]) -> set[tuple[str, str | None]]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {(f["id"], f["file"]) for f in findings if f["status"] == "fail"}


def test_the_unchanged_bundle_verifies_within_the_bounds(base: Base, tmp_path: Path) -> None:
    run = run_cli(["verify", str(base.zip), "--trust", str(base.trust), "--json"], tmp_path)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert_bounded(run)


# ---------------------------------------------------------------- item 6


def test_unlisted_tagmanifest_md5_with_four_million_lines_is_judged_in_bounds(base: Base, tmp_path: Path) -> None:
    lines = b"d41d8cd98f00b204e9800998ecf8427e  bagit.txt\n" * 4_000_000
    bundle = variant(base.members, tmp_path / "h.zip", add=[entry("b/tagmanifest-md5.txt", lines)])
    report = judged(base, bundle, tmp_path)
    assert any(name == "b/tagmanifest-md5.txt" or name == "tagmanifest-md5.txt" for _, name in failing(report))


# ---------------------------------------------------------------- item 7


def test_twenty_kept_members_of_63_mb_are_judged_in_bounds(base: Base, tmp_path: Path) -> None:
    pad = zeros_entry("b/data/lean/Pad.lean", 63 * MiB, block=MiB)
    pads = [dataclasses.replace(pad, name=f"b/data/lean/Pad{i}.lean") for i in range(20)]
    bundle = variant(base.members, tmp_path / "h.zip", add=pads)
    report = judged(base, bundle, tmp_path)
    assert ("bag.unexpected", "data/lean/Pad0.lean") in failing(report)


# ---------------------------------------------------------------- item 8


def test_a_4_gib_unlisted_member_is_reported_without_being_hashed(base: Base, tmp_path: Path) -> None:
    big = zeros_entry("b/data/unlisted.bin", 4096 * MiB)
    bundle = variant(base.members, tmp_path / "h.zip", add=[big])
    assert bundle.stat().st_size < 8 * MiB
    report = judged(base, bundle, tmp_path)
    assert ("bag.unexpected", "data/unlisted.bin") in failing(report)


def test_200000_empty_members_are_judged_in_bounds(base: Base, tmp_path: Path) -> None:
    empties = [entry(f"b/data/e/{i}", b"") for i in range(200_000)]
    bundle = variant(base.members, tmp_path / "h.zip", add=empties)
    report = judged(base, bundle, tmp_path)
    assert any(name and name.startswith("data/e/") for _, name in failing(report)) or any(
        fid.startswith("bag.") for fid, _ in failing(report))


# ---------------------------------------------------------------- item 9


def test_200000_claims_behind_a_failed_signature_are_not_all_re_evaluated(
    env: Env, base: Base, tmp_path: Path
) -> None:
    manifest = json.loads(dict(base.members)["b/data/manifest.json"])
    claim = manifest["claims"][0]
    manifest["claims"] = [{**claim, "id": f"c{i}", "text": "A gain of 6.9 points."} for i in range(200_000)]
    changed = {"b/data/manifest.json": json.dumps(manifest, separators=(",", ":")).encode()}
    bundle = write_zip(tmp_path / "h.zip", [entry(n, d) for n, d in resigned(base.members, changed, env.outsider)])
    report = judged(base, bundle, tmp_path)
    assert ("attestation.signature", "attestation.dsse.json") in failing(report)


def attestation_bomb(env: Env, base: Base, out: Path) -> Path:
    """A valid, correctly listed bag whose attestation inflates to 15 MiB of ``{},`` (five million JSON
    objects if parsed) from a zip of a few tens of KB."""
    files = {n.removeprefix("b/"): d for n, d in resigned(base.members, {}, env.attestor)}
    files["attestation.dsse.json"] = (b'{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":['
                                      + b"{}," * (5 * MiB) + b"{}]}")
    tags = [(n, d) for n, d in files.items() if not n.startswith(("data/", "tagmanifest-")) and not n.endswith("/")]
    files["tagmanifest-sha256.txt"] = manifest_lines(tags, "sha256")
    files["tagmanifest-sha512.txt"] = manifest_lines(tags, "sha512")
    bundle = write_zip(out, [entry("b/" + n, d) for n, d in sorted(files.items())])
    assert bundle.stat().st_size < MiB
    return bundle


def test_an_attestation_that_expands_to_millions_of_json_items_is_judged_in_bounds(
    env: Env, base: Base, tmp_path: Path
) -> None:
    """Regression: the attestation is read even when it is over the unvouched-document limit (a bundle of
    10,000 files has a 1.7 MB one), so an attestation that inflates to millions of tiny JSON items must be
    refused by its shape, not parsed into millions of Python objects (it took 428 MB)."""
    report = judged(base, attestation_bomb(env, base, tmp_path / "h.zip"), tmp_path)
    assert ("attestation.signature", "attestation.dsse.json") in failing(report)


# ---------------------------------------------------------------- items 10 and 11


def _tagmanifest(base: Base) -> bytes:
    return dict(base.members)["b/tagmanifest-sha256.txt"]


def test_tagmanifest_in_uppercase_hex_fails(base: Base, tmp_path: Path) -> None:
    text = _tagmanifest(base).decode()
    upper = "".join(f"{line[:64].upper()}{line[64:]}\n" for line in text.splitlines()).encode()
    bundle = variant(base.members, tmp_path / "h.zip", replace={"b/tagmanifest-sha256.txt": upper})
    report = judged(base, bundle, tmp_path)
    assert any(name == "tagmanifest-sha256.txt" for _, name in failing(report))


def test_tagmanifest_with_crlf_line_ends_fails(base: Base, tmp_path: Path) -> None:
    crlf = _tagmanifest(base).replace(b"\n", b"\r\n")
    bundle = variant(base.members, tmp_path / "h.zip", replace={"b/tagmanifest-sha256.txt": crlf})
    report = judged(base, bundle, tmp_path)
    assert any(name == "tagmanifest-sha256.txt" for _, name in failing(report))


@pytest.mark.parametrize("algorithm", ["md5", "sha1"])
def test_an_extra_tagmanifest_of_another_algorithm_fails(base: Base, tmp_path: Path, algorithm: str) -> None:
    import hashlib

    tags = [(n.removeprefix("b/"), d) for n, d in base.members
            if not n.startswith("b/data/") and not n.startswith("b/tagmanifest-") and not n.endswith("/")]
    lines = "".join(f"{hashlib.new(algorithm, d).hexdigest()}  {n}\n" for n, d in sorted(tags)).encode()
    bundle = variant(base.members, tmp_path / "h.zip", add=[entry(f"b/tagmanifest-{algorithm}.txt", lines)])
    report = judged(base, bundle, tmp_path)
    assert any(name == f"tagmanifest-{algorithm}.txt" for _, name in failing(report))


def test_a_zip_directory_entry_carrying_bytes_fails(base: Base, tmp_path: Path) -> None:
    bundle = variant(base.members, tmp_path / "h.zip", add=[entry("b/data/hidden/", b"smuggled", directory=True)])
    judged(base, bundle, tmp_path)


def test_bytes_prepended_to_the_zip_fail(base: Base, tmp_path: Path) -> None:
    bundle = variant(base.members, tmp_path / "h.zip", prefix=b"#!/bin/sh\necho smuggled\n")
    judged(base, bundle, tmp_path)


def test_a_zip_comment_fails(base: Base, tmp_path: Path) -> None:
    bundle = variant(base.members, tmp_path / "h.zip", comment=b"smuggled")
    judged(base, bundle, tmp_path)


# ---------------------------------------------------------------- item 2


def test_a_json_integer_longer_than_pythons_limit_is_a_finding_not_a_crash(base: Base, tmp_path: Path) -> None:
    doc = json.loads(dict(base.members)["b/data/verdicts.json"])
    doc["huge"] = 0
    raw = pretty_bytes(doc).replace(b'"huge": 0', b'"huge": ' + b"9" * 5000)
    bundle = variant(base.members, tmp_path / "h.zip", replace={"b/data/verdicts.json": raw})
    report = judged(base, bundle, tmp_path)
    assert any(name == "data/verdicts.json" for _, name in failing(report))


# ---------------------------------------------------------------- the report page on hostile bundles


@pytest.mark.parametrize("which", ["huge-integer", "unsigned-claims", "attestation-bomb"])
def test_the_report_of_a_hostile_bundle_is_written_in_bounds(env: Env, base: Base, tmp_path: Path, which: str) -> None:
    members = dict(base.members)
    if which == "huge-integer":
        raw = members["b/data/verdicts.json"].replace(b'"contract"', b'"huge": ' + b"9" * 5000 + b', "contract"', 1)
        bundle = variant(base.members, tmp_path / "h.zip", replace={"b/data/verdicts.json": raw})
    elif which == "attestation-bomb":
        bundle = attestation_bomb(env, base, tmp_path / "h.zip")
    else:
        manifest = json.loads(members["b/data/manifest.json"])
        manifest["claims"] = [{**manifest["claims"][0], "id": f"c{i}"} for i in range(200_000)]
        changed = {"b/data/manifest.json": json.dumps(manifest, separators=(",", ":")).encode()}
        bundle = write_zip(tmp_path / "h.zip", [entry(n, d) for n, d in resigned(base.members, changed, env.outsider)])
    page = tmp_path / "report.html"
    run = run_cli(["report", str(bundle), "--trust", str(base.trust), "-o", str(page)], tmp_path)
    assert_bounded(run)
    assert run.returncode in (1, 2), (run.returncode, run.stderr[-2000:])
    assert run.stderr.count("Traceback") == 0
