"""The one error hierarchy of :mod:`provenance`.

Every error carries what is wrong, where (file:line or a JSON path) and what to
do; the CLI prints it as one line and exits with ``exit_code``: 1 a check
failed, 2 bad usage or input, 3 a required tool is missing.
"""

from __future__ import annotations


class ProvenanceError(Exception):
    """Base of every error raised by :mod:`provenance`."""

    exit_code: int = 1

    def __init__(self, message: str, *, where: str | None = None, remedy: str | None = None) -> None:
        self.message = message
        self.where = where
        self.remedy = remedy
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.remedy:
            text = f"{text}; {self.remedy}"
        return text


class InputError(ProvenanceError):
    """Input that cannot be used: missing, unreadable, malformed or invalid."""

    exit_code = 2


class ClaimError(InputError):
    """A claim's check cannot be evaluated (bad format, bad formula, bad arithmetic).

    The claims engine turns it into an ``error`` verdict naming the claim; its kinds are in
    :mod:`provenance.claims.errors`. It sits here, with :class:`DecimalFormatError`, because the
    decimal reader (:mod:`provenance.decimal_text`) is below the claims engine and the sources alike.
    """


class DecimalFormatError(ClaimError):
    """A value is not a plain ASCII decimal string ``-?[0-9]+(.[0-9]+)?``."""


class CheckFailed(ProvenanceError):
    """A check ran and its answer is no: a claim is false, a signature does not verify."""

    exit_code = 1


class ToolMissing(ProvenanceError):
    """A required external tool (Lean, bubblewrap) is not installed."""

    exit_code = 3
