"""Parse a research record's text into a paper-manifest-v1.1 document.

Three text forms are read (see ``examples/``): pipe tables (``| Status | Verified |``),
HTML-rendered text where labels and values run together (``StatusVerified``), and
paper style (numbered sections, a tab-separated extracted-claims table, references).
Everything the record states is kept: what is not modelled goes to ``extra``.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provenance.contracts import PAPER_MANIFEST
from provenance.errors import InputError
from provenance.ingest.references import parse_reference
from provenance.ingest.text import (
    labelled_level,
    looks_truncated,
    parse_count,
    parse_date,
    parse_decimal,
    parse_score,
    parse_timestamp,
    snake,
)
from provenance.inputfile import read_input_bytes
from provenance.schemas import require_valid

MAX_RECORD_BYTES = 8 * 1024 * 1024
CONTRACT = PAPER_MANIFEST

KNOWN_SECTIONS: dict[str, str] = {
    "abstract": "abstract",
    "research question": "research_question",
    "verification level": "verification_level",
    "truth-engine gate verdict": "gate_verdict",
    "gate verdict": "gate_verdict",
    "quality tier": "quality_tier",
    "quality dimensions": "quality_dimensions",
    "correction record": "correction_record",
    "provenance": "provenance",
    "references": "references",
    "bibliography": "references",
    "extracted claims": "claims",
    "claims": "claims",
}

SECTION_LABELS: dict[str, tuple[str, ...]] = {
    "verification_level": ("Paper level", "Source-grounded claims", "Claim record source"),
    "gate_verdict": ("Status", "Gate", "Reason", "Evaluated"),
    "quality_tier": ("Tier", "Basis"),
    "quality_dimensions": ("Evidence strength", "Citation grounding", "Uncertainty disclosure", "Reproducibility status"),
    "correction_record": ("Status", "Correction count", "Manifest contract", "Correction contract"),
    "provenance": (
        "Publisher", "Public provenance", "Report artifact", "External record", "Claim lineage",
        "Review method", "Quality guide", "Provenance contract", "Note",
    ),
}

HEADER_LABELS = ("submitted", "published", "date", "review score", "verification", "gate status",
                 "quality tier", "verified claims", "doi", "authors", "author")

_RECORD_ID = re.compile(r"(?a)^[A-Z]{2,10}:[0-9A-F]{6,32}$")
_NUMBERED = re.compile(r"(?a)^(\d{1,2}(?:\.\d{1,2})*)\.?\s+(\S.*)$")
_DOI = re.compile(r"(?a)^10\.[0-9]{4,9}/\S+$")
_GATE_STATUS = {"verified": "verified", "falsified": "falsified", "inconclusive": "inconclusive",
                "error": "error", "pending": "pending"}
_MARK_TRUE = {"\u2713", "\u2714", "\u2705", "yes", "true", "y", "verified"}
_MARK_FALSE = {"\u2717", "\u2718", "\u274c", "x", "no", "false", "n", "unverified"}


@dataclass(frozen=True)
class Line:
    number: int
    text: str


@dataclass
class Section:
    key: str  # a KNOWN_SECTIONS value, or "extra"
    name: str
    line: int
    body: list[Line] = field(default_factory=list)


def _decode(data: bytes, where: str) -> str:
    if not data.strip():
        raise InputError("file is empty", where=where, remedy="give a research record as text")
    if len(data) > MAX_RECORD_BYTES:
        raise InputError(
            f"file is {len(data)} bytes, over the {MAX_RECORD_BYTES}-byte limit for a record",
            where=where,
            remedy="give the record's text, not a data file",
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(f"binary file (NUL byte at offset {nul})", where=where, remedy="give the record as UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (invalid byte at offset {exc.start})", where=f"{where}:{line}", remedy="convert the file to UTF-8"
        ) from None
    return text.removeprefix("\ufeff")


def _cells(text: str) -> list[str] | None:
    """Cells of a pipe-table row or a tab-separated row; None for other lines."""
    stripped = text.strip()
    if stripped.startswith("|"):
        cells = [c.strip() for c in stripped.strip("|").split("|")]
    elif "\t" in stripped:
        cells = [c.strip() for c in stripped.split("\t")]
    else:
        return None
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_separator(cells: Sequence[str]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c)


def _split_kv(text: str, labels: Sequence[str]) -> tuple[str, str] | None:
    """(label, value) from a row: pipe/tab cells, "Label: value", or a known label run into its value."""
    cells = _cells(text)
    if cells is not None:
        if len(cells) >= 2 and cells[0] and not _is_separator(cells):
            return cells[0], " | ".join(c for c in cells[1:] if c)
        return None
    stripped = text.strip()
    for label in sorted(labels, key=len, reverse=True):
        if stripped.startswith(label):
            rest = stripped[len(label):].lstrip(":").strip()
            if rest:
                return label, rest
    return None


def _heading(text: str, next_text: str | None) -> tuple[str, str] | None:
    stripped = text.strip().rstrip(":")
    if not stripped or len(stripped) > 80 or "|" in stripped or "\t" in stripped:
        return None
    numbered = _NUMBERED.match(stripped)
    name = numbered[2] if numbered else stripped
    key = KNOWN_SECTIONS.get(name.lower())
    if key:
        return key, name
    plain = name[:1].isupper() and not name.endswith((".", ",", ";", "?", "!")) and ":" not in name
    if numbered and plain and len(name) <= 60:
        return "extra", name
    if plain and next_text is not None and next_text.strip().startswith("|") and len(name) <= 60:
        return "extra", name
    return None


def _form(lines: Sequence[Line], sections: Sequence[Section]) -> str:
    if sum(1 for ln in lines if ln.text.lstrip().startswith("|")) >= 3:
        return "pipe-table"
    if any(_NUMBERED.match(s.name) or s.key == "claims" for s in sections) or any(
        _NUMBERED.match(ln.text.strip()) and _heading(ln.text, None) for ln in lines
    ):
        return "paper"
    return "html-text"


def _paragraphs(body: Sequence[Line]) -> str:
    return "\n".join(ln.text.strip() for ln in body if ln.text.strip())


class _Builder:
    def __init__(self, where: str) -> None:
        self.where = where
        self.m: dict[str, Any] = {
            "contract": CONTRACT,
            "record_id": None,
            "title": None,
            "research_question": None,
            "abstract": None,
            "abstract_truncated": False,
            "submitted": None,
            "authors": [],
            "review_score": None,
            "doi": None,
            "verification_level": None,
            "gate_verdict": None,
            "quality_tier": None,
            "quality_dimensions": None,
            "correction_record": None,
            "provenance": None,
            "claims": [],
            "references": [],
            "extra": {},
        }
        self.header: dict[str, str] = {}

    def add_extra(self, name: str, text: str) -> None:
        if not text:
            return
        key, n = name, 2
        while key in self.m["extra"]:
            key, n = f"{name} ({n})", n + 1
        self.m["extra"][key] = text

    # -- header lines between the title and the first section --
    def header_line(self, line: Line, index: int) -> None:
        text = line.text.strip()
        label, sep, value = text.partition(":")
        if sep and label.strip().lower() in HEADER_LABELS and value.strip():
            self.header[label.strip().lower()] = value.strip()
            return
        date = parse_date(text)
        if date and self.m["submitted"] is None:
            self.m["submitted"] = date
            return
        is_byline = len(text) <= 80 and not text.endswith((".", "?", "!")) and not any(ch.isdigit() for ch in text)
        if index < 3 and not self.m["authors"] and is_byline:
            self.m["authors"] = [{"name": name.strip()} for name in re.split(r";| and ", text) if name.strip()]
            return
        self.add_extra("header", (self.m["extra"].get("header", "") + "\n" + text).strip())

    def finish_header(self) -> None:
        h = self.header
        consumed: set[str] = set()
        for key in ("submitted", "published", "date"):
            if key in h and (date := parse_date(h[key])):
                self.m["submitted"] = self.m["submitted"] or date
                consumed.add(key)
        if "review score" in h and (score := parse_score(h["review score"])):
            self.m["review_score"] = score
            consumed.add("review score")
        if "doi" in h and _DOI.match(h["doi"]):
            self.m["doi"] = h["doi"]
            consumed.add("doi")
        if "verified claims" in h and (count := parse_count(h["verified claims"])) is not None:
            self.m.setdefault("claim_counts", {})["verified"] = count
            consumed.add("verified claims")
        for key in ("authors", "author"):
            if key in h:
                names = [n.strip() for n in re.split(r";| and ", h[key]) if n.strip()]
                self.m["authors"] = [{"name": n} for n in names]
                consumed.add(key)
        if "verification" in h:
            vl = self.m["verification_level"] or {}
            vl.setdefault("paper_level", labelled_level(h["verification"]))
            self.m["verification_level"] = vl
            consumed.add("verification")
        if "gate status" in h:
            gv = self.m["gate_verdict"] or {}
            gv.setdefault("status_label", h["gate status"])
            gv.setdefault("status", _GATE_STATUS.get(h["gate status"].lower(), "unknown"))
            self.m["gate_verdict"] = gv
            consumed.add("gate status")
        if "quality tier" in h:
            qt = self.m["quality_tier"] or {}
            qt.setdefault("tier", h["quality tier"])
            self.m["quality_tier"] = qt
            consumed.add("quality tier")
        for key, value in h.items():
            if key not in consumed:
                self.add_extra(f"header: {key}", value)

    # -- sections --
    def section(self, sec: Section) -> None:
        handler = getattr(self, f"_sec_{sec.key}", None)
        if handler is None:
            self.add_extra(sec.name, _paragraphs(sec.body))
        else:
            handler(sec)

    def _sec_abstract(self, sec: Section) -> None:
        text = _paragraphs(sec.body)
        text = re.sub(r"(?i)^abstract\s*:\s*", "", text)
        if text:
            self.m["abstract"] = text
            self.m["abstract_truncated"] = looks_truncated(text)

    def _sec_research_question(self, sec: Section) -> None:
        text = _paragraphs(sec.body)
        if text:
            self.m["research_question"] = text

    def _kv(self, sec: Section) -> tuple[dict[str, str], dict[str, str], str | None]:
        """Known labels -> value, other labels -> value, and the note lines."""
        labels = SECTION_LABELS.get(sec.key, ())
        known: dict[str, str] = {}
        other: dict[str, str] = {}
        notes: list[str] = []
        for ln in sec.body:
            if not ln.text.strip():
                continue
            kv = _split_kv(ln.text, labels)
            if kv is None and sec.key == "quality_dimensions":
                m = re.match(r"^(.+?)\s+([A-Z][A-Z_\-]+)$", ln.text.strip())
                kv = (m[1], m[2]) if m else None
            if kv is None:
                cells = _cells(ln.text)
                if cells is not None and (not cells or _is_separator(cells)):
                    continue
                notes.append(ln.text.strip())
                continue
            label, value = kv
            target = known if label in labels else other
            if label in target:
                target[label] += "\n" + value
            else:
                target[label] = value
        return known, other, "\n".join(notes) or None

    def _keep_other(self, sec: Section, other: dict[str, str]) -> None:
        for label, value in other.items():
            self.add_extra(f"{sec.name}: {label}", value)

    def _sec_verification_level(self, sec: Section) -> None:
        known, other, note = self._kv(sec)
        vl: dict[str, Any] = self.m["verification_level"] or {}
        if "Paper level" in known:
            vl["paper_level"] = labelled_level(known["Paper level"])
        if "Source-grounded claims" in known:
            count = parse_count(known["Source-grounded claims"])
            vl["source_grounded_claims"] = count
            if count is None:
                other["Source-grounded claims"] = known["Source-grounded claims"]
        if "Claim record source" in known:
            vl["claim_record_source"] = known["Claim record source"]
        vl["note"] = note
        self.m["verification_level"] = vl
        self._keep_other(sec, other)

    def _sec_gate_verdict(self, sec: Section) -> None:
        known, other, note = self._kv(sec)
        gv: dict[str, Any] = self.m["gate_verdict"] or {}
        if "Status" in known:
            gv["status_label"] = known["Status"]
            gv["status"] = _GATE_STATUS.get(known["Status"].strip().lower(), "unknown")
        gv["gate"] = known.get("Gate")
        gv["reason"] = known.get("Reason")
        evaluated = known.get("Evaluated")
        gv["evaluated_at"] = parse_timestamp(evaluated) if evaluated else None
        if evaluated and gv["evaluated_at"] is None:
            other["Evaluated"] = evaluated
        gv["note"] = note
        self.m["gate_verdict"] = gv
        self._keep_other(sec, other)

    def _sec_quality_tier(self, sec: Section) -> None:
        known, other, note = self._kv(sec)
        qt: dict[str, Any] = self.m["quality_tier"] or {}
        if "Tier" in known:
            qt["tier"] = known["Tier"]
        qt["basis"] = known.get("Basis")
        qt["note"] = note
        self.m["quality_tier"] = qt
        self._keep_other(sec, other)

    def _sec_quality_dimensions(self, sec: Section) -> None:
        known, other, note = self._kv(sec)
        dims = {snake(label): value for label, value in {**known, **other}.items()}
        self.m["quality_dimensions"] = {"dimensions": dims, "note": note}

    def _sec_correction_record(self, sec: Section) -> None:
        known, other, note = self._kv(sec)
        count_text = known.get("Correction count")
        count = parse_count(count_text) if count_text is not None else None
        if count_text is not None and count is None:
            other["Correction count"] = count_text
        self.m["correction_record"] = {
            "status": known.get("Status"),
            "count": count,
            "manifest_contract": known.get("Manifest contract"),
            "correction_contract": known.get("Correction contract"),
            "note": note,
        }
        self._keep_other(sec, other)

    def _sec_provenance(self, sec: Section) -> None:
        known, other, note = self._kv(sec)
        notes = [n for n in (known.get("Note"), note) if n]
        self.m["provenance"] = {
            "publisher": known.get("Publisher"),
            "public_provenance": labelled_level(known["Public provenance"]) if "Public provenance" in known else None,
            "report_artifact": known.get("Report artifact"),
            "external_record": known.get("External record"),
            "claim_lineage": known.get("Claim lineage"),
            "review_method": known.get("Review method"),
            "quality_guide": known.get("Quality guide"),
            "provenance_contract": known.get("Provenance contract"),
            "note": "\n".join(notes) or None,
            "fields": other,
        }

    def _sec_references(self, sec: Section) -> None:
        for ln in sec.body:
            ref = parse_reference(ln.text)
            if ref is not None:
                self.m["references"].append(ref)

    def _sec_claims(self, sec: Section) -> None:
        notes: list[str] = []
        for ln in sec.body:
            text = ln.text.strip()
            if not text:
                continue
            cells = _cells(text)
            if cells is not None and _is_separator(cells):
                continue
            if cells is not None and cells and cells[0].lower() == "claim":
                continue  # the table's header row
            if cells is None:
                cells = [re.sub(r"^(?:[-*\u2022]|\(?\d{1,3}[.)])\s+", "", text)]
                if cells[0] == text and not self.m["claims"] and len(text) < 40:
                    notes.append(text)
                    continue
            if not cells or not cells[0]:
                notes.append(text)
                continue
            claim: dict[str, Any] = {
                "id": f"c{len(self.m['claims']) + 1}",
                "text": cells[0],
                "truncated": looks_truncated(cells[0]),
                "verified": None,
                "confidence": None,
                "source_line": ln.number,
            }
            rest = cells[1:]
            if rest:
                mark = rest[0].strip().lower()
                if mark in _MARK_TRUE:
                    claim["verified"] = True
                elif mark in _MARK_FALSE:
                    claim["verified"] = False
                elif mark:
                    notes.append(f"line {ln.number}: verified mark {rest[0]!r}")
            if len(rest) > 1:
                confidence = parse_decimal(rest[1])
                claim["confidence"] = confidence
                if confidence is None and rest[1].strip():
                    notes.append(f"line {ln.number}: confidence {rest[1]!r}")
            if len(rest) > 2:
                notes.append(f"line {ln.number}: more cells: {' | '.join(rest[2:])}")
            self.m["claims"].append(claim)
        if notes:
            self.add_extra(f"{sec.name}: notes", "\n".join(notes))

    # -- facts stated in running text (paper form) --
    def from_running_text(self) -> None:
        body = "\n".join(v for k, v in self.m["extra"].items() if not k.startswith("header"))
        if self.m["research_question"] is None and (m := re.search(r"Research question:\s*(.+?\?)", body)):
            self.m["research_question"] = m[1].strip()
        counts: dict[str, int] = dict(self.m.get("claim_counts", {}))
        for key, pattern in (
            ("extracted", r"(?a)\b(\d{1,6}) claims extracted"),
            ("verified", r"(?a)\b(\d{1,6}) (?:independently )?verified\b"),
            ("papers_retrieved", r"(?a)\b(\d{1,6}) papers (?:retrieved|were retrieved)"),
        ):
            if key not in counts and (m := re.search(pattern, body)):
                counts[key] = int(m[1])
        if counts:
            self.m["claim_counts"] = counts
        if self.m["review_score"] is None and (m := re.search(r"(?i)(?:review|quality) score(?: of|:)?\s*([0-9.]+\s*/\s*[0-9.]+)", body)):
            self.m["review_score"] = parse_score(m[1])


def ingest_bytes(data: bytes, *, filename: str | None = None) -> dict[str, Any]:
    """Parse a record's bytes into a paper-manifest-v1.1 dict (validated); :class:`InputError` if unusable."""
    where = filename or "<input>"
    text = _decode(data, where)
    lines = [Line(i + 1, t.rstrip("\r")) for i, t in enumerate(text.split("\n"))]
    b = _Builder(where)

    # Navigation, record id and title come first.
    pos = 0
    nav: list[str] = []
    while pos < len(lines):
        t = lines[pos].text.strip()
        if not t:
            pos += 1
        elif "\u25be" in t or re.fullmatch(r"(?:[\w ]+\|){2,}[\w \u25be]*", t):
            nav.append(t)
            pos += 1
        elif _RECORD_ID.match(t) and b.m["record_id"] is None:
            b.m["record_id"] = t
            pos += 1
        else:
            break
    if pos >= len(lines):
        raise InputError("record has no title (no text besides navigation)", where=where, remedy="put the title on the first line")
    title_line = lines[pos]
    title_heading = _heading(title_line.text, None)
    if title_heading is not None and title_heading[0] != "extra":
        raise InputError(
            f"record has no title: line {title_line.number} is the section heading {title_line.text.strip()!r}",
            where=f"{where}:{title_line.number}",
            remedy="put the record's title on the first line",
        )
    title = title_line.text.strip()
    if len(title) > 500 or title.startswith("|"):
        raise InputError(
            "record has no title: the first line is not a title",
            where=f"{where}:{title_line.number}",
            remedy="put the record's title (under 500 characters) on the first line",
        )
    b.m["title"] = title
    if nav:
        b.add_extra("navigation", "\n".join(nav))

    # Split the rest into the header and sections.
    sections: list[Section] = []
    header: list[Line] = []
    rest = lines[pos + 1 :]
    for i, ln in enumerate(rest):
        nxt = next((r.text for r in rest[i + 1 :] if r.text.strip()), None)
        head = _heading(ln.text, nxt)
        if head is not None:
            sections.append(Section(head[0], head[1], ln.number))
        elif sections:
            sections[-1].body.append(ln)
        elif ln.text.strip():
            header.append(ln)
    if not any(s.key != "extra" for s in sections):
        raise InputError(
            "not a research record: no known section found",
            where=f"{where}:{title_line.number + 1}",
            remedy="expected headings such as Abstract, Research Question, Truth-Engine Gate Verdict, Provenance, References",
        )
    for index, ln in enumerate(header):
        b.header_line(ln, index)
    for sec in sections:
        b.section(sec)
    b.finish_header()
    b.from_running_text()

    digest = hashlib.sha256(data).hexdigest()
    if b.m["record_id"] is None:
        b.m["record_id"] = f"rec-{digest[:16]}"
    b.m["source"] = {
        "file": os.path.basename(filename) if filename else None,
        "sha256": digest,
        "bytes": len(data),
        "form": _form(lines, sections),
    }
    manifest = b.m
    require_valid(manifest, CONTRACT, where=where)
    return manifest


def ingest_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and ingest one record file; every failure is one :class:`InputError`."""
    p = Path(path)
    data = read_input_bytes(p, max_bytes=MAX_RECORD_BYTES, what="a record")
    return ingest_bytes(data, filename=str(p))
