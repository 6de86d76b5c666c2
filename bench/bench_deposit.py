"""Upload throughput to the Zenodo stand-in: our client against `curl -T`, same file, same server.

The stand-in runs in its own process on 127.0.0.1. Ours is
``ZenodoClient.upload`` as the deposit uses it: a streamed PUT with
Content-Length whose returned MD5 and size are compared with the digest the
deposit journal recorded before any upload (computed once, outside the
timing, as in a real deposit). The peer is ``curl -T`` of the same file to the
same bucket URL (headers from a file, so no token in argv). Runs alternate,
the best of each is kept. Target: ours >= 0.8x curl. For information, the
client computing the MD5 while streaming is printed too (on this 2-core
machine it competes with the server's own MD5 for CPU).

A whole-CLI row (issue 14.3): ``provenance deposit BUNDLE.zip --to URL --trust ...`` of a bundle built with
``bundle build --include`` (verification against the trust root, journal, upload, metadata: everything a
user waits for) against ``curl -T`` of the same zip to the same server. Target >= 0.8x; the deposit's
peak RSS (``wait4``) must stay under 150 MB. Verifying before depositing hashes every byte (sha256 and
sha512 for the bag, md5 and sha256 for the journal) before the upload starts, so the row also prints the
ceiling this machine allows: curl's time over (a bare two-thread pass computing those four digests + curl's).

Another row: the local archive's upload (copy + MD5 + sha256 + fsync +
atomic rename + SQLite commit) against the bare minimum of the same work: one
read loop that copies, computes MD5 and sha256, and fsyncs. Target >= 0.8x.

    .venv/bin/python bench/bench_deposit.py [--quick | --full]

Sizes: 256 MiB by default, --quick 32 MiB, --full 1 GiB (the issue's size).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archive.depositor import RemoteDeposit
from archive.hashing import hash_file
from archive.local_archive import LocalArchive
from archive.zenodo.client import ZenodoClient

TARGET = 0.8
LOCAL_TARGET = 0.8
CLI_TARGET = 0.8
CLI_RSS_MB = 150
SERVER = """
import sys
from archive.zenodo.standin import StandinConfig, StandinServer
s = StandinServer(sys.argv[1], StandinConfig(rate_limit=0))
print(s.base_url, flush=True)
s.serve_forever()
"""


def make_file(path: Path, size: int) -> None:
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        left = size
        while left > 0:
            handle.write(block[: min(left, len(block))])
            left -= len(block)


def bare_copy(source: Path, target: Path) -> tuple[str, str]:
    md5 = hashlib.md5(usedforsecurity=False)
    sha = hashlib.sha256()
    with source.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(1024 * 1024):
            md5.update(chunk)
            sha.update(chunk)
            dst.write(chunk)
        dst.flush()
        os.fsync(dst.fileno())
    return md5.hexdigest(), sha.hexdigest()


def best(times: list[float]) -> float:
    return min(times)


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process; raises when it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:4])} exit {proc.returncode}: {err.decode()[-1500:]}{out.decode()[-1500:]}")
    return elapsed, usage.ru_maxrss / 1024


def cli_row(tmp: Path, size: int, runs: int) -> dict[str, object]:
    """``provenance deposit`` of a built bundle zip, whole CLI, against ``curl -T`` of the same zip."""
    from bench_bundle import _cli, _cli_setup

    setup = tmp / "cli-setup"
    setup.mkdir()
    manifest, key, trust, env = _cli_setup(setup)
    payload = tmp / "payload"
    payload.mkdir()
    make_file(payload / "data.bin", size)
    bundle = tmp / "bundle.zip"
    _cli("bundle", "build", str(manifest), "--key", str(key), "--trust", str(trust), "--lean", "off",
         "--include", f"data={payload}", "-o", str(bundle), env=env)
    (payload / "data.bin").unlink()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp / "cli-srv")], stdout=subprocess.PIPE, text=True)
    ours: list[float] = []
    peer: list[float] = []
    rss: list[float] = []
    try:
        assert server.stdout is not None
        base = server.stdout.readline().strip()
        client = ZenodoClient(base, "tok-rw")
        headers = tmp / "cli-headers.txt"
        headers.write_text("Authorization: Bearer tok-rw\nContent-Type: application/octet-stream\n")
        for i in range(runs):
            run_env = {**env, "ZENODO_ACCESS_TOKEN": "tok-rw", "XDG_DATA_HOME": str(tmp / f"cli-data-{i}"),
                       "XDG_CONFIG_HOME": str(tmp / f"cli-config-{i}")}
            seconds, peak = run_measured([sys.executable, "-m", "provenance", "deposit", str(bundle), "--to", base,
                                          "--trust", str(trust), "--no-trust-state", "--json"], run_env)
            ours.append(seconds)
            rss.append(peak)
            bucket = client.create_deposition().bucket_url
            t0 = time.perf_counter()
            subprocess.run(["curl", "-sS", "-f", "-T", str(bundle), "-H", f"@{headers}", "-o", os.devnull,
                            f"{bucket}/curl-{i}.zip"], check=True, capture_output=True)
            peer.append(time.perf_counter() - t0)
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    helper = ThreadPoolExecutor(1)
    bare: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        hash_file(bundle, ("md5", "sha256", "sha512"), helper=helper)
        bare.append(time.perf_counter() - t0)
    helper.shutdown()
    ceiling = best(peer) / (best(bare) + best(peer))
    mb = bundle.stat().st_size / 1e6
    ratio = best(peer) / best(ours)
    peak_mb = max(rss)
    print(f"deposit of a {mb:.0f} MB bundle zip, whole CLI (verify + journal + upload + metadata): "
          f"ours {best(ours):.2f}s, curl -T {best(peer):.2f}s; peak RSS {peak_mb:.0f} MB")
    met = ratio >= CLI_TARGET and peak_mb < CLI_RSS_MB
    print(f"ratio {ratio:.3f} (target >= {CLI_TARGET}, RSS < {CLI_RSS_MB} MB)  {'met' if met else 'NOT met'}; "
          f"ceiling of verify-then-upload here {ceiling:.3f} (bare md5+sha256+sha512 pass {best(bare):.2f}s + curl)")
    return {"figure": f"deposit of a {mb:.0f} MB bundle, whole CLI, vs curl -T", "ours": round(best(ours), 2),
            "peer": round(best(peer), 2), "ratio": round(ratio, 3), "target": CLI_TARGET,
            "peak_rss_mb": round(peak_mb), "ceiling": round(ceiling, 3), "met": met}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small file, fewer runs (under 10 s)")
    parser.add_argument("--full", action="store_true", help="the issue's size: 1 GiB")
    args = parser.parse_args()
    size = (32 if args.quick else 1024 if args.full else 256) * 1024 * 1024
    runs = 2 if args.quick else 3
    if shutil.which("curl") is None:
        print("curl is not installed; cannot measure the peer")
        print(json.dumps({"bench": "deposit", "rows": []}))
        return 3
    with tempfile.TemporaryDirectory(prefix="bench-deposit-") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "bundle.zip"
        make_file(data, size)
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp / "srv")], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            base = server.stdout.readline().strip()
            client = ZenodoClient(base, "tok-rw")
            bucket = client.create_deposition().bucket_url
            assert bucket is not None
            headers = tmp / "headers.txt"
            headers.write_text("Authorization: Bearer tok-rw\nContent-Type: application/octet-stream\n")
            journal_md5 = hash_file(data, ("md5",))["md5"]  # streamed: a parent holding the file inflates children's RSS
            ours: list[float] = []
            peer: list[float] = []
            inline: list[float] = []
            for i in range(runs):
                t0 = time.perf_counter()
                stored = client.upload(bucket, f"ours-{i}.zip", data, expected_md5=journal_md5)
                ours.append(time.perf_counter() - t0)
                assert stored.size == size and stored.md5 == journal_md5
                t0 = time.perf_counter()
                client.upload(bucket, f"inline-{i}.zip", data)
                inline.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                proc = subprocess.run(["curl", "-sS", "-f", "-T", str(data), "-H", f"@{headers}", "-o", os.devnull,
                                       f"{bucket}/curl-{i}.zip"], capture_output=True, text=True)
                peer.append(time.perf_counter() - t0)
                if proc.returncode != 0:
                    print(f"curl failed: {proc.stderr.strip()}")
                    return 1
            client.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

        mb = size / 1e6
        ours_rate, peer_rate = mb / best(ours), mb / best(peer)
        ratio = ours_rate / peer_rate
        print(f"upload of {mb:.0f} MB to the stand-in: ours {ours_rate:.0f} MB/s, curl -T {peer_rate:.0f} MB/s")
        print(f"ratio {ratio:.3f} (target >= {TARGET})  {'met' if ratio >= TARGET else 'NOT met'}")
        print(f"(info) client computing MD5 while streaming: {mb / best(inline):.0f} MB/s")

        archive = LocalArchive(tmp / "archive")
        draft: RemoteDeposit = archive.create_draft({"title": "bench"})
        local: list[float] = []
        copy: list[float] = []
        for i in range(runs):
            t0 = time.perf_counter()
            archive.upload(draft, f"f{i}.zip", data, None)
            local.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            bare_copy(data, tmp / f"copy-{i}.zip")
            copy.append(time.perf_counter() - t0)
        local_rate, copy_rate = mb / best(local), mb / best(copy)
        local_ratio = local_rate / copy_rate
        print(f"local archive store of {mb:.0f} MB: ours {local_rate:.0f} MB/s (md5+sha256+fsync+index), "
              f"bare copy+md5+sha256+fsync {copy_rate:.0f} MB/s")
        print(f"ratio {local_ratio:.3f} (target >= {LOCAL_TARGET})  {'met' if local_ratio >= LOCAL_TARGET else 'NOT met'}")
        data.unlink()
        whole_cli = cli_row(tmp, size, runs)
    rows = [
        {"figure": "upload MB/s to the stand-in vs curl -T", "ours": round(ours_rate, 1), "peer": round(peer_rate, 1),
         "ratio": round(ratio, 3), "target": TARGET, "met": ratio >= TARGET},
        {"figure": "local archive store MB/s vs bare copy+md5+sha256+fsync", "ours": round(local_rate, 1),
         "peer": round(copy_rate, 1), "ratio": round(local_ratio, 3), "target": LOCAL_TARGET,
         "met": local_ratio >= LOCAL_TARGET},
        whole_cli,
    ]
    print(json.dumps({"bench": "deposit", "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
