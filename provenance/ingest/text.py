"""Small exact text parsers the ingester needs: dates, decimals, scores, truncation."""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}

_ISO = re.compile(r"(?a)^(\d{4})-(\d{2})-(\d{2})$")
_DAY_MONTH_YEAR = re.compile(r"(?a)^(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"(?a)^([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})$")
DECIMAL = re.compile(r"(?a)^-?[0-9]+(\.[0-9]+)?$")
_SCORE = re.compile(r"(?a)(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)")
_SENTENCE_END = (".", "!", "?", ")", "\"", "'", "\u201d", "\u2019", "]")


def parse_date(text: str) -> str | None:
    """ISO 8601 date for "30 June 2026", "June 19, 2026" or "2026-06-19"; None if not a date."""
    text = text.strip()
    year = month = day = 0
    if m := _ISO.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _DAY_MONTH_YEAR.match(text):
        day, month, year = int(m[1]), _MONTHS.get(m[2].lower(), 0), int(m[3])
    elif m := _MONTH_DAY_YEAR.match(text):
        month, day, year = _MONTHS.get(m[1].lower(), 0), int(m[2]), int(m[3])
    else:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_timestamp(text: str) -> str | None:
    """The timestamp itself when it is a valid RFC 3339 date-time with a zone; else None."""
    text = text.strip()
    if not re.match(r"(?a)^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", text):
        return None
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return text


def parse_score(text: str) -> dict[str, str] | None:
    """{"value", "scale"} decimal strings from "9.17/10"; None if there is no score."""
    m = _SCORE.search(text)
    if not m:
        return None
    return {"value": m[1], "scale": m[2]}


def parse_decimal(text: str) -> str | None:
    """The text when it is an ASCII decimal string, else None."""
    text = text.strip()
    return text if DECIMAL.match(text) and len(text) <= 64 else None


def parse_count(text: str) -> int | None:
    """A non-negative integer written in ASCII digits (first token), else None."""
    m = re.match(r"(?a)^\s*(\d{1,9})\b", text)
    return int(m[1]) if m else None


def looks_truncated(text: str) -> bool:
    """True when the text stops mid-sentence (no closing punctuation) or ends with an ellipsis."""
    stripped = text.rstrip()
    if not stripped:
        return False
    if stripped.endswith(("...", "\u2026")):
        return True
    return not stripped.endswith(_SENTENCE_END)


def snake(label: str) -> str:
    """snake_case key for a printed label ("Evidence strength" -> "evidence_strength")."""
    return re.sub(r"[^0-9a-z]+", "_", label.lower()).strip("_") or "field"


def labelled_level(text: str) -> dict[str, str | None]:
    """{"level", "label"} from "L2, Source-grounded claims"."""
    head, sep, tail = text.partition(",")
    if sep and re.match(r"(?a)^[A-Z]{1,3}\d{1,2}$", head.strip()):
        return {"level": head.strip(), "label": tail.strip() or None}
    return {"level": text.strip(), "label": None}
