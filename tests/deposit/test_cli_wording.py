"""Issue 15.10: the deposit, archive and stand-in commands say what users need, and cut no identifier."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from deposit_helpers import cli_env, make_bundle, provenance_cmd


def _run(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*provenance_cmd(), *args], env=env, capture_output=True, text=True, timeout=120, cwd=cwd)


def test_a_bundle_named_bundle_deposits_as_the_readme_says(tmp_path: Path) -> None:
    """`provenance deposit bundle` said "Missing argument 'BUNDLE'": bundle was also a subcommand's name."""
    env = cli_env(tmp_path)
    make_bundle(tmp_path / "bundle")
    out = _run(env, "deposit", "bundle", "--no-verify", "--archive-dir", "archive", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["doi"].startswith("10.5072/local.")
    again = _run(env, "deposit", "--no-verify", "bundle", "--archive-dir", "archive", "--json", cwd=tmp_path)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "already-deposited", again.stderr


def test_deposit_help_lists_the_options_for_depositing_a_bundle(tmp_path: Path) -> None:
    text = _run(cli_env(tmp_path, COLUMNS="120"), "deposit", "--help").stdout
    for option in ("--to", "--trust", "--no-verify", "--publish / --draft", "--license", "--community",
                   "--archive-dir", "--journal-dir", "--json"):
        assert option in text, option
    assert "$XDG_DATA_HOME/provenance/archive" in text and "~/.local/share/provenance/archive" in text
    for sub in ("resume", "discard", "list"):
        assert "~/.local/share/provenance/archive" in _run(cli_env(tmp_path, COLUMNS="120"), "deposit", sub,
                                                           "--help").stdout
    assert "~/.local/share/provenance/archive" in _run(cli_env(tmp_path, COLUMNS="120"), "archive", "list",
                                                       "--help").stdout


def test_the_standin_help_cites_no_source_file(tmp_path: Path) -> None:
    text = _run(cli_env(tmp_path), "zenodo", "standin", "--help").stdout
    assert ".py" not in text and "/_control/faults" in text and "reset_after_bytes" in text


def test_identifiers_are_never_cut_at_80_columns(tmp_path: Path) -> None:
    env = cli_env(tmp_path, COLUMNS="80")
    make_bundle(tmp_path / "b", record_id="SRCH:A-RATHER-LONG-RECORD-IDENTIFIER-2A059E4E")
    dep = _run(env, "deposit", "b", "--no-verify", "--archive-dir", "archive", cwd=tmp_path)
    assert dep.returncode == 0, dep.stderr
    listed = _run(env, "archive", "list", "--archive-dir", "archive", cwd=tmp_path)
    journals = _run(env, "deposit", "list", "--archive-dir", "archive", cwd=tmp_path)
    shown = _run(env, "archive", "show", "1", "--archive-dir", "archive", cwd=tmp_path)
    summary = json.loads(_run(env, "archive", "show", "1", "--archive-dir", "archive", "--json", cwd=tmp_path).stdout)
    for out in (dep, listed, journals, shown):
        assert "…" not in out.stdout and out.returncode == 0, out.stdout
    bundle_id = next(line.split()[-1] for line in dep.stdout.splitlines() if line.startswith("bundle id"))
    assert len(bundle_id) == 71 and bundle_id.startswith("sha256:")
    for text in (dep.stdout, listed.stdout, journals.stdout, shown.stdout):
        assert summary["doi"] in text
    assert "SRCH:A-RATHER-LONG-RECORD-IDENTIFIER-2A059E4E" in journals.stdout
    assert summary["files"][0]["sha256"] in shown.stdout
