"""``provenance lean``: emit claim checks as Lean 4 theorems, read them back, and type-check them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.progress import Progress
from rich.table import Table

from provenance.claims.model import load_claims_file
from provenance.cli.options import json_option, run_clock
from provenance.cli.output import console, err_console, print_json
from provenance.lean.emit import emit_project
from provenance.lean.pipeline import check_project, load_project
from provenance.lean.reader import read_file
from provenance.lean.runner import locate_lean, missing_lean
from provenance.pipeline import evaluate


@click.group("lean")
def lean_group() -> None:
    """Prove claim checks in Lean 4: each check becomes a core-Lean theorem proved by decide."""


@lean_group.command("emit")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path), help="Directory of the Lake project to write.")
@json_option
def emit_command(file: Path, out_dir: Path, as_json: bool) -> int:
    """Write a Lake project with one theorem per decided claim of FILE (a paper manifest or {"claims": [...]}).

    Verified claims get their statement, falsified ones its negation; no claim text enters a Lean file.
    """
    claims = load_claims_file(file)
    verdicts = evaluate(claims, now=run_clock(), base_dir=file.parent).exact
    result = emit_project(claims, verdicts, out_dir)
    if as_json:
        print_json({
            "out_dir": str(result.out_dir),
            "theorems": [
                {"theorem": t.name, "claim_id": t.claim_id, "file": t.file, "lines": [t.start, t.end], "expected": t.expected}
                for t in result.theorems
            ],
            "skipped": [{"claim_id": s.claim_id, "reason": s.reason} for s in result.skipped],
            "files": dict(sorted(result.files.items())),
        })
        return 0
    files = sorted({t.file for t in result.theorems})
    console.print(f"Wrote {len(result.theorems)} theorems in {len(files)} files to {result.out_dir}")
    for skipped in result.skipped:
        console.print(f"  [dim]no theorem for {skipped.claim_id}: {skipped.reason}[/dim]")
    console.print(f"Check them with: provenance lean check {result.out_dir}")
    return 0


@lean_group.command("read")
@click.argument("directory", type=click.Path(path_type=Path))
@json_option
def read_command(directory: Path, as_json: bool) -> int:
    """Evaluate every emitted statement with Python integers (an independent reading, not a proof).

    Exit 0 when every statement reads true, 1 otherwise.
    """
    project = load_project(directory)
    rows = []
    for rel in sorted(project.file_sha256):
        text = (project.root / rel).read_text(encoding="utf-8")
        for theorem in read_file(text).theorems:
            rows.append({"theorem": theorem.name, "file": rel, "reads_true": theorem.value})
    ids = {t.name: t for t in project.theorems}
    for row in rows:
        entry = ids[str(row["theorem"])]
        row["claim_id"] = entry.claim_id
        row["expected"] = entry.expected
    if as_json:
        print_json({"theorems": rows})
    else:
        table = Table(title=f"{directory}: {len(rows)} statements read with Python integers")
        for column in ("claim", "theorem", "statement of", "reads"):
            table.add_column(column)
        for row in rows:
            ok = "[green]true[/green]" if row["reads_true"] else "[red]false[/red]"
            what = "claim" if row["expected"] == "verified" else "negation"
            table.add_row(str(row["claim_id"]), str(row["theorem"]), what, ok)
        console.print(table)
    return 0 if all(r["reads_true"] for r in rows) else 1


@lean_group.command("check")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--jobs", type=click.IntRange(1, 64), default=2, show_default=True, help="Parallel lean processes.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=120.0, show_default=True, help="Seconds per Lean file.")
@json_option
def check_command(directory: Path, jobs: int, timeout: float, as_json: bool) -> int:
    """Type-check an emitted project with `lean --json` (sandboxed when bubblewrap works).

    A theorem is accepted only if no error or warning falls in its lines and #print axioms lists nothing
    outside propext, Classical.choice, Quot.sound. Exit 0 all accepted, 1 any rejected, 2 bad input,
    3 no Lean toolchain.
    """
    load_project(directory)  # bad input is exit 2 even where Lean is missing
    toolchain, why = locate_lean()
    if toolchain is None:
        raise missing_lean(why)
    if as_json:
        result = check_project(directory, toolchain=toolchain, jobs=jobs, timeout=timeout)
    else:
        files = len(load_project(directory).file_sha256)
        with Progress(*Progress.get_default_columns(), console=err_console, transient=True) as progress:
            task = progress.add_task(f"{toolchain.version_line[:60]}: Lean files", total=files)
            result = check_project(directory, toolchain=toolchain, jobs=jobs, timeout=timeout,
                                   on_file_done=lambda _rel: progress.advance(task))
    if as_json:
        print_json(result.to_json())
    else:
        table = Table(title=f"{directory}: Lean {toolchain.version}{' (sandboxed)' if result.sandboxed else ''}")
        for column in ("claim", "theorem", "statement of", "result", "reason"):
            table.add_column(column, overflow="fold")
        for c in result.checks:
            status = "[green]accepted[/green]" if c.result.accepted else "[red]rejected[/red]"
            what = "claim" if c.theorem.expected == "verified" else "negation"
            table.add_row(c.theorem.claim_id, c.theorem.name, what, status, c.result.reason)
        console.print(table)
        accepted = sum(1 for c in result.checks if c.result.accepted)
        console.print(f"{accepted} accepted, {len(result.checks) - accepted} rejected")
    return 0 if result.all_accepted else 1


def register(group: click.Group) -> None:
    group.add_command(lean_group)
