"""The ``--archive-dir`` and ``--journal-dir`` options of ``archive`` and ``deposit``, declared once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

ARCHIVE_DIR_DEFAULT = "$XDG_DATA_HOME/provenance/archive, else ~/.local/share/provenance/archive"
JOURNAL_DIR_DEFAULT = "ARCHIVE_DIR/journals for the local archive, else $XDG_DATA_HOME/provenance/deposits"


def archive_dir_option(what: str = "The local archive directory") -> Callable[[F], F]:
    """``--archive-dir`` (parameter ``archive_dir``), its default named in the help."""
    return click.option("--archive-dir", type=click.Path(file_okay=False),
                        help=f"{what} (default: {ARCHIVE_DIR_DEFAULT}).")


def journal_dir_option(what: str = "Where deposit journals are kept") -> Callable[[F], F]:
    """``--journal-dir`` (parameter ``journal_dir``), its default named in the help."""
    return click.option("--journal-dir", type=click.Path(file_okay=False),
                        help=f"{what} (default: {JOURNAL_DIR_DEFAULT}).")
