"""``provenance verify BUNDLE --trust TRUST``: the auditor's one-command offline check."""

from __future__ import annotations

import atexit
import functools
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from provenance.bundle.verify import VerifyReport, verify_bundle
from provenance.claims.leanmode import LEAN_MODES
from provenance.cli import output
from provenance.cli.options import json_option, trust_options
from provenance.cli.styled import Piece, is_terminal, print_lines

if TYPE_CHECKING:
    from provenance.signing.trust import TrustRoot

_MARK: dict[str, Piece] = {"ok": ("✓", "green"), "fail": ("✗", "bold red"), "skip": ("-", "yellow")}


def _facts(report: VerifyReport) -> list[list[Piece]]:
    """The two facts, kept apart: the bundle's integrity and signatures, and the record's claims."""
    c = report.counts()
    integrity: list[Piece] = (
        [("VERIFIED", "bold green"), (f" ({c['ok']} checks ok, 0 failed, {c['skip']} skipped)", None)] if report.ok
        else [("FAILED", "bold red"), (f" ({c['fail']} failed, {c['ok']} ok, {c['skip']} skipped)", None)])
    counts = report.claim_counts()
    style = "bold red" if counts["falsified"] or counts["error"] else "bold yellow" if counts["corrected"] else "green"
    status: list[Piece] = [("; record status ", None), (report.record_status, None)] if report.record_status else []
    return [[("integrity and signatures: ", None), *integrity],
            [("claims: ", None), (report.claims_text(), style), *status]]


def checklist(report: VerifyReport) -> list[list[Piece]]:
    """The checklist for people: the two facts first, one line per finding, the two facts again at the end."""
    lines: list[list[Piece]] = [
        [("bundle ", None), (report.bundle, None), (f" ({report.kind})", None)],
        [("  record ", None), (report.record_id or "?", None), (f", bundle id {report.bundle_id or '?'}", None)],
    ]
    facts = _facts(report)
    lines += [[("  ", None), *line] for line in facts]
    for f in report.findings:
        where: list[Piece] = [(" ", None), (f.file, "dim")] if f.file else []
        lines.append([("  ", None), _MARK[f.status], (" ", None), (f.id, None), *where, (": ", None), (f.message, None)])
    return lines + facts


@functools.cache
def _no_final_collection() -> None:
    """At exit, freeze the heap, so the interpreter's last garbage collection walks none of it (a tenth of a tiny
    verify's CPU). Nothing verify leaves needs collecting to finish its work: its files are closed by context
    managers and the interpreter flushes the standard streams itself."""
    atexit.register(gc.freeze)


def print_checklist(report: VerifyReport) -> None:
    """Print :func:`checklist` on stdout."""
    print_lines(checklist(report))


@click.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@trust_options(required=True, help="Trust root whose attestor keys must have signed the bundle.")
@click.option("--lean", "lean_mode", type=click.Choice(LEAN_MODES), default="auto", show_default=True,
              help="Re-check the Lean theorems when Lean is installed, never, or fail without it.")
@json_option
def verify_command(bundle: Path, trust: TrustRoot, lean_mode: str, as_json: bool) -> int:
    """Verify BUNDLE (a bag directory or its zip, never extracted) offline, reporting every finding.

    Checks the bag's completeness, every digest and path, the attestation's signature and
    subjects, every document's schema, every claim re-evaluated exactly (and in Lean when
    present), repro runs, and the correction log. Exit 0 only if everything holds, 1 if
    anything fails, 2 if the bundle is unreadable, 3 if --lean require finds no Lean.
    """
    _no_final_collection()
    if as_json or not is_terminal(sys.stderr):
        report = verify_bundle(bundle, trust, lean_mode=lean_mode)
    else:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

        columns = (TextColumn("hashing"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
        with Progress(*columns, console=output.err_console, transient=True) as bar:
            task = bar.add_task("hashing", total=None)
            report = verify_bundle(bundle, trust, lean_mode=lean_mode,
                                   progress=lambda n: bar.advance(task, n))
    if as_json:
        output.print_json(report.to_json())
    else:
        print_checklist(report)
    return 0 if report.ok else 1


def register(group: click.Group) -> None:
    group.add_command(verify_command)
