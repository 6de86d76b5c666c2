"""`provenance claims locate SOURCE... --claims FILE` as a user runs it: real subprocesses, real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sources_env import ground

REPO = Path(__file__).resolve().parents[2]
CLAIMS = {
    "claims": [
        {"id": "c1", "text": "t", "check": {"formula": "mean", "inputs": {"squad": "8.2", "mnli": "7.5", "gone": "42.42"}, "expected": "7.85", "precision": 2}}
    ]
}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250"}
    return subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True, cwd=cwd, timeout=120, check=False, env=env)


def _workdir(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "examples" / "sources", tmp_path / "sources")
    (tmp_path / "claims.json").write_text(json.dumps(CLAIMS), encoding="utf-8")
    return tmp_path


def test_locate_json_lists_places_that_ground_back(tmp_path: Path) -> None:
    work = _workdir(tmp_path)
    sources = sorted(str(p.relative_to(work)) for p in (work / "sources").iterdir())
    proc = run("claims", "locate", *sources, "--claims", "claims.json", "--json", cwd=work)
    assert proc.returncode == 0, proc.stderr
    inputs = json.loads(proc.stdout)["inputs"]
    assert [(i["input"], i["count"]) for i in inputs] == [("squad", 3), ("mnli", 3), ("gone", 0)]
    assert all(i["confirmed"] is False for i in inputs)
    for item in inputs[:2]:
        assert {loc["form"] for loc in item["locations"]} == {"csv", "markdown", "pdf"}
        for loc in item["locations"]:
            data = (work / loc["file"]).read_bytes()
            assert ground(loc["file"], data, loc["locator"], item["value"]).status == "found"


def test_locate_table_says_the_places_are_unconfirmed(tmp_path: Path) -> None:
    work = _workdir(tmp_path)
    proc = run("claims", "locate", "sources/results.csv", "--claims", "claims.json", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert 'sources/results.csv {"row": "SQuAD", "column": "gain"}' in proc.stdout
    assert "unconfirmed" in proc.stdout and "Confirm each span" in proc.stdout


def test_locate_refuses_a_missing_or_hostile_source_in_one_line(tmp_path: Path) -> None:
    work = _workdir(tmp_path)
    missing = run("claims", "locate", "sources/nope.csv", "--claims", "claims.json", cwd=work)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    (work / "bad.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 8)
    hostile = run("claims", "locate", "bad.pdf", "--claims", "claims.json", cwd=work)
    assert hostile.returncode == 2
    assert len(hostile.stderr.strip().splitlines()) == 1 and "bad.pdf" in hostile.stderr and "Traceback" not in hostile.stderr
