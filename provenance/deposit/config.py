"""Where deposits keep their state, and where the Zenodo token comes from.

The token comes from ``ZENODO_ACCESS_TOKEN`` or from a config file
(``$XDG_CONFIG_HOME/provenance/zenodo.json``, default ``~/.config/...``) that
must be readable by its owner only (mode 0600): a group- or world-readable
file is refused. The file is ``{"token": "..."}`` or per target
``{"tokens": {"zenodo": "...", "zenodo-sandbox": "...", "http://127.0.0.1:8000": "..."}}``.
A token is held in :class:`Secret`, whose repr and str never show it.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from provenance.errors import InputError

TOKEN_ENV = "ZENODO_ACCESS_TOKEN"


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


def load_token(target: str, *, env: Mapping[str, str], path: Path | None = None) -> Secret | None:
    """The token for ``target`` (``zenodo``, ``zenodo-sandbox`` or a URL), or None when none is set."""
    e = env
    value = e.get(TOKEN_ENV, "").strip()
    if value:
        return Secret(value)
    p = path or config_file(e)
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
    try:
        data = json.loads(p.read_bytes())
    except (OSError, ValueError):
        raise InputError("the token file is not readable JSON", where=str(p),
                         remedy='write {"token": "..."} into it') from None
    if not isinstance(data, dict):
        raise InputError("the token file is not a JSON object", where=str(p), remedy='write {"token": "..."}')
    tokens = data.get("tokens")
    if isinstance(tokens, dict):
        chosen = tokens.get(target) or tokens.get(target.rstrip("/"))
        if isinstance(chosen, str) and chosen.strip():
            return Secret(chosen.strip())
    single = data.get("token")
    if isinstance(single, str) and single.strip():
        return Secret(single.strip())
    return None
