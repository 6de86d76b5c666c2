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

PASSPHRASE = "test passphrase"


def run(cwd: Path, *args: str, passphrase: str | None = PASSPHRASE, stdin: str = "") -> subprocess.CompletedProcess[str]:
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
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: a.txt: sha256 is")
    assert proc.stderr.endswith(errors[0] + "\n")


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

    key = load_signing_key(setup / "att.key", PASSPHRASE.encode())
    envelope = sign_envelope(b"checkpoint text\n", "application/vnd.example.note", [key])
    (setup / "note.json").write_text(json.dumps(envelope))
    result = ok(setup, "verify-signature", "note.json", "--trust", "trust.json",
                "--payload-type", "application/vnd.example.note")
    assert result["payloadType"] == "application/vnd.example.note"
    proc = run(setup, "verify-signature", "note.json", "--trust", "trust.json")
    assert proc.returncode == 1 and "payloadType" in proc.stderr


# ---- issue 12 item 2 / issue 13 item 12: trust state resolved once by the CLI, on by default


def _state_file() -> Path:
    return Path(os.environ["XDG_STATE_HOME"]) / "provenance" / "trust-state.json"


def _older_and_newer(setup: Path) -> None:
    """old.json: version 2; trust.json: version 3."""
    (setup / "old.json").write_text((setup / "trust.json").read_text())
    ok(setup, "keys", "generate", "--out", "c.key", "--role", "corrector")
    ok(setup, "trust", "add-key", "trust.json", "--role", "corrector", "--public-key", "c.key.pub",
       "--sign-with", "root1.key", "--sign-with", "root2.key")


def test_trust_verify_known_is_never_recorded_into_the_state(setup: Path) -> None:
    """Regression: with PROVENANCE_TRUST_STATE set, `trust verify tr.json --known v1.json` exited 1
    ("version 1 is older than version 2 seen"): --known was recorded into the state."""
    (setup / "v1.json").write_text(json.dumps(dict(json.loads((setup / "trust.json").read_text()),
                                                   chain=json.loads((setup / "trust.json").read_text())["chain"][:1])))
    env_state = setup / "env-state.json"
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "provenance", "trust", "verify", "trust.json", "--known", "v1.json", "--json"],
            cwd=setup, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PROVENANCE_TRUST_STATE": str(env_state), "PROVENANCE_KEY_PASSPHRASE": PASSPHRASE},
        )
        assert proc.returncode == 0, proc.stderr
    assert json.loads(env_state.read_text())["chains"].popitem()[1]["version"] == 2


def test_rollback_protection_is_on_by_default_and_pins_on_first_use(setup: Path) -> None:
    _older_and_newer(setup)
    state = _state_file()
    assert not state.exists()
    first = run(setup, "trust", "verify", "trust.json")
    assert first.returncode == 0, first.stderr
    chain_id = json.loads(run(setup, "trust", "show", "trust.json", "--json").stdout)["versions"][0]["chain_id"]
    assert f"pinned trust root {chain_id} at version 3" in first.stderr and "trust on first use" in first.stderr
    assert json.loads(state.read_text())["chains"][chain_id]["version"] == 3
    again = run(setup, "trust", "verify", "trust.json")
    assert again.returncode == 0 and "pinned" not in again.stderr
    rolled_back = run(setup, "trust", "verify", "old.json")
    assert rolled_back.returncode == 1 and "version 2 is older than version 3" in rolled_back.stderr
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "a.dsse.json")
    proc = run(setup, "verify-signature", "a.dsse.json", "--trust", "old.json")  # every --trust command: one state
    assert proc.returncode == 1 and "older" in proc.stderr


def test_no_trust_state_opts_out(setup: Path) -> None:
    _older_and_newer(setup)
    assert run(setup, "trust", "verify", "trust.json").returncode == 0
    proc = run(setup, "trust", "verify", "old.json", "--no-trust-state")
    assert proc.returncode == 0 and "pinned" not in proc.stderr
    ok(setup, "sign", "a.txt", "--key", "att.key", "-o", "a.dsse.json")
    assert run(setup, "verify-signature", "a.dsse.json", "--trust", "old.json", "--no-trust-state").returncode == 0
    assert run(setup, "verify-signature", "a.dsse.json", "--trust", "old.json").returncode == 1


def test_trust_state_variable_and_option_name_other_files(setup: Path) -> None:
    _older_and_newer(setup)
    assert run(setup, "trust", "verify", "trust.json", "--trust-state", "mine.json").returncode == 0
    assert (setup / "mine.json").is_file() and not _state_file().exists()
    proc = subprocess.run([sys.executable, "-m", "provenance", "trust", "verify", "old.json"], cwd=setup,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PROVENANCE_TRUST_STATE": str(setup / "mine.json")})
    assert proc.returncode == 1 and "older" in proc.stderr


# ---- issue 13 item 18: keys as a careful user expects


def test_generate_refuses_a_short_passphrase(tmp_path: Path) -> None:
    proc = run(tmp_path, "keys", "generate", "--out", "k", passphrase="seven77")
    assert proc.returncode == 2 and "at least 8 characters" in proc.stderr
    assert not (tmp_path / "k").exists() and not (tmp_path / "k.pub").exists()
    assert run(tmp_path, "keys", "generate", "--out", "k", passphrase="eight888").returncode == 0


def test_signing_with_an_unencrypted_key_warns(tmp_path: Path) -> None:
    assert run(tmp_path, "keys", "generate", "--out", "k", "--no-passphrase", passphrase=None).returncode == 0
    (tmp_path / "a.txt").write_text("a")
    proc = run(tmp_path, "sign", "a.txt", "--key", "k", "-o", "s.json", passphrase=None)
    assert proc.returncode == 0 and "warning: k is not encrypted" in proc.stderr


def test_signing_with_an_encrypted_key_does_not_warn(setup: Path) -> None:
    proc = run(setup, "sign", "a.txt", "--key", "att.key", "-o", "s.json")
    assert proc.returncode == 0 and "warning" not in proc.stderr


@pytest.mark.parametrize("mode", [0o666, 0o640, 0o604])
def test_an_encrypted_key_readable_by_others_is_refused(setup: Path, mode: int) -> None:
    os.chmod(setup / "att.key", mode)
    proc = run(setup, "sign", "a.txt", "--key", "att.key", "-o", "s.json")
    assert proc.returncode == 2 and "chmod 600" in proc.stderr and not (setup / "s.json").exists()


def test_sign_refuses_a_pub_file_of_another_key(setup: Path) -> None:
    shutil.copy(setup / "root1.key.pub", setup / "att.key.pub")
    proc = run(setup, "sign", "a.txt", "--key", "att.key", "-o", "s.json")
    assert proc.returncode == 2 and "att.key.pub holds key" in proc.stderr and not (setup / "s.json").exists()
    proc = run(setup, "keys", "show", "att.key")
    assert proc.returncode == 2 and "holds key" in proc.stderr
