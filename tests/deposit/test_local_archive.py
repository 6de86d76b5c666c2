"""The embedded local archive: life cycle, identifiers, two processes at once, damage detection."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from deposit_helpers import cli_env, make_bundle, provenance_cmd

from archive.depositor import StoredFile
from archive.errors import ArchiveInputError
from archive.local_archive import LocalArchive, LocalArchiveError

GOOD = {"upload_type": "dataset", "title": "T", "creators": [{"name": "Doe, Jane"}], "description": "d",
        "publication_date": "2026-01-01", "license": "cc-by-4.0", "access_right": "open", "keywords": ["m1"]}


def test_life_cycle_draft_publish_new_version(tmp_path: Path) -> None:
    arch = LocalArchive(tmp_path / "a")
    f = tmp_path / "x.zip"
    f.write_bytes(b"one")
    draft = arch.create_draft(GOOD)
    assert not draft.published and draft.doi is None
    assert arch.find_draft_by_marker("m1") == arch.get(draft.id)
    with pytest.raises(ArchiveInputError, match="at least one file"):
        arch.publish(draft.id)
    stored = arch.upload(draft, "x.zip", f, None)
    assert stored.md5 == "f97c5d29941bfb1b2fdab0874906ab82"
    pub = arch.publish(draft.id)
    assert pub.doi == f"10.5072/local.{pub.id}" and pub.concept_doi == f"10.5072/local.{pub.concept_id}"
    assert pub.doi != pub.concept_doi
    assert arch.publish(draft.id) == pub  # idempotent
    with pytest.raises(LocalArchiveError, match="frozen"):
        arch.upload(pub, "y.zip", f, None)
    with pytest.raises(LocalArchiveError):
        arch.set_metadata(pub.id, GOOD)
    v2 = arch.new_version(pub.id, pub.concept_id)
    assert v2.concept_id == pub.concept_id and [s.key for s in v2.files] == ["x.zip"]
    assert arch.new_version(pub.id, pub.concept_id).id == v2.id  # one open draft per concept
    arch.delete_file(v2.id, StoredFile("x.zip", 0, ""))
    f.write_bytes(b"two")
    arch.upload(v2, "y.zip", f, None)
    arch.set_metadata(v2.id, {**GOOD, "version": "2"})
    pub2 = arch.publish(v2.id)
    assert pub2.concept_doi == pub.concept_doi and pub2.doi != pub.doi
    assert arch.show(pub.concept_doi or "")["id"] == pub2.id  # concept DOI resolves to the latest
    assert arch.show(pub.doi or "")["versions"] == [pub.id, pub2.id]


def test_discard_removes_a_never_published_draft(tmp_path: Path) -> None:
    arch = LocalArchive(tmp_path / "a")
    draft = arch.create_draft(GOOD)
    arch.discard(draft.id)
    with pytest.raises(ArchiveInputError):
        arch.get(draft.id)


def test_bad_metadata_is_refused_with_every_field(tmp_path: Path) -> None:
    arch = LocalArchive(tmp_path / "a")
    with pytest.raises(ArchiveInputError) as info:
        arch.create_draft({"license": "nope", "upload_type": "poem"})
    assert "metadata.license" in str(info.value) and "metadata.upload_type" in str(info.value)


def test_fetch_detects_a_damaged_archived_copy(tmp_path: Path) -> None:
    arch = LocalArchive(tmp_path / "a")
    f = tmp_path / "x.zip"
    f.write_bytes(b"original bytes")
    draft = arch.create_draft(GOOD)
    arch.upload(draft, "x.zip", f, None)
    pub = arch.publish(draft.id)
    out = arch.fetch(pub.doi or "", tmp_path / "copy.zip")
    assert (tmp_path / "copy.zip").read_bytes() == b"original bytes" and out["key"] == "x.zip"
    stored = tmp_path / "a" / "objects" / pub.id / "x.zip"
    os.chmod(stored, 0o644)
    stored.write_bytes(b"tampered bytes")
    with pytest.raises(LocalArchiveError, match="damaged"):
        arch.fetch(pub.id, tmp_path / "copy2.zip")
    assert not (tmp_path / "copy2.zip").exists()  # nothing half-written


def test_two_processes_deposit_at_once(tmp_path: Path) -> None:
    arch = tmp_path / "a"
    LocalArchive(arch)
    env = cli_env(tmp_path)
    bundles = [make_bundle(tmp_path / f"b{i}", record_id=f"rec-{i:016x}") for i in range(4)]
    procs = [subprocess.Popen([*provenance_cmd(), "deposit", str(b), "--no-verify", "--archive-dir", str(arch), "--json"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for b in bundles]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=120)
        assert p.returncode == 0, stderr
        outs.append(json.loads(stdout))
    dois = {o["doi"] for o in outs} | {o["concept_doi"] for o in outs}
    assert len(dois) == 8  # every version and concept id distinct
    assert sorted(i["state"] for i in LocalArchive(arch).list_deposits()) == ["published"] * 4


def test_archive_cli_list_show_fetch(tmp_path: Path) -> None:
    arch = tmp_path / "a"
    env = cli_env(tmp_path)
    bundle = make_bundle(tmp_path / "b1")
    dep = subprocess.run([*provenance_cmd(), "deposit", str(bundle), "--no-verify", "--archive-dir", str(arch), "--json"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert dep.returncode == 0, dep.stderr
    doi = json.loads(dep.stdout)["doi"]
    listed = subprocess.run([*provenance_cmd(), "archive", "list", "--archive-dir", str(arch), "--json"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert [i["doi"] for i in json.loads(listed.stdout)] == [doi]
    shown = subprocess.run([*provenance_cmd(), "archive", "show", doi, "--archive-dir", str(arch)],
                           env=env, capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and doi in shown.stdout
    out = tmp_path / "fetched.zip"
    fetched = subprocess.run([*provenance_cmd(), "archive", "fetch", doi, "-o", str(out), "--archive-dir", str(arch),
                              "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert fetched.returncode == 0, fetched.stderr
    from archive.bag import validate_bag

    assert validate_bag(out).ok  # the archived copy is the bundle, verifiable offline
    missing = subprocess.run([*provenance_cmd(), "archive", "show", "99", "--archive-dir", str(arch)],
                             env=env, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.startswith("error: ")


def test_zip_bundle_is_uploaded_as_is(tmp_path: Path) -> None:
    from archive.zipdet import write_deterministic_zip
    from provenance.deposit.workflow import deposit_bundle

    bag = make_bundle(tmp_path / "bag")
    z = write_deterministic_zip(bag, tmp_path / "bag.zip", epoch=1767225600)
    out = deposit_bundle(z.path, archive_dir=tmp_path / "a", env={}, verify=False)
    assert out["phase"] == "published"
    assert [f["md5"] for f in out["files"] if f["key"].endswith(".zip")] == [z.md5]



def test_one_deposit_is_never_driven_by_two_processes(tmp_path: Path) -> None:
    from archive.journal import JournalError, exclusive
    from provenance.deposit.workflow import deposit_bundle, resume_deposit

    bundle = make_bundle(tmp_path / "b1")
    draft = deposit_bundle(bundle, archive_dir=tmp_path / "a", env={}, publish=False, verify=False)
    with exclusive(draft["journal"]):
        with pytest.raises(JournalError, match="another process"):
            resume_deposit(draft["journal"], env={}, publish=True)
        with pytest.raises(JournalError, match="another process"):
            deposit_bundle(bundle, archive_dir=tmp_path / "a", env={}, publish=True, verify=False)
    assert resume_deposit(draft["journal"], env={}, publish=True)["phase"] == "published"


def _record_many(path: str, prefix: str) -> None:
    from archive.journal import FileRegistry

    registry = FileRegistry(path)
    for i in range(25):
        registry.record("https://zenodo.example/api", f"{prefix}-{i}", {"deposition_id": str(i), "doi": f"d/{i}"})


def test_file_registry_keeps_every_entry_under_two_writing_processes(tmp_path: Path) -> None:
    import multiprocessing

    from archive.journal import FileRegistry

    path = str(tmp_path / "registry.json")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_record_many, args=(path, p)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    entries = FileRegistry(path).entries()
    assert len(entries) == 50
    assert FileRegistry(path).lookup("https://zenodo.example/api", "b-7") is not None
