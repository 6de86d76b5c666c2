"""Every source form, every outcome: found, not found, ambiguous, prefix/suffix numbers, repeated quotes,
locators past the end, numbers inside words, digests that do not match, and the span recorded."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from sources_env import ground, pdf_bytes, sha256

from provenance.schemas import validate
from provenance.sources.normalise import NORMALISATION
from provenance.sources.numbers import TOKEN_RULE

CSV = (
    b"task,gain,other\n"
    b"SQuAD,8.2,x\n"
    b"MNLI,18.25,8.25\n"
    b"MNLI,7.5,\n"
    b"v,v8.2,\n"
    b"Y,8.20,\n"
    b'"Hella, Swag","7.0",\n'
)
TSV = b"task\tgain\tother\nSQuAD\t8.2\tx\nMNLI\t18.25\t8.25\nMNLI\t7.5\t\nv\tv8.2\t\nY\t8.20\t\nHella, Swag\t7.0\t\n"

TEXT_LINES = [
    "1 Results",
    "SQuAD gains 8.2 points.",
    "MNLI gains 18.25 points, or 8.25.",
    "The same sentence.",
    "The same sentence.",
    "v8.2 is a version; 8.2.1 another.",
    "Y wrote 8.20 here.",
]
TEXT = ("\n".join(TEXT_LINES) + "\n").encode()
MARKDOWN = (
    b"# Results\n"
    b"\n"
    b"| task | gain |\n"
    b"|---|---|\n"
    b"| SQuAD | 8.2 |\n"
    b"| MNLI | 18.25 (8.25) |\n"
    b"The same sentence.\n"
    b"The same sentence.\n"
    b"`v8.2` is a version; 8.2.1 another.\n"
    b"Y wrote **8.20** here.\n"
)
LATEX = (
    b"\\section{Results}\n"
    b"SQuAD & $8.2$ \\\\ % was 9.9\n"
    b"MNLI & 18.25 (8.25) \\\\\n"
    b"The same sentence.\n"
    b"The same sentence.\n"
    b"% SQuAD 8.2 in a comment only\n"
    b"Y wrote \\textbf{8.20} here.\n"
)
HTML = (
    b"<html><head><style>td { width: 8.2em }</style></head><body>\n"
    b"<table><tr><td>SQuAD</td><td>8.2</td></tr>\n"
    b"<tr><td>MNLI</td><td>18.25</td><td>8.25</td></tr></table>\n"
    b"<p>The same sentence.</p>\n"
    b"<p>The same sentence.</p>\n"
    b"<script>var gain = 8.2;</script><!-- 8.2 -->\n"
    b"<p>Y wrote <b>8.20</b> here.</p></body></html>\n"
)
PDF = pdf_bytes([TEXT_LINES[1:6], ["Y wrote 8.20 here.", "HellaSwag \u2013 7.0 (a dash, not a minus)"]])

# (file, bytes, {case: (locator, value, as_written, expected status)})
Case = tuple[Any, str, str | None, str]
TABLE_CASES: dict[str, Case] = {
    "found by key and header": ({"row": "SQuAD", "column": "gain"}, "8.2", None, "found"),
    "found by indexes": ({"row": 1, "column": 2}, "8.2", None, "found"),
    "found in a quoted cell with a comma": ({"row": "Hella, Swag", "column": "gain"}, "7.0", None, "found"),
    "prefix of another number": ({"row": 2, "column": "gain"}, "8.2", None, "not found"),
    "suffix-extended number": ({"row": 2, "column": 3}, "8.2", None, "not found"),
    "inside a word": ({"row": "v", "column": "gain"}, "8.2", None, "not found"),
    "trailing zero not written as": ({"row": "Y", "column": "gain"}, "8.2", None, "not found"),
    "trailing zero written as": ({"row": "Y", "column": "gain"}, "8.2", "8.20", "found"),
    "ambiguous row key": ({"row": "MNLI", "column": "gain"}, "7.5", None, "ambiguous"),
    "row past the end": ({"row": 99, "column": "gain"}, "8.2", None, "not found"),
    "column past the end": ({"row": 1, "column": 9}, "8.2", None, "not found"),
    "no such header": ({"row": 1, "column": "loss"}, "8.2", None, "not found"),
    "wrong locator shape": ({"line": 2}, "8.2", None, "not found"),
}
TEXT_CASES: dict[str, Case] = {
    "found by line": ({"line": 2}, "8.2", None, "found"),
    "found by quote": ({"quote": "SQuAD gains 8.2"}, "8.2", None, "found"),
    "prefix of another number": ({"line": 3}, "8.2", None, "not found"),
    "quote cuts a longer number": ({"quote": "MNLI gains 18.2"}, "8.2", None, "not found"),
    "inside a word or a version": ({"line": 6}, "8.2", None, "not found"),
    "trailing zero not written as": ({"line": 7}, "8.2", None, "not found"),
    "trailing zero written as": ({"line": 7}, "8.2", "8.20", "found"),
    "quote occurs twice": ({"quote": "The same sentence."}, "1", None, "ambiguous"),
    "quote absent": ({"quote": "words nowhere in it"}, "8.2", None, "not found"),
    "line past the end": ({"line": 99}, "8.2", None, "not found"),
    "wrong locator shape": ({"row": 1, "column": 1}, "8.2", None, "not found"),
}
FORM_LINES = {"markdown": (5, 6, 9, 10), "latex": (2, 3, None, 7), "html": (2, 3, None, 7)}


def text_cases(form: str) -> dict[str, Case]:
    """The plain-text cases moved to the lines where each form holds the same content."""
    if form == "text":
        return TEXT_CASES
    found, longer, word, zero = FORM_LINES[form]
    cases = dict(TEXT_CASES)
    cases["found by line"] = ({"line": found}, "8.2", None, "found")
    cases["prefix of another number"] = ({"line": longer}, "8.2", None, "not found")
    cases["trailing zero not written as"] = ({"line": zero}, "8.2", None, "not found")
    cases["trailing zero written as"] = ({"line": zero}, "8.2", "8.20", "found")
    del cases["found by quote"], cases["quote cuts a longer number"]
    if word is None:
        del cases["inside a word or a version"]
    else:
        cases["inside a word or a version"] = ({"line": word}, "8.2", None, "not found")
    return cases


PDF_CASES: dict[str, Case] = {
    "found": ({"page": 1, "quote": "SQuAD gains 8.2"}, "8.2", None, "found"),
    "prefix of another number": ({"page": 1, "quote": "MNLI gains 18.25 points, or 8.25"}, "8.2", None, "not found"),
    "inside a word or a version": ({"page": 1, "quote": "v8.2 is a version; 8.2.1"}, "8.2", None, "not found"),
    "quote occurs twice": ({"page": 1, "quote": "The same sentence."}, "1", None, "ambiguous"),
    "quote absent": ({"page": 1, "quote": "words nowhere in it"}, "8.2", None, "not found"),
    "page past the end": ({"page": 3, "quote": "SQuAD"}, "8.2", None, "not found"),
    "trailing zero written as": ({"page": 2, "quote": "wrote 8.20"}, "8.2", "8.20", "found"),
    "a spaced dash is no sign": ({"page": 2, "quote": "HellaSwag - 7.0"}, "7.0", None, "found"),
    "wrong locator shape": ({"line": 1}, "8.2", None, "not found"),
}

FORMS: list[tuple[str, bytes, dict[str, Case]]] = [
    ("results.csv", CSV, TABLE_CASES),
    ("results.tsv", TSV, TABLE_CASES),
    ("results.txt", TEXT, TEXT_CASES),
    ("results.md", MARKDOWN, text_cases("markdown")),
    ("results.tex", LATEX, text_cases("latex")),
    ("results.html", HTML, text_cases("html")),
    ("results.pdf", PDF, PDF_CASES),
]
PARAMS = [pytest.param(name, data, *case, id=f"{name}: {label}") for name, data, cases in FORMS for label, case in cases.items()]


@pytest.mark.parametrize(("name", "data", "locator", "value", "as_written", "status"), PARAMS)
def test_each_form_grounds_each_case(name: str, data: bytes, locator: Any, value: str, as_written: str | None, status: str) -> None:
    record = ground(name, data, locator, value, as_written=as_written)
    assert record.status == status, record.reason
    assert record.sha256 == sha256(data)
    out = record.to_json()
    assert out["normalisation"] == NORMALISATION and out["token_rule"] == TOKEN_RULE
    assert validate(_verdict_with(out), "verdict-v1") == []
    if status == "found":
        assert record.span is not None and (as_written or value) in record.span
        assert record.span_sha256 == hashlib.sha256(record.span.encode()).hexdigest()
        assert record.resolved is not None


@pytest.mark.parametrize(("name", "data"), [(name, data) for name, data, _ in FORMS], ids=[name for name, _, _ in FORMS])
def test_a_source_whose_digest_does_not_match_is_not_the_cited_source(name: str, data: bytes) -> None:
    locator = {"row": 1, "column": 2} if name.endswith(("csv", "tsv")) else {"page": 1, "quote": "8.2"} if name.endswith("pdf") else {"line": 2}
    record = ground(name, data, locator, "8.2", cited="0" * 64)
    assert record.status == "not found"
    assert "not the cited source" in record.reason
    assert record.span is None and record.sha256 == sha256(data)


def test_a_missing_file_is_not_found() -> None:
    from provenance.sources.grounding import Grounder, MemoryStore
    from provenance.sources.locator import LineLocator

    record = Grounder(MemoryStore({})).ground("x", "8.2", file="gone.txt", sha256="0" * 64, locator=LineLocator(1))
    assert (record.status, record.sha256) == ("not found", None)
    assert "not among the sources" in record.reason


def test_the_value_absent_from_a_resolved_place_still_records_the_span() -> None:
    record = ground("results.csv", CSV, {"row": 2, "column": "gain"}, "8.2")
    assert record.span == "18.25" and record.resolved == {"row": 2, "column": 2}
    assert record.reason == "8.2 is not written at row 2, column 'gain' of results.csv"


def test_a_source_written_with_trailing_zeros_is_named_in_the_reason() -> None:
    record = ground("results.csv", CSV, {"row": "Y", "column": "gain"}, "8.2")
    assert "it is written there as 8.20: give as_written '8.20'" in record.reason


def test_a_latex_comment_is_not_text_and_an_html_script_is_not_either() -> None:
    assert ground("results.tex", LATEX, {"line": 6}, "8.2").status == "not found"
    assert ground("results.html", HTML, {"line": 6}, "8.2").status == "not found"
    assert ground("results.html", HTML, {"line": 1}, "8.2").status == "not found"  # inside <style>


def test_a_long_place_is_recorded_as_a_bounded_window_around_the_value() -> None:
    line = "word " * 200 + "gain 8.2 here " + "more " * 200
    record = ground("long.txt", line.encode(), {"line": 1}, "8.2")
    assert record.status == "found"
    assert record.span is not None and len(record.span) <= 300 and "gain 8.2 here" in record.span


def test_undecodable_text_is_unreadable_not_a_crash() -> None:
    record = ground("latin1.txt", "gain 8,2 \xe9t\xe9".encode("latin-1"), {"line": 1}, "8.2")
    assert record.status == "not found" and "not UTF-8" in record.reason


def test_a_malformed_csv_is_unreadable() -> None:
    record = ground("bad.csv", b'a,b\n"unterminated,8.2\n', {"row": 1, "column": 2}, "8.2")
    assert record.status == "not found" and "unreadable" in record.reason


def _verdict_with(grounding: dict[str, Any]) -> dict[str, Any]:
    return {
        "contract": "verdict-v1", "claim_id": "c1", "status": "inconclusive", "method": "exact", "scope": "arithmetic",
        "computed": None, "expected": None, "tolerance": None, "precision": None, "reason": "r",
        "evaluated_at": "2026-01-01T00:00:00Z", "check_sha256": None, "grounding": [grounding],
    }
