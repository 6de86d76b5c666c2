"""Bag build + verify speed against the `bagit` package and a bare hashlib reference pass.

Measured in the same run on the same files, interleaved, best of N:

* build + verify (our BagIt writer with fsync and the signed attestation over every
  file, then our validator plus the attestation's signature and subjects) vs the `bagit`
  package (processes=2) making and validating a bag of the same files
  (target: ours >= 1.4x faster);
* verify throughput vs a bare two-thread hashlib pass computing sha256 and sha512
  in one read of each file (target >= 0.9x: the practical two-core limit);
* the same two figures for one big file, where the reference runs sha256 and
  sha512 side by side on two threads.

and, through the whole CLI a user runs (H3a's rows): ``provenance bundle build --include`` + ``provenance
verify`` against ``cp -r`` + ``bagit make`` (sha256+sha512, processes=2) + ``bagit validate`` (target >= 1.3x;
>= 1.0x at 10,000 files of 1 KiB), and ``provenance verify`` against the bare two-thread hash pass (>= 0.9x) or
``bagit validate`` (>= 1.0x at 10,000 files of 1 KiB).

Usage: bench_bundle.py [--quick | --full]. Default: 256 MiB (500 files and one file),
--full: 1 GiB (2,000 files and one file), --quick: 48 MiB; every mode adds 10,000 files of 1 KiB. Data lives under /tmp and
is deleted afterwards. The last line is one JSON object for `make bench`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bagit

from archive.bag import PayloadItem, validate_bag, write_bag
from archive.hashing import FileDigests
from provenance.bundle.layout import ATTESTATION, BUNDLE_PREDICATE_TYPE, is_signed_name
from provenance.jsonio import loads_strict, pretty_bytes
from provenance.signing.dsse import verify_envelope
from provenance.signing.intoto import PAYLOAD_TYPE, make_statement, parse_statement, sign_statement
from provenance.signing.keys import generate_key

KEY = generate_key()

MiB = 1024 * 1024
CHUNK = 4 * MiB


def make_dataset(root: Path, total: int, count: int) -> list[Path]:
    root.mkdir(parents=True)
    block = os.urandom(min(64 * MiB, max(total, 2 * MiB)))
    size = total // count
    files = []
    for i in range(count):
        off = (i * 7919) % max(1, len(block) - size) if size < len(block) else 0
        p = root / f"part-{i:05d}.bin"
        with open(p, "wb") as fh:
            written = 0
            fh.write(i.to_bytes(8, "big"))
            written = 8
            while written < size:
                piece = block[off : off + min(size - written, len(block) - off)] or block[: size - written]
                fh.write(piece)
                written += len(piece)
                off = 0
        files.append(p)
    return files


def make_small_files(root: Path, count: int, size: int) -> list[Path]:
    """``count`` files of ``size`` random bytes each."""
    root.mkdir(parents=True)
    files = []
    for i in range(count):
        p = root / f"small-{i:05d}.bin"
        p.write_bytes(os.urandom(size))
        files.append(p)
    return files


def reference_pass(files: list[Path]) -> None:
    """Bare hashlib: sha256 and sha512 from one read of each file, on two threads."""
    if len(files) == 1:
        side = ThreadPoolExecutor(1)
        with open(files[0], "rb", buffering=0) as fh:
            a, b = hashlib.sha256(), hashlib.sha512()
            pending = None
            bufs = [bytearray(CHUNK), bytearray(CHUNK)]
            turn = 0
            while True:
                view = memoryview(bufs[turn])
                n = fh.readinto(view)
                if not n:
                    break
                if pending:
                    pending.result()
                pending = side.submit(b.update, view[:n])
                a.update(view[:n])
                turn ^= 1
            if pending:
                pending.result()
        side.shutdown()
        return

    def one(p: Path) -> tuple[str, str]:
        with open(p, "rb", buffering=0) as fh:
            data = fh.read()
        return hashlib.sha256(data).hexdigest(), hashlib.sha512(data).hexdigest()

    with ThreadPoolExecutor(2) as ex:
        list(ex.map(one, files))


def bare_copy(files: list[Path], dest: Path) -> None:
    """Copy every file into ``dest`` on two threads, no hashing: what keeping the inputs untouched costs."""
    dest.mkdir()

    def one(p: Path) -> None:
        with open(p, "rb", buffering=0) as src, open(dest / p.name, "xb", buffering=0) as dst:
            while chunk := src.read(CHUNK):
                dst.write(chunk)

    with ThreadPoolExecutor(2) as ex:
        list(ex.map(one, files))


def finalize(files: Mapping[str, FileDigests]) -> dict[str, bytes]:
    """The bundle's attestation: a DSSE-signed in-toto Statement naming every file."""
    subjects = [(n, files[n]["sha256"]) for n in sorted(files) if is_signed_name(n)]
    statement = make_statement(subjects, BUNDLE_PREDICATE_TYPE, {"record_id": "bench"})
    return {ATTESTATION: pretty_bytes(sign_statement(statement, [KEY]))}


def verify(bag: Path) -> None:
    """Bag validation (every digest, every path) plus the attestation's signature and subjects."""
    report = validate_bag(bag)
    assert report.ok, report.findings[:3]
    envelope = loads_strict(report.contents[ATTESTATION])
    verified = verify_envelope(envelope, {KEY.keyid: KEY.public}, 1, expected_payload_type=PAYLOAD_TYPE)
    statement = parse_statement(verified.payload)
    signed = {s.name: s.sha256 for s in statement.subjects}
    assert signed == {n: d["sha256"] for n, d in report.files.items() if is_signed_name(n)}


def timed(fn: Callable[[], object]) -> float:
    os.sync()
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_case(label: str, files: list[Path], work: Path, rounds: int) -> dict[str, float]:
    best = {"ours_build": 1e9, "ours_build_nosync": 1e9, "ours_verify": 1e9, "peer_make": 1e9, "peer_validate": 1e9,
            "ref": 1e9, "copy": 1e9}
    items = [PayloadItem(f"payload/{p.name}", path=p) for p in files]
    for r in range(rounds):
        ours = work / f"ours-{r}"
        peer = work / f"peer-{r}"

        def build(ours: Path = ours, fsync: bool = True) -> None:
            write_bag(ours, items, bag_info=[("External-Identifier", "bench")], finalize=finalize, fsync=fsync)

        best["ours_build_nosync"] = min(best["ours_build_nosync"], timed(lambda: build(fsync=False)))
        shutil.rmtree(ours)
        best["ours_build"] = min(best["ours_build"], timed(build))
        best["ours_verify"] = min(best["ours_verify"], timed(lambda ours=ours: verify(ours)))
        shutil.rmtree(ours)
        best["ref"] = min(best["ref"], timed(lambda: reference_pass(files)))
        best["copy"] = min(best["copy"], timed(lambda r=r: bare_copy(files, work / f"copy-{r}")))
        shutil.rmtree(work / f"copy-{r}")
        # bagit.make_bag works in place: give it its own copy (not timed).
        peer.mkdir()
        for p in files:
            shutil.copyfile(p, peer / p.name)
        best["peer_make"] = min(
            best["peer_make"], timed(lambda peer=peer: bagit.make_bag(str(peer), processes=2, checksums=["sha256", "sha512"]))
        )
        best["peer_validate"] = min(best["peer_validate"], timed(lambda peer=peer: bagit.Bag(str(peer)).validate(processes=2)))
        shutil.rmtree(peer)
    print(
        f"{label}: ours build {best['ours_build']:.2f}s (without fsync {best['ours_build_nosync']:.2f}s) + verify "
        f"{best['ours_verify']:.2f}s; "
        f"bagit make {best['peer_make']:.2f}s + validate {best['peer_validate']:.2f}s; "
        f"bare two-thread sha256+sha512 pass {best['ref']:.2f}s; bare two-thread copy {best['copy']:.2f}s"
    )
    return best


# ---------------------------------------------------------------- the whole CLI (H3a): bundle build --include + verify


def _cli(*args: str, env: Mapping[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True,
                          env=dict(env), check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"provenance {' '.join(args[:2])} exit {proc.returncode}: {proc.stderr[-1500:]}{proc.stdout[-3000:]}")


def _tool(*args: str) -> None:
    subprocess.run(list(args), check=True, capture_output=True)


def _cli_setup(work: Path) -> tuple[Path, Path, Path, dict[str, str]]:
    """A real signing key, a signed trust root naming it as attestor, and a small manifest (no claims to check)."""
    from datetime import UTC, datetime, timedelta

    from provenance.signing.keys import save_signing_key
    from provenance.signing.trust import add_key, init_trust_root, write_trust_document

    now = datetime.now(UTC)
    root_key = generate_key()
    doc = init_trust_root([root_key], now=now, expires=now + timedelta(days=30))
    doc = add_key(doc, "attestor", KEY.public, [root_key], now=now, name="bench")
    trust = work / "trust-root.json"
    write_trust_document(trust, doc)
    key = work / "attestor.key"
    save_signing_key(KEY, key, None)
    manifest = work / "manifest.json"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    repo = Path(__file__).resolve().parent.parent
    # The corrected record: every check holds, so verify exits 0 (a falsified claim would exit 1).
    _cli("ingest", str(repo / "examples" / "corrected" / "rag-benchmark-paper.txt"), "--checks",
         str(repo / "examples" / "corrected" / "rag-benchmark.checks.json"), "-o", str(manifest), env=env)
    return manifest, key, trust, env


def cli_case(label: str, source: Path, work: Path, rounds: int) -> dict[str, float]:
    """Best of ``rounds``: our ``bundle build --include`` and ``verify`` (whole CLI commands), and the peer
    ``cp -r`` + ``bagit make`` (sha256+sha512, processes=2) + ``bagit validate`` (processes=2), each through
    its command line; plus the bare two-thread hash pass over the same files."""
    manifest, key, trust, env = _cli_setup(Path(tempfile.mkdtemp(prefix="cli-setup-", dir=work)))
    files = sorted(p for p in source.rglob("*") if p.is_file())
    best = {"build": 1e9, "verify": 1e9, "cp": 1e9, "make": 1e9, "validate": 1e9, "ref": 1e9}
    for r in range(rounds):
        bundle = work / f"cli-bundle-{r}"
        peer = work / f"cli-peer-{r}"
        best["build"] = min(best["build"], timed(lambda bundle=bundle: _cli(
            "bundle", "build", str(manifest), "--key", str(key), "--trust", str(trust), "--lean", "off",
            "--include", f"data={source}", "-o", str(bundle), env=env)))
        best["verify"] = min(best["verify"], timed(lambda bundle=bundle: _cli(
            "verify", str(bundle), "--trust", str(trust), "--no-trust-state", "--lean", "off", "--json", env=env)))
        shutil.rmtree(bundle)
        best["cp"] = min(best["cp"], timed(lambda peer=peer: _tool("cp", "-r", str(source), str(peer))))
        best["make"] = min(best["make"], timed(lambda peer=peer: _tool(
            sys.executable, "-m", "bagit", "--quiet", "--processes", "2", "--sha256", "--sha512", str(peer))))
        best["validate"] = min(best["validate"], timed(lambda peer=peer: _tool(
            sys.executable, "-m", "bagit", "--quiet", "--validate", "--processes", "2", str(peer))))
        shutil.rmtree(peer)
        best["ref"] = min(best["ref"], timed(lambda: reference_pass(files)))
    print(f"{label} (whole CLI): ours bundle build --include {best['build']:.2f}s + verify {best['verify']:.2f}s; "
          f"cp -r {best['cp']:.2f}s + bagit make {best['make']:.2f}s + bagit validate {best['validate']:.2f}s; "
          f"bare two-thread sha256+sha512 pass {best['ref']:.2f}s")
    return best


def cli_rows(work: Path, total: int, count: int, rounds: int) -> list[dict[str, object]]:
    """Issue 14's CLI figures: build+verify against cp + bagit, and verify against the bare pass or bagit."""
    rows: list[dict[str, object]] = []

    def row(figure: str, ours: float, peer: float, target: float) -> None:
        ratio = peer / ours
        rows.append({"figure": figure, "ours": round(ours, 3), "peer": round(peer, 3), "ratio": round(ratio, 2),
                     "target": target, "met": ratio >= target})

    make_dataset(work / "cli-many", total, count)
    m = cli_case(f"{total // MiB} MiB in {count} files", work / "cli-many", work, rounds)
    row(f"CLI build + verify, {total // MiB} MiB in {count} files given with --include, vs cp -r + bagit make "
        "(sha256+sha512, processes=2) + bagit validate", m["build"] + m["verify"], m["cp"] + m["make"] + m["validate"],
        1.3)
    row(f"CLI verify, {total // MiB} MiB in {count} files, vs bare two-thread sha256+sha512 pass",
        m["verify"], m["ref"], 0.9)
    shutil.rmtree(work / "cli-many")
    make_dataset(work / "cli-one", total, 1)
    o = cli_case(f"one {total // MiB} MiB file", work / "cli-one", work, rounds)
    row(f"CLI verify, one {total // MiB} MiB file, vs bare two-thread sha256+sha512 pass", o["verify"], o["ref"], 0.9)
    shutil.rmtree(work / "cli-one")
    make_small_files(work / "cli-tiny", 10_000, 1024)
    t = cli_case("10,000 files of 1 KiB", work / "cli-tiny", work, rounds)
    row("CLI build + verify, 10,000 files of 1 KiB given with --include, vs cp -r + bagit make + bagit validate",
        t["build"] + t["verify"], t["cp"] + t["make"] + t["validate"], 1.0)
    row("CLI verify, 10,000 files of 1 KiB, vs bagit validate (processes=2)", t["verify"], t["validate"], 1.0)
    shutil.rmtree(work / "cli-tiny")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="48 MiB, one round")
    size.add_argument("--full", action="store_true", help="1 GiB in 2,000 files and one 1 GiB file")
    args = parser.parse_args()
    logging.getLogger("bagit").setLevel(logging.ERROR)
    if args.quick:
        total, count, rounds = 48 * MiB, 96, 1
    elif args.full:
        total, count, rounds = 1024 * MiB, 2000, 2
    else:
        total, count, rounds = 256 * MiB, 500, 2
    print(f"dataset: {total // MiB} MiB in {count} files, and one {total // MiB} MiB file; best of {rounds}; "
          f"{os.cpu_count()} CPUs")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-bundle-", dir="/tmp") as tmp:
        work = Path(tmp)
        many = make_dataset(work / "many", total, count)
        r = run_case(f"{count} files", many, work, rounds)
        shutil.rmtree(work / "many")
        one = make_dataset(work / "one", total, 1)
        s = run_case("1 file", one, work, rounds)
        shutil.rmtree(work / "one")
        tiny = make_small_files(work / "tiny", 10_000, 1024)
        k = run_case("10,000 files of 1 KiB", tiny, work, rounds)
        shutil.rmtree(work / "tiny")
        cli = cli_rows(work, total, count, rounds)
    rows.append({"figure": "verify vs bagit validate (processes=2), 10,000 files of 1 KiB",
                 "ours": round(k["ours_verify"], 3), "peer": round(k["peer_validate"], 3),
                 "ratio": round(k["peer_validate"] / k["ours_verify"], 2), "target": 1.0,
                 "met": k["peer_validate"] / k["ours_verify"] >= 1.0})
    for label, res in ((f"{total // MiB} MiB in {count} files", r), (f"one {total // MiB} MiB file", s),
                       ("10,000 files of 1 KiB", k)):
        ours = res["ours_build"] + res["ours_verify"]
        peer = res["peer_make"] + res["peer_validate"]
        speedup = peer / ours
        rows.append({"figure": f"build+verify vs bagit make+validate (processes=2), {label}",
                     "ours": round(ours, 3), "peer": round(peer, 3), "ratio": round(speedup, 2),
                     "target": 1.4, "met": speedup >= 1.4})
        # Issue 14's peer: a copy of the files (bagit bags in place) + bagit make + validate.
        copied = peer + res["copy"]
        goal = 1.0 if label.startswith("10,000") else 1.3
        rows.append({"figure": f"build+verify vs copy + bagit make + validate (processes=2), {label}",
                     "ours": round(ours, 3), "peer": round(copied, 3), "ratio": round(copied / ours, 2),
                     "target": goal, "met": copied / ours >= goal})
        nosync = res["ours_build_nosync"] + res["ours_verify"]
        rows.append({"figure": f"build (no fsync, as bagit) + verify vs bagit make+validate, {label}",
                     "ours": round(nosync, 3), "peer": round(peer, 3), "ratio": round(peer / nosync, 2),
                     "target": 1.4, "met": peer / nosync >= 1.4})
        # Any bagger that hashes every file at build and again at verify needs two bare passes at least;
        # bagit moves its input files into data/, we copy them (the user's files stay untouched).
        ceiling = peer / (2 * res["ref"])
        rows.append({"figure": f"ceiling: bagit make+validate vs two bare hash passes (no copy), {label}",
                     "ours": round(2 * res["ref"], 3), "peer": round(peer, 3), "ratio": round(ceiling, 2),
                     "target": None, "met": None})
        with_copy = peer / (2 * res["ref"] + res["copy"])
        rows.append({"figure": f"ceiling with the copy: bagit vs two bare passes + a bare copy, {label}",
                     "ours": round(2 * res["ref"] + res["copy"], 3), "peer": round(peer, 3),
                     "ratio": round(with_copy, 2), "target": None, "met": None})
        tput = res["ref"] / res["ours_verify"]
        rows.append({"figure": f"verify throughput vs bare two-thread hashlib pass, {label}",
                     "ours": round(res["ours_verify"], 3), "peer": round(res["ref"], 3), "ratio": round(tput, 2),
                     "target": 0.9, "met": tput >= 0.9})
    for row in rows:
        # For 10,000 small files issue 14 sets goals against the copy + bagit peer and bagit validate only.
        if row["figure"].endswith("10,000 files of 1 KiB") and row["figure"].startswith(
                ("build+verify vs bagit", "build (no fsync", "verify throughput")):
            row["target"] = row["met"] = None
    rows.extend(cli)
    for row in rows:
        verdict = "" if row["target"] is None else f" (target {row['target']}x) {'met' if row['met'] else 'NOT met'}"
        print(f"{row['figure']}: {row['ratio']}x{verdict}")
    print(json.dumps({"bench": "bundle", "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
