"""Retry policy: which calls may be retried, and how long to wait before the next try.

Pure functions over status codes, headers and the clock; the client does the
sleeping. Only idempotent calls (GET, metadata PUT, bucket PUT, DELETE of a
file) are retried; create, newversion, publish and discard are reconciled by
reading back instead (``reference/zenodo-api.md`` section 9).
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Mapping
from dataclasses import dataclass

RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped; server hints override the backoff."""

    attempts: int = 6
    base_seconds: float = 0.5
    cap_seconds: float = 30.0
    max_hint_seconds: float = 120.0

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based), with full jitter."""
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** (attempt - 1)))
        r = rng if rng is not None else random.Random()
        return float(ceiling / 2 + r.uniform(0, ceiling / 2))

    def delay(
        self, attempt: int, headers: Mapping[str, str] | None, now: float, rng: random.Random | None = None
    ) -> float:
        """The wait before the next try: ``Retry-After``, else ``X-RateLimit-Reset``, else backoff."""
        hint = server_hint_seconds(headers or {}, now)
        if hint is not None:
            return min(hint, self.max_hint_seconds)
        return self.backoff(attempt, rng)


def server_hint_seconds(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait, if it said so.

    ``Retry-After`` is delta-seconds or an HTTP date; ``X-RateLimit-Reset`` is
    epoch seconds (used only when ``X-RateLimit-Remaining`` is 0 or absent).
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    retry_after = lowered.get("retry-after")
    if retry_after is not None:
        value = retry_after.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = lowered.get("x-ratelimit-reset")
    remaining = lowered.get("x-ratelimit-remaining")
    if reset is not None and (remaining is None or remaining.strip() == "0"):
        try:
            return max(0.0, float(reset) - now)
        except ValueError:
            return None
    return None


def is_retryable_status(status: int) -> bool:
    """429 and the gateway-ish 5xx codes; a 500 is not retried (Zenodo may have acted)."""
    return status in RETRY_STATUSES
