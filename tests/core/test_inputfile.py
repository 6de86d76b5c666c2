"""User-named input files: regular files only, read with a hard cap (issue 13 item 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provenance.errors import InputError
from provenance.inputfile import open_regular_file, read_input_bytes
from provenance.jsonio import load_json_file
from provenance.signing.errors import KeyFileError
from provenance.signing.intoto import sha256_file
from provenance.signing.keys import load_public_key, load_signing_key


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_dev_zero_is_refused_without_reading() -> None:
    """Regression: the size check used st_size (0 for /dev/zero), then read without bound."""
    with pytest.raises(InputError, match="character device, not a regular file"):
        read_input_bytes("/dev/zero", max_bytes=1024, what="a record")
    with pytest.raises(InputError, match="character device"):
        sha256_file("/dev/zero")


def test_a_fifo_is_refused_without_waiting_for_a_writer(fifo: Path) -> None:
    with pytest.raises(InputError, match="FIFO"):
        read_input_bytes(fifo, max_bytes=1024, what="a record")
    with pytest.raises(InputError, match="FIFO"):
        open_regular_file(fifo, what="a file")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="directory"):
        read_input_bytes(tmp_path, max_bytes=1024, what="a record")


def test_the_cap_holds(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 11)
    with pytest.raises(InputError, match="11 bytes, over the 10-byte limit"):
        read_input_bytes(tmp_path / "f", max_bytes=10, what="a record")
    assert read_input_bytes(tmp_path / "f", max_bytes=11, what="a record") == b"x" * 11


def test_every_reader_of_user_named_files_goes_through_it(fifo: Path) -> None:
    for read in (load_json_file, load_public_key, lambda p: load_signing_key(p, b"password")):
        with pytest.raises(InputError, match="FIFO"):
            read(fifo)
    with pytest.raises(KeyFileError, match="character device"):
        load_signing_key("/dev/zero", None)


@pytest.mark.parametrize("args", [
    ("schema", "validate", "{special}"),
    ("trust", "verify", "{special}"),
    ("trust", "show", "{special}"),
    ("keys", "show", "{special}"),
    ("sign", "{special}", "--key", "{special}", "-o", "out.json"),
])
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_the_cli_refuses_special_files_with_exit_2(tmp_path: Path, fifo: Path, args: tuple[str, ...], kind: str) -> None:
    special = str(fifo) if kind == "fifo" else kind
    argv = [a.format(special=special) for a in args]
    proc = subprocess.run([sys.executable, "-m", "provenance", *argv], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "not a regular file" in proc.stderr and proc.stderr.count("\n") == 1
