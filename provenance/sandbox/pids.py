"""A cap on how many processes (tasks) a sandboxed command may have at once.

A fork bomb in a repro script must not take the machine down for the length of
its timeout. Two mechanisms, best first:

* a pids cgroup (``pids.max``) made for this one run, where this process may
  create one (cgroup v1 ``/sys/fs/cgroup/pids``, or a cgroup v2 hierarchy whose
  root delegates ``pids``). The command joins it before it execs, through
  ``/bin/sh -c 'echo $$ > "$0" && exec "$@"'`` (fixed text; the argv is passed as
  arguments, never spliced in). Works for root too.
* ``RLIMIT_NPROC`` for a non-root caller. The kernel counts every task of the
  real uid, so the limit is what the uid runs now plus the cap (a race with the
  rest of the user's session is possible; the cgroup has none). Root is exempt
  from ``RLIMIT_NPROC``, so it gets no cap from this.

:func:`open_cap` returns a :class:`ProcessCap` that says which one applied, or
that none could, in its ``describe`` line; the run's result carries that line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
JOIN_SCRIPT = 'echo $$ > "$0" && exec "$@"'
NOT_ASKED = "none: not asked"


@dataclass(frozen=True)
class ProcessCap:
    """How the cap is applied: a cgroup to join, an ``RLIMIT_NPROC`` value, or nothing."""

    limit: int
    cgroup: Path | None = None
    nproc: int | None = None

    @property
    def describe(self) -> str:
        if self.cgroup is not None:
            return f"cgroup pids.max={self.limit}"
        if self.nproc is not None:
            # No absolute number: it varies from run to run and the line goes into verdicts.
            return f"RLIMIT_NPROC: the uid's tasks at start + {self.limit}"
        return "none: running as root without a writable pids cgroup, or no /proc to count tasks in"

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` made to join the cgroup before it execs (unchanged without one)."""
        if self.cgroup is None:
            return argv
        return ["/bin/sh", "-c", JOIN_SCRIPT, str(self.cgroup / "cgroup.procs"), *argv]

    def close(self) -> None:
        """Kill whatever is left in the cgroup and remove it."""
        if self.cgroup is None:
            return
        procs = self.cgroup / "cgroup.procs"
        deadline = time.monotonic() + 10
        while True:
            try:
                pids = [int(p) for p in procs.read_text().split()]
            except OSError:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.cgroup.rmdir()
                return
            except OSError:
                if time.monotonic() > deadline:
                    return  # left for the system to reap; an empty cgroup costs nothing
                time.sleep(0.01)


def _pids_hierarchies() -> list[Path]:
    """Directories where a child cgroup gets its own ``pids.max``."""
    found = []
    v1 = CGROUP_ROOT / "pids"
    if (v1 / "cgroup.procs").exists():
        found.append(v1)
    try:
        if "pids" in (CGROUP_ROOT / "cgroup.subtree_control").read_text().split():
            found.append(CGROUP_ROOT)
    except OSError:
        pass
    return found


# Per hierarchy: can a process of ours join a cgroup made there? (Asked once per process:
# a container may let us mkdir a cgroup yet refuse the move, which would fail every run.)
_JOINABLE: dict[Path, bool] = {}


def _joinable(hierarchy: Path, group: Path) -> bool:
    if hierarchy not in _JOINABLE:
        try:
            probe = subprocess.run(ProcessCap(1, cgroup=group).wrap(["/bin/true"]), capture_output=True, timeout=30,
                                   check=False)
            _JOINABLE[hierarchy] = probe.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _JOINABLE[hierarchy] = False
    return _JOINABLE[hierarchy]


def _make_cgroup(limit: int) -> Path | None:
    for hierarchy in _pids_hierarchies():
        if _JOINABLE.get(hierarchy) is False:
            continue
        group = hierarchy / f"provenance-sandbox-{uuid.uuid4().hex}"
        try:
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(limit))
            if _joinable(hierarchy, group):
                return group
        except OSError:
            pass
        with contextlib.suppress(OSError):
            group.rmdir()
    return None


def tasks_of_uid(uid: int) -> int | None:
    """How many tasks (threads included, as ``RLIMIT_NPROC`` counts them) run under real uid ``uid``.

    ``None`` without a Linux ``/proc`` to count them in.
    """
    total = 0
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "status").read_text()
        except OSError:
            continue
        real_uid = threads = None
        for line in text.splitlines():
            if line.startswith("Uid:"):
                real_uid = int(line.split()[1])
            elif line.startswith("Threads:"):
                threads = int(line.split()[1])
        if real_uid == uid and threads is not None:
            total += threads
    return total


def open_cap(limit: int | None) -> ProcessCap | None:
    """Set up the cap for one run (``None``: no cap asked). Call :meth:`ProcessCap.close` after the run."""
    if limit is None:
        return None
    group = _make_cgroup(limit)
    if group is not None:
        return ProcessCap(limit, cgroup=group)
    uid = os.getuid()
    tasks = tasks_of_uid(uid) if uid != 0 else None
    if tasks is not None:
        return ProcessCap(limit, nproc=tasks + limit)
    return ProcessCap(limit)
