"""Running ``lean --json`` on generated files: the one-method :class:`LeanRunner` and its real shells.

``find_lean()`` resolves the toolchain: ``lean`` on ``PATH`` is usually elan's
proxy, which may download a toolchain named by a ``lean-toolchain`` file, so
we ask it once for ``--print-prefix`` (from a neutral directory) and then run
``<prefix>/bin/lean`` itself. Each file gets its own process with a
wall-clock timeout (the process group is killed on expiry). When bubblewrap
works, ``lean`` runs in :class:`provenance.sandbox.BubblewrapSandbox`: no
network, the toolchain and the project mounted read-only, a private ``/tmp``,
nothing of the host's home, and time and memory limits.

There is no stand-in: without a real ``lean`` every caller reports "Lean not run".
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from provenance.errors import ProvenanceError, ToolMissing
from provenance.lean.messages import RunFacts
from provenance.sandbox.runner import Bind, BubblewrapSandbox, Sandbox, SandboxRequest

NOT_RUN = "Lean not run: "
_ELAN = " (install with elan)"
NO_LEAN = f"{NOT_RUN}lean not found on PATH{_ELAN}"
INSTALL_HINT = "install Lean 4 with elan (https://github.com/leanprover/elan), then make sure `lean` is on PATH"
_VERSION = re.compile(r"version (?P<v>[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.]+)?)", re.ASCII)
MAX_OUTPUT = 64 * 1024 * 1024
LEAN_MEMORY_MB = 8192
MIN_VERSION = (4, 9)
"""Oldest Lean the templates target (``lean --json`` exists from 4.8; see reference/lean-claims.md §6)."""


@dataclass(frozen=True, slots=True)
class Toolchain:
    """A resolved Lean toolchain: the real ``lean`` binary, its prefix and its version line."""

    lean: Path
    prefix: Path
    version: str  # "4.19.0"
    version_line: str  # "Lean (version 4.19.0, x86_64-unknown-linux-gnu, commit …, Release)"


@dataclass(frozen=True, slots=True)
class LeanRequest:
    """Check ``file`` (relative to ``project``) with a wall-clock ``timeout`` in seconds."""

    project: Path
    file: str
    timeout: float


class LeanRunner(Protocol):
    """Runs ``lean --json`` on one file of a project and reports what happened."""

    def run(self, request: LeanRequest) -> RunFacts: ...


def _quiet_run(argv: Sequence[str], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        env=_clean_env(os.environ),
    )


def _clean_env(env: Mapping[str, str]) -> dict[str, str]:
    keep = ("PATH", "HOME", "ELAN_HOME", "LANG", "LC_ALL", "TMPDIR")
    out = {k: env[k] for k in keep if k in env}
    out.setdefault("LANG", "C.UTF-8")
    return out


def find_lean(path: str | None = None) -> Toolchain | None:
    """The toolchain behind ``lean`` on ``PATH`` (or ``path``), or ``None`` when there is none that runs."""
    return locate_lean(path)[0]


def locate_lean(path: str | None = None) -> tuple[Toolchain | None, str]:
    """The toolchain, or ``None`` and why: :data:`NO_LEAN` when absent, else what failed when it does not run."""
    exe = shutil.which("lean", path=path)
    if exe is None:
        return None, NO_LEAN
    neutral = Path(tempfile.gettempdir())
    try:
        prefix_out = _quiet_run([exe, "--print-prefix"], cwd=neutral, timeout=60)
        if prefix_out.returncode != 0 or not prefix_out.stdout.strip():
            return None, _broken(exe, "--print-prefix", prefix_out.stderr)
        prefix = Path(prefix_out.stdout.strip().splitlines()[-1])
        real = prefix / "bin" / "lean"
        if not real.is_file():
            real = Path(exe)
        version_out = _quiet_run([str(real), "--version"], cwd=neutral, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, _broken(exe, "--print-prefix", str(exc))
    line = version_out.stdout.strip().splitlines()[0] if version_out.stdout.strip() else ""
    match = _VERSION.search(line)
    if version_out.returncode != 0 or match is None:
        return None, _broken(str(real), "--version", version_out.stderr or line)
    version = match.group("v")
    major, minor = (int(part) for part in version.split(".")[:2])
    if (major, minor) < MIN_VERSION:
        return None, (f"Lean not run: lean {version} is older than {MIN_VERSION[0]}.{MIN_VERSION[1]} "
                      "(the templates and lean --json need it); run `elan default leanprover/lean4:stable`")
    return Toolchain(real, prefix, version, line), ""


def missing_lean(why: str, *, remedy_suffix: str = "") -> ToolMissing:
    """The error (exit 3) for a toolchain :func:`locate_lean` could not give, saying why once and how to install once."""
    reason = why.removeprefix(NOT_RUN).removesuffix(_ELAN)
    return ToolMissing(f"{reason}{remedy_suffix}; Lean not run", remedy=INSTALL_HINT)


def _broken(exe: str, option: str, detail: str) -> str:
    first = " ".join(detail.split())[:200] or "no message"
    return f"Lean not run: `{exe} {option}` failed ({first}); check the elan toolchain (elan show)"


def require_lean(path: str | None = None) -> Toolchain:
    """:func:`find_lean` or :class:`ToolMissing` (exit 3) naming elan."""
    toolchain = find_lean(path)
    if toolchain is None:
        raise ToolMissing("lean not found on PATH", remedy=INSTALL_HINT)
    return toolchain


def bubblewrap_sandbox() -> Sandbox | None:
    """The sealed sandbox of :mod:`provenance.sandbox` when bubblewrap exists and works here, else ``None``."""
    if shutil.which("bwrap") is None:
        return None
    try:
        sandbox = BubblewrapSandbox()
        probe = sandbox.run(SandboxRequest(argv=("/usr/bin/true",), timeout=30))
    except ProvenanceError:
        return None
    return sandbox if probe.ok else None


def sandbox_request(toolchain: Toolchain, request: LeanRequest) -> SandboxRequest:
    """``lean --json FILE`` sealed: toolchain and project read-only (the project at ``/work``), no network."""
    prefix = toolchain.prefix.resolve()
    binds = [Bind(prefix, str(prefix))]
    lean = toolchain.lean.resolve()
    if not lean.is_relative_to(prefix):
        binds.append(Bind(lean, str(lean)))
    return SandboxRequest(
        argv=(str(lean), "--json", request.file),
        ro_binds=(*binds, Bind(request.project.resolve(), "/work")),
        cwd="/work",
        timeout=request.timeout,
        memory_mb=LEAN_MEMORY_MB,
        max_output_bytes=MAX_OUTPUT,
    )


class SandboxedLeanRunner:
    """Runs the real ``lean --json`` inside a :class:`provenance.sandbox.Sandbox`."""

    def __init__(self, toolchain: Toolchain, sandbox: Sandbox) -> None:
        self.toolchain = toolchain
        self.sandbox = sandbox

    def run(self, request: LeanRequest) -> RunFacts:
        result = self.sandbox.run(sandbox_request(self.toolchain, request))
        stdout = result.stdout.decode("utf-8", "replace")
        stderr = result.stderr.decode("utf-8", "replace")
        if result.output_truncated:
            stderr += f"\n(output cut at {MAX_OUTPUT} bytes)"
        return RunFacts(None if result.timed_out else result.returncode, stdout, stderr, result.timed_out)


class SubprocessLeanRunner:
    """Runs the real ``lean --json`` directly (where bubblewrap is unavailable); the files are template-only."""

    def __init__(self, toolchain: Toolchain) -> None:
        self.toolchain = toolchain

    def argv(self, request: LeanRequest) -> tuple[list[str], Path]:
        """The command line and working directory for ``request``."""
        return [str(self.toolchain.lean), "--json", request.file], request.project

    def run(self, request: LeanRequest) -> RunFacts:
        argv, cwd = self.argv(request)
        process = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, start_new_session=True, env=_clean_env(os.environ),
        )
        try:
            stdout, stderr = process.communicate(timeout=request.timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.communicate()
            return RunFacts(None, "", "", True)
        return RunFacts(process.returncode, stdout[:MAX_OUTPUT], stderr[:MAX_OUTPUT], False)


def run_many(
    runner: LeanRunner,
    requests: Sequence[LeanRequest],
    *,
    jobs: int,
    on_done: Callable[[LeanRequest, RunFacts], None] | None = None,
) -> list[RunFacts]:
    """Run ``requests`` with at most ``jobs`` in parallel; results in request order.

    ``on_done`` is called (from the calling thread) as each file finishes, e.g. to advance a progress bar.
    """
    jobs = max(1, jobs)
    results: dict[int, RunFacts] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(runner.run, request): index for index, request in enumerate(requests)}
        for future in as_completed(futures):
            index = futures[future]
            results[index] = future.result()
            if on_done is not None:
                on_done(requests[index], results[index])
    return [results[i] for i in range(len(requests))]
