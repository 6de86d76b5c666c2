"""Fixed keys and clock for the signing tests (deterministic Ed25519: same key, same signature)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from provenance.signing.keys import SigningKey

NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)


def fixed_key(n: int) -> SigningKey:
    """Key number ``n``: its RFC 8032 secret is 32 bytes of value ``n``."""
    return SigningKey.from_seed(bytes([n]) * 32)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def keys() -> list[SigningKey]:
    return [fixed_key(n) for n in range(1, 7)]
