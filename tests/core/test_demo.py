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


@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel_outside_the_checkout(repo_dir: Path, tmp_path: Path) -> None:
    """Regression (issue 12 item 6): the demo read examples/ through the checkout's path."""
    wheel = _build_wheel(repo_dir, tmp_path / "dist")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        assert "provenance/examples/rag-benchmark.checks.json" in z.namelist()
        z.extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import provenance; print(provenance.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True)
    assert where.stdout.strip() == str(site / "provenance" / "__init__.py")
    proc = subprocess.run([sys.executable, "-m", "provenance", "demo", "--workdir", "out"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "demo complete" in proc.stdout
    assert (elsewhere / "out" / "trust-state.json").is_file()  # the demo keeps its own trust state
