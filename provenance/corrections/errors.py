"""Typed errors of the correction log, all under :class:`provenance.errors.ProvenanceError`."""

from __future__ import annotations

from provenance.errors import CheckFailed, InputError


class ProofError(CheckFailed):
    """A Merkle inclusion or consistency proof does not verify (or is malformed)."""


class NoteError(CheckFailed):
    """A signed note or checkpoint is malformed or its signature does not verify."""


class LogCheckFailed(CheckFailed):
    """The correction log failed verification; ``report`` holds every finding."""


class LogInputError(InputError):
    """The log, a checkpoint or an argument cannot be used as given."""
