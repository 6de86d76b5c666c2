"""Whole deposits against the stand-in, with the faults Zenodo really shows."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Standin
from deposit_helpers import cli_env, make_bundle, provenance_cmd

from archive.journal import Journal
from provenance.deposit.workflow import deposit_bundle, resume_deposit
from provenance.errors import InputError


class Stop(Exception):
    """Raised by a test hook to stop a deposit at a step (an in-process stand-in for a crash)."""


def env_for(tmp_path: Path, token: str = "tok-rw") -> dict[str, str]:
    return {"ZENODO_ACCESS_TOKEN": token, "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config")}


def md5(path: str) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def check_one_published(standin: Standin, summary: dict[str, Any]) -> dict[str, Any]:
    """Exactly one deposition, published, holding exactly the journal's files with their md5s."""
    state = standin.state()
    deps = list(state["depositions"].values())
    assert len(deps) == 1, [d["id"] for d in deps]
    dep = deps[0]
    assert dep["published"] and dep["doi"] == summary["doi"]
    assert {k: f["md5"] for k, f in dep["files"].items()} == {f["key"]: f["md5"] for f in summary["files"]}
    journal = Journal.load(summary["journal"])
    for f in journal.files:
        assert md5(f.path) == f.md5
    return dep


def test_whole_flow_then_a_new_version(standin: Standin, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    v1 = deposit_bundle(make_bundle(tmp_path / "b1"), to=standin.url, env=env, publish=True, verify=False)
    assert v1["status"] == "published" and v1["doi"].startswith("10.5072/zenodo.")
    check_one_published(standin, v1)
    v2 = deposit_bundle(make_bundle(tmp_path / "b2", revision=2, checkpoint=True), to=standin.url, env=env,
                        publish=True, verify=False)
    assert v2["status"] == "published" and v2["doi"] != v1["doi"]
    assert v2["concept_doi"] == v1["concept_doi"] and v2["previous"]["doi"] == v1["doi"]
    deps = {d["id"]: d for d in standin.published()}
    new = deps[int(v2["deposition_id"])]
    assert sorted(new["files"]) == sorted(f["key"] for f in v2["files"])  # inherited v1 files were deleted
    assert {"identifier": v1["doi"], "relation": "isNewVersionOf"} in new["metadata"]["related_identifiers"]
    assert new["metadata"]["version"] == "2"
    assert "checkpoint" in new["metadata"]["description"]
    assert "What changed: It now reads 9.03" in new["metadata"]["description"]
    assert "transposed digits" in new["metadata"]["description"]
    again = deposit_bundle(tmp_path / "b2", to=standin.url, env=env, publish=True, verify=False)
    assert again["status"] == "already-deposited" and len(standin.published()) == 2


def test_draft_by_default_on_zenodo_then_publish_on_resume(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    draft = deposit_bundle(bundle, to=standin.url, env=env, verify=False)
    assert draft["phase"] == "draft_ready" and standin.published() == []
    done = resume_deposit(draft["journal"], env=env, publish=True)
    assert done["phase"] == "published"
    check_one_published(standin, done)


def test_429_storm_is_ridden_out_honouring_retry_after(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    standin.faults({"path_regex": "^/api/", "every": 2, "action": {"type": "rate_limit", "retry_after": 3}})
    sleeps: list[float] = []
    out = deposit_bundle(bundle, to=standin.url, env=env_for(tmp_path), publish=True,
                         client_kwargs={"sleep": sleeps.append}, verify=False)
    check_one_published(standin, out)
    assert len(standin.state()["fault_log"]) >= 5
    assert sleeps and all(s == 3.0 for s in sleeps)


def test_publish_504_that_did_publish_is_not_published_twice(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    standin.faults({"method": "POST", "path_regex": "/actions/publish$", "times": 1,
                    "action": {"type": "succeed_then_status", "code": 504}})
    out = deposit_bundle(bundle, to=standin.url, env=env_for(tmp_path), publish=True,
                         client_kwargs={"sleep": lambda s: None}, verify=False)
    check_one_published(standin, out)
    posts = [r for r in standin.state()["requests"] if r["method"] == "POST" and r["path"].endswith("/publish")]
    assert [r["status"] for r in posts] == [504]


def test_connection_reset_mid_upload_is_retried(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    standin.faults({"method": "PUT", "path_regex": r"^/api/files/.+\.zip$", "times": 1,
                    "action": {"type": "reset_after_bytes", "n": 1000}})
    out = deposit_bundle(bundle, to=standin.url, env=env_for(tmp_path), publish=True,
                         client_kwargs={"sleep": lambda s: None}, verify=False)
    check_one_published(standin, out)
    assert standin.state()["fault_log"][0]["action"]["type"] == "reset_after_bytes"


def test_corrupt_checksum_is_detected_and_reuploaded(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    standin.faults({"method": "PUT", "path_regex": r"^/api/files/", "times": 1,
                    "action": {"type": "corrupt_checksum"}})
    out = deposit_bundle(bundle, to=standin.url, env=env_for(tmp_path), publish=True, verify=False)
    check_one_published(standin, out)
    puts = [r for r in standin.state()["requests"] if r["method"] == "PUT" and r["path"].startswith("/api/files/")]
    assert len(puts) == len(out["files"]) + 1


def test_lost_create_answer_is_found_by_marker_despite_search_lag(standin: Standin, bundle: Path,
                                                                  tmp_path: Path) -> None:
    standin.config(search_lag_s=1.5)
    env = env_for(tmp_path)

    def stop_after_create(step: str) -> None:
        if step == "after-create":
            raise Stop(step)

    import provenance.deposit.workflow as wf

    original = wf.crash_hook_from_env
    wf.crash_hook_from_env = lambda e: stop_after_create  # type: ignore[assignment]
    try:
        with pytest.raises(Stop):
            deposit_bundle(bundle, to=standin.url, env=env, publish=True, verify=False)
    finally:
        wf.crash_hook_from_env = original
    out = resume_deposit(env=env)
    check_one_published(standin, out)


def test_new_version_draft_left_open_is_reused(standin: Standin, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    deposit_bundle(make_bundle(tmp_path / "b1"), to=standin.url, env=env, publish=True, verify=False)
    import provenance.deposit.workflow as wf

    def stop(step: str) -> None:
        if step == "after-create":
            raise Stop(step)

    original = wf.crash_hook_from_env
    wf.crash_hook_from_env = lambda e: stop  # type: ignore[assignment]
    try:
        with pytest.raises(Stop):
            deposit_bundle(make_bundle(tmp_path / "b2", revision=2), to=standin.url, env=env, publish=True, verify=False)
    finally:
        wf.crash_hook_from_env = original
    out = resume_deposit(env=env)
    assert out["phase"] == "published"
    deps = list(standin.state()["depositions"].values())
    assert len(deps) == 2 and all(d["published"] for d in deps)


def test_invalid_manifest_makes_no_request(standin: Standin, tmp_path: Path) -> None:
    import json

    from deposit_helpers import manifest

    from archive.bag import PayloadItem, write_bag

    doc = manifest()
    doc["authors"] = []
    write_bag(tmp_path / "bad", [PayloadItem("manifest.json", data=json.dumps(doc).encode())],
              bag_info=[("External-Identifier", doc["record_id"])], fsync=False)
    with pytest.raises(InputError, match="authors"):
        deposit_bundle(tmp_path / "bad", to=standin.url, env=env_for(tmp_path), publish=True, verify=False)
    assert standin.state()["requests"] == []


def test_damaged_bag_is_refused(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    (bundle / "data" / "results" / "values.json").write_text("tampered")
    with pytest.raises(InputError, match="not a valid bag"):
        deposit_bundle(bundle, to=standin.url, env=env_for(tmp_path), publish=True, verify=False)
    assert standin.state()["requests"] == []


@pytest.mark.parametrize("token, code, words", [
    ("BAD-secret-token-7f3a9c", 2, "401"),
])
def test_bad_token_gives_one_clear_line_and_never_leaks(standin: Standin, bundle: Path, tmp_path: Path,
                                                       token: str, code: int, words: str) -> None:
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN=token)
    for extra in ([], ["--verbose"]):
        proc = subprocess.run([*provenance_cmd(), *extra, "deposit", str(bundle), "--no-verify", "--to", standin.url, "--publish"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert proc.returncode == code, proc.stderr
        assert words in proc.stderr and "ZENODO_ACCESS_TOKEN" in proc.stderr
        assert token not in proc.stdout + proc.stderr
        if not extra:
            assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_write_only_token_gets_a_clear_permission_error(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN="tok-w")
    proc = subprocess.run([*provenance_cmd(), "deposit", str(bundle), "--no-verify", "--to", standin.url, "--publish"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "403" in proc.stderr and "deposit:actions" in proc.stderr
    assert standin.published() == []


def test_discard_drops_the_draft_and_a_new_deposit_can_start(standin: Standin, tmp_path: Path) -> None:
    from provenance.deposit.workflow import discard_deposit, list_journals

    env = env_for(tmp_path)
    draft = deposit_bundle(make_bundle(tmp_path / "b1"), to=standin.url, env=env, verify=False)
    assert draft["phase"] == "draft_ready"
    with pytest.raises(InputError, match="unfinished"):
        deposit_bundle(make_bundle(tmp_path / "b2", revision=2), to=standin.url, env=env, publish=True, verify=False)
    gone = discard_deposit(draft["journal"], env=env)
    assert gone["phase"] == "discarded" and standin.state()["depositions"] == {}
    with pytest.raises(Exception, match="discarded"):
        resume_deposit(draft["journal"], env=env)
    out = deposit_bundle(tmp_path / "b2", to=standin.url, env=env, publish=True, verify=False)
    check_one_published(standin, out)
    phases = sorted(j["phase"] for j in list_journals(env=env))
    assert phases == ["discarded", "published"]


def test_published_deposit_cannot_be_discarded(tmp_path: Path) -> None:
    from archive.depositor import DepositError
    from provenance.deposit.workflow import discard_deposit

    out = deposit_bundle(make_bundle(tmp_path / "b1"), archive_dir=tmp_path / "a", env={}, verify=False)
    with pytest.raises(DepositError, match="already published"):
        discard_deposit(out["journal"], env={})


def test_delete_that_answers_500_after_deleting_is_judged_by_relisting(standin: Standin, tmp_path: Path) -> None:
    env = env_for(tmp_path)
    deposit_bundle(make_bundle(tmp_path / "b1"), to=standin.url, env=env, publish=True, verify=False)
    standin.faults({"method": "DELETE", "path_regex": "/files/", "every": 1,
                    "action": {"type": "succeed_then_status", "code": 500}})
    v2 = deposit_bundle(make_bundle(tmp_path / "b2", revision=2), to=standin.url, env=env, publish=True, verify=False)
    assert v2["phase"] == "published"
    new = next(d for d in standin.published() if str(d["id"]) == v2["deposition_id"])
    assert sorted(new["files"]) == sorted(f["key"] for f in v2["files"])
    assert len(standin.state()["fault_log"]) == 2  # both inherited files were deleted through a 500


def test_communities_dropped_at_publish_are_reported(standin: Standin, bundle: Path, tmp_path: Path) -> None:
    standin.config(known_communities=["known"])
    out = deposit_bundle(bundle, to=standin.url, env=env_for(tmp_path), publish=True,
                         communities=("known", "ghost"), verify=False)
    assert out["phase"] == "published"
    assert len(out["warnings"]) == 1 and "'ghost'" in out["warnings"][0]
    assert standin.published()[0]["metadata"]["communities"] == [{"identifier": "known"}]


def test_the_config_files_zenodo_token_is_not_sent_to_a_rehearsal_server(standin: Standin, bundle: Path,
                                                                         tmp_path: Path) -> None:
    """Issue 13.1: the README's rehearsal against http://127.0.0.1:PORT sent the real (single) token there."""
    import json
    import os

    env = cli_env(tmp_path)
    config = Path(env["XDG_CONFIG_HOME"]) / "provenance" / "zenodo.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"tokens": {"zenodo": "real-zenodo-token"}}))
    os.chmod(config, 0o600)
    proc = subprocess.run([*provenance_cmd(), "deposit", str(bundle), "--no-verify", "--to", standin.url, "--publish"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "no Zenodo token for " + standin.url in proc.stderr, proc.stderr
    assert standin.state()["requests"] == []
    config.write_text(json.dumps({"tokens": {"zenodo": "real-zenodo-token", standin.url: "tok-rw"}}))
    proc = subprocess.run([*provenance_cmd(), "deposit", str(bundle), "--no-verify", "--to", standin.url, "--publish",
                           "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "real-zenodo-token" not in json.dumps(standin.state())
