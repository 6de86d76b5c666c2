"""``provenance sign`` and ``provenance verify-signature``: DSSE envelopes over in-toto statements."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import click

from provenance import GENERATOR, __version__
from provenance.cli import options
from provenance.cli.output import console, print_json
from provenance.clock import rfc3339, utc_now
from provenance.errors import InputError
from provenance.jsonio import load_json_file, write_json
from provenance.signing import intoto
from provenance.signing import source_provenance as sp
from provenance.signing.dsse import add_signatures, verify_envelope
from provenance.signing.keys import ROLES, SigningKey


def _require_trusted(signers: list[SigningKey], paths: tuple[Path, ...], trust: Any, role: str) -> None:
    trusted, _ = trust.keys_for(role)
    for key, path in zip(signers, paths, strict=True):
        if key.keyid not in trusted:
            raise InputError(f"key {key.keyid[:16]} is not trusted for role {role} in the trust root (version "
                             f"{trust.version})", where=str(path),
                             remedy="use a trusted key, or add it with `provenance trust add-key`")



@click.command("sign")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@options.key_option("--key", param="keys", multiple=True, help="Private key to sign with (repeat for several signatures).")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the DSSE envelope (JSON).")
@click.option("--predicate-type", default=None,
              help=f"predicateType of the statement (default: {intoto.FILES_PREDICATE_TYPE}).")
@click.option("--predicate", "predicate_file", default=None, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="JSON file holding the predicate object.")
@click.option("--source-provenance", "manifest_file", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Sign a source-provenance-v1 predicate for this paper manifest; FILES are its outputs.")
@click.option("--input", "inputs", multiple=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="With --source-provenance: an input file (repeat); its digest and git state are recorded.")
@click.option("--lean-version", default=None, help="With --source-provenance: the Lean version used, if any.")
@click.option("--base", default=None, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Subject names are paths relative to this directory (default: here).")
@options.trust_options(required=False, help="Refuse to sign unless each key is trusted for --role in this trust root.")
@click.option("--role", default="attestor", show_default=True, type=click.Choice(ROLES),
              help="With --trust: the role the keys must hold.")
@options.json_option
def sign(files: tuple[Path, ...], keys: tuple[Path, ...], out: Path, predicate_type: str | None,
         predicate_file: Path | None, manifest_file: Path | None, inputs: tuple[Path, ...],
         lean_version: str | None, base: Path | None, trust: Any, role: str, as_json: bool) -> int:
    """Sign FILES: a DSSE envelope over an in-toto Statement v1 naming each file and its sha256."""
    signers = [options.load_signing_key_cli(k) for k in keys]
    if trust is not None:
        _require_trusted(signers, keys, trust, role)
    now = utc_now()
    subjects = intoto.subjects_for_files(list(files), base=base)
    if manifest_file is not None:
        if predicate_file is not None or predicate_type is not None:
            raise InputError("--source-provenance sets the predicate itself",
                             remedy="drop --predicate/--predicate-type")
        manifest = load_json_file(manifest_file)
        predicate: dict[str, Any] = sp.build_source_provenance(
            manifest, [manifest_file, *inputs], dict(subjects), now=now, lean_version=lean_version, base=base,
        )
        ptype = sp.PREDICATE_TYPE
    elif predicate_file is not None:
        loaded = load_json_file(predicate_file)
        if not isinstance(loaded, dict):
            raise InputError("the predicate must be a JSON object", where=str(predicate_file), remedy="wrap it in {}")
        predicate = loaded
        ptype = predicate_type or intoto.FILES_PREDICATE_TYPE
    else:
        predicate = {"signed_at": rfc3339(now), "generator": {"name": GENERATOR, "version": __version__}}
        ptype = predicate_type or intoto.FILES_PREDICATE_TYPE
    if out.resolve() in {f.resolve() for f in files}:
        raise InputError("the envelope would overwrite a signed file", where=str(out), remedy="choose another -o")
    statement = intoto.make_statement(subjects, ptype, predicate)
    envelope = intoto.sign_statement(statement, signers)
    write_json(out, envelope)
    if as_json:
        print_json({"envelope": str(out), "predicateType": ptype, "keyids": [k.keyid for k in signers],
                    "subjects": [{"name": n, "sha256": d} for n, d in subjects]})
    else:
        console.print(f"signed {len(subjects)} file(s) with {len(signers)} key(s) -> {out}")
        for name, digest in subjects:
            console.print(f"  {digest[:16]}  {name}")
    return 0


@click.command("add-signature")
@click.argument("envelope", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@options.key_option("--key", param="keys", multiple=True, help="Private key to add a signature with (repeat).")
@click.option("-o", "--out", "out", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the envelope here (default: replace ENVELOPE atomically).")
@options.trust_options(required=False, help="Refuse unless each key is trusted for --role in this trust root.")
@click.option("--role", default="attestor", show_default=True, type=click.Choice(ROLES),
              help="With --trust: the role the keys must hold.")
@options.json_option
def add_signature(envelope: Path, keys: tuple[Path, ...], out: Path | None, trust: Any, role: str,
                  as_json: bool) -> int:
    """Add signatures to ENVELOPE over the same bytes (k-of-n signing by separate key holders)."""
    signers = [options.load_signing_key_cli(k) for k in keys]
    if trust is not None:
        _require_trusted(signers, keys, trust, role)
    document = load_json_file(envelope)
    updated = add_signatures(document, signers)
    write_json(out or envelope, updated)
    keyids = [s.get("keyid", "") for s in updated["signatures"]]
    if as_json:
        print_json({"envelope": str(out or envelope), "keyids": keyids})
    else:
        console.print(f"{out or envelope}: {len(keyids)} signature(s)")
    return 0


@click.command("verify-signature")
@click.argument("envelope", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@options.trust_options(required=True, help="trust-root.json naming the keys trusted per role.", with_at=True)
@click.option("--role", default="attestor", show_default=True, type=click.Choice(ROLES),
              help="Role whose keys and threshold the envelope must meet.")
@click.option("--predicate-type", default=None, help="Require this predicateType.")
@click.option("--payload-type", default=intoto.PAYLOAD_TYPE, show_default=True,
              help="Required payloadType; anything but in-toto is verified as plain DSSE (no FILES).")
@click.option("--base", default=None, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="FILES are named relative to this directory (default: here).")
@options.json_option
def verify_signature(envelope: Path, files: tuple[Path, ...], trust: Any, at: Any, role: str,
                     predicate_type: str | None, payload_type: str, base: Path | None, as_json: bool) -> int:
    """Verify ENVELOPE against the trust root's ROLE keys, and that each FILE's sha256 is a subject."""
    del at  # the trust root's expiry was checked at --at when it was loaded
    root = trust
    trusted, threshold = root.keys_for(role)
    document = load_json_file(envelope)
    if payload_type != intoto.PAYLOAD_TYPE:
        if files or predicate_type:
            raise InputError("FILES and --predicate-type need an in-toto statement",
                             remedy=f"drop them, or verify a {intoto.PAYLOAD_TYPE} envelope")
        plain = verify_envelope(document, trusted, threshold, expected_payload_type=payload_type,
                                revoked=root.revoked, where=str(envelope))
        if as_json:
            print_json({"ok": True, "envelope": str(envelope), "role": role, "threshold": threshold,
                        "keyids": sorted(plain.keyids), "trust_root_version": root.version,
                        "payloadType": plain.payload_type, "payload_sha256": hashlib.sha256(plain.payload).hexdigest()})
        else:
            console.print(f"OK {envelope}: {plain.payload_type} signed by {len(plain.keyids)} trusted {role} "
                          f"key(s), threshold {threshold}, trust root version {root.version}")
        return 0
    digests = dict(intoto.subjects_for_files(list(files), base=base)) if files else None
    verified = intoto.verify_statement_envelope(
        document, trusted, threshold, predicate_type=predicate_type, files=digests, revoked=root.revoked,
        where=str(envelope),
    )
    statement = verified.statement
    if as_json:
        print_json({
            "ok": True,
            "envelope": str(envelope),
            "role": role,
            "threshold": threshold,
            "keyids": sorted(verified.keyids),
            "trust_root_version": root.version,
            "predicateType": statement.predicate_type,
            "subjects": [{"name": s.name, "digest": dict(s.digest)} for s in statement.subjects],
            "files_checked": sorted(digests) if digests else [],
        })
    else:
        names = ", ".join(root.names.get(k, k[:16]) for k in sorted(verified.keyids))
        console.print(f"OK {envelope}: signed by {len(verified.keyids)} trusted {role} key(s) ({names}), "
                      f"threshold {threshold}, trust root version {root.version}")
        console.print(f"predicateType {statement.predicate_type}; {len(statement.subjects)} subject(s)")
        for name in sorted(digests or {}):
            console.print(f"  file {name}: sha256 matches")
    return 0


def register(group: click.Group) -> None:
    for command in (sign, add_signature, verify_signature):
        group.add_command(command)
