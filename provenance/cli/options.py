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


_notes: list[str] = []


def note(text: str) -> None:
    """Say ``text`` on stderr once the command has finished (a warning or a notice such as a pinned trust
    root). Notes are held back so that a command that fails still ends in its one error line."""
    _notes.append(text)


def drain_notes() -> list[str]:
    """The notes said so far, oldest first, forgotten once returned (the entry point prints them)."""
    out = list(_notes)
    _notes.clear()
    return out


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


# ---------------------------------------------------------------- times


def optional_time(value: str | None, option: str) -> datetime | None:
    """An ``--at``/``--expires`` value (``YYYY-MM-DD`` or RFC 3339) as an aware UTC moment, or None."""
    return clock.parse_time(value, where=option) if value else None


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
    """A private key for signing: its passphrase from the environment, else a prompt on a terminal.

    An encrypted key with no passphrase to be had is bad input naming
    ``PROVENANCE_KEY_PASSPHRASE``; signing with an unencrypted key works but
    warns on stderr when the command has finished (the library refuses keys readable by others and a
    ``KEY.pub`` that holds another key).
    """
    from provenance.signing.keys import key_file_is_encrypted, load_signing_key

    if not key_file_is_encrypted(path):
        key = load_signing_key(path, None)
        note(f"warning: {path} is not encrypted: anyone who can read it can sign as its holder "
             "(make an encrypted key with `provenance keys generate` and trust it instead)")
        return key
    passphrase = read_passphrase(confirm=False)
    if passphrase is None:
        from provenance.errors import InputError

        raise InputError("the key is encrypted and no passphrase was given", where=str(path),
                         remedy=f"set {PASSPHRASE_ENV} or run on a terminal to be prompted")
    return load_signing_key(path, passphrase)


def key_option(*names: str, param: str = "key_path", required: bool = True, multiple: bool = False,
               help: str) -> Callable[[F], F]:
    """A private-key path option (``--key`` by default); the command loads it with :func:`load_signing_key_cli`."""
    return click.option(*(names or ("--key",)), param, required=required, multiple=multiple,
                        type=click.Path(dir_okay=False, path_type=Path), help=help)


# ---------------------------------------------------------------- trust

STATE_FILE_NAME = "trust-state.json"


def default_trust_state_file(env: Mapping[str, str] | None = None) -> Path:
    """Where an auditor's trust state lives by default: ``$XDG_STATE_HOME/provenance/trust-state.json``,
    else ``~/.local/state/provenance/trust-state.json`` (the XDG Base Directory rule: a relative
    ``XDG_STATE_HOME`` is ignored)."""
    e = environment() if env is None else env
    xdg = e.get("XDG_STATE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path(e.get("HOME") or Path.home()) / ".local" / "state"
    return base / "provenance" / STATE_FILE_NAME


def trust_state_file(option: Path | None, env: Mapping[str, str] | None = None, *,
                     disabled: bool = False) -> Path | None:
    """The rollback-protection state file, resolved once: none with ``--no-trust-state``, else
    ``--trust-state``, else ``PROVENANCE_TRUST_STATE``, else :func:`default_trust_state_file`."""
    if disabled:
        return None
    if option is not None:
        return option
    value = (environment() if env is None else env).get(TRUST_STATE_ENV)
    return Path(value) if value else default_trust_state_file(env)


def load_trust_chain(path: Path, *, state_file: Path | None, at: datetime | None = None, known: Any = None) -> Any:
    """A verified trust-root chain, checked against and recorded in ``state_file`` (None: no state).

    The one way every command loads a trust root: chain, thresholds and expiry
    (at ``at``, default now) are verified; it must extend ``known`` (a TrustChain)
    when given; with a state file an older or forked root is refused, and a chain
    seen for the first time is pinned, which is said on stderr when the command has
    finished (trust on first use).
    """
    from provenance.signing import trust as tr

    chain = tr.load_trust_chain(path, now=at, known=known)
    if state_file is not None:
        outcome = tr.TrustState(state_file).check_and_record(chain, where=str(path), now=at)
        if outcome.status == "pinned":
            note(f"pinned trust root {outcome.chain_id} at version {outcome.version} "
                 f"(trust on first use; remembered in {state_file})")
    return chain


def load_trust(path: Path, *, state_file: Path | None, at: datetime | None = None) -> Any:
    """The newest version of a trust root loaded by :func:`load_trust_chain`."""
    return load_trust_chain(path, state_file=state_file, at=at).latest


def trust_state_options(command: F) -> F:
    """``--trust-state PATH`` and ``--no-trust-state``; the command receives ``trust_state_file``
    (a Path, or None when the user opted out), resolved by :func:`trust_state_file`."""

    @functools.wraps(command)
    def wrapper(*args: Any, trust_state: Path | None, no_trust_state: bool, **kwargs: Any) -> Any:
        return command(*args, trust_state_file=trust_state_file(trust_state, disabled=no_trust_state), **kwargs)

    with_opt_out = click.option(
        "--no-trust-state", "no_trust_state", is_flag=True,
        help="Do not check or record the trust root in a state file (no rollback protection across runs).",
    )(wrapper)
    with_state = click.option(
        "--trust-state", "trust_state", default=None, type=click.Path(dir_okay=False, path_type=Path),
        help=f"Rollback protection: remember the newest trust root seen here (default: ${TRUST_STATE_ENV}, "
        f"else $XDG_STATE_HOME/provenance/{STATE_FILE_NAME}).",
    )(with_opt_out)
    return cast(F, with_state)


def trust_options(*, required: bool, help: str, with_at: bool = False) -> Callable[[F], F]:
    """``--trust PATH`` with :func:`trust_state_options`; the command receives ``trust`` (a TrustRoot or None).

    The root is loaded by :func:`load_trust`, so every command applies the same
    checks. ``with_at`` adds ``--at TIME`` (check expiry then instead of now),
    also passed on to the command as ``at`` (a datetime or None).
    """

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def wrapper(*args: Any, trust_path: Path | None, trust_state_file: Path | None, **kwargs: Any) -> Any:
            at = optional_time(kwargs.get("at_text"), "--at") if with_at else None
            if with_at:
                kwargs.pop("at_text")
                kwargs["at"] = at
            trust = None
            if trust_path is not None:
                trust = load_trust(trust_path, state_file=trust_state_file, at=at)
            return command(*args, trust=trust, **kwargs)

        decorated: Any = trust_state_options(wrapper)
        if with_at:
            decorated = click.option("--at", "at_text", default=None,
                                     help="Check the trust root's expiry at this time instead of now.")(decorated)
        decorated = click.option(
            "--trust", "trust_path", required=required, default=None,
            type=click.Path(dir_okay=False, path_type=Path), help=help,
        )(decorated)
        return cast(F, decorated)

    return decorate
