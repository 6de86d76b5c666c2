"""How the commands show verdicts to people, and the exit code verdicts give (shared by ``claims`` and ``repro``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from provenance.claims.pipeline import all_verified
from provenance.claims.verdict import Verdict

STATUS_STYLE = {"verified": "green", "falsified": "red", "inconclusive": "yellow", "error": "magenta"}


def verdict_table(verdicts: Sequence[Verdict], title: str) -> Table:
    """One row per verdict: claim, status (coloured), method/scope, reason (with Lean's status when recorded)."""
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
        table.add_row(escape(v.claim_id), f"[{style}]{v.status}[/{style}]", f"{v.method}/{v.scope}", escape(v.reason) + lean)
    return table


def exit_code_for(verdicts: Sequence[Verdict]) -> int:
    """0 when every verdict is verified (or there are none), else 1 (a check failed)."""
    return 0 if all_verified(verdicts) else 1
