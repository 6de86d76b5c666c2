"""Run a command sealed under bubblewrap, or (explicitly, unsafely) on the host.

One interface, :class:`Sandbox` with ``run(request) -> SandboxResult``, and two
runners:

* :class:`BubblewrapSandbox`: new user, pid, net, ipc, uts and cgroup
  namespaces (so no network but a private loopback), all capabilities dropped,
  uid/gid 65534, only ``/usr`` (and its ``/bin``, ``/lib`` links) plus the
  request's read-only binds visible, a read-only root, a private size-limited ``/tmp``, a fresh
  ``/proc`` and minimal ``/dev``, environment cleared. Limits: wall-clock
  timeout (the whole sandbox is killed), address space (``RLIMIT_AS``), file
  size (``RLIMIT_FSIZE``), processes at once (:mod:`provenance.sandbox.pids`), no core dumps; output is captured to files and cut
  at ``max_output_bytes``.
* :class:`HostRunner`: the same limits and a cleared environment, but no
  isolation at all. Only for ``--unsafe-no-sandbox``; results say ``sealed=False``.

Any argv may run (Python repro scripts, ``lean``); the request's binds decide
what the command can see.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from provenance.errors import InputError, ProvenanceError, ToolMissing
from provenance.sandbox.pids import NOT_ASKED, ProcessCap, open_cap

BWRAP_INSTALL_HINT = "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)"
DEFAULT_ENV: Mapping[str, str] = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
}
SANDBOX_UID = 65534
UNSAFE_HOST_RUNNER = "host (unsafe, not sealed)"
"""How verdicts and records name the :class:`HostRunner` (``--unsafe-no-sandbox``)."""


class SandboxError(ProvenanceError):
    """The sandbox itself could not be set up (not the command failing inside it)."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class Bind:
    """Make host path ``source`` visible read-only at ``target`` (an absolute path inside the sandbox)."""

    source: Path
    target: str


@dataclass(frozen=True)
class SandboxRequest:
    """What to run and under which limits. Paths in ``argv``, ``cwd`` and ``env`` are sandbox paths."""

    argv: tuple[str, ...]
    ro_binds: tuple[Bind, ...] = ()
    cwd: str = "/tmp"
    timeout: float = 60.0
    memory_mb: int | None = 1024
    tmp_size_mb: int = 256
    max_output_bytes: int = 8 * 1024 * 1024
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: bytes = b""
    max_processes: int | None = 256  # tasks at once, threads included (see provenance.sandbox.pids)


@dataclass(frozen=True)
class SandboxResult:
    """What happened: exit status (negative: killed by that signal), output, and which limit stopped it."""

    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    output_truncated: bool
    sealed: bool
    runner: str
    wall_seconds: float
    process_cap: str = NOT_ASKED

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.output_truncated

    @property
    def memory_exceeded(self) -> bool:
        """True when the command died for lack of memory under the limit (best evidence we have)."""
        tail = self.stderr[-4096:]
        return not self.timed_out and (
            b"MemoryError" in tail or b"Cannot allocate memory" in tail or b"out of memory" in tail.lower()
        )

    def failure(self) -> str | None:
        """One line saying why the run failed, or ``None`` when it succeeded."""
        if self.timed_out:
            return "timed out and was killed"
        if self.output_truncated:
            return "printed more output than allowed and was cut off"
        if self.returncode == 0:
            return None
        if self.memory_exceeded:
            return f"ran out of memory under the limit (exit status {self.returncode})"
        if self.returncode < 0:
            try:
                name = signal.Signals(-self.returncode).name
            except ValueError:
                name = str(-self.returncode)
            if name == "SIGXFSZ":
                return "wrote a file larger than allowed and was killed (SIGXFSZ)"
            return f"was killed by {name}"
        last = self.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        detail = f": {last[0][:300]}" if last[0] else ""
        return f"exited with status {self.returncode}{detail}"


class Sandbox(Protocol):
    """Runs one request; ``sealed`` says whether the runner isolates it."""

    sealed: bool

    def run(self, request: SandboxRequest) -> SandboxResult: ...


def _limits(request: SandboxRequest, nproc: int | None) -> Callable[[], None]:
    memory = request.memory_mb
    fsize = max(request.tmp_size_mb * 1024 * 1024, request.max_output_bytes + 1)

    def apply() -> None:  # runs in the child between fork and exec
        if memory is not None:
            limit = memory * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    return apply


def _limit_wrapper(request: SandboxRequest, nproc: int | None) -> list[str] | None:
    """``prlimit`` argv prefix setting the limits, or ``None`` when util-linux prlimit is absent.

    A wrapper that sets limits and execs is safe in threaded callers (the Lean
    step runs several sandboxes at once); ``preexec_fn`` is only the fallback.
    """
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return None
    fsize = max(request.tmp_size_mb * 1024 * 1024, request.max_output_bytes + 1)
    argv = [prlimit, f"--fsize={fsize}", "--core=0"]
    if request.memory_mb is not None:
        argv.append(f"--as={request.memory_mb * 1024 * 1024}")
    if nproc is not None:
        argv.append(f"--nproc={nproc}")
    return [*argv, "--"]


def _read_capped(handle: IO[bytes], cap: int) -> tuple[bytes, bool]:
    handle.seek(0)
    data = handle.read(cap + 1)
    return data[:cap], len(data) > cap


def _run_process(
    argv: list[str],
    request: SandboxRequest,
    *,
    env: Mapping[str, str],
    cwd: str | None,
    pass_fds: tuple[int, ...] = (),
) -> tuple[int, bytes, bytes, bool, bool, float, str]:
    """Run ``argv`` in its own session with limits; kill the whole group on timeout.

    The last item returned says how the process cap was applied.
    """
    cap = open_cap(request.max_processes)
    try:
        return (*_run_capped(argv, request, cap, env=env, cwd=cwd, pass_fds=pass_fds),
                cap.describe if cap is not None else NOT_ASKED)
    finally:
        if cap is not None:
            cap.close()


def _run_capped(
    argv: list[str],
    request: SandboxRequest,
    cap: ProcessCap | None,
    *,
    env: Mapping[str, str],
    cwd: str | None,
    pass_fds: tuple[int, ...],
) -> tuple[int, bytes, bytes, bool, bool, float]:
    start = time.monotonic()
    nproc = cap.nproc if cap is not None else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as inp:
        inp.write(request.stdin)
        inp.seek(0)
        wrapper = _limit_wrapper(request, nproc)
        full = argv if wrapper is None else [*wrapper, *argv]
        proc = subprocess.Popen(  # argv is a list; the cgroup join is fixed shell text with argv as "$@"
            cap.wrap(full) if cap is not None else full,
            stdin=inp,
            stdout=out,
            stderr=err,
            env=dict(env),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_limits(request, nproc) if wrapper is None else None,  # setrlimit must run in the child
            pass_fds=pass_fds,
            close_fds=True,
        )
        timed_out = False
        try:
            returncode = proc.wait(timeout=request.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid)
            returncode = proc.wait()
        _kill_group(proc.pid)  # what the command left running (children in its session) dies with it
        stdout, truncated_out = _read_capped(out, request.max_output_bytes)
        stderr, _ = _read_capped(err, 64 * 1024)
    return returncode, stdout, stderr, timed_out, truncated_out, time.monotonic() - start


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _check_request(request: SandboxRequest) -> None:
    if not request.argv:
        raise InputError("nothing to run: empty argv", remedy="give a command")
    if request.timeout <= 0:
        raise InputError("timeout must be positive", remedy="give --timeout in seconds")
    if request.memory_mb is not None and request.memory_mb < 16:
        raise InputError("memory limit below 16 MB", remedy="give --memory of at least 16")
    if request.max_processes is not None and request.max_processes < 8:
        raise InputError("process cap below 8", remedy="allow at least 8 processes (the sandbox's own count)")
    for bind in request.ro_binds:
        if not bind.target.startswith("/") or ".." in Path(bind.target).parts:
            raise InputError(f"bind target {bind.target!r} must be an absolute path", remedy="fix the bind")
        if not bind.source.exists():
            raise InputError("no such file or directory", where=str(bind.source), remedy="check the path")


def _reap_namespace(init_pid: int, wait_seconds: float = 10.0) -> None:
    """Kill the sandbox's pid-namespace init and wait until it is gone (the kernel then has killed every process in it)."""
    try:
        os.kill(init_pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    deadline = time.monotonic() + wait_seconds
    stat = Path(f"/proc/{init_pid}/stat")
    while time.monotonic() < deadline:
        try:
            state = stat.read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.01)


class BubblewrapSandbox:
    """The sealed runner. Raises :class:`ToolMissing` (exit 3) with the install hint when bwrap is absent."""

    sealed = True

    def __init__(self, bwrap: str | None = None) -> None:
        found = bwrap or shutil.which("bwrap")
        if found is None:
            raise ToolMissing("bubblewrap (bwrap) is not installed", remedy=BWRAP_INSTALL_HINT)
        self.bwrap = found
        self._options: frozenset[str] | None = None

    def options(self) -> frozenset[str]:
        """The long options this bwrap knows (older releases lack ``--size`` and ``--json-status-fd``)."""
        if self._options is None:
            try:
                proc = subprocess.run([self.bwrap, "--help"], capture_output=True, timeout=10, check=False)
                text = (proc.stdout + proc.stderr).decode("utf-8", "replace")
            except (OSError, subprocess.TimeoutExpired):
                text = ""
            self._options = frozenset(re.findall(r"(--[a-z][a-z-]+)", text))
        return self._options

    def version(self) -> str:
        try:
            proc = subprocess.run(
                [self.bwrap, "--version"], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            return "bubblewrap"
        return proc.stdout.decode("utf-8", "replace").strip() or "bubblewrap"

    def command(self, request: SandboxRequest, status_fd: int | None = None) -> list[str]:
        """The full bwrap argv for ``request`` (public so tests and logs can show it)."""
        cmd = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_UID),
            "--cap-drop", "ALL",
            *(["--disable-userns"] if "--disable-userns" in self.options() else []),  # no nested namespaces
            "--die-with-parent",
            "--new-session",
            "--hostname", "sandbox",
            "--clearenv",
            "--ro-bind", "/usr", "/usr",
        ]
        for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            host = Path("/") / top
            if host.is_symlink():
                cmd += ["--symlink", os.readlink(host), f"/{top}"]
            elif host.is_dir():
                cmd += ["--ro-bind", str(host), f"/{top}"]
        cmd += ["--proc", "/proc", "--dev", "/dev"]
        if "--size" in self.options():
            cmd += ["--size", str(request.tmp_size_mb * 1024 * 1024)]
        cmd += ["--tmpfs", "/tmp"]  # without --size (bwrap < 0.7) only RLIMIT_FSIZE bounds each file
        for bind in request.ro_binds:
            cmd += ["--ro-bind", str(bind.source.resolve()), bind.target]
        cmd += ["--remount-ro", "/"]  # the sandbox's own root tmpfs: nothing but /tmp is writable
        env = {**DEFAULT_ENV, **request.env}
        for key, value in sorted(env.items()):
            cmd += ["--setenv", key, value]
        cmd += ["--chdir", request.cwd]
        if status_fd is not None and "--json-status-fd" in self.options():
            cmd += ["--json-status-fd", str(status_fd)]
        return [*cmd, "--", *request.argv]

    def run(self, request: SandboxRequest) -> SandboxResult:
        _check_request(request)
        read_fd, write_fd = os.pipe()
        try:
            argv = self.command(request, status_fd=write_fd)
            try:
                result = _run_process(argv, request, env={}, cwd="/", pass_fds=(write_fd,))
            finally:
                os.close(write_fd)
            with os.fdopen(read_fd, "rb") as status_pipe:
                read_fd = -1
                status = status_pipe.read().decode("utf-8", "replace")
        finally:
            if read_fd >= 0:
                os.close(read_fd)
        returncode, stdout, stderr, timed_out, truncated, seconds, cap = result
        records = [json.loads(line) for line in status.splitlines() if line.strip().startswith("{")]
        child_pids = [int(r["child-pid"]) for r in records if "child-pid" in r]
        if "--json-status-fd" in self.options():
            started = bool(child_pids)
        else:  # an old bwrap: its own setup errors are the only stderr lines starting "bwrap:"
            started = not (returncode == 1 and stderr.startswith(b"bwrap: "))
        if timed_out and child_pids:
            _reap_namespace(child_pids[0])
        if not started and not timed_out:
            detail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise SandboxError(
                f"bubblewrap could not create the sandbox: {detail[0][:300]}",
                remedy="allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run where bwrap works",
            )
        exit_codes = [r for r in records if "exit-code" in r]
        if exit_codes and not timed_out:
            # bwrap reports the child's status; a signal shows as 128 + n in its own exit code.
            code = int(exit_codes[-1]["exit-code"])
            returncode = -(code - 128) if code > 128 and returncode == code else returncode
        return SandboxResult(returncode, stdout, stderr, timed_out, truncated, True, "bubblewrap", seconds, cap)


class HostRunner:
    """UNSAFE: runs the command directly on the host with limits but no isolation (``--unsafe-no-sandbox``).

    Bind targets in argv, env and cwd are rewritten to their host sources; the
    private tmp is a fresh temporary directory removed afterwards.
    """

    sealed = False

    def run(self, request: SandboxRequest) -> SandboxResult:
        _check_request(request)
        with tempfile.TemporaryDirectory(prefix="provenance-unsafe-") as tmp:
            mapping = [(b.target, str(b.source.resolve())) for b in request.ro_binds] + [("/tmp", tmp)]
            mapping.sort(key=lambda pair: len(pair[0]), reverse=True)

            def host(path: str) -> str:
                for target, source in mapping:
                    if path == target or path.startswith(target.rstrip("/") + "/"):
                        return source + path[len(target.rstrip("/")) :]
                return path

            env = {key: host(value) for key, value in {**DEFAULT_ENV, **request.env}.items()}
            env["PATH"] = os.environ.get("PATH", DEFAULT_ENV["PATH"])
            argv = [host(arg) for arg in request.argv]
            returncode, stdout, stderr, timed_out, truncated, seconds, cap = _run_process(
                argv, request, env=env, cwd=host(request.cwd)
            )
        return SandboxResult(returncode, stdout, stderr, timed_out, truncated, False, UNSAFE_HOST_RUNNER,
                             seconds, cap)


def choose_sandbox(*, unsafe_no_sandbox: bool) -> tuple[Sandbox, str]:
    """The sandbox for repro runs and the name verdicts record for it.

    Bubblewrap (named by its version; :class:`ToolMissing`, exit 3, when it is
    absent), or with ``unsafe_no_sandbox`` the :class:`HostRunner`, named
    :data:`UNSAFE_HOST_RUNNER`.
    """
    if unsafe_no_sandbox:
        return HostRunner(), UNSAFE_HOST_RUNNER
    bwrap = BubblewrapSandbox()
    return bwrap, bwrap.version()
