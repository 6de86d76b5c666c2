"""Bad input: one clear line, exit 2, nothing written, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROVENANCE = [sys.executable, "-m", "provenance"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROVENANCE, *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"Abstract\nSome text.\n", "no title"),
        (b"\xff\xfe\xfd not utf8", "not UTF-8"),
        (b"Just a title\nand some words that are not a record\n", "no known section"),
    ],
    ids=["empty", "binary", "no-title", "not-utf8", "not-a-record"],
)
def test_bad_record_one_line_exit_2_nothing_written(tmp_path: Path, content: bytes, expected: str) -> None:
    src = tmp_path / "record.txt"
    src.write_bytes(content)
    out = tmp_path / "out.json"
    result = _run("ingest", str(src), "-o", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0] and str(src) in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_missing_file(tmp_path: Path) -> None:
    result = _run("ingest", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    assert "no such file" in result.stderr and result.stderr.count("\n") == 1


def test_fifty_megabytes_of_junk_refused_without_reading_it(tmp_path: Path) -> None:
    src = tmp_path / "junk.txt"
    with src.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: cheap to make
    result = _run("ingest", str(src))
    assert result.returncode == 2
    assert "over the" in result.stderr and "limit" in result.stderr


def test_verbose_shows_traceback(tmp_path: Path) -> None:
    result = _run("--verbose", "ingest", str(tmp_path / "nope.txt"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


def test_ingest_to_stdout_is_valid_manifest(seeds_dir: Path, tmp_path: Path) -> None:
    (seed,) = sorted(seeds_dir.glob("003_*.txt"))
    result = _run("ingest", str(seed))
    assert result.returncode == 0, result.stderr
    out = tmp_path / "m.json"
    out.write_text(result.stdout)
    check = _run("schema", "validate", str(out))
    assert check.returncode == 0, check.stdout + check.stderr


def test_schema_validate_lists_every_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"contract": "paper-manifest-v1.1", "title": "", "claims": [{"text": 3}], "doi": "nope"}')
    result = _run("schema", "validate", str(bad), "--json")
    assert result.returncode == 1
    import json

    report = json.loads(result.stdout)
    paths = {e["path"] for e in report["errors"]}
    assert {"$", "$.title", "$.claims[0]", "$.claims[0].text", "$.doi"} <= paths


def test_schema_validate_unreadable_is_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1, "a": 2}')
    result = _run("schema", "validate", str(bad), "--schema", "paper-manifest-v1.1")
    assert result.returncode == 2
    assert "duplicate key" in result.stderr
