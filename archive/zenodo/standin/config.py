"""The stand-in's knobs and limits, with Zenodo's defaults (``reference/zenodo-api.md`` section 12)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

WRITE = "deposit:write"
ACTIONS = "deposit:actions"
CHUNK = 1024 * 1024
MAX_JSON_BODY = 16 * 1024 * 1024
MAX_MULTIPART = 100 * 1024 * 1024
KNOWN_METADATA = frozenset(
    {"upload_type", "publication_type", "image_type", "publication_date", "title", "creators", "description",
     "access_right", "license", "embargo_date", "access_conditions", "doi", "prereserve_doi", "version",
     "keywords", "notes", "method", "references", "related_identifiers", "contributors", "communities",
     "grants", "subjects", "language", "locations", "dates", "journal_title", "journal_volume", "journal_issue",
     "journal_pages", "conference_title", "conference_acronym", "conference_dates", "conference_place",
     "conference_url", "conference_session", "conference_session_part", "imprint_publisher", "imprint_isbn",
     "imprint_place", "partof_title", "partof_pages", "thesis_supervisors", "thesis_university"}
)


@dataclass
class StandinConfig:
    """The knobs of section 12, with Zenodo's defaults. ``tokens`` maps token -> owner and scopes."""

    tokens: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "tok-rw": {"owner": 1, "scopes": [WRITE, ACTIONS]},
            "tok-w": {"owner": 1, "scopes": [WRITE]},
        }
    )
    doi_prefix: str = "10.5072"
    anon_status: int = 403
    quota_bytes: int = 50_000_000_000
    max_file_bytes: int = 50_000_000_000
    max_files: int = 100
    rate_limit: int = 100
    rate_window_s: int = 60
    error_style: str = "rdm"
    newversion_mode: str = "rdm"
    bucket_delete_500_bug: bool = False
    bucket_list_500_bug: bool = True
    """Zenodo answers 500 to a bucket listing; False answers 200 with the contents (the documented shape)."""
    search_lag_s: float = 0.0
    require_content_length: bool = True
    known_communities: list[str] | None = None  # None: every community accepts; else others dropped at publish

    def public(self) -> dict[str, Any]:
        """The knobs without the tokens (for ``/_control/state``)."""
        data = asdict(self)
        data["tokens"] = len(self.tokens)
        return data
