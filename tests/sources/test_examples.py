"""The shipped example: sources in three forms, checks citing them; one input not in its source, one check
that does not restate its claim. Everything else is grounded and restated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sources_env import sha256

from provenance.claims.restatement import restatement
from provenance.jsonio import load_json_file
from provenance.schemas import validate
from provenance.sources.errors import SourceError
from provenance.sources.grounding import Grounder
from provenance.sources.locator import parse_locator
from provenance.sources.store import DirectoryStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _claims() -> list[dict[str, Any]]:
    claims: list[dict[str, Any]] = load_json_file(EXAMPLES / "sourced-claims.json")["claims"]
    return claims


def test_the_example_pdf_is_what_the_script_writes() -> None:
    subprocess.run([sys.executable, str(EXAMPLES.parent / "scripts" / "make_source_pdf.py"), "--check"], check=True)


def test_every_example_check_is_valid_and_cites_the_shipped_bytes() -> None:
    for claim in _claims():
        assert validate(claim["check"], "claim-check-v1") == [], claim["id"]
        for item in claim["check"]["inputs"].values():
            source = item["source"]
            assert sha256((EXAMPLES / source["file"]).read_bytes()) == source["sha256"]


def test_the_example_grounds_every_input_but_the_one_that_is_not_in_its_source() -> None:
    grounder = Grounder(DirectoryStore(EXAMPLES))
    statuses = {}
    for claim in _claims():
        for name, item in claim["check"]["inputs"].items():
            source = item["source"]
            record = grounder.ground(name, item["value"], file=source["file"], sha256=source["sha256"], locator=parse_locator(source["locator"]))
            statuses[f"{claim['id']}.{name}"] = record.status
            if record.form == "pdf":
                assert record.extractor is not None and record.extractor.startswith("pypdf ")
    assert {key for key, status in statuses.items() if status != "found"} == {"s3.mnli"}
    assert len(statuses) == 10 and {"csv", "markdown", "pdf"} <= {
        grounder.document(f).form for f in ("sources/results.csv", "sources/results.md", "sources/results.pdf")
    }


def test_the_example_has_one_check_that_does_not_restate_its_claim() -> None:
    findings = {}
    for claim in _claims():
        check = claim["check"]
        found = restatement(claim["text"], expected=check["expected"], inputs=[i["value"] for i in check["inputs"].values()], formula=check["formula"])
        findings[claim["id"]] = found.finding
    assert [cid for cid, finding in findings.items() if finding] == ["s4"]
    assert findings["s4"] is not None and "its expected 7.57 is not stated" in findings["s4"]


@pytest.mark.parametrize("path", ["../outside.txt", "/etc/passwd", "a\\b.txt"])
def test_the_directory_store_refuses_paths_that_leave_it(path: str) -> None:
    with pytest.raises(SourceError):
        DirectoryStore(EXAMPLES).read(path, 1 << 20)


def test_the_directory_store_refuses_a_link_out(tmp_path: Path) -> None:
    (tmp_path / "bundle").mkdir()
    (tmp_path / "secret.txt").write_text("8.2")
    (tmp_path / "bundle" / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(SourceError, match="leaves the bundle"):
        DirectoryStore(tmp_path / "bundle").read("link.txt", 1 << 20)
    assert DirectoryStore(tmp_path / "bundle").read("absent.txt", 1 << 20) is None
