"""How the commands show verdicts to people, and the exit code verdicts give (shared by ``claims`` and ``repro``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from provenance.claims.verdict import Verdict
from provenance.pipeline import all_verified

if TYPE_CHECKING:
    from rich.table import Table

STATUS_STYLE = {"verified": "green", "falsified": "red", "inconclusive": "yellow", "error": "magenta"}


def verdict_table(verdicts: Sequence[Verdict], title: str) -> Table:
    """One row per verdict: claim, status (coloured), method/scope, reason (with Lean's status when recorded,
    and the finding when the check does not restate its claim)."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    table.add_column("claim", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("method/scope", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for v in verdicts:
        style = STATUS_STYLE.get(v.status, "")
        lean = ""
        if v.lean is not None:
            lean = f" [dim](lean: {v.lean.get('status')})[/dim]"
        finding = v.restatement_finding
        restated = f"\n[yellow]{escape(finding)}[/yellow]" if finding else ""
        table.add_row(escape(v.claim_id), f"[{style}]{v.status}[/{style}]", f"{v.method}/{v.scope}",
                      escape(v.reason) + lean + restated)
    return table


def grounding_summary(verdicts: Sequence[Verdict]) -> str:
    """What the sources and the claim texts showed, for a summary line ("" when nothing was grounded or found):
    how many verdicts rest on inputs found in their sources, which inputs are not grounded, which checks do
    not restate their claim."""
    parts = []
    sourced = sum(1 for v in verdicts if v.scope == "sourced")
    if sourced:
        parts.append(f"{sourced} with every input found in its source")
    ungrounded = [f"{v.claim_id} ({', '.join(v.ungrounded)})" for v in verdicts if v.ungrounded]
    if ungrounded:
        parts.append(f"inputs not found in their sources: {', '.join(ungrounded)}")
    unrestated = [v.claim_id for v in verdicts if v.restatement_finding]
    if unrestated:
        parts.append(f"{len(unrestated)} {'check does' if len(unrestated) == 1 else 'checks do'} not restate "
                     f"{'its' if len(unrestated) == 1 else 'their'} claim: {', '.join(unrestated)}")
    return "; ".join(parts)


def exit_code_for(verdicts: Sequence[Verdict]) -> int:
    """0 when every verdict is verified (or there are none), else 1 (a check failed)."""
    return 0 if all_verified(verdicts) else 1
