"""`provenance repro run` end to end: real scripts, real bubblewrap, real claim files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provenance.schemas import validate

REPO = Path(__file__).resolve().parents[2]
needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")

CLAIMS = {
    "claims": [
        {"id": "c2", "text": "mean gain", "check": {"formula": "mean(nq, tqa, wq)", "inputs": {"nq": "11.2", "tqa": "9.8", "wq": "6.1"}, "expected": "9.03", "precision": 2}},
        {"id": "c9", "text": "unrelated", "check": {"formula": "a", "inputs": {"a": "1"}, "expected": "1", "precision": 0}},
    ]
}


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "250", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "provenance", *args], capture_output=True, text=True, cwd=REPO, timeout=120, check=False, env=full_env
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples" / "repro", tmp_path / "repro")
    (tmp_path / "claims.json").write_text(json.dumps(CLAIMS), encoding="utf-8")
    return tmp_path


def verdicts_of(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    doc = json.loads(proc.stdout)
    for v in doc["verdicts"]:
        assert validate(v, "verdict-v1") == [], v
    return {v["claim_id"]: v for v in doc["verdicts"]}


@pytest.mark.bwrap
@needs_bwrap
def test_repro_feeds_claims_with_reproduced_scope(workdir: Path) -> None:
    script = workdir / "repro" / "rag_gains.py"
    proc = run("repro", "run", str(script), "--data", str(workdir / "repro" / "data"), "--claims", str(workdir / "claims.json"), "--json")
    assert proc.returncode == 0, proc.stderr
    verdicts = verdicts_of(proc)
    assert set(verdicts) == {"c2"}  # c9 is not fed by the script
    v = verdicts["c2"]
    assert (v["status"], v["method"], v["scope"]) == ("verified", "sandbox", "reproduced")
    assert v["sandbox"]["sealed"] is True and v["sandbox"]["unsafe_no_sandbox"] is False
    assert v["sandbox"]["script_sha256"] == hashlib.sha256(script.read_bytes()).hexdigest()
    assert v["sandbox"]["data_sha256"] and v["sandbox"]["outputs_sha256"]
    assert {a["role"] for a in v["artifacts"]} == {"script", "data", "outputs"}
    assert v["reproduced_inputs"]["nq"] == {"stated": "11.2", "reproduced": "11.2"}
    human = run("repro", "run", str(script), "--data", str(workdir / "repro" / "data"), "--claims", str(workdir / "claims.json"))
    assert human.returncode == 0 and "sealed (bubblewrap)" in human.stdout and "verified" in human.stdout


@pytest.mark.bwrap
@needs_bwrap
def test_changed_data_falsifies_the_claim(workdir: Path) -> None:
    csv = workdir / "repro" / "data" / "exact_match.csv"
    csv.write_text(csv.read_text().replace("44.4", "46.4"), encoding="utf-8")
    proc = run("repro", "run", str(workdir / "repro" / "rag_gains.py"), "--data", str(workdir / "repro" / "data"), "--claims", str(workdir / "claims.json"), "--json")
    assert proc.returncode == 1
    v = verdicts_of(proc)["c2"]
    assert v["status"] == "falsified" and v["scope"] == "reproduced"
    assert "nq=13.2 (stated 11.2)" in v["reason"]


@pytest.mark.bwrap
@needs_bwrap
@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("import json; print(json.dumps({'nq': 11.2}))", "write it as a decimal string"),
        ("import json; print(json.dumps({'nq': '1e3'}))", "not a decimal string"),
        ("import json; print(json.dumps([1]))", "one JSON object"),
        ("print('not json')", "invalid JSON"),
        ("import sys; sys.exit(4)", "exited with status 4"),
        ("while True: pass", "timed out"),
        ("x = bytearray(10 * 1024 ** 3)", "out of memory"),
        ("import socket; socket.create_connection(('127.0.0.1', 9), timeout=2)", "exited with status 1"),
    ],
)
def test_failed_runs_are_error_verdicts(workdir: Path, code: str, fragment: str) -> None:
    script = workdir / "bad.py"
    script.write_text(code, encoding="utf-8")
    proc = run("repro", "run", str(script), "--claims", str(workdir / "claims.json"), "--timeout", "2", "--memory", "256", "--json")
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["run"]["ok"] is False and fragment in doc["run"]["error"]
    verdicts = verdicts_of(proc)
    assert verdicts and all(v["status"] == "error" and v["method"] == "sandbox" for v in verdicts.values())


def test_without_bubblewrap_exit_3_with_install_hint(workdir: Path) -> None:
    proc = run("repro", "run", str(workdir / "repro" / "rag_gains.py"), env={"PATH": "/nonexistent"})
    assert proc.returncode == 3
    assert "apt-get install bubblewrap" in proc.stderr and proc.stderr.count("\n") == 1


def test_unsafe_no_sandbox_runs_and_is_recorded(workdir: Path) -> None:
    proc = run(
        "repro", "run", str(workdir / "repro" / "rag_gains.py"), "--data", str(workdir / "repro" / "data"),
        "--claims", str(workdir / "claims.json"), "--json", "--unsafe-no-sandbox", env={"PATH": "/nonexistent"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "without isolation" in proc.stderr
    v = verdicts_of(proc)["c2"]
    assert v["status"] == "verified" and v["sandbox"]["sealed"] is False and v["sandbox"]["unsafe_no_sandbox"] is True
    assert "UNSAFE" in v["reason"]


def test_bad_arguments_exit_2(workdir: Path) -> None:
    assert run("repro", "run", str(workdir / "missing.py"), "--unsafe-no-sandbox").returncode == 2
    assert run("repro", "run", str(workdir / "repro" / "rag_gains.py"), "--data", str(workdir / "nodata"), "--unsafe-no-sandbox").returncode == 2
