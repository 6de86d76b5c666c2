"""Helpers for bundle tests: real keys, a real signed trust root on disk, real manifests."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from provenance.bundle.build import BuildRequest, BuildResult, build_bundle
from provenance.ingest.checks import attach_checks
from provenance.ingest.record import ingest_file
from provenance.jsonio import load_json_file, write_json
from provenance.signing.keys import SigningKey, generate_key, save_signing_key
from provenance.signing.trust import (
    TrustRoot,
    add_key,
    init_trust_root,
    load_trust_root,
    write_trust_document,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
EPOCH = 1_767_225_600  # 2026-01-01T00:00:00Z


@dataclass(frozen=True)
class Env:
    dir: Path
    root_key: SigningKey
    attestor: SigningKey
    corrector: SigningKey
    log_key: SigningKey
    outsider: SigningKey
    trust_path: Path
    trust: TrustRoot
    attestor_path: Path
    outsider_path: Path
    manifest: Path
    small_manifest: Path
    checks: Path


def _save(key: SigningKey, path: Path) -> Path:
    save_signing_key(key, path, None)
    return path


def make_env(d: Path) -> Env:
    now = datetime.now(UTC)
    root_key, attestor, corrector, log_key, outsider = (generate_key() for _ in range(5))
    doc = init_trust_root([root_key], now=now, expires=now + timedelta(days=365))
    doc = add_key(doc, "attestor", attestor.public, [root_key], now=now, name="Attestor")
    doc = add_key(doc, "corrector", corrector.public, [root_key], now=now, name="Editor")
    doc = add_key(doc, "log", log_key.public, [root_key], now=now, name="Log")
    trust_path = d / "trust-root.json"
    write_trust_document(trust_path, doc)
    manifest = ingest_file(EXAMPLES / "rag-benchmark-paper.txt")
    write_json(d / "manifest.json", manifest)
    small = attach_checks(manifest, {"claims": [load_json_file(EXAMPLES / "rag-benchmark.checks.json")["claims"][1]]},
                          source="test")
    small["abstract"] = "Short."
    small["claims"] = [c for c in small["claims"] if c["id"] == "c3"]
    small["references"] = []
    small["extra"] = {}
    write_json(d / "small.json", small)
    return Env(
        dir=d, root_key=root_key, attestor=attestor, corrector=corrector, log_key=log_key, outsider=outsider,
        trust_path=trust_path, trust=load_trust_root(trust_path),
        attestor_path=_save(attestor, d / "attestor.key"), outsider_path=_save(outsider, d / "outsider.key"),
        manifest=d / "manifest.json", small_manifest=d / "small.json", checks=EXAMPLES / "rag-benchmark.checks.json",
    )


_REQUEST_FIELDS = {"claims": "claims", "repro": "repro", "corrections": "corrections", "supersedes": "supersedes",
                   "bundle_version": "bundle_version", "make_zip": "make_zip", "license_id": "license_id",
                   "lean_mode": "lean_mode", "unsafe_no_sandbox": "unsafe_no_sandbox", "includes": "includes"}


def build(env: Env, out: Path, **kw: Any) -> BuildResult:
    """``build_bundle`` with the test defaults (the env's checks and attestor, Lean off, the fixed epoch);
    keyword arguments name request fields or the call's own (key, trust, epoch, lean, workers)."""
    request_args: dict[str, Any] = {"claims": env.checks, "lean_mode": "off"}
    call: dict[str, Any] = {"key": env.attestor, "trust": env.trust, "epoch": EPOCH}
    manifest = kw.pop("manifest", env.manifest)
    for name, value in kw.items():
        if name in _REQUEST_FIELDS:
            request_args[_REQUEST_FIELDS[name]] = value
        else:
            call[name] = value
    return build_bundle(BuildRequest(Path(manifest), Path(out), **request_args), **call)


def bwrap_works() -> bool:
    exe = shutil.which("bwrap")
    if exe is None:
        return False
    probe = subprocess.run([exe, "--ro-bind", "/", "/", "--unshare-all", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def as_json(path: Path) -> object:
    return json.loads(path.read_text())


SHARED = REPO.parent / "shared"
ROC_VALIDATOR_QUIRKS: dict[str, str] = {
    "ro-crate-1.1_5.3": "the 1.1 descriptor rule, applied to a 1.2 crate once the Process Run profile is loaded",
    "process-run-crate-0.5_8.4": "its endTime pattern refuses valid RFC 3339 times",
    "process-run-crate-0.5_8.7": "it does not read a {'@id': ...} reference as the actionStatus IRI",
    "ro-crate-1.2_43.0": "it asks the descriptor for a Schema.org type it has (CreativeWork)",
}
"""roc-validator findings that are the validator's own quirks, with the reason (shared with test_rocrate_recommended)."""


def roc_validate(data_dir: Path, *, severity: str = "required") -> list[str]:
    """Run the independent roc-validator (offline wrapper) on a crate; skip when it is not installed.

    At ``required`` the crate must pass but for :data:`ROC_VALIDATOR_QUIRKS`; at ``recommended`` the
    findings (``id | entity | message``) other than those quirks are returned.
    """
    import os
    import sys

    import pytest

    tool = SHARED / "tools" / "rocrate-validator-offline"
    exe = Path(sys.executable).parent / "rocrate-validator"
    if not tool.is_file() or not exe.is_file():
        pytest.skip("rocrate-validator-offline or roc-validator not available")
    env = dict(os.environ, PATH=f"{exe.parent}:{os.environ.get('PATH', '')}")
    proc = subprocess.run([sys.executable, str(tool), str(data_dir), "--output-format", "json",
                           "--requirement-severity", severity],
                          capture_output=True, text=True, env=env, timeout=600, check=False)
    start = proc.stdout.find("{")
    assert start >= 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    report, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
    found = [f"{i.get('check', {}).get('identifier', '?')} | {i.get('violatingEntity')} | {i.get('message', '')}"
             for i in report.get("issues", [])]
    ours = [f for f in found if f.split(" | ", 1)[0] not in ROC_VALIDATOR_QUIRKS]
    if severity == "required":
        assert ours == [], ours
    return ours
