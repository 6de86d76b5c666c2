"""bundle build -> verify -> report, with real keys, a real trust root, real files and the bagit oracle."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import bagit
import pytest
from bundle_env import EPOCH, Env, build, bwrap_works, roc_validate

from archive.bag import PayloadItem, parse_bag_info, write_bag
from archive.hashing import FileDigests
from provenance.bundle.layout import ATTESTATION, BUNDLE_PREDICATE_TYPE, is_signed_name
from provenance.bundle.read import open_bundle
from provenance.bundle.verify import VerifyReport, verify_bundle
from provenance.corrections.record import ClaimChange, CorrectionRequest
from provenance.corrections.store import append_correction
from provenance.errors import CheckFailed, InputError, ToolMissing
from provenance.jsonio import load_json_file, pretty_bytes, write_json
from provenance.signing.intoto import make_statement, sign_statement
from provenance.signing.keys import SigningKey

SHARED = Path(__file__).resolve().parents[3] / "shared"


def failed(report: VerifyReport) -> set[tuple[str, str | None]]:
    return {(f.id, f.file) for f in report.failures}


@pytest.fixture(scope="module")
def bundle(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("built") / "bundle"
    build(env, out, make_zip=True)
    return out


def test_built_bundle_verifies_as_directory_and_zip(env: Env, bundle: Path) -> None:
    for target in (bundle, bundle.with_name("bundle.zip")):
        report = verify_bundle(target, env.trust, lean_mode="off")
        assert report.ok, report.failures
        ids = {f.id for f in report.findings if f.status == "ok"}
        assert {"bag.valid", "attestation.signature", "attestation.subjects", "rocrate", "schema.paper-manifest-v1.1",
                "schema.verdict-v1", "source-provenance.signature", "claim.c3", "claim.c5", "lean.project"} <= ids
        assert report.claims == {"c2": "verified", "c3": "verified", "c4": "verified", "c5": "falsified"}
        assert report.bundle_id == open_bundle(target).bundle_id


def test_bag_layout_and_bag_info(bundle: Path) -> None:
    info, problems = parse_bag_info((bundle / "bag-info.txt").read_bytes())
    assert problems == []
    labels = [k for k, _ in info]
    assert labels[:2] == ["Source-Organization", "External-Identifier"]
    assert {"Bagging-Date", "Payload-Oxum", "Bundle-Version"} <= set(labels)
    assert dict(info)["Bagging-Date"] == "2026-01-01"
    for name in ("manifest-sha256.txt", "manifest-sha512.txt", "tagmanifest-sha256.txt", "tagmanifest-sha512.txt",
                 ATTESTATION, "data/ro-crate-metadata.json", "data/manifest.json", "data/verdicts.json"):
        assert (bundle / name).is_file(), name
    assert ATTESTATION in (bundle / "tagmanifest-sha256.txt").read_text()
    manifest = load_json_file(bundle / "data" / "manifest.json")
    assert dict(info)["External-Identifier"] == manifest["record_id"]


def test_independent_bagit_validator_accepts_the_bundle(bundle: Path) -> None:
    bagit.Bag(str(bundle)).validate()


def test_attestation_subjects_are_every_file_but_tag_manifests_and_itself(bundle: Path) -> None:
    import base64

    envelope = json.loads((bundle / ATTESTATION).read_text())
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == BUNDLE_PREDICATE_TYPE
    names = {s["name"] for s in statement["subject"]}
    files = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()}
    assert names == {n for n in files if is_signed_name(n)}
    assert files - names == {ATTESTATION, "tagmanifest-sha256.txt", "tagmanifest-sha512.txt"}


def test_same_inputs_key_and_epoch_give_identical_bags_and_zips(env: Env, tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "bundle", tmp_path / "b" / "bundle"
    a.parent.mkdir()
    b.parent.mkdir()
    ra = build(env, a, make_zip=True)
    rb = build(env, b, make_zip=True)
    assert ra.bundle_id == rb.bundle_id
    files_a = sorted(p.relative_to(a) for p in a.rglob("*"))
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*"))
    for rel in files_a:
        if (a / rel).is_file():
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert (a.parent / "bundle.zip").read_bytes() == (b.parent / "bundle.zip").read_bytes()


def test_another_epoch_gives_another_bundle_id(env: Env, tmp_path: Path) -> None:
    r1 = build(env, tmp_path / "x")
    r2 = build(env, tmp_path / "y", epoch=EPOCH + 86400)
    assert r1.bundle_id != r2.bundle_id


def test_zip_only_output_and_open_bundle_reads_it_without_extracting(env: Env, tmp_path: Path) -> None:
    result = build(env, tmp_path / "only.zip")
    assert result.path is None and result.zip_path == tmp_path / "only.zip"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["only.zip"]
    info = open_bundle(tmp_path / "only.zip")
    assert info.kind == "zip" and info.bundle_id == result.bundle_id
    assert info.record_id == load_json_file(env.manifest)["record_id"]
    with zipfile.ZipFile(tmp_path / "only.zip") as zf:
        assert {n.split("/", 1)[0] for n in zf.namelist()} == {"only"}
    assert verify_bundle(tmp_path / "only.zip", env.trust, lean_mode="off").ok


def test_supersedes_records_the_previous_bundle_and_version(env: Env, bundle: Path, tmp_path: Path) -> None:
    first = open_bundle(bundle)
    build(env, tmp_path / "v2", supersedes=str(bundle))
    second = open_bundle(tmp_path / "v2")
    assert second.previous_bundle_id == first.bundle_id and second.bundle_version == 2
    build(env, tmp_path / "v3", supersedes=second.bundle_id, bundle_version=3)
    assert open_bundle(tmp_path / "v3").bundle_version == 3
    assert verify_bundle(tmp_path / "v2", env.trust, lean_mode="off").ok
    with pytest.raises(InputError):
        build(env, tmp_path / "v4", supersedes="not-a-bundle")


def test_key_that_is_not_an_attestor_is_refused_and_nothing_is_written(env: Env, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not an attestor"):
        build(env, tmp_path / "out", key=env.outsider, make_zip=True)
    assert list(tmp_path.iterdir()) == []


def test_bundle_signed_by_an_untrusted_key_fails_verification(env: Env, tmp_path: Path) -> None:
    build(env, tmp_path / "b", key=env.outsider, trust=None)
    report = verify_bundle(tmp_path / "b", env.trust, lean_mode="off")
    assert ("attestation.signature", ATTESTATION) in failed(report)
    assert ("source-provenance.signature", "data/provenance/source-provenance.dsse.json") in failed(report)


def test_bad_inputs_are_refused_before_anything_is_written(env: Env, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"contract": "paper-manifest-v1.1"}')
    with pytest.raises(InputError):
        build(env, tmp_path / "o1", manifest=bad)
    with pytest.raises(InputError):
        build(env, tmp_path / "o2", manifest=tmp_path / "missing.json")
    (tmp_path / "exists").mkdir()
    with pytest.raises(InputError, match="already exists"):
        build(env, tmp_path / "exists")
    with pytest.raises(InputError):
        build(env, tmp_path / "o3", lean_mode="sometimes")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "exists"]


def test_lean_require_without_lean_is_a_missing_tool(env: Env, bundle: Path, tmp_path: Path) -> None:
    if shutil.which("lean"):
        pytest.skip("lean is installed here")
    with pytest.raises(ToolMissing):
        verify_bundle(bundle, env.trust, lean_mode="require")
    with pytest.raises(ToolMissing):
        build(env, tmp_path / "o", lean_mode="require")
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- tampering


def copy(bundle: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(bundle, target, symlinks=True)
    return target


def test_added_removed_renamed_files_are_detected_and_named(env: Env, bundle: Path, tmp_path: Path) -> None:
    b = copy(bundle, tmp_path)
    (b / "data" / "extra.txt").write_text("smuggled")
    assert ("bag.unexpected", "data/extra.txt") in failed(verify_bundle(b, env.trust, lean_mode="off"))
    (b / "data" / "extra.txt").unlink()
    (b / "data" / "CITATION.cff").unlink()
    assert ("bag.missing", "data/CITATION.cff") in failed(verify_bundle(b, env.trust, lean_mode="off"))
    shutil.copy(bundle / "data" / "CITATION.cff", b / "data" / "CITATION.cff")
    os.rename(b / "data" / "verdicts.json", b / "data" / "verdicts2.json")
    found = failed(verify_bundle(b, env.trust, lean_mode="off"))
    assert ("bag.missing", "data/verdicts.json") in found and ("bag.unexpected", "data/verdicts2.json") in found
    os.rename(b / "data" / "verdicts2.json", b / "data" / "verdicts.json")
    (b / "notes.txt").write_text("extra tag file")
    assert ("bag.unexpected", "notes.txt") in failed(verify_bundle(b, env.trust, lean_mode="off"))
    (b / "notes.txt").unlink()
    assert verify_bundle(b, env.trust, lean_mode="off").ok


def test_symlinked_payload_is_rejected(env: Env, bundle: Path, tmp_path: Path) -> None:
    b = copy(bundle, tmp_path)
    outside = tmp_path / "outside.cff"
    shutil.copy(b / "data" / "CITATION.cff", outside)
    (b / "data" / "CITATION.cff").unlink()
    (b / "data" / "CITATION.cff").symlink_to(outside)
    assert ("bag.symlink", "data/CITATION.cff") in failed(verify_bundle(b, env.trust, lean_mode="off"))


def test_path_traversal_in_a_manifest_is_rejected(env: Env, bundle: Path, tmp_path: Path) -> None:
    b = copy(bundle, tmp_path)
    with open(b / "manifest-sha256.txt", "a") as fh:
        fh.write(f"{'0' * 64}  data/../../../etc/passwd\n")
    assert ("bag.unsafe-path", "data/../../../etc/passwd") in failed(verify_bundle(b, env.trust, lean_mode="off"))


def rebag(src: Path, dst: Path, signer: SigningKey) -> None:
    """What a dishonest holder of an attestor key can do: rewrite files, re-hash and re-sign everything."""
    info, _ = parse_bag_info((src / "bag-info.txt").read_bytes())
    info = [(k, v) for k, v in info if k != "Payload-Oxum"]
    payload = [PayloadItem(str(p.relative_to(src / "data")), path=p) for p in sorted((src / "data").rglob("*")) if p.is_file()]

    def finalize(files: Mapping[str, FileDigests]) -> dict[str, bytes]:
        subjects = [(n, files[n]["sha256"]) for n in sorted(files) if is_signed_name(n)]
        statement = make_statement(subjects, BUNDLE_PREDICATE_TYPE, {"record_id": dict(info)["External-Identifier"]})
        return {ATTESTATION: pretty_bytes(sign_statement(statement, [signer]))}

    write_bag(dst, payload, bag_info=info, finalize=finalize)


def test_resigned_bundle_with_a_changed_verdict_fails_the_claim_re_evaluation(env: Env, bundle: Path, tmp_path: Path) -> None:
    b = copy(bundle, tmp_path)
    doc = load_json_file(b / "data" / "verdicts.json")
    for key in ("verdicts", "exact_verdicts"):
        for v in doc[key]:
            if v["claim_id"] == "c5":
                v["status"] = "verified"
                v["reason"] = "Computed 1.8 matches expected 1.8"
    (b / "data" / "verdicts.json").unlink()
    write_json(b / "data" / "verdicts.json", doc)
    rebag(b, tmp_path / "resigned", env.attestor)
    report = verify_bundle(tmp_path / "resigned", env.trust, lean_mode="off")
    assert report.failures and all(f.id.startswith(("claim.c5", "rocrate", "source-provenance")) for f in report.failures), report.failures
    assert any(f.id == "claim.c5" and "recorded verified, re-evaluated falsified" in f.message for f in report.failures)


def test_changed_file_with_recomputed_manifests_but_no_key_fails_the_signature_subjects(
    env: Env, bundle: Path, tmp_path: Path
) -> None:
    b = copy(bundle, tmp_path)
    attestation = (b / ATTESTATION).read_bytes()
    text = (b / "data" / "CITATION.cff").read_text().replace("dataset", "software")
    (b / "data" / "CITATION.cff").write_text(text)
    rebag(b, tmp_path / "rebagged", env.outsider)
    target = tmp_path / "rebagged"
    # put back the genuine attestation: its subjects no longer match
    (target / ATTESTATION).write_bytes(attestation)
    rebag(target, tmp_path / "final", env.outsider)
    found = failed(verify_bundle(tmp_path / "final", env.trust, lean_mode="off"))
    assert ("attestation.signature", ATTESTATION) in found


def test_every_finding_is_reported_not_only_the_first(env: Env, bundle: Path, tmp_path: Path) -> None:
    b = copy(bundle, tmp_path)
    for name in ("data/CITATION.cff", "data/manifest.json", "bag-info.txt"):
        data = bytearray((b / name).read_bytes())
        data[len(data) // 2] ^= 0x20
        (b / name).write_bytes(bytes(data))
    report = verify_bundle(b, env.trust, lean_mode="off")
    named = {f.file for f in report.failures if f.id == "bag.mismatch"}
    assert {"data/CITATION.cff", "data/manifest.json", "bag-info.txt"} <= named


# ---------------------------------------------------------------- corrections


def test_bundle_carries_and_verifies_a_correction_log(env: Env, tmp_path: Path) -> None:
    record_id = load_json_file(env.manifest)["record_id"]
    log = tmp_path / "corrections.jsonl"
    request = CorrectionRequest(
        type="correction", record_id=record_id, what_was_wrong="the passage counts were swapped",
        reason_text="arithmetic error found on re-check",
        claims=(ClaimChange("c5", before_values={"expected": "1.8"}, after_values={"expected": "0.7"}),),
    )
    append_correction(log, request, signer=env.corrector, log_key=env.log_key, trust=env.trust)
    out = tmp_path / "v2"
    build(env, out, corrections=log, supersedes="sha256:" + "ab" * 32)
    assert (out / "data" / "corrections" / "corrections.jsonl").read_bytes() == log.read_bytes()
    assert (out / "data" / "corrections" / "corrections.jsonl.checkpoint").is_file()
    manifest = load_json_file(out / "data" / "manifest.json")
    assert manifest["correction_record"]["count"] == 1
    report = verify_bundle(out, env.trust, lean_mode="off")
    assert report.ok, report.failures
    assert any(f.id == "corrections" and f.status == "ok" for f in report.findings)
    # a log that does not verify is refused at build time
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(log.read_bytes().replace(b'"', b"'", 1))
    shutil.copy(str(log) + ".checkpoint", str(broken) + ".checkpoint")
    with pytest.raises((CheckFailed, InputError)):
        build(env, tmp_path / "v3", corrections=broken)
    assert not (tmp_path / "v3").exists()


# ---------------------------------------------------------------- repro (real bubblewrap)


@pytest.mark.bwrap
def test_repro_scripts_run_sealed_and_their_outputs_are_carried(env: Env, tmp_path: Path) -> None:
    if not bwrap_works():
        pytest.skip("bubblewrap is missing or cannot create namespaces here")
    repro = Path(__file__).resolve().parents[2] / "examples" / "repro"
    result = build(env, tmp_path / "b", repro=repro)
    verdicts = {v.claim_id: v for v in result.verdicts}
    assert verdicts["c2"].method == "sandbox" and verdicts["c2"].scope == "reproduced"
    b = tmp_path / "b"
    assert (b / "data" / "repro" / "rag_gains.py").read_bytes() == (repro / "rag_gains.py").read_bytes()
    runs = load_json_file(b / "data" / "repro" / "runs.json")["runs"]
    assert runs[0]["sealed"] is True and runs[0]["ok"] is True
    roc_validate(b / "data")  # a CreateAction per run, instrument bubblewrap with its version
    report = verify_bundle(b, env.trust, lean_mode="off")
    assert report.ok, report.failures
    assert any(f.id == "claim.c2.reproduced" and f.status == "ok" for f in report.findings)
    # the carried output no longer matching the run record is caught
    stdout = b / "data" / "repro" / "rag_gains.py.stdout"
    stdout.write_bytes(stdout.read_bytes().replace(b"11.2", b"11.3"))
    found = failed(verify_bundle(b, env.trust, lean_mode="off"))
    assert ("repro.outputs", "data/repro/rag_gains.py.stdout") in found


# ---------------------------------------------------------------- RO-Crate validator (independent)


def test_data_dir_validates_with_roc_validator(bundle: Path) -> None:
    roc_validate(bundle / "data")


def test_clock_comes_from_the_epoch(env: Env, bundle: Path) -> None:
    verdicts = load_json_file(bundle / "data" / "verdicts.json")
    assert verdicts["evaluated_at"] == datetime.fromtimestamp(EPOCH, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {p.stat().st_mtime for p in bundle.rglob("*") if p.is_file()} == {EPOCH}
