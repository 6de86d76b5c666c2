"""The real `provenance` executable: bundle build, bundle info, verify and report, with their exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_env import EPOCH, Env

PROVENANCE = [sys.executable, "-m", "provenance"]


def run(*args: str, epoch: int | None = EPOCH) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PROVENANCE_TRUST_STATE", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(epoch)
    return subprocess.run([*PROVENANCE, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture(scope="module")
def cli_bundle(env: Env, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("cli") / "bundle"
    proc = run("bundle", "build", str(env.manifest), "--claims", str(env.checks), "--key", str(env.attestor_path),
               "--trust", str(env.trust_path), "--lean", "off", "-o", str(out), "--zip")
    assert proc.returncode == 0, proc.stderr
    bundle_id = proc.stdout.strip().splitlines()[-1]
    assert bundle_id.startswith("sha256:") and len(bundle_id) == 71
    return out, bundle_id


def test_build_prints_the_bundle_id_and_is_reproducible(env: Env, cli_bundle: tuple[Path, str], tmp_path: Path) -> None:
    out, bundle_id = cli_bundle
    again = tmp_path / "bundle"
    proc = run("bundle", "build", str(env.manifest), "--claims", str(env.checks), "--key", str(env.attestor_path),
               "--lean", "off", "-o", str(again), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["bundle_id"] == bundle_id
    assert doc["claims"]["c5"] == "falsified"
    info = json.loads(run("bundle", "info", str(out.with_name("bundle.zip")), "--json").stdout)
    assert info["bundle_id"] == bundle_id and info["bundle_version"] == 1


def test_verify_exit_codes_and_json(env: Env, cli_bundle: tuple[Path, str], tmp_path: Path) -> None:
    out, bundle_id = cli_bundle
    ok = run("verify", str(out), "--trust", str(env.trust_path))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "VERIFIED" in ok.stdout
    doc = json.loads(run("verify", str(out.with_name("bundle.zip")), "--trust", str(env.trust_path), "--json").stdout)
    assert doc["ok"] is True and doc["bundle_id"] == bundle_id
    assert {f["status"] for f in doc["findings"]} <= {"ok", "skip"}
    assert all(set(f) == {"id", "status", "file", "message"} for f in doc["findings"])

    tampered = tmp_path / "tampered"
    shutil.copytree(out, tampered)
    manifest = tampered / "data" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"Retrieval", b"Retrieved", 1))
    bad = run("verify", str(tampered), "--trust", str(env.trust_path), "--json")
    assert bad.returncode == 1
    failures = [f for f in json.loads(bad.stdout)["findings"] if f["status"] == "fail"]
    assert any(f["file"] == "data/manifest.json" for f in failures)
    checklist = run("verify", str(tampered), "--trust", str(env.trust_path))
    assert checklist.returncode == 1 and "FAILED" in checklist.stdout and "data/manifest.json" in checklist.stdout

    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not really a zip")
    for unreadable in (tmp_path / "junk.zip", tmp_path / "nowhere"):
        proc = run("verify", str(unreadable), "--trust", str(env.trust_path))
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: ") and len(proc.stderr.strip().splitlines()) == 1
        assert "Traceback" not in proc.stderr


def test_lean_require_without_lean_exits_3(env: Env, cli_bundle: tuple[Path, str]) -> None:
    if shutil.which("lean"):
        pytest.skip("lean is installed here")
    proc = run("verify", str(cli_bundle[0]), "--trust", str(env.trust_path), "--lean", "require")
    assert proc.returncode == 3 and proc.stderr.startswith("error: ")


def test_build_bad_input_exits_2_and_writes_nothing(env: Env, tmp_path: Path) -> None:
    proc = run("bundle", "build", str(tmp_path / "missing.json"), "--key", str(env.attestor_path), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2 and proc.stderr.startswith("error: ")
    proc = run("bundle", "build", str(env.manifest), "--key", str(env.outsider_path), "--trust", str(env.trust_path),
               "-o", str(tmp_path / "o"))
    assert proc.returncode == 2 and "not an attestor" in proc.stderr
    bad_epoch = run("bundle", "build", str(env.manifest), "--key", str(env.attestor_path), "-o", str(tmp_path / "o"),
                    epoch=None)
    assert bad_epoch.returncode == 0  # no SOURCE_DATE_EPOCH: the current time
    env_bad = dict(os.environ, SOURCE_DATE_EPOCH="yesterday")
    proc2 = subprocess.run([*PROVENANCE, "bundle", "build", str(env.manifest), "--key", str(env.attestor_path), "-o",
                            str(tmp_path / "o2")], capture_output=True, text=True, env=env_bad, check=False)
    assert proc2.returncode == 2 and "SOURCE_DATE_EPOCH" in proc2.stderr
    assert not (tmp_path / "o2").exists()


def test_report_command_writes_html_and_markdown(env: Env, cli_bundle: tuple[Path, str], tmp_path: Path) -> None:
    out, bundle_id = cli_bundle
    proc = run("report", str(out.with_name("bundle.zip")), "-o", str(tmp_path / "r.html"), "--trust", str(env.trust_path))
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "r.html").read_text()
    assert bundle_id in html and "VERIFIED" in html
    proc = run("report", str(out), "-o", str(tmp_path / "r.md"))
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "r.md").read_text()
    assert md.startswith("# ") and "| Claim | Check | Exact value | Verdict | Lean theorem |" in md


# ---------------------------------------------------------------- issue 15 item 7: verify output, one bug a test


def test_a_changed_file_is_named_once_not_per_algorithm_and_per_record_of_its_digest(
    env: Env, cli_bundle: tuple[Path, str], tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(cli_bundle[0], tampered)
    (tampered / "data" / "manifest.json").write_bytes(
        (tampered / "data" / "manifest.json").read_bytes().replace(b"Retrieval", b"Retrieved", 1))
    proc = run("verify", str(tampered), "--trust", str(env.trust_path))
    crosses = [line for line in proc.stdout.splitlines() if "✗" in line]
    assert len([c for c in crosses if "data/manifest.json" in c]) == 1, crosses
    failed = int(re.search(r"FAILED \((\d+) failed", proc.stdout).group(1))  # type: ignore[union-attr]
    assert failed == len(crosses), proc.stdout


def test_an_unreadable_bundle_gives_one_remedy(env: Env, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a bundle\n")
    proc = run("verify", str(tmp_path / "notes.txt"), "--trust", str(env.trust_path))
    assert proc.returncode == 2 and proc.stderr.count("give a") == 1, proc.stderr


def test_a_truncated_zip_is_called_truncated(env: Env, cli_bundle: tuple[Path, str], tmp_path: Path) -> None:
    data = cli_bundle[0].with_name("bundle.zip").read_bytes()
    (tmp_path / "cut.zip").write_bytes(data[: len(data) // 2])
    proc = run("verify", str(tmp_path / "cut.zip"), "--trust", str(env.trust_path))
    assert proc.returncode == 2 and "truncated" in proc.stderr and "neither" not in proc.stderr, proc.stderr


def test_a_signature_line_names_its_file_once_and_no_option_verify_lacks(
    env: Env, cli_bundle: tuple[Path, str], tmp_path: Path
) -> None:
    from provenance.jsonio import pretty_bytes
    from provenance.signing.dsse import sign_envelope

    tampered = tmp_path / "resigned"
    shutil.copytree(cli_bundle[0], tampered)
    envelope = json.loads((tampered / "attestation.dsse.json").read_text())
    import base64

    resigned = sign_envelope(base64.b64decode(envelope["payload"]), envelope["payloadType"], [env.outsider])
    (tampered / "attestation.dsse.json").write_bytes(pretty_bytes(resigned))
    proc = run("verify", str(tampered), "--trust", str(env.trust_path))
    line = next(x for x in proc.stdout.splitlines() if "attestation.signature" in x)
    assert line.count("attestation.dsse.json") == 1, line
    assert "--role" not in proc.stdout and "--role" not in proc.stderr
