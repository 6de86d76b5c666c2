"""``provenance demo``: the whole life of a record, run as a user would run it, on the embedded default.

Each step is a real ``provenance`` command in its own process; the demo prints
the command, what it showed, and a summary at the end. Nothing leaves the
machine: keys and the trust root are made on the fly, the deposit goes to the
local archive under the work directory.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from provenance.cli.output import console
from provenance.errors import CheckFailed, InputError

DEMO_PASSPHRASE = "demo passphrase, not a secret"
JSON_EXCERPT_LINES = 12
"""How much of a command's --json output a demo step shows."""
NO_BWRAP = ("bubblewrap is not installed: `make demo` installs it when run as root with apt; "
            "else `apt-get install bubblewrap`")


@dataclass
class _Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError:
            raise CheckFailed(f"`provenance {' '.join(self.argv)}` did not print JSON", remedy="see its output above") from None


@dataclass
class _Demo:
    workdir: Path
    inputs: Path
    env: dict[str, str]
    summary: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    outputs: list[tuple[str, str]] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)

    def run(self, title: str, args: Sequence[str], *, ok: Sequence[int] = (0,), lines: int = 40) -> _Run:
        """Run one ``provenance`` command as a user would and show at most ``lines`` lines of what it printed."""
        argv = [sys.executable, "-m", "provenance", *args]
        shown = " ".join(shlex.quote(a) for a in ["provenance", *args])
        console.rule(style="dim")
        console.print(title, style="bold", markup=False, highlight=False)
        console.print(f"$ {shown}", style="cyan", markup=False, highlight=False)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=600)
        run = _Run(list(args), proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)
        text = proc.stdout.rstrip()
        printed = text.splitlines()
        if len(printed) > lines:
            text = "\n".join([*printed[:lines], f"... ({len(printed) - lines} more lines)"])
        if text:
            console.print(text, markup=False, highlight=False)
        if proc.stderr.strip():
            console.print(proc.stderr.rstrip(), style="yellow", markup=False, highlight=False)
        verdict = "ok" if proc.returncode in ok else "UNEXPECTED"
        console.print(f"(exit {proc.returncode}, {run.seconds:.2f} s, {verdict})", style="dim")
        if proc.returncode not in ok:
            raise CheckFailed(
                f"demo step {title!r} failed: `{shown}` exited {proc.returncode}",
                remedy=f"see its output above; the files so far are in {self.workdir}",
            )
        return run

    def rel(self, path: Path) -> str:
        """``path`` relative to the work directory, for readable commands."""
        return os.path.relpath(path, self.workdir)

    def note(self, what: str, result: str) -> None:
        self.summary.append((what, result))

    def made(self, path: str, what: str) -> None:
        """Record a file or directory the demo made (under the work directory), for the closing list."""
        self.outputs.append((path, what))

    def skip(self, what: str, why: str) -> None:
        """Say plainly that a step was skipped and why (a missing tool, never a failure)."""
        console.print(f"[yellow]skipped: {what}[/yellow] ({why})")
        self.skipped.append((what, why))


Step = Callable[[_Demo], None]


def demo_inputs() -> Path:
    """The demo's sample records, checks and repro script: ``provenance/examples`` in an installed
    package (the wheel carries them), else ``examples/`` of the checkout this module runs from."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "examples", package.parent / "examples"):
        if (candidate / "rag-benchmark.checks.json").is_file():
            return candidate
    raise InputError("the demo's sample records are not installed", where=str(package),
                     remedy="reinstall provenance-archive (its wheel carries them) or run from a checkout")


def _ingest(d: _Demo) -> None:
    examples = d.inputs
    for record in sorted(examples.glob("*.txt")):
        out = f"records/{record.stem}.json"
        (d.workdir / "records").mkdir(exist_ok=True)
        d.run(f"Ingest {record.name}", ["ingest", d.rel(record), "-o", out])
        d.run(f"Validate {out}", ["schema", "validate", out])
    d.run(
        "Ingest the paper-style record and attach its arithmetic checks",
        ["ingest", d.rel(examples / "rag-benchmark-paper.txt"), "--checks", d.rel(examples / "rag-benchmark.checks.json"),
         "-o", "manifest.json"],
    )
    d.made("records/", "the three sample records as paper-manifest-v1.1 manifests")
    d.made("manifest.json", "the paper-style record with its arithmetic checks attached")
    d.note("ingest", "3 sample records (pipe tables, HTML text, paper) -> valid paper-manifest-v1.1 manifests")


def _claims(d: _Demo) -> None:
    d.run("Check the claims exactly (one is false: exit 1 is the right answer)", ["claims", "check", "manifest.json"], ok=(1,))
    verdicts = d.run("The same verdicts as JSON", ["claims", "check", "manifest.json", "--json"], ok=(1,),
                     lines=JSON_EXCERPT_LINES).json()
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict["status"]] = counts.get(verdict["status"], 0) + 1
    d.note("claims", ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + " (exact rationals)")
    d.run("Suggest checks for claims that have none (for a person to confirm)", ["claims", "suggest", "manifest.json"])
    repro = d.inputs / "repro"
    run = d.run(
        "Reproduce claim c2's inputs from data in the sealed sandbox",
        ["repro", "run", d.rel(repro / "rag_gains.py"), "--data", d.rel(repro / "data"), "--claims", "manifest.json"],
        ok=(0, 3),
    )
    d.state["sandbox"] = "sealed" if run.code == 0 else "missing"
    if run.code == 0:
        d.note("sandbox", "repro script ran under bubblewrap")
    else:
        d.note("sandbox", "bubblewrap missing: repro refused (exit 3), as it should be")
        d.skip("sealed repro runs (and carrying repro/ in the bundles)", NO_BWRAP)


def _sources(d: _Demo) -> None:
    claims = d.rel(d.inputs / "sourced-claims.json")
    d.run("Ground check inputs in their sources (CSV, Markdown, PDF): s3 cites a value its source does not hold, "
          "s4 checks a mean its claim never states", ["claims", "check", claims, "--lean", "off"])
    verdicts = d.run("The grounding records and restatement findings as JSON", ["claims", "check", claims, "--lean", "off",
                                                                                  "--json"], lines=JSON_EXCERPT_LINES).json()
    ungrounded = [f"{v['claim_id']}.{g['input']}" for v in verdicts for g in v.get("grounding", []) if g["status"] != "found"]
    unrestated = [v["claim_id"] for v in verdicts if (v.get("restatement") or {}).get("finding")]
    if not ungrounded or not unrestated:
        raise CheckFailed("the sourced example no longer shows both faults", remedy=f"see {claims}")
    d.note("sources", f"input not in its source caught: {', '.join(ungrounded)}; check that does not restate its "
           f"claim caught: {', '.join(unrestated)} (scope sourced only when every input is found)")


def _lean(d: _Demo) -> None:
    d.run("Emit each check as a core-Lean theorem (a Lake project)", ["lean", "emit", "manifest.json", "-o", "lean-project"])
    run = d.run("Type-check the theorems with an axiom audit", ["lean", "check", "lean-project"], ok=(0, 3))
    d.made("lean-project/", "the checks as core-Lean theorems (a Lake project)")
    d.note("lean", "theorems emitted; " + ("type-checked by Lean" if run.code == 0 else "Lean not run (no toolchain here)"))
    if run.code != 0:
        d.skip("type-checking the theorems in Lean", "no Lean toolchain on PATH: install it with elan "
               "(https://github.com/leanprover/elan); the tools then say 'proved', never before")


def _keys(d: _Demo) -> None:
    (d.workdir / "keys").mkdir(exist_ok=True)
    for role in ("root", "attestor", "corrector", "log"):
        d.run(f"Make the demo {role} key (encrypted, 0600)",
              ["keys", "generate", "-o", f"keys/{role}.key", "--role", role, "--name", f"Demo {role}"])
    d.run("Start a trust root (version 1) signed by the root key", ["trust", "init", "-o", "trust-root.json", "--root-key", "keys/root.key"])
    shutil.copy(d.workdir / "trust-root.json", d.workdir / "trust-root-v1.json")  # kept for the rollback step
    for role in ("attestor", "corrector", "log"):
        d.run(f"Trust the {role} key (next version, signed by the root)",
              ["trust", "add-key", "trust-root.json", "--role", role, "--public-key", f"keys/{role}.key.pub",
               "--sign-with", "keys/root.key"])
    d.run("Verify the trust root's chain of versions", ["trust", "verify", "trust-root.json"])
    d.made("keys/", "the demo's encrypted keys (root, attestor, corrector, log; passphrase in the demo's source)")
    d.made("trust-root.json", "the trust root, version 4 (trust-root-v1.json: its first version, for the rollback step)")
    d.note("keys", "root, attestor, corrector and log keys; trust root at version 4")


ARTIFACT = "results.csv"
"""The name the demo's bundles carry their artifact under (``data/artifacts/results.csv``)."""
ARTIFACT_DESCRIPTION = "The exact-match results table that claims c3 to c5 quote (extractive baseline, fusion-in-decoder)"


def _bundle_deposit_verify(d: _Demo, version: int, build: Sequence[str], title: str) -> dict[str, Any]:
    """Build, sign and zip bundle ``version`` with ``build``'s arguments, deposit its zip, fetch the archived copy
    back and verify it offline; return the verify report (JSON)."""
    out = f"bundle-v{version}"
    repro = ["--repro", d.rel(d.inputs / "repro")] if d.state.get("sandbox") == "sealed" else []
    include = ["--include", f"{ARTIFACT}={d.rel(d.inputs / 'rag-benchmark-results.csv')}",
               "--include-description", f"{ARTIFACT}={ARTIFACT_DESCRIPTION}"]
    built = d.run(
        title,
        ["bundle", "build", *build, *repro, *include, "--key", "keys/attestor.key", "--trust", "trust-root.json",
         "-o", out, "--zip", "--json"],
        lines=JSON_EXCERPT_LINES,
    ).json()
    claims = ", ".join(f"{claim} {status}" for claim, status in built["claims"].items())
    console.print(f"bundle id {built['bundle_id']}: {built['files']} files, record {built['record_id']}; {claims}",
                  markup=False)
    d.state[f"bundle_id_v{version}"] = built["bundle_id"]
    d.made(f"{out}/", f"bundle version {version}: a BagIt bag (RO-Crate, DSSE attestation, artifact data/artifacts/{ARTIFACT})")
    d.made(f"{out}.zip", f"its deterministic zip, md5 {built['zip_md5']}")
    deposited = d.run(
        f"Deposit {out}.zip to the embedded local archive"
        + (" (a new version of the same concept DOI)" if version > 1 else " (it is verified first, then published)"),
        ["deposit", f"{out}.zip", "--archive-dir", "archive", "--trust", "trust-root.json", "--json"],
        lines=JSON_EXCERPT_LINES,
    ).json()
    zip_md5 = next((f.get("md5") for f in deposited.get("files", []) if str(f.get("key", "")).endswith(".zip")), None)
    console.print(f"[bold]deposited: DOI {deposited['doi']}[/bold] (concept DOI {deposited.get('concept_doi')}, "
                  f"{deposited.get('phase')}); the archive holds the built zip itself: md5 {zip_md5}"
                  + (" = the md5 bundle build printed" if zip_md5 == built["zip_md5"] else
                     f", NOT the md5 bundle build printed ({built['zip_md5']})"))
    d.state[f"doi_v{version}"] = deposited["doi"]
    d.state[f"id_v{version}"] = str(deposited.get("deposition_id", deposited.get("id")))
    d.note(f"deposit v{version}", f"{deposited['doi']} (concept {deposited.get('concept_doi')}) bundle {built['bundle_id']}")
    fetched = f"fetched-v{version}.zip"
    d.run("Fetch the archived copy back, as an auditor would",
          ["archive", "fetch", d.state[f"id_v{version}"], "-o", fetched, "--archive-dir", "archive"])
    d.made(fetched, f"the archived copy of version {version} ({deposited['doi']}), fetched back")
    d.run(f"Verify the archived copy offline (version {version}): hashes, signatures, claims, artifact"
          + (", corrections" if version > 1 else ""), ["verify", fetched, "--trust", "trust-root.json"])
    report: dict[str, Any] = d.run("The same verification as JSON",
                                   ["verify", fetched, "--trust", "trust-root.json", "--json"],
                                   lines=JSON_EXCERPT_LINES).json()
    summary = report.get("summary", {})
    artifacts = ", ".join(str(a.get("name", a)) if isinstance(a, dict) else str(a) for a in report.get("artifacts", []))
    d.note(f"verify v{version}", f"{'VERIFIED' if report.get('ok') else 'FAILED'} (archived copy, offline): "
           f"{summary.get('ok', 0)} ok, {summary.get('fail', 0)} failed, {summary.get('skip', 0)} skipped; "
           f"artifacts carried: {artifacts or 'none'}; "
           + (f"record status {report['record_status']}" if report.get("record_status") else "no correction"))
    return report


def _first_version(d: _Demo) -> None:
    _bundle_deposit_verify(d, 1, ["manifest.json"],
                           "Build and sign bundle version 1 (BagIt + RO-Crate + DSSE attestation) carrying the "
                           f"record's results table as an artifact ({ARTIFACT})")


def _correct(d: _Demo) -> None:
    log = "bundle-v1.corrections.jsonl"
    d.run(
        "The editor appends a signed correction for claim c5 to the log of bundle version 1 (kept beside it)",
        ["correct", "append", "bundle-v1", "--type", "correction", "--claim", "c5",
         "--reason", "The gain from 100 passages is 0.7 points (52.1 - 51.4), not 1.8.",
         "--what-changed", "Claim c5 now states 0.7 points.",
         "--doi", d.state["doi_v1"], "--before", "c5:expected=1.8", "--after", "c5:expected=0.7",
         "--key", "keys/corrector.key", "--log-key", "keys/log.key", "--trust", "trust-root.json"],
    )
    d.made(log, "the correction log of the record (signed entries, hash chain), and its signed .checkpoint")
    d.run("Verify the correction log: chain, signatures, Merkle root, checkpoint",
          ["correct", "verify", log, "--trust", "trust-root.json"])
    d.run("Show the history and the current status of each claim", ["correct", "show", log, "--trust", "trust-root.json"])
    d.run("Prove that entry 0 is in the log", ["correct", "prove", log, "0", "-o", "proof-0.json"])
    d.made("proof-0.json", "an inclusion proof of correction entry 0")
    d.run("Check that proof as an auditor", ["correct", "verify-proof", "proof-0.json", "--trust", "trust-root.json"])
    d.note("correction", f"signed entry 0 for claim c5 in {log} (beside bundle-v1), checkpoint signed by the log key")


def _second_version(d: _Demo) -> None:
    corrected = d.inputs / "corrected"
    d.run(
        "Ingest the corrected record (c5 now states 0.7); ingest derives a new record id, the build keeps the first",
        ["ingest", d.rel(corrected / "rag-benchmark-paper.txt"), "--checks",
         d.rel(corrected / "rag-benchmark.checks.json"), "-o", "manifest-v2.json"],
    )
    d.made("manifest-v2.json", "the corrected record's manifest")
    report = _bundle_deposit_verify(
        d, 2, ["manifest-v2.json", "--supersedes", "bundle-v1"],
        "Build version 2 superseding bundle-v1: same record id, its correction log carried",
    )
    if report.get("record_status") != "CORRECTED":
        raise CheckFailed("the archived version 2 does not show the record as CORRECTED",
                          remedy="see the verify output above")
    d.run("Write the auditor's report page", ["report", "fetched-v2.zip", "-o", "report.html", "--trust", "trust-root.json"])
    d.made("report.html", "the auditor's report page of version 2 (one self-contained HTML file)")
    d.run("List the local archive: two versions under one concept DOI", ["archive", "list", "--archive-dir", "archive"])
    d.note("report", f"{d.workdir.name}/report.html")


def _hostile(d: _Demo) -> None:
    """What an auditor handed hostile copies sees: refusals, never a false VERIFIED."""
    tampered = d.workdir / "tampered-v1"
    shutil.copytree(d.workdir / "bundle-v1", tampered)
    manifest = tampered / "data" / "manifest.json"
    manifest.write_bytes(manifest.read_bytes() + b" ")  # one byte more than was signed
    d.run("An auditor is handed a copy whose manifest was edited: verify names the file (exit 1)",
          ["verify", d.rel(tampered), "--trust", "trust-root.json"], ok=(1,), lines=8)
    flipped = d.workdir / "flipped-v1.zip"
    data = bytearray((d.workdir / "bundle-v1.zip").read_bytes())
    data[10] ^= 0x01  # the first local header's modification time: a byte no digest and no signature covers
    flipped.write_bytes(bytes(data))
    d.run("... and a copy of bundle-v1.zip with one bit of a zip header's timestamp flipped: every byte must be the "
          "zip writer's or signed, so verify FAILED it (exit 1)",
          ["verify", d.rel(flipped), "--trust", "trust-root.json"], ok=(1,), lines=8)
    d.run("... and an old trust root (version 1, before the attestor was trusted): refused as a rollback (exit 1)",
          ["trust", "verify", "trust-root-v1.json"], ok=(1,))
    d.run("... and a device (/dev/zero) where a JSON document should be: refused without reading (exit 2)",
          ["schema", "validate", "/dev/zero"], ok=(2,))
    d.made("tampered-v1/", "a copy of bundle-v1 with its manifest edited (verify FAILED it)")
    d.made("flipped-v1.zip", "bundle-v1.zip with one header bit flipped (verify FAILED it)")
    d.note("hostile input", "an edited bundle and a zip with one unsigned header bit flipped FAILED; a rolled-back "
           "trust root and a device file were refused")


STEPS: tuple[Step, ...] = (_ingest, _claims, _sources, _lean, _keys, _first_version, _correct, _second_version, _hostile)


@click.command("demo")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True,
              help="Directory for everything the demo makes (emptied first).")
def demo_command(workdir: Path) -> int:
    """Run the whole life of a sample record on the embedded local archive and say what was shown."""
    inputs = demo_inputs()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    env = dict(os.environ)
    env["PROVENANCE_KEY_PASSPHRASE"] = DEMO_PASSPHRASE
    env["PROVENANCE_TRUST_STATE"] = str(workdir.resolve() / "trust-state.json")  # the user's own state stays untouched
    env.setdefault("SOURCE_DATE_EPOCH", "1790000000")
    env.pop("ZENODO_ACCESS_TOKEN", None)
    demo = _Demo(workdir.resolve(), inputs, env)
    for step in STEPS:
        step(demo)
    console.rule("[bold]What was shown")
    for what, result in demo.summary:
        console.print(f"[bold]{what}[/bold]: {result}")
    for what, why in demo.skipped:
        console.print(f"[yellow]skipped[/yellow]: {what} ({why})")
    demo.made("archive/", "the embedded local archive (SQLite index, deposited files, deposit journals)")
    demo.made("trust-state.json", "the demo's own trust state (your ~/.local/state is untouched)")
    console.rule(f"[bold]What it made, in {workdir}/")
    for path, what in demo.outputs:
        if (demo.workdir / path).exists():
            console.print(f"  {path:<32} {what}", markup=False)
    console.print(f"[green]demo complete[/green]: everything it made is in {workdir}/")
    return 0


def register(group: click.Group) -> None:
    group.add_command(demo_command)
