"""Fixtures for the deposit tests: a real stand-in server on 127.0.0.1, port 0, and real bundles."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from archive.zenodo.standin import StandinConfig, StandinServer


class Standin:
    """A running stand-in plus its control plane."""

    def __init__(self, server: StandinServer) -> None:
        self.server = server
        self.url = server.base_url

    def faults(self, *rules: dict[str, Any]) -> None:
        r = httpx.post(self.url + "/_control/faults", json={"rules": list(rules)})
        r.raise_for_status()

    def config(self, **knobs: Any) -> None:
        httpx.post(self.url + "/_control/config", json=knobs).raise_for_status()

    def state(self) -> dict[str, Any]:
        r = httpx.get(self.url + "/_control/state")
        r.raise_for_status()
        data: dict[str, Any] = r.json()
        return data

    def published(self) -> list[dict[str, Any]]:
        return [d for d in self.state()["depositions"].values() if d["published"]]


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[Standin]:
    server = StandinServer(tmp_path / "standin", StandinConfig(rate_limit=10000)).start()
    try:
        yield Standin(server)
    finally:
        server.stop()


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    from deposit_helpers import make_bundle

    return make_bundle(tmp_path / "bundle-v1")
