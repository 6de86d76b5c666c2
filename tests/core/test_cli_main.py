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
