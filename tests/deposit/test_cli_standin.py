"""`provenance zenodo standin` as a real process, and `provenance deposit --to URL` against it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from deposit_helpers import cli_env, make_bundle, provenance_cmd


@pytest.fixture
def standin_process(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = cli_env(tmp_path)
    proc = subprocess.Popen([*provenance_cmd(), "zenodo", "standin", "--port", "0", "--data-dir",
                             str(tmp_path / "srv"), "--json"], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = json.loads(proc.stdout.readline())
    try:
        yield line
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_standin_cli_makes_a_token_and_serves_a_deposit(standin_process: dict[str, Any], tmp_path: Path) -> None:
    url, token = standin_process["url"], standin_process["token"]
    assert url.startswith("http://127.0.0.1:") and len(token) >= 24
    assert httpx.get(url + "/api/deposit/depositions").status_code == 403
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN=token)
    bundle = make_bundle(tmp_path / "b1")
    proc = subprocess.run([*provenance_cmd(), "deposit", str(bundle), "--no-verify", "--to", url, "--publish", "--json"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["doi"].startswith("10.5072/zenodo.") and out["record_url"].startswith(url)
    record = httpx.get(url + f"/api/records/{out['deposition_id']}").json()
    assert {f["key"]: f["checksum"] for f in record["files"]} == {f["key"]: "md5:" + f["md5"] for f in out["files"]}
    assert token not in proc.stdout + proc.stderr


def test_standin_refuses_a_non_loopback_host(tmp_path: Path) -> None:
    proc = subprocess.run([*provenance_cmd(), "zenodo", "standin", "--host", "0.0.0.0"], env=cli_env(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "loopback" in proc.stderr


UPLOAD_SCRIPT = """
import sys
from archive.zenodo.client import ZenodoClient
c = ZenodoClient(sys.argv[1], "tok-rw")
d = c.create_deposition()
f = c.upload(d.bucket_url, "big.bin", sys.argv[2])
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f.size, f.md5, hwm.split()[1])
"""


@pytest.mark.slow
def test_a_2gb_sparse_file_uploads_with_small_peak_rss(tmp_path: Path) -> None:
    """The client streams: a 2 GB upload keeps the uploading process's peak RSS under 150 MB."""
    from archive.zenodo.standin import StandinConfig, StandinServer

    big = tmp_path / "big.bin"
    size = 2 * 1024**3
    with big.open("wb") as handle:
        handle.truncate(size)
    with StandinServer(tmp_path / "srv", StandinConfig()) as server:
        proc = subprocess.Popen([sys.executable, "-c", UPLOAD_SCRIPT, server.base_url, str(big)],
                                env=cli_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stderr is not None
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        got_size, got_md5, peak = stdout.split()
        assert int(got_size) == size
        assert got_md5 == "a981130cf2b7e09f4686dc273cf7187e"  # md5 of 2 GiB of zero bytes
        stored = next((tmp_path / "srv" / "buckets").glob("*/big.bin"))
        assert stored.stat().st_size == size
    # VmHWM is the high-water mark of the child's own address space. Not ru_maxrss from wait4:
    # Linux carries the pre-exec RSS (this pytest worker's, hundreds of MB late in a run) into it.
    assert int(peak) < 150 * 1024, f"peak RSS {peak} KiB"
