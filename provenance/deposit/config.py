"""Where deposits keep their state, and which Zenodo token goes to which server.

Tokens are keyed by server. The config file
(``$XDG_CONFIG_HOME/provenance/zenodo.json``, default ``~/.config/...``) must be
readable by its owner only (mode 0600; anything else is refused) and maps a
target name or a base URL to a token::

    {"tokens": {"zenodo": "...", "zenodo-sandbox": "...", "http://127.0.0.1:8000": "..."}}

A URL key matches the server ``--to`` names after the same normalisation
(``http://127.0.0.1:8000`` is ``http://127.0.0.1:8000/api``); ``zenodo`` and
``zenodo-sandbox`` also match their https URLs. ``ZENODO_ACCESS_TOKEN``, when
set, is the token of the one server this command talks to (its ``--to``, or
the journal's server on resume and discard) and takes precedence over the
file. Wherever it comes from, a token goes only over https, or over plain
http to a loopback address (the stand-in): never over plain http to another
host. The old single ``{"token": "..."}`` form, which sent one token to every
server, is refused with the new form named. A token is held in
:class:`Secret`, whose repr and str never show it.
"""

from __future__ import annotations

import os
import pwd
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from archive.errors import ArchiveInputError
from archive.zenodo.client import PRODUCTION_URL, SANDBOX_URL, is_loopback, normalise_base_url
from provenance.errors import InputError
from provenance.inputfile import read_input_bytes
from provenance.jsonio import loads_strict

TOKEN_ENV = "ZENODO_ACCESS_TOKEN"
NAMED_SERVERS: Mapping[str, str] = {"zenodo": PRODUCTION_URL, "zenodo-sandbox": SANDBOX_URL}
"""The target names a config key may use, and the server each stands for."""
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
MAX_TOKEN_FILE_BYTES = 64 * 1024
NEW_FORM = '{"tokens": {"zenodo": "<token>"}} (a key per server: zenodo, zenodo-sandbox or a base URL)'


@dataclass(frozen=True)
class Secret:
    """A token. ``reveal()`` is the one way to read it."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    def __str__(self) -> str:
        return "<redacted>"


def home_dir(env: Mapping[str, str]) -> Path:
    """``$HOME`` of ``env``, else the user's home directory from the password database."""
    home = env.get("HOME")
    return Path(home) if home else Path(pwd.getpwuid(os.getuid()).pw_dir)


def data_dir(env: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME/provenance`` (default ``~/.local/share/provenance``) of the environment ``env``."""
    base = env.get("XDG_DATA_HOME")
    return (Path(base) if base else home_dir(env) / ".local" / "share") / "provenance"


def config_file(env: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/provenance/zenodo.json`` (default ``~/.config/...``) of the environment ``env``."""
    base = env.get("XDG_CONFIG_HOME")
    return (Path(base) if base else home_dir(env) / ".config") / "provenance" / "zenodo.json"


def require_safe_transport(url: str, *, where: str = "--to") -> None:
    """:class:`InputError` unless a token may go to ``url``: https, or plain http to a loopback address."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or "")):
        return
    raise InputError(
        f"refusing to send a Zenodo token over plain {parts.scheme} to {parts.hostname or url}",
        where=where,
        remedy="use the server's https URL (plain http is only for a stand-in on 127.0.0.1)",
    )


def _server_of(key: str, where: str) -> str:
    if key in NAMED_SERVERS:
        return NAMED_SERVERS[key]
    try:
        return normalise_base_url(key)
    except ArchiveInputError:
        raise InputError(f"token key {key[:80]!r} is neither zenodo, zenodo-sandbox nor an http(s) base URL",
                         where=where, remedy=f"write {NEW_FORM}") from None


def _secret(value: str, where: str) -> Secret:
    token = value.strip()
    if not _HEADER_SAFE.fullmatch(token):
        raise InputError("the Zenodo token holds characters that cannot go in an HTTP header "
                         "(a line break, a space or a control or non-ASCII character)", where=where,
                         remedy="give the token exactly as Zenodo shows it, on one line")
    return Secret(token)


def token_for(url: str, *, env: Mapping[str, str], path: Path | None = None) -> Secret | None:
    """The token for the server at base URL ``url`` (normalised), or None when none is set.

    ``ZENODO_ACCESS_TOKEN`` first, else the config file's entry for this server.
    Raises :class:`InputError` (exit 2) for a transport that would expose a
    token, a token that cannot be sent in a header, a config file readable by
    others or in the old single-token form.
    """
    require_safe_transport(url)
    value = env.get(TOKEN_ENV, "")
    if value.strip():
        return _secret(value, TOKEN_ENV)
    p = path or config_file(env)
    try:
        st = p.stat()
    except FileNotFoundError:
        return None
    if stat.S_IMODE(st.st_mode) & 0o077:
        raise InputError(
            f"the token file is readable by others (mode {stat.S_IMODE(st.st_mode):o})",
            where=str(p),
            remedy=f"run `chmod 600 {p}`",
        )
    raw = read_input_bytes(p, max_bytes=MAX_TOKEN_FILE_BYTES, what="a token file")
    try:
        data = loads_strict(raw, source=str(p))
    except InputError as exc:
        raise InputError(f"the token file is not readable JSON ({exc.message})", where=str(p),
                         remedy=f"write {NEW_FORM}") from None
    if not isinstance(data, dict):
        raise InputError("the token file is not a JSON object", where=str(p), remedy=f"write {NEW_FORM}")
    if "token" in data:
        raise InputError('the token file has the old single "token", which would go to every server',
                         where=str(p), remedy=f"key each token by its server: write {NEW_FORM}")
    tokens = data.get("tokens", {})
    if not isinstance(tokens, dict):
        raise InputError('"tokens" must be an object of server -> token', where=str(p), remedy=f"write {NEW_FORM}")
    for key, token in tokens.items():
        if _server_of(str(key), str(p)) == url:
            if not isinstance(token, str) or not token.strip():
                raise InputError(f"the token of {key!r} is not a non-empty string", where=str(p),
                                 remedy=f"write {NEW_FORM}")
            return _secret(token, f"{p}: tokens.{key}")
    return None
