"""``provenance correct``: append, show, verify and prove entries of a signed correction log."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from archive.atomic import atomic_write_bytes
from provenance.bundle import correction_target
from provenance.bundle.layout import CORRECTIONS_LOG
from provenance.cli.options import json_option, key_option, load_signing_key_cli, trust_options
from provenance.cli.output import console, err_console, print_json
from provenance.corrections.entries import HEAD_BYTES, check_log_head, split_lines
from provenance.corrections.proofs import consistency_document, proof_document, verify_proof_document
from provenance.corrections.record import CLAIM_STATUSES, COPE_CATEGORIES, CORRECTION_TYPES
from provenance.corrections.report import LogReport
from provenance.corrections.status import StatusView
from provenance.corrections.store import checkpoint_path, open_log, read_checkpoint_file
from provenance.corrections.verify import ReadAt, verify_log, verify_log_blocks
from provenance.errors import InputError
from provenance.jsonio import load_json_file, write_json
from provenance.signing.keys import load_public_key_info
from provenance.signing.trust import TrustRoot

_STATUS_STYLE = {
    "CURRENT": "green",
    "CLARIFIED": "cyan",
    "CORRECTED": "yellow",
    "UNDER_CONCERN": "magenta",
    "PARTIALLY_RETRACTED": "red",
    "RETRACTED": "bold red",
    "WITHDRAWN": "bold red",
}
_TRUST_HELP = "Trust root (trust-root.json): corrector keys sign entries, log keys sign checkpoints."
_TARGET = click.Path(exists=True, path_type=Path)
_FILE = click.Path(dir_okay=False, exists=True, path_type=Path)


def _check_declared_role(key_path: Path, keyid: str, role: str, option: str) -> None:
    """Without a trust root, refuse a key whose own KEY.pub declares another role (a cheap guard)."""
    pub = key_path.with_name(key_path.name + ".pub")
    if not pub.is_file():
        return
    info = load_public_key_info(pub)
    if info.key.keyid == keyid and info.role is not None and info.role != role:
        raise InputError(f"{option} {key_path} is declared for role {info.role}, not {role}", where=str(pub),
                         remedy=f"give a {role} key (and --trust to check roles against the trust root)")


def _status_cell(status: str) -> str:
    style = _STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/{style}]" if style else status


def _print_status(view: StatusView, report: LogReport, names: Mapping[str, str]) -> None:
    console.print(
        f"record {escape(str(view.record_id))}: {_status_cell(view.status)} "
        f"({view.count} correction(s) in force, {len(view.history)} entr{'y' if len(view.history) == 1 else 'ies'}; "
        f"log {escape(str(report.origin))})"
    )
    if view.all_claims != "CURRENT":
        console.print(f"every claim: {_status_cell(view.all_claims)}")
    if view.claims:
        table = Table(title="claims", show_lines=False)
        table.add_column("claim", no_wrap=True)
        table.add_column("status", no_wrap=True)
        for cid, st in view.claims.items():
            table.add_row(escape(cid), _status_cell(st))
        console.print(table)
    if view.history:
        table = Table(title="history", show_lines=False)
        for col in ("seq", "issued", "type", "claims", "reason", "by"):
            table.add_column(col, overflow="fold", no_wrap=col in ("seq", "issued", "type"))
        for h in view.history:
            sup = f" [dim](superseded by {h.superseded_by})[/dim]" if h.superseded_by is not None else ""
            table.add_row(str(h.seq), h.issued_at, h.type + sup, ", ".join(h.claims) or "(record)",
                          escape(f"{h.reason_category}: {h.reason_text}"), escape(names.get(h.issued_by) or h.issued_by[:16]))
        console.print(table)


def _print_findings(report: LogReport) -> None:
    for f in report.findings:
        style = "red" if f.severity == "error" else "yellow"
        err_console.print(f"[{style}]{escape(str(f))}[/{style}]")


@dataclass(frozen=True)
class _Log:
    """A log to read: its first bytes, all its bytes block by block, its checkpoint, a label, and an anchor
    (the checkpoint a bundle carries, which the log beside it must extend)."""

    head: bytes
    blocks: Callable[[], Iterable[bytes]]
    read_at: ReadAt
    checkpoint: bytes | None
    label: str
    anchor: bytes | None

    def require(self, *, evidence: bytes | None) -> None:
        """Refuse what is not a log (exit 2, one line); an empty log is a finding when a checkpoint says it held entries."""
        if not self.head and evidence is not None:
            return
        check_log_head(self.head[:HEAD_BYTES], self.label)


@contextlib.contextmanager
def _open(target: Path) -> Iterator[_Log]:
    """The log of TARGET: a LOG file (streamed), or a BUNDLE's log beside it, else the log the bundle carries."""
    if not correction_target.is_bundle(target):
        with open_log(target) as log:
            yield _Log(log.head, log.blocks, log.read_at, log.checkpoint, str(target), None)
        return
    bt = correction_target.read_bundle_target(target)
    if bt.log_path.exists():
        with open_log(bt.log_path) as log:
            yield _Log(log.head, log.blocks, log.read_at, log.checkpoint, str(bt.log_path), bt.carried_checkpoint)
        return
    carried = bt.carried_log
    if carried is None:
        raise InputError("the bundle has no correction log (beside it or inside it)", where=str(target),
                         remedy="append the first correction with `provenance correct append BUNDLE ...`")
    yield _Log(carried, lambda: [carried], lambda offset, length: carried[offset : offset + length], bt.carried_checkpoint,
               f"{target}!{CORRECTIONS_LOG}", None)


@click.group("correct")
def correct() -> None:
    """Signed, append-only correction records (Crossmark/COPE vocabulary) in a Merkle-checkpointed log.

    A log is JSONL, one DSSE-signed correction-record-v1 per line, with a C2SP
    checkpoint beside it (LOG.checkpoint) signed by the log key. A bundle's log
    lives beside the bundle as <bundle>.corrections.jsonl.
    """


@correct.command("append")
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--type", "ctype", required=True, type=click.Choice(CORRECTION_TYPES), help="Kind of notice (Crossmark).")
@click.option("--claim", "claims", multiple=True, help="Id of a claim the notice is about (repeatable).")
@click.option("--reason", required=True, help="Why, in plain words (COPE: notices say why).")
@click.option("--reason-category", default="honest_error", show_default=True, type=click.Choice(COPE_CATEGORIES),
              help="COPE reason category.")
@click.option("--what-was-wrong", default=None, help="What was wrong (default: the reason).")
@click.option("--what-changed", "what_changed", multiple=True, help="One change, in plain words (repeatable).")
@key_option(help="Private key of the corrector signing the entry.")
@key_option("--log-key", param="log_key_path", help="Private key of the log, signing the new checkpoint.")
@trust_options(required=False, help=_TRUST_HELP)
@click.option("--origin", default=None, help="Log origin for a new log (default: from the record id).")
@click.option("--record-id", default=None, help="Record id (default: from the bundle, the manifest or the log).")
@click.option("--manifest", "manifest_path", default=None, type=_FILE,
              help="Paper manifest: record id, DOI and the claims' values before the correction.")
@click.option("--doi", default=None, help="Version DOI corrected.")
@click.option("--path", "paths", multiple=True, help="Path of a file (inside the bundle) the notice is about.")
@click.option("--before", "before", multiple=True, help="A claim's value before: CLAIM:FIELD=VALUE (repeatable).")
@click.option("--after", "after", multiple=True, help="A claim's value after: CLAIM:FIELD=VALUE (repeatable).")
@click.option("--claim-status", "claim_status", multiple=True,
              help=f"A claim's status after, CLAIM=STATUS ({', '.join(CLAIM_STATUSES)}); default: from --type.")
@click.option("--replacement", "replacements", multiple=True, help="CLAIM=NEWCLAIM: a claim that replaces one.")
@click.option("--supersedes", default=None, type=click.IntRange(min=0), help="seq of an earlier entry this one withdraws.")
@click.option("--issuer-name", default=None, help="Name of the person or body issuing the notice.")
@click.option("--issuer-orcid", default=None, help="ORCID iD of the issuer.")
@click.option("--evidence", "evidence", multiple=True, type=_FILE,
              help="A file the notice rests on; its sha256 is recorded (repeatable).")
@click.option("--notice", default=None, help="Public notice text.")
@click.option("--issued-at", "issued_at", default=None,
              help="Issue time, RFC 3339 UTC (2026-11-22T01:00:00Z); default now. Never earlier than the last entry's.")
@json_option
def append_cmd(key_path: Path, log_key_path: Path, trust: TrustRoot | None, as_json: bool, **options: Any) -> int:
    """Append one signed correction to LOG (a .jsonl file) or to the log of BUNDLE; write a new checkpoint.

    Claim ids are checked against --manifest, else the manifest BUNDLE carries.
    Only retraction, withdrawal and expression_of_concern may name no claim
    (they are about the whole record); partial_retraction names claims; the
    other types name a claim or a file (--path). Nothing is written to LOG
    unless it is a correction log that verifies (or a new, empty file).
    """
    from provenance.correcting import AppendRequest, append_from_request

    request = AppendRequest(**options)
    signer = load_signing_key_cli(key_path)
    log_key = load_signing_key_cli(log_key_path)
    if trust is None:
        _check_declared_role(key_path, signer.keyid, "corrector", "--key")
        _check_declared_role(log_key_path, log_key.keyid, "log", "--log-key")
    outcome = append_from_request(request, signer=signer, log_key=log_key, trust=trust)
    result, log_path = outcome.result, outcome.log_path
    if as_json:
        print_json({
            "log": str(log_path),
            "checkpoint_path": str(checkpoint_path(log_path)),
            "origin": result.origin,
            "seq": result.seq,
            "size": result.size,
            "root": base64.b64encode(result.root).decode("ascii"),
            "line_sha256": result.line_sha256,
            "created": result.created,
            "seeded_from_bundle": result.seeded,
            "repaired_torn_bytes": result.repaired_bytes,
            "roles_checked": trust is not None,
            "claims_checked": outcome.claims_checked_against is not None,
            "checkpoint": result.checkpoint.decode("utf-8"),
            "record": result.record,
        })
        return 0
    if trust is None:
        err_console.print("[yellow]warning: no --trust: the signer's corrector role and the log key's role were not checked[/yellow]")
    if request.claims and outcome.claims_checked_against is None:
        err_console.print("[yellow]warning: no manifest: the claim ids were not checked (give --manifest)[/yellow]")
    if result.repaired_bytes:
        err_console.print(f"[yellow]repaired a torn last line ({result.repaired_bytes} bytes, never committed)[/yellow]")
    verb = "created" if result.created else "appended to"
    console.print(f"{verb} {escape(str(log_path))}: entry {result.seq} ({request.ctype}), log {escape(result.origin)}")
    console.print(f"checkpoint: size {result.size}, root {base64.b64encode(result.root).decode('ascii')}")
    return 0


@correct.command("verify")
@click.argument("target", type=_TARGET)
@trust_options(required=False, help=_TRUST_HELP)
@click.option("--since", "since", default=None, type=_FILE,
              help="An older checkpoint you trust: the log must be consistent with it.")
@click.option("--checkpoint", "checkpoint_file", default=None, type=_FILE,
              help="Checkpoint to verify against (default: LOG.checkpoint).")
@click.option("--state", "state", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Auditor state: the last checkpoint verified (used as --since when present; "
                   "replaced by the current checkpoint after a verification with --trust passes).")
@click.option("--origin", default=None, help="Expected log origin.")
@click.option("--workers", default=None, type=click.IntRange(min=1), help="Processes for signature checks (default: all cores).")
@json_option
def verify_cmd(target: Path, trust: TrustRoot | None, since: Path | None, checkpoint_file: Path | None,
               state: Path | None, origin: str | None, workers: int | None, as_json: bool) -> int:
    """Verify LOG (or a BUNDLE's log): signatures, chain, Merkle root, checkpoint, consistency with --since.

    For a BUNDLE whose log lives beside it, the checkpoint the bundle carries is
    the default --since: the log must extend what was deposited. Exit 0 when it
    verifies, 1 when any check fails. Without --trust the signatures are not
    checked and the result says so.
    """
    with _open(target) as log:
        checkpoint = read_checkpoint_file(checkpoint_file) if checkpoint_file is not None else log.checkpoint
        older = read_checkpoint_file(since) if since else (
            read_checkpoint_file(state) if state is not None and state.exists() else log.anchor)
        log.require(evidence=checkpoint if checkpoint is not None else older)
        report = verify_log_blocks(log.blocks(), checkpoint, trust=trust, since_checkpoint=older, origin=origin,
                                   workers=workers, history=as_json, read_at=log.read_at)
    label = log.label
    if state is not None and report.ok and trust is not None and checkpoint is not None:
        atomic_write_bytes(state, checkpoint, 0o644)
    if as_json:
        doc = report.to_json()
        doc["log"] = label
        print_json(doc)
        return 0 if report.ok else 1
    _print_findings(report)
    verdict = "[green]verified[/green]" if report.ok else "[red]FAILED[/red]"
    if report.ok and trust is None:
        verdict = "[yellow]structure ok, UNAUTHENTICATED (no --trust)[/yellow]"
    console.print(f"{escape(label)}: {verdict}: {report.size} entries, log {escape(str(report.origin))}, "
                  f"root {base64.b64encode(report.root).decode('ascii')}")
    if report.checkpoint is not None:
        signed = "signature verified" if report.checkpoint_verified else "signature not checked"
        console.print(f"checkpoint: size {report.checkpoint.size} ({signed})")
    if report.ok:
        console.print(f"status: {_status_cell(report.status.status)}")
    return 0 if report.ok else 1


@correct.command("show")
@click.argument("target", type=_TARGET)
@trust_options(required=False, help=_TRUST_HELP)
@json_option
def show_cmd(target: Path, trust: TrustRoot | None, as_json: bool) -> int:
    """History and current status of the record and each claim (CURRENT, CORRECTED, RETRACTED, ...).

    A claim's status is that of the latest notice naming it (a retraction stays
    until superseded); the record's is the most severe notice in force. With
    --trust the log is verified first (exit 1 if it fails).
    """
    with _open(target) as log:
        log.require(evidence=log.checkpoint if log.checkpoint is not None else log.anchor)
        report = verify_log_blocks(log.blocks(), log.checkpoint, trust=trust, since_checkpoint=log.anchor,
                                   read_at=log.read_at)
    label = log.label
    view = report.status
    if as_json:
        doc = view.to_json()
        doc.update({"log": label, "origin": report.origin, "verified": report.ok and trust is not None,
                    "findings": [f.to_json() for f in report.findings]})
        print_json(doc)
    else:
        _print_findings(report)
        _print_status(view, report, trust.names if trust is not None else {})
    return 0 if report.ok else 1


@correct.command("prove")
@click.argument("target", type=_TARGET)
@click.argument("seq", type=click.IntRange(min=0), required=False)
@click.option("--from-checkpoint", "from_checkpoint", default=None, type=_FILE,
              help="Prove instead that the current checkpoint extends this older one (consistency proof).")
@click.option("-o", "--out", "out", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the proof here (default: print it).")
@json_option
def prove_cmd(target: Path, seq: int | None, from_checkpoint: Path | None, out: Path | None, as_json: bool) -> int:
    """An RFC 6962 proof for auditors: entry SEQ is in the checkpointed log, or (--from-checkpoint)
    the current checkpoint extends an older one.

    Check it with `provenance correct verify-proof PROOF --trust TRUST`.
    """
    if (seq is None) == (from_checkpoint is None):
        raise InputError("give either SEQ (inclusion) or --from-checkpoint (consistency)",
                         remedy="e.g. `provenance correct prove LOG 3`")
    with _open(target) as log:
        log.require(evidence=None)
        entries = b"".join(log.blocks())
    checkpoint, label = log.checkpoint, log.label
    report = verify_log(entries, checkpoint, trust=None, history=False)
    if from_checkpoint is not None:
        doc = consistency_document(report, read_checkpoint_file(from_checkpoint), checkpoint)
        what = f"consistency proof {doc['size1']} -> {doc['size2']}"
    else:
        assert seq is not None
        lines, _ = split_lines(entries)
        doc = proof_document(report, seq, checkpoint)
        doc["entry"] = lines[seq].decode("utf-8")
        what = f"inclusion proof of entry {seq} (tree size {doc['tree_size']})"
    if out is not None:
        write_json(out, doc)
        if not as_json:
            console.print(f"{what} for {escape(label)} written to {escape(str(out))}")
    if as_json or out is None:
        print_json(doc)
    return 0


@correct.command("verify-proof")
@click.argument("proof_path", type=_FILE)
@trust_options(required=False, help=_TRUST_HELP)
@click.option("--since", "since", default=None, type=_FILE,
              help="For a consistency proof: the older checkpoint you trust (must be the proof's starting point).")
@json_option
def verify_proof_cmd(proof_path: Path, trust: TrustRoot | None, since: Path | None, as_json: bool) -> int:
    """Check a proof made by `correct prove`: checkpoint signatures, roots, the Merkle path, the entry's bytes."""
    doc = load_json_file(proof_path)
    if not isinstance(doc, Mapping):
        raise InputError("not a proof", where=str(proof_path), remedy="give a file made by `provenance correct prove`")
    entry = doc.get("entry")
    check = verify_proof_document(doc, trust=trust, entry_line=entry.encode("utf-8") if isinstance(entry, str) else None,
                                  trusted_old_checkpoint=read_checkpoint_file(since) if since else None)
    if as_json:
        print_json({"ok": True, "kind": check.kind, "origin": check.origin, "seq": check.seq,
                    "old_size": check.old_size, "tree_size": check.tree_size,
                    "root": base64.b64encode(check.root).decode("ascii"),
                    "checkpoint_verified": check.checkpoint_verified, "entry_matched": check.entry_matched})
        return 0
    if not check.checkpoint_verified:
        err_console.print("[yellow]warning: checkpoint signatures not checked (no --trust)[/yellow]")
    if check.kind == "consistency":
        console.print(f"[green]consistent[/green]: log {escape(check.origin)} at size {check.tree_size} "
                      f"extends its checkpoint of size {check.old_size}")
    else:
        console.print(f"[green]included[/green]: entry {check.seq} is in log {escape(check.origin)} "
                      f"at tree size {check.tree_size}")
    return 0


def register(group: click.Group) -> None:
    """Add ``correct`` to the top-level group."""
    group.add_command(correct)
