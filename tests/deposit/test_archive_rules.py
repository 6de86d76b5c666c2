"""Rules of the generic ``archive`` package, checked on its source: no CLI names, no environment."""

from __future__ import annotations

import re
from pathlib import Path

from archive.local_archive import default_archive_dir

ARCHIVE = Path(__file__).resolve().parents[2] / "archive"


def _sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text("utf-8")) for p in sorted(ARCHIVE.rglob("*.py"))]


def test_archive_remedies_never_name_a_cli_command() -> None:
    named = [f"{p.relative_to(ARCHIVE)}:{n}" for p, text in _sources()
             for n, line in enumerate(text.splitlines(), 1) if re.search(r"`provenance [a-z]", line)]
    assert named == []


def test_archive_reads_no_environment_for_configuration() -> None:
    readers = [f"{p.relative_to(ARCHIVE)}:{n}" for p, text in _sources()
               for n, line in enumerate(text.splitlines(), 1)
               if re.search(r"os\.environ|os\.getenv|expanduser", line)]
    assert readers == []


def test_default_archive_dir_follows_the_environment_it_is_given(tmp_path: Path) -> None:
    assert default_archive_dir({"XDG_DATA_HOME": str(tmp_path)}) == tmp_path / "provenance" / "archive"
    assert default_archive_dir({"HOME": str(tmp_path)}) == tmp_path / ".local/share/provenance/archive"
    assert default_archive_dir({"HOME": str(tmp_path), "XDG_DATA_HOME": ""}) == (
        tmp_path / ".local/share/provenance/archive")
