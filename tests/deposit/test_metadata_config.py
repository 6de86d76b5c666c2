"""Manifest -> deposit metadata, and where the token comes from."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from deposit_helpers import manifest
from hypothesis import given
from hypothesis import strategies as st

from archive.zenodo.vocabulary import FILE_KEY_RE, check_publishable
from provenance.deposit.config import Secret, token_for
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


PROD, SANDBOX, STANDIN = "https://zenodo.org/api", "https://sandbox.zenodo.org/api", "http://127.0.0.1:8000/api"


def _config(tmp_path: Path, doc: object, mode: int = 0o600) -> dict[str, str]:
    cfg = tmp_path / "provenance" / "zenodo.json"
    cfg.parent.mkdir(exist_ok=True)
    cfg.write_text(json.dumps(doc))
    os.chmod(cfg, mode)
    return {"XDG_CONFIG_HOME": str(tmp_path)}


def test_token_from_env_first(tmp_path: Path) -> None:
    env = {"ZENODO_ACCESS_TOKEN": " abc ", **_config(tmp_path, {"tokens": {"zenodo": "from-file"}})}
    token = token_for(PROD, env=env)
    assert token is not None and token.reveal() == "abc"
    assert "abc" not in repr(token) and "abc" not in str(token) and "abc" not in repr(Secret("abc"))


def test_token_file_must_be_private(tmp_path: Path) -> None:
    env = _config(tmp_path, {"tokens": {"zenodo-sandbox": "sandbox-tok", "zenodo": "prod-tok"}}, mode=0o644)
    with pytest.raises(InputError, match="chmod 600"):
        token_for(PROD, env=env)
    os.chmod(tmp_path / "provenance" / "zenodo.json", 0o600)
    sandbox, prod = token_for(SANDBOX, env=env), token_for(PROD, env=env)
    assert sandbox is not None and sandbox.reveal() == "sandbox-tok"
    assert prod is not None and prod.reveal() == "prod-tok"
    assert token_for(PROD, env={"XDG_CONFIG_HOME": str(tmp_path / "none")}) is None


def test_tokens_are_keyed_by_server_and_never_go_to_another(tmp_path: Path) -> None:
    """Issue 13.1: the file's token for one server is never sent to a server it does not name."""
    env = _config(tmp_path, {"tokens": {"zenodo": "prod-tok", "http://127.0.0.1:8000": "standin-tok",
                                        "https://repo.example.org/api/": "repo-tok"}})
    assert token_for(STANDIN, env=env).reveal() == "standin-tok"  # type: ignore[union-attr]
    assert token_for("https://repo.example.org/api", env=env).reveal() == "repo-tok"  # type: ignore[union-attr]
    assert token_for(PROD, env=env).reveal() == "prod-tok"  # type: ignore[union-attr]
    assert token_for(SANDBOX, env=env) is None
    assert token_for("http://127.0.0.1:9999/api", env=env) is None  # another port is another server
    assert token_for("https://evil.example.org/api", env=env) is None


def test_the_old_single_token_form_is_refused_with_the_new_form_named(tmp_path: Path) -> None:
    env = _config(tmp_path, {"token": "old-tok"})
    with pytest.raises(InputError) as info:
        token_for(STANDIN, env=env)
    assert info.value.exit_code == 2 and '"tokens"' in str(info.value) and "old-tok" not in str(info.value)


@pytest.mark.parametrize("url", ["http://zenodo.org/api", "http://192.168.1.20:8000/api", "http://10.0.0.1/api",
                                 "http://example.org/api"])
def test_a_token_never_goes_over_plain_http_to_a_non_loopback_host(tmp_path: Path, url: str) -> None:
    for env in ({"ZENODO_ACCESS_TOKEN": "env-tok", "XDG_CONFIG_HOME": str(tmp_path)},
                _config(tmp_path, {"tokens": {url: "file-tok"}})):
        with pytest.raises(InputError, match="plain http") as info:
            token_for(url, env=env)
        assert info.value.exit_code == 2 and "env-tok" not in str(info.value) and "file-tok" not in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/api", "http://127.0.0.2/api", "http://[::1]:8000/api",
                                 "http://localhost:8000/api", "https://zenodo.org/api"])
def test_https_and_loopback_http_may_carry_a_token(tmp_path: Path, url: str) -> None:
    token = token_for(url, env={"ZENODO_ACCESS_TOKEN": "env-tok", "XDG_CONFIG_HOME": str(tmp_path)})
    assert token is not None and token.reveal() == "env-tok"


@pytest.mark.parametrize("bad", ["tok\r\nX-Injected: 1", "tok en", "tok\x00", "tök"])
def test_a_token_that_cannot_be_a_header_is_bad_input(tmp_path: Path, bad: str) -> None:
    for env in ({"ZENODO_ACCESS_TOKEN": bad, "XDG_CONFIG_HOME": str(tmp_path)},
                _config(tmp_path, {"tokens": {"zenodo": bad}})):
        with pytest.raises(InputError, match="HTTP header") as info:
            token_for(PROD, env=env)
        assert info.value.exit_code == 2 and bad.strip() not in str(info.value)


def test_config_errors_name_the_file_and_the_form(tmp_path: Path) -> None:
    for doc in ({"tokens": ["zenodo"]}, {"tokens": {"ftp://x": "t"}}, {"tokens": {"zenodo": 3}}, [1]):
        with pytest.raises(InputError, match="zenodo.json") as info:
            token_for(PROD, env=_config(tmp_path, doc))
        assert info.value.exit_code == 2


def test_the_description_says_what_a_real_correction_record_changed() -> None:
    """A correction record carries what_changed as [{"summary": ...}]; the deposit said nothing of it."""
    correction = {"contract": "correction-record-v1", "seq": 0, "type": "correction",
                  "what_was_wrong": "Claim c5 stated 1.8 points.",
                  "what_changed": [{"summary": "Claim c5 now states 0.7 points."}, {"summary": "The abstract too"}],
                  "reason": {"category": "honest_error", "text": "52.1 - 51.4 is 0.7"}}
    md = build_metadata(manifest(), options(correction=correction))
    text = md["description"]
    assert "What was wrong: Claim c5 stated 1.8 points." in text
    assert "What changed: Claim c5 now states 0.7 points; The abstract too." in text
    assert "Reason (honest_error): 52.1 - 51.4 is 0.7." in text
