"""Entry point of the ``provenance`` command and its one error boundary.

Library code raises typed errors (:class:`provenance.errors.ProvenanceError`,
:class:`archive.errors.ArchiveError`); here they become one line on stderr and
an exit code: 0 ok, 1 a check failed, 2 bad usage or input, 3 a tool is missing,
70 an internal error (a bug of ours: ``EX_SOFTWARE`` of sysexits.h, never
mistaken for "a check failed"). A traceback is shown only with ``--verbose``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence

import click

from archive.errors import ArchiveError
from provenance import __version__
from provenance.cli import options
from provenance.errors import ProvenanceError

# Command name -> the module whose ``register(group)`` defines it. Modules are
# imported only when their command runs (or for the top-level --help), so a
# command pays only for the libraries it uses.
COMMANDS: dict[str, str] = {
    "ingest": "provenance.cli.ingest_cmd",
    "schema": "provenance.cli.schema_cmd",
    "claims": "provenance.cli.claims_cmd",
    "lean": "provenance.cli.lean_cmd",
    "repro": "provenance.cli.repro_cmd",
    "keys": "provenance.cli.keys_cmd",
    "trust": "provenance.cli.trust_cmd",
    "sign": "provenance.cli.sign_cmd",
    "add-signature": "provenance.cli.sign_cmd",
    "verify-signature": "provenance.cli.sign_cmd",
    "bundle": "provenance.cli.bundle_cmd",
    "verify": "provenance.cli.verify_cmd",
    "report": "provenance.cli.report_cmd",
    "correct": "provenance.cli.correct_cmd",
    "deposit": "provenance.cli.deposit_cmd",
    "archive": "provenance.cli.archive_cmd",
    "zenodo": "provenance.cli.zenodo_cmd",
    "demo": "provenance.cli.demo_cmd",
}

EXIT_INTERNAL_ERROR = 70
"""Exit code of an internal error (sysexits.h ``EX_SOFTWARE``)."""

_verbose = False


class _LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = COMMANDS.get(cmd_name)
        if module_name is None:
            return None
        if cmd_name not in self.commands:
            holder = click.Group()
            importlib.import_module(module_name).register(holder)
            self.commands.update(holder.commands)
        return self.commands.get(cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="provenance")
@click.option("--verbose", is_flag=True, help="Show a traceback on errors.")
def cli(verbose: bool) -> None:
    """Make research claims checkable and their records trustworthy.

    Exit codes: 0 ok; 1 a check failed; 2 bad usage or input; 3 a required tool is missing;
    70 an internal error (a bug: rerun with --verbose and report it).
    """
    global _verbose
    _verbose = verbose


def _fail(message: str, code: int, exc: BaseException | None = None) -> None:
    if exc is not None and (_verbose or "--verbose" in sys.argv):
        traceback.print_exception(exc, file=sys.stderr)
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the CLI; never lets a Python traceback reach the user unless ``--verbose``."""
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="provenance", standalone_mode=False)
    except click.exceptions.Abort:
        _fail("aborted", 130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (ProvenanceError, ArchiveError) as exc:
        _fail(str(exc), exc.exit_code, exc)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        _fail(f"{where}{exc.strerror or exc}; check the path and permissions", 2, exc)
    except Exception as exc:  # a bug of ours: still one line, the traceback with --verbose
        _fail(f"internal error: {type(exc).__name__}: {exc}; rerun with --verbose and report it",
              EXIT_INTERNAL_ERROR, exc)
    for text in options.drain_notes():
        click.echo(text, err=True)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
