"""``provenance keys generate|list|show``: Ed25519 key files."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from provenance.cli.output import console, json_option_help, print_json
from provenance.errors import InputError
from provenance.signing.errors import KeyFileError
from provenance.signing.keys import (
    PASSPHRASE_ENV,
    ROLES,
    PublicKeyInfo,
    SigningKey,
    generate_key,
    key_file_is_encrypted,
    load_public_key_info,
    load_signing_key,
    passphrase_from_env,
    save_signing_key,
)


def read_passphrase(*, confirm: bool) -> bytes | None:
    """The passphrase from ``PROVENANCE_KEY_PASSPHRASE``, else a hidden prompt on a terminal, else None."""
    value = passphrase_from_env()
    if value is not None:
        return value
    if not sys.stdin.isatty():
        return None
    text = click.prompt("Key passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    return str(text).encode("utf-8") or None


def load_key_for_signing(path: Path) -> SigningKey:
    """Load a private key, prompting for its passphrase on a terminal when the environment has none."""
    passphrase = None
    if key_file_is_encrypted(path) and passphrase_from_env() is None:
        passphrase = read_passphrase(confirm=False)
    return load_signing_key(path, passphrase)


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
    """The public key info for a .pub file or a private key (via PATH.pub or by loading it)."""
    text = path.read_bytes()[:4096] if path.is_file() else b""
    if b"PRIVATE KEY-----" in text:
        pub = path.with_name(path.name + ".pub")
        if pub.is_file():
            info = load_public_key_info(pub)
            key = load_key_for_signing(path) if not key_file_is_encrypted(path) or passphrase_from_env() else None
            if key is not None and key.keyid != info.key.keyid:
                raise KeyFileError(
                    f"{pub.name} holds key {info.key.keyid[:16]} but the private key is {key.keyid[:16]}",
                    where=str(path), remedy="the .pub file belongs to another key; regenerate it",
                )
            return info, path
        key = load_key_for_signing(path)
        return PublicKeyInfo(key.public, path, {}), path
    info = load_public_key_info(path)
    private = path.with_suffix("") if path.suffix == ".pub" else None
    return info, private


def register(group: click.Group) -> None:
    @group.group("keys")
    def keys() -> None:
        """Make and inspect Ed25519 signing keys (encrypted PKCS#8, key id = sha256 of the public key)."""

    @keys.command("generate")
    @click.option("--out", "-o", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="Private key file to write (0600); the public key goes to PATH.pub.")
    @click.option("--role", type=click.Choice(ROLES), default=None, help="Role the key is meant for (recorded in PATH.pub).")
    @click.option("--name", default=None, help="Holder's name (recorded in PATH.pub).")
    @click.option("--no-passphrase", is_flag=True, help="Write the private key unencrypted (not recommended).")
    @click.option("--force", is_flag=True, help="Replace existing key files.")
    @click.option("--json", "as_json", is_flag=True, help=json_option_help())
    def generate(out: Path, role: str | None, name: str | None, no_passphrase: bool, force: bool, as_json: bool) -> int:
        """Generate an Ed25519 key; the passphrase comes from PROVENANCE_KEY_PASSPHRASE or a prompt."""
        if no_passphrase:
            passphrase = None
        else:
            passphrase = read_passphrase(confirm=True)
            if passphrase is None:
                raise InputError(
                    "no passphrase to encrypt the key with",
                    remedy=f"set {PASSPHRASE_ENV}, run on a terminal to be prompted, or pass --no-passphrase",
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

    @keys.command("list")
    @click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--json", "as_json", is_flag=True, help=json_option_help())
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
        table = Table("key id", "role", "name", "public key", "private key")
        for row in rows:
            private = row.get("private_key")
            state = f"{private} ({'encrypted' if row['encrypted'] else 'unencrypted'})" if private else "-"
            table.add_row(row["keyid"][:16], row["role"] or "-", row["name"] or "-", row["public_key"], state)
        console.print(table)
        return 0

    @keys.command("show")
    @click.argument("key", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--pem", is_flag=True, help="Print only the public key PEM.")
    @click.option("--json", "as_json", is_flag=True, help=json_option_help())
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
            if data.get("encrypted") is False and os.environ.get(PASSPHRASE_ENV) is None:
                console.print("warning: the private key is not encrypted", style="yellow")
        return 0
