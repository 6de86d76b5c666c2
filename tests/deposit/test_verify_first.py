"""Issue 13.13: deposit verifies the bundle before it deposits; --no-verify is a recorded rehearsal."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import Standin
from deposit_helpers import Signed, cli_env, provenance_cmd, rewrite_in_bag

from archive.journal import Journal
from provenance.deposit.workflow import deposit_bundle
from provenance.errors import CheckFailed, InputError


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    return Signed(tmp_path_factory.mktemp("signed"))


def _env(tmp_path: Path) -> dict[str, str]:
    return {"ZENODO_ACCESS_TOKEN": "tok-rw", "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CONFIG_HOME": str(tmp_path / "config")}


def test_a_bundle_whose_attestation_does_not_match_its_contents_is_refused_before_any_request(
        signed: Signed, standin: Standin, tmp_path: Path) -> None:
    bag = signed.bundle(tmp_path / "bundle")
    manifest = json.loads((bag / "data" / "manifest.json").read_text())
    manifest["title"] = "A better title, added after signing"
    rewrite_in_bag(bag, "data/manifest.json", json.dumps(manifest, indent=2).encode())
    with pytest.raises(CheckFailed, match="does not verify") as info:
        deposit_bundle(bag, to=standin.url, env=_env(tmp_path), publish=True, trust=signed.trust)
    assert info.value.exit_code == 1 and "manifest.json" in str(info.value)
    assert standin.state()["requests"] == []


def test_a_bundle_signed_by_an_untrusted_key_is_refused_before_any_request(
        signed: Signed, standin: Standin, tmp_path: Path) -> None:
    bag = signed.bundle(tmp_path / "bundle", outsider=True)
    with pytest.raises(CheckFailed, match="does not verify"):
        deposit_bundle(bag, to=standin.url, env=_env(tmp_path), publish=True, trust=signed.trust)
    assert standin.state()["requests"] == []


def test_without_a_trust_root_deposit_refuses_unless_no_verify(signed: Signed, standin: Standin, tmp_path: Path) -> None:
    bag = signed.bundle(tmp_path / "bundle")
    with pytest.raises(InputError, match="--no-verify") as info:
        deposit_bundle(bag, to=standin.url, env=_env(tmp_path), publish=True)
    assert info.value.where == "--trust" and standin.state()["requests"] == []


def test_a_verified_bundle_is_deposited_and_the_journal_says_how_it_was_checked(
        signed: Signed, standin: Standin, tmp_path: Path) -> None:
    zipped = signed.bundle(tmp_path / "bundle", make_zip=True)
    out = deposit_bundle(zipped, to=standin.url, env=_env(tmp_path), publish=True, trust=signed.trust)
    assert out["phase"] == "published"
    record = out["verification"]
    assert record["verified"] is True and record["trust_root_version"] == signed.trust.version
    assert record["signers"] == [signed.attestor.keyid] and record["checks"]["fail"] == 0
    assert Journal.load(out["journal"]).data["verification"] == record


def test_no_verify_is_recorded_in_the_journal(signed: Signed, standin: Standin, tmp_path: Path) -> None:
    bag = signed.bundle(tmp_path / "bundle", outsider=True)
    out = deposit_bundle(bag, to=standin.url, env=_env(tmp_path), publish=False, verify=False)
    assert out["verification"] == {"verified": False, "note": "not verified before deposit (--no-verify: a rehearsal)"}
    assert Journal.load(out["journal"]).data["verification"]["verified"] is False


def test_the_cli_refuses_without_trust_and_verifies_with_it(signed: Signed, standin: Standin, tmp_path: Path) -> None:
    bag = signed.bundle(tmp_path / "bundle")
    env = cli_env(tmp_path, ZENODO_ACCESS_TOKEN="tok-rw")
    base = [*provenance_cmd(), "deposit", str(bag), "--to", standin.url, "--publish"]
    refused = subprocess.run([*base], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--trust" in refused.stderr and "--no-verify" in refused.stderr
    assert refused.stderr.count("\n") == 1 and standin.state()["requests"] == []
    done = subprocess.run([*base, "--trust", str(signed.trust_path), "--json"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verification"]["verified"] is True
