"""The external tools a bundle build or verification runs, passed in by the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provenance.lean.runner import LeanRunner, Toolchain

@dataclass(frozen=True)
class LeanTools:
    """The Lean collaborators: a resolved toolchain and the runner that runs it.

    ``None`` for the toolchain means "find ``lean`` on PATH"; ``None`` for the
    runner means the default (sandboxed where bubblewrap works).
    """

    toolchain: Toolchain | None = None
    runner: LeanRunner | None = None
