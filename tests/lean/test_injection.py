"""Hostile ids, texts, input names and numbers never leave the template shape."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provenance.claims.engine import check_claims
from provenance.claims.formula import Name
from provenance.claims.model import load_claims
from provenance.lean import grammar
from provenance.lean.emit import emit_project, items_from, plan_project
from provenance.lean.encoding import CheckSpec, NotEncodable, encode
from provenance.lean.grammar import GrammarError, check_claim_file, check_root_module
from provenance.lean.reader import read_file

NOW = datetime(2026, 1, 1, tzinfo=UTC)

HOSTILE = [
    "-/ axiom cheat : False /-",
    "/- x",
    "x -/ theorem bad : False := sorry /-",
    "line1\nset_option debug.skipKernelTC true\n",
    "\"quote\" s!\"{IO.println 1}\"",
    "«claim_0000000000000000»",
    "#eval IO.Process.exit 0",
    "#exit",
    "native_decide",
    "٣٤٥",  # Arabic-Indic digits
    "𝟙𝟚𝟛",
    "import Mathlib",
    "macro \"x\" : term => `(1)",
    "\u202e reversed",
    "\x00nul",
    "claim_0123456789abcdef",
]


def _doc(claims: list[dict[str, Any]]) -> dict[str, Any]:
    return {"claims": claims}


def _emit(doc: dict[str, Any], out: Path) -> list[str]:
    claims = load_claims(doc)
    verdicts = check_claims(claims, now=NOW)
    result = emit_project(claims, verdicts, out)
    texts = []
    for rel in sorted(result.files):
        if rel.endswith(".lean") and rel.startswith("Claims/"):
            text = (out / rel).read_text(encoding="utf-8")
            check_claim_file(text)
            texts.append(text)
    check_root_module((out / "Claims.lean").read_text(encoding="utf-8"))
    return texts


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_ids_and_texts_stay_out_of_lean_files(tmp_path: Path, hostile: str) -> None:
    doc = _doc([
        {"id": hostile, "text": hostile, "check": {"formula": "mean", "inputs": {"a": "1", "b": "3"}, "expected": "2", "tolerance": {"absolute": "0"}}},
        {"id": "ok-" + hostile, "text": hostile * 3, "check": {"formula": "a + b", "inputs": {"a": "1", "b": "3"}, "expected": "5", "precision": 0}},
    ])
    texts = _emit(doc, tmp_path / "p")
    joined = "\n".join(texts)
    for fragment in (hostile, "axiom cheat", "set_option", "#eval", "native_decide", "sorry", "import", "«"):
        if fragment.strip():
            assert fragment not in joined.replace("#print axioms", "")
    read = read_file(joined)
    assert len(read.theorems) == 2 and all(t.value for t in read.theorems)


@pytest.mark.parametrize("name", ["axiom", "sorry", "set_option", "native_decide", "theorem", "x_1", "_"])
def test_input_names_never_enter_files(tmp_path: Path, name: str) -> None:
    doc = _doc([{"id": "c", "text": "", "check": {"formula": f"{name} * 2", "inputs": {name: "4.5"}, "expected": "9", "tolerance": {"absolute": "0"}}}])
    (text,) = _emit(doc, tmp_path / "p")
    body = text.replace("#print axioms", "").replace("theorem claim_", "")
    assert name not in body or name == "_"


@pytest.mark.parametrize(
    "inputs",
    [
        {"a": "1e400"}, {"a": "nan"}, {"a": "٣"}, {"a": "1_000"}, {"a": "+5"}, {"a": " 5"}, {"a": "5."}, {"a": "0x10"},
        {"a": "9" * 101},
    ],
)
def test_malformed_numbers_give_no_theorem(tmp_path: Path, inputs: dict[str, str]) -> None:
    doc = _doc([
        {"id": "bad", "text": "", "check": {"formula": "a", "inputs": inputs, "expected": "1", "precision": 0}},
        {"id": "good", "text": "", "check": {"formula": "a", "inputs": {"a": "1"}, "expected": "1", "precision": 0}},
    ])
    claims = load_claims(doc)
    verdicts = check_claims(claims, now=NOW)
    items, skipped = items_from(claims, verdicts)
    assert [i.claim_id for i in items] == ["good"]
    assert [s.claim_id for s in skipped] == ["bad"]


def test_encoder_refuses_non_ascii_and_enormous_decimals_itself() -> None:
    for bad in ("٣", "1e5", "9" * 500):
        with pytest.raises(NotEncodable):
            encode(CheckSpec(Name("a"), {"a": bad}, "1", ("absolute", "0"), None))


def test_enormous_but_valid_numbers_stay_in_template(tmp_path: Path) -> None:
    big = "9" * 60 + "." + "9" * 39
    doc = _doc([{"id": "big", "text": "", "check": {"formula": "a * a * a", "inputs": {"a": big}, "expected": "1", "tolerance": {"relative": "0.5"}}}])
    (text,) = _emit(doc, tmp_path / "p")
    (theorem,) = read_file(text).theorems
    assert theorem.value is True  # the claim is false and the negation was emitted


hostile_text = st.lists(
    st.sampled_from(list("-/*()«»\"'\n\r\t #:=abcxyz019٣𝟙∧¬≤_") + ["axiom", "#eval", "set_option", "sorry", "/-", "-/", "--"]),
    min_size=1,
    max_size=20,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ids=st.lists(hostile_text, min_size=1, max_size=4, unique=True), text=hostile_text, expected=st.from_regex(r"-?[0-9]{1,3}(\.[0-9]{1,3})?", fullmatch=True))
def test_hypothesis_hostile_documents_emit_template_files(ids: list[str], text: str, expected: str) -> None:
    doc = _doc([
        {"id": cid, "text": text, "check": {"formula": "max(a, b) - abs(a)", "inputs": {"a": "-2.5", "b": "7"}, "expected": expected, "precision": 1}}
        for cid in ids
    ])
    claims = load_claims(doc)
    verdicts = check_claims(claims, now=NOW)
    items, skipped = items_from(claims, verdicts)
    plan = plan_project(items, skipped)
    for rel, data in plan.files.items():
        if rel.startswith("Claims/"):
            content = data.decode("utf-8")
            check_claim_file(content)
            for cid in ids:
                if len(cid.strip()) > 2 and not cid.strip().isdigit():
                    assert cid not in content.replace("#print axioms", "")
            assert all(t.value for t in read_file(content).theorems)


@pytest.mark.parametrize(
    "line",
    [
        "    (1 : Nat) ≤ 2 ∧ -- comment",
        "    (1 : Nat) ≤ 2 /- x -/ ∧",
        "axiom cheat : False",
        "#eval 1",
        "set_option maxRecDepth 10000",
        "    (01 : Nat) ≤ 2 := by",
        "    (1 : Nat) ≤ ٢ := by",
        "    (1 : Int) ≤ 2 := by",
        "    ((1 : Nat) ≤ 2 := by",
        "    (1 - 1 : Nat) ≤ 2 := by",
        "    (1 : Nat) ≤ 2 := by native_decide",
        "  sorry",
        "theorem claim_0123456789ABCDEF :",
        "theorem claim_0123456789abcdef : True := trivial",
        "#print axioms propext",
        "import Claims.C0001",
        "    (x : Nat) ≤ 2 := by",
        "    (1 : Nat) ≤ 2 := by  ",
    ],
)
def test_grammar_rejects_lines_out_of_template(line: str) -> None:
    good = "theorem claim_0123456789abcdef :\n    (1 : Nat) ≤ 2 := by\n  decide\n\n#print axioms claim_0123456789abcdef\n"
    assert check_claim_file(good)[0].name == "claim_0123456789abcdef"
    bad = good.replace("    (1 : Nat) ≤ 2 := by", line)
    with pytest.raises(GrammarError):
        check_claim_file(bad)


def test_grammar_rejects_structure_errors() -> None:
    block = "theorem claim_0123456789abcdef :\n    (1 : Nat) ≤ 2 := by\n  decide\n"
    cases = [
        block + "\n",  # no axioms line
        block + "\n#print axioms claim_1123456789abcdef\n",  # axioms for another name
        block + "\n#print axioms claim_0123456789abcdef\n#print axioms claim_0123456789abcdef\n",
        block + "#print axioms claim_0123456789abcdef\n",  # missing blank line
        block + "\n#print axioms claim_0123456789abcdef",  # no final newline
        block + "\n#print axioms claim_0123456789abcdef\n" + block,  # theorem after axioms
        "",
    ]
    for text in cases:
        with pytest.raises(GrammarError):
            check_claim_file(text)


def test_root_module_accepts_only_claim_imports() -> None:
    assert check_root_module("import Claims.C0001\nimport Claims.C0002\n") == ("Claims.C0001", "Claims.C0002")
    for bad in ("import Mathlib\n", "import Claims.C0001\n#eval 1\n", "import Claims.C1\n"):
        with pytest.raises(GrammarError):
            check_root_module(bad)


def test_deep_parentheses_do_not_crash_the_checker() -> None:
    deep = "(" * 5000 + "1" + ")" * 5000
    assert grammar.atom_ok(f"({deep} : Nat) ≤ 2") is False  # refused: deeper than MAX_PAREN_DEPTH
    assert grammar.atom_ok("(" + "(" * 50 + "1" + ")" * 50 + " : Nat) ≤ 2") is True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fast_canonical_json_equals_rfc8785(value: Any) -> None:
    """Theorem names hash a fast canonical form; it must be byte-identical to RFC 8785."""
    from provenance.jsonio import canonical_bytes
    from provenance.lean.emit import canonical_json_bytes

    doc = {"check": value, "claim_id": "c\U0001f600\ue000"}
    try:
        expected = canonical_bytes(doc)
    except Exception:  # RFC 8785 refuses it (e.g. an unsafe integer): so must the fast path
        with pytest.raises(Exception):  # noqa: B017
            canonical_json_bytes(doc)
        return
    assert canonical_json_bytes(doc) == expected


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["1", "0", "23", "(", ")", " + ", " * ", "+", " ", "007"]), min_size=1, max_size=14).map("".join))
def test_grammar_accepts_only_what_the_reader_understands(expr: str) -> None:
    """Every expression the grammar admits parses in the independent reader (the reader is never surprised)."""
    from provenance.lean.grammar import atom_ok

    line = f"({expr} : Nat) ≤ 1"
    if atom_ok(line):
        text = f"theorem claim_0123456789abcdef :\n    {line} := by\n  decide\n\n#print axioms claim_0123456789abcdef\n"
        (theorem,) = read_file(text).theorems
        assert theorem.name == "claim_0123456789abcdef"


def test_bare_mean_input_order_survives_the_claims_map(tmp_path: Path) -> None:
    """Regression: a key-sorted claims map reordered a bare mean's inputs, so regeneration no longer matched."""
    doc = _doc([{"id": "m", "text": "", "check": {"formula": "mean", "inputs": {"zeta": "3", "alpha": "1"}, "expected": "2", "precision": 0}}])
    _emit(doc, tmp_path / "p")
    from provenance.lean.pipeline import load_project

    (theorem,) = load_project(tmp_path / "p").theorems
    assert list(theorem.check["inputs"]) == ["zeta", "alpha"]
    assert "((3 + 1) * 10 : Nat)" in (tmp_path / "p" / "Claims" / "C0001.lean").read_text()
