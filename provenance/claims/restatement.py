"""Does a check test what its claim states? The numbers of the claim text against the check's numbers.

The numbers *stated* by a claim are the number tokens of its normalised text
(:mod:`provenance.sources.numbers`: ``8.2`` in "8.2%" or "(8.2)", nothing in
"v8.2", "GPT-4" or "L2"), each taken in its plain form (``+1,234.50`` is
``1234.50``). A check number *appears* as a stated number when the stated
plain form is the check's decimal string exactly (``7.60`` is not ``7.6``:
the decimals written are how a number was stated) or its magnitude (a claim
says "falls by 3.2", the check expects ``-3.2``).

A check *restates* its claim when its ``expected`` appears among the stated
numbers, and every stated number is explained: it is the ``expected``, an
input's value (or the ``as_written`` form its source gives), a decimal
literal of the formula, or listed by the check as ``context`` (a count, a
year, a table number: stated, but not what the check computes). Otherwise the
check gets the finding "the check does not restate the claim", naming the
expected value absent from the text and the unexplained numbers. A claim
without text has nothing to restate.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provenance.claims.formula import tokenize
from provenance.claims.model import Check
from provenance.sources.normalise import normalise
from provenance.sources.numbers import iter_tokens, magnitude

FINDING = "the check does not restate the claim"
_ASCII_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True, slots=True)
class Restatement:
    """The numbers a claim states, and what its check leaves out of them."""

    stated: tuple[str, ...]  # plain forms, in text order, each once
    expected: str
    expected_stated: bool
    unexplained: tuple[str, ...]  # stated numbers the check does not account for, in text order

    @property
    def restates(self) -> bool:
        return self.expected_stated and not self.unexplained

    @property
    def finding(self) -> str | None:
        """``"the check does not restate the claim: ..."`` naming what is wrong, or ``None``."""
        if self.restates:
            return None
        parts = []
        if not self.expected_stated:
            stated = ", ".join(self.stated) if self.stated else "no numbers"
            parts.append(f"its expected {self.expected} is not stated in the claim text (which states {stated})")
        if self.unexplained:
            listed = ", ".join(self.unexplained)
            them = "it" if len(self.unexplained) == 1 else "them"
            are = "it is" if len(self.unexplained) == 1 else "they are"
            parts.append(f"the claim states {listed}, which the check neither computes nor uses (list {them} as context if {are} only context)")
        return f"{FINDING}: " + "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "restates": self.restates,
            "stated": list(self.stated),
            "expected_stated": self.expected_stated,
            "unexplained": list(self.unexplained),
            "finding": self.finding,
        }


def stated_numbers(text: str) -> tuple[str, ...]:
    """The plain forms of the number tokens of ``text`` (normalised), in order, each once."""
    if text.isascii() and not _ASCII_DIGIT.search(text):
        return ()  # normalising ASCII adds no digit, and a token needs one
    return tuple(dict.fromkeys(token.plain for token in iter_tokens(normalise(text))))


@functools.lru_cache(maxsize=1024)
def _literals(formula: str) -> tuple[str, ...]:
    # records repeat the same few formulas
    return tuple(token.text for token in tokenize(formula) if token.kind == "num")


def restatement(
    text: str, *, expected: str, inputs: Iterable[str] = (), context: Iterable[str] = (), formula: str = ""
) -> Restatement:
    """How the numbers stated by ``text`` compare with a check's ``expected``, ``inputs`` (values and
    as-written forms), ``context`` and the decimal literals of its ``formula`` (see the module docstring)."""
    stated = stated_numbers(text)
    if not stated:
        return Restatement((), expected, False, ())
    explained = {expected, *inputs, *context, *(_literals(formula) if formula else ())}
    explained |= {magnitude(number) for number in explained}
    expected_forms = {expected, magnitude(expected)}
    return Restatement(
        stated=stated,
        expected=expected,
        expected_stated=any(number in expected_forms for number in stated),
        unexplained=tuple(number for number in stated if number not in explained),
    )


def restatement_of(text: str, check: Check) -> Restatement | None:
    """:func:`restatement` for a parsed check: its ``expected``, input values and the ``as_written`` forms
    their sources give, formula, and ``context``; ``None`` when the claim has no text."""
    if not text.strip():
        return None
    numbers: list[str] = []
    for item in check.inputs.values():
        numbers.append(item.value)
        if item.source is not None and item.source.as_written is not None:
            numbers.append(item.source.as_written)
    return restatement(text, expected=check.expected, inputs=numbers, context=check.context, formula=check.formula)
