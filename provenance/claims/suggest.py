"""Propose checks for claims that have none, from the numbers in the claim text.

Suggestions are for a person to confirm: each is marked ``"suggested": true,
"confirmed": false``, carries the text it was read from, and is never turned
into a verdict automatically. The heuristics are deliberately narrow: a list of
numbers with an average stated beside it (``mean``), three numbers where one is
exactly the difference of two others (``difference``), a percentage that is the
relative change between two other numbers (``percent_change``), a list with a
stated total (``sum``), and an average or a change stated alone (a ``mean`` or
``difference`` skeleton whose inputs the person fills in, marked incomplete).

Given source files (:func:`with_sources`), an input whose value stands at
exactly one place in them is written with the ``source`` it could cite
(file, sha256, structured locator); that too is for the person to confirm.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from provenance.claims.locate import SourceIndex
from provenance.claims.model import Claim
from provenance.decimal_text import decimal_places, parse_decimal, render_decimal

MAX_NUMBERS = 40
"""Claims with more numbers than this get only list-based suggestions (pair searches are skipped)."""

_NUMBER = re.compile(  # not glued to a word: "L2", "top-1", "XLM-R2" name things, they state no value
    r"(?<![A-Za-z0-9_.])(?<![A-Za-z0-9_]-)(-?[0-9]+(?:\.[0-9]+)?)(?![0-9.]*[A-Za-z_])(?!\.[0-9])(\s*%|\s*percent\b)?",
    re.ASCII,
)
_COUNTED = re.compile(r"\s+(?!(?:points?|pts|pp|percent|percentage)\b)[A-Za-z]", re.ASCII)
"""What follows a whole number that counts things ("3 seeds", "9 tasks") rather than states a measured value."""
_LIST_SEP = re.compile(r"^\s*(,\s*(and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*/\s*|\s*;\s*)$", re.ASCII)
_UNIT = re.compile(r"^\s*(points?|pts|pp|percentage points|%)?\s*$", re.ASCII)
_MEAN_WORDS = re.compile(r"\b(average|averages|averaged|averaging|mean|on average)\b", re.IGNORECASE)
_TOTAL_WORDS = re.compile(r"\b(total|in total|sum|altogether|combined)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Number:
    """A number found in the text: its decimal string, exact value, position, and whether a % follows."""

    text: str
    value: Fraction
    start: int
    end: int
    percent: bool


@dataclass(frozen=True)
class Suggestion:
    """A proposed check for one claim; never a verdict."""

    claim_id: str
    kind: str
    basis: str
    check: dict[str, Any]
    complete: bool = True
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "claim_id": self.claim_id,
            "suggested": True,
            "confirmed": False,
            "kind": self.kind,
            "basis": self.basis,
            "complete": self.complete,
            "check": self.check,
            "notes": list(self.notes)
            + ["Suggested from the claim text; confirm the numbers and their meaning before adding it as the claim's check."],
        }


def find_numbers(text: str) -> list[Number]:
    """Every ASCII decimal number in ``text``, in order (numbers glued to letters, like "L2", are skipped)."""
    found = []
    for match in _NUMBER.finditer(text):
        literal = match.group(1)
        if len(literal) > 40:
            continue
        found.append(Number(literal, parse_decimal(literal), match.start(), match.end(), bool(match.group(2))))
    return found


def find_lists(text: str, numbers: Sequence[Number]) -> list[list[Number]]:
    """Runs of two or more numbers separated only by commas, "and", "or" or slashes (units allowed after each)."""
    runs: list[list[Number]] = []
    current: list[Number] = []
    for number in numbers:
        if current:
            gap = text[current[-1].end : number.start]
            gap_no_unit = re.sub(r"^\s*(points?|pts|pp|%)", "", gap, flags=re.ASCII)
            if _LIST_SEP.match(gap) or _LIST_SEP.match(gap_no_unit):
                current.append(number)
                continue
            if len(current) >= 2:
                runs.append(current)
            current = []
        current = [number]
    if len(current) >= 2:
        runs.append(current)
    return runs


def _names(count: int) -> list[str]:
    return [f"x{i}" for i in range(1, count + 1)]


def _nearest(numbers: Iterable[Number], position: int, exclude: set[int]) -> Number | None:
    best: Number | None = None
    for number in numbers:
        if id(number) in exclude:
            continue
        distance = min(abs(number.start - position), abs(number.end - position))
        if best is None or distance < min(abs(best.start - position), abs(best.end - position)):
            best = number
    return best


def _snippet(text: str, start: int, end: int) -> str:
    lo = max(0, start - 30)
    hi = min(len(text), end + 30)
    return ("..." if lo else "") + text[lo:hi].strip() + ("..." if hi < len(text) else "")


def _is_count(text: str, number: Number) -> bool:
    return "." not in number.text and not number.percent and _COUNTED.match(text, number.end) is not None


def _aggregate(claim: Claim, text: str, numbers: list[Number], lists: list[list[Number]], kind: str) -> list[Suggestion]:
    words = _MEAN_WORDS if kind == "mean" else _TOTAL_WORDS
    out: list[Suggestion] = []
    values = [n for n in numbers if not _is_count(text, n)]
    for word in words.finditer(text):
        target = _nearest(values, word.start(), set())
        if target is None:
            break
        for run in lists:
            inputs = [n for n in run if n is not target]
            if len(inputs) < 2:
                continue
            names = _names(len(inputs))
            check = {
                "formula": f"{kind}({', '.join(names)})",
                "inputs": {name: n.text for name, n in zip(names, inputs, strict=True)},
                "expected": target.text,
                "precision": decimal_places(target.text),
            }
            basis = f"the values {', '.join(n.text for n in inputs)} and the stated {word.group(0).lower()} {target.text}"
            out.append(Suggestion(claim.id, kind, basis, check))
        if not out and kind == "mean":
            check = {"formula": "mean", "inputs": {}, "expected": target.text, "precision": decimal_places(target.text)}
            out.append(
                Suggestion(
                    claim.id,
                    "mean",
                    f"the stated {word.group(0).lower()} {target.text} ({_snippet(text, target.start, target.end)})",
                    check,
                    complete=False,
                    notes=("The values averaged are not in the claim text: add them as inputs.",),
                )
            )
        if out:
            break
    return out


def _differences(claim: Claim, numbers: list[Number]) -> list[Suggestion]:
    plain = [n for n in numbers if not n.percent]
    out: list[Suggestion] = []
    seen: set[frozenset[int]] = set()
    # The smallest of three numbers is the likeliest stated difference: try it first, one suggestion per triple.
    for c in sorted(plain, key=lambda n: abs(n.value)):
        for a in plain:
            for b in plain:
                triple = frozenset({id(a), id(b), id(c)})
                if len(triple) < 3 or triple in seen or a.value - b.value != c.value or c.value <= 0:
                    continue
                seen.add(triple)
                check = {
                    "formula": "difference(x1, x2)",
                    "inputs": {"x1": a.text, "x2": b.text},
                    "expected": c.text,
                    "tolerance": {"absolute": "0"},
                }
                out.append(Suggestion(claim.id, "difference", f"{a.text} - {b.text} = {c.text} as stated", check))
    return out


def _percent_changes(claim: Claim, numbers: list[Number]) -> list[Suggestion]:
    out: list[Suggestion] = []
    plain = [n for n in numbers if not n.percent]
    for p in (n for n in numbers if n.percent):
        places = decimal_places(p.text)
        for old in plain:
            for new in plain:
                if old is new or old.value == 0:
                    continue
                change = 100 * (new.value - old.value) / old.value
                if render_decimal(change, places) != p.text:
                    continue
                check = {
                    "formula": "percent_change(x1, x2)",
                    "inputs": {"x1": old.text, "x2": new.text},
                    "expected": p.text,
                    "precision": places,
                }
                out.append(
                    Suggestion(claim.id, "percent_change", f"{old.text} -> {new.text} is the stated {p.text}%", check)
                )
    return out


_CHANGE = re.compile(
    r"\b(?:improv\w*|gain\w*|increas\w*|rais\w*|boost\w*|outperform\w*)\s+(?:of\s+|by\s+)?(?:about\s+|roughly\s+)?"
    r"(-?[0-9]+(?:\.[0-9]+)?)(?!\.?[0-9])(\s*%|\s*percent\b)?(?![0-9.]*[A-Za-z_])",
    re.IGNORECASE | re.ASCII,
)


def _change_skeletons(claim: Claim, text: str) -> list[Suggestion]:
    out = []
    for match in _CHANGE.finditer(text):
        amount = match.group(1)
        relative = bool(match.group(2))
        formula = "percent_change(before, after)" if relative else "difference(after, before)"
        check: dict[str, Any] = {"formula": formula, "inputs": {}, "expected": amount, "precision": decimal_places(amount)}
        out.append(
            Suggestion(
                claim.id,
                "percent_change" if relative else "difference",
                f"the stated change {amount} ({_snippet(text, match.start(), match.end())})",
                check,
                complete=False,
                notes=("The values compared are not both in the claim text: add inputs 'after' and 'before'.",),
            )
        )
    return out


def suggest_for_claim(claim: Claim) -> list[Suggestion]:
    """Suggested checks for one claim (empty when it already has a check or its text has no usable numbers)."""
    if claim.check is not None or claim.check_error is not None or not claim.text:
        return []
    text = claim.text
    numbers = find_numbers(text)
    if not numbers:
        return []
    lists = find_lists(text, numbers)
    found = _aggregate(claim, text, numbers, lists, "mean") + _aggregate(claim, text, numbers, lists, "sum")
    if len(numbers) <= MAX_NUMBERS:
        found += _differences(claim, numbers) + _percent_changes(claim, numbers)
    if not any(s.kind in ("difference", "mean", "sum") for s in found):
        found += _change_skeletons(claim, text)
    if any(s.complete for s in found):  # the stated numbers are explained: skeletons would only mislead
        found = [s for s in found if s.complete]
    unique: dict[str, Suggestion] = {}
    for suggestion in found:
        key = repr(sorted(suggestion.check.items(), key=lambda kv: kv[0]))
        unique.setdefault(key, suggestion)
    return list(unique.values())


def suggest(claims: Iterable[Claim]) -> list[Suggestion]:
    """Suggestions for every claim without a check, in document order."""
    return [s for claim in claims for s in suggest_for_claim(claim)]


def with_sources(suggestions: Sequence[Suggestion], files: Sequence[tuple[str, bytes]]) -> list[Suggestion]:
    """``suggestions`` with each input value that stands at exactly one place in ``files`` (``(name, bytes)``,
    named as the checks will cite them) written as ``{"value", "source"}``, and a note per input saying where it
    was (or was not) found. Every suggestion stays unconfirmed.

    :class:`provenance.sources.errors.SourceUnreadable` when a file cannot be read as its form.
    """
    values = {value for s in suggestions for value in s.check.get("inputs", {}).values() if isinstance(value, str)}
    index = SourceIndex(files, values)
    out = []
    for suggestion in suggestions:
        inputs: dict[str, Any] = {}
        notes = list(suggestion.notes)
        for name, value in suggestion.check.get("inputs", {}).items():
            listed, count = index.where(value)
            if count == 1:
                inputs[name] = {"value": value, "source": listed[0].source()}
                notes.append(f"{name} = {value}: source located automatically in {listed[0].file}; confirm the span "
                             f"{listed[0].span!r} is the value the claim means")
            else:
                inputs[name] = value
                notes.append(f"{name} = {value}: " + (f"stands at {count} places in the sources given; pick one with "
                             "`provenance claims locate`" if count else "not found in the sources given"))
        out.append(replace(suggestion, check={**suggestion.check, "inputs": inputs}, notes=tuple(notes)))
    return out
