"""The template grammar every emitted Lean line must match, checked before anything is written.

A generated claim file is, exactly::

    theorem claim_<16 hex> :          one block per theorem
        ATOM ∧                        side conditions and conjuncts
        ATOM := by                    last conjunct (positive form)
      decide
                                      blank line after each block
    #print axioms claim_<16 hex>      one per theorem, in order

or, for a falsified claim, the last conjuncts inside ``¬(`` … ``) := by``::

        ¬(
          ATOM ∧
          ATOM
        ) := by

where ``ATOM`` is ``(E : Nat) ≤ E`` or ``(E : Nat) = E`` and ``E`` is built
from ``[0-9]+`` literals (no leading zeros), `` + ``, `` * `` and balanced
parentheses. The checker is a line classifier plus a small recursive-descent
parser for ``E`` and a state machine over lines; anything else — a comment, an
identifier, a keyword, a non-ASCII digit, a stray character — is rejected
with its line number. The root module may contain only ``import Claims.Cnnnn``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from provenance.errors import InputError

MAX_PAREN_DEPTH = 64
"""Deepest parenthesis nesting accepted (the emitter stays far below; Lean's ``maxRecDepth`` is 512)."""
NAME_RE = re.compile(r"claim_[0-9a-f]{16}", re.ASCII)
_THEOREM = re.compile(r"theorem (claim_[0-9a-f]{16}) :", re.ASCII)
_AXIOMS = re.compile(r"#print axioms (claim_[0-9a-f]{16})", re.ASCII)
_ATOM = re.compile(r"\((?P<l>[0-9+*() ]+) : Nat\) (?:≤|=) (?P<r>[0-9+*() ]+)", re.ASCII)
_IMPORT = re.compile(r"import Claims\.C[0-9]{4}", re.ASCII)
_TOKEN = re.compile(r"0|[1-9][0-9]*|\(|\)| \+ | \* ", re.ASCII)


class GrammarError(InputError):
    """An emitted or found Lean file strays from the templates; lists every offending line."""


@dataclass(frozen=True, slots=True)
class TheoremLines:
    """Where a theorem sits in its file: 1-based ``start`` (``theorem`` line) to ``end`` (``decide`` line)."""

    name: str
    start: int
    end: int
    negated: bool


def _expr_ok(text: str) -> bool:
    """True when ``text`` is ``E`` of the template grammar (literals, `` + ``, `` * ``, parentheses).

    ``E := F (op F)*``, ``F := NUM | "(" E ")"``, checked in one pass: after an
    operand only an operator or ``)`` may follow; after an operator or ``(``
    only an operand or ``(``; parentheses balance and nest at most
    :data:`MAX_PAREN_DEPTH` deep; the text ends after an operand.
    """
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != text:
        return False
    depth = 0
    want_operand = True
    for token in tokens:
        if want_operand:
            if token == "(":
                depth += 1
                if depth > MAX_PAREN_DEPTH:
                    return False
            elif token[0].isdigit():
                want_operand = False
            else:
                return False
        elif token == ")":
            if depth == 0:
                return False
            depth -= 1
        elif token in (" + ", " * "):
            want_operand = True
        else:
            return False
    return not want_operand and depth == 0


def atom_ok(text: str) -> bool:
    """True when ``text`` is one ``(E : Nat) ≤ E`` or ``(E : Nat) = E``."""
    match = _ATOM.fullmatch(text)
    return match is not None and _expr_ok(match.group("l")) and _expr_ok(match.group("r"))


def _classify(line: str) -> tuple[str, str | None]:
    """The template line kind of ``line`` and the theorem name it carries, or ``("bad", None)``."""
    if line == "":
        return "blank", None
    if line == "  decide":
        return "decide", None
    if line == "    ¬(":
        return "not_open", None
    if line == "    ) := by":
        return "not_close", None
    match = _THEOREM.fullmatch(line)
    if match:
        return "theorem", match.group(1)
    match = _AXIOMS.fullmatch(line)
    if match:
        return "axioms", match.group(1)
    for prefix, kind in (("      ", "inner"), ("    ", "outer")):
        if line.startswith(prefix) and not line.startswith(prefix + " "):
            body = line[len(prefix):]
            if body.endswith(" ∧") and atom_ok(body[:-2]):
                return f"{kind}_and", None
            if kind == "outer" and body.endswith(" := by") and atom_ok(body[: -len(" := by")]):
                return "outer_last", None
            if kind == "inner" and atom_ok(body):
                return "inner_last", None
    return "bad", None


def check_claim_file(text: str, *, where: str = "<lean file>") -> tuple[TheoremLines, ...]:
    """Check a generated claim file against the templates; return its theorems with their line ranges.

    Raises :class:`GrammarError` listing every line that is out of template or
    out of order (at most 20 shown).
    """
    problems: list[str] = []
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append("file must end with exactly one newline")
    lines = text[:-1].split("\n") if text.endswith("\n") else text.split("\n")
    theorems: list[TheoremLines] = []
    axioms: list[str] = []
    state = "start"  # start | head | body | inner | decide | gap | axioms
    current: str | None = None
    start = 0
    negated = False
    for number, line in enumerate(lines, start=1):
        kind, name = _classify(line)
        ok = True
        if kind == "bad":
            problems.append(f"line {number}: not a template line: {_show(line)}")
            continue
        if state in ("start", "gap") and kind == "theorem" and not axioms:
            current, start, negated, state = name, number, False, "head"
        elif state == "gap" and kind == "axioms" or state == "axioms" and kind == "axioms":
            assert name is not None
            axioms.append(name)
            state = "axioms"
        elif state in ("head", "body") and kind == "outer_and":
            state = "body"
        elif state in ("head", "body") and kind == "outer_last":
            state = "decide"
        elif state in ("head", "body") and kind == "not_open":
            negated, state = True, "inner"
        elif state in ("inner", "inner_more") and kind == "inner_and":
            state = "inner_more"
        elif state in ("inner", "inner_more") and kind == "inner_last":
            state = "inner_done"
        elif state == "inner_done" and kind == "not_close":
            state = "decide"
        elif state == "decide" and kind == "decide":
            assert current is not None
            theorems.append(TheoremLines(current, start, number, negated))
            state = "need_gap"
        elif state == "need_gap" and kind == "blank":
            state = "gap"
        else:
            ok = False
        if not ok:
            problems.append(f"line {number}: {kind.replace('_', ' ')} line out of place: {_show(line)}")
    if state != "axioms":
        problems.append("file must hold at least one theorem and end with its #print axioms lines")
    names = [t.name for t in theorems]
    if len(set(names)) != len(names):
        problems.append("a theorem name appears twice")
    if axioms != names:
        problems.append("the #print axioms lines must name every theorem once, in order")
    if problems:
        shown = "; ".join(problems[:20]) + (f"; and {len(problems) - 20} more" if len(problems) > 20 else "")
        raise GrammarError(shown, where=where, remedy="regenerate the file with `provenance lean emit`")
    return tuple(theorems)


def check_root_module(text: str, *, where: str = "Claims.lean") -> tuple[str, ...]:
    """Check the root module: only ``import Claims.Cnnnn`` lines. Returns the module names."""
    if text == "":
        return ()
    problems: list[str] = []
    modules: list[str] = []
    if not text.endswith("\n"):
        problems.append("file must end with a newline")
    for number, line in enumerate(text.rstrip("\n").split("\n"), start=1):
        if _IMPORT.fullmatch(line):
            modules.append(line[len("import "):])
        else:
            problems.append(f"line {number}: not an import of a claim module: {_show(line)}")
    if problems:
        raise GrammarError("; ".join(problems[:20]), where=where, remedy="regenerate with `provenance lean emit`")
    return tuple(modules)


def _show(line: str) -> str:
    shown = line if len(line) <= 60 else line[:57] + "..."
    return repr(shown)
