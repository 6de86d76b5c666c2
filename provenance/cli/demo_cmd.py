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


@dataclass
class _Run:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def json(self) -> Any:
        return json.loads(self.stdout)


@dataclass
class _Demo:
    workdir: Path
    repo: Path
    env: dict[str, str]
    summary: list[tuple[str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def run(self, title: str, args: Sequence[str], *, ok: Sequence[int] = (0,), show: bool = True) -> _Run:
        argv = [sys.executable, "-m", "provenance", *args]
        shown = " ".join(shlex.quote(a) for a in ["provenance", *args])
        console.rule(f"[bold]{title}")
        console.print(f"$ {shown}", style="cyan", markup=False, highlight=False)
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=600)
        run = _Run(list(args), proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)
        if show:
            text = proc.stdout.rstrip()
            lines = text.splitlines()
            if len(lines) > 40:
                text = "\n".join([*lines[:40], f"... ({len(lines) - 40} more lines)"])
            if text:
                console.print(text, markup=False, highlight=False)
        if proc.stderr.strip():
            console.print(proc.stderr.rstrip(), style="yellow", markup=False, highlight=False)
        verdict = "ok" if proc.returncode in ok else "UNEXPECTED"
        console.print(f"(exit {proc.returncode}, {run.seconds:.2f} s, {verdict})", style="dim")
        if proc.returncode not in ok:
            self.failures.append(f"{shown} exited {proc.returncode}")
        return run

    def note(self, what: str, result: str) -> None:
        self.summary.append((what, result))


Step = Callable[[_Demo], None]


def _ingest(d: _Demo) -> None:
    examples = d.repo / "examples"
    for record in sorted(examples.glob("*.txt")):
        out = d.workdir / "records" / f"{record.stem}.json"
        out.parent.mkdir(exist_ok=True)
        d.run(f"Ingest {record.name}", ["ingest", str(record), "-o", str(out)])
        d.run(f"Validate {out.name}", ["schema", "validate", str(out)])
    d.run(
        "Ingest the paper-style record with its arithmetic checks",
        ["ingest", str(examples / "rag-benchmark-paper.txt"), "--checks", str(examples / "rag-benchmark.checks.json"),
         "-o", "manifest.json"],
    )
    d.note("ingest", "3 sample records (pipe tables, HTML text, paper) -> valid paper-manifest-v1.1")


STEPS: tuple[Step, ...] = (_ingest,)


@click.command("demo")
@click.option("--workdir", type=click.Path(path_type=Path), default=Path("demo-out"), show_default=True,
              help="Directory for everything the demo makes (emptied first).")
def demo_command(workdir: Path) -> int:
    """Run the whole life of a sample record on the embedded local archive and say what was shown."""
    repo = Path(__file__).resolve().parents[2]
    if not (repo / "examples").is_dir():
        raise InputError("examples/ not found beside the package", where=str(repo), remedy="run the demo from a checkout")
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    env = dict(os.environ)
    env["PROVENANCE_KEY_PASSPHRASE"] = DEMO_PASSPHRASE
    env.setdefault("SOURCE_DATE_EPOCH", "1790000000")
    env.pop("ZENODO_ACCESS_TOKEN", None)
    demo = _Demo(workdir.resolve(), repo, env)
    for step in STEPS:
        step(demo)
    console.rule("[bold]What was shown")
    for what, result in demo.summary:
        console.print(f"[bold]{what}[/bold]: {result}")
    if demo.failures:
        raise CheckFailed(f"{len(demo.failures)} demo step(s) did not behave as expected: " + "; ".join(demo.failures))
    console.print(f"[green]demo complete[/green]: everything it made is in {workdir}/")
    return 0


def register(group: click.Group) -> None:
    group.add_command(demo_command)
