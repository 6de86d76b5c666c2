"""Issue 15.10: one licence rule from bundle to deposit (the bundle's licence; none stated grants none)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Standin
from deposit_helpers import Signed

from provenance.deposit.licence import NOT_STATED, deposit_licence, licence_id, stated_licence
from provenance.deposit.workflow import deposit_bundle
from provenance.errors import InputError


def _crate(license_value: object) -> bytes:
    root: dict[str, object] = {"@id": "./", "@type": "Dataset"}
    if license_value is not None:
        root["license"] = license_value
    return json.dumps({"@context": "https://w3id.org/ro/crate/1.2/context", "@graph": [root]}).encode()


@pytest.mark.parametrize("reference, zenodo", [
    ("https://spdx.org/licenses/CC-BY-4.0", "cc-by-4.0"), ("https://spdx.org/licenses/CC-BY-4.0.html", "cc-by-4.0"),
    ("https://spdx.org/licenses/MIT", "mit"), ("https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    ("https://creativecommons.org/licenses/by-sa/4.0/legalcode", "cc-by-sa-4.0"),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "cc0-1.0"), ("CC-BY-4.0", "cc-by-4.0"),
    ("cc-by", "cc-by-4.0"), ("Apache-2.0", "apache-2.0"), ("https://example.org/my-licence", None),
    ("made-up", None),
])
def test_licence_ids(reference: str, zenodo: str | None) -> None:
    assert licence_id(reference) == zenodo


def test_what_a_crate_states() -> None:
    assert stated_licence(_crate({"@id": "https://spdx.org/licenses/MIT"}), where="c") == "https://spdx.org/licenses/MIT"
    assert stated_licence(_crate("https://spdx.org/licenses/MIT"), where="c") == "https://spdx.org/licenses/MIT"
    assert stated_licence(_crate({"@id": "#license"}), where="c") is None
    assert stated_licence(_crate({"@id": "https://choosealicense.com/no-permission/"}), where="c") is None
    assert stated_licence(_crate(None), where="c") is None and stated_licence(None, where="c") is None


def test_the_rule() -> None:
    mit = _crate({"@id": "https://spdx.org/licenses/MIT"})
    assert deposit_licence(mit, None, where="c") == "mit"
    assert deposit_licence(mit, "MIT", where="c") == "mit"
    with pytest.raises(InputError, match="contradicts the bundle's own licence"):
        deposit_licence(mit, "cc-by-4.0", where="c")
    none = _crate({"@id": "#license"})
    assert deposit_licence(none, None, where="c") == NOT_STATED == "other-closed"
    assert deposit_licence(none, "cc-by", where="c") == "cc-by-4.0"
    with pytest.raises(InputError, match="unknown licence"):
        deposit_licence(none, "made-up", where="c")
    with pytest.raises(InputError, match="no Zenodo licence id"):
        deposit_licence(_crate({"@id": "https://example.org/mine"}), None, where="c")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Signed:
    return Signed(tmp_path_factory.mktemp("signed"))


def test_a_bundle_with_no_licence_is_deposited_granting_none(signed: Signed, standin: Standin, tmp_path: Path) -> None:
    env = {"ZENODO_ACCESS_TOKEN": "tok-rw", "XDG_DATA_HOME": str(tmp_path / "d"), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    out = deposit_bundle(signed.bundle(tmp_path / "b"), to=standin.url, env=env, publish=True, trust=signed.trust)
    (dep,) = standin.published()
    assert out["phase"] == "published" and dep["metadata"]["license"] == "other-closed"
