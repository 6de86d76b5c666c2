"""Output helpers shared by the commands: JSON for machines, rich tables for people.

``console`` (stdout) and ``err_console`` (stderr) are made on first use: importing rich costs
start-up time that a ``--json`` run never needs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from provenance.cli.jsonout import indented, write_list

if TYPE_CHECKING:
    from rich.console import Console

_CONSOLES = {"console": False, "err_console": True}
"""The shared consoles by name, and whether each writes to stderr."""


def __getattr__(name: str) -> Console:
    if name not in _CONSOLES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rich.console import Console

    made = Console(stderr=_CONSOLES[name], highlight=False, soft_wrap=True)
    globals()[name] = made
    return made


def print_json(obj: Any) -> None:
    """Print ``obj`` as indented JSON on stdout (the ``--json`` contract: ``json.dumps(obj, indent=2,
    ensure_ascii=False)`` and a newline)."""
    sys.stdout.write(indented(obj) + "\n")
    sys.stdout.flush()


def print_json_list(items: Iterable[Any]) -> None:
    """Print the list of ``items`` as :func:`print_json` would, one batch at a time (never one giant string)."""
    write_list(items, sys.stdout.write)
    sys.stdout.write("\n")
    sys.stdout.flush()


def json_option_help() -> str:
    return "Print machine-readable JSON on stdout instead of readable output."
