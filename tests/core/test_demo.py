"""``provenance demo`` runs from an installed package, not only from a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest


def _build_wheel(repo: Path, out: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                    str(repo)], check=True, capture_output=True, timeout=600)
    [wheel] = out.glob("provenance_archive-*.whl")
    return wheel


def _path_without(tmp_path: Path, hidden: str) -> str:
    """A PATH of one directory linking every command on PATH except ``hidden``."""
    shadow = tmp_path / "bin"
    shadow.mkdir()
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(directory):
            continue
        for entry in os.scandir(directory):
            target = shadow / entry.name
            if entry.name != hidden and not target.exists() and os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    return str(shadow)


@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel_without_bubblewrap(repo_dir: Path, tmp_path: Path) -> None:
    """Regressions: the demo read examples/ through the checkout's path (issue 12 item 6); without
    bubblewrap it exited 3 at "Build and sign bundle version 1" (issue 15 item 1)."""
    wheel = _build_wheel(repo_dir, tmp_path / "dist")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        assert "provenance/examples/rag-benchmark.checks.json" in z.namelist()
        z.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "PATH": _path_without(tmp_path, "bwrap")}
    where = subprocess.run([sys.executable, "-c", "import provenance; print(provenance.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True)
    assert where.stdout.strip() == str(site / "provenance" / "__init__.py")
    proc = subprocess.run([sys.executable, "-m", "provenance", "demo", "--workdir", "out"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "demo complete" in proc.stdout
    assert "skipped: sealed repro runs" in proc.stdout and "bubblewrap is not installed" in proc.stdout
    # issue 15 item 3: version 2 by exactly the documented path, no hand-edited manifest
    for step in ("$ provenance correct append bundle-v1 ", "examples/corrected/rag-benchmark-paper.txt --checks ",
                 "--supersedes bundle-v1 ", "$ provenance deposit bundle-v2.zip "):
        assert step in proc.stdout, step
    assert "record status CORRECTED" in proc.stdout and "(a new version of the same concept DOI)" in proc.stdout
    assert not (elsewhere / "out" / "corrections.jsonl").exists()
    # issue 14 item 1: the bundles carry an artifact of their own; verify lists it
    assert "--include results.csv=" in proc.stdout and "artifact 'results.csv'" in proc.stdout
    assert "= the md5 bundle build printed" in proc.stdout  # the deposited zip is the built one (issue 14 item 3)
    assert "What it made, in out/" in proc.stdout and "bundle-v2.zip" in proc.stdout.split("What it made")[1]
    assert '"bundle_id"' in proc.stdout  # the "... as JSON" steps show an excerpt (issue 15 item 10)
    assert (elsewhere / "out" / "trust-state.json").is_file()  # the demo keeps its own trust state
    # issue 13 item 11: one unsigned zip header bit flipped is FAILED, not VERIFIED
    hostile = proc.stdout.split("one bit of a zip header's timestamp flipped")[1]
    assert "flipped-v1.zip" in hostile and "(exit 1, " in hostile.split("old trust root")[0]
