"""``provenance ingest``: a record's text into a paper manifest."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from provenance.cli.output import console, print_json
from provenance.cli.wording import counted
from provenance.ingest import ingest_file
from provenance.ingest.checks import attach_checks
from provenance.ingest.version import record_id_of_bundle, with_record_id
from provenance.jsonio import load_json_file, pretty_bytes, write_json


@click.command("ingest")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), help="Write the manifest here (atomically) instead of stdout.")
@click.option(
    "--checks",
    type=click.Path(path_type=Path),
    help='Attach arithmetic checks by claim id from a JSON file {"claims": [{"id", "check"}]}.',
)
@click.option("--supersedes", "supersedes", type=click.Path(path_type=Path),
              help="FILE is the corrected next version of the record in this bundle (a bag directory or its zip): "
                   "keep that bundle's record id, so its correction log and concept DOI carry over.")
@click.option("--record-id", help="Use this record id (for a record that prints none; e.g. the id of its earlier "
                                  "version). A record that prints its own id keeps it.")
@click.option("--json", "as_json", is_flag=True, help="With -o: print a JSON summary instead of a readable one.")
def ingest_command(file: Path, out: Path | None, checks: Path | None, supersedes: Path | None, record_id: str | None,
                   as_json: bool) -> int:
    """Parse a record (pipe tables, HTML text or paper style) into a paper-manifest-v1.1 JSON.

    \b
    Version N+1 of a record (after a correction), the one path:
      provenance ingest corrected.txt --checks checks.json --supersedes bundle.zip -o manifest-v2.json
      provenance bundle build manifest-v2.json --corrections corrections.jsonl --supersedes bundle.zip \\
          --key attestor.key --trust trust-root.json -o bundle-v2 --zip
      provenance deposit bundle-v2.zip --trust trust-root.json   # a new version of the same concept DOI
    """
    if supersedes is not None and record_id is not None:
        raise click.UsageError("give --supersedes or --record-id, not both")
    manifest = ingest_file(file)
    if supersedes is not None:
        manifest = with_record_id(manifest, record_id_of_bundle(supersedes), where=str(file))
    elif record_id is not None:
        manifest = with_record_id(manifest, record_id, where="--record-id")
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
