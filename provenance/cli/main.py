"""Entry point of the ``provenance`` command and its one error boundary.

Library code raises typed errors (:class:`provenance.errors.ProvenanceError`,
:class:`archive.errors.ArchiveError`); here they become one line on stderr and
an exit code: 0 ok, 1 a check failed, 2 bad usage or input, 3 a tool is missing.
A traceback is shown only with ``--verbose``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Sequence

import click

from archive.errors import ArchiveError
from provenance import __version__
from provenance.errors import ProvenanceError

# Each module defines ``register(group)``; the order is the order of ``--help``.
COMMAND_MODULES: tuple[str, ...] = (
    "provenance.cli.ingest_cmd",
    "provenance.cli.schema_cmd",
    "provenance.cli.claims_cmd",
    "provenance.cli.lean_cmd",
    "provenance.cli.repro_cmd",
    "provenance.cli.keys_cmd",
    "provenance.cli.trust_cmd",
    "provenance.cli.sign_cmd",
    "provenance.cli.bundle_cmd",
    "provenance.cli.verify_cmd",
    "provenance.cli.report_cmd",
    "provenance.cli.correct_cmd",
    "provenance.cli.deposit_cmd",
    "provenance.cli.archive_cmd",
    "provenance.cli.zenodo_cmd",
    "provenance.cli.demo_cmd",
)

_verbose = False


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="provenance")
@click.option("--verbose", is_flag=True, help="Show a traceback on errors.")
def cli(verbose: bool) -> None:
    """Make research claims checkable and their records trustworthy.

    Exit codes: 0 ok; 1 a check failed; 2 bad usage or input; 3 a required tool is missing.
    """
    global _verbose
    _verbose = verbose


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # a command group that has not been written yet
                continue
            raise
        module.register(cli)


_register_all()


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
        _fail(f"internal error: {type(exc).__name__}: {exc}; rerun with --verbose and report it", 1, exc)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
