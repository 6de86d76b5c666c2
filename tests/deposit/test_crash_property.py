"""Property: whatever sequence of crashes interrupts a deposit, going on ends in exactly one published record.

Each run stops (an exception at a step, as a crash would) at the first occurrence of the step
Hypothesis chose for it; the next run is the same ``deposit`` again, which picks up its journal
(``resume`` is exercised by the SIGKILL tests in ``test_crash.py``); a last run goes through.
Real local archive and real stand-in.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Standin
from deposit_helpers import make_bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.local_archive import LocalArchive
from provenance.deposit.workflow import deposit_bundle

STEPS = ["before-create", "after-create", "journaled-create", "uploaded:*", "deleted:*", "before-metadata",
         "after-metadata", "before-publish", "after-publish", "done", "never"]
Hook = Callable[[str], None]


class Crash(Exception):
    pass


def stopper(step: str) -> Hook:
    def hook(name: str) -> None:
        if name == step or (step.endswith("*") and name.startswith(step[:-1])):
            raise Crash(name)

    return hook


def drive(run: Callable[[Hook | None], dict[str, Any]], crashes: list[str]) -> dict[str, Any]:
    """Run once per crash step (each may stop there), then once without stopping."""
    for step in crashes:
        try:
            return run(stopper(step))
        except Crash:
            pass
    return run(None)


@settings(max_examples=20, deadline=None)
@given(crashes=st.lists(st.sampled_from(STEPS), max_size=4), versioned=st.booleans())
def test_any_crash_sequence_on_the_local_archive_publishes_once(crashes: list[str], versioned: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        arch = tmp / "a"
        if versioned:
            deposit_bundle(make_bundle(tmp / "b0", revision=1), archive_dir=arch, env={}, verify=False)
        bundle = make_bundle(tmp / "b1", revision=2)
        out = drive(lambda hook: deposit_bundle(bundle, archive_dir=arch, env={}, hook=hook, verify=False), crashes)
        assert out["phase"] == "published"
        items = LocalArchive(arch).list_deposits()
        assert [i["state"] for i in items] == ["published"] * (2 if versioned else 1)
        latest = items[0]
        assert latest["doi"] == out["doi"]
        assert sorted(f["key"] for f in latest["files"]) == sorted(f["key"] for f in out["files"])
        for f in out["files"]:
            stored = arch / "objects" / latest["id"] / f["key"]
            assert hashlib.md5(stored.read_bytes()).hexdigest() == f["md5"]


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(crashes=st.lists(st.sampled_from(STEPS), min_size=1, max_size=3))
def test_any_crash_sequence_on_the_standin_publishes_once(standin: Standin, crashes: list[str]) -> None:
    httpx.post(standin.url + "/_control/reset").raise_for_status()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = {"ZENODO_ACCESS_TOKEN": "tok-rw", "XDG_DATA_HOME": str(tmp / "data")}
        bundle = make_bundle(tmp / "b1")
        out = drive(lambda hook: deposit_bundle(bundle, to=standin.url, env=env, publish=True, hook=hook, verify=False), crashes)
        assert out["phase"] == "published"
        deps = list(standin.state()["depositions"].values())
        assert len(deps) == 1 and deps[0]["published"] and deps[0]["doi"] == out["doi"]
        assert {k: f["md5"] for k, f in deps[0]["files"].items()} == {f["key"]: f["md5"] for f in out["files"]}
