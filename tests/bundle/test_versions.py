"""A corrected version of a record, by the one documented path (issue 15 items 3 and 12, bundle side).

`bundle build NEW_MANIFEST --supersedes OLD_BUNDLE` keeps the record id of the
superseded bundle (a re-ingested record derives another), records the earlier
bundle id and the next Bundle-Version, and carries the correction log that
lives beside the earlier bundle; deposited after it, it is a new version of the
same concept. Its RO-Crate passes roc-validator at RECOMMENDED level but for the
validator's quirks and what the record itself does not state.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_env import EPOCH, Env, roc_validate

from provenance.jsonio import load_json_file, write_json
from provenance.signing.keys import save_signing_key

PROVENANCE = [sys.executable, "-m", "provenance"]
NOT_STATED_BY_THE_RECORD = ("ro-crate-1.2_86.2", "ro-crate-1.1_31.2", "ro-crate-1.2_89.0", "ro-crate-1.2_90.1",
                            "ro-crate-1.2_91.0", "ro-crate-1.2_93.0")
"""RECOMMENDED findings about facts the record does not state: an organisation author's URL, ROR id and
contact point, and the attestor's ORCID (the crate names who signed by key, not by a person's identifier)."""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH)}
    return subprocess.run([*PROVENANCE, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    proc = run(*args)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


@pytest.fixture(scope="module")
def versions(env: Env, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    d = tmp_path_factory.mktemp("versions")
    corrector, log_key = d / "corrector.key", d / "log.key"
    save_signing_key(env.corrector, corrector, None)
    save_signing_key(env.log_key, log_key, None)
    common = ["--claims", str(env.checks), "--key", str(env.attestor_path), "--trust", str(env.trust_path),
              "--lean", "off", "--license", "CC-BY-4.0"]
    ok("bundle", "build", str(env.manifest), *common, "-o", str(d / "v1"))
    ok("correct", "append", str(d / "v1"), "--type", "correction", "--claim", "c5",
       "--reason", "The gain is 0.7 points, not 1.8", "--what-changed", "c5 now states 0.7",
       "--key", str(corrector), "--log-key", str(log_key), "--trust", str(env.trust_path))
    # the corrected record, ingested again: its derived record id is not the first one's
    manifest = load_json_file(env.manifest)
    manifest["record_id"] = "rec-reingested"
    write_json(d / "corrected.json", manifest)
    ok("bundle", "build", str(d / "corrected.json"), *common, "--supersedes", str(d / "v1"), "-o", str(d / "v2"))
    return d / "v1", d / "v2", d


def test_the_new_version_keeps_the_record_id_and_supersedes_the_earlier_bundle(env: Env, versions: tuple[Path, Path, Path]) -> None:
    v1, v2, _ = versions
    first = json.loads(ok("bundle", "info", str(v1), "--json").stdout)
    second = json.loads(ok("bundle", "info", str(v2), "--json").stdout)
    assert second["record_id"] == first["record_id"] == load_json_file(env.manifest)["record_id"]
    assert second["previous_bundle_id"] == first["bundle_id"] and second["bundle_version"] == 2
    assert (v2 / "data" / "corrections" / "corrections.jsonl").read_bytes() == \
        v1.with_name("v1.corrections.jsonl").read_bytes()


def test_the_new_version_verifies_and_shows_the_correction(env: Env, versions: tuple[Path, Path, Path]) -> None:
    _, v2, _ = versions
    report = json.loads(ok("verify", str(v2), "--trust", str(env.trust_path), "--json").stdout)
    assert report["ok"] and report["record_status"] == "CORRECTED"
    assert report["claims_summary"]["corrected"] == 1 and report["corrected_claims"].get("c5") not in (None, "CURRENT")


def test_deposited_after_the_first_it_is_a_new_version_of_the_same_concept(
    env: Env, versions: tuple[Path, Path, Path]
) -> None:
    v1, v2, d = versions
    archive = d / "archive"
    one = json.loads(ok("deposit", str(v1), "--archive-dir", str(archive), "--trust", str(env.trust_path), "--json").stdout)
    two = json.loads(ok("deposit", str(v2), "--archive-dir", str(archive), "--trust", str(env.trust_path), "--json").stdout)
    assert two["concept_doi"] == one["concept_doi"] and two["doi"] != one["doi"]
    assert two["previous"]["doi"] == one["doi"]


def test_the_crate_of_a_corrected_version_passes_recommended(versions: tuple[Path, Path, Path]) -> None:
    _, v2, _ = versions
    crate = json.loads((v2 / "data" / "ro-crate-metadata.json").read_text())
    entities = {e["@id"]: e for e in crate["@graph"]}
    action = entities["#new-version"]
    assert action["object"][0] == {"@id": "#bundle-version-1"} and "agent" in action
    assert entities["./"]["license"] == {"@id": "https://spdx.org/licenses/CC-BY-4.0"}
    issues = roc_validate(v2 / "data", severity="recommended")
    assert [i for i in issues if i.split(" | ", 1)[0] not in NOT_STATED_BY_THE_RECORD] == [], issues
