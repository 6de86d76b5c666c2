"""``provenance claims check``, ``provenance claims suggest`` and ``provenance claims locate``."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from provenance.claims.leanmode import LEAN_MODES, parse_lean_mode
from provenance.claims.model import load_claims_file
from provenance.claims.verdict import Verdict
from provenance.cli import output
from provenance.cli.options import json_option, run_clock
from provenance.cli.output import print_json, print_json_list
from provenance.cli.verdicts_view import exit_code_for, grounding_summary, verdict_table
from provenance.cli.wording import counted
from provenance.pipeline import LeanStep, all_verified, evaluate, stream_verdicts


@click.group("claims")
def claims_group() -> None:
    """Check a record's arithmetic claims exactly, or suggest checks for them."""


@contextmanager
def _batch_gc() -> Iterator[None]:
    """The cyclic collector paused while a large acyclic batch is parsed, checked and printed; what the batch
    left alive is then frozen (it lives until the command exits), so re-enabling the collector does not make
    it scan millions of objects once more."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def _rows(verdicts: Iterable[Verdict], failed: list[str]) -> Iterator[dict[str, Any]]:
    """Each verdict's JSON; the ids of those not verified go to ``failed``."""
    for verdict in verdicts:
        if not all_verified((verdict,)):
            failed.append(verdict.claim_id)
        yield verdict.to_json()


@claims_group.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@json_option
@click.option(
    "--lean",
    "lean_mode",
    type=click.Choice(LEAN_MODES),
    default="auto",
    show_default=True,
    help="Also prove each check in Lean 4: auto (when lean is installed), off, or require (exit 3 without lean).",
)
@click.option("--lean-jobs", type=click.IntRange(1, 64), default=2, show_default=True, help="Parallel lean processes.")
@click.option("--lean-timeout", type=click.FloatRange(1, 3600), default=120.0, show_default=True, help="Seconds per Lean file.")
@click.option(
    "--base-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Directory that input sources are relative to (default: the file's directory); decides the sourced scope.",
)
def check_command(
    file: Path, as_json: bool, lean_mode: str, lean_jobs: int, lean_timeout: float, base_dir: Path | None
) -> int:
    """Check every claim of FILE (a paper manifest or {"claims": [...]}) that has a check.

    A check (claim-check-v1) computes a formula over named inputs, exactly (fractions, never floats),
    and compares it with the value the claim states:

    \b
      {"formula": "difference(b, a)", "inputs": {"a": "51.4", "b": "52.1"},
       "expected": "0.7", "precision": 1}

    \b
    inputs     decimal strings ("8.2", "-0.05": ASCII digits, optional "-" and ".",
               no exponent, no separators); an input may cite its source:
               {"value": "8.2", "source": {"file", "sha256", "locator"}}
    expected   the value the claim states, a decimal string
    precision  N: the claim states N decimals; it holds when |value - expected|
               <= 5 x 10^-(N+1) (7.57 to 2 decimals: within 0.005), inclusive
    tolerance  {"absolute": "0.05"}: |value - expected| <= 0.05, or
               {"relative": "0.05"}: |value - expected| <= 0.05 x |expected|
               (give a tolerance, a precision, or both: every bound must hold)

    \b
    The formula language (our own parser, never eval):
      decimal literals (2, 0.5), input names, + - * / with the usual precedence,
      parentheses, unary minus, and the functions
      mean(a, b, ...)  sum(a, b, ...)  min(a, b, ...)  max(a, b, ...)  abs(x)
      difference(a, b) = a - b      ratio(a, b) = a / b
      percent_change(old, new) = 100 x (new - old) / old
      A bare aggregate name ("mean", "sum", "min", "max") applies to all inputs in order.
      Division by zero, unknown names and values of more than 1000 digits are
      error verdicts naming the claim.

    Exit 0 when all are verified, 1 when any is falsified, inconclusive or in error, 2 for unusable input.
    """
    lean = LeanStep(parse_lean_mode(lean_mode), jobs=lean_jobs, timeout=lean_timeout)
    base = base_dir if base_dir is not None else file.parent
    with _batch_gc():
        claims = load_claims_file(file)
        if as_json:
            failed: list[str] = []  # the ids of verdicts not verified: the exit code, with no verdict kept
            print_json_list(_rows(stream_verdicts(claims, now=run_clock(), base_dir=base, lean=lean), failed))
            return 0 if not failed else 1
        verdicts = list(evaluate(claims, now=run_clock(), base_dir=base, lean=lean).verdicts)
    if not verdicts:
        unchecked = sum(1 for c in claims if c.check is None)
        output.console.print(f"No claim in {file} has a check ({unchecked} without); try `provenance claims suggest {file}`.")
    else:
        output.console.print(verdict_table(verdicts, f"{file}: {counted(len(verdicts), 'check')}"))
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v.status] = counts.get(v.status, 0) + 1
        unchecked = sum(1 for c in claims if c.check is None and c.check_error is None)
        line = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        if found := grounding_summary(verdicts):
            line += f"; {found}"
        if unchecked:
            line += f"; {counted(unchecked, 'claim')} without a check (`provenance claims suggest {file}` proposes some)"
        output.console.print(line)
    return exit_code_for(verdicts)


@claims_group.command("suggest")
@click.argument("file", type=click.Path(path_type=Path))
@click.argument("more_sources", nargs=-1, type=click.Path(path_type=Path), metavar="[SOURCE]...")
@click.option("--sources", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Source files (CSV, TSV, text, Markdown, LaTeX, HTML, PDF) to find each suggested input in; "
                   "the files after it are sources too.")
@json_option
def suggest_command(file: Path, more_sources: tuple[Path, ...], sources: tuple[Path, ...], as_json: bool) -> int:
    """Propose checks from the numbers in the text of claims that have none (for a person to confirm).

    With sources (`--sources SOURCE...`), an input whose value stands at exactly one place in them gets the
    source it could cite (file relative to FILE's directory, sha256, locator), still unconfirmed.
    """
    from rich.table import Table

    from provenance.claims.locate import source_files
    from provenance.claims.suggest import suggest, with_sources

    claims = load_claims_file(file)
    found = suggest(claims)
    named = (*sources, *more_sources)
    if named:
        found = with_sources(found, source_files(named, file.parent))
    if as_json:
        doc: dict[str, Any] = {
            "about": "Suggested checks, unconfirmed: none of these is a verdict. Confirm the numbers, then add a check to the claim.",
            "suggestions": [s.to_json() for s in found],
        }
        print_json(doc)
        return 0
    if not found:
        output.err_console.print(f"No suggestions: no claim without a check in {file} states usable numbers.")
        return 0
    table = Table(title=f"{file}: {len(found)} suggested checks (unconfirmed)")
    table.add_column("claim")
    table.add_column("kind")
    table.add_column("suggested check", overflow="fold")
    table.add_column("from the text", overflow="fold")
    for s in found:
        check = s.check
        tol = f"precision {check['precision']}" if "precision" in check else f"tolerance {check.get('tolerance')}"
        inputs = ", ".join(f"{k}={_shown_input(v)}" for k, v in check["inputs"].items()) or "(add inputs)"
        table.add_row(s.claim_id, s.kind, f"{check['formula']} = {check['expected']} [{tol}] with {inputs}", s.basis)
    output.console.print(table)
    output.console.print("[dim]Suggestions are never verified automatically: confirm each, then add it as the claim's check.[/dim]")
    return 0


def _shown_input(value: Any) -> str:
    if isinstance(value, dict):
        source = value["source"]
        return f"{value['value']} (in {source['file']} at {json.dumps(source['locator'])}, unconfirmed)"
    return str(value)


@claims_group.command("locate")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--claims", "claims_file", required=True, type=click.Path(path_type=Path), help="The claims whose check inputs to look for.")
@json_option
def locate_command(sources: tuple[Path, ...], claims_file: Path, as_json: bool) -> int:
    """Where each check input's value stands in SOURCES (CSV, TSV, text, Markdown, LaTeX, HTML, PDF), to confirm by eye.

    Each place comes with a source to cite ({"file", "sha256", "locator"}, the file relative to the claims file's
    directory); none is a verdict.
    """
    from rich.table import Table

    from provenance.claims.locate import locate, source_files

    located = locate(load_claims_file(claims_file), source_files(sources, claims_file.parent))
    if as_json:
        print_json({"about": "Where input values stand in the sources given, unconfirmed: check each span before citing it.",
                    "inputs": [item.to_json() for item in located]})
        return 0
    table = Table(title=f"{claims_file}: where {len(located)} input values stand (unconfirmed)")
    for column in ("claim", "input", "value", "found", "file and locator", "span"):
        table.add_column(column, overflow="fold")
    for item in located:
        if not item.locations:
            table.add_row(item.claim_id, item.input, item.value, "0", "-", "")
        for place in item.locations:
            table.add_row(item.claim_id, item.input, item.value, str(item.count), f"{place.file} {json.dumps(place.locator)}", place.span)
    output.console.print(table)
    output.console.print("[dim]Confirm each span is the value the claim means before citing it as the input's source.[/dim]")
    return 0


def register(group: click.Group) -> None:
    group.add_command(claims_group)
