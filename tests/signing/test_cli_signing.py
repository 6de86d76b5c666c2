"""The keys, trust, sign and verify-signature commands, run as real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def run(cwd: Path, *args: str, passphrase: str | None = "pw", stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
    if passphrase is not None:
        env["PROVENANCE_KEY_PASSPHRASE"] = passphrase
    return subprocess.run(
        [sys.executable, "-m", "provenance", *args], cwd=cwd, env=env, capture_output=True, text=True, input=stdin,
        timeout=120,
    )


def ok(cwd: Path, *args: str) -> dict[str, Any]:
    proc = run(cwd, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys and a two-version trust root made once through the CLI; each test works on a copy."""
    base = tmp_path_factory.mktemp("signing-cli")
    ok(base, "keys", "generate", "--out", "root1.key", "--role", "root", "--name", "Root One")
    ok(base, "keys", "generate", "--out", "root2.key", "--role", "root")
    ok(base, "keys", "generate", "--out", "att.key", "--role", "attestor", "--name", "Alice")
    ok(base, "trust", "init", "-o", "trust.json", "--root-key", "root1.key", "--root-key", "root2.key",
       "--threshold", "2", "--expires", "2099-01-01")
    ok(base, "trust", "add-key", "trust.json", "--role", "attestor", "--public-key", "att.key.pub",
       "--sign-with", "root1.key", "--sign-with", "root2.key")
    (base / "a.txt").write_text("alpha\n")
    (base / "b.txt").write_text("beta\n")
    return base


@pytest.fixture
def setup(prepared: Path, tmp_path: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(prepared, work)
    return work


def test_generate_writes_encrypted_0600_key_and_pub(tmp_path: Path) -> None:
    out = ok(tmp_path, "keys", "generate", "--out", "k")
    assert out["encrypted"] is True and len(out["keyid"]) == 64
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600
    assert out["keyid"] in (tmp_path / "k.pub").read_text()
    shown = ok(tmp_path, "keys", "show", "k.pub")
    assert shown["keyid"] == out["keyid"]
    listed = ok(tmp_path, "keys", "list")
    assert [k["keyid"] for k in listed["keys"]] == [out["keyid"]]


def test_generate_without_passphrase_needs_explicit_flag(tmp_path: Path) -> None:
    proc = run(tmp_path, "keys", "generate", "--out", "k", passphrase=None)
    assert proc.returncode == 2 and "--no-passphrase" in proc.stderr
    assert not (tmp_path / "k").exists()
    proc = run(tmp_path, "keys", "generate", "--out", "k", "--no-passphrase", passphrase=None)
    assert proc.returncode == 0
    assert b"BEGIN PRIVATE KEY" in (tmp_path / "k").read_bytes()


def test_sign_and_verify_files(setup: Path) -> None:
    signed = ok(setup, "sign", "a.txt", "b.txt", "--key", "att.key", "-o", "a.dsse.json")
    assert [s["name"] for s in signed["subjects"]] == ["a.txt", "b.txt"]
    result = ok(setup, "verify-signature", "a.dsse.json", "a.txt", "b.txt", "--trust", "trust.json",
                "--role", "attestor")
    assert result["ok"] is True and result["trust_root_version"] == 2
    envelope = json.loads((setup / "a.dsse.json").read_text())
    assert envelope["payloadType"] == "application/vnd.in-toto+json"


def test_verify_signature_file_digest_differs_exits_1(setup: Path) -> None:
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "a.dsse.json")
    (setup / "a.txt").write_text("changed\n")
    proc = run(setup, "verify-signature", "a.dsse.json", "a.txt", "--trust", "trust.json")
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: a.txt: sha256 is") and proc.stderr.count("\n") == 1


def test_verify_signature_wrong_role_exits_1(setup: Path) -> None:
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "a.dsse.json")
    proc = run(setup, "verify-signature", "a.dsse.json", "--trust", "trust.json", "--role", "log")
    assert proc.returncode == 1 and "not trusted" in proc.stderr


def test_revoked_key_after_remove_key(setup: Path) -> None:
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "a.dsse.json")
    ok(setup, "trust", "remove-key", "trust.json", "--public-key", "att.key.pub",
       "--sign-with", "root1.key", "--sign-with", "root2.key")
    proc = run(setup, "verify-signature", "a.dsse.json", "--trust", "trust.json")
    assert proc.returncode == 1 and "revoked" in proc.stderr


def test_update_without_threshold_changes_nothing(setup: Path) -> None:
    before = (setup / "trust.json").read_bytes()
    proc = run(setup, "trust", "set-threshold", "trust.json", "--role", "root", "--threshold", "1",
               "--sign-with", "root1.key")
    assert proc.returncode == 1 and "threshold" in proc.stderr
    assert (setup / "trust.json").read_bytes() == before


def test_partial_then_trust_sign(setup: Path) -> None:
    ok(setup, "keys", "generate", "--out", "log.key", "--role", "log")
    out = ok(setup, "trust", "add-key", "trust.json", "--role", "log", "--public-key", "log.key.pub",
             "--sign-with", "root1.key", "--partial")
    assert out["complete"] is False
    assert run(setup, "trust", "verify", "trust.json").returncode == 1
    out = ok(setup, "trust", "sign", "trust.json", "--sign-with", "root2.key")
    assert out["complete"] is True and out["version"] == 3
    assert ok(setup, "trust", "verify", "trust.json")["versions_verified"] == 3


def test_trust_verify_refuses_rollback_against_known_and_state(setup: Path) -> None:
    old = (setup / "trust.json").read_text()
    (setup / "old.json").write_text(old)
    ok(setup, "keys", "generate", "--out", "c.key", "--role", "corrector")
    ok(setup, "trust", "add-key", "trust.json", "--role", "corrector", "--public-key", "c.key.pub",
       "--sign-with", "root1.key", "--sign-with", "root2.key")
    proc = run(setup, "trust", "verify", "old.json", "--known", "trust.json")
    assert proc.returncode == 1 and "older" in proc.stderr
    ok(setup, "trust", "verify", "trust.json", "--trust-state", "seen.json")
    proc = run(setup, "trust", "verify", "old.json", "--trust-state", "seen.json")
    assert proc.returncode == 1 and "older" in proc.stderr


def test_expired_trust_root_is_refused(setup: Path) -> None:
    proc = run(setup, "trust", "verify", "trust.json", "--at", "2099-06-01")
    assert proc.returncode == 1 and "expired" in proc.stderr


def test_trust_show_json(setup: Path) -> None:
    shown = ok(setup, "trust", "show", "trust.json")
    [latest] = shown["versions"]
    assert latest["version"] == 2 and latest["roles"]["root"]["threshold"] == 2
    assert latest["roles"]["attestor"]["keys"][0]["name"] == "Alice"


def test_sign_source_provenance(setup: Path) -> None:
    manifest = {"contract": "paper-manifest-v1.1", "record_id": "rec-0123456789abcdef", "title": "t",
                "claims": [], "provenance": {"publisher": "P"}}
    (setup / "m.json").write_text(json.dumps(manifest))
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "sp.dsse.json", "--source-provenance", "m.json",
       "--input", "b.txt")
    result = ok(setup, "verify-signature", "sp.dsse.json", "a.txt", "--trust", "trust.json",
                "--predicate-type", "https://provenance-archive.dev/attestation/source-provenance/v1")
    assert result["ok"] is True


def test_bad_envelope_is_one_line_exit_2(setup: Path) -> None:
    (setup / "bad.json").write_text('{"payload": "abc", "payloadType": "x", "signatures": [{"sig": "AAAA"}]}')
    proc = run(setup, "verify-signature", "bad.json", "--trust", "trust.json")
    assert proc.returncode == 2 and "base64" in proc.stderr and "Traceback" not in proc.stderr


def _run_on_terminal(cwd: Path, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as its controlling terminal, answering each prompt in turn."""
    import fcntl
    import select
    import termios

    master, slave = os.openpty()

    def make_controlling_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVENANCE_")}
    proc = subprocess.Popen([sys.executable, "-m", "provenance", *args], cwd=cwd, env=env, stdin=slave,
                            stdout=slave, stderr=slave, preexec_fn=make_controlling_terminal)
    os.close(slave)
    seen = b""
    pending = list(answers)
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if pending and seen.rstrip().endswith(b":"):
            os.write(master, pending.pop(0).encode() + b"\n")
            seen += b"<answered>"
    os.close(master)
    return proc.wait(timeout=120), seen.decode(errors="replace")


def test_passphrase_prompt_on_a_terminal(tmp_path: Path) -> None:
    code, output = _run_on_terminal(tmp_path, ["keys", "generate", "--out", "k"], ["correct horse", "correct horse"])
    assert code == 0, output
    assert "passphrase" in output.lower() and "correct horse" not in output  # hidden input
    from provenance.signing.keys import load_signing_key

    load_signing_key(tmp_path / "k", b"correct horse")
    code, output = _run_on_terminal(tmp_path, ["sign", "k.pub", "--key", "k", "-o", "s.json"], ["correct horse"])
    assert code == 0, output
    assert (tmp_path / "s.json").is_file()


def test_sign_refuses_a_key_not_trusted_for_the_role(setup: Path) -> None:
    proc = run(setup, "sign", "a.txt", "--key", "root1.key", "-o", "x.json", "--trust", "trust.json")
    assert proc.returncode == 2 and "not trusted for role attestor" in proc.stderr
    assert not (setup / "x.json").exists()


def test_add_signature_reaches_a_threshold_of_two(setup: Path) -> None:
    ok(setup, "keys", "generate", "--out", "att2.key", "--role", "attestor")
    ok(setup, "trust", "add-key", "trust.json", "--role", "attestor", "--public-key", "att2.key.pub",
       "--threshold", "2", "--sign-with", "root1.key", "--sign-with", "root2.key")
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "a.dsse.json")
    proc = run(setup, "verify-signature", "a.dsse.json", "a.txt", "--trust", "trust.json")
    assert proc.returncode == 1 and "threshold is 2" in proc.stderr
    ok(setup, "add-signature", "a.dsse.json", "--key", "att2.key", "--trust", "trust.json")
    result = ok(setup, "verify-signature", "a.dsse.json", "a.txt", "--trust", "trust.json")
    assert len(result["keyids"]) == 2


def test_verify_signature_of_a_plain_dsse_envelope(setup: Path) -> None:
    from provenance.signing.dsse import sign_envelope
    from provenance.signing.keys import load_signing_key

    key = load_signing_key(setup / "att.key", b"pw")
    envelope = sign_envelope(b"checkpoint text\n", "application/vnd.example.note", [key])
    (setup / "note.json").write_text(json.dumps(envelope))
    result = ok(setup, "verify-signature", "note.json", "--trust", "trust.json",
                "--payload-type", "application/vnd.example.note")
    assert result["payloadType"] == "application/vnd.example.note"
    proc = run(setup, "verify-signature", "note.json", "--trust", "trust.json")
    assert proc.returncode == 1 and "payloadType" in proc.stderr
