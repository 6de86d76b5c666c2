"""``provenance report BUNDLE -o report.html``: the one page an auditor reads."""

from __future__ import annotations

from pathlib import Path

import click

from archive.atomic import atomic_write_bytes
from archive.local_archive import default_archive_dir
from provenance.bundle.archived import archived_doi_of
from provenance.bundle.report import FORMATS, load_report_data, render
from provenance.cli.options import environment, json_option, trust_options
from provenance.cli.output import console, print_json
from provenance.signing.trust import TrustRoot


@click.command("report")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="Report file to write (atomically).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="html or md (default: from the file name, else html).")
@trust_options(required=False, help="Trust root: also verify the bundle and include the checklist.")
@click.option("--archive-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Local archive in which to look up the DOI of this bundle (only read; default: the embedded "
                   "archive's directory, $XDG_DATA_HOME/provenance/archive).")
@json_option
def report_command(bundle: Path, out: Path, fmt: str | None, trust: TrustRoot | None, archive_dir: Path | None,
                   as_json: bool) -> int:
    """Render BUNDLE as one self-contained page: the record, each claim with its check, exact
    value, verdict, scope and Lean theorem, the signatures and keys, the DOI and the corrections.

    Exit 0 when written (and, with --trust, verified); 1 when --trust verification fails.
    """
    chosen = fmt or ("md" if out.suffix.lower() in (".md", ".markdown") else "html")
    archive = archive_dir or default_archive_dir(environment())
    data = load_report_data(bundle, trust, archived_doi=archived_doi_of(bundle, archive))
    atomic_write_bytes(out, render(data, chosen).encode("utf-8"))
    ok = data.verification.ok if data.verification is not None else data.bag_valid
    if as_json:
        print_json({"report": str(out), "format": chosen, "bundle_id": data.bundle_id, "bag_valid": data.bag_valid,
                    "verified": data.verification.ok if data.verification is not None else None,
                    "archived_doi": data.archived_doi})
    else:
        console.print(f"wrote {out} ({chosen}) for bundle {data.bundle_id}")
    return 0 if ok else 1


def register(group: click.Group) -> None:
    group.add_command(report_command)
