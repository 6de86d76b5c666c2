"""Paper manifest -> Zenodo deposit metadata (DataCite-good), validated before any request.

Mapping (``reference/archival-formats.md`` section 3): the bundle is a
``dataset`` (DataCite ``Dataset``); creators keep "Family, Given" and ORCID;
references become ``cites``; the previous version becomes ``isNewVersionOf``;
the bundle id (sha256 of ``tagmanifest-sha256.txt``) is an alternate
identifier; the marker keyword ``bundle-sha256:<hex>`` lets a crashed deposit
find its draft again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archive.zenodo.vocabulary import (
    LICENSES,
    PUBLICATION_TYPES,
    UPLOAD_TYPES,
    check_publishable,
    normalise_license,
)
from provenance.deposit.licence import NOT_STATED
from provenance.errors import InputError

ORCID_URL_RE = re.compile(r"^(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
ARXIV_RE = re.compile(r"^(?:arXiv:)?(\d{4}\.\d{4,5}(?:v\d+)?|[a-z-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?)$")
DOI_RE = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
MAX_TITLE = 1000


def bundle_hex(bundle_id: str) -> str:
    """``sha256:<hex>`` (the bundle layout's form) or bare ``<hex>`` -> ``<hex>``."""
    return bundle_id.split(":", 1)[1] if bundle_id.startswith("sha256:") else bundle_id


def marker_keyword(bundle_id: str) -> str:
    """The keyword that identifies a deposit of this bundle (found again after a crash)."""
    return f"bundle-sha256:{bundle_hex(bundle_id)}"


@dataclass(frozen=True)
class DepositOptions:
    """Choices that do not come from the manifest."""

    bundle_id: str
    publication_date: str
    version: str = "1"
    previous_doi: str | None = None
    communities: Sequence[str] = ()
    license: str = NOT_STATED
    upload_type: str = "dataset"
    publication_type: str | None = None
    checkpoint: str | None = None
    correction: Mapping[str, Any] | None = None
    artifacts: Sequence[Mapping[str, Any]] = ()
    """The bundle's artifacts: ``{"name", "files", "bytes", "description"}`` each."""


def _creator(author: Any, index: int, problems: list[str]) -> dict[str, Any] | None:
    if not isinstance(author, Mapping) or not isinstance(author.get("name"), str) or not author["name"].strip():
        problems.append(f"$.authors[{index}].name: missing")
        return None
    name = " ".join(author["name"].split())
    creator: dict[str, Any] = {"name": name}
    orcid = author.get("orcid")
    if orcid:
        m = ORCID_URL_RE.match(str(orcid).strip())
        if m is None:
            problems.append(f"$.authors[{index}].orcid: {orcid!r} is not an ORCID iD")
        else:
            creator["orcid"] = m.group(1)
    affiliation = author.get("affiliation")
    if isinstance(affiliation, str) and affiliation.strip():
        creator["affiliation"] = affiliation.strip()
    return creator


def _reference(ref: Any) -> dict[str, str] | None:
    """A ``cites`` relation for a manifest reference, or None if it names nothing resolvable."""
    if not isinstance(ref, Mapping):
        return None
    kind = ref.get("kind")
    ident = str(ref.get("id") or "").strip()
    url = str(ref.get("url") or "").strip()
    if kind == "doi":
        m = DOI_RE.match(ident) or DOI_RE.match(url)
        if m:
            return {"identifier": m.group(1), "relation": "cites"}
    if kind == "arxiv":
        m = ARXIV_RE.match(ident)
        if m:
            return {"identifier": f"arXiv:{m.group(1)}", "relation": "cites"}
    if url.startswith(("https://", "http://")):
        return {"identifier": url, "relation": "cites"}
    return None


def _description(manifest: Mapping[str, Any], options: DepositOptions) -> str:
    parts: list[str] = []
    abstract = manifest.get("abstract")
    if isinstance(abstract, str) and abstract.strip():
        parts.append(f"<p>{html.escape(abstract.strip())}</p>")
    question = manifest.get("research_question")
    if isinstance(question, str) and question.strip():
        parts.append(f"<p><strong>Research question:</strong> {html.escape(question.strip())}</p>")
    verdict = manifest.get("gate_verdict")
    if isinstance(verdict, Mapping) and verdict.get("status"):
        reason = html.escape(str(verdict.get("reason") or ""))
        parts.append(f"<p><strong>Verification verdict:</strong> {html.escape(str(verdict['status']))}"
                     + (f": {reason}" if reason else "") + "</p>")
    claims = manifest.get("claims")
    if isinstance(claims, list) and claims:
        checked = sum(1 for c in claims if isinstance(c, Mapping) and c.get("verified") is True)
        parts.append(f"<p>{len(claims)} claims, {checked} marked verified in the record.</p>")
    parts.append(
        "<p>This deposit is a verified-claims bundle (BagIt 1.0 bag holding an RO-Crate 1.2, with a DSSE "
        f"attestation). Bundle id (sha256 of tagmanifest-sha256.txt): <code>{options.bundle_id}</code>.</p>"
    )
    corr = options.correction
    if corr:
        raw_reason = corr.get("reason")
        why: Mapping[str, Any] = raw_reason if isinstance(raw_reason, Mapping) else {}
        bits = [f"<p><strong>{html.escape(str(corr.get('type', 'correction')).replace('_', ' ').capitalize())}"
                f" (correction record {html.escape(str(corr.get('seq', '?')))}):</strong>"]
        for label, key in (("What was wrong", "what_was_wrong"), ("What changed", "what_changed")):
            said = _said(corr.get(key))
            if said:
                bits.append(f" {label}: {html.escape('; '.join(said))}.")
        if isinstance(why.get("text"), str):
            bits.append(f" Reason ({html.escape(str(why.get('category', '')))}): {html.escape(why['text'])}.")
        parts.append("".join(bits) + "</p>")
    if options.artifacts:
        listed = "; ".join(
            f"{html.escape(str(a.get('name')))} ({a.get('files')} file(s), {a.get('bytes')} bytes)"
            + (f": {html.escape(str(a['description']))}" if a.get("description") else "")
            for a in options.artifacts)
        parts.append(f"<p><strong>Artifacts carried</strong> (under data/artifacts/): {listed}.</p>")
    if options.checkpoint:
        parts.append(f"<p>Correction log checkpoint carried by this version: <code>{html.escape(options.checkpoint)}"
                     "</code>.</p>")
    if options.previous_doi:
        parts.append(f"<p>New version of {html.escape(options.previous_doi)}.</p>")
    return "\n".join(parts)


def _said(value: Any) -> list[str]:
    """The plain words of a correction field: a string, or a list of strings or of ``{"summary": ...}`` objects."""
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        text = item.get("summary") if isinstance(item, Mapping) else item
        if isinstance(text, str) and text.strip():
            out.append(text.strip().rstrip("."))
    return out


def build_metadata(manifest: Mapping[str, Any], options: DepositOptions) -> dict[str, Any]:
    """Zenodo ``metadata`` for a bundle of ``manifest``; raises :class:`InputError` listing every problem."""
    problems: list[str] = []
    record_id = str(manifest.get("record_id") or "").strip()
    if not record_id:
        problems.append("$.record_id: missing")
    title = manifest.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append("$.title: missing; a deposit needs a title")
        title = ""
    elif len(title) > MAX_TITLE:
        problems.append(f"$.title: longer than {MAX_TITLE} characters")
    authors = manifest.get("authors")
    creators: list[dict[str, Any]] = []
    if not isinstance(authors, list) or not authors:
        problems.append("$.authors: no authors; a deposit needs at least one creator")
    else:
        for i, author in enumerate(authors):
            c = _creator(author, i, problems)
            if c is not None:
                creators.append(c)
    if options.upload_type not in UPLOAD_TYPES:
        problems.append(f"upload_type {options.upload_type!r} is not one of {sorted(UPLOAD_TYPES)}")
    if options.publication_type is not None and options.publication_type not in PUBLICATION_TYPES:
        problems.append(f"publication_type {options.publication_type!r} is not one of {sorted(PUBLICATION_TYPES)}")
    license_id = normalise_license(options.license)
    if license_id is None:
        problems.append(f"license {options.license!r} is not one of {sorted(LICENSES)}")

    related: list[dict[str, str]] = []
    seen: set[str] = set()
    refs = manifest.get("references")
    for ref in refs if isinstance(refs, list) else []:
        rel = _reference(ref)
        if rel is not None and rel["identifier"] not in seen:
            seen.add(rel["identifier"])
            related.append(rel)
    paper_doi = manifest.get("doi")
    if isinstance(paper_doi, str) and DOI_RE.match(paper_doi.strip()):
        m = DOI_RE.match(paper_doi.strip())
        assert m is not None
        related.append({"identifier": m.group(1), "relation": "isSupplementTo"})
    if options.previous_doi:
        related.append({"identifier": options.previous_doi, "relation": "isNewVersionOf"})
    related.append({"identifier": f"urn:sha256:{bundle_hex(options.bundle_id)}", "relation": "isAlternateIdentifier"})

    keywords = ["provenance-archive", "verified claims", f"record:{record_id}", marker_keyword(options.bundle_id)]
    notes = [f"Record id: {record_id}.", f"Bundle id: {options.bundle_id}."]
    verdict = manifest.get("gate_verdict")
    if isinstance(verdict, Mapping) and verdict.get("status"):
        notes.append(f"Gate verdict: {verdict['status']}.")
    if options.correction:
        notes.append(f"Carries correction record {options.correction.get('seq', '?')} "
                     f"({options.correction.get('type', 'correction')}).")
    if isinstance(manifest.get("submitted"), str):
        notes.append(f"Record submitted {manifest['submitted']}.")

    metadata: dict[str, Any] = {
        "upload_type": options.upload_type,
        "title": " ".join(str(title).split()),
        "creators": creators,
        "description": _description(manifest, options),
        "publication_date": options.publication_date,
        "access_right": "open",
        "license": license_id or options.license,
        "version": options.version,
        "keywords": keywords,
        "related_identifiers": related,
        "notes": " ".join(notes),
        "imprint_publisher": "provenance-archive",
    }
    if options.upload_type == "publication":
        metadata["publication_type"] = options.publication_type or "report"
    if options.communities:
        metadata["communities"] = [{"identifier": c} for c in options.communities]
    problems.extend(f"{f}: {m}" for f, m in check_publishable(metadata))
    if problems:
        raise InputError(
            "the manifest cannot be deposited: " + "; ".join(dict.fromkeys(problems)),
            where="paper manifest",
            remedy="fix the manifest (or the options) and bundle it again",
        )
    return metadata
