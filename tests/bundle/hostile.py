"""Hostile variants of a real bundle zip, and the real CLI run on them with its time and peak RSS."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from bundle_env import Env, build
from rawzip import RawEntry, entry, write_zip

from archive.bag import format_bag_info, parse_bag_info
from provenance.bundle.layout import ATTESTATION, BUNDLE_PREDICATE_TYPE, is_signed_name
from provenance.jsonio import pretty_bytes
from provenance.signing.intoto import make_statement, sign_statement
from provenance.signing.keys import SigningKey

REPO = Path(__file__).resolve().parents[2]

# Runs the CLI in this process and writes the process's own peak RSS (VmHWM, KiB) to a file at exit.
# Not ru_maxrss from wait4: Linux carries the parent's pre-exec RSS into it.
_WRAPPER = """
import atexit, os, sys
def _peak():
    with open("/proc/self/status") as status:
        kib = next(line for line in status if line.startswith("VmHWM:")).split()[1]
    with open(os.environ["PEAK_RSS_FILE"], "w") as out:
        out.write(kib)
atexit.register(_peak)
from provenance.cli.main import main
main(sys.argv[1:])
"""

LIMIT_SECONDS = 10.0
LIMIT_KIB = 300 * 1024


@dataclass(frozen=True)
class Run:
    """One CLI run: exit code, output, wall time and peak RSS."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int


def run_cli(args: Sequence[str], tmp: Path, *, timeout: float = 300) -> Run:
    """``provenance ARGS`` in a child process; its own VmHWM at exit is the peak RSS."""
    peak_file = tmp / f"peak-{time.monotonic_ns()}.txt"
    env = {**os.environ, "PEAK_RSS_FILE": str(peak_file), "PYTHONPATH": str(REPO), "COLUMNS": "200",
           "PROVENANCE_TRUST_STATE": ""}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _WRAPPER, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    seconds = time.monotonic() - start
    peak = int(peak_file.read_text()) if peak_file.exists() else -1
    figures = os.environ.get("HOSTILE_FIGURES")  # optional: where to note each run's time and peak RSS
    if figures:
        with open(figures, "a", encoding="utf-8") as note:
            note.write(f"{os.environ.get('PYTEST_CURRENT_TEST', '?').split(' ')[0]}\t{proc.returncode}\t"
                       f"{seconds:.2f} s\t{peak / 1024:.0f} MB\n")
    return Run(proc.returncode, proc.stdout, proc.stderr, seconds, peak)


def small_bundle_zip(env: Env, tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A real bundle zip (``name``.zip, top directory ``name``) of the small manifest, without claims."""
    out = tmp_path_factory.mktemp(name) / name
    build(env, out, manifest=env.small_manifest, claims=None, make_zip=True)
    return out.with_name(f"{name}.zip")


def members(zip_path: Path) -> list[tuple[str, bytes]]:
    """The (name, bytes) of every member of a zip, in order."""
    with zipfile.ZipFile(zip_path) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def variant(
    base: Sequence[tuple[str, bytes]],
    out: Path,
    *,
    replace: Mapping[str, bytes] | None = None,
    add: Sequence[RawEntry] = (),
    prefix: bytes = b"",
    comment: bytes = b"",
) -> Path:
    """The base bundle's members (some replaced), then ``add``; written with ``prefix`` and ``comment``."""
    changed = dict(replace or {})
    entries = [entry(name, changed.get(name, data)) for name, data in base]
    return write_zip(out, [*entries, *add], prefix=prefix, comment=comment)


def manifest_lines(lines: Sequence[tuple[str, bytes]], algorithm: str) -> bytes:
    """Manifest lines (``<hex>  <path>``) for in-memory files, in our form."""
    return "".join(f"{hashlib.new(algorithm, data).hexdigest()}  {name}\n"
                   for name, data in sorted(lines)).encode()


def resigned(base: Sequence[tuple[str, bytes]], replace: Mapping[str, bytes], signer: SigningKey
             ) -> list[tuple[str, bytes]]:
    """The base bundle with files replaced, its manifests, Payload-Oxum and tag manifests recomputed
    and the attestation re-signed by ``signer``: a bag that is complete and valid, signed by whoever."""
    top = base[0][0].split("/", 1)[0] + "/"
    files = {name[len(top):]: data for name, data in base if not name.endswith("/")}
    files.update({name.removeprefix(top): data for name, data in replace.items()})
    payload = [(n, d) for n, d in files.items() if n.startswith("data/")]
    files["manifest-sha256.txt"] = manifest_lines(payload, "sha256")
    files["manifest-sha512.txt"] = manifest_lines(payload, "sha512")
    info, _ = parse_bag_info(files["bag-info.txt"])
    oxum = f"{sum(len(d) for _, d in payload)}.{len(payload)}"
    files["bag-info.txt"] = format_bag_info([(k, oxum if k == "Payload-Oxum" else v) for k, v in info])
    subjects = [(n, hashlib.sha256(d).hexdigest()) for n, d in sorted(files.items())
                if is_signed_name(n) and not n.startswith("tagmanifest-")]
    predicate = {"record_id": dict(info)["External-Identifier"]}
    files[ATTESTATION] = pretty_bytes(sign_statement(make_statement(subjects, BUNDLE_PREDICATE_TYPE, predicate),
                                                     [signer]))
    tags = [(n, d) for n, d in files.items() if not n.startswith(("data/", "tagmanifest-"))]
    files["tagmanifest-sha256.txt"] = manifest_lines(tags, "sha256")
    files["tagmanifest-sha512.txt"] = manifest_lines(tags, "sha512")
    return [(top + n, d) for n, d in sorted(files.items())]
