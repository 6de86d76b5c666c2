"""``provenance deposit BUNDLE`` and ``provenance deposit resume [JOURNAL]``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from provenance.cli.archive_options import archive_dir_option, journal_dir_option
from provenance.cli.columns import aligned, markup_safe, pairs
from provenance.cli.options import environment, json_option, trust_options
from provenance.cli.output import console, err_console, print_json
from provenance.deposit.workflow import (
    ProgressFn,
    deposit_bundle,
    discard_deposit,
    list_journals,
    resume_deposit,
)

if TYPE_CHECKING:
    from provenance.signing.trust import TrustRoot


SUBCOMMANDS = ("resume", "discard", "list")
_DEPOSIT = "bundle"  # the hidden command that deposits BUNDLE; any first word but a subcommand goes to it


class _DepositGroup(click.Group):
    """``deposit BUNDLE [options]`` unless the first word is ``resume``, ``discard`` or ``list``.

    A bundle may be called anything, ``bundle`` included (the README's name): only the three
    subcommand names are taken (name such a directory ``./resume``). The help lists the options
    of ``deposit BUNDLE`` as the group's own.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in SUBCOMMANDS and args[0] not in ctx.help_option_names:
            args = [_DEPOSIT, *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        deposit = self.commands[_DEPOSIT]
        records = [r for p in deposit.get_params(ctx) if isinstance(p, click.Option) and (r := p.get_help_record(ctx))]
        with formatter.section("Options of provenance deposit BUNDLE"):
            formatter.write_dl(records)
        self.format_commands(ctx, formatter)


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[ProgressFn | None]:
    if not enabled:
        yield None
        return
    bars = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
        TimeRemainingColumn(), console=err_console, transient=False,
    )
    tasks: dict[str, TaskID] = {}

    def report(key: str, done: int, total: int) -> None:
        if key not in tasks:
            tasks[key] = bars.add_task(f"upload {key}", total=total)
        bars.update(tasks[key], completed=done, total=total)

    with bars:
        yield report


def _show(summary: dict[str, Any]) -> None:
    status = summary.get("status", summary.get("phase"))
    rows = [
        ("status", status), ("record", summary.get("record_id")), ("bundle id", summary.get("bundle_id")),
        ("target", (summary.get("target") or {}).get("name") or (summary.get("target") or {}).get("url")),
        ("deposition", summary.get("deposition_id")), ("DOI", summary.get("doi")),
        ("concept DOI", summary.get("concept_doi")), ("record URL", summary.get("record_url")),
        ("new version of", (summary.get("previous") or {}).get("doi")), ("journal", summary.get("journal")),
    ]
    verification = summary.get("verification") or {}
    if verification:
        rows.append(("verified", f"against trust root version {verification.get('trust_root_version')}"
                     if verification.get("verified") else str(verification.get("note"))))
    items = [(label, str(value)) for label, value in rows if value]
    items += [("file", f"{f['key']}  {f['size']} bytes  md5 {f['md5']}") for f in summary.get("files") or []]
    console.print(markup_safe(pairs(items)))
    for warning in summary.get("warnings") or []:
        err_console.print(f"warning: {warning}")
    if summary.get("phase") == "draft_ready":
        console.print("The draft is ready but not published; publish it with "
                      "`provenance deposit resume --publish JOURNAL`.")


@click.group("deposit", cls=_DepositGroup)
def deposit_group() -> None:
    """Deposit a bundle into the local archive (default) or Zenodo, crash-safely.

    \b
    provenance deposit BUNDLE --trust TRUST_ROOT [--to local|zenodo|zenodo-sandbox|URL] [--publish] [--json]
    provenance deposit resume [JOURNAL]
    provenance deposit discard [JOURNAL]
    provenance deposit list

    BUNDLE (a bag directory or its zip) is verified against the trust root first, as `provenance verify`
    does, and is deposited only if it verifies (--no-verify: a rehearsal, recorded in the journal).
    Tokens are per server: ZENODO_ACCESS_TOKEN for the one --to given, or the config file
    $XDG_CONFIG_HOME/provenance/zenodo.json (mode 0600) {"tokens": {"zenodo": "...", URL: "..."}}; a token
    goes only over https or to a loopback stand-in. The local archive publishes by default; on Zenodo pass
    --publish (it cannot be undone).
    """


@deposit_group.command("bundle", hidden=True)
@click.argument("bundle", type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option("--to", "to", default="local", show_default=True,
              help="local, zenodo, zenodo-sandbox, or the URL of a Zenodo-compatible server.")
@archive_dir_option("The local archive (--to local)")
@journal_dir_option()
@click.option("--publish/--draft", "publish", default=None,
              help="Publish (default for local) or stop at a complete draft (default for Zenodo).")
@click.option("--community", "communities", multiple=True, help="Zenodo community id (repeatable).")
@click.option("--license", "license_id", default=None,
              help="Licence id (e.g. cc-by-4.0) for a bundle that states none; a bundle is deposited under the "
                   "licence it states, and one that states none as other-closed (no licence granted).")
@trust_options(required=False, help="Trust root the bundle must verify against before it is deposited (required "
                                    "unless --no-verify).")
@click.option("--no-verify", is_flag=True,
              help="Rehearsal only: deposit without verifying the bundle first (recorded in the deposit journal).")
@json_option
def deposit_bundle_cmd(bundle: str, to: str, archive_dir: str | None, journal_dir: str | None,
                       publish: bool | None, communities: tuple[str, ...], license_id: str | None, trust: TrustRoot | None,
                       no_verify: bool, as_json: bool) -> int:
    """Deposit BUNDLE (a bag directory or its zip), after verifying it against --trust."""
    with _progress(not as_json and err_console.is_terminal) as progress:
        summary = deposit_bundle(bundle, to=to, archive_dir=archive_dir, journal_dir=journal_dir,
                                 publish=publish, communities=communities, license=license_id,
                                 progress=progress, env=environment(), trust=trust, verify=not no_verify)
    return _report(summary, as_json)


def _report(summary: dict[str, Any], as_json: bool) -> int:
    if as_json:
        print_json(summary)
    else:
        _show(summary)
    return 0


@deposit_group.command("resume")
@click.argument("journal", required=False, type=click.Path(exists=True, dir_okay=False))
@archive_dir_option("The local archive directory to search")
@journal_dir_option()
@click.option("--publish/--draft", "publish", default=None, help="Override the journal's choice to publish.")
@json_option
def resume_cmd(journal: str | None, archive_dir: str | None, journal_dir: str | None, publish: bool | None,
               as_json: bool) -> int:
    """Continue an interrupted deposit from JOURNAL (or the one unfinished journal found)."""
    with _progress(not as_json and err_console.is_terminal) as progress:
        summary = resume_deposit(journal, archive_dir=archive_dir, journal_dir=journal_dir, publish=publish,
                                 progress=progress, env=environment())
    return _report(summary, as_json)


@deposit_group.command("discard")
@click.argument("journal", required=False, type=click.Path(exists=True, dir_okay=False))
@archive_dir_option("The local archive directory to search")
@journal_dir_option()
@json_option
def discard_cmd(journal: str | None, archive_dir: str | None, journal_dir: str | None, as_json: bool) -> int:
    """Abandon an unpublished deposit: discard its draft and close its journal."""
    summary = discard_deposit(journal, archive_dir=archive_dir, journal_dir=journal_dir, env=environment())
    return _report(summary, as_json)


@deposit_group.command("list")
@archive_dir_option("The local archive directory to search")
@journal_dir_option()
@json_option
def list_cmd(archive_dir: str | None, journal_dir: str | None, as_json: bool) -> int:
    """List deposit journals (finished and unfinished) and their phases."""
    items = list_journals(archive_dir=archive_dir, journal_dir=journal_dir, env=environment())
    if as_json:
        print_json(items)
        return 0
    rows = [[str(it["record_id"]), str(it["phase"]), str(it["doi"] or "-"),
             str(it["target"].get("name") or it["target"].get("url") or it["target"].get("dir")), str(it["journal"])]
            for it in items]
    console.print(markup_safe(aligned(("record", "phase", "DOI", "target", "journal"), rows)))
    return 0


def register(group: click.Group) -> None:
    group.add_command(deposit_group)
