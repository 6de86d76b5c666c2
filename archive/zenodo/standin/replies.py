"""How a handler ends a request early: an answer (:class:`Reply`) or a TCP reset (:class:`Abort`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Abort(Exception):
    """Close the connection with a TCP reset, sending nothing more."""


class Reply(Exception):
    """Answer with this status, JSON body (or ``raw`` bytes) and headers."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None,
                 raw: bytes | None = None, content_type: str = "application/json") -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.raw = raw
        self.content_type = content_type
