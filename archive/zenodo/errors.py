"""Typed errors of the Zenodo client, carrying Zenodo's own error list.

No error ever holds the access token: messages are built from the method, the
path (never a query string) and the server's JSON body, nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archive.errors import ArchiveError, ArchiveInputError, RepositoryUnreachable


@dataclass(frozen=True)
class ZenodoFieldError:
    """One entry of a Zenodo ``errors`` list: a field path and its messages."""

    field: str
    messages: tuple[str, ...]

    def __str__(self) -> str:
        text = "; ".join(self.messages) or "invalid"
        return f"{self.field}: {text}" if self.field else text


def parse_error_list(body: Any) -> tuple[ZenodoFieldError, ...]:
    """Read ``errors`` from a Zenodo error body; tolerate both ``message`` and ``messages``."""
    if not isinstance(body, dict):
        return ()
    raw = body.get("errors")
    if not isinstance(raw, list):
        return ()
    found: list[ZenodoFieldError] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        field = str(item.get("field") or "")
        messages: list[str] = []
        many = item.get("messages")
        if isinstance(many, list):
            messages.extend(str(m) for m in many)
        one = item.get("message")
        if isinstance(one, str):
            messages.append(one)
        found.append(ZenodoFieldError(field, tuple(messages)))
    return tuple(found)


class ZenodoError(ArchiveError):
    """A Zenodo request failed. ``status`` is the HTTP status (0 for a transport failure)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        errors: tuple[ZenodoFieldError, ...] = (),
        error_id: str | None = None,
        operation: str = "",
        remedy: str | None = None,
    ) -> None:
        self.status = status
        self.errors = errors
        self.error_id = error_id
        self.operation = operation
        detail = message
        if errors:
            detail += " (" + "; ".join(str(e) for e in errors) + ")"
        if error_id:
            detail += f" [error_id {error_id}]"
        if operation:
            detail = f"{operation}: {detail}"
        super().__init__(detail, remedy=remedy)


class ZenodoAuthError(ZenodoError):
    """401 or 403: no token, a bad token, a missing scope, or another user's deposition."""

    exit_code = 2


class ZenodoValidationError(ZenodoError):
    """400: Zenodo refused the request; ``errors`` says which fields."""

    exit_code = 2


class ZenodoNotFound(ZenodoError):
    """404: the deposition, file or bucket does not exist (or is not in that state)."""


class ZenodoRateLimited(ZenodoError):
    """429 after every retry was spent."""


class ZenodoServerError(ZenodoError):
    """5xx after every retry was spent (or on a call that must not be retried blindly)."""


class ZenodoTransportError(ZenodoError):
    """The connection failed or timed out: the server may or may not have acted."""


class ZenodoConnectError(ZenodoTransportError, RepositoryUnreachable):
    """No connection was made (refused, unreachable, connect timeout): the server did not act."""


class ZenodoChecksumMismatch(ZenodoError):
    """The server's MD5 or size of an upload differs from ours."""


class ZenodoMetadataMismatch(ZenodoError):
    """The metadata read back after a PUT differs from what was sent (Zenodo drops unknown keys)."""


class ZenodoInputError(ArchiveInputError):
    """A bad argument to the client (a file key outside the toolkit policy, a missing file)."""
