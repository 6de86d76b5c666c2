"""``provenance ingest``: a record's text into a paper manifest."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from provenance.cli.output import console, print_json
from provenance.cli.wording import counted
from provenance.ingest import ingest_file
from provenance.ingest.checks import attach_checks
from provenance.jsonio import load_json_file, pretty_bytes, write_json


@click.command("ingest")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), help="Write the manifest here (atomically) instead of stdout.")
@click.option(
    "--checks",
    type=click.Path(path_type=Path),
    help='Attach arithmetic checks by claim id from a JSON file {"claims": [{"id", "check"}]}.',
)
@click.option("--json", "as_json", is_flag=True, help="With -o: print a JSON summary instead of a readable one.")
def ingest_command(file: Path, out: Path | None, checks: Path | None, as_json: bool) -> int:
    """Parse a record (pipe tables, HTML text or paper style) into a paper-manifest-v1.1 JSON."""
    manifest = ingest_file(file)
    if checks is not None:
        manifest = attach_checks(manifest, load_json_file(checks), source=str(checks))
    if out is None:
        click.echo(pretty_bytes(manifest).decode("utf-8"), nl=False)
        return 0
    write_json(out, manifest)
    summary = {
        "output": str(out),
        "record_id": manifest["record_id"],
        "title": manifest["title"],
        "form": manifest["source"]["form"],
        "claims": len(manifest["claims"]),
        "references": len(manifest["references"]),
        "gate_status": (manifest.get("gate_verdict") or {}).get("status"),
    }
    if as_json:
        print_json(summary)
    else:
        console.print(
            f"[bold]{escape(manifest['record_id'])}[/bold] {escape(manifest['title'])}\n"
            f"  form {summary['form']}, {counted(summary['claims'], 'claim')}, "
            f"{counted(summary['references'], 'reference')}, "
            f"gate status {summary['gate_status'] or 'not stated'} -> {out}"
        )
    return 0


def register(group: click.Group) -> None:
    group.add_command(ingest_command)
