"""Start-up: CPU of `provenance --help` and of `provenance verify` on a tiny bundle, beside `python -c pass`.

Each command runs as a child process several times; its CPU (user + system,
from the children's rusage) is measured and the best run kept. The peer is the
bare interpreter start (`python -c pass`) in the same run. Goal (issue 14 item
5): each command under 150 ms of CPU, the interpreter's own start included.
Output goes to a pipe, as in a script; at a terminal verify also loads rich for
its colours and progress bar.

Time it on compiled bytecode, as an installed copy runs (bench/run_all.py compiles
first; alone: ``python -m compileall -q provenance archive``).

    .venv/bin/python bench/bench_startup.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_MS = 150.0


def cpu_ms(argv: list[str], *, cwd: Path, env: dict[str, str], runs: int) -> float:
    """Best CPU time (user + system, ms) of ``runs`` runs of ``argv``."""
    best = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.decode()[-500:]}")
        used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, used * 1000)
    return best


def tiny_bundle(work: Path, env: dict[str, str]) -> None:
    """A bundle of one sample record, signed by a fresh attestor key under a fresh trust root."""
    def run(*args: str) -> None:
        subprocess.run([sys.executable, "-m", "provenance", *args], cwd=work, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)

    shutil.copy(REPO / "examples" / "rag-benchmark-paper.txt", work / "record.txt")
    shutil.copy(REPO / "examples" / "rag-benchmark.checks.json", work / "checks.json")
    for role in ("root", "attestor"):
        run("keys", "generate", "-o", f"{role}.key", "--role", role, "--no-passphrase")
    run("trust", "init", "-o", "trust.json", "--root-key", "root.key")
    run("trust", "add-key", "trust.json", "--role", "attestor", "--public-key", "attestor.key.pub",
        "--sign-with", "root.key")
    run("ingest", "record.txt", "--checks", "checks.json", "-o", "manifest.json")
    run("bundle", "build", "manifest.json", "--key", "attestor.key", "--trust", "trust.json", "--no-trust-state",
        "--lean", "off", "-o", "tiny", "--zip")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "XDG_STATE_HOME": str(work / "state"), "SOURCE_DATE_EPOCH": "1790000000"}
        env.pop("PROVENANCE_TRUST_STATE", None)
        tiny_bundle(work, env)
        peer = cpu_ms([sys.executable, "-c", "pass"], cwd=work, env=env, runs=runs)
        # The floor of any verify: the interpreter plus the libraries a signed, canonical-JSON check cannot do
        # without (jsonschema is loaded only for a document the compiled schema check cannot show valid).
        floor = cpu_ms([sys.executable, "-c", "import click, rfc8785, "
                        "cryptography.hazmat.primitives.asymmetric.ed25519"], cwd=work, env=env, runs=runs)
        print(f"ceiling: python + click + rfc8785 + cryptography imports = {floor:.0f} ms CPU")
        rows = []
        for figure, argv in (
            ("`provenance --help` (CPU ms)", ["--help"]),
            ("`provenance verify` tiny bundle (CPU ms)", ["verify", "tiny.zip", "--trust", "trust.json",
                                                          "--no-trust-state", "--lean", "off"]),
            ("`provenance verify --json` tiny bundle (CPU ms)", ["verify", "tiny.zip", "--trust", "trust.json",
                                                                 "--no-trust-state", "--lean", "off", "--json"]),
        ):
            ours = cpu_ms([sys.executable, "-m", "provenance", *argv], cwd=work, env=env, runs=runs)
            print(f"{figure}: {ours:.0f} ms CPU; `python -c pass` {peer:.0f} ms; goal < {TARGET_MS:.0f} ms")
            rows.append({"figure": figure, "ours": round(ours, 1), "peer": round(peer, 1),
                         "ratio": round(ours / peer, 2) if peer else None, "target": f"< {TARGET_MS:.0f} ms",
                         "met": ours < TARGET_MS})
        rows.append({"figure": "ceiling: imports a verify cannot avoid (CPU ms)", "ours": round(floor, 1),
                     "peer": round(peer, 1), "ratio": round(floor / peer, 2) if peer else None,
                     "target": "(measured floor)", "met": None})
    print(json.dumps({"bench": "startup", "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
