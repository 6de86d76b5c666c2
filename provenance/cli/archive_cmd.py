"""``provenance archive list|show|fetch``: browse the embedded local archive."""

from __future__ import annotations

import click

from archive.local_archive import LocalArchive, default_archive_dir
from provenance.cli.archive_options import archive_dir_option
from provenance.cli.columns import aligned, markup_safe, pairs
from provenance.cli.options import environment, json_option
from provenance.cli.output import console, print_json

_ARCHIVE_DIR = archive_dir_option()


def _open(archive_dir: str | None) -> LocalArchive:
    return LocalArchive(archive_dir or default_archive_dir(environment()))


@click.group("archive")
def archive_group() -> None:
    """The embedded local archive: depositions, DOIs (10.5072/local.N), versions, files."""


@archive_group.command("list")
@_ARCHIVE_DIR
@json_option
def list_cmd(archive_dir: str | None, as_json: bool) -> int:
    """List every deposition, newest first."""
    items = _open(archive_dir).list_deposits()
    if as_json:
        print_json(items)
        return 0
    rows = [[str(it["id"]), str(it["state"]), it["doi"] or "-", it["concept_doi"] or "-", it["version"] or "-",
             (it["title"] or "")[:60]] for it in items]
    console.print(markup_safe(aligned(("id", "state", "DOI", "concept DOI", "version", "title"), rows)))
    return 0


@archive_group.command("show")
@click.argument("ref")
@_ARCHIVE_DIR
@json_option
def show_cmd(ref: str, archive_dir: str | None, as_json: bool) -> int:
    """Show deposition REF (an id, its DOI, or a concept DOI for the latest version)."""
    info = _open(archive_dir).show(ref)
    if as_json:
        print_json(info)
        return 0
    items = [(key, str(info[key])) for key in ("id", "state", "doi", "concept_doi", "version", "title", "published",
                                                "record_url") if info.get(key)]
    items.append(("versions", ", ".join(info["versions"]) or "-"))
    items += [("file", f"{f['key']}  {f['size']} bytes  sha256 {f['sha256']}") for f in info["files"]]
    console.print(markup_safe(pairs(items)))
    return 0


@archive_group.command("fetch")
@click.argument("ref")
@click.option("-o", "--output", required=True, type=click.Path(), help="Where to write the file.")
@click.option("--key", help="Which file (default: the deposition's zip).")
@_ARCHIVE_DIR
@json_option
def fetch_cmd(ref: str, output: str, key: str | None, archive_dir: str | None, as_json: bool) -> int:
    """Copy the archived bundle of REF to OUTPUT, checking its MD5 and sha256 against the index."""
    result = _open(archive_dir).fetch(ref, output, key=key)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['key']} of {result['doi'] or 'draft ' + result['deposition_id']} -> "
                      f"{result['path']} (sha256 {result['sha256']}, verified)")
    return 0


def register(group: click.Group) -> None:
    group.add_command(archive_group)
