"""Options shared by the commands, declared once, and the one place the CLI reads its environment.

Every command that prints for machines takes :data:`json_option`; every command
that reads a trust root takes :func:`trust_options` and receives the root loaded
one way (:func:`load_trust`); every command that signs loads its key with
:func:`load_signing_key_cli`. The environment (``SOURCE_DATE_EPOCH``,
``PROVENANCE_KEY_PASSPHRASE``, ``PROVENANCE_TRUST_STATE``) is read here and
nowhere in the library: functions below turn it into plain values that the
commands pass down.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from provenance import clock

F = TypeVar("F", bound=Callable[..., Any])

PASSPHRASE_ENV = "PROVENANCE_KEY_PASSPHRASE"
TRUST_STATE_ENV = "PROVENANCE_TRUST_STATE"

JSON_HELP = "Print machine-readable JSON on stdout instead of readable output."

json_option = click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
"""``--json``: the machine-readable output contract of every command (parameter ``as_json``)."""


def environment() -> Mapping[str, str]:
    """The process environment, read once per call site (the library takes what it needs as arguments)."""
    return os.environ


# ---------------------------------------------------------------- clock


def source_date_epoch(env: Mapping[str, str] | None = None) -> int | None:
    """``SOURCE_DATE_EPOCH`` as seconds (None when unset): the clock of reproducible output."""
    e = environment() if env is None else env
    return clock.parse_source_date_epoch(e.get(clock.SOURCE_DATE_EPOCH))


def run_clock(env: Mapping[str, str] | None = None) -> datetime:
    """The moment this run stamps on what it makes: ``SOURCE_DATE_EPOCH`` when set, else now."""
    return clock.moment(source_date_epoch(env))


# ---------------------------------------------------------------- keys


def passphrase_from_environment(env: Mapping[str, str] | None = None) -> bytes | None:
    """``PROVENANCE_KEY_PASSPHRASE`` as bytes, or None when unset or empty."""
    value = (environment() if env is None else env).get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def read_passphrase(*, confirm: bool) -> bytes | None:
    """The passphrase from ``PROVENANCE_KEY_PASSPHRASE``, else a hidden prompt on a terminal, else None."""
    value = passphrase_from_environment()
    if value is not None:
        return value
    if not sys.stdin.isatty():
        return None
    text = click.prompt("Key passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
    return str(text).encode("utf-8") or None


def load_signing_key_cli(path: Path) -> Any:
    """A private key for signing: its passphrase from the environment, else a prompt on a terminal."""
    from provenance.signing.keys import key_file_is_encrypted, load_signing_key

    passphrase = None
    if key_file_is_encrypted(path):
        passphrase = read_passphrase(confirm=False)
    return load_signing_key(path, passphrase)


def key_option(*names: str, param: str = "key_path", required: bool = True, multiple: bool = False,
               help: str) -> Callable[[F], F]:
    """A private-key path option (``--key`` by default); the command loads it with :func:`load_signing_key_cli`."""
    return click.option(*(names or ("--key",)), param, required=required, multiple=multiple,
                        type=click.Path(dir_okay=False, path_type=Path), help=help)


# ---------------------------------------------------------------- trust


def trust_state_file(option: Path | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The rollback-protection state file: ``--trust-state``, else ``PROVENANCE_TRUST_STATE``, else none."""
    if option is not None:
        return option
    value = (environment() if env is None else env).get(TRUST_STATE_ENV)
    return Path(value) if value else None


def load_trust(path: Path, *, state_file: Path | None, at: datetime | None = None) -> Any:
    """The newest version of a verified trust root, the one way every command loads it.

    Verifies the chain and expiry (at ``at``, default now) and, with a state file,
    refuses rollbacks and forks and records what it saw.
    """
    from provenance.signing import trust as tr

    state = tr.TrustState(state_file) if state_file is not None else None
    return tr.load_trust_root(path, now=at, state=state)


def trust_options(*, required: bool, help: str) -> Callable[[F], F]:
    """``--trust PATH`` and ``--trust-state PATH``; the command receives ``trust`` (a TrustRoot or None).

    The root is loaded by :func:`load_trust` with the state file resolved by
    :func:`trust_state_file`, so every command applies the same checks.
    """

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, trust_path: Path | None, trust_state: Path | None, **kwargs: Any) -> Any:
            trust = None
            if trust_path is not None:
                trust = load_trust(trust_path, state_file=trust_state_file(trust_state))
            return command(*args, trust=trust, **kwargs)

        with_state = click.option(
            "--trust-state", "trust_state", default=None, type=click.Path(dir_okay=False, path_type=Path),
            help=f"Rollback protection: remember the newest trust root seen here (default: ${TRUST_STATE_ENV}).",
        )(wrapper)
        with_trust = click.option(
            "--trust", "trust_path", required=required, default=None,
            type=click.Path(dir_okay=False, path_type=Path), help=help,
        )(with_state)
        return cast(F, with_trust)

    return decorate
