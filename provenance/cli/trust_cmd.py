"""``provenance trust init|add-key|remove-key|set-threshold|renew|sign|show|verify``: the trust root."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from provenance.cli import options
from provenance.cli.output import console, print_json
from provenance.clock import rfc3339, utc_now
from provenance.errors import InputError
from provenance.jsonio import load_json_file
from provenance.signing import trust as tr
from provenance.signing.errors import SignatureError
from provenance.signing.keys import ROLES, SigningKey, load_public_key, load_public_key_info


def _signers(paths: Sequence[Path]) -> list[SigningKey]:
    if not paths:
        raise InputError("no --sign-with key given", remedy="pass --sign-with ROOTKEY (a private root key)")
    return [options.load_signing_key_cli(p) for p in paths]


def _names_for(paths: Sequence[Path], keys: Sequence[SigningKey]) -> dict[str, str]:
    names = {}
    for path, key in zip(paths, keys, strict=True):
        pub = path.with_name(path.name + ".pub")
        if pub.is_file():
            info = load_public_key_info(pub)
            if info.name and info.key.keyid == key.keyid:
                names[key.keyid] = info.name
    return names


def _update(path: Path, change: Callable[[dict[str, Any]], dict[str, Any]], as_json: bool) -> int:
    document = load_json_file(path)
    if not isinstance(document, dict):
        raise InputError("not a trust-root document", where=str(path), remedy="give a trust-root.json")
    new_document = change(document)
    tr.write_trust_document(path, new_document)
    try:
        chain = tr.verify_chain_document(new_document, source=str(path), now=tr.EPOCH)
    except SignatureError:
        # Only a --partial version (or a `trust sign` still short of the threshold) gets here.
        version = len(new_document["chain"])
        if as_json:
            print_json({"trust_root": str(path), "version": version, "complete": False})
        else:
            console.print(f"wrote version {version} to {path}: NOT yet signed by enough root keys; "
                          "collect signatures with `provenance trust sign`")
        return 0
    latest = chain.latest
    if as_json:
        print_json({"trust_root": str(path), "complete": True, **tr.describe(latest)})
    else:
        console.print(f"wrote version {latest.version} of {path} (expires {rfc3339(latest.expires)})")
    return 0


def _print_root(root: tr.TrustRoot, path: Path, versions: int) -> None:
    console.print(f"trust root {path}: version {root.version} of chain {root.chain_id[:16]} "
                  f"({versions} version(s) verified), expires {rfc3339(root.expires)}")
    from rich.table import Table

    table = Table("role", "threshold", "key id", "name")
    for name, role in root.roles.items():
        if not role.keyids:
            table.add_row(name, str(role.threshold), "(no keys)", "")
        for i, keyid in enumerate(role.keyids):
            table.add_row(name if i == 0 else "", str(role.threshold) if i == 0 else "", keyid, root.names.get(keyid, ""))
    console.print(table)
    for keyid in sorted(root.revoked):
        console.print(f"revoked {keyid} at {rfc3339(root.revoked_at[keyid])}")


_sign_with = click.option("--sign-with", "sign_with", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
                          help="Private root key to sign the new version with (repeat for a threshold).")
_expires = click.option("--expires", default=None, help="Expiry of the new version (YYYY-MM-DD or RFC 3339); default: keep.")
_partial = click.option("--partial", is_flag=True,
                        help="Write the new version even if not yet signed by enough root keys (finish with `trust sign`).")
_trust_arg = click.argument("trust", type=click.Path(dir_okay=False, exists=True, path_type=Path))


@click.group("trust")
def trust_group() -> None:
    """Maintain trust-root.json: versioned, expiring, threshold-signed keys for root, attestor, corrector, log."""


@trust_group.command("init")
@click.option("-o", "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Trust-root file to create.")
@click.option("--root-key", "root_keys", multiple=True, required=True,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Private root key (repeat); each signs version 1.")
@click.option("--threshold", default=1, show_default=True, type=click.IntRange(min=1),
              help="Unique root keys needed to sign the next version.")
@click.option("--expires", default=None, help="Expiry (YYYY-MM-DD or RFC 3339); default: one year.")
@click.option("--force", is_flag=True, help="Replace an existing file.")
@options.json_option
def init(out: Path, root_keys: tuple[Path, ...], threshold: int, expires: str | None, force: bool, as_json: bool) -> int:
    """Create version 1 of a trust root, signed by its root keys."""
    if out.exists() and not force:
        raise InputError("file exists", where=str(out), remedy="choose another path or pass --force")
    keys = _signers(root_keys)
    document = tr.init_trust_root(
        keys, threshold=threshold, now=utc_now(), expires=options.optional_time(expires, "--expires"),
        names=_names_for(root_keys, keys),
    )
    tr.write_trust_document(out, document)
    root = tr.verify_chain_document(document, source=str(out)).latest
    if as_json:
        print_json({"trust_root": str(out), **tr.describe(root)})
    else:
        console.print(f"created {out}: version 1, root threshold {threshold} of {len(root.roles['root'].keyids)}, "
                      f"expires {rfc3339(root.expires)}")
    return 0


@trust_group.command("add-key")
@_trust_arg
@click.option("--role", required=True, type=click.Choice(ROLES), help="Role to trust the key for.")
@click.option("--public-key", "public_key", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="The key's public PEM (PATH.pub).")
@click.option("--name", default=None, help="Holder's name (default: from the .pub file).")
@click.option("--threshold", default=None, type=click.IntRange(min=1), help="New threshold of the role.")
@_sign_with
@_expires
@_partial
@options.json_option
def add_key_cmd(trust: Path, role: str, public_key: Path, name: str | None, threshold: int | None,
                sign_with: tuple[Path, ...], expires: str | None, partial: bool, as_json: bool) -> int:
    """Trust a public key for a role in the next version."""
    info = load_public_key_info(public_key)
    signers = _signers(sign_with)
    return _update(trust, lambda d: tr.add_key(
        d, role, info.key, signers, now=utc_now(), name=name or info.name, threshold=threshold,
        expires=options.optional_time(expires, "--expires"), partial=partial), as_json)


@trust_group.command("remove-key")
@_trust_arg
@click.option("--keyid", default=None, help="Key id (or a unique prefix of at least 8 hex digits).")
@click.option("--public-key", "public_key", default=None, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="Or the key's public PEM.")
@click.option("--role", default=None, type=click.Choice(ROLES),
              help="Remove from this role only (default: every role, which revokes the key).")
@_sign_with
@_expires
@_partial
@options.json_option
def remove_key_cmd(trust: Path, keyid: str | None, public_key: Path | None, role: str | None,
                   sign_with: tuple[Path, ...], expires: str | None, partial: bool, as_json: bool) -> int:
    """Stop trusting a key; a key left in no role is revoked (signatures by it are rejected)."""
    if (keyid is None) == (public_key is None):
        raise InputError("give exactly one of --keyid and --public-key", remedy="name the key to remove")
    target = keyid if keyid is not None else load_public_key(public_key).keyid  # type: ignore[arg-type]
    signers = _signers(sign_with)
    return _update(trust, lambda d: tr.remove_key(
        d, target, signers, now=utc_now(), role=role, expires=options.optional_time(expires, "--expires"),
        partial=partial), as_json)


@trust_group.command("set-threshold")
@_trust_arg
@click.option("--role", required=True, type=click.Choice(ROLES), help="Role whose threshold changes.")
@click.option("--threshold", required=True, type=click.IntRange(min=1), help="Unique keys needed.")
@_sign_with
@_expires
@_partial
@options.json_option
def set_threshold_cmd(trust: Path, role: str, threshold: int, sign_with: tuple[Path, ...], expires: str | None,
                      partial: bool, as_json: bool) -> int:
    """Change how many unique keys a role needs, in the next version."""
    signers = _signers(sign_with)
    return _update(trust, lambda d: tr.set_threshold(
        d, role, threshold, signers, now=utc_now(), expires=options.optional_time(expires, "--expires"),
        partial=partial), as_json)


@trust_group.command("renew")
@_trust_arg
@click.option("--expires", required=True, help="New expiry (YYYY-MM-DD or RFC 3339).")
@_sign_with
@_partial
@options.json_option
def renew_cmd(trust: Path, expires: str, sign_with: tuple[Path, ...], partial: bool, as_json: bool) -> int:
    """Issue a next version that only moves the expiry (also renews an expired root)."""
    when = options.optional_time(expires, "--expires")
    assert when is not None
    signers = _signers(sign_with)
    return _update(trust, lambda d: tr.renew(d, signers, now=utc_now(), expires=when, partial=partial), as_json)


@trust_group.command("sign")
@_trust_arg
@_sign_with
@options.json_option
def sign_cmd(trust: Path, sign_with: tuple[Path, ...], as_json: bool) -> int:
    """Add root-key signatures to the newest version (to reach a threshold written with --partial)."""
    signers = _signers(sign_with)
    return _update(trust, lambda d: tr.sign_latest(d, signers, now=utc_now()), as_json)


@trust_group.command("show")
@_trust_arg
@click.option("--all-versions", is_flag=True, help="Show every version of the chain.")
@click.option("--at", default=None, help="Check expiry at this time instead of now.")
@options.json_option
def show(trust: Path, all_versions: bool, at: str | None, as_json: bool) -> int:
    """Verify the trust root and show its roles, keys and thresholds."""
    chain = tr.load_trust_chain(trust, now=options.optional_time(at, "--at"))
    shown = chain.versions if all_versions else (chain.latest,)
    if as_json:
        print_json({"trust_root": str(trust), "versions": [tr.describe(r) for r in shown]})
    else:
        for root in shown:
            _print_root(root, trust, len(chain.versions))
    return 0


@trust_group.command("verify")
@_trust_arg
@click.option("--known", default=None, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A trust root you already trust: TRUST must be it or extend it (no rollback, no fork).")
@options.trust_state_options
@click.option("--at", default=None, help="Check expiry at this time instead of now.")
@options.json_option
def verify(trust: Path, known: Path | None, trust_state_file: Path | None, at: str | None, as_json: bool) -> int:
    """Walk every version: signatures, thresholds of unique keys, version steps, expiry, rollback."""
    now = options.optional_time(at, "--at")
    # --known is a reference, never recorded in the trust state: it may be older than what was seen.
    known_chain = tr.load_trust_chain(known, now=tr.EPOCH) if known else None
    chain = options.load_trust_chain(trust, state_file=trust_state_file, at=now, known=known_chain)
    if as_json:
        print_json({"trust_root": str(trust), "ok": True, "versions_verified": len(chain.versions),
                    **tr.describe(chain.latest)})
    else:
        console.print(f"OK {trust}: {len(chain.versions)} version(s) verified, newest is version "
                      f"{chain.latest.version}, expires {rfc3339(chain.latest.expires)}")
    return 0


def register(group: click.Group) -> None:
    group.add_command(trust_group)
