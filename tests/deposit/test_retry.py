"""The retry policy: backoff bounds and the server's hints (Retry-After, X-RateLimit-Reset)."""

from __future__ import annotations

import email.utils
import random

from hypothesis import given
from hypothesis import strategies as st

from archive.zenodo.retry import RetryPolicy, is_retryable_status, server_hint_seconds


@given(attempt=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_backoff_is_jittered_within_half_to_full_ceiling(attempt: int, seed: int) -> None:
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=30)
    ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
    delay = policy.backoff(attempt, random.Random(seed))
    assert ceiling / 2 <= delay <= ceiling


@given(seconds=st.integers(0, 10_000))
def test_retry_after_seconds_wins_and_is_capped(seconds: int) -> None:
    policy = RetryPolicy(max_hint_seconds=120)
    delay = policy.delay(1, {"Retry-After": str(seconds), "X-RateLimit-Reset": "99999999999"}, now=1000.0)
    assert delay == min(seconds, 120)


def test_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert server_hint_seconds({"retry-after": date}, now) == 7.0


def test_ratelimit_reset_used_only_when_exhausted() -> None:
    now = 1000.0
    assert server_hint_seconds({"X-RateLimit-Reset": "1012", "X-RateLimit-Remaining": "0"}, now) == 12.0
    assert server_hint_seconds({"X-RateLimit-Reset": "1012", "X-RateLimit-Remaining": "40"}, now) is None
    assert server_hint_seconds({"X-RateLimit-Reset": "garbage"}, now) is None


def test_only_gateway_statuses_and_429_are_retryable() -> None:
    assert [s for s in range(400, 600) if is_retryable_status(s)] == [429, 502, 503, 504]
