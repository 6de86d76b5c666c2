"""A fork bomb in a repro script hits the process cap, in the sealed sandbox and on the unsafe host runner."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from provenance.claims.repro import python_request
from provenance.sandbox import BubblewrapSandbox, HostRunner, Sandbox, SandboxRequest
from provenance.sandbox.pids import JOIN_SCRIPT, ProcessCap, open_cap, tasks_of_uid

CAP = 32
FORK_BOMB = """
import os, time
n = 0
try:
    while n < 400:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
    print("uncapped", n)
except OSError as exc:
    print("capped", n, exc.errno)
"""


def _bomb(tmp_path: Path, runner: Sandbox) -> tuple[list[str], str]:
    probe = runner.run(SandboxRequest(argv=("/bin/true",), timeout=30, max_processes=CAP))
    if probe.process_cap.startswith("none"):
        pytest.skip(f"no process cap here: {probe.process_cap}")
    script = tmp_path / f"bomb_{uuid.uuid4().hex[:12]}.py"
    script.write_text(FORK_BOMB, encoding="utf-8")
    request = dataclasses.replace(python_request(script, data=None, timeout=60, memory_mb=512), max_processes=CAP)
    result = runner.run(request)
    leftover = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=False).stdout
    assert script.name not in leftover, "forked children outlived the run"
    return result.stdout.decode().split(), result.process_cap


@pytest.mark.bwrap
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
def test_a_fork_bomb_in_the_sealed_sandbox_hits_the_cap(tmp_path: Path) -> None:
    words, cap = _bomb(tmp_path, BubblewrapSandbox())
    assert words[0] == "capped" and int(words[1]) < CAP, (words, cap)


def test_a_fork_bomb_on_the_host_runner_hits_the_cap(tmp_path: Path) -> None:
    words, cap = _bomb(tmp_path, HostRunner())
    assert words[0] == "capped" and int(words[1]) < CAP, (words, cap)


def test_the_cap_says_how_it_was_applied() -> None:
    cap = open_cap(64)
    assert cap is not None
    try:
        if cap.cgroup is not None:
            assert (cap.cgroup / "pids.max").read_text().strip() == "64"
            assert cap.describe == "cgroup pids.max=64"
        elif cap.nproc is not None:
            assert cap.nproc >= 64 and cap.describe == "RLIMIT_NPROC: the uid's tasks at start + 64"
        else:
            assert cap.describe.startswith("none:")
    finally:
        cap.close()
    if cap.cgroup is not None:
        assert not cap.cgroup.exists(), "the run's cgroup was left behind"
    assert open_cap(None) is None


def test_joining_the_cgroup_passes_argv_as_arguments_never_as_shell_text(tmp_path: Path) -> None:
    group = tmp_path / "fake-cgroup"
    group.mkdir()
    hostile = "$(touch pwned); `touch pwned2` && echo 'x'"
    argv = ProcessCap(8, cgroup=group).wrap(["/bin/echo", hostile])
    assert argv[:3] == ["/bin/sh", "-c", JOIN_SCRIPT] and argv[-1] == hostile
    out = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert out == hostile + "\n" and not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
    assert (group / "cgroup.procs").read_text().strip().isdigit()  # the shell wrote its own pid, then exec'd
    assert ProcessCap(8).wrap(["/bin/true"]) == ["/bin/true"]


def test_the_nproc_description_is_the_same_every_run() -> None:
    """Bundles are byte-identical for the same inputs; the verdict's limits line must not carry a task count."""
    assert ProcessCap(64, nproc=1000).describe == ProcessCap(64, nproc=1234).describe


def test_tasks_of_uid_counts_this_process_threads() -> None:
    import os
    import threading

    before = tasks_of_uid(os.getuid())
    assert before is not None and before >= 1
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        during = tasks_of_uid(os.getuid())
        assert during is not None and during >= before + 4 - 2  # other processes of this uid may end meanwhile
    finally:
        stop.set()
        for t in threads:
            t.join()


def test_without_proc_there_is_no_task_count_and_no_guessed_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A limit guessed without counting the uid's tasks could stop every fork of the user; no count, no RLIMIT_NPROC."""
    import os

    from provenance.sandbox import pids

    def no_proc(path: str) -> None:
        raise FileNotFoundError(path)

    monkeypatch.setattr(pids.os, "scandir", no_proc)
    assert pids.tasks_of_uid(os.getuid()) is None
    monkeypatch.setattr(pids, "_make_cgroup", lambda limit: None)
    monkeypatch.setattr(pids.os, "getuid", lambda: 1000)
    cap = pids.open_cap(64)
    assert cap is not None and cap.cgroup is None and cap.nproc is None and cap.describe.startswith("none:")


def test_a_process_cap_below_eight_is_refused() -> None:
    from provenance.errors import InputError

    with pytest.raises(InputError, match="process cap below 8"):
        HostRunner().run(SandboxRequest(argv=("/bin/true",), max_processes=4))


def test_a_cgroup_that_cannot_be_joined_falls_back_and_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a container may allow mkdir in the pids hierarchy but refuse the move; every run then failed."""
    from provenance.sandbox import pids

    fake = tmp_path / "cgroup"
    (fake / "pids").mkdir(parents=True)
    (fake / "pids" / "cgroup.procs").write_text("")
    monkeypatch.setattr(pids, "CGROUP_ROOT", fake)
    monkeypatch.setattr(pids, "_JOINABLE", {})
    monkeypatch.setattr(pids.ProcessCap, "wrap", lambda self, argv: ["/bin/false"])  # the move is refused
    cap = pids.open_cap(16)
    assert cap is not None and cap.cgroup is None
    assert pids._JOINABLE == {fake / "pids": False}
    # (A plain directory keeps its pids.max file, so rmdir fails here; a real cgroup goes, see above.)
    made = sorted(p.name for p in (fake / "pids").iterdir() if p.is_dir())
    cap2 = pids.open_cap(16)  # asked once: no second probe, no second mkdir
    assert cap2 is not None and cap2.cgroup is None
    assert sorted(p.name for p in (fake / "pids").iterdir() if p.is_dir()) == made and len(made) == 1


REPO = Path(__file__).resolve().parents[2]
UNPRIVILEGED_BOMB = """
import sys
from provenance.sandbox import BubblewrapSandbox, HostRunner, SandboxRequest
runner = BubblewrapSandbox() if sys.argv[1] == "bwrap" else HostRunner()
result = runner.run(SandboxRequest(argv=("/usr/bin/python3", "-c", sys.argv[2]), timeout=60, max_processes=32,
                                   memory_mb=256))
print(result.process_cap)
print(result.stdout.decode().strip())
"""


def _world_readable(path: Path) -> bool:
    return all(p.stat().st_mode & 0o005 == 0o005 for p in [path, *path.parents])


@pytest.mark.parametrize("runner", ["host", pytest.param("bwrap", marks=pytest.mark.bwrap)])
def test_a_fork_bomb_run_by_an_unprivileged_user_hits_rlimit_nproc(runner: str, tmp_path: Path) -> None:
    """The RLIMIT_NPROC path, for real: run as uid 65534, where no cgroup can be made and the kernel counts tasks."""
    import os

    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to become an unprivileged user")
    python = Path("/usr/bin/python3")
    if not python.exists() or not _world_readable(REPO):
        pytest.skip("needs a system /usr/bin/python3 and a world-readable checkout")
    if runner == "bwrap" and shutil.which("bwrap") is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version_info >= (3, 11))"],
                             capture_output=True, text=True, check=False).stdout.strip()
    if version != "True":
        pytest.skip("/usr/bin/python3 is older than 3.11")
    proc = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "-i", "PATH=/usr/bin:/bin",
         f"PYTHONPATH={REPO}", "HOME=/tmp", str(python), "-c", UNPRIVILEGED_BOMB, runner, FORK_BOMB],
        capture_output=True, text=True, timeout=120, check=False, cwd="/",
    )
    if "ModuleNotFoundError" in proc.stderr:
        pytest.skip(f"the system python cannot import the package as uid 65534: {proc.stderr.strip()[-200:]}")
    assert proc.returncode == 0, proc.stderr
    cap_line, outcome = proc.stdout.strip().splitlines()
    assert cap_line == "RLIMIT_NPROC: the uid's tasks at start + 32"
    words = outcome.split()
    assert words[0] == "capped" and int(words[1]) < 32, outcome
