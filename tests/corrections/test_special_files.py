"""A FIFO or a device named as a correction log or a checkpoint is refused at once (issue 13 item 4).

Before, ``correct verify FIFO`` waited forever for a writer, ``correct append``
opened a FIFO read-write and blocked on reading it, and every checkpoint
option (``--checkpoint``, ``--since``, ``--state``, ``--from-checkpoint``, the
``LOG.checkpoint`` beside a log) was read with ``read_bytes()``: a FIFO
blocked and ``/dev/zero`` read until memory ran out. Each case here is judged
in seconds with one line and exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from correction_env import Env

from provenance.corrections.store import checkpoint_path
from provenance.errors import InputError

SECONDS = 30  # generous on a loaded machine; the old code never returned at all


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provenance", *map(str, args)], capture_output=True, text=True,
                          timeout=SECONDS, stdin=subprocess.DEVNULL)


def refused(proc: subprocess.CompletedProcess[str], kind: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), proc.stderr
    assert kind in proc.stderr and "not a regular file" in proc.stderr


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.jsonl"
    os.mkfifo(path)
    return path


@pytest.fixture
def zero(tmp_path: Path) -> Path:
    link = tmp_path / "zero.jsonl"
    link.symlink_to("/dev/zero")
    return link


@pytest.mark.parametrize("command", [("correct", "verify"), ("correct", "show"), ("correct", "prove")])
def test_a_fifo_given_as_the_log_is_refused_without_waiting_for_a_writer(fifo: Path, command: tuple[str, str]) -> None:
    extra = ("0",) if command[1] == "prove" else ()
    refused(run(*command, fifo, *extra), "FIFO")


def test_a_device_given_as_the_log_is_refused_unread(zero: Path) -> None:
    refused(run("correct", "verify", zero), "character device")


@pytest.mark.parametrize("target", ["fifo", "zero"])
def test_append_to_a_fifo_or_device_is_refused_and_writes_nothing(env: Env, request: pytest.FixtureRequest,
                                                                   target: str) -> None:
    path: Path = request.getfixturevalue(target)
    proc = run("correct", "append", path, "--type", "correction", "--reason", "the mean used the wrong denominator",
               "--key", env.corrector_path, "--log-key", env.log_key_path, "--trust", env.trust_path,
               "--record-id", "R1", "--claim", "c1")
    refused(proc, "FIFO" if target == "fifo" else "character device")
    assert not checkpoint_path(path).exists()


@pytest.mark.parametrize("option", ["--checkpoint", "--since", "--state"])
@pytest.mark.parametrize("special", ["fifo", "zero"])
def test_a_fifo_or_device_given_as_a_checkpoint_is_refused(env: Env, request: pytest.FixtureRequest, option: str,
                                                           special: str) -> None:
    env.append(claims=("c1",))
    path: Path = request.getfixturevalue(special)
    refused(run("correct", "verify", env.log, option, path, "--trust", env.trust_path),
            "FIFO" if special == "fifo" else "character device")


def test_a_fifo_as_the_checkpoint_beside_the_log_is_refused(env: Env) -> None:
    env.append(claims=("c1",))
    checkpoint_path(env.log).unlink()
    os.mkfifo(checkpoint_path(env.log))
    refused(run("correct", "verify", env.log), "FIFO")
    with pytest.raises(InputError, match="FIFO"):
        env.append(claims=("c2",))


def test_prove_from_a_device_checkpoint_is_refused(env: Env, zero: Path) -> None:
    env.append(claims=("c1",))
    refused(run("correct", "prove", env.log, "--from-checkpoint", zero), "character device")
