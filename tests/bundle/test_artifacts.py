"""`bundle build --include`: the record's own files carried as artifacts, through the real CLI (issue 14 item 1)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import bagit
import pytest
from bundle_env import EPOCH, Env, roc_validate

PROVENANCE = [sys.executable, "-m", "provenance"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    return subprocess.run([*PROVENANCE, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def build_args(env: Env, out: Path, *extra: str) -> list[str]:
    return ["bundle", "build", str(env.manifest), "--claims", str(env.checks), "--key", str(env.attestor_path),
            "--trust", str(env.trust_path), "--lean", "off", "-o", str(out), *extra]


def error_lines(proc: subprocess.CompletedProcess[str]) -> list[str]:
    """The error lines on stderr (progress lines and the warning about the test's unencrypted key left out)."""
    return [line for line in proc.stderr.splitlines() if line.startswith("error")]


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    (root / "paper.pdf").write_bytes(b"%PDF-1.4\n% the paper\n" + os.urandom(2048))
    results = root / "results"
    (results / "tables").mkdir(parents=True)
    (results / "tables" / "gains.csv").write_text("model,gain\nfid,6.9\n")
    (results / "README.md").write_text("Result tables of the record.\n")
    (results / "raw.bin").write_bytes(os.urandom(100_000))
    return root


@pytest.fixture(scope="module")
def carried(env: Env, sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("carried") / "bundle"
    proc = run(*build_args(env, out, "--zip", "--include", str(sources / "paper.pdf"),
                           "--include", f"tables={sources / 'results'}",
                           "--include-description", "paper.pdf=The paper as published",
                           "--include-description", "tables=Result tables and raw outputs"))
    assert proc.returncode == 0, proc.stderr
    return out


def test_included_files_and_directories_round_trip(carried: Path, sources: Path) -> None:
    artifacts = carried / "data" / "artifacts"
    assert (artifacts / "paper.pdf").read_bytes() == (sources / "paper.pdf").read_bytes()
    for rel in ("tables/gains.csv", "README.md", "raw.bin"):
        assert (artifacts / "tables" / rel).read_bytes() == (sources / "results" / rel).read_bytes(), rel
    bagit.Bag(str(carried)).validate()  # the independent BagIt oracle accepts the bag
    crate = json.loads((carried / "data" / "ro-crate-metadata.json").read_text())
    entities = {e["@id"]: e for e in crate["@graph"]}
    paper = entities["artifacts/paper.pdf"]
    assert paper["encodingFormat"] == "application/pdf" and paper["description"] == "The paper as published"
    assert paper["contentSize"] == str((sources / "paper.pdf").stat().st_size)
    assert paper["sha256"] == hashlib.sha256((sources / "paper.pdf").read_bytes()).hexdigest()
    assert entities["artifacts/tables/tables/gains.csv"]["encodingFormat"] == "text/csv"
    folder = entities["artifacts/tables/"]
    assert folder["@type"] == "Dataset" and folder["description"] == "Result tables and raw outputs"
    assert {"@id": "artifacts/tables/"} in entities["./"]["hasPart"]
    assert len(folder["hasPart"]) == 3


def test_verify_lists_every_artifact_with_its_digests_verified(env: Env, carried: Path) -> None:
    for target in (carried, carried.with_name("bundle.zip")):
        proc = run("verify", str(target), "--trust", str(env.trust_path), "--json")
        assert proc.returncode == 0, proc.stdout[-3000:]
        report = json.loads(proc.stdout)
        assert [(a["name"], a["files"]) for a in report["artifacts"]] == [("paper.pdf", 1), ("tables", 3)]
        assert report["artifacts"][0]["description"] == "The paper as published"
        assert {(f["id"], f["file"]) for f in report["findings"] if f["status"] == "ok"} >= {
            ("artifacts", "data/artifacts/paper.pdf"), ("artifacts", "data/artifacts/tables")}


def test_tampering_with_an_artifact_is_caught_and_named(env: Env, carried: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(carried, copy)
    table = copy / "data" / "artifacts" / "tables" / "tables" / "gains.csv"
    table.write_text(table.read_text().replace("6.9", "9.6"))
    proc = run("verify", str(copy), "--trust", str(env.trust_path), "--json")
    assert proc.returncode == 1
    failed = {(f["id"], f["file"]) for f in json.loads(proc.stdout)["findings"] if f["status"] == "fail"}
    assert ("bag.mismatch", "data/artifacts/tables/tables/gains.csv") in failed
    assert ("artifacts", "data/artifacts/tables") in failed


def test_the_crate_with_artifacts_passes_roc_validator(carried: Path) -> None:
    roc_validate(carried / "data")


@pytest.mark.parametrize("case", ["symlink", "symlink-inside", "fifo", "name-with-slash", "dot-dot-name",
                                  "same-name-twice", "description-for-nothing", "missing", "empty-directory"])
def test_hostile_includes_are_refused_with_one_line(env: Env, tmp_path: Path, case: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_text("a\n")
    args: list[str] = []
    if case == "symlink":
        (src / "link.txt").symlink_to(src / "a.txt")
        args = ["--include", str(src / "link.txt")]
    elif case == "symlink-inside":
        (src / "escape").symlink_to("/etc")
        args = ["--include", str(src)]
    elif case == "fifo":
        os.mkfifo(src / "pipe")
        args = ["--include", str(src / "pipe")]
    elif case == "name-with-slash":
        args = ["--include", f"a/b={src / 'a.txt'}"]
    elif case == "dot-dot-name":
        args = ["--include", f"..={src / 'a.txt'}"]
    elif case == "same-name-twice":
        args = ["--include", f"x={src / 'a.txt'}", "--include", f"x={src}"]
    elif case == "description-for-nothing":
        args = ["--include", str(src / "a.txt"), "--include-description", "b.txt=nothing"]
    elif case == "missing":
        args = ["--include", str(src / "absent.pdf")]
    elif case == "empty-directory":
        (src / "empty").mkdir()
        args = ["--include", str(src / "empty")]
    out = tmp_path / "out"
    proc = run(*build_args(env, out, *args))
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(error_lines(proc)) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_a_file_that_changes_while_it_is_copied_is_refused(env: Env, tmp_path: Path) -> None:
    growing = tmp_path / "growing.bin"
    growing.write_bytes(os.urandom(64 * 1024 * 1024))
    stop = threading.Event()

    def keep_writing() -> None:
        with growing.open("ab") as handle:
            while not stop.is_set():
                handle.write(b"x")
                handle.flush()
                time.sleep(0.001)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        proc = run(*build_args(env, tmp_path / "out", "--include", str(growing)))
    finally:
        stop.set()
        writer.join()
    assert proc.returncode == 2, proc.stderr
    assert "changed" in proc.stderr and len(error_lines(proc)) == 1, proc.stderr
    assert not (tmp_path / "out").exists()


def test_the_deposit_metadata_lists_the_artifacts(env: Env, carried: Path, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    proc = run("deposit", str(carried), "--archive-dir", str(archive), "--trust", str(env.trust_path), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    shown = run("archive", "show", json.loads(proc.stdout)["doi"], "--archive-dir", str(archive), "--json")
    description = json.loads(shown.stdout)["metadata"]["description"]
    assert "Artifacts carried" in description and "paper.pdf (1 file(s)" in description
    assert "The paper as published" in description and "tables (3 file(s)" in description


def test_a_bundle_of_10000_included_files_verifies(env: Env, tmp_path: Path) -> None:
    """Regression: with 10,000 artifact files the attestation (one subject per file) is over 1 MiB, and verify
    treated it as an unvouched large document, so a bundle we had just built said 'no readable attestation'."""
    many = tmp_path / "many"
    many.mkdir()
    for i in range(10_000):
        (many / f"f{i:05d}.bin").write_bytes(i.to_bytes(4, "big") * 8)
    out = tmp_path / "bundle"
    proc = run(*build_args(env, out, "--include", f"many={many}"))
    assert proc.returncode == 0, proc.stderr
    assert (out / "attestation.dsse.json").stat().st_size > 1024 * 1024
    proc = run("verify", str(out), "--trust", str(env.trust_path), "--json")
    report = json.loads(proc.stdout)
    assert not [f for f in report["findings"] if f["status"] in ("fail", "skip") and f["id"].startswith(
        ("attestation", "unvouched"))], proc.stdout[-3000:]
    assert [(a["name"], a["files"]) for a in report["artifacts"]] == [("many", 10_000)]
