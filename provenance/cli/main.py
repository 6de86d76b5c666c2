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

SUMMARIES: dict[str, str] = {
    "add-signature": "Add signatures to ENVELOPE over the same bytes (k-of-n signing by separate key holders).",
    "archive": "The embedded local archive: depositions, DOIs (10.5072/local.N), versions, files.",
    "bundle": "Build signed BagIt/RO-Crate bundles, or read a bundle's identity.",
    "claims": "Check a record's arithmetic claims exactly, or suggest checks for them.",
    "correct": "Signed, append-only correction records (Crossmark/COPE vocabulary) in a Merkle-checkpointed log.",
    "demo": "Run the whole life of a sample record on the embedded local archive and say what was shown.",
    "deposit": "Deposit a bundle into the local archive (default) or Zenodo, crash-safely.",
    "ingest": "Parse a record (pipe tables, HTML text or paper style) into a paper-manifest-v1.1 JSON.",
    "keys": "Make and inspect Ed25519 signing keys (encrypted PKCS#8, key id = sha256 of the public key).",
    "lean": "Prove claim checks in Lean 4: each check becomes a core-Lean theorem proved by decide.",
    "report": "Render BUNDLE as one self-contained page: the record, each claim with its check, exact value, "
              "verdict, scope and Lean theorem, the signatures and keys, the DOI and the corrections.",
    "repro": "Reproduce claim inputs from data with a script run in a sealed sandbox.",
    "schema": "The JSON Schemas (Draft 2020-12) every document is checked against.",
    "sign": "Sign FILES: a DSSE envelope over an in-toto Statement v1 naming each file and its sha256.",
    "trust": "Maintain trust-root.json: versioned, expiring, threshold-signed keys for root, attestor, corrector, log.",
    "verify": "Verify BUNDLE (a bag directory or its zip, never extracted) offline, reporting every finding.",
    "verify-signature": "Verify ENVELOPE against the trust root's ROLE keys, and that each FILE's sha256 is a subject.",
    "zenodo": "Zenodo helpers: a faithful local stand-in for rehearsing deposits offline.",
}
"""Each command's one-line summary, for the top-level help without importing every command module (start-up
time); tests/core/test_cli_main.py pins each to the command's own first help line, so they cannot drift."""

_verbose = False


def _shorten(text: str, limit: int) -> str:
    """``text`` cut at a word to fit ``limit`` characters, with "..." when cut (as click shortens help)."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 3, 1)].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "..."


class _LazyGroup(click.Group):
    """A group that imports a command's module the first time the command is looked up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`SUMMARIES`: ``provenance --help`` imports no command module."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, _shorten(SUMMARIES[name], limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
        import traceback  # only here: it costs start-up time every run would pay

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
