"""Shared fixtures: where the shared seeds, examples and vectors live, and a hermetic home for state.

No test reads or writes the user's real XDG directories: the session and each
test get their own ``XDG_STATE_HOME`` (the auditor's trust state lives there by
default), ``XDG_DATA_HOME`` (the local archive) and ``XDG_CONFIG_HOME`` (the
Zenodo token file). Child processes inherit them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check what holds, not how fast: on a loaded CI machine a per-example
# deadline or a "too slow" health check only makes them flaky.
settings.register_profile("provenance", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("provenance")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

XDG_VARIABLES = ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME")
PRIVATE_VARIABLES = ("PROVENANCE_TRUST_STATE", "PROVENANCE_KEY_PASSPHRASE", "ZENODO_ACCESS_TOKEN")


def pytest_configure(config: pytest.Config) -> None:
    """Session-wide: fixtures of wider scope run before the per-test ones, so they get a private home too."""
    base = Path(tempfile.mkdtemp(prefix="provenance-tests-home-"))
    for name in XDG_VARIABLES:
        os.environ[name] = str(base / name.lower())
    for name in PRIVATE_VARIABLES:
        os.environ.pop(name, None)


@pytest.fixture(autouse=True)
def _private_xdg_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test its own XDG directories: a trust root pinned by one test never meets another's."""
    home = tmp_path_factory.mktemp("xdg")
    for name in XDG_VARIABLES:
        monkeypatch.setenv(name, str(home / name.lower()))
    yield


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not beside the checkout")
    return SHARED


@pytest.fixture(scope="session")
def seeds_dir(shared_dir: Path) -> Path:
    return shared_dir / "seeds"


@pytest.fixture(scope="session")
def seed_claims_path(shared_dir: Path) -> Path:
    return shared_dir / "examples" / "seed-claims.json"


@pytest.fixture
def no_lean_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH set to an empty directory: certainly no lean on it (tests that need a tool put it there)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    return bin_dir
