"""Issue 14.5 and 14.7: ``--json`` text is exactly ``json.dumps(obj, indent=2, ensure_ascii=False)``, written
without the pure-Python indenting encoder and streamed for long lists; a command imports only what it uses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from provenance.cli.jsonout import indented, write_list

REPO = Path(__file__).resolve().parents[2]

_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_keys = st.text(max_size=6) | st.integers() | st.booleans() | st.none() | st.floats()
_trees = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(_keys, inner, max_size=4), max_leaves=30)


@settings(max_examples=500)
@given(_trees)
def test_indented_is_json_dumps_with_indent_2(value: Any) -> None:
    assert indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


@settings(max_examples=300)
@given(st.lists(_trees, max_size=12), st.integers(1, 5))
def test_a_list_written_in_batches_is_json_dumps_of_the_list(items: list[Any], batch: int) -> None:
    out: list[str] = []
    write_list(iter(items), out.append, batch=batch)
    assert "".join(out) == json.dumps(items, indent=2, ensure_ascii=False)


_IMPORTED = """
import sys
from provenance.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


def _modules_after(*args: str, cwd: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", _IMPORTED, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    return set(proc.stderr.split())


def test_help_imports_no_command_module_and_no_rich(tmp_path: Path) -> None:
    loaded = _modules_after("--help", cwd=tmp_path)
    assert "click" in loaded
    assert not {m for m in loaded if m.startswith(("rich", "jsonschema", "provenance.claims", "provenance.bundle"))}


def test_claims_check_json_imports_neither_rich_nor_lean_nor_repro(tmp_path: Path) -> None:
    claims = tmp_path / "claims.json"
    claims.write_text(json.dumps({"claims": [{"id": "c1", "text": "a gain of 0.7 points", "check": {
        "formula": "difference(b, a)", "inputs": {"a": "51.4", "b": "52.1"}, "expected": "0.7", "precision": 1}}]}))
    loaded = _modules_after("claims", "check", str(claims), "--json", "--lean", "off", cwd=tmp_path)
    assert "provenance.claims.engine" in loaded
    assert not {m for m in loaded if m.startswith(("rich", "provenance.lean", "provenance.claims.repro",
                                                   "provenance.sandbox", "provenance.claims.suggest"))}


def test_verify_json_imports_no_rich(tmp_path: Path) -> None:
    loaded = _modules_after("verify", str(tmp_path / "absent.zip"), "--trust", str(tmp_path / "trust.json"), "--json",
                            cwd=tmp_path)
    assert "provenance.bundle.verify" in loaded
    assert not {m for m in loaded if m.startswith("rich")}
