"""Lean's ``--json`` messages and ``#print axioms`` output, and the acceptance rule (pure).

``lean --json FILE`` prints one compact JSON object per line on stdout
(``Lean.BaseMessage``): ``fileName``, ``pos`` ``{line, column}`` (line
1-based, column 0-based), optional ``endPos``, ``severity``
(``information``/``warning``/``error``), ``data`` (the text), and cosmetic or
newer fields (``caption``, ``keepFullRange``, ``isSilent``, ``kind``) that are
ignored. ``#print axioms`` answers with an information message reading
``'NAME' does not depend on any axioms`` or ``'NAME' depends on axioms: [A, B]``
(the list may wrap over lines).

A theorem is **accepted** only if the run finished in time with every stdout
line JSON and nothing on stderr, no error or warning falls in its line range,
exactly one axioms message names it, and its axioms are a subset of
:data:`ALLOWED_AXIOMS`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

ALLOWED_AXIOMS: frozenset[str] = frozenset({"propext", "Classical.choice", "Quot.sound"})

Severity = Literal["information", "warning", "error"]

_NO_AXIOMS = re.compile(r"^'(?P<name>[^']+)' does not depend on any axioms\s*$", re.DOTALL)
_AXIOMS = re.compile(r"^'(?P<name>[^']+)' depends on axioms: \[(?P<ax>.*)\]\s*$", re.DOTALL)
_DECIDE_FALSE = re.compile(r"[Tt]actic [`']decide[`'] proved that the proposition\s.*\sis false", re.DOTALL)


class MessageFormatError(ValueError):
    """A stdout line that is not a Lean JSON message."""


@dataclass(frozen=True, slots=True)
class LeanMessage:
    """One message of ``lean --json``."""

    file_name: str
    severity: Severity
    line: int | None
    column: int | None
    end_line: int | None
    data: str
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class AxiomsReport:
    """One ``#print axioms`` answer: the theorem and the axioms it depends on (empty: none)."""

    name: str
    axioms: tuple[str, ...]
    line: int | None


def parse_message(line: str) -> LeanMessage:
    """Parse one stdout line; :class:`MessageFormatError` if it is not a Lean message object."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise MessageFormatError(f"not JSON: {exc.msg}") from None
    if not isinstance(obj, dict):
        raise MessageFormatError("not a JSON object")
    severity = obj.get("severity")
    data = obj.get("data")
    if severity not in ("information", "warning", "error") or not isinstance(data, str):
        raise MessageFormatError("missing severity or data")
    pos = obj.get("pos")
    end = obj.get("endPos")
    line_no = pos.get("line") if isinstance(pos, dict) else None
    column = pos.get("column") if isinstance(pos, dict) else None
    end_line = end.get("line") if isinstance(end, dict) else None
    file_name = obj.get("fileName")
    kind = obj.get("kind")
    return LeanMessage(
        file_name if isinstance(file_name, str) else "",
        severity,
        line_no if isinstance(line_no, int) and not isinstance(line_no, bool) else None,
        column if isinstance(column, int) and not isinstance(column, bool) else None,
        end_line if isinstance(end_line, int) and not isinstance(end_line, bool) else None,
        data,
        kind if isinstance(kind, str) else None,
    )


@dataclass(frozen=True, slots=True)
class ParsedOutput:
    messages: tuple[LeanMessage, ...]
    bad_lines: tuple[str, ...]


def parse_output(stdout: str) -> ParsedOutput:
    """Every message of a ``lean --json`` run; lines that do not parse are kept (they fail the run)."""
    messages: list[LeanMessage] = []
    bad: list[str] = []
    for raw in stdout.splitlines():
        if not raw.strip():
            continue
        try:
            messages.append(parse_message(raw))
        except MessageFormatError:
            bad.append(raw[:200])
    return ParsedOutput(tuple(messages), tuple(bad))


def parse_axioms(message: LeanMessage) -> AxiomsReport | None:
    """The ``#print axioms`` answer in ``message``, or ``None`` if it is another message."""
    if message.severity != "information":
        return None
    text = message.data.strip()
    match = _NO_AXIOMS.match(text)
    if match:
        return AxiomsReport(match.group("name"), (), message.line)
    match = _AXIOMS.match(text)
    if match:
        axioms = tuple(a for a in re.split(r",\s*", match.group("ax").strip()) if a)
        return AxiomsReport(match.group("name"), axioms, message.line)
    return None


def says_decide_false(message: LeanMessage) -> bool:
    """True for the ``decide`` proved-false error (v4.9–v4.22 and v4.23+ wordings)."""
    return message.severity == "error" and _DECIDE_FALSE.search(message.data) is not None


@dataclass(frozen=True, slots=True)
class TheoremRange:
    """A theorem and its lines (1-based, inclusive) in its file, as recorded by the generator."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What one ``lean --json`` run of one file produced."""

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool


@dataclass(frozen=True, slots=True)
class TheoremResult:
    """The gate's decision for one theorem."""

    name: str
    accepted: bool
    reason: str
    axioms: tuple[str, ...] | None
    outcome: Literal["true", "false", "error", "unchecked"]


def _excerpt(text: str, limit: int = 160) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def judge(run: RunFacts, theorems: Sequence[TheoremRange], *, timeout: float | None = None) -> list[TheoremResult]:
    """Apply the acceptance rule to every theorem of one file's run."""
    if run.timed_out:
        limit = f" after {timeout:g} s" if timeout is not None else ""
        return [TheoremResult(t.name, False, f"lean timed out{limit}; not checked", None, "unchecked") for t in theorems]
    parsed = parse_output(run.stdout)
    run_problem: str | None = None
    if parsed.bad_lines:
        run_problem = f"lean printed a line that is not a JSON message: {_excerpt(parsed.bad_lines[0])!r}"
    elif run.stderr.strip():
        run_problem = f"lean wrote to stderr: {_excerpt(run.stderr)!r}"
    elif run.returncode not in (0, None) and not any(m.severity == "error" for m in parsed.messages):
        run_problem = f"lean exited with code {run.returncode} without an error message"
    reports: dict[str, list[AxiomsReport]] = {}
    for message in parsed.messages:
        report = parse_axioms(message)
        if report is not None:
            reports.setdefault(report.name, []).append(report)
    results: list[TheoremResult] = []
    for theorem in theorems:
        found = reports.get(theorem.name, [])
        axioms = found[0].axioms if len(found) == 1 else None
        if run_problem is not None:
            results.append(TheoremResult(theorem.name, False, run_problem, axioms, "error"))
            continue
        inside = [
            m for m in parsed.messages
            if m.severity in ("error", "warning") and m.line is not None and theorem.start <= m.line <= theorem.end
        ]
        errors = [m for m in inside if m.severity == "error"]
        if errors:
            if any(says_decide_false(m) for m in errors):
                reason = f"Lean's decide found the statement false (line {errors[0].line})"
                results.append(TheoremResult(theorem.name, False, reason, axioms, "false"))
            else:
                reason = f"error at line {errors[0].line}: {_excerpt(errors[0].data)}"
                results.append(TheoremResult(theorem.name, False, reason, axioms, "error"))
            continue
        if inside:
            reason = f"warning at line {inside[0].line}: {_excerpt(inside[0].data)}"
            results.append(TheoremResult(theorem.name, False, reason, axioms, "error"))
            continue
        if not found:
            results.append(TheoremResult(theorem.name, False, "no #print axioms output for the theorem (it never elaborated)", None, "error"))
            continue
        if len(found) > 1:
            results.append(TheoremResult(theorem.name, False, f"{len(found)} #print axioms answers name the theorem; expected one", None, "error"))
            continue
        assert axioms is not None
        outside = [a for a in axioms if a not in ALLOWED_AXIOMS]
        if outside:
            hint = ""
            if "sorryAx" in outside:
                hint = " (the proof uses sorry)"
            elif any("native_decide" in a or a in ("Lean.ofReduceBool", "Lean.trustCompiler") for a in outside):
                hint = " (the proof trusts the compiler: native_decide)"
            reason = "depends on axioms outside {propext, Classical.choice, Quot.sound}: " + ", ".join(outside) + hint
            results.append(TheoremResult(theorem.name, False, reason, axioms, "error"))
            continue
        shown = ", ".join(axioms) if axioms else "no axioms"
        results.append(TheoremResult(theorem.name, True, f"type-checked by decide; depends on {shown}", axioms, "true"))
    return results


def file_messages(messages: Iterable[LeanMessage], *, severities: Iterable[str] = ("error", "warning")) -> list[LeanMessage]:
    """Messages of the given severities (for reports)."""
    wanted = frozenset(severities)
    return [m for m in messages if m.severity in wanted]


def summarize(results: Sequence[TheoremResult]) -> Mapping[str, int]:
    """Counts of accepted and rejected theorems."""
    accepted = sum(1 for r in results if r.accepted)
    return {"accepted": accepted, "rejected": len(results) - accepted}
