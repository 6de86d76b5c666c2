"""``provenance claims check`` and ``provenance claims suggest``."""

from __future__ import annotations

import importlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from provenance.claims.engine import check_claims
from provenance.claims.model import Claim, load_claims
from provenance.claims.suggest import suggest
from provenance.claims.verdict import Verdict
from provenance.cli.output import console, err_console, json_option_help, print_json
from provenance.errors import InputError, ToolMissing
from provenance.jsonio import load_json_file

_STYLE = {"verified": "green", "falsified": "red", "inconclusive": "yellow", "error": "magenta"}


def verdict_clock() -> datetime:
    """When verdicts are reached: ``SOURCE_DATE_EPOCH`` when set (reproducible output), else now (UTC)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return datetime.now(UTC)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InputError(
            f"SOURCE_DATE_EPOCH={raw[:20]!r} is not a number of seconds",
            where="environment",
            remedy="set it to a Unix time in seconds or unset it",
        )
    return datetime.fromtimestamp(int(raw), UTC)


def load_claims_file(path: Path) -> list[Claim]:
    """The claims of a paper manifest or ``{"claims": [...]}`` JSON file (exit 2 when unusable)."""
    return load_claims(load_json_file(path), source=str(path))


def apply_lean_step(claims: list[Claim], verdicts: list[Verdict], mode: str, *, jobs: int, timeout: float) -> list[Verdict]:
    """Run the Lean step of ``provenance.lean.pipeline`` when it is installed."""
    if mode == "off" or not verdicts:
        return verdicts
    try:
        pipeline = importlib.import_module("provenance.lean.pipeline")
    except ModuleNotFoundError as exc:
        if exc.name != "provenance.lean.pipeline":
            raise
        if mode == "require":
            raise ToolMissing(
                "the Lean step is not part of this installation", remedy="run with --lean auto or --lean off"
            ) from None
        return verdicts
    result: list[Verdict] = pipeline.apply_lean(claims, verdicts, mode, jobs=jobs, timeout=timeout)
    return result


def verdict_table(verdicts: list[Verdict], title: str) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("method/scope", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for v in verdicts:
        style = _STYLE.get(v.status, "")
        lean = ""
        if v.lean is not None:
            lean = f" [dim](lean: {v.lean.get('status')})[/dim]"
        table.add_row(v.claim_id, f"[{style}]{v.status}[/{style}]", f"{v.method}/{v.scope}", v.reason + lean)
    return table


def exit_code_for(verdicts: list[Verdict]) -> int:
    """0 when every verdict is verified (or there are none), else 1."""
    return 0 if all(v.status == "verified" for v in verdicts) else 1


@click.group("claims")
def claims_group() -> None:
    """Check a record's arithmetic claims exactly, or suggest checks for them."""


@claims_group.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=json_option_help())
@click.option(
    "--lean",
    "lean_mode",
    type=click.Choice(["auto", "off", "require"]),
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

    Exit 0 when all are verified, 1 when any is falsified, inconclusive or in error, 2 for unusable input.
    """
    claims = load_claims_file(file)
    now = verdict_clock()
    verdicts = check_claims(claims, now=now, base_dir=base_dir if base_dir is not None else file.parent)
    verdicts = apply_lean_step(claims, verdicts, lean_mode, jobs=lean_jobs, timeout=lean_timeout)
    if as_json:
        print_json([v.to_json() for v in verdicts])
    elif not verdicts:
        unchecked = sum(1 for c in claims if c.check is None)
        console.print(f"No claim in {file} has a check ({unchecked} without); try `provenance claims suggest {file}`.")
    else:
        console.print(verdict_table(verdicts, f"{file}: {len(verdicts)} checks"))
        counts: dict[str, int] = {}
        for v in verdicts:
            counts[v.status] = counts.get(v.status, 0) + 1
        unchecked = sum(1 for c in claims if c.check is None and c.check_error is None)
        line = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        if unchecked:
            line += f"; {unchecked} claims without a check (`provenance claims suggest {file}` proposes some)"
        console.print(line)
    return exit_code_for(verdicts)


@claims_group.command("suggest")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help=json_option_help())
def suggest_command(file: Path, as_json: bool) -> int:
    """Propose checks from the numbers in the text of claims that have none (for a person to confirm)."""
    claims = load_claims_file(file)
    found = suggest(claims)
    if as_json:
        doc: dict[str, Any] = {
            "about": "Suggested checks, unconfirmed: none of these is a verdict. Confirm the numbers, then add a check to the claim.",
            "suggestions": [s.to_json() for s in found],
        }
        print_json(doc)
        return 0
    if not found:
        err_console.print(f"No suggestions: no claim without a check in {file} states usable numbers.")
        return 0
    table = Table(title=f"{file}: {len(found)} suggested checks (unconfirmed)")
    table.add_column("claim")
    table.add_column("kind")
    table.add_column("suggested check", overflow="fold")
    table.add_column("from the text", overflow="fold")
    for s in found:
        check = s.check
        tol = f"precision {check['precision']}" if "precision" in check else f"tolerance {check.get('tolerance')}"
        inputs = ", ".join(f"{k}={v}" for k, v in check["inputs"].items()) or "(add inputs)"
        table.add_row(s.claim_id, s.kind, f"{check['formula']} = {check['expected']} [{tol}] with {inputs}", s.basis)
    console.print(table)
    console.print("[dim]Suggestions are never verified automatically: confirm each, then add it as the claim's check.[/dim]")
    return 0


def register(group: click.Group) -> None:
    group.add_command(claims_group)
