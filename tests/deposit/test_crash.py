"""kill -9 at every step of a real `provenance deposit` process, then resume.

The crash is the explicit test hook ``PROVENANCE_DEPOSIT_CRASH_AT=<step>``:
the deposit process sends itself SIGKILL at that step (no cleanup, no
flush). After ``provenance deposit resume`` there must be exactly one
published record whose files match the journal's MD5s, and no stray draft.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Standin
from deposit_helpers import cli_env, make_bundle, provenance_cmd

from archive.local_archive import LocalArchive
from provenance.deposit.workflow import read_bundle, upload_key

STEPS = ["before-create", "after-create", "journaled-create", "uploaded:{zip}", "before-metadata",
         "after-metadata", "before-publish", "after-publish", "done"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*provenance_cmd(), *args], env=env, capture_output=True, text=True, timeout=120)


def step_name(step: str, bundle: Path) -> str:
    info = read_bundle(bundle)
    return step.format(zip=upload_key(info.record_id, info.bundle_id))


def assert_resumed(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout)
    assert out["phase"] == "published"
    return out


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_kill_9_then_resume_on_the_standin(standin: Standin, tmp_path: Path, step: str) -> None:
    bundle = make_bundle(tmp_path / "b1")
    crash = step_name(step, bundle)
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN="tok-rw")
    if step == "after-create":
        standin.config(search_lag_s=1.0)  # the draft shows in lists only later, like Zenodo's index
    killed = run(["deposit", str(bundle), "--no-verify", "--to", standin.url, "--publish", "--json"],
                 {**env, "PROVENANCE_DEPOSIT_CRASH_AT": crash})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    out = assert_resumed(run(["deposit", "resume", "--json"], env) if step != "done"
                         else run(["deposit", str(bundle), "--no-verify", "--to", standin.url, "--publish", "--json"], env))
    deps = list(standin.state()["depositions"].values())
    assert len(deps) == 1, "a duplicate draft was made"
    dep = deps[0]
    assert dep["published"] and dep["doi"] == out["doi"]
    assert {k: f["md5"] for k, f in dep["files"].items()} == {f["key"]: f["md5"] for f in out["files"]}
    for f in out["files"]:
        stored = Path(standin.server.state.bucket_dir(dep["bucket"])) / f["key"]
        assert hashlib.md5(stored.read_bytes()).hexdigest() == f["md5"]
    publishes = [r for r in standin.state()["requests"] if r["path"].endswith("/actions/publish")]
    assert len([r for r in publishes if r["status"] == 202]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("step", ["after-create", "uploaded:{zip}", "after-publish"])
def test_kill_9_during_a_new_version_then_resume(standin: Standin, tmp_path: Path, step: str) -> None:
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN="tok-rw")
    assert_resumed(run(["deposit", str(make_bundle(tmp_path / "b1")), "--no-verify", "--to", standin.url, "--publish", "--json"],
                       env))
    b2 = make_bundle(tmp_path / "b2", revision=2)
    killed = run(["deposit", str(b2), "--no-verify", "--to", standin.url, "--publish", "--json"],
                 {**env, "PROVENANCE_DEPOSIT_CRASH_AT": step_name(step, b2)})
    assert killed.returncode == -signal.SIGKILL
    out = assert_resumed(run(["deposit", "resume", "--json"], env))
    deps = sorted(standin.state()["depositions"].values(), key=lambda d: d["id"])
    assert len(deps) == 2 and all(d["published"] for d in deps)
    assert deps[1]["doi"] == out["doi"] and deps[0]["conceptrecid"] == deps[1]["conceptrecid"]
    assert sorted(deps[1]["files"]) == sorted(f["key"] for f in out["files"])


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS)
def test_kill_9_then_resume_on_the_local_archive(tmp_path: Path, step: str) -> None:
    bundle = make_bundle(tmp_path / "b1")
    arch = tmp_path / "archive"
    env = cli_env(tmp_path)
    killed = run(["deposit", str(bundle), "--no-verify", "--archive-dir", str(arch), "--json"],
                 {**env, "PROVENANCE_DEPOSIT_CRASH_AT": step_name(step, bundle)})
    assert killed.returncode == -signal.SIGKILL
    resume = (["deposit", "resume", "--archive-dir", str(arch), "--json"] if step != "done"
              else ["deposit", str(bundle), "--no-verify", "--archive-dir", str(arch), "--json"])
    out = assert_resumed(run(resume, env))
    items = LocalArchive(arch).list_deposits()
    assert [i["state"] for i in items] == ["published"]
    assert items[0]["doi"] == out["doi"] == f"10.5072/local.{items[0]['id']}"
    fetched = LocalArchive(arch).fetch(out["doi"], tmp_path / "fetched.zip")
    assert hashlib.md5((tmp_path / "fetched.zip").read_bytes()).hexdigest() == fetched["md5"]
