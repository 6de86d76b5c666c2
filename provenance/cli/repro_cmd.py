"""``provenance repro run``: a repro script in the sealed sandbox, its outputs checked against claims."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from provenance.claims.model import load_claims_file
from provenance.cli.options import json_option, run_clock
from provenance.cli.output import console, err_console, print_json
from provenance.cli.verdicts_view import exit_code_for, verdict_table
from provenance.pipeline import ReproStep, evaluate
from provenance.sandbox import choose_sandbox


@click.group("repro")
def repro_group() -> None:
    """Reproduce claim inputs from data with a script run in a sealed sandbox."""


@repro_group.command("run")
@click.argument("script", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--data", type=click.Path(path_type=Path, file_okay=False), help="Data directory, mounted read-only at /data.")
@click.option(
    "--claims",
    "claims_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Paper manifest or {\"claims\": [...]} whose inputs the script's outputs feed.",
)
@click.option("--timeout", type=click.FloatRange(0.1, 86400), default=60.0, show_default=True, help="Wall-clock seconds.")
@click.option("--memory", "memory_mb", type=click.IntRange(16, 1 << 20), default=1024, show_default=True, help="Address-space limit in MB.")
@json_option
@click.option(
    "--unsafe-no-sandbox",
    is_flag=True,
    help="Run on the host WITHOUT isolation when bubblewrap is missing (recorded in every verdict).",
)
def run_command(
    script: Path,
    data: Path | None,
    claims_file: Path | None,
    timeout: float,
    memory_mb: int,
    as_json: bool,
    unsafe_no_sandbox: bool,
) -> int:
    """Run SCRIPT sealed (no network, read-only data, private /tmp, time and memory limits).

    The script prints one JSON object {name: decimal string}; with --claims, those values
    become the inputs of the claims that name them, checked with scope `reproduced`.
    Exit 0 when the run succeeded and every fed claim is verified; 1 otherwise; 3 without bubblewrap.
    """
    claims = load_claims_file(claims_file) if claims_file is not None else []
    sandbox, runner_name = choose_sandbox(unsafe_no_sandbox=unsafe_no_sandbox)  # ToolMissing (exit 3) without bwrap
    if unsafe_no_sandbox:
        err_console.print("[bold red]warning:[/bold red] --unsafe-no-sandbox: the script runs on this host without isolation")
    step = ReproStep((script,), sandbox, runner_name, data=data, timeout=timeout, memory_mb=memory_mb)
    (outcome,) = evaluate(claims, now=run_clock(), repro=step).runs
    run, verdicts = outcome.run, list(outcome.verdicts)
    code = 1 if run.error is not None else exit_code_for(verdicts)
    if claims and run.error is None and not verdicts:
        code = 1
    if as_json:
        doc: dict[str, Any] = {"run": run.to_json(), "verdicts": [v.to_json() for v in verdicts]}
        print_json(doc)
        return code
    sealed = "sealed (bubblewrap)" if run.result.sealed else "[bold red]UNSAFE, not sealed[/bold red]"
    console.print(f"{script.name}: {sealed}, {run.result.wall_seconds:.2f} s, exit status {run.result.returncode}")
    if run.error is not None:
        err_console.print(f"[red]failed:[/red] {run.error}")
        tail = run.result.stderr.decode("utf-8", "replace").strip().splitlines()[-8:]
        for line in tail:
            err_console.print(f"  [dim]{line}[/dim]", markup=True, highlight=False)
    else:
        assert run.outputs is not None
        for key, value in run.outputs.items():
            console.print(f"  {key} = {value}")
    if verdicts:
        console.print(verdict_table(verdicts, f"claims fed by {script.name}"))
    elif claims and run.error is None:
        err_console.print(f"The output names no input of the claims in {claims_file}.")
    return code


def register(group: click.Group) -> None:
    group.add_command(repro_group)
