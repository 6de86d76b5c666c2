"""``provenance schema``: list the shipped schemas, print one, validate documents."""

from __future__ import annotations

import json
from pathlib import Path

import click

from provenance.cli.output import console, print_json
from provenance.errors import InputError
from provenance.jsonio import load_json_file
from provenance.schemas import contract_of, load_schema, schema_names, validate


@click.group("schema")
def schema_group() -> None:
    """The JSON Schemas (Draft 2020-12) every document is checked against."""


@schema_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> int:
    """List the schemas shipped with this version."""
    names = schema_names()
    if as_json:
        print_json(names)
    else:
        for name in names:
            console.print(name)
    return 0


@schema_group.command("show")
@click.argument("name")
def show_command(name: str) -> int:
    """Print one schema."""
    click.echo(json.dumps(load_schema(name), indent=2, ensure_ascii=False))
    return 0


@schema_group.command("validate")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--schema", "name", help="Schema name; by default the document's own contract field picks it.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON report.")
def validate_command(file: Path, name: str | None, as_json: bool) -> int:
    """Validate FILE and list every error with its JSON path (exit 0 valid, 1 invalid, 2 unreadable)."""
    document = load_json_file(file)
    chosen = name or contract_of(document)
    if chosen is None:
        raise InputError(
            "the document names no contract we know",
            where=str(file),
            remedy=f"pass --schema NAME (one of: {', '.join(schema_names())})",
        )
    findings = validate(document, chosen)
    if as_json:
        print_json(
            {
                "file": str(file),
                "schema": chosen,
                "valid": not findings,
                "errors": [{"path": f.path, "message": f.message} for f in findings],
            }
        )
    elif findings:
        console.print(f"[red]invalid[/red] {file} against {chosen}: {len(findings)} error(s)")
        for finding in findings:
            console.print(f"  {finding.path}: {finding.message}", markup=False)
    else:
        console.print(f"[green]valid[/green] {file} against {chosen}")
    return 1 if findings else 0


def register(group: click.Group) -> None:
    group.add_command(schema_group)
