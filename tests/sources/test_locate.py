"""`claims locate` as a library: every location it offers grounds back to its value, in every form."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sources_env import ground, pdf_bytes, sha256
from test_forms import CSV, HTML, LATEX, MARKDOWN, PDF, TEXT, TSV

from provenance.claims.locate import MAX_LOCATIONS, SourceIndex, locate, source_files
from provenance.claims.model import load_claims
from provenance.errors import InputError
from provenance.sources.errors import SourceUnreadable
from provenance.sources.grounding import Grounder, MemoryStore
from provenance.sources.normalise import normalise
from provenance.sources.numbers import tokens

FILES = [
    ("results.csv", CSV),
    ("results.tsv", TSV),
    ("results.txt", TEXT),
    ("results.md", MARKDOWN),
    ("results.tex", LATEX),
    ("results.html", HTML),
    ("results.pdf", PDF),
]


@pytest.mark.parametrize(("name", "data"), FILES, ids=[name for name, _ in FILES])
def test_every_location_grounds_back_to_its_value(name: str, data: bytes) -> None:
    values = ["8.2", "18.25", "8.25", "7.5", "7.0", "8.20"]
    index = SourceIndex([(name, data)], values)
    grounder = Grounder(MemoryStore({name: data}))
    offered = 0
    for value in values:
        listed, count = index.where(value)
        assert count >= len(listed)
        for location in listed:
            offered += 1
            assert location.sha256 == sha256(data) and location.file == name
            record = ground(name, data, location.locator, value, grounder=grounder)
            assert record.status == "found", (location, record.reason)
            assert record.span == location.span or value in location.span
    assert offered >= 3


def test_locate_lists_every_input_of_every_check_with_unconfirmed_locations() -> None:
    claims = load_claims(
        {
            "claims": [
                {"id": "c1", "text": "t", "check": {"formula": "mean", "inputs": {"squad": "8.2", "mnli": "7.5", "gone": "42.42"}, "expected": "7.57", "precision": 2}},
                {"id": "c2", "text": "no check"},
            ]
        }
    )
    located = locate(claims, [("results.csv", CSV), ("results.txt", TEXT)])
    assert [(item.claim_id, item.input) for item in located] == [("c1", "squad"), ("c1", "mnli"), ("c1", "gone")]
    squad, mnli, gone = located
    assert {loc.file for loc in squad.locations} == {"results.csv", "results.txt"}
    assert {"file": "results.csv", "sha256": sha256(CSV), "locator": {"row": "SQuAD", "column": "gain"}} in [
        loc.source() for loc in squad.locations
    ]
    assert mnli.count == 1 and mnli.locations[0].locator == {"row": 3, "column": "gain"}  # "MNLI" names two rows
    assert gone.count == 0 and gone.locations == ()
    assert squad.to_json()["confirmed"] is False


def test_a_unique_occurrence_is_offered_as_the_source_and_a_repeated_one_is_not() -> None:
    index = SourceIndex([("results.csv", CSV)], ["8.2", "7.0", "1"])
    assert index.unique("7.0") is not None
    assert index.unique("42") is None
    assert SourceIndex([("results.txt", TEXT + TEXT)], ["8.2"]).unique("8.2") is None


def test_locations_are_capped_and_counted() -> None:
    rows = "".join(f"r{i},5.5\n" for i in range(MAX_LOCATIONS + 7))
    listed, count = SourceIndex([("many.csv", ("name,value\n" + rows).encode())], ["5.5"]).where("5.5")
    assert (len(listed), count) == (MAX_LOCATIONS, MAX_LOCATIONS + 7)


def test_an_unreadable_source_is_a_clean_error_naming_it() -> None:
    with pytest.raises(SourceUnreadable, match="bad.pdf"):
        SourceIndex([("bad.pdf", b"%PDF-1.4 not really")], ["8.2"])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.from_regex(r"[0-9]{1,2}\.[0-9]", fullmatch=True), st.sampled_from(["gain", "of", "x", "and"])), min_size=1, max_size=8).map(" ".join),
        min_size=1,
        max_size=6,
    )
)
def test_located_text_lines_ground_back_on_generated_documents(lines: list[str]) -> None:
    data = ("\n".join(lines) + "\n").encode()
    values = sorted({word for line in lines for word in line.split() if word[0].isdigit()})
    index = SourceIndex([("gen.md", data)], values)
    for value in values:
        listed, count = index.where(value)
        assert count >= 1
        for location in listed:
            assert ground("gen.md", data, location.locator, value).status == "found"


def test_located_pdf_quotes_are_unique_on_their_page() -> None:
    page = [f"row {i}: 1.5 and {i}.25" for i in range(12)]
    data = pdf_bytes([page, page])
    listed, count = SourceIndex([("rep.pdf", data)], ["1.5"]).where("1.5")
    assert count == 24 and len(listed) == MAX_LOCATIONS
    grounder = Grounder(MemoryStore({"rep.pdf": data}))
    for location in listed:
        assert ground("rep.pdf", data, location.locator, "1.5", grounder=grounder).status == "found"


CELLS = ["8.2", "8.2%", "+8.2", "-8.2", " 8.2 ", ".5", "0.5", "8.", "8", "k12", "12ms", "a b", "1,234", "1234", "8.20", "v8.2", "", "x"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(CELLS), min_size=1, max_size=4), min_size=1, max_size=8))
def test_a_table_offers_every_cell_that_holds_a_value_and_no_other(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["h1", "h2", "h3", "h4"], *rows])
    values = ["8.2", "-8.2", "0.5", "8", "12", "1234", "8.20"]
    index = SourceIndex([("gen.csv", out.getvalue().encode())], values)
    for value in values:
        expected = sum(value in {t.plain for t in tokens(normalise(cell))} for row in rows for cell in row)
        assert index.where(value)[1] == expected, value


def test_source_files_are_named_as_the_claims_file_cites_them(tmp_path: Path) -> None:
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "t.csv").write_bytes(CSV)
    (tmp_path / "elsewhere.txt").write_bytes(TEXT)
    base = tmp_path / "sources" / ".."
    named = source_files([tmp_path / "sources" / "t.csv", tmp_path / "elsewhere.txt"], base)
    assert named == [("sources/t.csv", CSV), ("elsewhere.txt", TEXT)]
    outside = source_files([tmp_path / "elsewhere.txt"], tmp_path / "sources")
    assert outside == [((tmp_path / "elsewhere.txt").as_posix(), TEXT)]
    with pytest.raises(InputError, match="no such file"):
        source_files([tmp_path / "gone.pdf"], tmp_path)
