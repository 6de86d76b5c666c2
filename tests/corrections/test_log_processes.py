"""Real processes: concurrent appends are serialised, and kill -9 never loses a committed entry."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from correction_env import Env

from provenance.corrections.store import read_log
from provenance.corrections.verify import verify_log

WORKER = Path(__file__).parent / "append_worker.py"


def _spawn(env: Env, count: int, tag: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(env.dir), str(env.log), str(count), tag],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.slow
def test_four_processes_times_250_appends_give_1000_chained_entries(env: Env) -> None:
    workers = [_spawn(env, 250, f"w{i}") for i in range(4)]
    committed: dict[int, str] = {}
    for proc in workers:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        for line in out.splitlines():
            _, seq, sha = line.split()
            assert int(seq) not in committed, f"seq {seq} committed twice"
            committed[int(seq)] = sha
    assert sorted(committed) == list(range(1000))
    files = read_log(env.log)
    report = verify_log(files.entries, files.checkpoint, trust=env.trust)
    assert report.ok, report.findings[:5]
    assert not report.findings
    assert report.size == 1000 and report.checkpoint is not None and report.checkpoint.size == 1000
    lines = files.entries.split(b"\n")[:-1]
    assert all(hashlib.sha256(lines[s]).hexdigest() == sha for s, sha in committed.items())
    # Each worker's own appends stay in its own order.
    for tag in ("w0", "w1", "w2", "w3"):
        mine = [int(h.what_was_wrong.split("#")[1]) for h in report.status.history if h.what_was_wrong.startswith(tag + " ")]
        assert mine == list(range(250))


def _parse(out: str) -> dict[int, str]:
    found: dict[int, str] = {}
    for line in out.splitlines():
        word, seq, sha = line.split()
        assert word == "committed"
        found[int(seq)] = sha
    return found


@pytest.mark.slow
def test_kill_9_at_random_moments_never_loses_a_committed_entry(env: Env) -> None:
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    committed: dict[int, str] = {}
    for round_no in range(8):
        procs = [_spawn(env, 0, f"r{round_no}p{k}") for k in range(2)]
        stdout = procs[0].stdout
        assert stdout is not None
        # Let them commit a few entries, then kill -9 both at a random moment (often mid-append).
        early = "".join(stdout.readline() for _ in range(rng.randint(1, 5)))
        time.sleep(rng.uniform(0, 0.03))
        for proc in procs:
            proc.send_signal(signal.SIGKILL)
        outputs = []
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            assert proc.returncode == -signal.SIGKILL
            outputs.append(out)
        reported = {**_parse(early + outputs[0]), **_parse(outputs[1])}
        assert reported, "no append committed before the kill"
        for seq, sha in reported.items():
            assert committed.get(seq, sha) == sha, f"seq {seq} committed twice with different bytes"
        committed.update(reported)
        # Every entry ever reported as committed is still in the log, byte for byte.
        files = read_log(env.log)
        lines = files.entries.split(b"\n")
        for seq, sha in committed.items():
            assert hashlib.sha256(lines[seq]).hexdigest() == sha, f"committed entry {seq} lost or changed"
        report = verify_log(files.entries, files.checkpoint, trust=env.trust)
        assert report.ok, [str(f) for f in report.errors]
        assert {f.code for f in report.findings} <= {"torn-tail", "uncheckpointed"}
    # The next append after the last kill repairs whatever the crash left.
    env.append(claims=("after-crash",))
    files = read_log(env.log)
    report = verify_log(files.entries, files.checkpoint, trust=env.trust)
    assert report.ok and not report.findings
    assert report.size > max(committed)
    lines = files.entries.split(b"\n")
    assert all(hashlib.sha256(lines[s]).hexdigest() == sha for s, sha in committed.items())


@pytest.mark.slow
def test_verify_while_another_process_appends_sees_consistent_snapshots(env: Env) -> None:
    env.append(claims=("seed",))
    writer = _spawn(env, 80, "w")
    checks = 0
    while writer.poll() is None or checks == 0:
        files = read_log(env.log)
        report = verify_log(files.entries, files.checkpoint, trust=env.trust)
        assert report.ok, [str(f) for f in report.errors]
        assert {f.code for f in report.findings} <= {"uncheckpointed"}
        checks += 1
    assert writer.returncode == 0
    files = read_log(env.log)
    assert verify_log(files.entries, files.checkpoint, trust=env.trust).size == 81
