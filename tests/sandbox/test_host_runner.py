"""The explicit unsafe runner still enforces time, memory and output limits and clears the environment."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from provenance.claims.repro import python_request
from provenance.sandbox import HostRunner, SandboxRequest


def script(tmp_path: Path, code: str) -> Path:
    path = tmp_path / "s.py"
    path.write_text(code, encoding="utf-8")
    return path


def test_runs_with_bind_paths_translated(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "v.txt").write_text("42", encoding="utf-8")
    request = python_request(script(tmp_path, "import sys; print(open(sys.argv[1] + '/v.txt').read())"), data=data, timeout=30, memory_mb=512)
    result = HostRunner().run(request)
    assert result.ok and not result.sealed and result.stdout.strip() == b"42"


def test_timeout_and_memory_limits(tmp_path: Path) -> None:
    loop = HostRunner().run(python_request(script(tmp_path, "while True: pass"), data=None, timeout=1, memory_mb=512))
    assert loop.timed_out and loop.failure() == "timed out and was killed"
    big = HostRunner().run(python_request(script(tmp_path, "x = bytearray(10 * 1024 ** 3)"), data=None, timeout=30, memory_mb=512))
    assert big.memory_exceeded and not big.ok


def test_environment_is_cleared(tmp_path: Path) -> None:
    import os

    os.environ["PROVENANCE_SECRET_FOR_TEST"] = "x"
    try:
        result = HostRunner().run(SandboxRequest(argv=(sys.executable, "-c", "import os; print(sorted(os.environ))")))
    finally:
        del os.environ["PROVENANCE_SECRET_FOR_TEST"]
    assert b"PROVENANCE_SECRET_FOR_TEST" not in result.stdout


def fake_bwrap(tmp_path: Path, help_text: str) -> Path:
    """A stand-in `bwrap` that fails the way bwrap does where user namespaces are forbidden."""
    path = tmp_path / "bwrap"
    path.write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = --help ]; then echo '{help_text}'; exit 0; fi\n"
        "echo 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\n"
        "exit 1\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def test_sandbox_that_cannot_start_is_a_tool_error_not_a_script_failure(tmp_path: Path) -> None:
    from provenance.sandbox import BubblewrapSandbox, SandboxError

    for help_text in ("--json-status-fd FD --size BYTES", "usage: bwrap [OPTIONS]"):
        sandbox = BubblewrapSandbox(bwrap=str(fake_bwrap(tmp_path, help_text)))
        with pytest.raises(SandboxError) as info:
            sandbox.run(SandboxRequest(argv=("/bin/true",)))
        assert "could not create the sandbox" in str(info.value) and info.value.exit_code == 3
        assert ("--size" in sandbox.command(SandboxRequest(argv=("x",)))) == ("--size" in help_text)


def test_limits_hold_without_prlimit_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import provenance.sandbox.runner as runner

    real_which = shutil.which
    monkeypatch.setattr(runner.shutil, "which", lambda name: None if name == "prlimit" else real_which(name))
    big = HostRunner().run(python_request(script(tmp_path, "x = bytearray(10 * 1024 ** 3)"), data=None, timeout=30, memory_mb=512))
    assert big.memory_exceeded and not big.ok


def test_host_runner_leaves_no_child_behind_after_a_normal_exit(tmp_path: Path) -> None:
    """A script that forks a sleeper and exits 0 must not leave the sleeper running (it did for 60 s)."""
    import os
    import signal
    import time
    from dataclasses import replace

    code = "import os, time\npid = os.fork()\nif pid == 0:\n    time.sleep(120)\n    os._exit(0)\nprint(pid)\n"
    request = python_request(script(tmp_path, code), data=None, timeout=30, memory_mb=512)
    # no process cap: no pids cgroup whose closing would kill the child anyway (the RLIMIT_NPROC path has none either)
    result = HostRunner().run(replace(request, max_processes=None))
    assert result.ok, result.stderr
    child = int(result.stdout.strip())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        try:  # a killed child of a reparented process may linger as a zombie until init reaps it
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            break
        if state in ("Z", "X"):
            break
        time.sleep(0.05)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the forked child outlived the run")
