"""Zenodo deposit metadata vocabularies and the one metadata validator.

Both the client side (validate before any request) and the stand-in server
(validate like Zenodo does) use these lists, taken from the legacy API docs
and the behaviour recorded in ``reference/zenodo-api.md`` section 6.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

UPLOAD_TYPES = frozenset(
    {"publication", "poster", "presentation", "dataset", "image", "video", "software", "lesson",
     "physicalobject", "other"}
)
PUBLICATION_TYPES = frozenset(
    {"annotationcollection", "book", "section", "conferencepaper", "datamanagementplan", "article", "patent",
     "preprint", "deliverable", "milestone", "proposal", "report", "softwaredocumentation",
     "taxonomictreatment", "technicalnote", "thesis", "workingpaper", "other"}
)
IMAGE_TYPES = frozenset({"figure", "plot", "drawing", "diagram", "photo", "other"})
ACCESS_RIGHTS = frozenset({"open", "embargoed", "restricted", "closed"})
RELATIONS = frozenset(
    {"isCitedBy", "cites", "isSupplementTo", "isSupplementedBy", "isContinuedBy", "continues",
     "isDescribedBy", "describes", "hasMetadata", "isMetadataFor", "isNewVersionOf", "isPreviousVersionOf",
     "isPartOf", "hasPart", "isReferencedBy", "references", "isDocumentedBy", "documents", "isCompiledBy",
     "compiles", "isVariantFormOf", "isOriginalFormof", "isIdenticalTo", "isAlternateIdentifier",
     "isReviewedBy", "reviews", "isDerivedFrom", "isSourceOf", "requires", "isRequiredBy", "isObsoletedBy",
     "obsoletes", "hasVersion", "isVersionOf", "isPublishedIn"}
)
RESOURCE_TYPES = frozenset(
    {f"publication-{t}" for t in PUBLICATION_TYPES}
    | {f"image-{t}" for t in IMAGE_TYPES}
    | (UPLOAD_TYPES - {"publication", "image"})
)
# Accepted licence ids (a subset of SPDX as Zenodo maps them) and the aliases Zenodo resolves.
LICENSES = frozenset(
    {"cc-by-4.0", "cc0-1.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-sa-4.0",
     "cc-by-nc-nd-4.0", "cc-by-3.0", "mit", "apache-2.0", "bsd-3-clause", "bsd-2-clause", "gpl-3.0-or-later",
     "gpl-3.0-only", "lgpl-3.0-or-later", "mpl-2.0", "odc-by-1.0", "odbl-1.0", "pddl-1.0", "other-open",
     "other-at", "other-closed", "other-nc", "other-pd"}
)
LICENSE_ALIASES = {"cc-by": "cc-by-4.0", "cc-zero": "cc0-1.0", "cc-by-sa": "cc-by-sa-4.0", "cc0": "cc0-1.0"}
ZENODO_DOI_PREFIX = "10.5281/"
ORCID_RE = re.compile(r"^\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
FILE_KEY_RE = re.compile(r"^[A-Za-z0-9._-]+$")
MAX_FILES = 100

Finding = tuple[str, str]  # (field path like "metadata.creators.0.name", message)


def normalise_license(value: Any) -> str | None:
    """The licence id Zenodo would store for ``value`` (a string or ``{id}``), or None if unknown."""
    raw = value.get("id") if isinstance(value, Mapping) else value
    if not isinstance(raw, str):
        return None
    lowered = raw.strip().lower()
    lowered = LICENSE_ALIASES.get(lowered, lowered)
    return lowered if lowered in LICENSES else None


def _is_date(text: Any) -> bool:
    if not isinstance(text, str) or not DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_shapes(metadata: Mapping[str, Any], *, doi_prefix: str = "10.5072") -> list[Finding]:
    """Shape checks Zenodo applies on create and PUT: every finding, in field order."""
    found: list[Finding] = []
    p = "metadata."
    ut = metadata.get("upload_type")
    if ut is not None and ut not in UPLOAD_TYPES:
        found.append((p + "upload_type", f"Not a valid choice: {ut!r}"))
    pt = metadata.get("publication_type")
    if pt is not None and pt not in PUBLICATION_TYPES:
        found.append((p + "publication_type", f"Not a valid choice: {pt!r}"))
    it = metadata.get("image_type")
    if it is not None and it not in IMAGE_TYPES:
        found.append((p + "image_type", f"Not a valid choice: {it!r}"))
    ar = metadata.get("access_right")
    if ar is not None and ar not in ACCESS_RIGHTS:
        found.append((p + "access_right", f"Not a valid choice: {ar!r}"))
    if ar == "embargoed" and not _is_date(metadata.get("embargo_date")):
        found.append((p + "embargo_date", "Required for embargoed access (YYYY-MM-DD)."))
    if "license" in metadata and normalise_license(metadata["license"]) is None:
        found.append((p + "license", f"Invalid license provided: {metadata['license']!r}"))
    pd = metadata.get("publication_date")
    if pd is not None and not _is_date(pd):
        found.append((p + "publication_date", "Not a valid date (YYYY-MM-DD)."))
    lang = metadata.get("language")
    if lang is not None and (not isinstance(lang, str) or not LANGUAGE_RE.match(lang)):
        found.append((p + "language", "Not a valid ISO 639-2/3 language code."))
    creators = metadata.get("creators")
    if creators is not None:
        if not isinstance(creators, list):
            found.append((p + "creators", "Not a valid list."))
        else:
            for i, c in enumerate(creators):
                if not isinstance(c, Mapping) or not isinstance(c.get("name"), str) or not c["name"].strip():
                    found.append((f"{p}creators.{i}.name", "Missing data for required field."))
                elif "orcid" in c and not (isinstance(c["orcid"], str) and ORCID_RE.match(c["orcid"])):
                    found.append((f"{p}creators.{i}.orcid", f"Not a valid ORCID: {c['orcid']!r}"))
    keywords = metadata.get("keywords")
    if keywords is not None and (not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords)):
        found.append((p + "keywords", "Not a valid list of strings."))
    related = metadata.get("related_identifiers")
    if related is not None:
        if not isinstance(related, list):
            found.append((p + "related_identifiers", "Not a valid list."))
        else:
            for i, r in enumerate(related):
                where = f"{p}related_identifiers.{i}"
                if not isinstance(r, Mapping):
                    found.append((where, "Not a valid object."))
                    continue
                if not isinstance(r.get("identifier"), str) or not r["identifier"].strip():
                    found.append((where + ".identifier", "Missing data for required field."))
                if r.get("relation") not in RELATIONS:
                    found.append((where + ".relation", f"Not a valid choice: {r.get('relation')!r}"))
                rt = r.get("resource_type")
                if rt is not None and rt not in RESOURCE_TYPES:
                    found.append((where + ".resource_type", f"Not a valid choice: {rt!r}"))
    communities = metadata.get("communities")
    if communities is not None and (
        not isinstance(communities, list)
        or not all(isinstance(c, Mapping) and isinstance(c.get("identifier"), str) for c in communities)
    ):
        found.append((p + "communities", "Not a valid list of {identifier} objects."))
    doi = metadata.get("doi")
    if isinstance(doi, str) and doi.startswith(ZENODO_DOI_PREFIX) and doi_prefix != ZENODO_DOI_PREFIX.rstrip("/"):
        found.append((p + "doi", f"Wrong DOI {ZENODO_DOI_PREFIX.rstrip('/')} prefix provided, it should be {doi_prefix}"))
    return found


def check_publishable(metadata: Mapping[str, Any]) -> list[Finding]:
    """The required-field checks Zenodo applies at publish (files are checked by the caller)."""
    found: list[Finding] = []
    p = "metadata."
    for key in ("title", "description"):
        value = metadata.get(key)
        if not isinstance(value, str) or not value.strip():
            found.append((p + key, "Missing data for required field."))
    creators = metadata.get("creators")
    if not isinstance(creators, list) or not creators:
        found.append((p + "creators", "Missing data for required field."))
    ut = metadata.get("upload_type")
    if ut is None:
        found.append((p + "upload_type", "Missing data for required field."))
    elif ut == "publication" and metadata.get("publication_type") is None:
        found.append((p + "publication_type", "Missing data for required field."))
    elif ut == "image" and metadata.get("image_type") is None:
        found.append((p + "image_type", "Missing data for required field."))
    if not _is_date(metadata.get("publication_date")):
        found.append((p + "publication_date", "Missing data for required field."))
    if metadata.get("access_right", "open") in ("open", "embargoed") and "license" not in metadata:
        found.append((p + "license", "Missing data for required field."))
    return found + [f for f in check_shapes(metadata) if f[0] not in {x[0] for x in found}]


def check_file_key(key: str) -> str | None:
    """Why ``key`` breaks the toolkit's file-name policy, or None if it is fine."""
    if not FILE_KEY_RE.match(key) or key in (".", ".."):
        return f"file name {key!r} must match {FILE_KEY_RE.pattern}"
    return None
