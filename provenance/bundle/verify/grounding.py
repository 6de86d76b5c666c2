"""Source grounding re-done from the carried files: each recorded grounding record against one recomputed from
the bundle's bytes (read through :class:`provenance.bundle.sources.BagStore`), and the restatement finding.

A recorded record whose status, file digest, locator, resolved place, span or span digest differs from the
recomputed one is a failure naming the claim and the input. An input not grounded, and a check that does not
restate its claim, are warnings (``skip``): the bundle is what it says, but the claim rests on less than a
reader might think.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance.bundle.layout import VERDICTS
from provenance.bundle.sources import payload_names
from provenance.bundle.verify.context import Checklist
from provenance.claims.verdict import Verdict

_COMPARED = ("file", "sha256", "locator", "as_written", "status", "resolved", "span", "span_sha256")


def check_grounding(cid: str, fresh: Verdict, recorded: Verdict, out: Checklist) -> None:
    """Compare the recorded grounding and restatement of claim ``cid`` with the ones re-done from the carried
    files (``fresh``); a difference fails, an input not grounded or a finding is a warning."""
    _check_records(cid, fresh, recorded, out)
    before = recorded.extra.get("restatement")
    after = fresh.extra.get("restatement")
    if before != after:
        out.fail(f"claim.{cid}.restatement", f"the recorded restatement ({_finding(before)}) is not what the claim "
                 f"text and check give ({_finding(after)})", VERDICTS)
    elif fresh.restatement_finding:
        out.skip(f"claim.{cid}.restatement", f"warning: {fresh.restatement_finding}", VERDICTS)


def _finding(record: Any) -> str:
    if not isinstance(record, Mapping):
        return "none"
    return str(record.get("finding") or "restates the claim")


def _check_records(cid: str, fresh: Verdict, recorded: Verdict, out: Checklist) -> None:
    now = {str(g.get("input")): g for g in fresh.grounding}
    then = {str(g.get("input")): g for g in recorded.grounding}
    if not now and not then:
        return
    problems: list[tuple[str, str]] = []  # (cited file, what differs)
    for name in sorted(set(now) | set(then)):
        a, b = now.get(name), then.get(name)
        if a is None or b is None:
            problems.append((str((a or b or {}).get("file")), f"input {name}: " + (
                "grounded in the record, but the check cites no structured locator" if a is None
                else "its structured locator is not grounded in the record")))
            continue
        differ = [key for key in _COMPARED if a.get(key) != b.get(key)]
        if differ:
            problem = (f"input {name}: recorded {b.get('status')}, re-grounded from the carried {a.get('file')}: "
                       f"{a.get('status')} ({a.get('reason')}); {', '.join(differ)} differ")
            from provenance.sources.pdf import extractor_name

            if b.get("extractor") is not None and b.get("extractor") != extractor_name():
                problem += f" (recorded with {b.get('extractor')}, re-extracted with {extractor_name()})"
            problems.append((str(a.get("file")), problem))
    if problems:
        out.fail(f"claim.{cid}.grounding", "; ".join(p for _, p in problems), _bag_name(problems[0][0], out))
        return
    missed = [g for g in fresh.grounding if g.get("status") != "found"]
    if missed:
        listed = "; ".join(f"{g.get('input')} {g.get('status')}: {g.get('reason')}" for g in missed)
        out.skip(f"claim.{cid}.grounding", f"warning: inputs not grounded in their sources: {listed} "
                 "(re-grounded from the carried files as recorded)", _bag_name(str(missed[0].get("file")), out))
    else:
        out.ok(f"claim.{cid}.grounding", f"{len(now)} input(s) re-grounded from the carried files: every value found "
               "at its locator, with the recorded file digest, span and span digest",
               _bag_name(str(fresh.grounding[0].get("file")), out))


def _bag_name(cited: str, out: Checklist) -> str:
    """The bag file a cited source is (the first candidate when the bag has none of them)."""
    names = payload_names(cited)
    return next((name for name in names if name in out.sha256), names[0])
