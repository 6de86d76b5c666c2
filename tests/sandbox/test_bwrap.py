"""The sealed sandbox against hostile scripts: each is stopped and reported, and the host is untouched."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from provenance.claims.repro import python_request
from provenance.sandbox import Bind, BubblewrapSandbox, SandboxRequest, SandboxResult

pytestmark = [
    pytest.mark.bwrap,
    pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap"),
]


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
    }


@pytest.fixture
def host(tmp_path: Path) -> Path:
    """A data dir for the script and a secret beside it that the script must not see."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "values.csv").write_text("name,value\nnq,11.2\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("host secret", encoding="utf-8")
    return tmp_path


def run_script(host: Path, code: str, *, timeout: float = 30.0, memory_mb: int | None = 512) -> SandboxResult:
    script = host / f"s_{uuid.uuid4().hex[:8]}.py"
    script.write_text(code, encoding="utf-8")
    request = python_request(script, data=host / "data", timeout=timeout, memory_mb=memory_mb)
    before = tree_digest(host)
    result = BubblewrapSandbox().run(request)
    assert tree_digest(host) == before, "the host directory changed"
    return result


def test_well_behaved_script_runs(host: Path) -> None:
    result = run_script(host, "import sys, pathlib; print(pathlib.Path(sys.argv[1], 'values.csv').read_text().split()[1])")
    assert result.ok and result.sealed and result.failure() is None
    assert result.stdout == b"nq,11.2\n"


def test_socket_to_host_server_is_refused(host: Path) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        try:
            accepted.append(server.accept())
        except OSError:
            pass

    thread = threading.Thread(target=accept)
    thread.start()
    try:
        # first prove the server is reachable from the host itself is not needed; from inside it must fail
        result = run_script(host, f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3)\nprint('{{}}')\n")
    finally:
        thread.join(timeout=10)
        server.close()
    assert not accepted, "the sandboxed script reached a host socket"
    assert not result.ok
    assert "ConnectionRefusedError" in result.stderr.decode() or "Network is unreachable" in result.stderr.decode()
    assert "exited with status 1" in (result.failure() or "")


def test_dns_and_external_network_unavailable(host: Path) -> None:
    result = run_script(host, "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=3)\n")
    assert not result.ok
    assert "unreachable" in result.stderr.decode().lower() or "Errno" in result.stderr.decode()


def test_host_file_outside_mounts_is_invisible(host: Path) -> None:
    secret = host / "secret.txt"
    result = run_script(host, f"print(open({str(secret)!r}).read())")
    assert not result.ok and b"host secret" not in result.stdout
    assert "FileNotFoundError" in (result.failure() or "")
    for path in ("/etc/passwd", "/home", "/work", str(Path.cwd()), str(host / "secret.txt")):
        probe = run_script(host, f"import os; print(os.path.exists({path!r}))")
        assert probe.stdout.strip() == b"False", path
    # Only the interpreter's own prefix is mounted, not its neighbours.
    prefix = Path(sys.base_prefix).resolve()
    if not prefix.is_relative_to("/usr"):
        probe = run_script(host, f"import os; print(os.listdir({str(prefix.parent)!r}))")
        assert probe.stdout.strip() == repr([prefix.name]).encode()


def test_writing_into_data_dir_fails_and_data_is_unchanged(host: Path) -> None:
    before = (host / "data" / "values.csv").read_bytes()
    result = run_script(host, "import sys\nopen(sys.argv[1] + '/values.csv', 'w').write('tampered')\n")
    assert not result.ok
    assert "Read-only file system" in result.stderr.decode()
    assert (host / "data" / "values.csv").read_bytes() == before
    new = run_script(host, "import sys\nopen(sys.argv[1] + '/new.txt', 'w').write('x')\n")
    assert not new.ok and not (host / "data" / "new.txt").exists()


def test_private_tmp_is_writable_and_discarded(host: Path) -> None:
    marker = f"m{uuid.uuid4().hex}"
    result = run_script(host, f"open('/tmp/{marker}', 'w').write('x'); print('ok')")
    assert result.ok
    assert not (Path("/tmp") / marker).exists()


def test_infinite_loop_is_killed_and_leaves_no_process(host: Path) -> None:
    marker = f"loop{uuid.uuid4().hex[:12]}"
    result = run_script(host, f"# {marker}\nwhile True:\n    pass\n", timeout=2)
    assert result.timed_out and not result.ok
    assert result.failure() == "timed out and was killed"
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False)
    # The script runs as a file (/repro/s_*.py), so its argv never holds the loop's text: look for the marker
    # and the host path only, not for "while" in any process of the machine (other suites run beside this one).
    assert not [line for line in ps.stdout.splitlines() if marker in line]
    leftovers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline_has(p, "s_")]
    assert not [p for p in leftovers if _cmdline_has(p, str(host))]


def _cmdline_has(proc: Path, text: str) -> bool:
    try:
        return text in (proc / "cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def test_ten_gigabyte_allocation_is_stopped(host: Path) -> None:
    result = run_script(host, "x = bytearray(10 * 1024 ** 3)\nprint('allocated')\n", memory_mb=512)
    assert not result.ok and b"allocated" not in result.stdout
    assert result.memory_exceeded
    assert "out of memory" in (result.failure() or "")


def test_fork_and_children_die_with_the_sandbox(host: Path) -> None:
    code = "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\nwhile True: pass\n"
    result = run_script(host, code, timeout=2)
    assert result.timed_out
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False)
    assert "time.sleep(600)" not in ps.stdout


def test_huge_output_is_cut(host: Path) -> None:
    script = host / "loud.py"
    script.write_text("import sys\nsys.stdout.write('x' * 5_000_000)\n", encoding="utf-8")
    request = python_request(script, data=None, timeout=30, memory_mb=512)
    small = SandboxRequest(request.argv, request.ro_binds, timeout=30, memory_mb=512, max_output_bytes=1000)
    result = BubblewrapSandbox().run(small)
    assert result.output_truncated and len(result.stdout) == 1000 and not result.ok


def test_environment_is_cleared(host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVENANCE_TEST_TOKEN", "do-not-leak")
    result = run_script(host, "import os; print(sorted(os.environ))")
    assert b"PROVENANCE_TEST_TOKEN" not in result.stdout and b"do-not-leak" not in result.stdout


def test_runs_any_argv_not_only_python(host: Path) -> None:
    result = BubblewrapSandbox().run(
        SandboxRequest(argv=("/bin/sh", "-c", "id -u; hostname; ls /data"), ro_binds=(Bind(host / "data", "/data"),))
    )
    assert result.ok
    assert result.stdout.split() == [b"65534", b"sandbox", b"values.csv"]


def test_command_shape() -> None:
    cmd = BubblewrapSandbox().command(SandboxRequest(argv=("true",)))
    for flag in ("--unshare-all", "--unshare-user", "--die-with-parent", "--clearenv", "--new-session"):
        assert flag in cmd
    assert cmd[cmd.index("--cap-drop") + 1] == "ALL"
    assert cmd[-2:] == ["--", "true"]


def test_missing_bwrap_is_tool_missing() -> None:
    from provenance.errors import ToolMissing

    with pytest.raises(ToolMissing) as info:
        BubblewrapSandbox(bwrap=None) if shutil.which("bwrap") is None else _without_bwrap()
    assert "apt-get install bubblewrap" in str(info.value) and info.value.exit_code == 3


def _without_bwrap() -> BubblewrapSandbox:
    old = os.environ["PATH"]
    os.environ["PATH"] = "/nonexistent"
    try:
        return BubblewrapSandbox()
    finally:
        os.environ["PATH"] = old


def test_interpreter_is_this_python() -> None:
    request = python_request(Path(__file__), data=None, timeout=1, memory_mb=None)
    assert request.argv[0] == str(Path(sys.executable).resolve())


def test_system_and_script_are_read_only(host: Path) -> None:
    code = (
        "import sys\n"
        "for target in ['/usr/lib/planted', sys.argv[0], '/planted']:\n"
        "    try:\n"
        "        open(target, 'a').write('x')\n"
        "        print('WROTE', target)\n"
        "    except OSError as exc:\n"
        "        print('refused', target, exc.errno)\n"
    )
    result = run_script(host, code)
    assert result.ok, result.stderr
    assert b"WROTE" not in result.stdout and result.stdout.count(b"refused") == 3
    assert not Path("/usr/lib/planted").exists() and not Path("/planted").exists()


@pytest.mark.skipif(not Path("/usr/bin/unshare").exists(), reason="util-linux unshare is not installed")
def test_no_nested_user_namespaces(host: Path) -> None:
    sandbox = BubblewrapSandbox()
    if "--disable-userns" not in sandbox.options():
        pytest.skip("this bwrap has no --disable-userns")
    result = sandbox.run(SandboxRequest(argv=("/usr/bin/unshare", "-U", "-r", "/bin/true")))
    assert not result.ok and "unshare failed" in result.stderr.decode()
