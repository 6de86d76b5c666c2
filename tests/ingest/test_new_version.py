"""Issue 15.3: version N+1 of a record is one documented path, with no JSON edited by hand.

ingest the corrected record --supersedes the earlier bundle (same record id), bundle build
--corrections LOG --supersedes the earlier bundle, deposit: a new version of the same concept DOI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
PASSPHRASE = "a long enough demo passphrase"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROVENANCE_KEY_PASSPHRASE": PASSPHRASE, "SOURCE_DATE_EPOCH": "1790000000",
           "XDG_DATA_HOME": str(cwd / "xdg-data"), "XDG_STATE_HOME": str(cwd / "xdg-state")}
    env.pop("ZENODO_ACCESS_TOKEN", None)
    proc = subprocess.run([sys.executable, "-m", "provenance", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    return proc


def _ok(cwd: Path, *args: str) -> Any:
    proc = _run(cwd, *args)
    assert proc.returncode == 0, (args, proc.stderr)
    return json.loads(proc.stdout) if "--json" in args else proc.stdout


@pytest.fixture(scope="module")
def published_v1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("v1")
    record = (REPO / "examples" / "rag-benchmark-paper.txt").read_text(encoding="utf-8")
    (d / "record.txt").write_text(record, encoding="utf-8")
    checks = json.loads((REPO / "examples" / "rag-benchmark.checks.json").read_text(encoding="utf-8"))
    (d / "checks.json").write_text(json.dumps(checks), encoding="utf-8")
    for role in ("root", "attestor", "corrector", "log"):
        _ok(d, "keys", "generate", "-o", f"{role}.key", "--role", role)
    _ok(d, "trust", "init", "-o", "trust-root.json", "--root-key", "root.key")
    for role in ("attestor", "corrector", "log"):
        _ok(d, "trust", "add-key", "trust-root.json", "--role", role, "--public-key", f"{role}.key.pub",
            "--sign-with", "root.key")
    _ok(d, "ingest", "record.txt", "--checks", "checks.json", "-o", "manifest.json")
    _ok(d, "bundle", "build", "manifest.json", "--key", "attestor.key", "--trust", "trust-root.json", "--lean", "off",
        "-o", "bundle", "--zip", "--json")
    _ok(d, "deposit", "bundle.zip", "--trust", "trust-root.json", "--archive-dir", "archive", "--json")
    _ok(d, "correct", "append", "corrections.jsonl", "--type", "correction", "--claim", "c5",
        "--reason", "The gain is 0.7 points, not 1.8", "--manifest", "manifest.json", "--key", "corrector.key",
        "--log-key", "log.key", "--trust", "trust-root.json")
    (d / "corrected.txt").write_text(record.replace("adds 1.8 points", "adds 0.7 points"), encoding="utf-8")
    for claim in checks["claims"]:
        if claim["id"] == "c5":
            claim["check"]["expected"] = "0.7"
    (d / "checks-v2.json").write_text(json.dumps(checks), encoding="utf-8")
    return d


def test_the_corrected_version_keeps_the_record_and_deposits_as_a_new_version(published_v1: Path) -> None:
    d = published_v1
    v1 = json.loads((d / "manifest.json").read_text())
    plain = _ok(d, "ingest", "corrected.txt", "--checks", "checks-v2.json", "-o", "alone.json", "--json")
    assert plain["record_id"] != v1["record_id"]  # why the path exists: the id is the file's digest
    v2 = _ok(d, "ingest", "corrected.txt", "--checks", "checks-v2.json", "--supersedes", "bundle.zip",
             "-o", "manifest-v2.json", "--json")
    assert v2["record_id"] == v1["record_id"]
    built = _ok(d, "bundle", "build", "manifest-v2.json", "--corrections", "corrections.jsonl", "--supersedes",
                "bundle.zip", "--key", "attestor.key", "--trust", "trust-root.json", "--lean", "off",
                "-o", "bundle-v2", "--zip", "--json")
    assert built["record_id"] == v1["record_id"]
    first = _ok(d, "archive", "list", "--archive-dir", "archive", "--json")
    deposited = _ok(d, "deposit", "bundle-v2.zip", "--trust", "trust-root.json", "--archive-dir", "archive", "--json")
    assert deposited["concept_doi"] == first[0]["concept_doi"]
    assert deposited["previous"]["doi"] == first[0]["doi"] and deposited["doi"] != first[0]["doi"]
    verified = _run(d, "verify", "bundle-v2.zip", "--trust", "trust-root.json", "--json")
    assert verified.returncode == 0, verified.stdout[-2000:]
    manifest = json.loads((d / "manifest-v2.json").read_text())
    assert next(c for c in manifest["claims"] if c["id"] == "c5")["text"].count("0.7 points") == 1


def test_record_id_and_supersedes_are_checked(published_v1: Path) -> None:
    d = published_v1
    both = _run(d, "ingest", "corrected.txt", "--supersedes", "bundle.zip", "--record-id", "x")
    assert both.returncode == 2 and "not both" in both.stderr
    given = _ok(d, "ingest", "corrected.txt", "--record-id", "SRCH:ABCDEF12", "-o", "given.json", "--json")
    assert given["record_id"] == "SRCH:ABCDEF12"
    stated = REPO / "examples" / "graph-pruning-html.txt"  # prints its own id, SRCH:7C31B0A2
    refused = _run(d, "ingest", str(stated), "--supersedes", "bundle.zip")
    assert refused.returncode == 2 and "states its own id 'SRCH:7C31B0A2'" in refused.stderr
    kept = _ok(d, "ingest", str(stated), "--record-id", "SRCH:7C31B0A2", "-o", "kept.json", "--json")
    assert kept["record_id"] == "SRCH:7C31B0A2"
    missing = _run(d, "ingest", "corrected.txt", "--supersedes", "no-such-bundle.zip")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
