"""source-provenance-v1 built from real files in a real git repository (gitpython), and outside one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git
import pytest

from provenance.errors import InputError
from provenance.jsonio import canonical_sha256
from provenance.schemas import validate
from provenance.signing import intoto
from provenance.signing import source_provenance as sp
from provenance.signing.keys import SigningKey

NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=UTC)
KEY = SigningKey.from_seed(b"\x09" * 32)

MANIFEST: dict[str, Any] = {
    "contract": "paper-manifest-v1.1",
    "record_id": "SRCH:2A059E4E",
    "title": "A record",
    "submitted": "2026-09-03",
    "doi": None,
    "gate_verdict": {"status": "verified", "gate": "Gate 2", "reason": "r", "evaluated_at": None},
    "provenance": {"publisher": "Assignee Research", "claim_lineage": "9 aggregate source-grounded claims",
                   "provenance_contract": "source-provenance-v1", "note": None},
    "claims": [
        {"id": "c1", "text": "x is 7.57", "truncated": False, "verified": True, "confidence": "0.27",
         "check": {"formula": "a", "inputs": {"a": "7.57"}, "expected": "7.57"}},
        {"id": "c2", "text": "y", "truncated": False, "verified": None, "confidence": None},
    ],
    "source": {"file": "rec.txt", "sha256": "0" * 64, "form": "paper"},
}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[git.Repo, Path]:
    root = tmp_path / "repo"
    root.mkdir()
    r = git.Repo.init(root)
    with r.config_writer() as cw:
        cw.set_value("user", "name", "Test")
        cw.set_value("user", "email", "test@example.org")
    (root / "rec.txt").write_text("record\n")
    (root / "other.txt").write_text("other\n")
    r.index.add(["rec.txt", "other.txt"])
    r.index.commit("first")
    r.create_remote("origin", "https://user:s3cr3t-token@example.org/lab/records.git")
    return r, root


def test_clean_inputs_in_git(repo: tuple[git.Repo, Path]) -> None:
    r, root = repo
    out = root / "out.json"
    out.write_text("{}")
    pred = sp.build_source_provenance(MANIFEST, [root / "rec.txt"], [out], now=NOW, lean_version="4.12.0", base=root)
    assert validate(pred, "source-provenance-v1") == []
    [info] = pred["repositories"]
    assert info["commit"] == r.head.commit.hexsha and info["dirty"] is False and info["inputs_changed"] == []
    assert info["remote"] == "https://example.org/lab/records.git"  # the token is gone
    assert "s3cr3t" not in json.dumps(pred)
    assert pred["inputs"][0]["git"] == {"status": "clean", "repository": 0}
    assert pred["publisher"] == "Assignee Research"
    assert pred["claim_lineage"]["statement"] == "9 aggregate source-grounded claims"
    assert pred["claim_lineage"]["claims"][0]["check_sha256"] == canonical_sha256(MANIFEST["claims"][0]["check"])
    assert pred["record"]["manifest_sha256"] == canonical_sha256(MANIFEST)
    assert pred["runtime"]["lean"] == "4.12.0"
    assert pred["generator"]["name"] == "provenance-archive"
    assert pred["times"]["generated"] == "2026-11-22T03:00:00Z"


def test_modified_and_untracked_inputs_are_named(repo: tuple[git.Repo, Path]) -> None:
    _, root = repo
    (root / "rec.txt").write_text("edited\n")
    (root / "new.txt").write_text("new\n")
    pred = sp.build_source_provenance(MANIFEST, [root / "rec.txt", root / "new.txt", root / "other.txt"], {},
                                      now=NOW, lean_version=None, base=root)
    statuses = {i["name"]: i["git"]["status"] for i in pred["inputs"]}
    assert statuses == {"rec.txt": "modified", "new.txt": "untracked", "other.txt": "clean"}
    assert pred["repositories"][0]["dirty"] is True
    assert pred["repositories"][0]["inputs_changed"] == ["new.txt", "rec.txt"]


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "rec.txt").write_text("record\n")
    pred = sp.build_source_provenance(MANIFEST, [tmp_path / "rec.txt"], {"out.json": "a" * 64},
                                      now=NOW, lean_version=None, base=tmp_path)
    assert pred["repositories"] == []
    assert pred["inputs"][0]["git"] == {"status": "not-in-git", "repository": None}
    assert validate(pred, "source-provenance-v1") == []


def test_signed_and_verified_like_any_statement(tmp_path: Path) -> None:
    (tmp_path / "rec.txt").write_text("record\n")
    (tmp_path / "out.json").write_text("{}")
    pred = sp.build_source_provenance(MANIFEST, [tmp_path / "rec.txt"], [tmp_path / "out.json"],
                                      now=NOW, lean_version=None, base=tmp_path)
    env = sp.sign_source_provenance(pred, [KEY])
    verified = intoto.verify_statement_envelope(
        env, {KEY.keyid: KEY.public}, 1, predicate_type=sp.PREDICATE_TYPE,
        files=dict(intoto.subjects_for_files([tmp_path / "out.json"], base=tmp_path)),
    )
    assert verified.statement.predicate == pred


def test_not_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        sp.build_source_provenance({"title": "x"}, [], {}, now=NOW, lean_version=None)


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://u:p@host.org/x.git", "https://host.org/x.git"),
     ("https://host.org:8443/x.git?token=abc", "https://host.org:8443/x.git"),
     ("git@github.com:org/repo.git", "github.com:org/repo.git"),
     ("/home/someone/repo", None),
     ("../relative", None)],
)
def test_remote_redaction(url: str, expected: str | None) -> None:
    assert sp.redact_remote(url) == expected
