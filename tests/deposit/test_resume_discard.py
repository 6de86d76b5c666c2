"""Issue 15.9: resume finds a waiting draft; a mistyped --to is always discardable and says what to do."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

from conftest import Standin
from deposit_helpers import cli_env, make_bundle, provenance_cmd

from provenance.deposit.workflow import deposit_bundle, resume_deposit


def _env(tmp_path: Path) -> dict[str, str]:
    return {"ZENODO_ACCESS_TOKEN": "tok-rw", "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_resume_without_a_journal_finds_the_draft_that_waits(standin: Standin, tmp_path: Path) -> None:
    env = _env(tmp_path)
    draft = deposit_bundle(make_bundle(tmp_path / "b1"), to=standin.url, env=env, verify=False)
    assert draft["phase"] == "draft_ready" and standin.published() == []
    done = resume_deposit(env=env, publish=True)
    assert done["phase"] == "published" and done["journal"] == draft["journal"]
    assert len(standin.published()) == 1


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_mistyped_to_url_is_discardable_and_says_so(tmp_path: Path) -> None:
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN="tok-rw")
    bundle = make_bundle(tmp_path / "b1")
    url = f"http://127.0.0.1:{_unused_port()}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*provenance_cmd(), "deposit", *args], env=env, capture_output=True, text=True,
                              timeout=120)

    failed = run(str(bundle), "--no-verify", "--to", url, "--publish")
    assert failed.returncode == 1 and failed.stderr.count("\n") == 1
    assert "was not reached, so nothing was done there" in failed.stderr
    assert "may or may not" not in failed.stderr and "deposit discard" in failed.stderr
    again = run("resume")
    assert again.returncode == 1 and "was not reached" in again.stderr and "may or may not" not in again.stderr
    dropped = run("discard", "--json")
    assert dropped.returncode == 0, dropped.stderr
    assert json.loads(dropped.stdout)["phase"] == "discarded"
    nothing = run("resume")
    assert nothing.returncode == 2 and "no deposit journal with work left" in nothing.stderr
