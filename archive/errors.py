"""The one error hierarchy of :mod:`archive`.

Every error says what is wrong, where, and what to do. ``exit_code`` follows the
CLI contract: 1 a check failed, 2 bad usage or input, 3 a required tool is missing.
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base of every error raised by :mod:`archive`."""

    exit_code: int = 1

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        self.message = message
        self.remedy = remedy
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.remedy:
            return f"{self.message}; {self.remedy}"
        return self.message


class RepositoryUnreachable(ArchiveError):
    """The repository could not be reached: the request never arrived, so nothing was done there."""


class ArchiveInputError(ArchiveError):
    """Input that cannot be used as given (a path, a file, an argument)."""

    exit_code = 2
