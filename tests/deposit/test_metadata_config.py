"""Manifest -> deposit metadata, and where the token comes from."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from deposit_helpers import manifest
from hypothesis import given
from hypothesis import strategies as st

from archive.zenodo.vocabulary import FILE_KEY_RE, check_publishable
from provenance.deposit.config import Secret, load_token
from provenance.deposit.metadata import DepositOptions, build_metadata, marker_keyword
from provenance.deposit.workflow import sanitise, upload_key
from provenance.errors import InputError

BID = "ab" * 32


def options(**kw: object) -> DepositOptions:
    return DepositOptions(bundle_id=BID, publication_date="2026-11-22", **kw)  # type: ignore[arg-type]


def test_metadata_is_datacite_good() -> None:
    md = build_metadata(manifest(), options(previous_doi="10.5072/zenodo.2", version="2", communities=("ai",)))
    assert md["upload_type"] == "dataset" and md["publication_date"] == "2026-11-22" and md["version"] == "2"
    assert md["creators"][0] == {"name": "Lovelace, Ada", "orcid": "0000-0002-1825-0097"}
    assert md["creators"][1] == {"name": "Assignee Research"}
    rel = {(r["identifier"], r["relation"]) for r in md["related_identifiers"]}
    assert ("arXiv:2005.11401v4", "cites") in rel
    assert ("10.18653/v1/2020.emnlp-main.550", "cites") in rel
    assert ("https://example.org/paper", "cites") in rel
    assert ("10.5072/zenodo.2", "isNewVersionOf") in rel
    assert (f"urn:sha256:{BID}", "isAlternateIdentifier") in rel
    assert marker_keyword(BID) in md["keywords"]
    assert md["communities"] == [{"identifier": "ai"}]
    assert "&lt;b&gt;" in md["description"]  # manifest text is escaped, never raw HTML
    assert check_publishable(md) == []


def test_publication_type_when_publication() -> None:
    md = build_metadata(manifest(), options(upload_type="publication"))
    assert md["publication_type"] == "report"


def test_every_problem_is_reported_at_once() -> None:
    bad = manifest()
    bad["title"] = ""
    bad["authors"] = [{"name": "A, B", "orcid": "not-an-orcid"}, {}]
    with pytest.raises(InputError) as info:
        build_metadata(bad, options(license="made-up"))
    text = str(info.value)
    for part in ("$.title", "$.authors[0].orcid", "$.authors[1].name", "license 'made-up'"):
        assert part in text
    assert info.value.exit_code == 2


@given(st.text(min_size=1, max_size=40))
def test_upload_keys_always_fit_the_file_name_policy(record_id: str) -> None:
    key = upload_key(record_id, BID)
    assert FILE_KEY_RE.match(key) and key.endswith(f"-{BID[:12]}.zip")
    assert sanitise("SRCH:2A059E4E") == "SRCH-2A059E4E"


def test_token_from_env_first(tmp_path: Path) -> None:
    token = load_token("zenodo", env={"ZENODO_ACCESS_TOKEN": " abc ", "XDG_CONFIG_HOME": str(tmp_path)})
    assert token is not None and token.reveal() == "abc"
    assert "abc" not in repr(token) and "abc" not in str(token) and "abc" not in repr(Secret("abc"))


def test_token_file_must_be_private(tmp_path: Path) -> None:
    cfg = tmp_path / "provenance" / "zenodo.json"
    cfg.parent.mkdir()
    cfg.write_text('{"tokens": {"zenodo-sandbox": "sandbox-tok"}, "token": "default-tok"}')
    os.chmod(cfg, 0o644)
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    with pytest.raises(InputError, match="chmod 600"):
        load_token("zenodo", env=env)
    os.chmod(cfg, 0o600)
    sandbox = load_token("zenodo-sandbox", env=env)
    default = load_token("zenodo", env=env)
    assert sandbox is not None and sandbox.reveal() == "sandbox-tok"
    assert default is not None and default.reveal() == "default-tok"
    assert load_token("zenodo", env={"XDG_CONFIG_HOME": str(tmp_path / "none")}) is None
