"""Start-up of ``provenance verify`` (issue 14 item 5): a valid tiny bundle is verified, in a real subprocess, without
loading what only an invalid document (jsonschema), a terminal (rich), a Lean run, a correction log, a cited source
file, a carried artifact, a bag writer or a large bag's thread pools need; an invalid document still gets the full
validator's every-error report."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bundle_env import Env, build

LAZY_PACKAGES = ("jsonschema", "referencing", "rpds", "attr", "attrs", "rich", "ctypes")
LAZY_MODULES = ("provenance.lean.runner", "provenance.lean.messages", "provenance.sandbox", "provenance.corrections",
                "provenance.sources.pdf", "provenance.sources.text", "provenance.sources.delimited",
                "provenance.bundle.artifacts", "archive.bag.writer", "concurrent.futures")

_PROBE = f"""
import runpy, sys
sys.argv = ['provenance', *sys.argv[1:]]
code = 0
try:
    runpy.run_module('provenance', run_name='__main__')
except SystemExit as exc:
    code = exc.code
lazy = sorted(m for m in sys.modules if m.split('.')[0] in {LAZY_PACKAGES!r}
              or any(m == p or m.startswith(p + '.') for p in {LAZY_MODULES!r}))
sys.stderr.write('\\nPROBE ' + repr((code, lazy)) + '\\n')
"""


def probe(*args: str) -> tuple[int, list[str], str]:
    """Run ``provenance ARGS`` in a fresh interpreter (stdout piped); its exit code, the lazy modules it loaded, stdout."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=300)
    line = proc.stderr.rsplit("PROBE ", 1)
    assert len(line) == 2, proc.stderr[-2000:]
    code, loaded = ast.literal_eval(line[1].strip())
    return code, loaded, proc.stdout


@pytest.fixture(scope="module")
def tiny(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("startup") / "bundle"
    build(env, out, make_zip=True)
    assert (out / "data" / "lean").is_dir(), "the tiny bundle should carry Lean files, so their check runs"
    return out


@pytest.mark.parametrize("form", ["directory", "zip"])
@pytest.mark.parametrize("as_json", [False, True])
def test_verify_of_a_valid_tiny_bundle_loads_no_jsonschema_rich_or_unused_check(
    env: Env, tiny: Path, form: str, as_json: bool
) -> None:
    """Regression (issue 14 item 5): verify of a tiny bundle took 247 ms of CPU, jsonschema and rich the largest parts."""
    target = tiny if form == "directory" else tiny.with_name("bundle.zip")
    code, loaded, stdout = probe("verify", str(target), "--trust", str(env.trust_path), "--no-trust-state",
                                 "--lean", "off", *(["--json"] if as_json else []))
    assert code == 0, stdout
    assert loaded == []
    if as_json:
        assert json.loads(stdout)["ok"] is True
    else:
        assert "✓ lean.project" in stdout and "integrity and signatures: VERIFIED" in stdout


def test_an_invalid_document_still_gets_every_error_through_verify(env: Env, tiny: Path, tmp_path: Path) -> None:
    """The fast path only shows documents valid; one it cannot goes to the full validator, which names every error."""
    bad = tmp_path / "bad"
    shutil.copytree(tiny, bad)
    verdicts_path = bad / "data" / "verdicts.json"
    doc = json.loads(verdicts_path.read_text())
    doc["verdicts"][0]["status"] = "bogus"
    doc["verdicts"][0]["method"] = "guesswork"
    doc["verdicts"][0]["reason"] = ""
    verdicts_path.write_text(json.dumps(doc))
    code, loaded, stdout = probe("verify", str(bad), "--trust", str(env.trust_path), "--no-trust-state",
                                 "--lean", "off", "--json")
    assert code == 1
    assert "jsonschema" in loaded
    schema = [f["message"] for f in json.loads(stdout)["findings"] if f["id"] == "schema.verdict-v1"]
    assert any("verdicts[0]: $.status: 'bogus' is not one of" in m for m in schema), schema
    assert any("verdicts[0]: $.method: 'guesswork' is not one of" in m for m in schema), schema
    assert any("verdicts[0]: $.reason: '' should be non-empty" in m for m in schema), schema
