"""``provenance bundle build`` and ``provenance bundle info``: make a signed bundle, read its identity."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from provenance.bundle.artifacts import includes_from
from provenance.bundle.build import BuildRequest, build_bundle
from provenance.bundle.read import open_bundle
from provenance.claims.leanmode import LEAN_MODES
from provenance.cli.options import (
    json_option,
    key_option,
    load_signing_key_cli,
    source_date_epoch,
    trust_options,
)
from provenance.cli.output import console, err_console, print_json
from provenance.signing.trust import TrustRoot

_STYLE = {"verified": "green", "falsified": "red", "inconclusive": "yellow", "error": "magenta"}


@click.group("bundle")
def bundle_group() -> None:
    """Build signed BagIt/RO-Crate bundles, or read a bundle's identity."""


@bundle_group.command("build")
@click.argument("manifest", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--claims", "claims_path", type=click.Path(path_type=Path, dir_okay=False),
              help='Checks to attach by claim id: {"claims": [{"id", "check"}]}.')
@click.option("--repro", "repro_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Directory of repro scripts (*.py) and their data/, run sealed; all carried in the bundle.")
@click.option("--lean", "lean_mode", type=click.Choice(LEAN_MODES), default="auto", show_default=True,
              help="Type-check claim theorems with Lean: when installed, never, or fail without it.")
@key_option(help="Attestor private key that signs the bundle (passphrase from PROVENANCE_KEY_PASSPHRASE).")
@trust_options(required=False,
               help="Trust root: refuse to sign unless --key is one of its attestor keys; verifies --corrections.")
@click.option("--corrections", "corrections_log", type=click.Path(path_type=Path, dir_okay=False),
              help="Correction log (JSONL) to carry, with its .checkpoint, as data/corrections/.")
@click.option("--supersedes", help="The earlier bundle (id sha256:<hex>, or its path) this version replaces.")
@click.option("--bundle-version", type=click.IntRange(1), help="Bundle-Version (default 1, or the earlier one's + 1).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path), required=True,
              help="Bag directory to create (must not exist); a name ending in .zip writes only the zip.")
@click.option("--license", "license_id", help="Licence URI the RO-Crate states (default: 'No licence stated').")
@click.option("--zip", "make_zip", is_flag=True, help="Also write OUT.zip, a deterministic zip of the bag.")
@click.option("--unsafe-no-sandbox", is_flag=True,
              help="Run repro scripts on the host WITHOUT isolation when bubblewrap is missing (recorded).")
@click.option("--include", "includes", multiple=True, metavar="[NAME=]PATH",
              help="Carry a file or directory the record rests on (a PDF, data, code) as data/artifacts/NAME "
                   "(default NAME: the path's last part); repeatable. Symlinks and special files are refused.")
@click.option("--include-description", "include_descriptions", multiple=True, metavar="NAME=TEXT",
              help="Describe the artifact NAME in the RO-Crate (and the report and deposit); repeatable.")
@json_option
def build_command(
    manifest: Path,
    claims_path: Path | None,
    repro_dir: Path | None,
    lean_mode: str,
    key_path: Path,
    trust: TrustRoot | None,
    corrections_log: Path | None,
    supersedes: str | None,
    bundle_version: int | None,
    out: Path,
    license_id: str | None,
    make_zip: bool,
    unsafe_no_sandbox: bool,
    includes: tuple[str, ...],
    include_descriptions: tuple[str, ...],
    as_json: bool,
) -> int:
    """Check MANIFEST's claims, sign everything and write a BagIt 1.0 bundle; print its id.

    Same inputs, key and SOURCE_DATE_EPOCH give byte-identical bags and zips. The bundle
    id is sha256: + the sha256 of tagmanifest-sha256.txt. Exit 0 when written (falsified
    claims are recorded, not errors); 2 bad input; 3 Lean or bubblewrap required but missing.
    """
    key = load_signing_key_cli(key_path)
    request = BuildRequest(
        manifest=manifest,
        out=out,
        claims=claims_path,
        repro=repro_dir,
        corrections=corrections_log,
        supersedes=supersedes,
        bundle_version=bundle_version,
        make_zip=make_zip,
        license_id=license_id,
        lean_mode=lean_mode,
        unsafe_no_sandbox=unsafe_no_sandbox,
        includes=includes_from(includes, include_descriptions),
    )
    progress = None if as_json else (lambda msg: err_console.print(f"[dim]{escape(msg)}[/dim]"))
    result = build_bundle(request, key=key, trust=trust, epoch=source_date_epoch(), progress=progress)
    if as_json:
        doc = result.to_json()
        doc["claims"] = {v.claim_id: v.status for v in result.verdicts}
        print_json(doc)
        return 0
    where = result.path or result.zip_path
    console.print(f"bundle {escape(str(where))}: record {escape(result.record_id)}, {result.files} files, "
                  f"Payload-Oxum {result.payload_oxum}")
    for v in result.verdicts:
        style = _STYLE.get(v.status, "")
        console.print(f"  {escape(v.claim_id)}: [{style}]{v.status}[/{style}] ({v.method}/{v.scope})")
    if result.artifacts:
        console.print(f"  artifacts: {escape(', '.join(result.artifacts))}")
    if result.zip is not None:
        console.print(f"zip {escape(str(result.zip_path))}: {result.zip.size} bytes, sha256 {result.zip.sha256}, "
                      f"md5 {result.zip.md5}")
    click.echo(result.bundle_id)
    return 0


@bundle_group.command("info")
@click.argument("bundle", type=click.Path(path_type=Path))
@json_option
def info_command(bundle: Path, as_json: bool) -> int:
    """Print a bundle's record id, bundle id and version without verifying it (see `provenance verify`)."""
    info = open_bundle(bundle)
    if as_json:
        print_json(info.to_json())
        return 0
    console.print(f"record {info.record_id}: {info.manifest.get('title')}")
    console.print(f"bundle id {info.bundle_id} (version {info.bundle_version})")
    if info.previous_bundle_id:
        console.print(f"supersedes {info.previous_bundle_id}")
    return 0


def register(group: click.Group) -> None:
    group.add_command(bundle_group)
