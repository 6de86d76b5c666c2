"""``provenance keys generate|list|show``: Ed25519 key files."""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import Any

import click

from provenance.cli import options
from provenance.cli.output import console, print_json
from provenance.errors import InputError
from provenance.signing.errors import KeyFileError
from provenance.signing.keys import (
    MIN_PASSPHRASE_CHARS,
    ROLES,
    PublicKeyInfo,
    generate_key,
    key_file_is_encrypted,
    key_file_kind,
    load_public_key_info,
    load_signing_key,
    save_signing_key,
)


def _info_json(info: PublicKeyInfo, private: Path | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "keyid": info.key.keyid,
        "role": info.role,
        "name": info.name,
        "created": info.meta.get("created"),
        "public_key": str(info.path),
        "public_key_pem": info.key.to_pem().decode("ascii"),
    }
    if private is not None and private.exists():
        out["private_key"] = str(private)
        out["encrypted"] = key_file_is_encrypted(private)
        out["mode"] = f"{stat.S_IMODE(private.stat().st_mode):04o}"
    return out


def _public_info_for(path: Path) -> tuple[PublicKeyInfo, Path | None]:
    """The public key info for a .pub file, or for a private key: what its PATH.pub says (checked
    against the key whenever the key can be opened without a prompt), else the key's own public half."""
    kind = key_file_kind(path)
    if kind == "public":
        return load_public_key_info(path), path.with_suffix("") if path.suffix == ".pub" else None
    pub = path.with_name(path.name + ".pub")
    if kind == "encrypted" and pub.is_file() and options.passphrase_from_environment() is None:
        return load_public_key_info(pub), path  # nothing to decrypt with: show what PATH.pub says
    # load_signing_key refuses a PATH.pub that holds another key.
    key = load_signing_key(path, None) if kind == "unencrypted" else options.load_signing_key_cli(path)
    return (load_public_key_info(pub) if pub.is_file() else PublicKeyInfo(key.public, path, {})), path


@click.group("keys")
def keys_group() -> None:
    """Make and inspect Ed25519 signing keys (encrypted PKCS#8, key id = sha256 of the public key)."""


@keys_group.command("generate", help=(
    f"Generate an Ed25519 key, encrypted with a passphrase of at least {MIN_PASSPHRASE_CHARS} characters "
    "from PROVENANCE_KEY_PASSPHRASE or a prompt."))
@click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Private key file to write (0600); the public key goes to PATH.pub.")
@click.option("--role", type=click.Choice(ROLES), default=None, help="Role the key is meant for (recorded in PATH.pub).")
@click.option("--name", default=None, help="Holder's name (recorded in PATH.pub).")
@click.option("--no-passphrase", is_flag=True, help="Write the private key unencrypted (not recommended).")
@click.option("--force", is_flag=True, help="Replace existing key files.")
@options.json_option
def generate(out: Path, role: str | None, name: str | None, no_passphrase: bool, force: bool, as_json: bool) -> int:
    if no_passphrase:
        passphrase = None
    else:
        passphrase = options.read_passphrase(confirm=True)
        if passphrase is None:
            raise InputError(
                "no passphrase to encrypt the key with",
                remedy=f"set {options.PASSPHRASE_ENV}, run on a terminal to be prompted, or pass --no-passphrase",
            )
    key = generate_key()
    pub = save_signing_key(key, out, passphrase, role=role, name=name, overwrite=force)
    if as_json:
        print_json({"keyid": key.keyid, "private_key": str(out), "public_key": str(pub), "role": role,
                    "name": name, "encrypted": passphrase is not None})
    else:
        console.print(f"key id {key.keyid}")
        console.print(f"private key {out} ({'encrypted' if passphrase else 'UNENCRYPTED'}, mode 0600)")
        console.print(f"public key  {pub}")
    return 0


@keys_group.command("list")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@options.json_option
def list_keys(directory: Path, as_json: bool) -> int:
    """List the public keys (*.pub) in DIRECTORY (default: here) with their ids, roles and names."""
    if not directory.is_dir():
        raise InputError("not a directory", where=str(directory), remedy="give a directory holding key files")
    rows = []
    for pub in sorted(directory.glob("*.pub")):
        try:
            info = load_public_key_info(pub)
        except KeyFileError:
            continue
        rows.append(_info_json(info, pub.with_suffix("")))
    if as_json:
        print_json({"keys": rows})
        return 0
    if not rows:
        console.print(f"no public keys (*.pub) in {directory}")
        return 0
    from rich.table import Table

    table = Table("key id", "role", "name", "public key", "private key")
    for row in rows:
        private = row.get("private_key")
        state = f"{private} ({'encrypted' if row['encrypted'] else 'unencrypted'})" if private else "-"
        table.add_row(row["keyid"][:16], row["role"] or "-", row["name"] or "-", row["public_key"], state)
    console.print(table)
    return 0


@keys_group.command("show")
@click.argument("key", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pem", is_flag=True, help="Print only the public key PEM.")
@options.json_option
def show(key: Path, pem: bool, as_json: bool) -> int:
    """Show a key's id, role, name and public key (KEY is a private key or a .pub file)."""
    if not key.exists():
        raise InputError("no such key file", where=str(key), remedy="check the path")
    info, private = _public_info_for(key)
    data = _info_json(info, private)
    if pem:
        sys.stdout.write(data["public_key_pem"])
    elif as_json:
        print_json(data)
    else:
        for label in ("keyid", "role", "name", "created", "public_key", "private_key", "encrypted", "mode"):
            if data.get(label) is not None:
                console.print(f"{label:12} {data[label]}")
        if data.get("encrypted") is False:
            console.print("warning: the private key is not encrypted", style="yellow")
    return 0


def register(group: click.Group) -> None:
    group.add_command(keys_group)
