"""Every command in the README runs as written (issue 15 item 2).

The README's ```sh blocks are run in order, each line by bash exactly as a user
would paste it, in a temporary directory holding the demo's inputs under the
names the README uses. A trailing ``# exits N`` comment states a non-zero exit
the README itself announces; every other line must exit 0. Blocks fenced
```shell are shown, never run (``make``, real Zenodo).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
_EXITS = re.compile(r"#\s*exits (\d+)")


def readme_commands(text: str) -> list[tuple[str, int]]:
    """(command line, expected exit code) of every ```sh block, continuation lines joined."""
    out: list[tuple[str, int]] = []
    for block in _BLOCK.findall(text):
        logical = ""
        for raw in block.splitlines():
            logical += raw.strip()
            if logical.endswith("\\"):
                logical = logical[:-1].rstrip() + " "
                continue
            line, logical = logical.strip(), ""
            if line and not line.startswith("#"):
                found = _EXITS.search(line)
                out.append((line, int(found.group(1)) if found else 0))
    return out


def test_the_readme_has_runnable_blocks_for_every_user() -> None:
    commands = [c for c, _ in readme_commands((REPO / "README.md").read_text(encoding="utf-8"))]
    for needed in ("provenance keys generate", "provenance trust init", "provenance ingest", "provenance bundle build",
                   "provenance deposit", "provenance verify", "provenance report", "provenance correct append",
                   "_PROVENANCE_COMPLETE=bash_source provenance"):
        assert any(c.startswith(needed) for c in commands), needed
    # the documented paths of issue 14 item 1 (artifacts) and issue 15 item 3 (the corrected version)
    for needed in ("--include results.csv", "correct append bundle ", "--supersedes bundle ", "deposit bundle-v2.zip",
                   "verify bundle-v2.zip"):
        assert any(needed in c for c in commands), needed


def test_continuations_and_exit_notes_are_read() -> None:
    text = "x\n```sh\nprovenance a \\\n    --b c   # exits 1: why\n# a comment\n\nprovenance d\n```\n```shell\nmake x\n```\n"
    assert readme_commands(text) == [("provenance a --b c   # exits 1: why", 1), ("provenance d", 0)]


@pytest.mark.slow
def test_every_readme_command_runs_as_written(tmp_path: Path) -> None:
    examples = REPO / "examples"
    shutil.copy(examples / "rag-benchmark-paper.txt", tmp_path / "record.txt")
    shutil.copy(examples / "rag-benchmark.checks.json", tmp_path / "checks.json")
    shutil.copy(examples / "rag-benchmark-results.csv", tmp_path / "results.csv")
    shutil.copy(examples / "corrected" / "rag-benchmark-paper.txt", tmp_path / "record-v2.txt")
    shutil.copy(examples / "corrected" / "rag-benchmark.checks.json", tmp_path / "checks-v2.json")
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "provenance").is_file(), "the console script is installed beside this Python"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "PROVENANCE_KEY_PASSPHRASE": "readme passphrase"}
    env.pop("SOURCE_DATE_EPOCH", None)
    commands = readme_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert len(commands) >= 20
    for line, expected in commands:
        proc = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == expected, f"$ {line}\nexit {proc.returncode}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    assert (tmp_path / "report.html").is_file() and (tmp_path / "proof.json").is_file()
    assert "_provenance_completion" in (tmp_path / "provenance-complete.bash").read_text()
    assert (tmp_path / "bundle.corrections.jsonl").is_file()
    corrected = subprocess.run(["provenance", "verify", "bundle-v2.zip", "--trust", "trust-root.json", "--json"],
                               cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    report = json.loads(corrected.stdout)
    assert report["record_status"] == "CORRECTED" and report["record_id"] == json.loads(
        (tmp_path / "manifest.json").read_text())["record_id"]
    assert [a["name"] for a in report["artifacts"]] == ["results.csv"]
