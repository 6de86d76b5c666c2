"""The CLI's command table and its one error boundary."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from provenance.cli.main import COMMANDS, cli


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_resolves(name: str) -> None:
    ctx = click.Context(cli)
    command = cli.get_command(ctx, name)
    assert command is not None and command.name == name


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provenance", *args], capture_output=True, text=True, timeout=120)


def test_unknown_command_is_usage_error_2() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "No such command" in result.stderr


def test_missing_argument_is_usage_error_2() -> None:
    result = _run("ingest")
    assert result.returncode == 2
    assert "Missing argument" in result.stderr


def test_help_lists_every_command() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for name in COMMANDS:
        assert name in result.stdout


def test_internal_error_has_its_own_exit_code_70(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Regression (issue 13 item 5): an internal error exited 1, which means "a check failed"."""
    import types

    from provenance.cli import main as main_module

    @click.command("boom")
    def boom() -> None:
        raise RuntimeError("kaput")

    module = types.ModuleType("provenance_test_boom")
    module.register = lambda group: group.add_command(boom)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "provenance_test_boom", module)
    monkeypatch.setitem(main_module.COMMANDS, "boom", "provenance_test_boom")
    with pytest.raises(SystemExit) as exit_info:
        main_module.main(["boom"])
    assert exit_info.value.code == main_module.EXIT_INTERNAL_ERROR == 70
    err = capsys.readouterr().err
    assert err.startswith("error: internal error: RuntimeError: kaput") and err.count("\n") == 1


def test_help_documents_every_exit_code_and_short_version_flag() -> None:
    result = _run("--help")
    for text in ("0 ok", "1 a check failed", "2 bad usage", "3 a required tool", "70 an internal error"):
        assert text in " ".join(result.stdout.split())
    from provenance import __version__

    short = _run("-V")
    assert short.returncode == 0 and __version__ in short.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_summary_is_the_commands_own_first_help_line(name: str) -> None:
    from provenance.cli.main import SUMMARIES

    command = cli.get_command(click.Context(cli), name)
    assert command is not None and SUMMARIES[name] == command.get_short_help_str(limit=1000)


def test_top_level_help_imports_no_command_module() -> None:
    probe = ("import sys, runpy\n"
             "sys.argv = ['provenance', '--help']\n"
             "try:\n    runpy.run_module('provenance', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "heavy = sorted(m for m in sys.modules if m.endswith('_cmd') or m.split('.')[0] in "
             "('rich', 'jsonschema', 'cryptography', 'httpx', 'git'))\n"
             "print('HEAVY', heavy, file=sys.stderr)\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in result.stderr, result.stderr
    assert "verify-signature" in result.stdout
